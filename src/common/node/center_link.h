// CenterLink: this node's relationship with one center. Keeps an
// authenticated channel up; on every (re)connect registers and subscribes to
// membership; heartbeats with the node's load; re-registers when the center
// says it does not know us (it restarted or evicted us).
//
// A center that stops answering (a stalled process, a half-open connection)
// is declared lost after `heartbeat_misses` heartbeat intervals without any
// answer: its view of the membership is dropped at once (so nodes only it
// still lists vanish from ours), the channel is closed and the link dials
// again with backoff, registering anew once the center answers.
// polis_center_connected{center} and polis_center_heartbeat_misses_total /
// polis_center_lost_total{center} show it on /metrics.
// Threads: loop-thread only.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "base/task.h"
#include "node/membership.h"
#include "node/node_config.h"
#include "polis/registry.pb.h"
#include "rpc/rpc_client.h"

namespace polis {

namespace metrics {
class Counter;
}

class CenterLink {
 public:
  struct Hooks {
    std::function<NodeInfo()> self;      // what to register as (current state included)
    std::function<NodeLoad()> load;      // sampled for each heartbeat
    std::function<void()> registered;    // after each successful registration
  };
  struct Timing {
    std::chrono::milliseconds heartbeat{1000};
    uint32_t misses = 3;
  };

  CenterLink(EventLoop& loop, const rpc::Dispatcher& dispatcher, rpc::ChannelOptions options, net::Endpoint center,
             net::ConnectionOptions connection, net::ReconnectPolicy reconnect, Timing timing,
             Membership& membership, Hooks hooks);
  ~CenterLink();

  void start();
  void stop();
  // Tells the center our state changed (e.g. draining). `done` runs once,
  // with the answer or an error (no channel, timeout).
  void reportState(NodeState state, std::chrono::milliseconds timeout, std::function<void(Result<void>)> done);
  void deregister(std::chrono::milliseconds timeout, std::function<void(Result<void>)> done);

  bool registered() const { return registered_; }
  const std::string& key() const { return key_; }
  // True when `ch` is this link's current channel.
  bool owns(const rpc::Channel* ch) const { return ch && client_.channel().get() == ch; }
  // Takes a fresh snapshot (after a membership gap).
  void resubscribe();

 private:
  Task<void> registerAndSubscribe(std::shared_ptr<rpc::Channel> ch);
  Task<void> subscribe(std::shared_ptr<rpc::Channel> ch);
  void onReady();
  void tick();
  void heartbeat(const std::shared_ptr<rpc::Channel>& ch);
  void answered() { last_answer_ = std::chrono::steady_clock::now(); }
  void declareLost(std::chrono::steady_clock::duration silent);
  void lost();

  EventLoop& loop_;
  rpc::RpcClient client_;
  std::string key_;
  Timing timing_;
  Membership& membership_;
  Hooks hooks_;
  metrics::Counter& misses_total_;
  metrics::Counter& lost_total_;
  TimerId tick_timer_ = 0;
  bool registered_ = false;
  bool registering_ = false;
  bool heartbeat_outstanding_ = false;
  std::chrono::steady_clock::time_point last_answer_{};
  // Coroutines and callbacks check this before touching *this after a suspension.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace polis
