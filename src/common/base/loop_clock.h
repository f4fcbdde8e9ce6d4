// The steady clock as of the start of the current event callback. Reading the
// clock per RPC (twice per call: start and finish) was a measurable share of
// a call's cost; the event loop and the connection read path refresh this
// once per callback instead, and per-call code (deadlines, latency metrics)
// reads the cached value. It lags the true time by at most the run time of
// the callback in progress.
// Threads: one cached value per thread (each event loop has its own thread).
#pragma once

#include <chrono>

namespace polis::loop_clock {

using Clock = std::chrono::steady_clock;

namespace detail {
inline thread_local Clock::time_point cached{};
}

// Reads the clock and caches it for this thread.
inline Clock::time_point refresh() { return detail::cached = Clock::now(); }
// The cached time; reads the clock only the first time on a thread.
inline Clock::time_point now() {
  if (detail::cached == Clock::time_point{}) return refresh();
  return detail::cached;
}

}  // namespace polis::loop_clock
