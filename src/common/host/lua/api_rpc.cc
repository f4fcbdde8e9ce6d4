// rpc.call(role, "Service.Method", request [, options]) -> reply | nil, err
// Yields the handler's coroutine until the reply (or the timeout) arrives.
#include <lua.hpp>

#include <cmath>

#include "host/lua/api.h"
#include "host/lua/errors.h"
#include "host/lua/proto_codec.h"
#include "host/lua/runner.h"
#include "host/lua/sandbox.h"

namespace polis::lua {
namespace {

// Runs when the coroutine is resumed with the reply (or at once when the
// reply came before rpc.call could yield).
int callDone(lua_State* L, int, lua_KContext) {
  Runner& runner = *apiContext(L).runner;
  Invocation& inv = *Runner::invocationOf(L);
  const google::protobuf::Message* reply = runner.takeReply(inv);
  if (!reply) return pushFailure(L, inv.call_error.code, inv.call_error.message);
  pushMessage(L, *reply, &inv.scratch);
  return 1;
}

int rpcCall(lua_State* L) {
  Invocation* inv = Runner::invocationOf(L);
  if (!inv || !lua_isyieldable(L)) {
    return pushFailure(L, Errc::kInvalidArgument,
                       "rpc.call works in handlers, commands, timers and drain hooks, not while a module loads "
                       "nor in a coroutine the script made");
  }
  size_t role_len = 0, method_len = 0;
  const char* role = luaL_checklstring(L, 1, &role_len);
  const char* method = luaL_checklstring(L, 2, &method_len);
  int request = 0;
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    request = 3;
  }
  lua_Number timeout_s = 0;
  lua_Integer route_key = 0;
  if (!lua_isnoneornil(L, 4)) {
    luaL_checktype(L, 4, LUA_TTABLE);
    lua_getfield(L, 4, "timeout");
    timeout_s = luaL_optnumber(L, -1, 0);
    lua_getfield(L, 4, "route_key");
    route_key = luaL_optinteger(L, -1, 0);
    lua_pop(L, 2);
    if (!(timeout_s >= 0 && timeout_s <= 3600)) return luaL_error(L, "rpc.call: timeout must be 0..3600 seconds");
  }
  auto timeout = std::chrono::milliseconds(static_cast<int64_t>(std::ceil(timeout_s * 1000)));
  bool started = apiContext(L).runner->startCall(L, *inv, std::string(role, role_len),
                                                 std::string_view(method, method_len), request, timeout,
                                                 static_cast<uint64_t>(route_key));
  if (!started) return pushFailure(L, inv->call_error.code, inv->call_error.message);
  if (inv->reply) return callDone(L, LUA_OK, 0);
  inv->waiting = true;
  return lua_yieldk(L, 0, 0, callDone);
}

}  // namespace

void openRpc(lua_State* L, ApiContext* context) {
  const luaL_Reg functions[] = {{"call", rpcCall}, {nullptr, nullptr}};
  pushApiTable(L, functions, context);
  setSafeGlobal(L, "rpc");
}

}  // namespace polis::lua
