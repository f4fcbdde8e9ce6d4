#include "rpc/auth_throttle.h"

#include <algorithm>

namespace polis::rpc {

void AuthThrottle::refill(Bucket& b, Clock::time_point now) const {
  double earned = std::chrono::duration<double>(now - b.updated) / std::chrono::duration<double>(kRefill);
  b.tokens = std::min(kBurst, b.tokens + std::max(0.0, earned));
  b.updated = now;
}

// Forgets full buckets (they hold nothing a fresh one would not); if the
// table is still full, the stalest entry goes.
void AuthThrottle::prune(Clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now);
    it = it->second.tokens >= kBurst ? buckets_.erase(it) : std::next(it);
  }
  if (buckets_.size() < kMaxAddresses) return;
  auto stalest = std::min_element(buckets_.begin(), buckets_.end(),
                                  [](const auto& a, const auto& b) { return a.second.updated < b.second.updated; });
  buckets_.erase(stalest);
}

void AuthThrottle::recordFailure(const std::string& address) {
  auto now = now_();
  auto it = buckets_.find(address);
  if (it == buckets_.end()) {
    if (buckets_.size() >= kMaxAddresses) prune(now);
    it = buckets_.emplace(address, Bucket{kBurst, now}).first;
  }
  refill(it->second, now);
  it->second.tokens = std::max(0.0, it->second.tokens - 1);
}

bool AuthThrottle::allowed(const std::string& address) {
  auto it = buckets_.find(address);
  if (it == buckets_.end()) return true;
  refill(it->second, now_());
  return it->second.tokens >= 1;
}

}  // namespace polis::rpc
