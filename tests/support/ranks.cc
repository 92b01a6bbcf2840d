#include "tests/support/ranks.h"

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace mbrl::test {

void on_ranks(int world, const std::function<void(DataParallel&)>& body) {
  ASSERT_TRUE(DataParallel::available()) << "this build has no c10d Gloo: install libgloo-dev";
  const int port = free_loopback_port();
  std::vector<std::thread> threads;
  std::vector<std::string> errors(world);
  for (int r = 0; r < world; ++r) {
    threads.emplace_back([&, r] {
      try {
        DataParallel group(Rendezvous{"127.0.0.1", port, r, world}, std::chrono::seconds(60));
        body(group);
      } catch (const std::exception& e) {
        errors[r] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int r = 0; r < world; ++r) EXPECT_EQ(errors[r], "") << "rank " << r;
}

}  // namespace mbrl::test
