// The lua.* config keys (docs/configuration.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "base/config.h"
#include "host/lua/lua_vm.h"

namespace polis::lua {

struct LuaConfig {
  std::string scripts;  // the scripts folder; empty: no Lua host
  Limits limits;
  std::chrono::milliseconds call_timeout{5000};
  bool watch = false;   // reload when a file in the folder changes (development)
  std::string descriptor_set;
  std::map<std::string, std::string> settings;  // lua.settings.<key>, for config.get
};

// Problems are recorded in `reader` (reader.finish() reports them).
LuaConfig readLuaConfig(ConfigReader& reader);

}  // namespace polis::lua
