#include "host/lua/runner.h"

#include <lua.hpp>

#include "base/log.h"
#include "base/log_throttle.h"
#include "host/lua/errors.h"
#include "host/lua/lua_metrics.h"
#include "host/lua/proto_codec.h"

namespace polis::lua {
namespace {

constexpr size_t kMaxIdleThreads = 256;

void setInvocation(lua_State* thread, Invocation* inv) {
  *static_cast<Invocation**>(lua_getextraspace(thread)) = inv;
}

// The arguments of a run, pushed inside its coroutine (where a memory error
// fails the run instead of the process). Holds no C++ objects of its own.
int pushArgs(lua_State* T, Invocation& inv) {
  if (inv.kind == RunKind::kRpc) {
    lua_rawgeti(T, LUA_REGISTRYINDEX, inv.thread_slot.call_ref);  // the coroutine's own, reused
    if (inv.thread_slot.call_method != inv.serving) {
      lua_pushlstring(T, inv.serving->info.name.data(), inv.serving->info.name.size());
      lua_setfield(T, -2, "method");
      inv.thread_slot.call_method = inv.serving;
    }
    lua_pushinteger(T, static_cast<lua_Integer>(inv.incoming->routeKey()));
    lua_setfield(T, -2, "route_key");
    pushMessage(T, *inv.request, &inv.scratch);
    return 2;
  }
  if (inv.kind == RunKind::kCommand) {
    lua_createtable(T, 0, static_cast<int>(inv.args.values_.size()));
    for (const auto& [name, value] : inv.args.values_) {
      if (const auto* text = std::get_if<std::string>(&value)) {
        lua_pushlstring(T, text->data(), text->size());
      } else if (const auto* integer = std::get_if<int64_t>(&value)) {
        lua_pushinteger(T, *integer);
      } else if (const auto* number = std::get_if<double>(&value)) {
        lua_pushnumber(T, *number);
      } else {
        lua_pushboolean(T, std::get<bool>(value));
      }
      lua_setfield(T, -2, name.c_str());
    }
    return 1;
  }
  return 0;
}

int entryDone(lua_State* T, int, lua_KContext) { return lua_gettop(T); }

// The first function of every run's coroutine: below it, the function to run.
int entry(lua_State* T) {
  int nargs = pushArgs(T, *Runner::invocationOf(T));
  lua_callk(T, nargs, LUA_MULTRET, 0, entryDone);
  return entryDone(T, LUA_OK, 0);
}

int newThread(lua_State* L) {
  auto* out = static_cast<ThreadSlot*>(lua_touserdata(L, 1));
  out->thread = lua_newthread(L);
  out->thread_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_createtable(L, 0, 2);
  lua_pushliteral(L, "");
  lua_setfield(L, -2, "method");
  lua_pushinteger(L, 0);
  lua_setfield(L, -2, "route_key");
  out->call_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

struct TracebackJob {
  lua_State* thread;
  const char* message;
};

int traceback(lua_State* L) {
  auto* job = static_cast<TracebackJob*>(lua_touserdata(L, 1));
  luaL_traceback(L, job->thread, job->message, 0);
  return 1;
}

}  // namespace

Runner::Runner(LuaVm& vm, Descriptors& descriptors, CallPeer call_peer, std::chrono::milliseconds call_timeout)
    : vm_(vm), descriptors_(descriptors), call_peer_(std::move(call_peer)), call_timeout_(call_timeout) {}

// The VM (destroyed after us) frees the coroutines; requests still in flight
// get their error reply from ~Incoming.
Runner::~Runner() = default;

Invocation* Runner::invocationOf(lua_State* thread) { return *static_cast<Invocation**>(lua_getextraspace(thread)); }

// Invocations live in slots that are reused: a call allocates nothing for
// its record. An id is the slot's index with a generation above it, so a
// reply for a finished run finds a different id in the slot.
Invocation* Runner::begin(RunKind kind, FunctionRef fn) {
  uint32_t index;
  if (free_.empty()) {
    index = static_cast<uint32_t>(slots_.size());
    slots_.push_back(std::make_unique<Invocation>());
  } else {
    index = free_.back();
    free_.pop_back();
  }
  Invocation& inv = *slots_[index];
  inv.id = (next_generation_++ << 32) | index;
  inv.kind = kind;
  inv.budget = vm_.freshBudget();
  if (!acquireThread(inv)) return &inv;
  lua_State* T = inv.thread;
  lua_pushcfunction(T, entry);
  lua_rawgeti(T, LUA_REGISTRYINDEX, fn.table_ref);  // raw reads: nothing here can raise
  lua_rawgeti(T, -1, fn.key);
  lua_remove(T, -2);
  return &inv;
}

void Runner::serve(FunctionRef fn, const Method& method, rpc::Incoming&& in) {
  auto& request = descriptors_.scratch(method.descriptor->input_type());
  if (!request.ParseFromArray(in.body().data(), static_cast<int>(in.body().size()))) {
    in.fail(Error{Errc::kBadMessage, "cannot parse request of " + std::string(method.info.name)});
    return;
  }
  Invocation* inv = begin(RunKind::kRpc, fn);
  inv->serving = &method;
  inv->request = &request;
  inv->incoming.emplace(std::move(in));
  if (inv->thread) {
    resume(*inv, 1);
  } else {
    finish(*inv, LUA_ERRMEM, 0);
  }
}

Task<Result<std::string>> Runner::command(FunctionRef fn, std::string name, CommandArgs args) {
  auto made = Completion<Result<std::string>>::make();
  auto output = std::move(made.first);
  Invocation* inv = begin(RunKind::kCommand, fn);
  inv->label = "command " + name;
  inv->args = std::move(args);
  inv->deliver = std::move(made.second);
  if (inv->thread) {
    resume(*inv, 1);
  } else {
    finish(*inv, LUA_ERRMEM, 0);
  }
  auto result = co_await output;
  co_return result;
}

void Runner::run(FunctionRef fn, std::string label, std::function<void()> done) {
  Invocation* inv = begin(RunKind::kTask, fn);
  inv->label = std::move(label);
  inv->done = std::move(done);
  if (inv->thread) {
    resume(*inv, 1);
  } else {
    finish(*inv, LUA_ERRMEM, 0);
  }
}

void Runner::resume(Invocation& inv, int nargs) {
  Budget* previous = vm_.enter(&inv.budget);
  int nresults = 0;
  int status = lua_resume(inv.thread, nullptr, nargs, &nresults);
  vm_.leave(previous);
  if (status == LUA_YIELD) {
    if (inv.waiting) return;  // in rpc.call: onReply resumes it
    inv.stray_yield = true;
    status = LUA_ERRRUN;
  }
  finish(inv, status, nresults);
}

void Runner::finish(Invocation& inv, int status, int nresults) {
  std::function<void()> after;
  if (inv.kind == RunKind::kRpc) {
    replyRpc(inv, status, nresults);
  } else if (inv.kind == RunKind::kCommand) {
    after = [deliver = std::move(inv.deliver), out = commandOutput(inv, status, nresults)]() mutable {
      deliver(std::move(out));
    };
  } else {
    if (status != LUA_OK) (void)failure(inv, status);  // logged
    after = std::move(inv.done);
  }
  if (inv.thread) releaseThread(inv, status == LUA_OK);
  recycle(inv);
  // Last: what runs now may start other runs.
  if (after) after();
}

void Runner::replyRpc(Invocation& inv, int status, int nresults) {
  rpc::Incoming& in = *inv.incoming;
  if (status != LUA_OK) return in.fail(failure(inv, status));
  lua_State* T = inv.thread;
  int first = lua_gettop(T) - nresults + 1;
  if (nresults >= 2 && !lua_toboolean(T, first)) {
    auto error = readError(T, first + 1);
    return in.fail(error ? *error : Error{Errc::kRemote, "the handler returned an error that is not a string or table"});
  }
  auto& reply = descriptors_.scratch(inv.serving->descriptor->output_type());
  if (nresults >= 1 && !lua_isnil(T, first) && !tableToMessage(T, first, descriptors_, reply, inv.scratch)) {
    if (auto note = log::throttle("lua reply " + std::string(inv.serving->info.name))) {
      log::error("lua: {} returned a reply that is not a {}: {}{}", inv.serving->info.name,
                 reply.GetDescriptor()->full_name(), inv.scratch, *note);
    }
    return in.fail(Error{Errc::kInternal, std::string(inv.serving->info.name) +
                                              ": the script's reply does not fit the method (see the serving node's log)"});
  }
  inv.scratch.clear();
  reply.SerializeToString(&inv.scratch);
  in.reply(rpc::FrameBody(std::string_view(inv.scratch)));
}

Result<std::string> Runner::commandOutput(Invocation& inv, int status, int nresults) {
  if (status != LUA_OK) {
    Error error = failure(inv, status);
    return error;
  }
  lua_State* T = inv.thread;
  int first = lua_gettop(T) - nresults + 1;
  if (nresults >= 2 && !lua_toboolean(T, first)) {
    auto error = readError(T, first + 1);
    return error ? *error : Error{Errc::kRemote, "the command failed"};
  }
  if (nresults == 0 || lua_isnil(T, first)) return std::string("ok");
  if (lua_type(T, first) != LUA_TSTRING && lua_type(T, first) != LUA_TNUMBER) {
    return std::string("ok (the command returned a ") + lua_typename(T, lua_type(T, first)) + ")";
  }
  if (lua_type(T, first) == LUA_TNUMBER) {
    return lua_isinteger(T, first) ? std::to_string(lua_tointeger(T, first)) : std::to_string(lua_tonumber(T, first));
  }
  size_t len = 0;
  const char* text = lua_tolstring(T, first, &len);
  return std::string(text, len);
}

std::string Runner::describe(const Invocation& inv) const {
  return inv.kind == RunKind::kRpc ? std::string(inv.serving->info.name) : inv.label;
}

// Logs why a run failed (with the coroutine's traceback) and says what its
// caller is told. A typed error the script raised passes through as it is.
Error Runner::failure(Invocation& inv, int status) {
  std::string what = describe(inv);
  auto& m = LuaMetrics::get();
  (inv.budget.exhausted ? m.failed_instructions : status == LUA_ERRMEM || !inv.thread ? m.failed_memory : m.failed_error)
      .inc();
  if (!inv.thread) return Error{Errc::kInternal, what + ": no memory left for a coroutine (lua.memory_limit)"};
  if (inv.stray_yield) {
    if (auto note = log::throttle("lua yield " + what)) log::error("lua: {} yielded outside rpc.call{}", what, *note);
    return Error{Errc::kInternal, what + " yielded outside rpc.call (coroutine.yield in its own coroutine)"};
  }
  if (status == LUA_ERRRUN && !inv.budget.exhausted) {
    if (auto typed = readError(inv.thread, -1); typed && lua_type(inv.thread, -1) == LUA_TTABLE) return *typed;
  }
  std::string message = errorText(inv.thread, status);
  lua_State* L = vm_.state();
  TracebackJob job{inv.thread, message.c_str()};
  if (status != LUA_ERRMEM) {  // out of memory, a traceback would fail too
    if (LuaVm::protect(L, traceback, &job, 1) == LUA_OK) message = lua_tostring(L, -1);
    lua_pop(L, 1);
  }
  if (auto note = log::throttle("lua failed " + what)) log::error("lua: {} failed: {}{}", what, message, *note);
  if (inv.budget.exhausted) return Error{Errc::kInternal, what + " was stopped by lua.instruction_limit"};
  if (status == LUA_ERRMEM) return Error{Errc::kInternal, what + " ran out of memory (lua.memory_limit)"};
  // An operator (a command) sees the script's error; a remote caller only
  // learns that the handler broke, as with a C++ handler.
  if (inv.kind == RunKind::kCommand) return Error{Errc::kInternal, what + " failed: " + errorText(inv.thread, status)};
  return Error{Errc::kInternal, what + " failed on the serving node (a Lua error; see its log)"};
}

void Runner::recycle(Invocation& inv) {
  inv.incoming.reset();  // before anything else: it may still owe a reply
  inv.label.clear();
  inv.serving = nullptr;
  inv.request = nullptr;
  inv.args.values_.clear();
  inv.deliver = nullptr;
  inv.done = nullptr;
  inv.calling = nullptr;
  inv.waiting = false;
  inv.stray_yield = false;
  inv.reply.reset();
  inv.call_error = Error{};
  inv.scratch.clear();
  free_.push_back(static_cast<uint32_t>(inv.id & 0xffffffffu));
  inv.id = 0;
}

Invocation* Runner::find(uint64_t id) {
  auto index = static_cast<size_t>(id & 0xffffffffu);
  if (index >= slots_.size() || slots_[index]->id != id) return nullptr;
  return slots_[index].get();
}

bool Runner::acquireThread(Invocation& inv) {
  ThreadSlot slot;
  if (!idle_.empty()) {
    slot = idle_.back();
    idle_.pop_back();
  } else if (LuaVm::protect(vm_.state(), newThread, &slot, 0) != LUA_OK) {
    lua_pop(vm_.state(), 1);
    return false;
  }
  inv.thread = slot.thread;
  inv.thread_slot = slot;
  // Its hook needs no rearming: a run whose budget was spent ended in an
  // error, and its coroutine was dropped (LuaVm::onCount rearms the rest).
  setInvocation(inv.thread, &inv);
  return true;
}

void Runner::releaseThread(Invocation& inv, bool reusable) {
  setInvocation(inv.thread, nullptr);
  if (reusable && idle_.size() < kMaxIdleThreads) {
    lua_settop(inv.thread, 0);
    idle_.push_back(inv.thread_slot);
  } else {
    luaL_unref(vm_.state(), LUA_REGISTRYINDEX, inv.thread_slot.thread_ref);  // a dead coroutine: collected
    luaL_unref(vm_.state(), LUA_REGISTRYINDEX, inv.thread_slot.call_ref);
  }
  inv.thread = nullptr;
}

}  // namespace polis::lua
