// Client side of generated stubs: callUnary() sends a request now and returns
// a Pending<Resp> to co_await (or passes the result to a callback);
// sendNotify() sends a one-way message.
#pragma once

#include <coroutine>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "base/completion.h"
#include "base/result.h"
#include "rpc/call_options.h"
#include "rpc/channel.h"
#include "rpc/method.h"

namespace polis::rpc {

namespace detail {

template <class Resp>
Result<Resp> parseResponse(const MethodInfo& info, Result<std::string_view> raw) {
  if (!raw) return raw.error();
  Resp resp;
  if (!resp.ParseFromArray(raw->data(), static_cast<int>(raw->size()))) {
    return Error{Errc::kBadMessage, "cannot parse response of " + std::string(info.name)};
  }
  return resp;
}

}  // namespace detail

// The result of a call already sent. co_await it once, from the thread of the
// channel's loop. If the awaiting coroutine is destroyed first, the reply is
// dropped harmlessly (base/completion.h).
template <class Resp>
using Pending = Completion<Result<Resp>>;

template <class Resp>
void callUnary(const std::shared_ptr<Channel>& channel, const MethodInfo& info,
               const google::protobuf::MessageLite& req, std::function<void(Result<Resp>)> done,
               const CallOptions& options = {}) {
  if (!channel) {
    done(Error{Errc::kUnavailable, "no connection for " + std::string(info.name)});
    return;
  }
  channel->call(info, req, options, [&info, done = std::move(done)](Result<std::string_view> raw) {
    done(detail::parseResponse<Resp>(info, std::move(raw)));
  });
}

template <class Resp>
Pending<Resp> callUnary(const std::shared_ptr<Channel>& channel, const MethodInfo& info,
                        const google::protobuf::MessageLite& req, const CallOptions& options = {}) {
  auto [pending, deliver] = Pending<Resp>::make();
  callUnary<Resp>(channel, info, req, std::move(deliver), options);
  return std::move(pending);
}

// One-way message; fails only when there is no open channel.
Result<void> sendNotify(const std::shared_ptr<Channel>& channel, const MethodInfo& info,
                        const google::protobuf::MessageLite& msg, const CallOptions& options = {});

}  // namespace polis::rpc
