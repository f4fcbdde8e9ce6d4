// LuaHost: one Lua VM hosting the scripts folder on a node. It serves the
// RPC methods the scripts implement (Node::setHandlers under the owner
// "lua", with the methods' own msg ids: a caller cannot tell them from C++
// handlers), offers the operator commands they declare, runs their timers
// and drain hooks, and reloads them on the node's "reload" command (and on
// file changes when lua.watch is set).
//
// A reload is all or nothing (modules.h): when a module fails to compile or
// run, or declares something the node refuses (a msg id served elsewhere, a
// command name taken), the scripts, handlers and commands stay as they were
// and the error names the file and line.
// Lifetime: adopted by its node (attachLua); in-flight calls are failed by
// ~Incoming when it goes. Threads: the node's loop thread.
#pragma once

#include <memory>
#include <string>

#include "host/lua/api.h"
#include "host/lua/descriptors.h"
#include "host/lua/lua_config.h"
#include "host/lua/lua_vm.h"
#include "host/lua/modules.h"
#include "host/lua/runner.h"
#include "host/lua/script_watch.h"
#include "host/lua/timers.h"
#include "node/node.h"
#include "node/node_main.h"

namespace polis::lua {

class LuaHost {
 public:
  // Loads the descriptor set and every module; the error says what failed.
  static Result<std::unique_ptr<LuaHost>> create(Node& node, LuaConfig config);
  ~LuaHost();
  LuaHost(const LuaHost&) = delete;
  LuaHost& operator=(const LuaHost&) = delete;

  // Reloads changed modules: what changed, or why nothing did.
  Result<std::string> reload();

  LuaVm& vm() { return vm_; }
  size_t running() const { return runner_->running(); }
  size_t timers() const { return timers_->count(); }

  struct Plan;  // what a reload installs (lua_host.cc)

 private:
  LuaHost(Node& node, LuaConfig config, std::unique_ptr<Descriptors> descriptors);
  Result<void> open();
  Result<std::string> apply();
  Result<void> plan(Plan& out) const;
  Result<void> checkCommands(const Plan& plan) const;
  void install(Plan& plan);
  rpc::HandlerTable handlerTable(const Plan& plan);
  void drain(std::function<void()> done);
  Task<Result<std::string>> reloadTask();

  Node& node_;
  LuaConfig config_;
  LuaVm vm_;
  std::unique_ptr<Descriptors> descriptors_;
  ApiContext api_;
  std::unique_ptr<Runner> runner_;
  std::unique_ptr<Timers> timers_;
  std::unique_ptr<Modules> modules_;
  std::unique_ptr<ScriptWatch> watch_;
  // Registry tables the current handlers, commands and drain hooks are read from.
  int handlers_ref_ = 0;
  int commands_ref_ = 0;
  int drains_ref_ = 0;
  int drain_count_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Gives a role the Lua host: reads lua.* with the role's config and, when
// lua.scripts is set, hosts the scripts on the node (setup fails, naming the
// file and line, when they do not load).
void attachLua(RoleSpec& spec);

}  // namespace polis::lua
