#include "node/node_config.h"

#include <charconv>

namespace polis {

bool parseEndpoint(const std::string& text, Endpoint& out) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  unsigned port = 0;
  const char* begin = text.data() + colon + 1;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, port);
  if (ec != std::errc() || ptr != end || port == 0 || port > 65535) return false;
  out.host = text.substr(0, colon);
  out.port = static_cast<uint16_t>(port);
  return true;
}

NodeConfig readNodeConfig(ConfigReader& r, const std::string& role, bool needs_centers) {
  using std::chrono::milliseconds;
  NodeConfig c;
  c.role = role;
  c.name = r.str("node.name", role + "-1");
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
    Endpoint e;
    if (parseEndpoint(text, e)) {
      c.centers.push_back(e);
    } else {
      r.reject("cluster.centers", "a list of numeric host:port", "\"" + text + "\"");
    }
  }
  c.heartbeat = r.millis("cluster.heartbeat", milliseconds(1000), milliseconds(50), milliseconds(60000));
  c.drain_timeout = r.millis("node.drain_timeout", milliseconds(10000), milliseconds(0), milliseconds(600000));
  c.rpc_timeout = r.millis("rpc.timeout", milliseconds(5000), milliseconds(1), milliseconds(600000));
  c.max_frame_bytes = static_cast<size_t>(r.integer("net.max_frame_bytes", 16 << 20, 64, 1 << 30));
  c.high_water_bytes = static_cast<size_t>(r.integer("net.high_water_bytes", 64 << 20, 4096, int64_t{1} << 34));
  c.log_level = r.oneOf("log.level", "info", {"trace", "debug", "info", "warn", "error", "critical", "off"});
  log::parseFormat(r.oneOf("log.format", "auto", {"auto", "human", "json"}), c.log_format);
  return c;
}

}  // namespace polis
