#include "host/lua/errors.h"

#include <lua.hpp>

namespace polis::lua {
namespace {

const char kErrorMeta[] = "polis.error";

int errorToString(lua_State* L) {
  lua_getfield(L, 1, "code");
  lua_pushliteral(L, ": ");
  lua_getfield(L, 1, "message");
  lua_concat(L, 3);
  return 1;
}

// polis.error(code, message): an error table for a handler to return or raise.
int newError(lua_State* L) {
  size_t len = 0;
  const char* code = luaL_checklstring(L, 1, &len);
  if (!errcByName(std::string_view(code, len))) return luaL_argerror(L, 1, "not an error code (see docs/lua.md)");
  size_t mlen = 0;
  const char* message = luaL_optlstring(L, 2, "", &mlen);
  pushError(L, *errcByName(std::string_view(code, len)), std::string_view(message, mlen));
  return 1;
}

}  // namespace

void openErrors(lua_State* L) {
  luaL_newmetatable(L, kErrorMeta);
  lua_pushcfunction(L, errorToString);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
  lua_pushcfunction(L, newError);
}

std::optional<Errc> errcByName(std::string_view name) {
  for (int c = 1; c <= static_cast<int>(kLastErrc); ++c) {
    if (errcName(static_cast<Errc>(c)) == name) return static_cast<Errc>(c);
  }
  return std::nullopt;
}

void pushError(lua_State* L, Errc code, std::string_view message) {
  lua_createtable(L, 0, 2);
  std::string_view name = errcName(code);
  lua_pushlstring(L, name.data(), name.size());
  lua_setfield(L, -2, "code");
  lua_pushlstring(L, message.data(), message.size());
  lua_setfield(L, -2, "message");
  luaL_setmetatable(L, kErrorMeta);
}

int pushFailure(lua_State* L, Errc code, std::string_view message) {
  lua_pushnil(L);
  pushError(L, code, message);
  return 2;
}

std::optional<Error> readError(lua_State* L, int index) {
  size_t len = 0;
  if (lua_type(L, index) == LUA_TSTRING) {
    const char* s = lua_tolstring(L, index, &len);
    return Error{Errc::kRemote, std::string(s, len)};
  }
  if (lua_type(L, index) != LUA_TTABLE || !lua_checkstack(L, 2)) return std::nullopt;
  index = lua_absindex(L, index);
  std::optional<Error> out;
  std::string code;
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {  // raw reads only: no metamethod runs here
    if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
      std::string_view key = lua_tostring(L, -2);
      const char* value = lua_tolstring(L, -1, &len);
      if (key == "code") code.assign(value, len);
      if (key == "message") {
        if (!out) out.emplace(Errc::kRemote);
        out->message.assign(value, len);
      }
    }
    lua_pop(L, 1);
  }
  if (code.empty()) return out;
  if (!out) out.emplace(Errc::kRemote);
  if (auto c = errcByName(code)) {
    out->code = *c;
  } else {
    out->message = code + (out->message.empty() ? "" : ": " + out->message);
  }
  return out;
}

}  // namespace polis::lua
