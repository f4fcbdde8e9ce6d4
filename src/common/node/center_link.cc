#include "node/center_link.h"

#include "base/log.h"
#include "base/log_throttle.h"
#include "base/metrics.h"
#include "polis/registry.polis.h"

namespace polis {
namespace {

metrics::Counter& centerCounter(const char* name, const char* help, const std::string& center) {
  return metrics::Registry::global().counter(name, help, {{"center", center}});
}

Result<void> asVoid(const Result<Empty>& r) {
  if (!r) return r.error();
  return {};
}

}  // namespace

CenterLink::CenterLink(EventLoop& loop, const rpc::Dispatcher& dispatcher, rpc::ChannelOptions options,
                       net::Endpoint center, net::ConnectionOptions connection, net::ReconnectPolicy reconnect,
                       Timing timing, Membership& membership, Hooks hooks)
    : loop_(loop),
      client_(loop, dispatcher, std::move(options), center.host, center.port, connection, reconnect),
      key_(center.str()), timing_(timing), membership_(membership), hooks_(std::move(hooks)),
      misses_total_(centerCounter("polis_center_heartbeat_misses_total",
                                  "Heartbeat intervals a center let pass without answering.", key_)),
      lost_total_(centerCounter("polis_center_lost_total",
                                "Times a center was declared lost (silent too long, or its connection closed).",
                                key_)) {
  metrics::Registry::global().callbackGauge("polis_center_connected",
                                            "1 while this node is registered with the center.",
                                            {{"center", key_}}, [this] { return registered_ ? 1.0 : 0.0; });
}

CenterLink::~CenterLink() {
  *alive_ = false;
  metrics::Registry::global().removeCallbackGauge("polis_center_connected", {{"center", key_}});
  stop();
}

void CenterLink::start() {
  client_.start([this](const rpc::Channel::Ptr&) { onReady(); }, [this] { lost(); });
  tick_timer_ = loop_.runEvery(timing_.heartbeat, [this] { tick(); });
}

void CenterLink::stop() {
  if (tick_timer_) loop_.cancel(std::exchange(tick_timer_, 0));
  client_.stop();
  registered_ = false;
}

void CenterLink::onReady() {
  answered();  // the handshake is an answer
  heartbeat_outstanding_ = false;
  registering_ = false;
  if (auto ch = client_.channel()) spawn(registerAndSubscribe(ch));
}

void CenterLink::lost() {
  if (registered_) {
    log::warn("lost center {}; reconnecting", key_);
    lost_total_.inc();
  }
  registered_ = false;
  registering_ = false;
  heartbeat_outstanding_ = false;
  membership_.dropCenter(key_);
}

void CenterLink::declareLost(std::chrono::steady_clock::duration silent) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(silent).count();
  log::warn("center {} has not answered for {} ms ({} heartbeats); dropping its view and reconnecting", key_, ms,
            timing_.misses);
  if (!registered_) lost_total_.inc();  // lost() counts it otherwise
  lost();
  client_.reconnect("center stopped answering");
}

// Every heartbeat interval: an interval in which the center answered nothing
// we asked is a miss; enough misses in a row and the center is lost.
void CenterLink::tick() {
  auto ch = client_.channel();
  if (!ch) return;
  auto silent = std::chrono::steady_clock::now() - last_answer_;
  if (heartbeat_outstanding_ || registering_) misses_total_.inc();
  if (silent > timing_.heartbeat * timing_.misses) {
    declareLost(silent);
    return;
  }
  if (!registered_) {
    spawn(registerAndSubscribe(ch));
  } else if (!heartbeat_outstanding_) {
    heartbeat(ch);
  }
}

Task<void> CenterLink::registerAndSubscribe(std::shared_ptr<rpc::Channel> ch) {
  if (registering_) co_return;
  registering_ = true;
  auto alive = alive_;
  RegisterReq req;
  *req.mutable_node() = hooks_.self();
  gen::Registry::Stub registry(ch);  // named: see "co_await and temporaries" in docs/architecture.md
  auto ack = co_await registry.Register(req);
  if (!*alive || !owns(ch.get())) co_return;
  registering_ = false;
  if (!ack) {
    if (ack.error().code != Errc::kTimeout && ack.error().code != Errc::kConnectionLost) answered();
    if (auto note = log::throttle("register " + key_)) {
      log::warn("registration with center {} failed: {}{}", key_, ack.error().describe(), *note);
    }
    co_return;  // the next tick retries
  }
  answered();
  if (!registered_) log::info("registered with center {} ({})", key_, ack->center());
  registered_ = true;
  if (hooks_.registered) hooks_.registered();
  co_await subscribe(ch);
}

Task<void> CenterLink::subscribe(std::shared_ptr<rpc::Channel> ch) {
  auto alive = alive_;
  gen::Registry::Stub registry(ch);
  SubscribeReq req;
  auto snapshot = co_await registry.Subscribe(req);
  if (!*alive || !owns(ch.get())) co_return;
  if (!snapshot) {
    log::warn("subscribing to center {} failed: {}", key_, snapshot.error().describe());
    co_return;
  }
  answered();
  membership_.applySnapshot(key_, *snapshot);
}

void CenterLink::resubscribe() {
  if (auto ch = client_.channel()) spawn(subscribe(ch));
}

void CenterLink::heartbeat(const std::shared_ptr<rpc::Channel>& ch) {
  HeartbeatReq req;
  *req.mutable_load() = hooks_.load();
  heartbeat_outstanding_ = true;
  std::weak_ptr<bool> alive = alive_;
  std::weak_ptr<rpc::Channel> weak_ch = ch;
  rpc::CallOptions options;
  options.timeout = timing_.heartbeat * timing_.misses;
  gen::Registry::Stub(ch).Heartbeat(req, [this, alive, weak_ch](Result<HeartbeatAck> ack) {
    auto still = alive.lock();
    auto ch = weak_ch.lock();
    if (!still || !*still || !owns(ch.get())) return;
    heartbeat_outstanding_ = false;
    if (ack) answered();
    if (ack && !ack->known()) {
      log::warn("center {} does not know this node; registering again", key_);
      registered_ = false;
      spawn(registerAndSubscribe(ch));
    }
  }, options);
}

void CenterLink::reportState(NodeState state, std::chrono::milliseconds timeout,
                             std::function<void(Result<void>)> done) {
  SetStateReq req;
  req.set_state(state);
  rpc::CallOptions options;
  options.timeout = timeout;
  gen::Registry::Stub(client_.channel()).SetState(req, [done](Result<Empty> r) { done(asVoid(r)); }, options);
}

void CenterLink::deregister(std::chrono::milliseconds timeout, std::function<void(Result<void>)> done) {
  rpc::CallOptions options;
  options.timeout = timeout;
  std::weak_ptr<bool> alive = alive_;
  gen::Registry::Stub(client_.channel()).Deregister(DeregisterReq{}, [this, alive, done](Result<Empty> r) {
    if (auto still = alive.lock(); still && *still && r) registered_ = false;
    done(asVoid(r));
  }, options);
}

}  // namespace polis
