#include "host/plugin_instance.h"

#include "base/log.h"
#include "base/log_throttle.h"
#include "base/sleep.h"
#include "host/host_api.h"
#include "rpc/channel.h"

namespace polis::host {

// One call being served: the Incoming to answer, and the instance that
// serves it, counted in flight until the plugin answers — even after the host
// timed the call out, because the plugin still holds it. An instance is
// destroyed only with nothing in flight (or, stuck, never before the node
// goes: PluginHost), so a plain pointer is enough — and no shared count is
// touched per call, which was a measurable share of a plugin call's cost.
struct CallState : polis_call {
  rpc::Incoming in;
  PluginInstance* instance;
  bool answered = false;  // the caller got its answer (from the plugin, or a timeout)
  CallState* older = nullptr;
  CallState* newer = nullptr;
  bool linked = false;
  CallState(rpc::Incoming&& i, PluginInstance* owner) : in(std::move(i)), instance(owner) {}
};

namespace {

constexpr auto kDrainPoll = std::chrono::milliseconds(10);

}  // namespace

PluginInstance::PluginInstance(Node& node, PluginSpec spec, uint64_t version, PluginLimits limits)
    : node_(node), spec_(std::move(spec)), version_(version), limits_(limits) {}

PluginInstance::~PluginInstance() {
  stopEverything();
  for (void* block : spare_calls_) ::operator delete(block);
}

Result<void> PluginInstance::start(const std::string& state) {
  auto library = PluginLibrary::open(spec_.path);
  if (!library) return library.error();
  library_ = std::move(*library);
  char error[512] = {0};
  starting_ = true;
  int failed = library_->entry()(&hostApi(), this, reinterpret_cast<const uint8_t*>(state.data()), state.size(),
                                 &self_, &api_, error, sizeof error);
  starting_ = false;
  if (failed == 0 && (!api_ || api_->abi_version != POLIS_PLUGIN_ABI_VERSION)) {
    std::string got = api_ ? std::to_string(api_->abi_version) : "none";
    if (api_ && api_->destroy) api_->destroy(self_);
    failed = 1;
    std::snprintf(error, sizeof error, "the plugin was built for plugin ABI %s, this node has ABI %u", got.c_str(),
                  POLIS_PLUGIN_ABI_VERSION);
  }
  if (failed != 0) {
    stopEverything();
    self_ = nullptr;
    api_ = nullptr;
    handlers_ = rpc::HandlerTable();
    library_.reset();
    return Error{Errc::kInvalidArgument, "plugin " + spec_.name + " refused to start: " + (error[0] ? error : "init failed")};
  }
  return {};
}

std::string PluginInstance::saveState() {
  std::string state;
  if (api_ && api_->save_state) {
    api_->save_state(self_, [](void* sink, const uint8_t* data, size_t size) {
      static_cast<std::string*>(sink)->append(reinterpret_cast<const char*>(data), size);
    }, &state);
  }
  return state;
}

// ---- serving

const rpc::MethodInfo& PluginInstance::methodInfo(uint16_t id, const char* name, bool oneway) {
  static auto* infos = new std::map<uint16_t, rpc::MethodInfo>;  // never freed: calls in flight point into it
  auto it = infos->find(id);
  if (it == infos->end() || it->second.name != name) {
    it = infos->insert_or_assign(id, rpc::MethodInfo{id, rpc::internMethodName(name), oneway}).first;
  }
  return it->second;
}

int PluginInstance::addHandler(uint16_t id, const char* name, bool oneway, polis_handler_fn fn, void* user,
                               std::string& error) {
  if (!starting_) {
    error = "handlers are registered during init only";
    return 1;
  }
  if (!name || !*name) {
    error = "a handler needs its method's name";
    return 1;
  }
  rpc::MethodInfo info{id, rpc::internMethodName(name), oneway};
  // `this` outlives every dispatch to it: the node's table holds these
  // entries only while the instance is live, and it is destroyed after.
  bool added = handlers_.tryAdd(info, [this, fn, user](rpc::Incoming&& in) {
    if (retired_) {  // dispatched from a table being replaced: cannot happen once swapped
      in.fail(Error{Errc::kUnavailable, "the plugin is unloading"});
      return;
    }
    CallState* call = newCall(std::move(in));
    std::string_view body = call->in.body();
    fn(user, call, reinterpret_cast<const uint8_t*>(body.data()), body.size());
  });
  if (!added) {
    error = "msg_id " + std::to_string(id) + " is registered twice";
    return 1;
  }
  return 0;
}

CallState* PluginInstance::newCall(rpc::Incoming&& in) {
  void* block = spare_calls_.empty() ? ::operator new(sizeof(CallState)) : spare_calls_.back();
  if (!spare_calls_.empty()) spare_calls_.pop_back();
  auto* call = new (block) CallState(std::move(in), this);
  link(call);
  return call;
}

void PluginInstance::link(CallState* call) {
  inflight_.fetch_add(1, std::memory_order_relaxed);
  call->older = newest_;
  if (newest_) newest_->newer = call;
  newest_ = call;
  if (!oldest_) oldest_ = call;
  call->linked = true;
}

// The plugin answered: the call leaves the instance.
void PluginInstance::finish(CallState* call) {
  if (call->linked) {
    (call->older ? call->older->newer : oldest_) = call->newer;
    (call->newer ? call->newer->older : newest_) = call->older;
    call->linked = false;
  }
  inflight_.fetch_sub(1, std::memory_order_relaxed);
  call->~CallState();
  spare_calls_.push_back(call);
}

void PluginInstance::replyTo(polis_call* raw, const uint8_t* body, size_t size) {
  auto* call = static_cast<CallState*>(raw);
  if (!call->answered) call->in.reply(rpc::FrameBody(std::string_view(reinterpret_cast<const char*>(body), size)));
  call->instance->finish(call);
}

void PluginInstance::failTo(polis_call* raw, int32_t code, const char* message) {
  auto* call = static_cast<CallState*>(raw);
  if (!call->answered) {
    auto errc = code > 0 && code <= static_cast<int32_t>(kLastErrc) ? static_cast<Errc>(code) : Errc::kInternal;
    call->in.fail(Error{errc, message ? message : ""});
  }
  call->instance->finish(call);
}

uint64_t PluginInstance::routeKeyOf(const polis_call* raw) { return static_cast<const CallState*>(raw)->in.routeKey(); }

std::string PluginInstance::peerOf(const polis_call* raw) {
  auto channel = static_cast<const CallState*>(raw)->in.channel();
  return channel ? channel->peerName() : std::string();
}

void PluginInstance::sweepTimeouts() {
  auto limit = std::chrono::steady_clock::now() - limits_.handler_timeout;
  while (oldest_ && oldest_->in.started() <= limit) {
    CallState* late = oldest_;
    late->in.fail(Error{Errc::kTimeout, "plugin " + spec_.name + " did not answer " +
                                            std::string(late->in.method().name) + " within " +
                                            std::to_string(limits_.handler_timeout.count()) + " ms"});
    late->answered = true;
    oldest_ = late->newer;
    (oldest_ ? oldest_->older : newest_) = nullptr;
    late->linked = false;  // still in flight until the plugin answers it
    if (auto note = log::throttle("plugin timeout " + spec_.name)) {
      log::warn("plugin {} #{} left {} unanswered past its timeout{}", spec_.name, version_, late->in.method().name,
                *note);
    }
  }
}

// ---- calling out

void PluginInstance::callRole(std::string role, uint16_t id, const char* name, std::string body, uint32_t timeout_ms,
                              uint64_t route_key, polis_reply_fn done, void* user) {
  inflight_.fetch_add(1, std::memory_order_relaxed);
  rpc::CallOptions options;
  options.timeout = std::chrono::milliseconds(timeout_ms);
  options.route_key = route_key;
  spawn([](std::shared_ptr<PluginInstance> self, std::string role, const rpc::MethodInfo& info, std::string body,
           rpc::CallOptions options, polis_reply_fn done, void* user) -> Task<void> {
    auto calling = self->node_.peers().callBytes(std::move(role), info, std::move(body), options);
    auto reply = co_await std::move(calling);
    if (reply) {
      done(user, 0, reinterpret_cast<const uint8_t*>(reply->data()), reply->size());
    } else {
      const std::string& m = reply.error().message;
      done(user, static_cast<int32_t>(reply.error().code), reinterpret_cast<const uint8_t*>(m.data()), m.size());
    }
    self->inflight_.fetch_sub(1, std::memory_order_relaxed);
  }(shared_from_this(), std::move(role), methodInfo(id, name, false), std::move(body), options, done, user));
}

int PluginInstance::notifyRole(const std::string& role, uint16_t id, const char* name, std::string_view body,
                               uint64_t route_key, std::string& error) {
  auto channel = node_.peers().readyChannel(role);
  if (!channel) {
    error = "no open connection to a ready node of role " + role;
    return 1;
  }
  auto sent = channel->notify(methodInfo(id, name, true), rpc::FrameBody(body), route_key);
  if (!sent) {
    error = sent.error().message;
    return 1;
  }
  return 0;
}

// ---- timers, commands, drain, threads, posts

uint64_t PluginInstance::addTimer(uint32_t delay_ms, bool repeat, polis_timer_fn fn, void* user) {
  uint64_t id = ++next_timer_;
  auto delay = std::chrono::milliseconds(std::max<uint32_t>(delay_ms, 1));
  std::weak_ptr<PluginInstance> weak = weak_from_this();
  auto fire = [weak, id, repeat, fn, user] {
    auto self = weak.lock();
    if (!self) return;
    if (!repeat) self->timers_.erase(id);
    fn(user);
  };
  timers_[id] = Timer{repeat ? node_.loop().runEvery(delay, fire) : node_.loop().runAfter(delay, fire), repeat};
  return id;
}

void PluginInstance::cancelTimer(uint64_t id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  node_.loop().cancel(it->second.loop_id);
  timers_.erase(it);
}

int PluginInstance::addCommand(CommandSpec spec, polis_command_fn fn, void* user, std::string& error) {
  if (!starting_) {
    error = "commands are registered during init only";
    return 1;
  }
  for (const auto& c : commands_) {
    if (c.spec.name() == spec.name()) {
      error = "command " + spec.name() + " is registered twice";
      return 1;
    }
  }
  commands_.push_back(Command{std::move(spec), fn, user});
  return 0;
}

Result<void> PluginInstance::addCommands(Commands& commands) {
  for (size_t i = 0; i < commands_.size(); ++i) {
    std::weak_ptr<PluginInstance> weak = weak_from_this();
    auto added = commands.add(owner(), commands_[i].spec, [weak, i](CommandArgs args) -> Task<Result<std::string>> {
      auto self = weak.lock();
      if (!self || self->retired_) co_return Error{Errc::kUnavailable, "the plugin is unloading"};
      auto running = self->runCommand(self->commands_[i], std::move(args));
      auto out = co_await std::move(running);
      co_return out;
    });
    if (!added) {
      commands.removeOwner(owner());
      return added.error();
    }
  }
  return {};
}

Task<Result<std::string>> PluginInstance::runCommand(const Command& command, CommandArgs args) {
  inflight_.fetch_add(1, std::memory_order_relaxed);
  uint64_t run = ++next_run_;
  auto [answer, deliver] = Completion<Result<std::string>>::make();
  runs_[run] = std::move(deliver);
  std::vector<std::string> names, values;
  for (const auto& [name, value] : args.values_) {
    names.push_back(name);
    values.push_back(std::visit([](const auto& v) {
      if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string>) {
        return v;
      } else if constexpr (std::is_same_v<std::decay_t<decltype(v)>, bool>) {
        return std::string(v ? "true" : "false");
      } else {
        return std::to_string(v);
      }
    }, value));
  }
  std::vector<const char*> name_ptrs, value_ptrs;
  for (size_t i = 0; i < names.size(); ++i) {
    name_ptrs.push_back(names[i].c_str());
    value_ptrs.push_back(values[i].c_str());
  }
  command.fn(command.user, run, name_ptrs.data(), value_ptrs.data(), names.size());
  auto out = co_await answer;
  inflight_.fetch_sub(1, std::memory_order_relaxed);
  co_return out;
}

