// Incoming: one request or notify as a handler receives it, before parsing.
// It knows where the reply goes; answering twice is ignored, and a reply
// whose channel has closed is dropped and counted. Its latency runs from the
// read that delivered it to the reply, on the loop clock (base/loop_clock.h):
// a handler that answers within the same callback records ~0. While an Incoming lives it
// counts as an in-flight call (draining waits for these) and keeps the handler
// table it came from alive (so a hot swap cannot pull a handler out from under it).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

#include "base/result.h"
#include "rpc/header.h"
#include "rpc/method.h"

namespace google::protobuf {
class MessageLite;
}

namespace polis::rpc {

class Channel;
struct HandlerEntry;
struct InstalledTable;

class Incoming {
 public:
  // `installed`: the table `entry` is from; its in-flight count includes this
  // call until it is answered.
  Incoming(std::weak_ptr<Channel> channel, std::shared_ptr<const InstalledTable> installed, const HandlerEntry& entry,
           uint32_t call_id, uint64_t route_key, std::string_view body);
  Incoming(Incoming&& other) noexcept;
  Incoming& operator=(Incoming&&) = delete;
  Incoming(const Incoming&) = delete;
  ~Incoming();

  // `body` points into the connection's input buffer: valid only until the
  // handler returns to the dispatcher. Parse it before the first co_await.
  std::string_view body() const { return body_; }
  const MethodInfo& method() const;
  uint64_t routeKey() const { return route_key_; }
  bool isNotify() const { return call_id_ == 0; }
  // When the read that delivered it began (the loop clock).
  std::chrono::steady_clock::time_point started() const { return started_; }
  // The channel the call arrived on; empty once it closed.
  std::shared_ptr<Channel> channel() const { return channel_.lock(); }
  const std::weak_ptr<Channel>& weakChannel() const { return channel_; }

  // A message, or bytes serialized already (rpc/header.h).
  void reply(const FrameBody& response);
  void fail(const Error& error);

 private:
  // `channel`: the locked channel, or null once it is gone.
  void finish(Channel* channel, bool success);

  std::weak_ptr<Channel> channel_;
  std::shared_ptr<const InstalledTable> installed_;
  const HandlerEntry* entry_;
  uint32_t call_id_;
  uint64_t route_key_;
  std::string_view body_;
  std::chrono::steady_clock::time_point started_;
  bool live_ = true;  // false once answered or moved from
};

}  // namespace polis::rpc
