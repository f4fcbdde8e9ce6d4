#include "host/lua/lua_config.h"

#ifndef POLIS_DESCRIPTOR_SET
#error "POLIS_DESCRIPTOR_SET (the build's descriptor set) must be defined by the build"
#endif

namespace polis::lua {

LuaConfig readLuaConfig(ConfigReader& reader) {
  LuaConfig c;
  c.scripts = reader.str("lua.scripts", "");
  c.limits.memory = static_cast<size_t>(reader.integer("lua.memory_limit", 64 << 20, 1 << 20, int64_t{1} << 40));
  c.limits.instructions =
      static_cast<uint64_t>(reader.integer("lua.instruction_limit", 10'000'000, 1000, int64_t{1} << 50));
  c.call_timeout = reader.millis("lua.call_timeout", std::chrono::seconds(5), std::chrono::milliseconds(1),
                                 std::chrono::hours(1));
  c.watch = reader.boolean("lua.watch", false);
  c.descriptor_set = reader.str("lua.descriptor_set", POLIS_DESCRIPTOR_SET);
  c.settings = reader.section("lua.settings");
  return c;
}

}  // namespace polis::lua
