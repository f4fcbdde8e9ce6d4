#include "node/node.h"

#include <utility>
#include <csignal>

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "base/metrics.h"
#include "base/sleep.h"
#include "node/stop_signals.h"
#include "rpc/rpc_metrics.h"

namespace polis {
namespace {

constexpr auto kDrainPoll = std::chrono::milliseconds(20);
constexpr auto kFlushTimeout = std::chrono::milliseconds(1000);

net::ConnectionOptions connectionOptions(const NodeConfig& c) {
  return net::ConnectionOptions{c.high_water_bytes, c.dead_peer_timeout};
}

std::chrono::milliseconds until(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return std::max(left, std::chrono::milliseconds(1));
}

}  // namespace

Node::Node(NodeConfig config)
    : config_(std::move(config)),
      rpc_server_(loop_, dispatcher_, channelOptions(), config_.host, config_.rpc_port, connectionOptions(config_),
                  net::ListenerOptions{config_.max_unauthenticated, "rpc"}),
      ops_(loop_, config_.host, config_.ops_port), control_([this] { drain(); }),
      peers_(loop_, dispatcher_, channelOptions(), membership_) {
  gen::MembershipWatcher::Service::bindTo(table_);
  control_.bindTo(table_);
  auto& r = metrics::Registry::global();
  r.callbackGauge("polis_event_loop_lag_seconds", "How late the loop's 100 ms probe timer fired.", {},
                  [this] { return loop_.lagSeconds(); });
  r.callbackGauge("polis_node_ready", "1 while the node is ready to serve.", {},
                  [this] { return state_ == NODE_READY ? 1.0 : 0.0; });
  r.callbackGauge("polis_rpc_inflight_calls", "Requests being served now.", {},
                  [this] { return static_cast<double>(dispatcher_.inflight()); });
  addOpsRoutes();
  rpc::rpcMetrics();  // registers the process-wide RPC series so /metrics shows them from the start
}

Node::~Node() {
  // Coroutines suspended when the loop stopped (a handler awaiting another
  // node, the drain itself) go first, while everything they point at exists.
  cancelDetachedTasks();
  while (!parts_.empty()) parts_.pop_back();
  auto& r = metrics::Registry::global();
  r.removeCallbackGauge("polis_event_loop_lag_seconds", {});
  r.removeCallbackGauge("polis_node_ready", {});
  r.removeCallbackGauge("polis_rpc_inflight_calls", {});
}

rpc::ChannelOptions Node::channelOptions() const {
  rpc::ChannelOptions o;
  o.local_name = config_.name;
  o.secret = config_.secret;
  o.default_timeout = config_.rpc_timeout;
  o.max_frame_bytes = config_.max_frame_bytes;
  o.max_inflight_requests = config_.max_inflight_per_channel;
  return o;
}

void Node::addService(rpc::Service& service) { service.bindTo(table_); }

Result<void> Node::setHandlers(const std::string& owner, rpc::HandlerTable handlers) {
  for (const auto& [id, entry] : handlers.entries()) {
    if (const auto* taken = table_.find(id)) {
      return Error{Errc::kAlreadyExists, "msg_id " + std::to_string(id) + " (" + std::string(entry.info.name) +
                                             ") is served by this binary's " + std::string(taken->info.name)};
    }
    for (const auto& [other, table] : owned_handlers_) {
      const auto* clash = table.find(id);
      if (other != owner && clash) {
        return Error{Errc::kAlreadyExists, "msg_id " + std::to_string(id) + " (" + std::string(entry.info.name) +
                                               ") is served by " + other + "'s " + std::string(clash->info.name)};
      }
    }
  }
  owned_handlers_[owner] = std::move(handlers);
  installHandlers();
  return {};
}

void Node::removeHandlers(const std::string& owner) {
  if (owned_handlers_.erase(owner)) installHandlers();
}

// One new table for the dispatcher: the binary's services and every owner's.
void Node::installHandlers() {
  auto table = std::make_shared<rpc::HandlerTable>(table_);
  for (const auto& [owner, handlers] : owned_handlers_) {
    for (const auto& [id, entry] : handlers.entries()) table->tryAdd(entry.info, entry.handler);
  }
  dispatcher_.install(std::move(table));
}

void Node::onDrain(std::function<void(std::function<void()>)> hook) { drain_hooks_.push_back(std::move(hook)); }

NodeInfo Node::selfInfo() const {
  NodeInfo info;
  info.set_name(config_.name);
  info.set_role(config_.role);
  info.set_host(config_.host);
  (*info.mutable_ports())["rpc"] = rpc_server_.port();
  (*info.mutable_ports())["ops"] = ops_.port();
  info.set_weight(config_.weight);
  info.set_state(state_);
  return info;
}

int Node::run() {
  installHandlers();
  if (auto ok = listen(); !ok) {
    log::critical("{}", ok.error().message);
    return 1;
  }
  installSignals();
  if (standalone_) {
    setState(NODE_READY);
  } else {
    connectCenters();
  }
  if (earlyStopRequested()) {
    log::info("{} was asked to stop while starting", config_.name);
    drain();
  }
  loop_.run();
  return exit_code_;
}

void Node::installSignals() {
  auto on_signal = [](evutil_socket_t, short, void* arg) { static_cast<Node*>(arg)->drain(); };
  sigterm_.reset(evsignal_new(loop_.base(), SIGTERM, on_signal, this));
  sigint_.reset(evsignal_new(loop_.base(), SIGINT, on_signal, this));
  event_add(sigterm_.get(), nullptr);
  event_add(sigint_.get(), nullptr);
}

Result<void> Node::listen() {
  auto rpc_port = rpc_server_.start();
  if (!rpc_port) return Error{rpc_port.error().code, "rpc listener: " + rpc_port.error().message};
  auto ops_port = ops_.start();
  if (!ops_port) return Error{ops_port.error().code, "ops listener: " + ops_port.error().message};
  log::info("{} ({}) listening: rpc {}:{}, ops {}:{}", config_.name, config_.role, config_.host, *rpc_port,
            config_.host, *ops_port);
  return {};
}

// First line: the state. Then one line per center, so an operator sees at
// once which center this node cannot reach. Readiness itself does not depend
// on the centers: a center outage must not take every node out of service.
std::string Node::readinessText() const {
  std::string text = NodeState_Name(state_) + "\n";
  for (const auto& link : centers_) {
    text += "center " + link->key() + ": " + (link->registered() ? "registered" : "not registered") + "\n";
  }
  return text;
}

void Node::addOpsRoutes() {
  ops_.route("/healthz", [](const net::HttpRequest&) { return net::HttpResponse{200, "text/plain", "ok\n"}; });
  ops_.route("/readyz", [this](const net::HttpRequest&) {
    return net::HttpResponse{state_ == NODE_READY ? 200 : 503, "text/plain", readinessText()};
  });
  ops_.route("/metrics", [](const net::HttpRequest&) {
    return net::HttpResponse{200, "text/plain; version=0.0.4", metrics::Registry::global().renderPrometheus()};
  });
  ops_.route("/members", [this](const net::HttpRequest&) {
    auto body = membership_.toJson();
    body["self"] = nodeInfoJson(selfInfo());
    return net::HttpResponse{200, "application/json", body.dump() + "\n"};
  });
}

void Node::connectCenters() {
  for (const auto& endpoint : config_.centers) {
    CenterLink::Hooks hooks;
    hooks.self = [this] {
      // A node registers only once it is able to serve, so the registry records
      // it as ready from the first registration (or draining, if it already is).
      NodeInfo info = selfInfo();
      info.set_state(state_ == NODE_DRAINING ? NODE_DRAINING : NODE_READY);
      return info;
    };
    hooks.load = [this] { return load_.sample(); };
    hooks.registered = [this] { if (state_ == NODE_STARTING) setState(NODE_READY); };
    auto options = channelOptions();
    // A center that accepts but never finishes the handshake (stalled) is
    // given up on as soon as a silent registered one would be.
    options.handshake_timeout = std::max(std::chrono::milliseconds(500), config_.heartbeat * config_.heartbeat_misses);
    net::ReconnectPolicy reconnect{std::chrono::milliseconds(50),
                                   std::min(config_.heartbeat, std::chrono::milliseconds(500)),
                                   config_.connect_timeout};
    auto link = std::make_unique<CenterLink>(loop_, dispatcher_, options, endpoint, connectionOptions(config_),
                                             reconnect, CenterLink::Timing{config_.heartbeat, config_.heartbeat_misses},
                                             membership_, std::move(hooks));
    link->start();
    centers_.push_back(std::move(link));
  }
}

void Node::setState(NodeState state) {
  if (state_ == state) return;
  state_ = state;
  log::info("{} is now {}", config_.name, NodeState_Name(state));
}

Task<void> Node::Changed(Call& call, const MembershipDiff& diff) {
  auto ch = call.channel();
  for (auto& link : centers_) {
    if (!link->owns(ch.get())) continue;
    if (!membership_.applyDiff(link->key(), diff)) {
      log::info("membership from center {} skipped an epoch; taking a fresh snapshot", link->key());
      link->resubscribe();
    }
  }
  co_return;
}

void Node::drain() {
  if (draining_) {
    log::warn("{}: second stop signal during the drain: exiting now, work unfinished and not deregistered "
              "(exit code {})", config_.name, kExitForced);
    exit_code_ = kExitForced;
    loop_.quit();
    return;
  }
  draining_ = true;
  spawn(drainSequence());
}

Task<void> Node::drainSequence() {
  auto deadline = Clock::now() + config_.drain_timeout;
  auto goodbye_deadline = deadline + kGoodbyeGrace;
  log::info("{} draining (timeout {} ms)", config_.name, config_.drain_timeout.count());
  setState(NODE_DRAINING);
  co_await tellCenters("tell we are draining", [](CenterLink& link, auto timeout, auto done) {
    link.reportState(NODE_DRAINING, timeout, std::move(done));
  }, deadline);
  if (!co_await waitForQuiet(deadline)) exit_code_ = kExitForced;
  co_await tellCenters("deregister from", [](CenterLink& link, auto timeout, auto done) {
    link.deregister(timeout, std::move(done));
  }, std::max(goodbye_deadline, Clock::now() + kGoodbyeGrace / 2));
  for (auto& link : centers_) link->stop();
  co_await flushReplies(std::max(goodbye_deadline, Clock::now() + kGoodbyeGrace / 2));
  if (exit_code_ != kExitDrained) {
    log::warn("{}: the drain timeout ({} ms) cut the drain short (exit code {})", config_.name,
              config_.drain_timeout.count(), exit_code_);
  }
  loop_.quit();
}

// Sends one request to every registered center at once and waits for all
// answers, or `deadline`.
Task<void> Node::tellCenters(std::string what, CenterRequest request, Clock::time_point deadline) {
  auto waiting = std::make_shared<size_t>(0);
  for (auto& link : centers_) {
    if (!link->registered()) continue;
    ++*waiting;
    auto timeout = std::min(config_.rpc_timeout, until(deadline));
    request(*link, timeout, [waiting, what, key = link->key()](Result<void> r) {
      --*waiting;
      if (!r) log::warn("could not {} center {}: {}", what, key, r.error().describe());
    });
  }
  while (*waiting > 0 && Clock::now() < deadline) co_await sleepFor(loop_, kDrainPoll);
}

// Waits until the role's drain hooks are done and no request is in flight,
// or until `deadline`. False when the deadline came first.
Task<bool> Node::waitForQuiet(Clock::time_point deadline) {
  auto hooks_left = std::make_shared<size_t>(drain_hooks_.size());
  for (auto& hook : drain_hooks_) hook([hooks_left] { --*hooks_left; });
  rpc_server_.stopAccepting();
  while (*hooks_left > 0 || dispatcher_.inflight() > 0) {
    if (Clock::now() >= deadline) {
      log::warn("drain timeout: {} hooks and {} calls still running", *hooks_left, dispatcher_.inflight());
      co_return false;
    }
    co_await sleepFor(loop_, kDrainPoll);
  }
  co_return true;
}

// Replies finished during the drain may still be queued: let them leave
// before the loop (and with it every socket) stops.
Task<void> Node::flushReplies(Clock::time_point deadline) {
  rpc_server_.closeAll("node stopped", /*flush=*/true);
  deadline = std::min(deadline, Clock::now() + kFlushTimeout);
  while (rpc_server_.channelCount() > 0 && Clock::now() < deadline) co_await sleepFor(loop_, kDrainPoll);
}

}  // namespace polis
