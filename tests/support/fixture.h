// MbrlTest: a fixture that seeds torch per test, so each test is deterministic on its own.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace mbrl::test {

class MbrlTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::manual_seed(0); }
};

/// Skips the calling test when LibTorch has no CUDA device.
#define MBRL_SKIP_WITHOUT_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device"

}  // namespace mbrl::test
