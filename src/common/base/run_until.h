// Drives a real EventLoop on the calling thread for a bounded time, for code
// that waits for something and must never hang (tests, command-line tools):
// the loop quits when the condition holds or when the limit passes,
// whichever comes first.
#pragma once

#include <chrono>
#include <functional>

#include "base/event_loop.h"

namespace polis {

// Runs `loop` until `done()` is true (polled every millisecond) or `limit`
// passes. Returns done().
inline bool runLoopUntil(EventLoop& loop, const std::function<bool()>& done, std::chrono::milliseconds limit) {
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

}  // namespace polis
