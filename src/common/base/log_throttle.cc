#include "base/log_throttle.h"

#include <fmt/format.h>

#include <map>
#include <mutex>

namespace polis::log {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxKeys = 4096;

struct Entry {
  Clock::time_point window_start;
  uint64_t suppressed = 0;
};

struct Table {
  std::mutex mutex;
  std::map<std::string, Entry, std::less<>> entries;
};

Table& table() {
  static Table* t = new Table;  // never destroyed: usable from static destructors
  return *t;
}

// Drops the keys whose window ended longest ago (a bounded table under a flood
// of distinct keys, e.g. many source addresses).
void evictOldest(std::map<std::string, Entry, std::less<>>& entries) {
  auto oldest = entries.begin();
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if (it->second.window_start < oldest->second.window_start) oldest = it;
  }
  entries.erase(oldest);
}

}  // namespace

std::optional<std::string> throttle(std::string_view key) {
  auto now = Clock::now();
  Table& t = table();
  std::lock_guard lock(t.mutex);
  auto it = t.entries.find(key);
  if (it == t.entries.end()) {
    if (t.entries.size() >= kMaxKeys) evictOldest(t.entries);
    t.entries.emplace(std::string(key), Entry{now, 0});
    return std::string();
  }
  Entry& e = it->second;
  if (now - e.window_start < kThrottleInterval) {
    ++e.suppressed;
    return std::nullopt;
  }
  std::string note = e.suppressed == 0
                         ? std::string()
                         : fmt::format(" (and {} more like it in the last {} s)", e.suppressed,
                                       std::chrono::duration_cast<std::chrono::seconds>(now - e.window_start).count());
  e = Entry{now, 0};
  return note;
}

void resetThrottle() {
  Table& t = table();
  std::lock_guard lock(t.mutex);
  t.entries.clear();
}

}  // namespace polis::log
