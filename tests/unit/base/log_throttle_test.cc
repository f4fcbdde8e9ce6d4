// log::throttle(): one line per key per interval, keys independent, the
// table bounded. (The suffix counting suppressed lines needs the 10 s
// interval to pass on the real clock, which a unit test cannot wait for.)
#include "base/log_throttle.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace polis {
namespace {

class LogThrottleTest : public ::testing::Test {
 protected:
  void SetUp() override { log::resetThrottle(); }
  void TearDown() override { log::resetThrottle(); }
};

TEST_F(LogThrottleTest, FirstLinePassesWithAnEmptySuffix) {
  auto note = log::throttle("accept error 127.0.0.1:1");
  ASSERT_TRUE(note.has_value()) << "the first line for a key must get through";
  EXPECT_EQ(*note, "");
}

TEST_F(LogThrottleTest, RepeatsWithinTheIntervalAreSuppressed) {
  ASSERT_TRUE(log::throttle("bad frame"));
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(log::throttle("bad frame")) << "repeat " << i << " got through";
}

TEST_F(LogThrottleTest, DistinctKeysAreIndependent) {
  ASSERT_TRUE(log::throttle("key a"));
  EXPECT_FALSE(log::throttle("key a"));
  auto b = log::throttle("key b");
  ASSERT_TRUE(b) << "a suppressed key must not silence another";
  EXPECT_EQ(*b, "");
  EXPECT_FALSE(log::throttle("key b"));
  EXPECT_FALSE(log::throttle("key a"));
}

TEST_F(LogThrottleTest, ResetForgetsEveryKey) {
  ASSERT_TRUE(log::throttle("k"));
  ASSERT_FALSE(log::throttle("k"));
  log::resetThrottle();
  auto again = log::throttle("k");
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, "") << "nothing was suppressed since the reset";
}

// A flood of distinct keys (say, one per source address) keeps the table
// bounded by forgetting the oldest key, which then passes again.
TEST_F(LogThrottleTest, FloodOfDistinctKeysEvictsTheOldest) {
  ASSERT_TRUE(log::throttle("!oldest"));  // '!' sorts first, should two keys share a timestamp
  ASSERT_FALSE(log::throttle("!oldest"));
  for (int i = 0; i < 4096; ++i) ASSERT_TRUE(log::throttle("flood " + std::to_string(i))) << i;
  EXPECT_TRUE(log::throttle("!oldest")) << "the oldest key was not evicted: the table grows without bound";
  // A recent key was kept.
  EXPECT_FALSE(log::throttle("flood 4095"));
}

TEST_F(LogThrottleTest, ExactlyOneOfManyThreadsGetsTheLine) {
  std::atomic<int> passed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (log::throttle("shared")) passed.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(passed.load(), 1);
}

}  // namespace
}  // namespace polis
