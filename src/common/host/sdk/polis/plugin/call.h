// The plugin SDK's view of calls: the host table this plugin instance was
// given, the Call a handler serves, and calls out to other nodes
// (callRole / notifyRole, used by generated stubs). Part of polis/plugin.h.
#pragma once

#include <coroutine>
#include <cstdio>
#include <optional>
#include <string>

#include "polis/plugin/result.h"
#include "polis/plugin/task.h"
#include "polis/plugin_abi.h"

namespace polis::plugin {

namespace detail {
// This instance's host (each load is its own copy of the library, so these
// are per instance). Set by init before any other SDK function runs.
inline const polis_host_api* g_api = nullptr;
inline polis_host* g_host = nullptr;

inline void appendBytes(void* sink, const uint8_t* data, size_t size) {
  static_cast<std::string*>(sink)->append(reinterpret_cast<const char*>(data), size);
}
// Serialized replies reuse one buffer (the host copies it at once).
inline std::string& scratch() {
  static std::string buffer;
  return buffer;
}
}  // namespace detail

struct MethodInfo {
  uint16_t id;
  const char* name;  // "Service.Method"
  bool oneway;
};

struct CallOptions {
  uint32_t timeout_ms = 0;  // 0: the node's default
  uint64_t route_key = 0;   // the player id for player-scoped calls
};

}  // namespace polis::plugin

namespace polis {

// What a handler knows about the call it serves, besides the request.
class Call {
 public:
  explicit Call(const polis_call* call) : call_(call) {}
  uint64_t player() const { return plugin::detail::g_api->route_key(call_); }
  // The calling node's name.
  std::string peer() const {
    std::string out;
    plugin::detail::g_api->peer(call_, &plugin::detail::appendBytes, &out);
    return out;
  }

 private:
  const polis_call* call_;
};

}  // namespace polis

namespace polis::plugin {

// A call to another node, sent when co_awaited (once).
template <class Resp>
class [[nodiscard]] Pending {
 public:
  template <class Req>
  Pending(std::string role, const MethodInfo& info, const Req& req, const CallOptions& options)
      : role_(std::move(role)), info_(info), options_(options) {
    req.SerializeToString(&body_);
  }

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) {
    waiter_ = h;
    detail::g_api->call_role(detail::g_host, role_.c_str(), info_.id, info_.name,
                             reinterpret_cast<const uint8_t*>(body_.data()), body_.size(), options_.timeout_ms,
                             options_.route_key, &Pending::onReply, this);
    suspended_ = !result_.has_value();  // the host may answer at once (no node of the role)
    return suspended_;
  }
  Result<Resp> await_resume() { return std::move(*result_); }

 private:
  static void onReply(void* user, int32_t code, const uint8_t* body, size_t size) {
    auto* self = static_cast<Pending*>(user);
    if (code != 0) {
      self->result_.emplace(Error{static_cast<Errc>(code), std::string(reinterpret_cast<const char*>(body), size)});
    } else {
      Resp resp;
      if (resp.ParseFromArray(body, static_cast<int>(size))) {
        self->result_.emplace(std::move(resp));
      } else {
        self->result_.emplace(Error{Errc::kBadMessage, std::string("cannot parse the reply of ") + self->info_.name});
      }
    }
    if (self->suspended_) self->waiter_.resume();
  }

  std::string role_;
  MethodInfo info_;
  CallOptions options_;
  std::string body_;
  std::optional<Result<Resp>> result_;
  std::coroutine_handle<> waiter_;
  bool suspended_ = false;
};

template <class Resp, class Req>
Pending<Resp> callRole(const std::string& role, const MethodInfo& info, const Req& req, const CallOptions& options) {
  return Pending<Resp>(role, info, req, options);
}

template <class Req>
Result<void> notifyRole(const std::string& role, const MethodInfo& info, const Req& req, const CallOptions& options) {
  std::string body = req.SerializeAsString();
  char error[256] = {0};
  if (detail::g_api->notify_role(detail::g_host, role.c_str(), info.id, info.name,
                                 reinterpret_cast<const uint8_t*>(body.data()), body.size(), options.route_key, error,
                                 sizeof error) != 0) {
    return Error{Errc::kUnavailable, error};
  }
  return {};
}

}  // namespace polis::plugin
