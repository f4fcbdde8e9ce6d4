#include "rpc/rpc_metrics.h"

#include <mutex>
#include <string>
#include <unordered_map>

namespace polis::rpc {
namespace {

MethodStats makeStats(const MethodInfo& info, const char* side) {
  auto& r = metrics::Registry::global();
  std::string method(info.name);
  std::string calls = std::string("polis_rpc_") + side + "_calls_total";
  std::string latency = std::string("polis_rpc_") + side + "_latency_seconds";
  return MethodStats{
      r.counter(calls, "RPC calls by method and result.", {{"method", method}, {"result", "ok"}}),
      r.counter(calls, "RPC calls by method and result.", {{"method", method}, {"result", "error"}}),
      r.histogram(latency, "RPC latency by method.", {{"method", method}}),
  };
}

MethodStats& statsFor(const MethodInfo& info, const char* side) {
  static std::mutex mutex;
  static std::unordered_map<std::string, std::unique_ptr<MethodStats>> by_key;
  std::string key = std::string(side) + "/" + std::to_string(info.id);
  std::lock_guard lock(mutex);
  auto& slot = by_key[key];
  if (!slot) slot = std::make_unique<MethodStats>(makeStats(info, side));
  return *slot;
}

}  // namespace

MethodStats& serverStats(const MethodInfo& info) { return statsFor(info, "server"); }
MethodStats& clientStats(const MethodInfo& info) { return statsFor(info, "client"); }

RpcMetrics& rpcMetrics() {
  auto& r = metrics::Registry::global();
  static RpcMetrics m{
      r.counter("polis_rpc_late_replies_total", "Replies that arrived after their call timed out or was abandoned."),
      r.counter("polis_rpc_dropped_replies_total", "Replies not sent because the caller's connection had closed."),
      r.counter("polis_rpc_unknown_methods_total", "Requests for a message id with no handler."),
      r.counter("polis_rpc_auth_failures_total", "Peers refused for failing the cluster-secret proof."),
      r.counter("polis_rpc_timeouts_total", "Calls that timed out waiting for a reply."),
  };
  static bool gauge_registered = [&] {
    r.callbackGauge("polis_rpc_inflight_calls", "Requests being served now.", {},
                    [] { return static_cast<double>(inflightCalls().load()); });
    return true;
  }();
  (void)gauge_registered;
  return m;
}

std::atomic<int64_t>& inflightCalls() {
  static std::atomic<int64_t> n{0};
  return n;
}

}  // namespace polis::rpc
