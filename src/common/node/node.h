// Node: the lifecycle every Polis process shares.
//   starting -> (authenticate to each center, register) -> ready
//   -> on SIGTERM/SIGINT: draining (readiness false, every center told at
//      once, in-flight calls and role drain hooks finish) -> deregister from
//      every center at once -> exit.
// The whole drain is bounded by node.drain_timeout (plus kGoodbyeGrace to
// deregister and flush replies). Exit codes: kExitDrained when the work
// finished in time; kExitForced when a second signal or the timeout cut the
// drain short; 1 when the ports cannot be bound.
// A node serves RPC on node.rpc_port and its ops HTTP port (/healthz,
// /readyz, /metrics, /members) on node.ops_port.
//
// Teardown order (~Node): detached coroutines still suspended are destroyed
// first (never resumed), then the role's adopted parts, then the node's own
// members, the loop last. One node per thread.
// Threads: constructed and run on the main thread, which runs the loop.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/event_loop.h"
#include "net/http_server.h"
#include "node/center_link.h"
#include "node/load_sampler.h"
#include "node/membership.h"
#include "node/node_config.h"
#include "node/node_control.h"
#include "node/peers.h"
#include "polis/registry.polis.h"
#include "rpc/rpc_server.h"
#include "rpc/service.h"

namespace polis {

class Node : private gen::MembershipWatcher::Service {
 public:
  static constexpr int kExitDrained = 0;
  static constexpr int kExitForced = 3;
  static constexpr std::chrono::milliseconds kGoodbyeGrace{250};

  explicit Node(NodeConfig config);
  ~Node() override;

  // Setup, before run(): services to serve, drain hooks, extra ops routes.
  void addService(rpc::Service& service);
  // Handlers of game code (a plugin instance, a Lua VM), under an owner
  // name; any time, on the loop thread. Replaces that owner's handlers all
  // at once (a reload): calls in flight finish on the ones they started
  // with. Fails, changing nothing, when an id is already served by the
  // binary or by another owner (the message names both).
  Result<void> setHandlers(const std::string& owner, rpc::HandlerTable handlers);
  void removeHandlers(const std::string& owner);
  // Operator commands (run through polis-ctl); plugins and Lua add theirs.
  Commands& commands() { return control_.commands(); }
  // Something that reloads game code; the "reload" command runs it.
  void onReload(std::string what, std::function<Task<Result<std::string>>()> reload) {
    control_.onReload(std::move(what), std::move(reload));
  }
  // Keeps a role's object (a service, a registry) alive exactly as long as
  // the node can call into it; see the teardown order above.
  template <class T>
  T& adopt(std::unique_ptr<T> part) {
    T& ref = *part;
    parts_.push_back(std::shared_ptr<void>(std::move(part)));
    return ref;
  }
  // A drain hook receives a `done` callback and calls it when its work is handed off.
  void onDrain(std::function<void(std::function<void()> done)> hook);
  void setPlayerCount(std::function<uint32_t()> players) { load_.setPlayerCount(std::move(players)); }
  // Register as a center-less node that is ready once it listens (the center itself).
  void standalone() { standalone_ = true; }

  // Binds, registers, runs the loop until drained. Returns the exit code.
  int run();
  void drain();  // as SIGTERM does

  EventLoop& loop() { return loop_; }
  const NodeConfig& config() const { return config_; }
  net::HttpServer& ops() { return ops_; }
  Membership& membership() { return membership_; }
  // Channels to other nodes, for calls by role (game code's calls).
  Peers& peers() { return peers_; }
  rpc::RpcServer& rpcServer() { return rpc_server_; }
  rpc::ChannelOptions channelOptions() const;
  NodeState state() const { return state_; }
  NodeInfo selfInfo() const;

 private:
  using Clock = std::chrono::steady_clock;
  using CenterRequest =
      std::function<void(CenterLink&, std::chrono::milliseconds, std::function<void(Result<void>)>)>;

  Task<void> Changed(Call& call, const MembershipDiff& diff) override;
  Result<void> listen();
  void installHandlers();
  void installSignals();
  void connectCenters();
  void addOpsRoutes();
  std::string readinessText() const;
  void setState(NodeState state);
  Task<void> drainSequence();
  Task<bool> waitForQuiet(Clock::time_point deadline);
  Task<void> tellCenters(std::string what, CenterRequest request, Clock::time_point deadline);
  Task<void> flushReplies(Clock::time_point deadline);

  NodeConfig config_;
  EventLoop loop_;
  rpc::Dispatcher dispatcher_;
  rpc::HandlerTable table_;                                 // the binary's own services
  std::map<std::string, rpc::HandlerTable> owned_handlers_;  // by owner (setHandlers)
  rpc::RpcServer rpc_server_;
  net::HttpServer ops_;
  Membership membership_;
  LoadSampler load_;
  NodeControlService control_;
  Peers peers_;
  std::vector<std::unique_ptr<CenterLink>> centers_;
  std::vector<std::function<void(std::function<void()>)>> drain_hooks_;
  std::vector<std::shared_ptr<void>> parts_;  // adopted role objects
  NodeState state_ = NODE_STARTING;
  bool standalone_ = false;
  bool draining_ = false;
  int exit_code_ = kExitDrained;
  EventPtr sigterm_;
  EventPtr sigint_;
};

}  // namespace polis
