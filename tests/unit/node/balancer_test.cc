#include "node/balancer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "base/config.h"

namespace polis {
namespace {

NodeInfo node(std::string name, uint32_t weight = 100, uint32_t connections = 0, NodeState state = NODE_READY) {
  NodeInfo n;
  n.set_name(std::move(name));
  n.set_role("login");
  n.set_weight(weight);
  n.set_state(state);
  n.mutable_load()->set_connections(connections);
  return n;
}

std::map<std::string, int> counts(Balancer& b, const std::vector<NodeInfo>& nodes, int picks) {
  std::map<std::string, int> got;
  for (int i = 0; i < picks; ++i) {
    const NodeInfo* n = b.pick(nodes);
    if (!n) {
      ADD_FAILURE() << "no node picked";
      break;
    }
    ++got[n->name()];
  }
  return got;
}

constexpr BalancePolicy kAll[] = {BalancePolicy::kRoundRobin,         BalancePolicy::kRandom,
                                  BalancePolicy::kLeastConnections,   BalancePolicy::kIpHash,
                                  BalancePolicy::kWeightedRoundRobin, BalancePolicy::kWeightedLeastConnections};

TEST(Balancer, NamesRoundTripAndABadNameInConfigIsReportedWithItsKey) {
  for (auto p : kAll) EXPECT_EQ(balancePolicyFromName(balancePolicyName(p)), p);
  EXPECT_FALSE(balancePolicyFromName("fastest"));

  auto ok = ConfigReader::fromString("gateway: {login_balance: ip_hash}", Environment{}, "<test>");
  ASSERT_TRUE(ok);
  EXPECT_EQ(readBalancePolicy(*ok, "gateway.login_balance", BalancePolicy::kRoundRobin), BalancePolicy::kIpHash);
  EXPECT_EQ(readBalancePolicy(*ok, "gateway.other", BalancePolicy::kRandom), BalancePolicy::kRandom);

  auto bad = ConfigReader::fromString("gateway: {login_balance: fastest}", Environment{}, "<test>");
  ASSERT_TRUE(bad);
  readBalancePolicy(*bad, "gateway.login_balance", BalancePolicy::kRoundRobin);
  auto finished = bad->finish();
  ASSERT_FALSE(finished);
  EXPECT_NE(finished.error().message.find("gateway.login_balance"), std::string::npos) << finished.error().message;
  EXPECT_NE(finished.error().message.find("weighted_least_connections"), std::string::npos);
}

TEST(Balancer, NoPolicyEverChoosesANodeThatIsNotReady) {
  std::vector<NodeInfo> nodes{node("starting", 100, 0, NODE_STARTING), node("a", 100, 50),
                              node("draining", 100, 0, NODE_DRAINING), node("b", 100, 50),
                              node("unspecified", 100, 0, NODE_STATE_UNSPECIFIED)};
  for (auto p : kAll) {
    Balancer b(p, 7);
    for (int i = 0; i < 500; ++i) {
      const NodeInfo* n = b.pick(nodes, "10.0.0." + std::to_string(i % 256));
      ASSERT_TRUE(n);
      EXPECT_TRUE(n->name() == "a" || n->name() == "b") << balancePolicyName(p) << " chose " << n->name();
    }
    std::vector<NodeInfo> none{node("x", 100, 0, NODE_DRAINING), node("y", 100, 0, NODE_STARTING)};
    EXPECT_EQ(b.pick(none), nullptr) << balancePolicyName(p);
    EXPECT_EQ(b.pick({}), nullptr) << balancePolicyName(p);
  }
}

TEST(Balancer, RoundRobinTakesTurnsAndStaysEvenWhenNodesJoinAndLeave) {
  Balancer b(BalancePolicy::kRoundRobin);
  std::vector<NodeInfo> nodes{node("a"), node("b"), node("c")};
  EXPECT_EQ(counts(b, nodes, 300), (std::map<std::string, int>{{"a", 100}, {"b", 100}, {"c", 100}}));
  nodes.push_back(node("d"));
  EXPECT_EQ(counts(b, nodes, 400), (std::map<std::string, int>{{"a", 100}, {"b", 100}, {"c", 100}, {"d", 100}}));
  nodes.erase(nodes.begin());
  nodes[0].set_state(NODE_DRAINING);  // b drains
  EXPECT_EQ(counts(b, nodes, 200), (std::map<std::string, int>{{"c", 100}, {"d", 100}}));
}

TEST(Balancer, RandomSpreadsUniformly) {
  Balancer b(BalancePolicy::kRandom, 12345);
  std::vector<NodeInfo> nodes{node("a"), node("b"), node("c"), node("d")};
  auto got = counts(b, nodes, 40000);
  ASSERT_EQ(got.size(), 4u);
  for (const auto& [name, n] : got) EXPECT_NEAR(n, 10000, 500) << name;  // > 10 standard deviations
}

TEST(Balancer, LeastConnectionsFillsTheIdlestAndCountsItsOwnPicksUntilTheNextReport) {
  Balancer b(BalancePolicy::kLeastConnections);
  std::vector<NodeInfo> nodes{node("a", 100, 0), node("b", 100, 5), node("c", 100, 10)};
  // A burst between two heartbeats: without counting its own picks it would
  // send all 15 to a.
  EXPECT_EQ(counts(b, nodes, 15), (std::map<std::string, int>{{"a", 10}, {"b", 5}}));
  // Now every node is at 10; equal loads take turns.
  EXPECT_EQ(counts(b, nodes, 30), (std::map<std::string, int>{{"a", 10}, {"b", 10}, {"c", 10}}));
  // A fresh report replaces the guess: a says 100, b 20, c 20.
  nodes[0].mutable_load()->set_connections(100);
  nodes[1].mutable_load()->set_connections(20);
  nodes[2].mutable_load()->set_connections(21);
  EXPECT_EQ(counts(b, nodes, 21), (std::map<std::string, int>{{"b", 11}, {"c", 10}}));
}

TEST(Balancer, WeightedLeastConnectionsFillsInProportionToWeight) {
  Balancer b(BalancePolicy::kWeightedLeastConnections);
  std::vector<NodeInfo> nodes{node("big", 300), node("small", 100), node("off", 0)};
  EXPECT_EQ(counts(b, nodes, 400), (std::map<std::string, int>{{"big", 300}, {"small", 100}}));
}

TEST(Balancer, WeightedRoundRobinIsProportionalAndInterleaved) {
  Balancer b(BalancePolicy::kWeightedRoundRobin);
  std::vector<NodeInfo> nodes{node("a", 5), node("b", 1), node("c", 1), node("off", 0)};
  std::string sequence;
  for (int i = 0; i < 700; ++i) sequence += b.pick(nodes)->name();
  EXPECT_EQ(std::count(sequence.begin(), sequence.end(), 'a'), 500);
  EXPECT_EQ(std::count(sequence.begin(), sequence.end(), 'b'), 100);
  EXPECT_EQ(std::count(sequence.begin(), sequence.end(), 'c'), 100);
  // Smooth: every 7 consecutive picks hold both light nodes (no run of a's
  // long enough to starve them).
  for (size_t i = 0; i + 7 <= sequence.size(); ++i) {
    auto window = sequence.substr(i, 7);
    EXPECT_NE(window.find('b'), std::string::npos) << window;
    EXPECT_NE(window.find('c'), std::string::npos) << window;
  }
  // Weight 0 is out of the weighted rotation only.
  Balancer plain(BalancePolicy::kRoundRobin);
  EXPECT_EQ(counts(plain, nodes, 400)["off"], 100);
}

TEST(Balancer, IpHashKeepsAnAddressOnItsNodeAcrossProcessesAndMovesFewWhenNodesChange) {
  std::vector<NodeInfo> nodes{node("login-1"), node("login-2"), node("login-3"), node("login-4")};
  Balancer one(BalancePolicy::kIpHash, 1);
  Balancer other(BalancePolicy::kIpHash, 2);  // another gateway
  std::map<std::string, std::string> home;
  std::map<std::string, int> per_node;
  for (int i = 0; i < 2000; ++i) {
    std::string ip = "10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".7";
    home[ip] = one.pick(nodes, ip)->name();
    EXPECT_EQ(one.pick(nodes, ip)->name(), home[ip]);
    EXPECT_EQ(other.pick(nodes, ip)->name(), home[ip]);
    ++per_node[home[ip]];
  }
  for (const auto& [name, n] : per_node) EXPECT_NEAR(n, 500, 120) << name;

  // login-2 drains: only its addresses move, and they spread over the rest.
  nodes[1].set_state(NODE_DRAINING);
  std::map<std::string, int> moved_to;
  for (const auto& [ip, was] : home) {
    auto now = one.pick(nodes, ip)->name();
    if (was == "login-2") {
      EXPECT_NE(now, "login-2");
      ++moved_to[now];
    } else {
      EXPECT_EQ(now, was) << ip << " moved though its node stayed";
    }
  }
  EXPECT_EQ(moved_to.size(), 3u);

  // login-5 joins (login-2 back): the addresses that move all go to login-5.
  nodes[1].set_state(NODE_READY);
  nodes.push_back(node("login-5"));
  int moved = 0;
  for (const auto& [ip, was] : home) {
    auto now = one.pick(nodes, ip)->name();
    if (now != was) {
      EXPECT_EQ(now, "login-5");
      ++moved;
    }
  }
  EXPECT_NEAR(moved, 400, 100);  // about a fifth
}

}  // namespace
}  // namespace polis
