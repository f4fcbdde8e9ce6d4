// CenterLink: this node's relationship with one center. Keeps an
// authenticated channel up; on every (re)connect registers and subscribes to
// membership; heartbeats with the node's load; re-registers when the center
// says it does not know us (it restarted or evicted us).
// Threads: loop-thread only.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "base/task.h"
#include "node/membership.h"
#include "node/node_config.h"
#include "polis/registry.pb.h"
#include "rpc/rpc_client.h"

namespace polis {

class CenterLink {
 public:
  struct Hooks {
    std::function<NodeInfo()> self;      // what to register as (current state included)
    std::function<NodeLoad()> load;      // sampled for each heartbeat
    std::function<void()> registered;    // after each successful registration
  };

  CenterLink(EventLoop& loop, const rpc::Dispatcher& dispatcher, rpc::ChannelOptions options, Endpoint center,
             std::chrono::milliseconds heartbeat, Membership& membership, Hooks hooks);
  ~CenterLink();

  void start();
  void stop();
  // Tells the center our state changed (e.g. draining); completes when answered.
  Task<Result<void>> reportState(NodeState state);
  Task<Result<void>> deregister();

  bool registered() const { return registered_; }
  const std::string& key() const { return key_; }
  // True when `ch` is this link's current channel.
  bool owns(const rpc::Channel* ch) const { return ch && client_.channel().get() == ch; }
  // Takes a fresh snapshot (after a membership gap).
  void resubscribe();

 private:
  Task<void> registerAndSubscribe(std::shared_ptr<rpc::Channel> ch);
  Task<void> subscribe(std::shared_ptr<rpc::Channel> ch);
  void heartbeat();
  void lost();

  EventLoop& loop_;
  rpc::RpcClient client_;
  std::string key_;
  std::chrono::milliseconds heartbeat_;
  Membership& membership_;
  Hooks hooks_;
  TimerId heartbeat_timer_ = 0;
  bool registered_ = false;
  bool registering_ = false;
  // Coroutines check this before touching *this after a suspension.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace polis
