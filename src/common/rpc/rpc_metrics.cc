#include "rpc/rpc_metrics.h"

#include <array>
#include <memory>
#include <mutex>
#include <string>

namespace polis::rpc {
namespace {

MethodStats* makeStats(const MethodInfo& info, const char* side) {
  auto& r = metrics::Registry::global();
  std::string method(info.name);
  std::string calls = std::string("polis_rpc_") + side + "_calls_total";
  std::string latency = std::string("polis_rpc_") + side + "_latency_seconds";
  return new MethodStats{
      r.counter(calls, "RPC calls by method and result.", {{"method", method}, {"result", "ok"}}),
      r.counter(calls, "RPC calls by method and result.", {{"method", method}, {"result", "error"}}),
      r.histogram(latency, "RPC latency by method.", {{"method", method}}),
  };
}

// One slot per message id: the first call of a method resolves its metrics
// under the mutex, every later one is a single atomic load. Entries are never
// freed (metrics live as long as the process). 64 Ki pointers = 512 KiB of
// zero pages, touched only where ids are used.
struct StatsTable {
  std::array<std::atomic<MethodStats*>, 65536> slots{};
  std::mutex mutex;
};

MethodStats& statsFor(StatsTable& table, const MethodInfo& info, const char* side) {
  auto& slot = table.slots[info.id];
  if (MethodStats* stats = slot.load(std::memory_order_acquire)) return *stats;
  std::lock_guard lock(table.mutex);
  MethodStats* stats = slot.load(std::memory_order_relaxed);
  if (!stats) {
    stats = makeStats(info, side);
    slot.store(stats, std::memory_order_release);
  }
  return *stats;
}

}  // namespace

MethodStats& serverStats(const MethodInfo& info) {
  static auto* table = new StatsTable;
  return statsFor(*table, info, "server");
}

MethodStats& clientStats(const MethodInfo& info) {
  static auto* table = new StatsTable;
  return statsFor(*table, info, "client");
}

RpcMetrics& rpcMetrics() {
  auto& r = metrics::Registry::global();
  static RpcMetrics m{
      r.counter("polis_rpc_late_replies_total", "Replies that arrived after their call timed out or was abandoned."),
      r.counter("polis_rpc_dropped_replies_total", "Replies not sent because the caller's connection had closed."),
      r.counter("polis_rpc_unknown_methods_total", "Requests for a message id with no handler."),
      r.counter("polis_rpc_auth_failures_total", "Peers refused for failing the cluster-secret proof."),
      r.counter("polis_rpc_auth_throttled_total",
                "Connections refused at accept because their address failed the proof too often."),
      r.counter("polis_rpc_timeouts_total", "Calls that timed out waiting for a reply."),
      r.counter("polis_rpc_read_pauses_total",
                "Times a channel stopped reading because its peer had too many requests in flight."),
  };
  return m;
}

}  // namespace polis::rpc
