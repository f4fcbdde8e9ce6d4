#include "node/balancer.h"

#include <array>
#include <utility>

#include "base/config.h"
#include "base/stable_hash.h"

namespace polis {

namespace {

constexpr std::array<std::pair<BalancePolicy, std::string_view>, 6> kNames{{
    {BalancePolicy::kRoundRobin, "round_robin"},
    {BalancePolicy::kRandom, "random"},
    {BalancePolicy::kLeastConnections, "least_connections"},
    {BalancePolicy::kIpHash, "ip_hash"},
    {BalancePolicy::kWeightedRoundRobin, "weighted_round_robin"},
    {BalancePolicy::kWeightedLeastConnections, "weighted_least_connections"},
}};

bool weighted(BalancePolicy p) {
  return p == BalancePolicy::kWeightedRoundRobin || p == BalancePolicy::kWeightedLeastConnections;
}

// The address, a byte no UTF-8 text has (so ("ab","c") and ("a","bc")
// differ), the node's name: the same in every gateway (base/stable_hash.h).
uint64_t rendezvousScore(std::string_view key, std::string_view name) {
  return stable_hash::mix(stable_hash::fnv1a(name, stable_hash::fnv1a("\xff", stable_hash::fnv1a(key))));
}

}  // namespace

std::optional<BalancePolicy> balancePolicyFromName(std::string_view name) {
  for (const auto& [policy, n] : kNames) {
    if (n == name) return policy;
  }
  return std::nullopt;
}

std::string_view balancePolicyName(BalancePolicy policy) {
  for (const auto& [p, name] : kNames) {
    if (p == policy) return name;
  }
  return "round_robin";
}

BalancePolicy readBalancePolicy(ConfigReader& reader, std::string_view key, BalancePolicy def) {
  static_assert(kNames.size() == 6, "list every policy below");
  auto chosen = reader.oneOf(key, balancePolicyName(def),
                             {kNames[0].second, kNames[1].second, kNames[2].second, kNames[3].second,
                              kNames[4].second, kNames[5].second});
  return balancePolicyFromName(chosen).value_or(def);  // a bad name was reported by oneOf
}

Balancer::Balancer(BalancePolicy policy, uint64_t seed) : policy_(policy), random_(seed) {}

std::vector<const NodeInfo*> Balancer::candidates(const std::vector<NodeInfo>& nodes) const {
  std::vector<const NodeInfo*> ready;
  for (const auto& n : nodes) {
    if (n.state() != NODE_READY) continue;
    if (weighted(policy_) && n.weight() == 0) continue;
    ready.push_back(&n);
  }
  return ready;
}

void Balancer::forgetDeparted(const std::vector<NodeInfo>& nodes) {
  std::erase_if(state_, [&nodes](const auto& item) {
    for (const auto& n : nodes) {
      if (n.name() == item.first) return false;
    }
    return true;
  });
}

const NodeInfo* Balancer::pick(const std::vector<NodeInfo>& nodes, std::string_view client_key) {
  forgetDeparted(nodes);
  auto ready = candidates(nodes);
  if (ready.empty()) return nullptr;
  switch (policy_) {
    case BalancePolicy::kRoundRobin:
      return ready[turn_++ % ready.size()];
    case BalancePolicy::kRandom:
      return ready[std::uniform_int_distribution<size_t>(0, ready.size() - 1)(random_)];
    case BalancePolicy::kLeastConnections:
      return leastLoaded(ready, false);
    case BalancePolicy::kIpHash:
      return rendezvous(ready, client_key);
    case BalancePolicy::kWeightedRoundRobin:
      return smoothWeighted(ready);
    case BalancePolicy::kWeightedLeastConnections:
      return leastLoaded(ready, true);
  }
  return nullptr;
}

const NodeInfo* Balancer::leastLoaded(const std::vector<const NodeInfo*>& ready, bool by_weight) {
  // Start the scan at a rotating place so that equal loads take turns.
  size_t start = turn_++ % ready.size();
  const NodeInfo* best = nullptr;
  uint64_t best_load = 0;
  uint64_t best_weight = 1;
  for (size_t i = 0; i < ready.size(); ++i) {
    const NodeInfo* n = ready[(start + i) % ready.size()];
    NodeState& st = state_[n->name()];
    if (n->load().connections() != st.reported) {  // a new report: our earlier picks are in it now
      st.reported = n->load().connections();
      st.picked_since = 0;
    }
    uint64_t load = uint64_t{st.reported} + st.picked_since;
    uint64_t weight = by_weight ? n->weight() : 1;
    // load / weight < best_load / best_weight, without division (both < 2^53).
    if (!best || load * best_weight < best_load * weight) {
      best = n;
      best_load = load;
      best_weight = weight;
    }
  }
  ++state_[best->name()].picked_since;
  return best;
}

const NodeInfo* Balancer::smoothWeighted(const std::vector<const NodeInfo*>& ready) {
  int64_t total = 0;
  const NodeInfo* best = nullptr;
  int64_t best_value = 0;
  for (const NodeInfo* n : ready) {
    NodeState& st = state_[n->name()];
    st.smooth_weight += n->weight();
    total += n->weight();
    if (!best || st.smooth_weight > best_value) {
      best = n;
      best_value = st.smooth_weight;
    }
  }
  state_[best->name()].smooth_weight -= total;
  return best;
}

const NodeInfo* Balancer::rendezvous(const std::vector<const NodeInfo*>& ready, std::string_view key) {
  const NodeInfo* best = nullptr;
  uint64_t best_score = 0;
  for (const NodeInfo* n : ready) {
    uint64_t score = rendezvousScore(key, n->name());
    if (!best || score > best_score || (score == best_score && n->name() < best->name())) {
      best = n;
      best_score = score;
    }
  }
  return best;
}

}  // namespace polis
