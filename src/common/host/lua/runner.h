// Runner: runs script functions — handlers, commands, timers, drain hooks —
// each in a Lua coroutine of its own, so rpc.call can yield until its reply
// while the loop serves other calls (OpenResty's cosockets, in spirit).
//
// A run is an Invocation: a C++ record owned here, found from its coroutine
// through the coroutine's extra space, anchored (the coroutine) in the
// registry while it lives. Finished coroutines go back to a pool.
// rpc.call's reply comes back through a detached C++ coroutine that holds
// the runner weakly: a reply after the runner is gone is dropped, and a
// suspended run whose runner is destroyed is simply never resumed.
// Threads: the loop thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/completion.h"
#include "base/event_loop.h"
#include "base/task.h"
#include "host/lua/descriptors.h"
#include "host/lua/lua_vm.h"
#include "node/commands.h"
#include "rpc/call_options.h"
#include "rpc/incoming.h"

namespace polis::lua {

// Where the function to run is: registry table `table_ref`, integer key `key`.
struct FunctionRef {
  int table_ref;
  int64_t key;
};

enum class RunKind { kRpc, kCommand, kTask };

// A coroutine of the pool: anchored in the registry, with the `call` table
// its handlers receive (reused from call to call, like the coroutine).
struct ThreadSlot {
  lua_State* thread = nullptr;
  int thread_ref = 0;
  int call_ref = 0;
  const Method* call_method = nullptr;  // what call.method holds now
};

struct Invocation {
  uint64_t id = 0;  // 0 while the slot is free
  RunKind kind = RunKind::kTask;
  lua_State* thread = nullptr;
  ThreadSlot thread_slot;
  Budget budget;
  std::string label;  // for logs: a timer's or command's name (an rpc uses its method's)

  const Method* serving = nullptr;                       // kRpc
  const google::protobuf::Message* request = nullptr;    // kRpc: pushed on the first resume
  std::optional<rpc::Incoming> incoming;                 // kRpc
  CommandArgs args;                                      // kCommand
  Completion<Result<std::string>>::Deliver deliver;      // kCommand
  std::function<void()> done;                            // kTask

  // The rpc.call in progress.
  const Method* calling = nullptr;
  uint64_t call_seq = 0;
  bool waiting = false;                         // yielded; the reply resumes it
  bool stray_yield = false;                     // yielded without a call: a failed run
  std::optional<Result<std::string>> reply;     // arrived, not yet handed to the script
  Error call_error;                             // why the call failed, for the script
  std::string scratch;                          // strings reflection needs, encoded bodies
};

class Runner {
 public:
  using CallPeer =
      std::function<Task<Result<std::string>>(std::string role, const rpc::MethodInfo&, std::string, rpc::CallOptions)>;

  Runner(LuaVm& vm, Descriptors& descriptors, CallPeer call_peer, std::chrono::milliseconds call_timeout);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // The invocation a coroutine runs, or null for any other thread.
  static Invocation* invocationOf(lua_State* thread);

  // Serves one request with the handler at `fn` (method `method`).
  void serve(FunctionRef fn, const Method& method, rpc::Incoming&& in);
  // Runs an operator command; its first result (text) is the output.
  Task<Result<std::string>> command(FunctionRef fn, std::string name, CommandArgs args);
  // Runs a timer or drain hook; `done` runs when it ends, however it ends.
  void run(FunctionRef fn, std::string label, std::function<void()> done);
  size_t running() const { return slots_.size() - free_.size(); }

  // rpc.call's C++ half (api_rpc.cc). Encodes the table at `request` of L
  // and starts the call; false with inv.call_error set when it cannot.
  // Both are called from a Lua C function, so they are noexcept: an
  // exception (the process out of memory) aborts instead of unwinding
  // through Lua's C frames.
  bool startCall(lua_State* L, Invocation& inv, std::string role, std::string_view method, int request,
                 std::chrono::milliseconds timeout, uint64_t route_key) noexcept;
  // The reply parsed, or null with inv.call_error set. Clears inv.reply.
  const google::protobuf::Message* takeReply(Invocation& inv) noexcept;

 private:
  Invocation* begin(RunKind kind, FunctionRef fn);
  void resume(Invocation& inv, int nargs);
  void finish(Invocation& inv, int status, int nresults);
  void replyRpc(Invocation& inv, int status, int nresults);
  Result<std::string> commandOutput(Invocation& inv, int status, int nresults);
  Error failure(Invocation& inv, int status);
  std::string describe(const Invocation& inv) const;
  void recycle(Invocation& inv);
  Invocation* find(uint64_t id);
  bool acquireThread(Invocation& inv);
  void releaseThread(Invocation& inv, bool reusable);
  void onReply(uint64_t id, uint64_t seq, Result<std::string> reply);
  static Detached callPeer(std::weak_ptr<bool> alive, Runner* self, uint64_t id, uint64_t seq, std::string role,
                           const rpc::MethodInfo* info, std::string body, rpc::CallOptions options);

  LuaVm& vm_;
  Descriptors& descriptors_;
  CallPeer call_peer_;
  std::chrono::milliseconds call_timeout_;
  uint64_t next_generation_ = 1;
  uint64_t next_seq_ = 1;
  std::vector<std::unique_ptr<Invocation>> slots_;  // by the low 32 bits of an id
  std::vector<uint32_t> free_;                      // slots not running now
  std::vector<ThreadSlot> idle_;                    // finished coroutines
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace polis::lua
