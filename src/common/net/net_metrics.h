// Process-wide transport counters, shared by every connection of every loop.
#pragma once

#include <string_view>

#include "base/metrics.h"

namespace polis::net {

struct NetMetrics {
  metrics::Gauge& connections;
  metrics::Counter& connections_total;
  metrics::Counter& bytes_in;
  metrics::Counter& bytes_out;
  metrics::Counter& frames_in;
  metrics::Counter& frames_out;
  metrics::Counter& slow_consumer_closes;
  // Counts a rejected frame (and the connection closed for it) by reason.
  void rejected(std::string_view reason);
};

NetMetrics& netMetrics();

}  // namespace polis::net
