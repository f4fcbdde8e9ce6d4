// PluginInstance: one load of one plugin — its library copy, the instance
// its init returned, and everything it registered (handlers, timers,
// commands, drain hooks, threads), so that all of it goes when the instance
// does. It implements the host side of the C ABI (host_api.cc forwards the
// polis_host_api functions here).
//
// Life: start() loads and inits (registrations are collected, not yet
// live); PluginHost makes the handlers and commands live; retire() cancels
// its repeating timers, stops and joins its threads, and waits until nothing
// of the instance is in flight
// — calls it serves, calls it made, commands, posted work, drain hooks; its
// one-shot timers still fire meanwhile, since a call may be sleeping on one
// — then cancels the rest, lets the plugin free itself and closes the library. An instance that
// cannot drain within the unload timeout is kept loaded (and logged): its
// code may still run.
// Threads: the loop thread, except postFromAnyThread() and stopRequested().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/task.h"
#include "host/plugin_library.h"
#include "node/node.h"
#include "rpc/handler_table.h"

struct polis_host {};  // the ABI's opaque handles: a PluginInstance,
struct polis_call {};  // and a CallState (plugin_instance.cc)

namespace polis::host {

struct PluginSpec {
  std::string name;                           // "guestbook"
  std::string path;                           // the .so
  std::map<std::string, std::string> config;  // plugins.<name>.config.*
};

struct PluginLimits {
  std::chrono::milliseconds handler_timeout{5000};  // a call the plugin leaves unanswered fails then
  std::chrono::milliseconds unload_timeout{10000};  // how long a retired instance may take to drain
};

struct CallState;  // one call being served (plugin_instance.cc)

class PluginInstance : public polis_host, public std::enable_shared_from_this<PluginInstance> {
 public:
  PluginInstance(Node& node, PluginSpec spec, uint64_t version, PluginLimits limits);
  ~PluginInstance();

  // Loads a fresh copy and runs init with `state`; on failure everything the
  // instance registered is released and the library closed.
  Result<void> start(const std::string& state);
  std::string saveState();
  // See above. The instance must not be live any more (handlers swapped out).
  // False when it could not drain in time: then it must be kept (not
  // destroyed) as long as the node runs, since calls still point to it.
  Task<bool> retire();
  // The node is going and its loop has stopped: stops the threads, lets the
  // plugin free itself and closes the library, whatever is still counted in flight.
  void shutdown();

  const std::string& name() const { return spec_.name; }
  std::string owner() const { return "plugin:" + spec_.name; }
  uint64_t version() const { return version_; }
  const rpc::HandlerTable& handlers() const { return handlers_; }
  // Registers the instance's commands with the node (owner(): the caller
  // removed the predecessor's first); the first error, having added none.
  Result<void> addCommands(Commands& commands);
  // Runs the instance's drain hooks; `done` when all finished.
  void drain(std::function<void()> done);
  // Fails calls that outlived the handler timeout (PluginHost sweeps).
  void sweepTimeouts();
  int64_t inflight() const { return inflight_.load(std::memory_order_relaxed); }

  // ---- the host side of the ABI (host_api.cc)
  int addHandler(uint16_t id, const char* name, bool oneway, polis_handler_fn fn, void* user, std::string& error);
  // A call answers through its own instance (the one that served it).
  static void replyTo(polis_call* call, const uint8_t* body, size_t size);
  static void failTo(polis_call* call, int32_t code, const char* message);
  static uint64_t routeKeyOf(const polis_call* call);
  static std::string peerOf(const polis_call* call);
  void callRole(std::string role, uint16_t id, const char* name, std::string body, uint32_t timeout_ms,
                uint64_t route_key, polis_reply_fn done, void* user);
  int notifyRole(const std::string& role, uint16_t id, const char* name, std::string_view body, uint64_t route_key,
                 std::string& error);
  uint64_t addTimer(uint32_t delay_ms, bool repeat, polis_timer_fn fn, void* user);
  void cancelTimer(uint64_t id);
  int addCommand(CommandSpec spec, polis_command_fn fn, void* user, std::string& error);
  void commandDone(uint64_t run_id, int32_t code, const char* output);
  void onDrain(polis_drain_fn fn, void* user) { drain_hooks_.push_back({fn, user}); }
  void drainDone(uint64_t drain_id);
  int startThread(polis_task_fn fn, void* user);
  bool stopRequested() const { return stop_.load(); }
  void postFromAnyThread(polis_task_fn fn, void* user);
  void log(int level, const char* message) const;
  const std::string* config(const std::string& key) const;

 private:
  struct Command {
    CommandSpec spec;
    polis_command_fn fn;
    void* user;
  };
  struct Hook {
    polis_drain_fn fn;
    void* user;
  };
  // A call this instance serves, counted in flight until finish().
  CallState* newCall(rpc::Incoming&& in);
  void link(CallState* call);
  void finish(CallState* call);
  const rpc::MethodInfo& methodInfo(uint16_t id, const char* name, bool oneway);
  Task<Result<std::string>> runCommand(const Command& command, CommandArgs args);
  void cancelTimers(bool repeating_only);
  void stopEverything();

  Node& node_;
  PluginSpec spec_;
  uint64_t version_;
  PluginLimits limits_;
  std::unique_ptr<PluginLibrary> library_;
  void* self_ = nullptr;                   // the plugin's instance
  const polis_plugin_api* api_ = nullptr;  // the plugin's table
  bool starting_ = false;                  // registrations allowed (inside init)
  bool retired_ = false;
  rpc::HandlerTable handlers_;
  std::vector<Command> commands_;
  std::vector<Hook> drain_hooks_;
  struct Timer {
    TimerId loop_id;
    bool repeat;
  };
  std::map<uint64_t, Timer> timers_;       // by our id
  uint64_t next_timer_ = 0;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> inflight_{0};       // calls served and made, commands, posts, drain hooks
  std::vector<void*> spare_calls_;         // CallState blocks to reuse (one call allocates none)
  CallState* oldest_ = nullptr;            // calls being served, oldest first (for the timeout sweep)
  CallState* newest_ = nullptr;
  uint64_t next_run_ = 0;
  std::map<uint64_t, std::function<void(Result<std::string>)>> runs_;  // commands awaiting command_done
  uint64_t next_drain_ = 0;
  std::map<uint64_t, std::function<void()>> drains_;                 // drain hooks awaiting drain_done
};

}  // namespace polis::host
