// log, print and config, and openApi itself.
#include <lua.hpp>

#include <charconv>

#include "base/log.h"
#include "host/lua/api.h"
#include "host/lua/sandbox.h"

namespace polis::lua {
namespace {

enum Level { kDebug, kInfo, kWarn, kError };

// Joins the arguments as print does. Leaves the text on the stack.
const char* joinArgs(lua_State* L, size_t* len) {
  int n = lua_gettop(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 1; i <= n; ++i) {
    if (i > 1) luaL_addchar(&b, ' ');
    luaL_tolstring(L, i, nullptr);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  return lua_tolstring(L, -1, len);
}

template <Level level>
int logAt(lua_State* L) {
  size_t len = 0;
  const char* text = joinArgs(L, &len);
  lua_Debug ar;
  int line = 0;
  const char* source = "?";
  if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar)) {
    source = ar.short_src;
    line = ar.currentline;
  }
  std::string_view message(text, len);
  switch (level) {
    case kDebug: log::debug("lua {}:{}: {}", source, line, message); break;
    case kInfo: log::info("lua {}:{}: {}", source, line, message); break;
    case kWarn: log::warn("lua {}:{}: {}", source, line, message); break;
    case kError: log::error("lua {}:{}: {}", source, line, message); break;
  }
  return 0;
}

// config.get(key [, default]): the setting converted to the default's type.
int configGet(lua_State* L) {
  ApiContext& ctx = apiContext(L);
  size_t len = 0;
  const char* key = luaL_checklstring(L, 1, &len);
  auto it = ctx.settings.find(std::string(key, len));
  if (it == ctx.settings.end()) {
    lua_settop(L, 2);
    return 1;  // the default, or nil
  }
  const char* text = it->second.c_str();
  size_t text_len = it->second.size();
  int type = lua_type(L, 2);
  if (type == LUA_TNUMBER || type == LUA_TBOOLEAN) {
    if (type == LUA_TBOOLEAN) {
      bool yes = it->second == "true" || it->second == "yes" || it->second == "on" || it->second == "1";
      bool no = it->second == "false" || it->second == "no" || it->second == "off" || it->second == "0";
      if (!yes && !no) return luaL_error(L, "config lua.settings.%s: expected true or false, got \"%s\"", key, text);
      lua_pushboolean(L, yes);
      return 1;
    }
    if (lua_stringtonumber(L, text) == 0) {
      return luaL_error(L, "config lua.settings.%s: expected a number, got \"%s\"", key, text);
    }
    if (lua_isinteger(L, 2) && !lua_isinteger(L, -1)) {
      return luaL_error(L, "config lua.settings.%s: expected an integer, got \"%s\"", key, text);
    }
    return 1;
  }
  lua_pushlstring(L, text, text_len);
  return 1;
}

}  // namespace

ApiContext& apiContext(lua_State* L) { return *static_cast<ApiContext*>(lua_touserdata(L, lua_upvalueindex(1))); }

std::string scriptWhere(lua_State* L) {
  lua_Debug ar;
  if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar)) {
    return std::string(ar.short_src) + ":" + std::to_string(ar.currentline);
  }
  return "?";
}

void openLog(lua_State* L) {
  const luaL_Reg functions[] = {{"debug", logAt<kDebug>}, {"info", logAt<kInfo>}, {"warn", logAt<kWarn>},
                                {"error", logAt<kError>}, {nullptr, nullptr}};
  luaL_newlib(L, functions);
  setSafeGlobal(L, "log");
  lua_pushcfunction(L, logAt<kInfo>);
  setSafeGlobal(L, "print");
}

void pushApiTable(lua_State* L, const luaL_Reg* functions, ApiContext* context) {
  lua_newtable(L);
  lua_pushlightuserdata(L, context);
  luaL_setfuncs(L, functions, 1);
}

void openConfig(lua_State* L, ApiContext* context) {
  const luaL_Reg functions[] = {{"get", configGet}, {nullptr, nullptr}};
  pushApiTable(L, functions, context);
  setSafeGlobal(L, "config");
}

void openApi(lua_State* L, ApiContext* context) {
  openLog(L);
  openConfig(L, context);
  openRpc(L, context);
  openTimers(L, context);
  openDeclarations(L, context);
}

}  // namespace polis::lua
