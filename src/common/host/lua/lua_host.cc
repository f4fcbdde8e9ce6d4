#include "host/lua/lua_host.h"

#include <lua.hpp>

#include <map>

#include "base/log.h"
#include "host/lua/lua_metrics.h"
#include "host/lua/sandbox.h"

namespace polis::lua {

struct LuaHost::Plan {
  struct Handler {
    int reg_ref;
    int service;  // reg[kRegServices][service]
    std::string method_name;
    const Method* method;
  };
  struct Item {
    int reg_ref;
    int index;  // reg[part][index]
  };
  std::vector<Handler> handlers;  // slot k (1-based) is handlers[k-1]
  std::vector<Item> commands;
  std::vector<CommandSpec> specs;  // parallel to commands
  std::vector<Item> drains;
  int handlers_ref = 0;
  int commands_ref = 0;
  int drains_ref = 0;
};

namespace {

// Fills a new registry table from reg[part][index] of each item. Protected.
template <class Items, class Pick>
int buildOne(lua_State* L, const Items& items, int part, Pick pick) {
  lua_createtable(L, static_cast<int>(items.size()), 0);
  lua_Integer slot = 0;
  for (const auto& item : items) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, item.reg_ref);
    lua_rawgeti(L, -1, part);
    pick(L, item);
    lua_rawseti(L, -4, ++slot);
    lua_pop(L, 2);
  }
  return luaL_ref(L, LUA_REGISTRYINDEX);
}

int buildTables(lua_State* L) {
  auto* plan = static_cast<LuaHost::Plan*>(lua_touserdata(L, 1));
  plan->handlers_ref = buildOne(L, plan->handlers, kRegServices, [](lua_State* L, const LuaHost::Plan::Handler& h) {
    lua_rawgeti(L, -1, h.service);
    lua_pushlstring(L, h.method_name.data(), h.method_name.size());
    lua_rawget(L, -2);
    lua_remove(L, -2);
  });
  auto item = [](lua_State* L, const LuaHost::Plan::Item& i) { lua_rawgeti(L, -1, i.index); };
  plan->commands_ref = buildOne(L, plan->commands, kRegCommands, item);
  plan->drains_ref = buildOne(L, plan->drains, kRegDrains, item);
  return 0;
}

void unref(lua_State* L, int& ref) {
  if (ref) luaL_unref(L, LUA_REGISTRYINDEX, ref);
  ref = 0;
}

int openAll(lua_State* L) {
  openSandbox(L);
  openApi(L, static_cast<ApiContext*>(lua_touserdata(L, 1)));
  return 0;
}

Task<Result<std::string>> hostGone() { co_return Error{Errc::kUnavailable, "the Lua host is gone"}; }

}  // namespace

LuaHost::LuaHost(Node& node, LuaConfig config, std::unique_ptr<Descriptors> descriptors)
    : node_(node), config_(std::move(config)), vm_(config_.limits), descriptors_(std::move(descriptors)) {}

LuaHost::~LuaHost() {
  metrics::Registry::global().removeCallbackGauge("polis_lua_memory_bytes", {});
  node_.removeHandlers("lua");
  node_.commands().removeOwner("lua");
}

Result<std::unique_ptr<LuaHost>> LuaHost::create(Node& node, LuaConfig config) {
  auto descriptors = Descriptors::load(config.descriptor_set);
  if (!descriptors) return Error{descriptors.error().code, descriptors.error().message + " (lua.descriptor_set)"};
  std::unique_ptr<LuaHost> host(new LuaHost(node, std::move(config), std::move(*descriptors)));
  if (auto ok = host->open(); !ok) return ok.error();
  return host;
}

