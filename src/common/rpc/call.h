// Call: what a service handler knows about the call it is serving, besides
// the request message. Handlers never see bytes, ids or sockets.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "rpc/method.h"

namespace polis::rpc {

class Channel;

class Call {
 public:
  // `channel` is the Incoming's, which lives as long as the handler runs.
  Call(const std::weak_ptr<Channel>& channel, const MethodInfo& info, uint64_t route_key)
      : channel_(&channel), info_(&info), route_key_(route_key) {}

  // The route key the caller set: the player id for player-scoped calls.
  uint64_t player() const { return route_key_; }
  std::string_view method() const { return info_->name; }
  // The calling node's channel, for pushing notifies back; empty once closed.
  std::shared_ptr<Channel> channel() const { return channel_->lock(); }
  // Name the peer gave in the handshake ("" once the channel closed).
  std::string peer() const;

 private:
  const std::weak_ptr<Channel>* channel_;
  const MethodInfo* info_;
  uint64_t route_key_;
};

}  // namespace polis::rpc

namespace polis {
using rpc::Call;
}  // namespace polis