void PluginInstance::commandDone(uint64_t run_id, int32_t code, const char* output) {
  auto it = runs_.find(run_id);
  if (it == runs_.end()) return;  // answered twice: ignored
  auto deliver = std::move(it->second);
  runs_.erase(it);
  std::string text = output ? output : "";
  if (code == 0) {
    deliver(std::move(text));
  } else {
    auto errc = code > 0 && code <= static_cast<int32_t>(kLastErrc) ? static_cast<Errc>(code) : Errc::kInternal;
    deliver(Error{errc, std::move(text)});
  }
}

void PluginInstance::drain(std::function<void()> done) {
  if (drain_hooks_.empty()) {
    done();
    return;
  }
  auto left = std::make_shared<size_t>(drain_hooks_.size());
  for (const Hook& hook : drain_hooks_) {
    uint64_t id = ++next_drain_;
    inflight_.fetch_add(1, std::memory_order_relaxed);
    drains_[id] = [this, left, done] {
      inflight_.fetch_sub(1, std::memory_order_relaxed);
      if (--*left == 0) done();
    };
    hook.fn(hook.user, id);
  }
}

void PluginInstance::drainDone(uint64_t drain_id) {
  auto it = drains_.find(drain_id);
  if (it == drains_.end()) return;
  auto done = std::move(it->second);
  drains_.erase(it);
  done();
}

