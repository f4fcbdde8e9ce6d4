#include "host/lua/lua_metrics.h"

namespace polis::lua {

LuaMetrics& LuaMetrics::get() {
  static LuaMetrics m = [] {
    auto& r = metrics::Registry::global();
    const char* failed_help = "Lua runs (handler calls, commands, timers, drain hooks) that failed, by reason.";
    const char* reloads_help = "Lua reloads, by result (refused: nothing changed).";
    return LuaMetrics{
        r.counter("polis_lua_failed_runs_total", failed_help, {{"reason", "error"}}),
        r.counter("polis_lua_failed_runs_total", failed_help, {{"reason", "instruction_limit"}}),
        r.counter("polis_lua_failed_runs_total", failed_help, {{"reason", "memory_limit"}}),
        r.counter("polis_lua_reloads_total", reloads_help, {{"result", "ok"}}),
        r.counter("polis_lua_reloads_total", reloads_help, {{"result", "refused"}}),
    };
  }();
  return m;
}

}  // namespace polis::lua
