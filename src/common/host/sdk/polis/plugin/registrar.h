// How a plugin's generated services reach the host: Registrar registers each
// method's handler with the host during init; each request then runs as its
// own coroutine, and its outcome — the reply, a typed error, or an
// `internal` error for an exception — is answered exactly once. Part of
// polis/plugin.h.
#pragma once

#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "polis/plugin/call.h"

namespace polis::plugin {

class Registrar;

// Base of every generated plugin Service.
class Service {
 public:
  virtual ~Service() = default;
  virtual void bindTo(Registrar& registrar) = 0;
};

namespace detail {

inline void answer(polis_call* call, const Error& e) {
  g_api->fail(call, static_cast<int32_t>(e.code), e.message.c_str());
}

// Runs one request to completion; nothing escapes it.
template <class Svc, class Req, class Resp>
Detached runUnary(polis_call* call, Req req, Svc* svc, Task<Result<Resp>> (Svc::*method)(Call&, const Req&)) {
  Call context(call);
  try {
    Result<Resp> result = co_await (svc->*method)(context, req);
    if (result) {
      std::string& out = scratch();
      out.clear();
      result->AppendToString(&out);
      g_api->reply(call, reinterpret_cast<const uint8_t*>(out.data()), out.size());
    } else {
      answer(call, result.error());
    }
  } catch (const std::exception& e) {
    answer(call, Error{Errc::kInternal, std::string("the plugin's handler threw: ") + e.what()});
  } catch (...) {
    answer(call, Error{Errc::kInternal, "the plugin's handler threw"});
  }
}

template <class Svc, class Req>
Detached runOneway(polis_call* call, Req req, Svc* svc, Task<void> (Svc::*method)(Call&, const Req&)) {
  Call context(call);
  try {
    co_await (svc->*method)(context, req);
    g_api->reply(call, nullptr, 0);  // a notify is done
  } catch (const std::exception& e) {
    answer(call, Error{Errc::kInternal, std::string("the plugin's handler threw: ") + e.what()});
  } catch (...) {
    answer(call, Error{Errc::kInternal, "the plugin's handler threw"});
  }
}

}  // namespace detail

class Registrar {
 public:
  template <class Svc, class Req, class Resp>
  void unary(const MethodInfo& info, Svc* svc, Task<Result<Resp>> (Svc::*method)(Call&, const Req&)) {
    using Bound = Binding<Svc, Req, Task<Result<Resp>>>;
    add(info, std::make_unique<Bound>(svc, method), [](void* user, polis_call* call, const uint8_t* body, size_t size) {
      auto* b = static_cast<Bound*>(user);
      Req req;
      if (!req.ParseFromArray(body, static_cast<int>(size))) {
        detail::answer(call, Error{Errc::kBadMessage, "cannot parse the request"});
        return;
      }
      detail::runUnary<Svc, Req, Resp>(call, std::move(req), b->svc, b->method);
    });
  }

  template <class Svc, class Req>
  void oneway(const MethodInfo& info, Svc* svc, Task<void> (Svc::*method)(Call&, const Req&)) {
    using Bound = Binding<Svc, Req, Task<void>>;
    add(info, std::make_unique<Bound>(svc, method), [](void* user, polis_call* call, const uint8_t* body, size_t size) {
      auto* b = static_cast<Bound*>(user);
      Req req;
      if (!req.ParseFromArray(body, static_cast<int>(size))) {
        detail::answer(call, Error{Errc::kBadMessage, "cannot parse the message"});
        return;
      }
      detail::runOneway<Svc, Req>(call, std::move(req), b->svc, b->method);
    });
  }

  bool ok() const { return problem_.empty(); }
  const std::string& problem() const { return problem_; }

 private:
  struct AnyBinding {
    virtual ~AnyBinding() = default;
  };
  template <class Svc, class Req, class Ret>
  struct Binding final : AnyBinding {
    Binding(Svc* s, Ret (Svc::*m)(Call&, const Req&)) : svc(s), method(m) {}
    Svc* svc;
    Ret (Svc::*method)(Call&, const Req&);
  };

  void add(const MethodInfo& info, std::unique_ptr<AnyBinding> binding, polis_handler_fn fn) {
    if (!problem_.empty()) return;
    char error[256] = {0};
    if (detail::g_api->add_handler(detail::g_host, info.id, info.name, info.oneway ? 1 : 0, fn, binding.get(), error,
                                   sizeof error) != 0) {
      problem_ = error;
      return;
    }
    bindings_.push_back(std::move(binding));
  }

  std::vector<std::unique_ptr<AnyBinding>> bindings_;  // live as long as the instance
  std::string problem_;
};

}  // namespace polis::plugin
