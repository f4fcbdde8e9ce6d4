// Cancelling suspended coroutines: destroying a coroutine suspended in
// sleepFor cancels its timer (nothing fires later, nothing resumes a dead
// frame; the sanitizer pass would report a use after free), and
// cancelDetachedTasks() destroys suspended detached coroutines, running their
// locals' destructors.
#include <event2/event.h>
#include <gtest/gtest.h>

#include <coroutine>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "base/event_loop.h"
#include "base/sleep.h"
#include "base/task.h"
#include "support/loop_runner.h"

namespace polis {
namespace {

using namespace std::chrono_literals;
using polis::testing::runFor;

// A coroutine the test owns and may destroy while it is suspended.
struct Owned {
  struct promise_type {
    Owned get_return_object() { return Owned{std::coroutine_handle<promise_type>::from_promise(*this)}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
  explicit Owned(std::coroutine_handle<promise_type> h) : handle(h) {}
  Owned(Owned&& o) noexcept : handle(std::exchange(o.handle, {})) {}
  ~Owned() { destroy(); }
  void destroy() {
    if (handle) std::exchange(handle, {}).destroy();
  }
  std::coroutine_handle<promise_type> handle;
};

// Runs `fn` when destroyed: shows that a frame's locals were destroyed.
struct OnDestroy {
  std::function<void()> fn;
  ~OnDestroy() {
    if (fn) fn();
  }
};

// Events armed in the loop's base now (timers; the loop's wakeup is only ever
// activated). libevent counts an active event as added too, so subtract those:
// a cancel posts an empty task, which activates the wakeup.
int addedEvents(EventLoop& loop) {
  return event_base_get_num_events(loop.base(), EVENT_BASE_COUNT_ADDED) -
         event_base_get_num_events(loop.base(), EVENT_BASE_COUNT_ACTIVE);
}

Owned sleeper(EventLoop& loop, EventLoop::Duration d, bool* resumed, bool* local_destroyed) {
  OnDestroy local{[local_destroyed] { *local_destroyed = true; }};
  co_await sleepFor(loop, d);
  *resumed = true;
}

TEST(SleepCancel, DestroyingASuspendedSleeperCancelsItsTimer) {
  EventLoop loop;
  int baseline = addedEvents(loop);
  bool resumed = false, local_destroyed = false;
  Owned co = sleeper(loop, 20ms, &resumed, &local_destroyed);
  EXPECT_EQ(addedEvents(loop), baseline + 1) << "the sleep did not add its timer";
  co.destroy();
  EXPECT_TRUE(local_destroyed);
  EXPECT_EQ(addedEvents(loop), baseline) << "destroying the sleeper left its timer armed";
  runFor(loop, 60ms);  // well past the sleep's deadline
  EXPECT_FALSE(resumed) << "a destroyed coroutine was resumed";
}

TEST(SleepCancel, UndisturbedSleeperStillResumes) {
  EventLoop loop;
  bool resumed = false, local_destroyed = false;
  Owned co = sleeper(loop, 5ms, &resumed, &local_destroyed);
  ASSERT_TRUE(polis::testing::runUntil(loop, [&] { return resumed; }));
  EXPECT_TRUE(local_destroyed);  // the body ran to its end
}

// The sleep two frames down: destroying the outer coroutine destroys the Task
// it awaits, whose frame holds the sleep.
Task<void> innerSleep(EventLoop& loop, bool* resumed) {
  co_await sleepFor(loop, 20ms);
  *resumed = true;
}

Owned outerAwaiting(EventLoop& loop, bool* inner_resumed, bool* outer_resumed) {
  co_await innerSleep(loop, inner_resumed);
  *outer_resumed = true;
}

TEST(SleepCancel, DestroyingTheOuterCoroutineCancelsANestedSleep) {
  EventLoop loop;
  int baseline = addedEvents(loop);
  bool inner = false, outer = false;
  Owned co = outerAwaiting(loop, &inner, &outer);
  EXPECT_EQ(addedEvents(loop), baseline + 1);
  co.destroy();
  EXPECT_EQ(addedEvents(loop), baseline);
  runFor(loop, 60ms);
  EXPECT_FALSE(inner);
  EXPECT_FALSE(outer);
}

Task<void> detachedSleeper(EventLoop& loop, bool* resumed, bool* local_destroyed) {
  OnDestroy local{[local_destroyed] { *local_destroyed = true; }};
  co_await sleepFor(loop, 1s);
  *resumed = true;
}

TEST(DetachedCancel, CancelDestroysASuspendedDetachedCoroutine) {
  EventLoop loop;
  ASSERT_EQ(detachedTaskCount(), 0u) << "an earlier test left a detached coroutine behind";
  int baseline = addedEvents(loop);
  bool resumed = false, local_destroyed = false;
  spawn(detachedSleeper(loop, &resumed, &local_destroyed));
  EXPECT_EQ(detachedTaskCount(), 1u);
  EXPECT_FALSE(local_destroyed);
  EXPECT_EQ(cancelDetachedTasks(), 1u);
  EXPECT_TRUE(local_destroyed) << "the frame's locals were not destroyed";
  EXPECT_EQ(detachedTaskCount(), 0u);
  EXPECT_EQ(addedEvents(loop), baseline) << "the cancelled coroutine's sleep timer is still armed";
  runFor(loop, 30ms);
  EXPECT_FALSE(resumed);
  EXPECT_EQ(cancelDetachedTasks(), 0u) << "nothing is left to cancel";
}

TEST(DetachedCancel, FinishedDetachedCoroutinesLeaveTheList) {
  EventLoop loop;
  ASSERT_EQ(detachedTaskCount(), 0u);
  bool done = false;
  spawn([](EventLoop& l, bool* d) -> Task<void> {
    co_await sleepFor(l, 1ms);
    *d = true;
  }(loop, &done));
  EXPECT_EQ(detachedTaskCount(), 1u);
  ASSERT_TRUE(polis::testing::runUntil(loop, [&] { return done; }));
  EXPECT_EQ(detachedTaskCount(), 0u);
  EXPECT_EQ(cancelDetachedTasks(), 0u);
}

// A coroutine whose teardown starts another one (a destructor that spawns
// cleanup work): cancelDetachedTasks() must take that one too, and must not
// walk a list that changed under it.
Task<void> spawnsWhenDestroyed(EventLoop& loop, std::vector<int>* destroyed) {
  OnDestroy local{[&loop, destroyed] {
    destroyed->push_back(1);
    spawn([](EventLoop& l, std::vector<int>* d) -> Task<void> {
      OnDestroy inner{[d] { d->push_back(2); }};
      co_await sleepFor(l, 1s);
    }(loop, destroyed));
  }};
  co_await sleepFor(loop, 1s);
}

TEST(DetachedCancel, CoroutinesStartedDuringTheCancelAreCancelledToo) {
  EventLoop loop;
  ASSERT_EQ(detachedTaskCount(), 0u);
  int baseline = addedEvents(loop);
  std::vector<int> destroyed;
  bool other_resumed = false, other_destroyed = false;
  spawn(detachedSleeper(loop, &other_resumed, &other_destroyed));
  spawn(spawnsWhenDestroyed(loop, &destroyed));
  EXPECT_EQ(detachedTaskCount(), 2u);
  EXPECT_EQ(cancelDetachedTasks(), 3u);
  EXPECT_EQ(destroyed, (std::vector<int>{1, 2}));
  EXPECT_TRUE(other_destroyed);
  EXPECT_EQ(detachedTaskCount(), 0u);
  EXPECT_EQ(addedEvents(loop), baseline);
  runFor(loop, 20ms);
  EXPECT_FALSE(other_resumed);
}

}  // namespace
}  // namespace polis
