// The settings every node shares (node.*, cluster.*, log.*, net.*, rpc.*).
// A role reads its own section from the same ConfigReader afterwards.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/config.h"
#include "base/log.h"
#include "net/endpoint.h"

namespace polis {

struct NodeConfig {
  std::string role;
  std::string name;               // unique in the cluster, e.g. "lobby-1"
  std::string host = "127.0.0.1";  // bound and advertised (numeric IP)
  uint16_t rpc_port = 0;          // node-to-node listener; 0 = any free port
  uint16_t ops_port = 0;          // /healthz /readyz /metrics; 0 = any free port
  uint32_t weight = 100;          // load-balancing weight
  std::vector<net::Endpoint> centers;  // every center this node registers with
  std::string secret;             // the cluster secret
  std::chrono::milliseconds heartbeat{1000};
  uint32_t heartbeat_misses = 3;  // intervals without an answer before a center is declared lost
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds drain_timeout{10000};
  std::chrono::milliseconds rpc_timeout{5000};
  size_t max_inflight_per_channel = 1024;
  size_t max_frame_bytes = 16u << 20;
  size_t high_water_bytes = 64u << 20;
  size_t max_unauthenticated = 256;  // per listener: accepted connections still in the handshake
  std::chrono::milliseconds dead_peer_timeout{10000};  // TCP keepalive + user timeout on node links
  std::string log_level = "info";
  log::Format log_format = log::Format::kAuto;
};

// Reads the shared keys. `needs_centers`: false for the center role itself.
// Problems are recorded in `reader`; call reader.finish() after the role's keys.
NodeConfig readNodeConfig(ConfigReader& reader, const std::string& role, bool needs_centers);

}  // namespace polis
