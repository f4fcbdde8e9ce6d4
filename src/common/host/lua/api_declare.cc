// The polis table: what a module declares at its top level (services it
// serves, operator commands, drain hooks), and small helpers.
#include <lua.hpp>

#include <chrono>
#include <cstring>

#include "host/lua/api.h"
#include "host/lua/descriptors.h"
#include "host/lua/errors.h"
#include "host/lua/modules.h"
#include "host/lua/sandbox.h"

namespace polis::lua {
namespace {

ModuleRecord& loadingOrRaise(lua_State* L, const char* what) {
  ModuleRecord* record = apiContext(L).modules->loading();
  if (!record) luaL_error(L, "%s can only be called at a module's top level, while it loads", what);
  return *record;
}

// Pops the value at the top of the stack and appends it to reg[part].
void appendToReg(lua_State* L, const ModuleRecord& record, int part) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, record.reg_ref);
  lua_rawgeti(L, -1, part);
  lua_pushvalue(L, -3);
  lua_rawseti(L, -2, static_cast<lua_Integer>(lua_rawlen(L, -2)) + 1);
  lua_pop(L, 3);
}

bool validName(const char* s, size_t max, bool dots) {
  size_t n = std::strlen(s);
  if (n == 0 || n > max) return false;
  for (size_t i = 0; i < n; ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || (dots && (c == '.' || c == '-'));
    if (!ok) return false;
  }
  return true;
}

// The service by name, or null with the reason in `error`. C++ only.
const google::protobuf::ServiceDescriptor* findService(ApiContext& ctx, std::string_view name,
                                                       std::string& error) noexcept {
  auto found = ctx.descriptors->service(name);
  if (found) return *found;
  error = found.error().message;
  return nullptr;
}

void addService(ModuleRecord& record, const google::protobuf::ServiceDescriptor* service) noexcept {
  record.services.push_back(service);
}

// polis.service("game.Guestbook") -> a table; its functions, named like the
// service's methods, are the handlers.
int declareService(lua_State* L) {
  ModuleRecord& record = loadingOrRaise(L, "polis.service");
  ApiContext& ctx = apiContext(L);
  size_t len = 0;
  const char* name = luaL_checklstring(L, 1, &len);
  const auto* service = findService(ctx, std::string_view(name, len), ctx.error);
  if (!service) return luaL_error(L, "polis.service: %s", ctx.error.c_str());
  for (const auto* existing : record.services) {
    if (existing == service) return luaL_error(L, "polis.service: %s is declared twice", name);
  }
  addService(record, service);
  lua_newtable(L);
  lua_pushvalue(L, -1);
  appendToReg(L, record, kRegServices);
  return 1;
}

// The checked argument declarations of polis.command, as a list of
// {name, type, required, help} on the stack (index `out`).
void normalizeArgs(lua_State* L, int args, int out) {
  static const char* const kTypes[] = {"string", "int", "number", "bool", nullptr};
  lua_pushnil(L);
  while (lua_next(L, args) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING || !validName(lua_tostring(L, -2), 32, false)) {
      luaL_error(L, "polis.command: argument names are 1-32 of a-z 0-9 _");
    }
    lua_createtable(L, 4, 0);
    lua_pushvalue(L, -3);
    lua_rawseti(L, -2, 1);
    if (lua_type(L, -2) == LUA_TSTRING) {  // args = {keep = "int"}
      lua_pushvalue(L, -2);
      lua_pushboolean(L, false);
      lua_pushliteral(L, "");
    } else {
      luaL_checktype(L, -2, LUA_TTABLE);
      lua_getfield(L, -2, "type");
      lua_getfield(L, -3, "required");
      lua_pushboolean(L, lua_toboolean(L, -1));
      lua_replace(L, -2);
      lua_getfield(L, -4, "help");
      if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushliteral(L, "");
      }
    }
    if (lua_type(L, -3) != LUA_TSTRING) luaL_error(L, "polis.command: an argument's type is string, int, number or bool");
    luaL_checkoption(L, lua_absindex(L, -3), nullptr, kTypes);
    luaL_checktype(L, -1, LUA_TSTRING);
    lua_rawseti(L, -4, 4);
    lua_rawseti(L, -3, 3);
    lua_rawseti(L, -2, 2);
    lua_rawseti(L, out, static_cast<lua_Integer>(lua_rawlen(L, out)) + 1);
    lua_pop(L, 1);
  }
}

