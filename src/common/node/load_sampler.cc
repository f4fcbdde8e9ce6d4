#include "node/load_sampler.h"

#include <sys/resource.h>

#include "net/net_metrics.h"

namespace polis {
namespace {

double processCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

}  // namespace

NodeLoad LoadSampler::sample() {
  NodeLoad load;
  load.set_connections(static_cast<uint32_t>(net::netMetrics().connections.value()));
  load.set_players(players_ ? players_() : 0);
  auto now = std::chrono::steady_clock::now();
  double cpu = processCpuSeconds();
  if (last_wall_.time_since_epoch().count() != 0) {
    double wall = std::chrono::duration<double>(now - last_wall_).count();
    if (wall > 0) load.set_cpu(static_cast<float>((cpu - last_cpu_seconds_) / wall));
  }
  last_wall_ = now;
  last_cpu_seconds_ = cpu;
  return load;
}

}  // namespace polis
