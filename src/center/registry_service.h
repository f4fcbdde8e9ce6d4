// RegistryService: the center's RPC face over Registry. Binds each node to
// the channel it registered on, evicts nodes whose channel closes or whose
// heartbeats stop, and pushes every diff to every subscriber in epoch order.
// Threads: loop-thread only.
#pragma once

#include <map>
#include <memory>
#include <optional>

#include "base/event_loop.h"
#include "base/metrics.h"
#include "center/registry.h"
#include "polis/registry.polis.h"
#include "rpc/channel.h"

namespace polis::center {

struct CenterOptions {
  std::chrono::milliseconds heartbeat{1000};          // the load-flush period
  std::chrono::milliseconds heartbeat_timeout{3000};  // silence that evicts a node
};

class RegistryService final : public gen::Registry::Service {
 public:
  RegistryService(EventLoop& loop, std::string center_name, CenterOptions options);
  ~RegistryService() override;

  void start();
  // Call when a channel closes: its node (if any) is evicted, its subscription dropped.
  void channelClosed(const rpc::Channel& ch);
  const Registry& registry() const { return registry_; }
  // The channel node `name` registered over, while it is open.
  std::shared_ptr<rpc::Channel> channelOf(const std::string& name) const;

  Task<Result<RegisterAck>> Register(Call& call, const RegisterReq& req) override;
  Task<Result<HeartbeatAck>> Heartbeat(Call& call, const HeartbeatReq& req) override;
  Task<Result<Empty>> SetState(Call& call, const SetStateReq& req) override;
  Task<Result<Empty>> Deregister(Call& call, const DeregisterReq& req) override;
  Task<Result<MembershipSnapshot>> Subscribe(Call& call, const SubscribeReq& req) override;

 private:
  void publish(const std::optional<MembershipDiff>& diff);

  EventLoop& loop_;
  std::string center_name_;
  CenterOptions options_;
  Registry registry_;
  std::map<uint64_t, std::weak_ptr<rpc::Channel>> subscribers_;    // by channel id
  std::map<uint64_t, std::weak_ptr<rpc::Channel>> node_channels_;  // channels nodes registered over, by id
  metrics::Counter& evictions_;
  TimerId evict_timer_ = 0;
  TimerId flush_timer_ = 0;
};

}  // namespace polis::center
