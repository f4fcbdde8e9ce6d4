#include "host/lua/lua_vm.h"

#include <lua.hpp>

#include <cstdlib>

#include "base/log.h"

namespace polis::lua {
namespace {

// Instructions between two calls of the count hook: the budget is exact to
// within this many.
constexpr int kHookStep = 1000;

int onPanic(lua_State* L) {
  // Only an error outside every protected call gets here: a host bug.
  log::critical("lua: unprotected error: {}", errorText(L, LUA_ERRRUN));
  std::abort();
}

}  // namespace

void LuaVm::Closer::operator()(lua_State* L) const { lua_close(L); }

LuaVm::LuaVm(Limits limits) : limits_(limits) {
  state_.reset(lua_newstate(&LuaVm::allocate, this));
  if (!state_) {
    log::critical("lua: cannot create a state within lua.memory_limit ({} bytes)", limits_.memory);
    std::abort();
  }
  lua_atpanic(state(), onPanic);
  // Most of what a handler allocates (request and reply tables) dies with
  // the call: the generational collector's young collections suit that.
  lua_gc(state(), LUA_GCGEN, 0, 0);
  // Threads created later inherit the hook of the thread that creates them.
  armHook(state());
}

LuaVm::~LuaVm() = default;

LuaVm& LuaVm::of(lua_State* L) {
  void* ud = nullptr;
  lua_getallocf(L, &ud);
  return *static_cast<LuaVm*>(ud);
}

void* LuaVm::allocate(void* ud, void* ptr, size_t osize, size_t nsize) {
  auto* vm = static_cast<LuaVm*>(ud);
  size_t old = ptr ? osize : 0;  // for a new block, osize is a type tag
  if (nsize == 0) {
    vm->used_ -= old;
    std::free(ptr);
    return nullptr;
  }
  if (nsize > old && vm->used_ - old + nsize > vm->limits_.memory) return nullptr;
  void* block = std::realloc(ptr, nsize);
  if (block) vm->used_ = vm->used_ - old + nsize;
  return block;
}

Budget* LuaVm::enter(Budget* budget) {
  Budget* previous = current_;
  current_ = budget;
  return previous;
}

void LuaVm::armHook(lua_State* thread) const {
  int step = limits_.instructions < kHookStep ? static_cast<int>(limits_.instructions) : kHookStep;
  lua_sethook(thread, &LuaVm::onCount, LUA_MASKCOUNT, step < 1 ? 1 : step);
}

// Runs between Lua instructions; raising here unwinds only Lua's frames.
void LuaVm::onCount(lua_State* L, lua_Debug*) {
  LuaVm& vm = of(L);
  Budget* budget = vm.current_;
  if (!budget) return;
  auto spent = static_cast<uint64_t>(lua_gethookcount(L));
  if (!budget->exhausted && budget->left > spent) {
    budget->left -= spent;
    if (spent == 1) vm.armHook(L);  // left over from a spent run
    return;
  }
  budget->left = 0;
  budget->exhausted = true;
  lua_sethook(L, &LuaVm::onCount, LUA_MASKCOUNT, 1);
  luaL_error(L, "stopped after %I instructions (lua.instruction_limit)",
             static_cast<lua_Integer>(vm.limits_.instructions));
}

int LuaVm::protect(lua_State* L, int (*fn)(lua_State*), void* ud, int nresults) {
  if (!lua_checkstack(L, 2)) return LUA_ERRMEM;
  lua_pushcfunction(L, fn);  // a light C function: allocates nothing
  lua_pushlightuserdata(L, ud);
  return lua_pcall(L, 1, nresults, 0);
}

std::string errorText(lua_State* L, int status) {
  if (status == LUA_ERRMEM) return "not enough memory (lua.memory_limit)";
  if (lua_gettop(L) == 0) return "error without a message";
  size_t len = 0;
  if (lua_type(L, -1) == LUA_TSTRING) {
    const char* s = lua_tolstring(L, -1, &len);  // a string already: converts nothing
    return std::string(s, len);
  }
  return std::string("error object is a ") + lua_typename(L, lua_type(L, -1)) + " value";
}

}  // namespace polis::lua
