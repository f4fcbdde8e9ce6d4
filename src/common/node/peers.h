// Peers: this node's connections to the other nodes of the cluster, for
// calls that game code makes (plugins, Lua): "a node of role X". A call by
// role goes to a ready node of that role (round robin; the load-balancing
// policies come with the client edge), over a channel opened on first use
// and kept while the node is in the membership.
// Threads: loop-thread only.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/task.h"
#include "node/membership.h"
#include "rpc/rpc_client.h"

namespace polis {

class Peers {
 public:
  Peers(EventLoop& loop, const rpc::Dispatcher& dispatcher, rpc::ChannelOptions options, const Membership& membership)
      : loop_(loop), dispatcher_(dispatcher), options_(std::move(options)), membership_(membership) {}

  // An open channel to a ready node of `role`, waiting up to `wait` for one
  // to connect; unavailable when the cluster has no ready node of the role.
  Task<Result<std::shared_ptr<rpc::Channel>>> channelTo(std::string role, std::chrono::milliseconds wait);

  // An open channel to a ready node of `role` now, or null (none ready, or
  // not connected yet: the connection is started for next time).
  std::shared_ptr<rpc::Channel> readyChannel(std::string_view role);

  // Calls method `info` of a node of `role` with a body serialized already;
  // the reply's bytes, or the error. `info` must outlive the call.
  Task<Result<std::string>> callBytes(std::string role, const rpc::MethodInfo& info, std::string body,
                                      rpc::CallOptions options);

 private:
  std::vector<NodeInfo> readyNodes(std::string_view role) const;
  rpc::RpcClient& clientFor(const NodeInfo& node);
  void forgetDeparted();

  EventLoop& loop_;
  const rpc::Dispatcher& dispatcher_;
  rpc::ChannelOptions options_;
  const Membership& membership_;
  std::map<std::string, std::unique_ptr<rpc::RpcClient>> clients_;  // by node name
  std::map<std::string, size_t> next_;                              // round-robin position by role
};

}  // namespace polis
