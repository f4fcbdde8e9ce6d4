// co_await sleepFor(loop, 20ms): resumes the coroutine on `loop` after the delay.
#pragma once

#include <coroutine>

#include "base/event_loop.h"

namespace polis {

struct SleepFor {
  EventLoop& loop;
  EventLoop::Duration delay;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) { loop.runAfter(delay, [h] { h.resume(); }); }
  void await_resume() const noexcept {}
};

inline SleepFor sleepFor(EventLoop& loop, EventLoop::Duration delay) { return SleepFor{loop, delay}; }

}  // namespace polis
