// Node: the lifecycle every Polis process shares.
//   starting -> (authenticate to each center, register) -> ready
//   -> on SIGTERM/SIGINT: draining (readiness false, centers told, in-flight
//      calls and role drain hooks finish, bounded by node.drain_timeout)
//   -> deregister -> exit 0.
// A node serves RPC on node.rpc_port and its ops HTTP port (/healthz,
// /readyz, /metrics, /members) on node.ops_port.
// Threads: constructed and run on the main thread, which runs the loop.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "base/event_loop.h"
#include "net/http_server.h"
#include "node/center_link.h"
#include "node/load_sampler.h"
#include "node/membership.h"
#include "node/node_config.h"
#include "polis/registry.polis.h"
#include "rpc/rpc_server.h"
#include "rpc/service.h"

namespace polis {

class Node : private gen::MembershipWatcher::Service {
 public:
  explicit Node(NodeConfig config);
  ~Node() override;

  // Setup, before run(): services to serve, drain hooks, extra ops routes.
  void addService(rpc::Service& service);
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
  rpc::RpcServer& rpcServer() { return rpc_server_; }
  rpc::ChannelOptions channelOptions() const;
  NodeState state() const { return state_; }
  NodeInfo selfInfo() const;

 private:
  Task<void> Changed(Call& call, const MembershipDiff& diff) override;
  Result<void> listen();
  void connectCenters();
  void addOpsRoutes();
  void setState(NodeState state);
  Task<void> drainSequence();
  Task<void> waitForQuiet();

  NodeConfig config_;
  EventLoop loop_;
  rpc::Dispatcher dispatcher_;
  rpc::HandlerTable table_;
  rpc::RpcServer rpc_server_;
  net::HttpServer ops_;
  Membership membership_;
  LoadSampler load_;
  std::vector<std::unique_ptr<CenterLink>> centers_;
  std::vector<std::function<void(std::function<void()>)>> drain_hooks_;
  NodeState state_ = NODE_STARTING;
  bool standalone_ = false;
  bool draining_ = false;
  int exit_code_ = 0;
  EventPtr sigterm_;
  EventPtr sigint_;
};

}  // namespace polis
