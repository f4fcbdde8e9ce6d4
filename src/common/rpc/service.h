// Glue between generated service classes and the HandlerTable. Generated code
// calls bindUnary/bindOneway once per method; user code only overrides the
// generated pure virtual methods.
#pragma once

#include <coroutine>
#include <exception>
#include <utility>

#include "base/log.h"
#include "base/result.h"
#include "base/task.h"
#include "rpc/call.h"
#include "rpc/handler_table.h"
#include "rpc/incoming.h"

namespace polis::rpc {

// Base of every generated Service: lets a node bind any service generically.
class Service {
 public:
  virtual ~Service() = default;
  virtual void bindTo(HandlerTable& table) = 0;
};

namespace detail {

// Parses the request now (the body is only valid during dispatch); replies
// bad_message and returns false when it does not parse.
template <class Req>
bool parseRequest(Incoming& in, Req& req) {
  if (req.ParseFromArray(in.body().data(), static_cast<int>(in.body().size()))) return true;
  in.fail(Error{Errc::kBadMessage, std::string("cannot parse request of ") + std::string(in.method().name)});
  return false;
}

Error internalError(const MethodInfo& info, std::exception_ptr e);

// runUnary/runOneway are Detached coroutines (base/task.h) rather than Tasks
// passed to spawn(): one coroutine frame per call instead of two.
template <class Svc, class Req, class Resp>
Detached runUnary(Incoming in, Req req, Svc* svc, Task<Result<Resp>> (Svc::*method)(Call&, const Req&)) {
  Call call(in.weakChannel(), in.method(), in.routeKey());
  try {
    Result<Resp> result = co_await (svc->*method)(call, req);
    if (result) {
      in.reply(*result);
    } else {
      in.fail(result.error());
    }
  } catch (...) {
    in.fail(internalError(in.method(), std::current_exception()));
  }
}

template <class Svc, class Req>
Detached runOneway(Incoming in, Req req, Svc* svc, Task<void> (Svc::*method)(Call&, const Req&)) {
  Call call(in.weakChannel(), in.method(), in.routeKey());
  try {
    co_await (svc->*method)(call, req);
  } catch (...) {
    (void)internalError(in.method(), std::current_exception());  // logged; a notify has nobody to tell
  }
}

}  // namespace detail

// `svc` must outlive the table it is bound into (services live as long as their node).
template <class Svc, class Req, class Resp>
void bindUnary(HandlerTable& table, const MethodInfo& info, Svc* svc,
               Task<Result<Resp>> (Svc::*method)(Call&, const Req&)) {
  table.add(info, [svc, method](Incoming&& in) {
    Req req;
    if (!detail::parseRequest(in, req)) return;
    detail::runUnary<Svc, Req, Resp>(std::move(in), std::move(req), svc, method);
  });
}

template <class Svc, class Req>
void bindOneway(HandlerTable& table, const MethodInfo& info, Svc* svc,
                Task<void> (Svc::*method)(Call&, const Req&)) {
  table.add(info, [svc, method](Incoming&& in) {
    Req req;
    if (!detail::parseRequest(in, req)) return;
    detail::runOneway<Svc, Req>(std::move(in), std::move(req), svc, method);
  });
}

}  // namespace polis::rpc
