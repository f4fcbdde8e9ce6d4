// The Lua host's process-wide metrics (docs/lua.md): runs that failed and
// why, reloads and their outcome. The VM's memory is a callback gauge the
// host registers itself (polis_lua_memory_bytes).
#pragma once

#include "base/metrics.h"

namespace polis::lua {

struct LuaMetrics {
  metrics::Counter& failed_error;         // a Lua error (or a typed error raised)
  metrics::Counter& failed_instructions;  // stopped by lua.instruction_limit
  metrics::Counter& failed_memory;        // stopped by lua.memory_limit
  metrics::Counter& reloads_ok;
  metrics::Counter& reloads_refused;

  static LuaMetrics& get();
};

}  // namespace polis::lua
