#include "base/event_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace polis {
namespace {

using namespace std::chrono_literals;

// Quits the loop and fails the test if it is still running after `limit`.
TimerId watchdog(EventLoop& loop, EventLoop::Duration limit = 5s) {
  return loop.runAfter(limit, [&loop] {
    ADD_FAILURE() << "watchdog fired: the loop did not finish in time";
    loop.quit();
  });
}

TEST(EventLoop, PostFromOtherThreadsRunsEverythingOnTheLoopThread) {
  EventLoop loop;
  watchdog(loop);
  constexpr int kThreads = 4, kPerThread = 1000;
  int ran = 0;  // touched only on the loop thread
  bool all_on_loop = true;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        loop.post([&] {
          all_on_loop = all_on_loop && loop.inLoopThread();
          if (++ran == kThreads * kPerThread) loop.quit();
        });
      }
    });
  }
  loop.run();
  for (auto& t : threads) t.join();
  EXPECT_EQ(ran, kThreads * kPerThread);
  EXPECT_TRUE(all_on_loop);
}

TEST(EventLoop, PostNeverRunsInline) {
  EventLoop loop;
  bool ran = false;
  loop.post([&] { ran = true; loop.quit(); });
  EXPECT_FALSE(ran);
  loop.run();
  EXPECT_TRUE(ran);
}

TEST(EventLoop, TimersFireInOrderOfDeadline) {
  EventLoop loop;
  watchdog(loop);
  std::vector<int> order;
  loop.runAfter(30ms, [&] { order.push_back(3); loop.quit(); });
  loop.runAfter(10ms, [&] { order.push_back(1); });
  loop.runAfter(20ms, [&] { order.push_back(2); });
  auto start = std::chrono::steady_clock::now();
  loop.run();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  // libevent rounds to its cached clock: allow a millisecond or two early.
  EXPECT_GE(std::chrono::steady_clock::now() - start, 28ms);
}

TEST(EventLoop, RepeatingTimerCancelledInsideItsOwnCallback) {
  EventLoop loop;
  watchdog(loop);
  int ticks = 0;
  TimerId id = 0;
  id = loop.runEvery(5ms, [&] {
    if (++ticks == 3) {
      loop.cancel(id);
      loop.runAfter(30ms, [&] { loop.quit(); });  // would see more ticks if cancel failed
    }
  });
  loop.run();
  EXPECT_EQ(ticks, 3);
}

TEST(EventLoop, CancelledTimerNeverFiresAndCancelTwiceIsHarmless) {
  EventLoop loop;
  watchdog(loop);
  bool fired = false;
  TimerId id = loop.runAfter(10ms, [&] { fired = true; });
  loop.cancel(id);
  loop.cancel(id);
  loop.cancel(12345);
  loop.runAfter(30ms, [&] { loop.quit(); });
  loop.run();
  EXPECT_FALSE(fired);
}

TEST(EventLoop, OneShotTimerMayCancelItselfAndAddTimers) {
  EventLoop loop;
  watchdog(loop);
  TimerId self = 0;
  bool second = false;
  self = loop.runAfter(1ms, [&] {
    loop.cancel(self);  // already retired: a no-op, not a double free
    loop.runAfter(1ms, [&] { second = true; loop.quit(); });
  });
  loop.run();
  EXPECT_TRUE(second);
}

TEST(EventLoop, LagProbeSeesABlockedLoop) {
  EventLoop loop;
  watchdog(loop);
  loop.runAfter(50ms, [] { std::this_thread::sleep_for(250ms); });
  loop.runAfter(600ms, [&] { loop.quit(); });
  double max_lag = 0;
  loop.runEvery(20ms, [&] { max_lag = std::max(max_lag, loop.lagSeconds()); });
  loop.run();
  EXPECT_GT(max_lag, 0.1);
}

TEST(EventLoopDeathTest, LoopOnlyMethodAbortsFromAnotherThread) {
  EventLoop loop;
  EXPECT_DEATH(
      {
        std::thread t([&] { loop.runAfter(1ms, [] {}); });
        t.join();
      },
      "does not own it");
}

}  // namespace
}  // namespace polis
