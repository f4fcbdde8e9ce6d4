#include "node/center_link.h"

#include "base/log.h"
#include "polis/registry.polis.h"

namespace polis {

CenterLink::CenterLink(EventLoop& loop, const rpc::Dispatcher& dispatcher, rpc::ChannelOptions options,
                       Endpoint center, std::chrono::milliseconds heartbeat, Membership& membership, Hooks hooks)
    : loop_(loop),
      client_(loop, dispatcher, std::move(options), center.host, center.port, {},
              net::ReconnectPolicy{std::chrono::milliseconds(50), std::min(heartbeat, std::chrono::milliseconds(500))}),
      key_(center.str()), heartbeat_(heartbeat), membership_(membership), hooks_(std::move(hooks)) {}

CenterLink::~CenterLink() {
  *alive_ = false;
  stop();
}

void CenterLink::start() {
  client_.start([this](const rpc::Channel::Ptr& ch) { spawn(registerAndSubscribe(ch)); }, [this] { lost(); });
  heartbeat_timer_ = loop_.runEvery(heartbeat_, [this] { heartbeat(); });
}

void CenterLink::stop() {
  if (heartbeat_timer_) loop_.cancel(std::exchange(heartbeat_timer_, 0));
  client_.stop();
  registered_ = false;
}

void CenterLink::lost() {
  if (registered_) log::warn("lost center {}; reconnecting", key_);
  registered_ = false;
  membership_.dropCenter(key_);
}

Task<void> CenterLink::registerAndSubscribe(std::shared_ptr<rpc::Channel> ch) {
  if (registering_) co_return;
  registering_ = true;
  auto alive = alive_;
  RegisterReq req;
  *req.mutable_node() = hooks_.self();
  auto ack = co_await gen::Registry::Stub(ch).Register(req);
  if (!*alive) co_return;
  registering_ = false;
  if (!ack) {
    log::warn("registration with center {} failed: {}", key_, ack.error().describe());
    co_return;  // the next heartbeat tick retries
  }
  if (!registered_) log::info("registered with center {} ({})", key_, ack->center());
  registered_ = true;
  if (hooks_.registered) hooks_.registered();
  co_await subscribe(ch);
}

Task<void> CenterLink::subscribe(std::shared_ptr<rpc::Channel> ch) {
  auto alive = alive_;
  auto snapshot = co_await gen::Registry::Stub(ch).Subscribe(SubscribeReq{});
  if (!*alive) co_return;
  if (!snapshot) {
    log::warn("subscribing to center {} failed: {}", key_, snapshot.error().describe());
    co_return;
  }
  membership_.applySnapshot(key_, *snapshot);
}

void CenterLink::resubscribe() {
  if (auto ch = client_.channel()) spawn(subscribe(ch));
}

void CenterLink::heartbeat() {
  auto ch = client_.channel();
  if (!ch) return;
  if (!registered_) {
    spawn(registerAndSubscribe(ch));
    return;
  }
  HeartbeatReq req;
  *req.mutable_load() = hooks_.load();
  std::weak_ptr<bool> alive = alive_;
  gen::Registry::Stub(ch).Heartbeat(req, [this, alive, ch](Result<HeartbeatAck> ack) {
    if (!alive.lock() || !*alive.lock()) return;
    if (ack && !ack->known()) {
      log::warn("center {} does not know this node; registering again", key_);
      registered_ = false;
      spawn(registerAndSubscribe(ch));
    } else if (!ack) {
      log::warn("heartbeat to center {} failed: {}", key_, ack.error().describe());
    }
  });
}

Task<Result<void>> CenterLink::reportState(NodeState state) {
  auto ch = client_.channel();
  SetStateReq req;
  req.set_state(state);
  auto r = co_await gen::Registry::Stub(ch).SetState(req);
  if (!r) co_return r.error();
  co_return Result<void>{};
}

Task<Result<void>> CenterLink::deregister() {
  auto ch = client_.channel();
  auto r = co_await gen::Registry::Stub(ch).Deregister(DeregisterReq{});
  if (!r) co_return r.error();
  registered_ = false;
  co_return Result<void>{};
}

}  // namespace polis
