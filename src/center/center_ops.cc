#include "center/center_ops.h"

#include <nlohmann/json.hpp>

#include "node/membership.h"

namespace polis::center {

nlohmann::json membersJson(const RegistryService& service, const std::string& center_name) {
  const Registry& registry = service.registry();
  auto snap = registry.snapshot();
  auto now = Registry::Clock::now();
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& n : snap.nodes()) {
    auto j = nodeInfoJson(n);
    j["last_heartbeat_ms_ago"] =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - registry.lastSeen(n.name())).count();
    nodes.push_back(std::move(j));
  }
  return {{"center", center_name}, {"incarnation", snap.incarnation()}, {"epoch", snap.epoch()}, {"nodes", nodes}};
}

}  // namespace polis::center
