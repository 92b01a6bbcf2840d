// EXPECT_THROW_WITH: the statement throws `type` and the message contains a substring
// (after PyTorch's ASSERT_THROWS_WITH).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "mbrl/core/error.h"

#define MBRL_EXPECT_THROW_IMPL(statement, type, substring, fail)                       \
  do {                                                                                 \
    try {                                                                              \
      statement;                                                                       \
      fail() << "expected " #statement " to throw " #type;                             \
    } catch (const type& e) {                                                          \
      if (std::string(e.what()).find(substring) == std::string::npos) {                \
        fail() << "message of " #type ":\n  " << e.what() << "\ndoes not contain:\n  " \
               << (substring);                                                         \
      }                                                                                \
    }                                                                                  \
  } while (false)

/// Expects `statement` to throw `type` whose what() contains `substring`.
#define EXPECT_THROW_WITH(statement, type, substring) \
  MBRL_EXPECT_THROW_IMPL(statement, type, substring, ADD_FAILURE)
#define ASSERT_THROW_WITH(statement, type, substring) \
  MBRL_EXPECT_THROW_IMPL(statement, type, substring, FAIL)
