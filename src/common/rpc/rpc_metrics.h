// RPC counters: per method (calls by result, latency) and per process
// (in-flight calls, late replies, failed handshakes).
#pragma once

#include <atomic>
#include <cstdint>

#include "base/metrics.h"
#include "base/result.h"
#include "rpc/method.h"

namespace polis::rpc {

// Server-side figures for one method; lives as long as the process.
struct MethodStats {
  metrics::Counter& ok;
  metrics::Counter& failed;
  metrics::Histogram& latency;
  void record(bool success, double seconds) {
    (success ? ok : failed).inc();
    latency.observe(seconds);
  }
};
MethodStats& serverStats(const MethodInfo& info);
// Client-side figures, looked up by method id (cached).
MethodStats& clientStats(const MethodInfo& info);

struct RpcMetrics {
  metrics::Counter& late_replies;      // reply for a call that timed out or whose caller left
  metrics::Counter& dropped_replies;   // reply a handler produced after its channel closed
  metrics::Counter& unknown_methods;
  metrics::Counter& auth_failures;
  metrics::Counter& timeouts;
};
RpcMetrics& rpcMetrics();

// Requests dispatched on this process and not yet answered (all loops).
std::atomic<int64_t>& inflightCalls();

}  // namespace polis::rpc
