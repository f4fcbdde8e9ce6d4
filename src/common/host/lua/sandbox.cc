#include "host/lua/sandbox.h"

#include <lua.hpp>

#include "host/lua/runner.h"

namespace polis::lua {
namespace {

// Registry key of the template: the safe globals every environment copies.
const char kSafeGlobals[] = "polis.safe_globals";

const char* const kSafeBaseFunctions[] = {
    "assert", "error",  "getmetatable", "ipairs",   "next",   "pairs",  "pcall",    "rawequal",
    "rawget", "rawlen", "rawset",       "select",   "tonumber", "tostring", "type", "xpcall", "_VERSION",
};

const luaL_Reg kLibraries[] = {
    {LUA_STRLIBNAME, luaopen_string}, {LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math},
    {LUA_UTF8LIBNAME, luaopen_utf8},  {LUA_COLIBNAME, luaopen_coroutine},
};

// load(text [, chunkname [, mode [, env]]]): text only, never binary.
int safeLoad(lua_State* L) {
  size_t len = 0;
  const char* text = luaL_checklstring(L, 1, &len);
  const char* name = luaL_optstring(L, 2, "=(load)");
  const char* mode = luaL_optstring(L, 3, "t");
  if (mode[0] != 't' || mode[1] != '\0') return luaL_error(L, "load: only text chunks (mode \"t\") are allowed");
  bool has_env = !lua_isnoneornil(L, 4);
  if (has_env) luaL_checktype(L, 4, LUA_TTABLE);
  if (luaL_loadbufferx(L, text, len, name, "t") != LUA_OK) {
    luaL_pushfail(L);
    lua_insert(L, -2);
    return 2;  // nil, message
  }
  if (has_env) {
    lua_pushvalue(L, 4);
  } else {
    pushEnvironment(L);
  }
  lua_setupvalue(L, -2, 1);
  return 1;
}

// setmetatable, refusing finalizers: a __gc would run script code inside
// any allocation, outside the budget of the code that triggered it.
int safeSetmetatable(lua_State* L) {
  if (lua_type(L, 2) == LUA_TTABLE && (lua_pushliteral(L, "__gc"), lua_rawget(L, 2)) != LUA_TNIL) {
    return luaL_error(L, "setmetatable: __gc (finalizers) is not available to scripts");
  }
  lua_settop(L, 2);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, 2, 1);
  return 1;
}

int safeCollectgarbage(lua_State* L) {
  static const char* const kAllowed[] = {"collect", "count", "step", "isrunning", nullptr};
  luaL_checkoption(L, 1, "collect", kAllowed);
  lua_settop(L, 2);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

// coroutine.resume / coroutine.close, refusing the host's own coroutines
// (a handler's, suspended in rpc.call): only the host resumes those.
int guardedCoroutineOp(lua_State* L) {
  lua_State* co = lua_tothread(L, 1);
  if (co && Runner::invocationOf(co)) return luaL_error(L, "a handler's own coroutine is resumed by the host only");
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

void wrap(lua_State* L, int table, const char* name, lua_CFunction guard) {
  lua_getfield(L, table, name);
  lua_pushcclosure(L, guard, 1);
  lua_setfield(L, table, name);
}

// The string metatable stays the real one (methods on string values need
// it), but getmetatable("") no longer returns it.
void lockStrings(lua_State* L) {
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  lua_pushliteral(L, "the string metatable is protected");
  lua_setfield(L, -2, "__metatable");
  lua_getfield(L, -1, "__index");
  lua_pushnil(L);
  lua_setfield(L, -2, "dump");  // the real string table: string.dump exists nowhere
  lua_pop(L, 3);
}

}  // namespace

void openSandbox(lua_State* L) {
  luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
  int base = lua_gettop(L);
  lua_newtable(L);
  int safe = lua_gettop(L);
  for (const char* name : kSafeBaseFunctions) {
    lua_getfield(L, base, name);
    lua_setfield(L, safe, name);
  }
  lua_pushcfunction(L, safeLoad);
  lua_setfield(L, safe, "load");
  lua_getfield(L, base, "setmetatable");
  lua_pushcclosure(L, safeSetmetatable, 1);
  lua_setfield(L, safe, "setmetatable");
  lua_getfield(L, base, "collectgarbage");
  lua_pushcclosure(L, safeCollectgarbage, 1);
  lua_setfield(L, safe, "collectgarbage");
  for (const auto& lib : kLibraries) {
    luaL_requiref(L, lib.name, lib.func, 0);
    lua_setfield(L, safe, lib.name);
  }
  lua_getfield(L, safe, LUA_COLIBNAME);
  wrap(L, lua_gettop(L), "resume", guardedCoroutineOp);
  wrap(L, lua_gettop(L), "close", guardedCoroutineOp);
  lua_pop(L, 1);
  lockStrings(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kSafeGlobals);
  lua_pop(L, 1);  // the real base table, which no script sees
}

void setSafeGlobal(lua_State* L, const char* name) {
  lua_getfield(L, LUA_REGISTRYINDEX, kSafeGlobals);
  lua_insert(L, -2);
  lua_setfield(L, -2, name);
  lua_pop(L, 1);
}

void pushEnvironment(lua_State* L) {
  luaL_checkstack(L, 6, "environment");
  lua_newtable(L);  // the module's own globals: its state
  int env = lua_gettop(L);
  lua_newtable(L);  // its copy of the safe globals, reached through __index
  int globals = lua_gettop(L);
  lua_getfield(L, LUA_REGISTRYINDEX, kSafeGlobals);
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    if (lua_type(L, -1) == LUA_TTABLE) {  // a library: a shallow copy of its own
      lua_newtable(L);
      lua_pushnil(L);
      while (lua_next(L, -3) != 0) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
      }
      lua_replace(L, -2);
    }
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, globals);
  }
  lua_pop(L, 1);
  lua_createtable(L, 0, 2);  // the environment's metatable, hidden from getmetatable
  lua_pushvalue(L, globals);
  lua_setfield(L, -2, "__index");
  lua_pushliteral(L, "a module environment's metatable is protected");
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, env);
  lua_pop(L, 1);  // globals
}

}  // namespace polis::lua
