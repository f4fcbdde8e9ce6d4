// co_await sleepFor(loop, 20ms): resumes the coroutine on `loop` after the delay.
// Cancellable: destroying the suspended coroutine (cancelDetachedTasks, or
// the Task that owns it) cancels the timer, so it never resumes a dead frame.
#pragma once

#include <coroutine>

#include "base/event_loop.h"

namespace polis {

class SleepFor {
 public:
  SleepFor(EventLoop& loop, EventLoop::Duration delay) : loop_(loop), delay_(delay) {}
  SleepFor(const SleepFor&) = delete;
  SleepFor& operator=(const SleepFor&) = delete;
  ~SleepFor() {
    if (timer_) loop_.cancel(timer_);
  }

  bool await_ready() const noexcept { return false; }
  // The awaiter lives in the suspended coroutine's frame, so `this` is stable.
  void await_suspend(std::coroutine_handle<> h) {
    timer_ = loop_.runAfter(delay_, [this, h] {
      timer_ = 0;
      h.resume();
    });
  }
  void await_resume() const noexcept {}

 private:
  EventLoop& loop_;
  EventLoop::Duration delay_;
  TimerId timer_ = 0;
};

inline SleepFor sleepFor(EventLoop& loop, EventLoop::Duration delay) { return SleepFor(loop, delay); }

}  // namespace polis