Result<void> LuaHost::open() {
  api_.descriptors = descriptors_.get();
  api_.settings = config_.settings;
  api_.node_name = node_.config().name;
  api_.role = node_.config().role;
  runner_ = std::make_unique<Runner>(
      vm_, *descriptors_,
      [this](std::string role, const rpc::MethodInfo& info, std::string body, rpc::CallOptions options) {
        return node_.peers().callBytes(std::move(role), info, std::move(body), options);
      },
      config_.call_timeout);
  timers_ = std::make_unique<Timers>(vm_, node_.loop(), *runner_);
  modules_ = std::make_unique<Modules>(vm_, config_.scripts, [this](uint64_t load) { timers_->cancelLoad(load); });
  api_.runner = runner_.get();
  api_.timers = timers_.get();
  api_.modules = modules_.get();
  if (LuaVm::protect(vm_.state(), openAll, &api_, 0) != LUA_OK) {
    return Error{Errc::kInternal, "cannot open the Lua libraries within lua.memory_limit"};
  }
  if (auto loaded = reload(); !loaded) return Error{loaded.error().code, "lua: " + loaded.error().message};
  // Read on the loop thread that serves /metrics (one node, one host).
  metrics::Registry::global().callbackGauge("polis_lua_memory_bytes", "Bytes the node's Lua VM holds (lua.memory_limit caps it).",
                                            {}, [this] { return static_cast<double>(vm_.memoryUsed()); });
  node_.onReload("lua", [this] { return reloadTask(); });
  node_.onDrain([this, alive = std::weak_ptr<bool>(alive_)](std::function<void()> done) {
    if (alive.expired()) return done();
    drain(std::move(done));
  });
  if (config_.watch) {
    watch_ = std::make_unique<ScriptWatch>(node_.loop(), [this] { (void)reload(); });
    if (auto ok = watch_->start(config_.scripts); !ok) return Error{ok.error().code, ok.error().message + " (lua.watch)"};
  }
  return {};
}

Task<Result<std::string>> LuaHost::reloadTask() { co_return reload(); }

Result<std::string> LuaHost::reload() {
  auto staged = modules_->stage();
  if (staged && !modules_->changed()) return std::string("no module changed");
  auto applied = staged ? apply() : Result<std::string>(staged.error());
  if (!applied) {
    LuaMetrics::get().reloads_refused.inc();
    modules_->discard();
    log::error("lua: reload refused, the scripts stay as they were:\n{}", applied.error().message);
    return applied.error();
  }
  LuaMetrics::get().reloads_ok.inc();
  log::info("lua: {} (memory in use: {} KiB)", *applied, vm_.memoryUsed() / 1024);
  return applied;
}

Result<std::string> LuaHost::apply() {
  Plan plan;
  if (auto ok = this->plan(plan); !ok) return ok.error();
  if (auto ok = checkCommands(plan); !ok) return ok.error();
  lua_State* L = vm_.state();
  if (LuaVm::protect(L, buildTables, &plan, 0) != LUA_OK) {
    lua_pop(L, 1);
    return Error{Errc::kInternal, "out of memory building the handler tables (lua.memory_limit)"};
  }
  if (auto ok = node_.setHandlers("lua", handlerTable(plan)); !ok) {
    for (int* ref : {&plan.handlers_ref, &plan.commands_ref, &plan.drains_ref}) unref(L, *ref);
    return ok.error();
  }
  std::string summary = modules_->summary();
  modules_->commit();
  install(plan);
  return summary;
}

// Reads what the modules declare (raw reads only) and checks it against the
// descriptor set: every handler names a method of its service, no method is
// served twice.
Result<void> LuaHost::plan(Plan& out) const {
  lua_State* L = vm_.state();
  int top = lua_gettop(L);
  std::map<uint16_t, std::string> served;
  for (const ModuleRecord* m : modules_->next()) {
    for (size_t i = 0; i < m->services.size(); ++i) {
      const auto* service = m->services[i];
      lua_rawgeti(L, LUA_REGISTRYINDEX, m->reg_ref);
      lua_rawgeti(L, -1, kRegServices);
      lua_rawgeti(L, -1, static_cast<lua_Integer>(i) + 1);
      int impl = lua_gettop(L);
      lua_pushnil(L);
      while (lua_next(L, impl) != 0) {
        std::string problem;
        std::string name = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
        const auto* method = name.empty() ? nullptr : service->FindMethodByName(name);
        const Method* found = method ? descriptors_->method(method) : nullptr;
        if (!found) {
          problem = service->full_name() + " has no method " + (name.empty() ? "(a non-string key)" : name);
        } else if (lua_type(L, -1) != LUA_TFUNCTION) {
          problem = std::string(found->info.name) + " must be a function";
        } else if (auto [at, fresh] = served.emplace(found->info.id, m->name); !fresh) {
          problem = std::string(found->info.name) + " is implemented in both " + at->second + ".lua and here";
        } else {
          out.handlers.push_back({m->reg_ref, static_cast<int>(i) + 1, name, found});
        }
        if (!problem.empty()) {
          lua_settop(L, top);
          return Error{Errc::kInvalidArgument, m->name + ".lua: " + problem};
        }
        lua_pop(L, 1);
      }
      lua_settop(L, top);
    }
    for (size_t j = 0; j < m->commands.size(); ++j) {
      out.commands.push_back({m->reg_ref, static_cast<int>(j) + 1});
      out.specs.push_back(m->commands[j]);
    }
    for (int d = 1; d <= m->drains; ++d) out.drains.push_back({m->reg_ref, d});
  }
  return {};
}

