#include "host/game_code.h"

#include <memory>

#include "host/lua/lua_host.h"
#include "host/plugin_host.h"

namespace polis::host {

RoleSpec withGameCode(RoleSpec spec) {
  auto plugins = std::make_shared<PluginsConfig>();
  spec.read_config = [read = std::move(spec.read_config), plugins](ConfigReader& r) {
    if (read) read(r);
    *plugins = readPluginsConfig(r);
  };
  spec.setup = [setup = std::move(spec.setup), plugins](Node& node) -> Result<void> {
    if (setup) {
      if (auto ok = setup(node); !ok) return ok;
    }
    if (!plugins->plugins.empty()) {
      auto& host = node.adopt(std::make_unique<PluginHost>(node, *plugins));
      if (auto ok = host.start(); !ok) return ok;
    }
    return {};
  };
  lua::attachLua(spec);
  return spec;
}

}  // namespace polis::host
