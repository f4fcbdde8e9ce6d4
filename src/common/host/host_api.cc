#include "host/host_api.h"

#include <cstdio>
#include <cstring>
#include <string>

#include "base/log.h"
#include "host/plugin_instance.h"

namespace polis::host {

namespace {

PluginInstance& of(polis_host* host) { return *static_cast<PluginInstance*>(host); }

void copyError(const std::string& text, char* out, size_t size) {
  if (out && size) std::snprintf(out, size, "%s", text.c_str());
}

// A plugin calling back must never unwind into the host's C frames either.
template <class F>
auto guard(const char* what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    log::error("plugin host: {} failed: {}", what, e.what());
  } catch (...) {
    log::error("plugin host: {} failed", what);
  }
  if constexpr (!std::is_void_v<decltype(f())>) return decltype(f())();
}

CommandArg::Type argType(int type) {
  switch (type) {
    case POLIS_ARG_INT:
      return CommandArg::TYPE_INT;
    case POLIS_ARG_NUMBER:
      return CommandArg::TYPE_NUMBER;
    case POLIS_ARG_BOOL:
      return CommandArg::TYPE_BOOL;
    default:
      return CommandArg::TYPE_STRING;
  }
}

const polis_host_api kApi = {
    POLIS_PLUGIN_ABI_VERSION,
    sizeof(polis_host_api),
    [](polis_host* host, uint16_t id, const char* name, int oneway, polis_handler_fn fn, void* user, char* error,
       size_t error_size) {
      return guard("add_handler", [&] {
        std::string why;
        int rc = of(host).addHandler(id, name, oneway != 0, fn, user, why);
        copyError(why, error, error_size);
        return rc;
      });
    },
    [](polis_call* call, const uint8_t* body, size_t size) {
      guard("reply", [&] { PluginInstance::replyTo(call, body, size); });
    },
    [](polis_call* call, int32_t code, const char* message) {
      guard("fail", [&] { PluginInstance::failTo(call, code, message); });
    },
    [](const polis_call* call) { return PluginInstance::routeKeyOf(call); },
    [](const polis_call* call, polis_write_fn write, void* sink) {
      std::string peer = PluginInstance::peerOf(call);
      write(sink, reinterpret_cast<const uint8_t*>(peer.data()), peer.size());
    },
    [](polis_host* host, const char* role, uint16_t id, const char* name, const uint8_t* body, size_t size,
       uint32_t timeout_ms, uint64_t route_key, polis_reply_fn done, void* user) {
      guard("call_role", [&] {
        of(host).callRole(role ? role : "", id, name ? name : "", std::string(reinterpret_cast<const char*>(body), size),
                          timeout_ms, route_key, done, user);
      });
    },
    [](polis_host* host, const char* role, uint16_t id, const char* name, const uint8_t* body, size_t size,
       uint64_t route_key, char* error, size_t error_size) {
      return guard("notify_role", [&] {
        std::string why;
        int rc = of(host).notifyRole(role ? role : "", id, name ? name : "",
                                     std::string_view(reinterpret_cast<const char*>(body), size), route_key, why);
        copyError(why, error, error_size);
        return rc;
      });
    },
    [](polis_host* host, uint32_t delay_ms, int repeat, polis_timer_fn fn, void* user) {
      return guard("add_timer", [&] { return of(host).addTimer(delay_ms, repeat != 0, fn, user); });
    },
    [](polis_host* host, uint64_t timer_id) { guard("cancel_timer", [&] { of(host).cancelTimer(timer_id); }); },
    [](polis_host* host, const char* name, const char* help, const polis_command_arg* args, size_t arg_count,
       polis_command_fn fn, void* user, char* error, size_t error_size) {
      return guard("add_command", [&] {
        CommandSpec spec;
        spec.set_name(name ? name : "");
        spec.set_help(help ? help : "");
        for (size_t i = 0; i < arg_count; ++i) {
          auto* a = spec.add_args();
          a->set_name(args[i].name ? args[i].name : "");
          a->set_type(argType(args[i].type));
          a->set_required(args[i].required != 0);
          a->set_help(args[i].help ? args[i].help : "");
        }
        std::string why;
        int rc = of(host).addCommand(std::move(spec), fn, user, why);
        copyError(why, error, error_size);
        return rc;
      });
    },
    [](polis_host* host, uint64_t run_id, int32_t code, const char* output) {
      guard("command_done", [&] { of(host).commandDone(run_id, code, output); });
    },
    [](polis_host* host, polis_drain_fn fn, void* user) { guard("on_drain", [&] { of(host).onDrain(fn, user); }); },
    [](polis_host* host, uint64_t drain_id) { guard("drain_done", [&] { of(host).drainDone(drain_id); }); },
    [](polis_host* host, polis_task_fn fn, void* user) {
      return guard("start_thread", [&] { return of(host).startThread(fn, user); });
    },
    [](polis_host* host) { return of(host).stopRequested() ? 1 : 0; },
    [](polis_host* host, polis_task_fn fn, void* user) {
      guard("post", [&] { of(host).postFromAnyThread(fn, user); });
    },
    [](polis_host* host, int level, const char* message) { guard("log", [&] { of(host).log(level, message); }); },
    [](polis_host* host, const char* key, polis_write_fn write, void* sink) {
      return guard("config", [&] {
        const std::string* value = of(host).config(key ? key : "");
        if (!value) return 0;
        write(sink, reinterpret_cast<const uint8_t*>(value->data()), value->size());
        return 1;
      });
    },
};

}  // namespace

const polis_host_api& hostApi() { return kApi; }

}  // namespace polis::host