int PluginInstance::startThread(polis_task_fn fn, void* user) {
  try {
    threads_.emplace_back([fn, user] { fn(user); });
    return 0;
  } catch (const std::system_error&) {
    return 1;
  }
}

void PluginInstance::postFromAnyThread(polis_task_fn fn, void* user) {
  inflight_.fetch_add(1, std::memory_order_relaxed);
  node_.loop().post([self = shared_from_this(), fn, user] {
    fn(user);
    self->inflight_.fetch_sub(1, std::memory_order_relaxed);
  });
}

void PluginInstance::log(int level, const char* message) const {
  std::string_view text = message ? message : "";
  switch (level) {
    case POLIS_LOG_DEBUG:
      log::debug("[{} #{}] {}", spec_.name, version_, text);
      break;
    case POLIS_LOG_WARN:
      log::warn("[{} #{}] {}", spec_.name, version_, text);
      break;
    case POLIS_LOG_ERROR:
      log::error("[{} #{}] {}", spec_.name, version_, text);
      break;
    default:
      log::info("[{} #{}] {}", spec_.name, version_, text);
  }
}

const std::string* PluginInstance::config(const std::string& key) const {
  auto it = spec_.config.find(key);
  return it == spec_.config.end() ? nullptr : &it->second;
}

// ---- going away

