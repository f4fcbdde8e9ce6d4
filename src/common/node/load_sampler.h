// LoadSampler: the load a node reports in each heartbeat.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "polis/registry.pb.h"

namespace polis {

class LoadSampler {
 public:
  void setPlayerCount(std::function<uint32_t()> players) { players_ = std::move(players); }
  // CPU is this process's share of one core since the previous sample (0..N cores).
  NodeLoad sample();

 private:
  std::function<uint32_t()> players_;
  double last_cpu_seconds_ = 0;
  std::chrono::steady_clock::time_point last_wall_{};
};

}  // namespace polis
