#include "center/registry_service.h"

#include <random>

#include "base/log.h"
#include "base/log_throttle.h"
#include "base/metrics.h"

namespace polis::center {
namespace {

uint64_t randomIncarnation() {
  std::random_device rd;
  return (uint64_t{rd()} << 32) | rd();
}

Error notRegistered() { return Error{Errc::kInvalidArgument, "this connection has not registered a node"}; }

}  // namespace

RegistryService::RegistryService(EventLoop& loop, std::string center_name, CenterOptions options)
    : loop_(loop), center_name_(center_name), options_(options), registry_(center_name, randomIncarnation()),
      evictions_(metrics::Registry::global().counter("polis_center_evictions_total",
                                                     "Nodes evicted for not heartbeating within the timeout.")) {}

RegistryService::~RegistryService() {
  if (evict_timer_) loop_.cancel(evict_timer_);
  if (flush_timer_) loop_.cancel(flush_timer_);
}

void RegistryService::start() {
  // Check for silence four times per timeout so eviction lands within 1.25x of it.
  auto interval = options_.heartbeat_timeout / 4;
  evict_timer_ = loop_.runEvery(interval, [this, interval] {
    auto diff = registry_.evictSilent(options_.heartbeat_timeout, interval);
    if (diff) evictions_.inc(static_cast<uint64_t>(diff->removed_size()));
    publish(diff);
  });
  flush_timer_ = loop_.runEvery(options_.heartbeat, [this] { publish(registry_.flushLoads()); });
}

void RegistryService::channelClosed(const rpc::Channel& ch) {
  subscribers_.erase(ch.id());
  node_channels_.erase(ch.id());
  if (const std::string* name = registry_.nameOf(ch.id())) {
    log::info("node {} disconnected; removing it", *name);
  }
  publish(registry_.removeOwner(ch.id()));
}

std::shared_ptr<rpc::Channel> RegistryService::channelOf(const std::string& name) const {
  for (const auto& [owner, channel] : node_channels_) {
    const std::string* registered = registry_.nameOf(owner);
    if (registered && *registered == name) return channel.lock();
  }
  return nullptr;
}

void RegistryService::publish(const std::optional<MembershipDiff>& diff) {
  if (!diff) return;
  for (auto it = subscribers_.begin(); it != subscribers_.end();) {
    auto ch = it->second.lock();
    if (!ch || !ch->ready()) {
      it = subscribers_.erase(it);
      continue;
    }
    (void)gen::MembershipWatcher::Stub(ch).Changed(*diff);
    ++it;
  }
}

Task<Result<RegisterAck>> RegistryService::Register(Call& call, const RegisterReq& req) {
  auto ch = call.channel();
  if (!ch) co_return Error{Errc::kConnectionLost};
  const NodeInfo& n = req.node();
  if (n.name().empty() || n.role().empty() || n.name().size() > 128 || n.role().size() > 64) {
    co_return Error{Errc::kInvalidArgument, "a node needs a name (<=128 chars) and a role (<=64 chars)"};
  }
  auto diff = registry_.upsert(n, ch->id(), ch->peerAddress());
  if (!diff) {
    if (auto note = log::throttle("duplicate name " + n.name())) {
      log::warn("refused a registration from {}: {}{}", ch->peerAddress(), diff.error().message, *note);
    }
    co_return diff.error();
  }
  node_channels_[ch->id()] = ch;
  log::info("registered {} ({}) at {}", n.name(), n.role(), n.host());
  publish(*diff);
  RegisterAck ack;
  ack.set_center(center_name_);
  co_return ack;
}

Task<Result<HeartbeatAck>> RegistryService::Heartbeat(Call& call, const HeartbeatReq& req) {
  auto ch = call.channel();
  HeartbeatAck ack;
  ack.set_known(ch && registry_.heartbeat(ch->id(), req.load()));
  co_return ack;
}

Task<Result<Empty>> RegistryService::SetState(Call& call, const SetStateReq& req) {
  auto ch = call.channel();
  if (!ch || !registry_.nameOf(ch->id())) co_return notRegistered();
  publish(registry_.setState(ch->id(), req.state()));
  co_return Empty{};
}

Task<Result<Empty>> RegistryService::Deregister(Call& call, const DeregisterReq&) {
  auto ch = call.channel();
  if (!ch || !registry_.nameOf(ch->id())) co_return notRegistered();
  log::info("node {} deregistered", *registry_.nameOf(ch->id()));
  publish(registry_.removeOwner(ch->id()));
  co_return Empty{};
}

Task<Result<MembershipSnapshot>> RegistryService::Subscribe(Call& call, const SubscribeReq&) {
  auto ch = call.channel();
  if (!ch) co_return Error{Errc::kConnectionLost};
  // Registered before the reply is queued, so the first diff it gets follows this snapshot's epoch.
  subscribers_[ch->id()] = ch;
  co_return registry_.snapshot();
}

}  // namespace polis::center
