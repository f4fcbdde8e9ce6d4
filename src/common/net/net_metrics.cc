#include "net/net_metrics.h"

#include <string>

namespace polis::net {

NetMetrics& netMetrics() {
  auto& r = metrics::Registry::global();
  static NetMetrics m{
      r.gauge("polis_net_connections", "Open TCP connections (inter-node and client)."),
      r.counter("polis_net_connections_total", "TCP connections opened."),
      r.counter("polis_net_bytes_in_total", "Bytes read from sockets."),
      r.counter("polis_net_bytes_out_total", "Bytes written to sockets."),
      r.counter("polis_net_frames_in_total", "Frames decoded."),
      r.counter("polis_net_frames_out_total", "Frames encoded."),
      r.counter("polis_net_slow_consumer_closes_total",
                "Connections closed because their output passed the high-water mark."),
  };
  return m;
}

void NetMetrics::rejected(std::string_view reason) {
  metrics::Registry::global()
      .counter("polis_net_frames_rejected_total", "Frames rejected as malformed; each closed its connection.",
               {{"reason", std::string(reason)}})
      .inc();
}

}  // namespace polis::net
