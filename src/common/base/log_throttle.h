// Rate-limited warnings for anything a peer can trigger (refused connections,
// failed accepts, bad frames): at most one line per key per interval; the
// next line that gets through says how many were suppressed in between.
// Without it a hostile or broken peer can write the log at any rate.
//
//   if (auto note = log::throttle("accept " + where)) log::warn("accept failed on {}: {}{}", where, why, *note);
//
// Threads: safe from any thread (one process-wide table behind a mutex; the
// table holds at most a few thousand keys and forgets the oldest).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace polis::log {

inline constexpr std::chrono::seconds kThrottleInterval{10};

// nullopt: suppress this line. Otherwise the suffix to append: "" or
// " (and N more like it in the last 10 s)".
std::optional<std::string> throttle(std::string_view key);

// For tests: forget every key.
void resetThrottle();

}  // namespace polis::log