Result<void> LuaHost::checkCommands(const Plan& plan) const {
  auto existing = node_.commands().list();
  std::map<std::string, int> names;
  for (const auto& spec : plan.specs) {
    if (++names[spec.name()] > 1) return Error{Errc::kAlreadyExists, "two modules declare the command " + spec.name()};
    for (const auto& other : existing) {
      if (other.name() == spec.name() && other.owner() != "lua") {
        return Error{Errc::kAlreadyExists, "the command " + spec.name() + " belongs to " + other.owner()};
      }
    }
  }
  return {};
}

rpc::HandlerTable LuaHost::handlerTable(const Plan& plan) {
  rpc::HandlerTable table;
  for (size_t k = 0; k < plan.handlers.size(); ++k) {
    const Method* method = plan.handlers[k].method;
    auto slot = static_cast<int64_t>(k) + 1;
    table.tryAdd(method->info, [this, method, slot, alive = std::weak_ptr<bool>(alive_)](rpc::Incoming&& in) {
      if (alive.expired()) return in.fail(Error{Errc::kUnavailable, "the Lua host is gone"});
      runner_->serve(FunctionRef{handlers_ref_, slot}, *method, std::move(in));
    });
  }
  return table;
}

// After commit: the new tables become current; the commands are re-declared.
void LuaHost::install(Plan& plan) {
  lua_State* L = vm_.state();
  unref(L, handlers_ref_);
  unref(L, commands_ref_);
  unref(L, drains_ref_);
  handlers_ref_ = plan.handlers_ref;
  commands_ref_ = plan.commands_ref;
  drains_ref_ = plan.drains_ref;
  drain_count_ = static_cast<int>(plan.drains.size());
  node_.commands().removeOwner("lua");
  for (size_t k = 0; k < plan.specs.size(); ++k) {
    auto slot = static_cast<int64_t>(k) + 1;
    auto handler = [this, slot, name = plan.specs[k].name(), alive = std::weak_ptr<bool>(alive_)](CommandArgs args) {
      if (alive.expired()) return hostGone();
      return runner_->command(FunctionRef{commands_ref_, slot}, name, std::move(args));
    };
    if (auto ok = node_.commands().add("lua", plan.specs[k], handler); !ok) {
      log::error("lua: command {} refused: {}", plan.specs[k].name(), ok.error().describe());  // checked before
    }
  }
}

void LuaHost::drain(std::function<void()> done) {
  if (drain_count_ == 0) return done();
  auto left = std::make_shared<int>(drain_count_);
  for (int k = 1; k <= drain_count_; ++k) {
    runner_->run(FunctionRef{drains_ref_, k}, "drain hook " + std::to_string(k), [left, done] {
      if (--*left == 0) done();
    });
  }
}

void attachLua(RoleSpec& spec) {
  auto config = std::make_shared<LuaConfig>();
  spec.read_config = [read = spec.read_config, config](ConfigReader& reader) {
    if (read) read(reader);
    *config = readLuaConfig(reader);
  };
  spec.setup = [setup = spec.setup, config](Node& node) -> Result<void> {
    if (setup) {
      if (auto ok = setup(node); !ok) return ok;
    }
    if (config->scripts.empty()) return {};
    auto host = LuaHost::create(node, *config);
    if (!host) return host.error();
    node.adopt(std::move(*host));
    return {};
  };
}

}  // namespace polis::lua
