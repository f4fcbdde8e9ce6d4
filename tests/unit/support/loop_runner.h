// Drives a real EventLoop on the test thread for a bounded time, so a test
// that waits for something can never hang: the loop quits when the condition
// holds or when the limit passes, whichever comes first.
#pragma once

#include <chrono>
#include <functional>

#include "base/event_loop.h"

namespace polis::testing {

inline constexpr std::chrono::milliseconds kWatchdog{5000};

// Runs `loop` until `done()` is true (polled every millisecond) or `limit`
// passes. Returns done(); callers ASSERT on it, so a timeout is a failure.
inline bool runUntil(EventLoop& loop, const std::function<bool()>& done,
                     std::chrono::milliseconds limit = kWatchdog) {
  if (done()) return true;
  bool quitting = false;
  auto stop = [&] {
    if (quitting) return;
    quitting = true;
    loop.quit();
  };
  TimerId poll = loop.runEvery(std::chrono::milliseconds(1), [&] { if (done()) stop(); });
  TimerId watchdog = loop.runAfter(limit, stop);
  loop.run();
  loop.cancel(poll);
  loop.cancel(watchdog);
  return done();
}

// Runs `loop` for `duration`: for checking that something does NOT happen.
inline void runFor(EventLoop& loop, std::chrono::milliseconds duration) {
  runUntil(loop, [] { return false; }, duration);
}

}  // namespace polis::testing
