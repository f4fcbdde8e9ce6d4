// Balancer: chooses one node of a role for new work (a login for the
// gateway, a proxy for a login) by a policy named in config. Only a
// NODE_READY node is ever a candidate: a starting or draining node is
// skipped, and an evicted one is no longer in the membership it is given.
//
// Policies (config names in brackets):
// - round robin [round_robin]: each ready node in turn;
// - random [random]: uniformly;
// - least connections [least_connections]: the fewest connections, as the
//   node last reported to the center (NodeLoad.connections) plus the picks
//   this balancer made since that report changed — so a burst between two
//   heartbeats spreads instead of piling on the node that looked idlest;
//   ties go round robin;
// - IP hash [ip_hash]: the same client key (its address) always gets the same
//   node while that node is ready, across processes and restarts (rendezvous
//   hashing over node names with a fixed hash), and a node joining or leaving
//   moves only the keys it gains or had;
// - weighted round robin [weighted_round_robin]: in proportion to node.weight,
//   interleaved (nginx's smooth weighted round robin);
// - weighted least connections [weighted_least_connections]: the lowest
//   connections / weight.
// The weighted policies never choose a node of weight 0 (a way to take a node
// out of rotation without draining it); the others ignore weights.
//
// State (rotation, smooth weights, picks since a report) is kept by node name,
// so one node joining or leaving does not reset the others'.
// Threads: not thread-safe; one balancer per loop thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "polis/registry.pb.h"

namespace polis {

class ConfigReader;

enum class BalancePolicy {
  kRoundRobin,
  kRandom,
  kLeastConnections,
  kIpHash,
  kWeightedRoundRobin,
  kWeightedLeastConnections,
};

std::optional<BalancePolicy> balancePolicyFromName(std::string_view name);
std::string_view balancePolicyName(BalancePolicy policy);
// The policy at config key `key` (one of the names above); a bad name is
// reported by the reader, naming the key and the choices.
BalancePolicy readBalancePolicy(ConfigReader& reader, std::string_view key, BalancePolicy def);

class Balancer {
 public:
  explicit Balancer(BalancePolicy policy, uint64_t seed = std::random_device{}());

  // One of `nodes` (any states; only ready ones are candidates), or nullptr
  // when none is ready. `client_key` is what ip_hash hashes (the client's
  // address); the other policies ignore it. The pointer is into `nodes`.
  const NodeInfo* pick(const std::vector<NodeInfo>& nodes, std::string_view client_key = {});

  BalancePolicy policy() const { return policy_; }

 private:
  struct NodeState {
    int64_t smooth_weight = 0;      // weighted round robin's running value
    uint32_t reported = 0;          // the connections last reported
    uint32_t picked_since = 0;      // picks since `reported` changed
  };
  std::vector<const NodeInfo*> candidates(const std::vector<NodeInfo>& nodes) const;
  const NodeInfo* leastLoaded(const std::vector<const NodeInfo*>& ready, bool weighted);
  const NodeInfo* smoothWeighted(const std::vector<const NodeInfo*>& ready);
  static const NodeInfo* rendezvous(const std::vector<const NodeInfo*>& ready, std::string_view key);
  void forgetDeparted(const std::vector<NodeInfo>& nodes);

  BalancePolicy policy_;
  std::mt19937_64 random_;
  uint64_t turn_ = 0;                      // round robin, and ties of the least-loaded policies
  std::map<std::string, NodeState> state_;  // by node name
};

}  // namespace polis
