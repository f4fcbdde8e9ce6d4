#include "host/lua/timers.h"

#include <lua.hpp>

#include <cmath>

#include "host/lua/api.h"
#include "host/lua/modules.h"
#include "host/lua/sandbox.h"

namespace polis::lua {
namespace {

int newTable(lua_State* L) {
  lua_newtable(L);
  *static_cast<int*>(lua_touserdata(L, 1)) = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

// timer.after(seconds, fn) / timer.every(seconds, fn) -> id
template <bool repeat>
int timerAdd(lua_State* L) {
  ApiContext& ctx = apiContext(L);
  lua_Number seconds = luaL_checknumber(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  if (!(seconds >= 0.001 && seconds <= 86400 * 7)) return luaL_error(L, "timer: seconds must be 0.001 .. 604800");
  int64_t id = ctx.timers->nextId();
  lua_rawgeti(L, LUA_REGISTRYINDEX, ctx.timers->tableRef());
  lua_pushvalue(L, 2);
  lua_rawseti(L, -2, id);
  ModuleRecord* loading = ctx.modules->loading();
  auto delay = std::chrono::milliseconds(static_cast<int64_t>(std::ceil(seconds * 1000)));
  ctx.timers->start(id, delay, repeat, loading ? loading->load_id : 0, scriptWhere(L));
  lua_pushinteger(L, id);
  return 1;
}

int timerCancel(lua_State* L) {
  lua_Integer id = luaL_checkinteger(L, 1);
  apiContext(L).timers->cancel(id);
  return 0;
}

}  // namespace

Timers::Timers(LuaVm& vm, EventLoop& loop, Runner& runner) : vm_(vm), loop_(loop), runner_(runner) {
  if (LuaVm::protect(vm.state(), newTable, &table_ref_, 0) != LUA_OK) std::abort();  // at start: memory is there
}

Timers::~Timers() {
  for (auto& [id, entry] : entries_) loop_.cancel(entry.loop_timer);
}

void Timers::start(int64_t id, std::chrono::milliseconds delay, bool repeat, uint64_t load_id,
                   std::string where) noexcept {
  Entry& e = entries_[id];
  e.repeat = repeat;
  e.load_id = load_id;
  e.label = std::string(repeat ? "timer.every at " : "timer.after at ") + where;
  auto callback = [this, id, alive = std::weak_ptr<bool>(alive_)] {
    if (!alive.expired()) fire(id);
  };
  e.loop_timer = repeat ? loop_.runEvery(delay, callback) : loop_.runAfter(delay, callback);
}

void Timers::fire(int64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.running) return;
  Entry& e = it->second;
  e.running = true;
  bool repeat = e.repeat;
  runner_.run(FunctionRef{table_ref_, id}, e.label, [this, id, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired()) return;
    auto done = entries_.find(id);
    if (done != entries_.end()) done->second.running = false;
  });
  if (!repeat) forget(id);  // the coroutine holds the function now
}

void Timers::cancel(int64_t id) noexcept {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  loop_.cancel(it->second.loop_timer);
  forget(id);
}

void Timers::cancelLoad(uint64_t load_id) {
  std::vector<int64_t> ids;
  for (const auto& [id, entry] : entries_) {
    if (entry.load_id == load_id) ids.push_back(id);
  }
  for (int64_t id : ids) cancel(id);
}

void Timers::forget(int64_t id) {
  entries_.erase(id);
  lua_State* L = vm_.state();
  lua_rawgeti(L, LUA_REGISTRYINDEX, table_ref_);
  lua_pushnil(L);
  lua_rawseti(L, -2, id);  // clearing a key allocates nothing
  lua_pop(L, 1);
}

void openTimers(lua_State* L, ApiContext* context) {
  const luaL_Reg functions[] = {
      {"after", timerAdd<false>}, {"every", timerAdd<true>}, {"cancel", timerCancel}, {nullptr, nullptr}};
  pushApiTable(L, functions, context);
  setSafeGlobal(L, "timer");
}

}  // namespace polis::lua
