// AuthThrottle: how often each source address may fail the cluster-secret
// proof. Every address has a bucket of kBurst tokens refilled at one per
// kRefill; a failure takes a token, and while an address has none its new
// connections are closed at accept, before any handshake work or log line.
// A misconfigured node retrying every few seconds never runs dry; a peer
// hammering the port is cut to one attempt per kRefill. (Nodes sharing the
// hammering peer's address wait with it: the address is what is known.)
// Threads: loop-thread only. The table is bounded (kMaxAddresses).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <unordered_map>

namespace polis::rpc {

class AuthThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr double kBurst = 10;
  static constexpr std::chrono::milliseconds kRefill{1000};
  static constexpr size_t kMaxAddresses = 4096;

  explicit AuthThrottle(std::function<Clock::time_point()> now = Clock::now) : now_(std::move(now)) {}

  void recordFailure(const std::string& address);
  // False while `address` has no tokens left.
  bool allowed(const std::string& address);

 private:
  struct Bucket {
    double tokens = kBurst;
    Clock::time_point updated;
  };
  void refill(Bucket& b, Clock::time_point now) const;
  void prune(Clock::time_point now);

  std::function<Clock::time_point()> now_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace polis::rpc
