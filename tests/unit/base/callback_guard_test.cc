// Exception boundaries of the event loop: an exception thrown by a timer or a
// posted task is caught, counted in polis_callback_exceptions_total{callback}
// and the loop goes on. And work still queued when a loop is destroyed is
// destroyed, never run.
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "base/event_loop.h"
#include "base/guard.h"
#include "base/metrics.h"
#include "support/loop_runner.h"

namespace polis {
namespace {

using namespace std::chrono_literals;
using polis::testing::runFor;
using polis::testing::runUntil;

uint64_t callbackExceptions(const std::string& callback) {
  return metrics::Registry::global()
      .counter("polis_callback_exceptions_total", "Exceptions caught at an event-callback boundary, by callback.",
               {{"callback", callback}})
      .value();
}

TEST(CallbackGuard, TimerThatThrowsIsCountedAndTheLoopKeepsRunning) {
  EventLoop loop;
  uint64_t before = callbackExceptions("timer");
  bool threw = false, later = false;
  loop.runAfter(1ms, [&] {
    threw = true;
    throw std::runtime_error("timer exploded");
  });
  loop.runAfter(20ms, [&] { later = true; });
  ASSERT_TRUE(runUntil(loop, [&] { return later; })) << "the loop stopped after a timer threw";
  EXPECT_TRUE(threw);
  EXPECT_EQ(callbackExceptions("timer"), before + 1);
}

TEST(CallbackGuard, RepeatingTimerThatThrowsKeepsFiring) {
  EventLoop loop;
  uint64_t before = callbackExceptions("timer");
  int ticks = 0;
  TimerId id = loop.runEvery(2ms, [&] {
    ++ticks;
    throw std::logic_error("again");
  });
  ASSERT_TRUE(runUntil(loop, [&] { return ticks >= 3; }));
  loop.cancel(id);
  EXPECT_EQ(callbackExceptions("timer"), before + static_cast<uint64_t>(ticks));
}

TEST(CallbackGuard, PostedTaskThatThrowsIsCountedAndTheRestOfTheBatchRuns) {
  EventLoop loop;
  uint64_t before = callbackExceptions("posted task");
  bool first = false, after = false;
  loop.post([&] {
    first = true;
    throw std::runtime_error("posted exploded");
  });
  loop.post([&] { after = true; });  // same batch as the throwing task
  ASSERT_TRUE(runUntil(loop, [&] { return after; })) << "a throwing posted task stopped the batch";
  EXPECT_TRUE(first);
  EXPECT_EQ(callbackExceptions("posted task"), before + 1);
  // And the loop still serves new work afterwards.
  bool next = false;
  loop.post([&] { next = true; });
  EXPECT_TRUE(runUntil(loop, [&] { return next; }));
}

TEST(CallbackGuard, NonStandardExceptionIsCaughtToo) {
  EventLoop loop;
  uint64_t before = callbackExceptions("posted task");
  bool after = false;
  loop.post([] { throw 42; });
  loop.post([&] { after = true; });
  ASSERT_TRUE(runUntil(loop, [&] { return after; }));
  EXPECT_EQ(callbackExceptions("posted task"), before + 1);
}

TEST(CallbackGuard, GuardedReportsWhatAndReturnsFalse) {
  uint64_t before = callbackExceptions("unit test boundary");
  EXPECT_TRUE(guarded("unit test boundary", [] {}));
  EXPECT_FALSE(guarded("unit test boundary", [] { throw std::runtime_error("nope"); }));
  EXPECT_EQ(callbackExceptions("unit test boundary"), before + 1);
  EXPECT_EQ(describeException(std::make_exception_ptr(std::runtime_error("what it says"))), "what it says");
  EXPECT_EQ(describeException(std::make_exception_ptr(7)), "a non-standard exception");
}

// Holds a token; its destructor can post more work (as a closure holding the
// last reference to a connection does).
struct PostsWhenDestroyed {
  EventLoop* loop;
  std::shared_ptr<int> token;
  std::shared_ptr<int> next_token;
  bool* ran;
  ~PostsWhenDestroyed() {
    if (next_token) loop->post([t = std::move(next_token), r = ran] { *r = true; });
  }
};

TEST(CallbackGuard, WorkQueuedAtDestructionIsDestroyedNotRun) {
  bool ran = false;
  std::weak_ptr<int> first, second;
  {
    EventLoop loop;
    // Let the loop run once, so the wakeup is re-armed and the queue empty.
    bool warm = false;
    loop.post([&] { warm = true; });
    ASSERT_TRUE(runUntil(loop, [&] { return warm; }));

    auto holder = std::make_shared<PostsWhenDestroyed>();
    holder->loop = &loop;
    holder->token = std::make_shared<int>(1);
    holder->next_token = std::make_shared<int>(2);
    holder->ran = &ran;
    first = holder->token;
    second = holder->next_token;
    loop.post([h = std::move(holder), &ran] { ran = true; });
    EXPECT_FALSE(first.expired());
  }
  EXPECT_FALSE(ran) << "work queued when the loop was destroyed ran";
  EXPECT_TRUE(first.expired()) << "the queued closure was not destroyed";
  EXPECT_TRUE(second.expired()) << "work queued by a dropped closure's destructor was not destroyed";
}

TEST(CallbackGuard, WorkQueuedBeforeQuitStillRuns) {
  EventLoop loop;
  bool ran = false;
  // The last task before the break queues one more: it runs after the loop
  // stopped, inside run().
  loop.post([&] {
    loop.quit();
    loop.post([&] { loop.post([&] { ran = true; }); });
  });
  loop.run();
  EXPECT_TRUE(ran) << "run() must return only after the work queued before quit()";
}

}  // namespace
}  // namespace polis