// Builds the CommandSpec from checked values on the stack: never raises (and,
// called from a Lua C function, never throws: noexcept, see Runner::startCall).
void addCommand(lua_State* L, ModuleRecord& record, int name, int help, int args) noexcept {
  CommandSpec spec;
  spec.set_name(lua_tostring(L, name));
  if (lua_type(L, help) == LUA_TSTRING) spec.set_help(lua_tostring(L, help));
  auto n = static_cast<lua_Integer>(lua_rawlen(L, args));
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, args, i);
    CommandArg* arg = spec.add_args();
    for (int k = 1; k <= 4; ++k) lua_rawgeti(L, -k, k);
    std::string type = lua_tostring(L, -3);
    arg->set_name(lua_tostring(L, -4));
    arg->set_type(type == "int"      ? CommandArg::TYPE_INT
                  : type == "number" ? CommandArg::TYPE_NUMBER
                  : type == "bool"   ? CommandArg::TYPE_BOOL
                                     : CommandArg::TYPE_STRING);
    arg->set_required(lua_toboolean(L, -2));
    arg->set_help(lua_tostring(L, -1));
    lua_pop(L, 5);
  }
  record.commands.push_back(std::move(spec));
}

// polis.command{name = "guestbook.trim", help = "...", args = {keep = "int"}, run = function(args) ... end}
int declareCommand(lua_State* L) {
  ModuleRecord& record = loadingOrRaise(L, "polis.command");
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lua_getfield(L, 1, "name");  // 2
  lua_getfield(L, 1, "help");  // 3
  lua_getfield(L, 1, "args");  // 4
  lua_getfield(L, 1, "run");   // 5
  if (lua_type(L, 2) != LUA_TSTRING || !validName(lua_tostring(L, 2), 64, true)) {
    return luaL_error(L, "polis.command: name must be 1-64 of a-z 0-9 . _ -");
  }
  if (!lua_isnil(L, 3)) luaL_checktype(L, 3, LUA_TSTRING);
  if (lua_type(L, 5) != LUA_TFUNCTION) return luaL_error(L, "polis.command: run must be a function");
  lua_newtable(L);  // 6: the normalized arguments
  if (!lua_isnil(L, 4)) {
    luaL_checktype(L, 4, LUA_TTABLE);
    normalizeArgs(L, 4, 6);
  }
  for (const auto& existing : record.commands) {
    if (existing.name() == lua_tostring(L, 2)) return luaL_error(L, "polis.command: %s is declared twice", lua_tostring(L, 2));
  }
  lua_pushvalue(L, 5);
  appendToReg(L, record, kRegCommands);
  addCommand(L, record, 2, 3, 6);
  return 0;
}

int declareDrain(lua_State* L) {
  ModuleRecord& record = loadingOrRaise(L, "polis.on_drain");
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  appendToReg(L, record, kRegDrains);
  ++record.drains;
  return 0;
}

int nowMs(lua_State* L) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  lua_pushinteger(L, std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
  return 1;
}

}  // namespace

void openDeclarations(lua_State* L, ApiContext* context) {
  const luaL_Reg functions[] = {{"service", declareService}, {"command", declareCommand},
                                {"on_drain", declareDrain},  {"now_ms", nowMs},
                                {nullptr, nullptr}};
  pushApiTable(L, functions, context);
  openErrors(L);
  lua_setfield(L, -2, "error");
  lua_createtable(L, 0, 2);
  lua_pushstring(L, context->node_name.c_str());
  lua_setfield(L, -2, "name");
  lua_pushstring(L, context->role.c_str());
  lua_setfield(L, -2, "role");
  lua_setfield(L, -2, "node");
  setSafeGlobal(L, "polis");
}

}  // namespace polis::lua
