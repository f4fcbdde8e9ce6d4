// The API scripts see, besides the safe standard library (docs/lua.md):
//   log.debug/info/warn/error(...), print(...)          the node's log
//   config.get(key [, default])                          lua.settings.<key>
//   rpc.call(role, "Service.Method", request [, {timeout=s, route_key=n}])
//                                                        -> reply | nil, err  (yields)
//   timer.after(seconds, fn), timer.every(seconds, fn) -> id; timer.cancel(id)
//   polis.service(name) -> table of handlers; polis.command{name=, help=, args=, run=};
//   polis.on_drain(fn); polis.error(code, message); polis.now_ms(); polis.node.{name, role}
// Each function is a C function with the ApiContext as upvalue; each keeps
// C++ objects out of the frames a Lua error can unwind (lua_vm.h).
#pragma once

#include <map>
#include <string>

struct lua_State;

namespace polis::lua {

class Descriptors;
class Modules;
class Runner;
class Timers;

struct ApiContext {
  Runner* runner = nullptr;
  Modules* modules = nullptr;
  Timers* timers = nullptr;
  Descriptors* descriptors = nullptr;
  std::map<std::string, std::string> settings;  // lua.settings.* as written in the config
  std::string node_name;
  std::string role;
  std::string error;  // scratch for messages an API function raises (outlives its frame)
};

// Adds the API tables to the safe globals. Raises: call under protection,
// after openSandbox. `context` must outlive the VM's use of the API.
void openApi(lua_State* L, ApiContext* context);

// Parts of openApi, one per file.
void openLog(lua_State* L);
void openConfig(lua_State* L, ApiContext* context);
void openRpc(lua_State* L, ApiContext* context);
void openTimers(lua_State* L, ApiContext* context);
void openDeclarations(lua_State* L, ApiContext* context);  // the polis table

// Pushes a table of `functions` (null-terminated), each with `context` as upvalue.
void pushApiTable(lua_State* L, const struct luaL_Reg* functions, ApiContext* context);
// The context of an API function (its first upvalue).
ApiContext& apiContext(lua_State* L);
// "guestbook.lua:12": where the calling script is.
std::string scriptWhere(lua_State* L);

}  // namespace polis::lua
