#pragma once

#include <chrono>
#include <cstdint>

namespace polis::rpc {

struct CallOptions {
  std::chrono::milliseconds timeout{0};  // 0: the channel's default (rpc.timeout_ms)
  uint64_t route_key = 0;                // player id for player-scoped calls
};

}  // namespace polis::rpc
