// The plugin SDK: the one header a native plugin includes (with the
// generated X.polis_plugin.h of its protos). A plugin implements generated
// services exactly as a node does (DESIGN §8), co_awaits other nodes, returns
// typed errors, and ends with one line:
//
//   class Guestbook final : public game::gen::Guestbook::Service { ... };
//   POLIS_PLUGIN(Guestbook)
//
// Optional members of the class: a constructor taking `std::string_view
// state` (what its predecessor's saveState() returned, empty on a first
// load) and `std::string saveState() const` (called at a reload). Timers,
// operator commands, drain hooks, threads and config go through the free
// functions below; the host releases all of it when the instance unloads.
//
// Everything here is header-only over the C ABI (polis/plugin_abi.h): no STL
// type, exception or allocation crosses into the host. Exceptions thrown by
// a handler become an `internal` error reply to that request. Each load of a
// plugin is a fresh copy of the library, so the globals below are one
// instance's. Threads: the loop thread, except where a function says otherwise.
#pragma once

#include <concepts>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "polis/plugin/call.h"
#include "polis/plugin/registrar.h"
#include "polis/plugin/services.h"  // IWYU pragma: export

namespace polis::plugin::detail {

template <class Impl>
struct Loaded {
  Registrar registrar;
  std::unique_ptr<Impl> impl;
};

template <class Impl>
void saveState(void* self, polis_write_fn write, void* sink) {
  auto* loaded = static_cast<Loaded<Impl>*>(self);
  if constexpr (requires(const Impl& i) { { i.saveState() } -> std::convertible_to<std::string>; }) {
    std::string state = loaded->impl->saveState();
    write(sink, reinterpret_cast<const uint8_t*>(state.data()), state.size());
  }
}

template <class Impl>
void destroy(void* self) {
  delete static_cast<Loaded<Impl>*>(self);
  releaseAll();
}

template <class Impl>
int init(const polis_host_api* api, polis_host* host, const uint8_t* state, size_t state_size, void** self,
         const polis_plugin_api** out, char* error, size_t error_size) {
  auto refuse = [&](const std::string& why) {
    std::snprintf(error, error_size, "%s", why.c_str());
    return 1;
  };
  if (api->abi_version != POLIS_PLUGIN_ABI_VERSION || api->struct_size < sizeof(polis_host_api)) {
    return refuse("built for plugin ABI " + std::to_string(POLIS_PLUGIN_ABI_VERSION) + ", the host has ABI " +
                  std::to_string(api->abi_version));
  }
  g_api = api;
  g_host = host;
  try {
    auto loaded = std::make_unique<Loaded<Impl>>();
    std::string_view saved(reinterpret_cast<const char*>(state), state_size);
    if constexpr (std::is_constructible_v<Impl, std::string_view>) {
      loaded->impl = std::make_unique<Impl>(saved);
    } else {
      loaded->impl = std::make_unique<Impl>();
    }
    loaded->impl->bindTo(loaded->registrar);
    if (!loaded->registrar.ok()) return refuse(loaded->registrar.problem());
    static const polis_plugin_api table{POLIS_PLUGIN_ABI_VERSION, sizeof(polis_plugin_api), &saveState<Impl>,
                                        &destroy<Impl>};
    *self = loaded.release();
    *out = &table;
    return 0;
  } catch (const std::exception& e) {
    releaseAll();
    return refuse(std::string("init threw: ") + e.what());
  } catch (...) {
    releaseAll();
    return refuse("init threw an exception that is not a std::exception");
  }
}

}  // namespace polis::plugin::detail

// The plugin's entry point, for its one service class.
#define POLIS_PLUGIN(Impl)                                                                                      \
  extern "C" __attribute__((visibility("default"))) int polis_plugin_init(                                      \
      const polis_host_api* api, polis_host* host, const uint8_t* state, size_t state_size, void** self,         \
      const polis_plugin_api** out, char* error, size_t error_size) {                                           \
    return ::polis::plugin::detail::init<Impl>(api, host, state, state_size, self, out, error, error_size);      \
  }
