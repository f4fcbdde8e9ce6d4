#include "node/node.h"

#include <utility>
#include <csignal>

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "base/metrics.h"
#include "base/sleep.h"
#include "rpc/rpc_metrics.h"

namespace polis {
namespace {

constexpr auto kDrainPoll = std::chrono::milliseconds(20);
constexpr auto kFlushTimeout = std::chrono::milliseconds(1000);

net::ConnectionOptions connectionOptions(const NodeConfig& c) {
  return net::ConnectionOptions{c.high_water_bytes};
}

}  // namespace

Node::Node(NodeConfig config)
    : config_(std::move(config)),
      rpc_server_(loop_, dispatcher_, channelOptions(), config_.host, config_.rpc_port, connectionOptions(config_)),
      ops_(loop_, config_.host, config_.ops_port) {
  gen::MembershipWatcher::Service::bindTo(table_);
  auto& r = metrics::Registry::global();
  r.callbackGauge("polis_event_loop_lag_seconds", "How late the loop's 100 ms probe timer fired.", {},
                  [this] { return loop_.lagSeconds(); });
  r.callbackGauge("polis_node_ready", "1 while the node is ready to serve.", {},
                  [this] { return state_ == NODE_READY ? 1.0 : 0.0; });
  addOpsRoutes();
  rpc::rpcMetrics();  // registers the process-wide RPC series so /metrics shows them from the start
}

Node::~Node() {
  auto& r = metrics::Registry::global();
  r.removeCallbackGauge("polis_event_loop_lag_seconds", {});
  r.removeCallbackGauge("polis_node_ready", {});
}

rpc::ChannelOptions Node::channelOptions() const {
  rpc::ChannelOptions o;
  o.local_name = config_.name;
  o.secret = config_.secret;
  o.default_timeout = config_.rpc_timeout;
  o.max_frame_bytes = config_.max_frame_bytes;
  return o;
}

void Node::addService(rpc::Service& service) { service.bindTo(table_); }

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
  dispatcher_.install(std::make_shared<const rpc::HandlerTable>(table_));
  if (auto ok = listen(); !ok) {
    log::critical("{}", ok.error().message);
    return 1;
  }
  auto on_signal = [](evutil_socket_t, short, void* arg) { static_cast<Node*>(arg)->drain(); };
  sigterm_.reset(evsignal_new(loop_.base(), SIGTERM, on_signal, this));
  sigint_.reset(evsignal_new(loop_.base(), SIGINT, on_signal, this));
  event_add(sigterm_.get(), nullptr);
  event_add(sigint_.get(), nullptr);
  if (standalone_) {
    setState(NODE_READY);
  } else {
    connectCenters();
  }
  loop_.run();
  log::info("{} exited (code {})", config_.name, exit_code_);
  return exit_code_;
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

void Node::addOpsRoutes() {
  ops_.route("/healthz", [](const net::HttpRequest&) { return net::HttpResponse{200, "text/plain", "ok\n"}; });
  ops_.route("/readyz", [this](const net::HttpRequest&) {
    bool ready = state_ == NODE_READY;
    return net::HttpResponse{ready ? 200 : 503, "text/plain", NodeState_Name(state_) + "\n"};
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
    auto link = std::make_unique<CenterLink>(loop_, dispatcher_, channelOptions(), endpoint, config_.heartbeat,
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
    log::warn("second stop signal during drain: exiting now");
    loop_.quit();
    return;
  }
  draining_ = true;
  spawn(drainSequence());
}

Task<void> Node::drainSequence() {
  log::info("{} draining (timeout {} ms)", config_.name, config_.drain_timeout.count());
  setState(NODE_DRAINING);
  for (auto& link : centers_) {
    if (!link->registered()) continue;
    if (auto r = co_await link->reportState(NODE_DRAINING); !r) {
      log::warn("could not tell center {} we are draining: {}", link->key(), r.error().describe());
    }
  }
  co_await waitForQuiet();
  for (auto& link : centers_) {
    if (!link->registered()) {
      link->stop();
      continue;
    }
    if (auto r = co_await link->deregister(); !r) {
      log::warn("could not deregister from center {}: {}", link->key(), r.error().describe());
    }
    link->stop();
  }
  // Replies finished during the drain may still be queued: let them leave
  // before the loop (and with it every socket) stops.
  rpc_server_.closeAll("node stopped", /*flush=*/true);
  auto flush_deadline = std::chrono::steady_clock::now() + kFlushTimeout;
  while (rpc_server_.channelCount() > 0 && std::chrono::steady_clock::now() < flush_deadline) {
    co_await sleepFor(loop_, kDrainPoll);
  }
  loop_.quit();
}

// Waits until the role's drain hooks are done and no request is in flight,
// or until node.drain_timeout.
Task<void> Node::waitForQuiet() {
  auto hooks_left = std::make_shared<size_t>(drain_hooks_.size());
  for (auto& hook : drain_hooks_) hook([hooks_left] { --*hooks_left; });
  rpc_server_.stopAccepting();
  auto deadline = std::chrono::steady_clock::now() + config_.drain_timeout;
  while (*hooks_left > 0 || dispatcher_.inflight() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      log::warn("drain timeout: {} hooks and {} calls still running", *hooks_left, dispatcher_.inflight());
      break;
    }
    co_await sleepFor(loop_, kDrainPoll);
  }
}

}  // namespace polis
