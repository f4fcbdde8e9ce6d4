#include "node/node_config.h"

#include <cctype>

namespace polis {
namespace {

// Node names go into logs, metrics labels and the handshake (rpc::kMaxNodeName).
bool validName(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (unsigned char c : name) {
    if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

}  // namespace

NodeConfig readNodeConfig(ConfigReader& r, const std::string& role, bool needs_centers) {
  using std::chrono::milliseconds;
  NodeConfig c;
  c.role = role;
  c.name = r.str("node.name", role + "-1");
  if (!validName(c.name)) r.reject("node.name", "1..128 letters, digits, '-', '_' or '.'", "\"" + c.name + "\"");
  c.host = r.str("node.host", "127.0.0.1");
  c.rpc_port = r.port("node.rpc_port", 0);
  c.ops_port = r.port("node.ops_port", 0);
  c.weight = static_cast<uint32_t>(r.integer("node.weight", 100, 0, 1000000));
  c.secret = r.requiredStr("cluster.secret");
  if (!c.secret.empty() && c.secret.size() < 16) {
    r.reject("cluster.secret", "at least 16 characters", std::to_string(c.secret.size()) + " characters");
  }
  auto centers = needs_centers ? r.strList("cluster.centers", {}) : std::vector<std::string>{};
  if (needs_centers && centers.empty()) r.requiredStr("cluster.centers");
  for (const auto& text : centers) {
    if (auto e = net::parseEndpoint(text)) {
      c.centers.push_back(*e);
    } else {
      r.reject("cluster.centers", "a list of numeric host:port", "\"" + text + "\"");
    }
  }
  c.heartbeat = r.millis("cluster.heartbeat", milliseconds(1000), milliseconds(50), milliseconds(60000));
  c.heartbeat_misses = static_cast<uint32_t>(r.integer("cluster.heartbeat_misses", 3, 1, 100));
  c.connect_timeout = r.millis("cluster.connect_timeout", milliseconds(2000), milliseconds(50), milliseconds(60000));
  c.drain_timeout = r.millis("node.drain_timeout", milliseconds(10000), milliseconds(0), milliseconds(600000));
  c.rpc_timeout = r.millis("rpc.timeout", milliseconds(5000), milliseconds(1), milliseconds(600000));
  c.max_inflight_per_channel =
      static_cast<size_t>(r.integer("rpc.max_inflight_per_channel", 1024, 1, 1 << 20));
  c.max_frame_bytes = static_cast<size_t>(r.integer("net.max_frame_bytes", 16 << 20, 64, 1 << 30));
  c.high_water_bytes = static_cast<size_t>(r.integer("net.high_water_bytes", 64 << 20, 4096, int64_t{1} << 34));
  c.max_unauthenticated = static_cast<size_t>(r.integer("net.max_unauthenticated", 256, 1, 100000));
  c.dead_peer_timeout = r.millis("net.dead_peer_timeout", milliseconds(10000), milliseconds(0), milliseconds(600000));
  c.log_level = r.oneOf("log.level", "info", {"trace", "debug", "info", "warn", "error", "critical", "off"});
  log::parseFormat(r.oneOf("log.format", "auto", {"auto", "human", "json"}), c.log_format);
  return c;
}

}  // namespace polis
