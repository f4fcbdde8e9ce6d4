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

template <class Resp>
struct PendingState {
  std::optional<Result<Resp>> result;
  std::coroutine_handle<> waiter;
};

}  // namespace detail

// The result of a call already sent. co_await it once, from the thread of the
// channel's loop. If the awaiting coroutine is destroyed first, the reply is
// dropped harmlessly (the state is shared with the channel's callback).
template <class Resp>
class [[nodiscard]] Pending {
 public:
  explicit Pending(std::shared_ptr<detail::PendingState<Resp>> s) : state_(std::move(s)) {}

  bool await_ready() const noexcept { return state_->result.has_value(); }
  void await_suspend(std::coroutine_handle<> h) noexcept { state_->waiter = h; }
  Result<Resp> await_resume() { return std::move(*state_->result); }

 private:
  std::shared_ptr<detail::PendingState<Resp>> state_;
};

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
  auto state = std::make_shared<detail::PendingState<Resp>>();
  // Only a weak reference goes to the channel: a caller that gave up (its
  // coroutine destroyed) frees the state, and a late reply finds nothing.
  std::weak_ptr<detail::PendingState<Resp>> weak = state;
  callUnary<Resp>(channel, info, req, [weak](Result<Resp> r) {
    auto s = weak.lock();
    if (!s) return;
    s->result.emplace(std::move(r));
    if (auto w = std::exchange(s->waiter, {})) w.resume();
  }, options);
  return Pending<Resp>(std::move(state));
}

// One-way message; fails only when there is no open channel.
Result<void> sendNotify(const std::shared_ptr<Channel>& channel, const MethodInfo& info,
                        const google::protobuf::MessageLite& msg, const CallOptions& options = {});

}  // namespace polis::rpc
