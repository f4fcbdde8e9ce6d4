// The settings every node shares (node.*, cluster.*, log.*, net.*, rpc.*).
// A role reads its own section from the same ConfigReader afterwards.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/config.h"
#include "base/log.h"

namespace polis {

struct Endpoint {
  std::string host;
  uint16_t port = 0;
  std::string str() const { return host + ":" + std::to_string(port); }
};

struct NodeConfig {
  std::string role;
  std::string name;               // unique in the cluster, e.g. "lobby-1"
  std::string host = "127.0.0.1";  // bound and advertised (numeric IP)
  uint16_t rpc_port = 0;          // node-to-node listener; 0 = any free port
  uint16_t ops_port = 0;          // /healthz /readyz /metrics; 0 = any free port
  uint32_t weight = 100;          // load-balancing weight
  std::vector<Endpoint> centers;  // every center this node registers with
  std::string secret;             // the cluster secret
  std::chrono::milliseconds heartbeat{1000};
  std::chrono::milliseconds drain_timeout{10000};
  std::chrono::milliseconds rpc_timeout{5000};
  size_t max_frame_bytes = 16u << 20;
  size_t high_water_bytes = 64u << 20;
  std::string log_level = "info";
  log::Format log_format = log::Format::kAuto;
};

// Reads the shared keys. `needs_centers`: false for the center role itself.
// Problems are recorded in `reader`; call reader.finish() after the role's keys.
NodeConfig readNodeConfig(ConfigReader& reader, const std::string& role, bool needs_centers);

// Parses "host:port" (numeric host). Returns false when malformed.
bool parseEndpoint(const std::string& text, Endpoint& out);

}  // namespace polis