void PluginInstance::cancelTimers(bool repeating_only) {
  std::erase_if(timers_, [&](const auto& item) {
    if (repeating_only && !item.second.repeat) return false;
    node_.loop().cancel(item.second.loop_id);
    return true;
  });
}

void PluginInstance::stopEverything() {
  cancelTimers(false);
  stop_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

// The loop has stopped for good, so no plugin code runs again: work still
// counted in flight (posts that will never run, a call the plugin never
// answered) cannot touch the instance after this, and it can go.
void PluginInstance::shutdown() {
  retired_ = true;
  stopEverything();
  if (api_ && api_->destroy) api_->destroy(self_);
  api_ = nullptr;
  self_ = nullptr;
  library_.reset();
}

Task<bool> PluginInstance::retire() {
  retired_ = true;
  cancelTimers(true);
  // Threads first: once joined, nothing can post new work behind the count
  // below. (A thread must return soon after stop_requested; the loop waits.)
  stop_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  auto until = std::chrono::steady_clock::now() + limits_.unload_timeout;
  while (inflight_.load() > 0 && std::chrono::steady_clock::now() < until) {
    sweepTimeouts();
    auto pause = sleepFor(node_.loop(), kDrainPoll);
    co_await pause;
  }
  if (inflight_.load() > 0) {
    log::error("plugin {} #{} still has {} calls or tasks in flight {} ms after it was replaced; it stays loaded "
               "(its memory is not freed) so that they cannot crash the node",
               spec_.name, version_, inflight_.load(), limits_.unload_timeout.count());
    if (library_) library_->leak();
    co_return false;
  }
  stopEverything();
  if (api_ && api_->destroy) api_->destroy(self_);
  api_ = nullptr;
  self_ = nullptr;
  library_.reset();
  log::info("plugin {} #{} unloaded", spec_.name, version_);
  co_return true;
}

}  // namespace polis::host
