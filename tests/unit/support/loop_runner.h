// Bounded loop runs for tests (base/run_until.h): a test that waits for
// something can never hang; callers ASSERT on the result, so a timeout is a
// failure.
#pragma once

#include <chrono>
#include <functional>

#include "base/run_until.h"

namespace polis::testing {

inline constexpr std::chrono::milliseconds kWatchdog{5000};

inline bool runUntil(EventLoop& loop, const std::function<bool()>& done, std::chrono::milliseconds limit = kWatchdog) {
  return polis::runLoopUntil(loop, done, limit);
}

// Runs `loop` for `duration`: for checking that something does NOT happen.
inline void runFor(EventLoop& loop, std::chrono::milliseconds duration) {
  polis::runLoopUntil(loop, [] { return false; }, duration);
}

}  // namespace polis::testing
