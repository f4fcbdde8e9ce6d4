// RPC counters: per method (calls by result, latency) and per process
// (in-flight calls, late replies, failed handshakes).
#pragma once

#include <atomic>
#include <cstdint>

#include "base/metrics.h"
#include "base/result.h"
#include "rpc/method.h"

namespace polis::rpc {

// Figures for one method on one side; lives as long as the process.
struct MethodStats {
  metrics::Counter& ok;
  metrics::Counter& failed;
  metrics::Histogram& latency;
  void record(bool success, double seconds) {
    (success ? ok : failed).inc();
    latency.observe(seconds);
  }
};
// Resolved once per method id and side; later lookups take no lock.
MethodStats& serverStats(const MethodInfo& info);
MethodStats& clientStats(const MethodInfo& info);

struct RpcMetrics {
  metrics::Counter& late_replies;      // reply for a call that timed out or whose caller left
  metrics::Counter& dropped_replies;   // reply a handler produced after its channel closed
  metrics::Counter& unknown_methods;
  metrics::Counter& auth_failures;
  metrics::Counter& auth_throttled;    // connections refused at accept: their address failed the proof too often
  metrics::Counter& timeouts;
  metrics::Counter& read_pauses;       // a channel hit its in-flight cap and stopped reading
};
RpcMetrics& rpcMetrics();

}  // namespace polis::rpc
