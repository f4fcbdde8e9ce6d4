#include "rpc/auth_throttle.h"

#include <algorithm>

namespace polis::rpc {

void AuthThrottle::refill(Bucket& b, Clock::time_point now) const {
  double earned = std::chrono::duration<double>(now - b.updated) / std::chrono::duration<double>(kRefill);
  b.tokens = std::min(kBurst, b.tokens + std::max(0.0, earned));
  b.updated = now;
}

// Forgets full buckets (they hold nothing a fresh one would not); if the
// table is still full, the entry that failed longest ago goes. (Refilling
// here would stamp every entry with `now` and hide which is stalest.)
void AuthThrottle::prune(Clock::time_point now) {
  auto stalest = buckets_.end();
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    Bucket probe = it->second;
    refill(probe, now);
    if (probe.tokens >= kBurst) {
      it = buckets_.erase(it);
      continue;
    }
    if (stalest == buckets_.end() || it->second.updated < stalest->second.updated) stalest = it;
    ++it;
  }
  if (buckets_.size() >= kMaxAddresses && stalest != buckets_.end()) buckets_.erase(stalest);
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
