// What a plugin instance may ask of its node besides serving: log lines, its
// config, timers, operator commands, drain hooks, threads and posting back
// to the loop. The host tracks all of it per instance and releases it at
// unload; the closures the SDK keeps are freed then too. Part of
// polis/plugin.h.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "polis/plugin/call.h"

namespace polis::plugin {

// ---- log and config
inline void log(int level, const std::string& line) { detail::g_api->log(detail::g_host, level, line.c_str()); }
inline void info(const std::string& line) { log(POLIS_LOG_INFO, line); }
inline void warn(const std::string& line) { log(POLIS_LOG_WARN, line); }
inline void error(const std::string& line) { log(POLIS_LOG_ERROR, line); }

// plugins.load[].config.<key> of this plugin, as text.
inline std::optional<std::string> config(const std::string& key) {
  std::string out;
  if (!detail::g_api->config(detail::g_host, key.c_str(), &detail::appendBytes, &out)) return std::nullopt;
  return out;
}

namespace detail {
// Closures handed to the host, freed when the instance goes (releaseAll).
struct Kept {
  std::map<uint64_t, std::unique_ptr<std::function<void()>>> timers;
  std::vector<std::shared_ptr<void>> owned;  // commands, drain hooks, thread bodies
  std::mutex posts_mutex;                    // post() runs on any thread
  std::set<std::function<void()>*> posts;    // posted, not yet run (a node that stops never runs them)
};
inline Kept& kept() {
  static Kept k;
  return k;
}
inline void releaseAll() {
  Kept& k = kept();
  k.timers.clear();
  k.owned.clear();
  std::lock_guard lock(k.posts_mutex);
  for (auto* p : k.posts) delete p;
  k.posts.clear();
}
inline void runClosure(void* user) { (*static_cast<std::function<void()>*>(user))(); }
}  // namespace detail

// ---- timers: `fn` runs on the loop after `delay_ms`, once or every time.
inline uint64_t after(uint32_t delay_ms, std::function<void()> fn, bool repeat = false) {
  auto closure = std::make_unique<std::function<void()>>(std::move(fn));
  uint64_t id = detail::g_api->add_timer(detail::g_host, delay_ms, repeat ? 1 : 0, &detail::runClosure, closure.get());
  detail::kept().timers[id] = std::move(closure);  // a one-shot's closure stays until unload: timers are few
  return id;
}
inline uint64_t every(uint32_t interval_ms, std::function<void()> fn) { return after(interval_ms, std::move(fn), true); }
inline void cancel(uint64_t timer_id) {
  detail::g_api->cancel_timer(detail::g_host, timer_id);
  detail::kept().timers.erase(timer_id);
}

// ---- operator commands. Arguments arrive checked against `args`, as text.
struct CommandArg {
  std::string name;
  int type = POLIS_ARG_STRING;  // polis_arg_type
  bool required = false;
  std::string help;
};
using CommandArgs = std::map<std::string, std::string>;
using CommandFn = std::function<Task<Result<std::string>>(CommandArgs)>;

namespace detail {
inline Detached runCommand(CommandFn* fn, uint64_t run_id, CommandArgs args) {
  Result<std::string> out = Error{Errc::kInternal, "the command did not answer"};
  try {
    out = co_await (*fn)(std::move(args));
  } catch (const std::exception& e) {
    out = Error{Errc::kInternal, std::string("the command threw: ") + e.what()};
  } catch (...) {
    out = Error{Errc::kInternal, "the command threw"};
  }
  if (out) {
    g_api->command_done(g_host, run_id, 0, out->c_str());
  } else {
    g_api->command_done(g_host, run_id, static_cast<int32_t>(out.error().code), out.error().message.c_str());
  }
}
}  // namespace detail

inline Result<void> command(const std::string& name, const std::string& help, const std::vector<CommandArg>& args,
                            CommandFn fn) {
  std::vector<polis_command_arg> c_args;
  for (const auto& a : args) c_args.push_back({a.name.c_str(), a.type, a.required ? 1 : 0, a.help.c_str()});
  auto closure = std::make_unique<CommandFn>(std::move(fn));
  char error[256] = {0};
  auto trampoline = [](void* user, uint64_t run_id, const char* const* names, const char* const* values,
                       size_t count) {
    CommandArgs given;
    for (size_t i = 0; i < count; ++i) given[names[i]] = values[i];
    detail::runCommand(static_cast<CommandFn*>(user), run_id, std::move(given));
  };
  if (detail::g_api->add_command(detail::g_host, name.c_str(), help.c_str(), c_args.data(), c_args.size(), trampoline,
                                 closure.get(), error, sizeof error) != 0) {
    return Error{Errc::kInvalidArgument, error};
  }
  detail::kept().owned.push_back(std::shared_ptr<CommandFn>(std::move(closure)));
  return {};
}

// ---- drain: `fn` runs when the node drains; the drain waits for it.
inline void onDrain(std::function<Task<void>()> fn) {
  struct Hook {
    std::function<Task<void>()> fn;
    static Detached run(Hook* hook, uint64_t drain_id) {
      try {
        co_await hook->fn();
      } catch (...) {
        log(POLIS_LOG_ERROR, "a drain hook threw");
      }
      detail::g_api->drain_done(detail::g_host, drain_id);
    }
  };
  auto hook = std::make_shared<Hook>(Hook{std::move(fn)});
  detail::kept().owned.push_back(hook);
  detail::g_api->on_drain(detail::g_host, [](void* user, uint64_t id) { Hook::run(static_cast<Hook*>(user), id); },
                          hook.get());
}

// ---- threads: started and joined by the host. `fn` runs on its own thread
// and must return soon after stopRequested() turns true; it may post().
inline bool stopRequested() { return detail::g_api->stop_requested(detail::g_host) != 0; }
inline bool startThread(std::function<void()> fn) {
  auto closure = std::make_unique<std::function<void()>>(std::move(fn));
  if (detail::g_api->start_thread(detail::g_host, &detail::runClosure, closure.get()) != 0) return false;
  detail::kept().owned.push_back(std::shared_ptr<std::function<void()>>(std::move(closure)));
  return true;
}
// Runs `fn` on the loop thread; callable from any thread.
inline void post(std::function<void()> fn) {
  auto* closure = new std::function<void()>(std::move(fn));
  {
    std::lock_guard lock(detail::kept().posts_mutex);
    detail::kept().posts.insert(closure);
  }
  detail::g_api->post(detail::g_host, [](void* user) {
    auto* closure = static_cast<std::function<void()>*>(user);
    {
      std::lock_guard lock(detail::kept().posts_mutex);
      detail::kept().posts.erase(closure);
    }
    std::unique_ptr<std::function<void()>> owned(closure);
    (*owned)();
  }, closure);
}

}  // namespace polis::plugin
