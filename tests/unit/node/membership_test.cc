#include "node/membership.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace polis {
namespace {

NodeInfo node(const std::string& name, const std::string& role) {
  NodeInfo n;
  n.set_name(name);
  n.set_role(role);
  return n;
}

MembershipSnapshot snapshot(uint64_t incarnation, uint64_t epoch, std::vector<NodeInfo> nodes) {
  MembershipSnapshot s;
  s.set_incarnation(incarnation);
  s.set_epoch(epoch);
  for (auto& n : nodes) *s.add_nodes() = n;
  return s;
}

MembershipDiff diff(uint64_t incarnation, uint64_t epoch, std::vector<NodeInfo> up, std::vector<std::string> gone) {
  MembershipDiff d;
  d.set_incarnation(incarnation);
  d.set_epoch(epoch);
  for (auto& n : up) *d.add_upserted() = n;
  for (auto& g : gone) d.add_removed(g);
  return d;
}

std::vector<std::string> names(const std::vector<NodeInfo>& nodes) {
  std::vector<std::string> out;
  for (const auto& n : nodes) out.push_back(n.name());
  return out;
}

TEST(Membership, SnapshotThenDiffsInEpochOrder) {
  Membership m;
  int changes = 0;
  m.onChange([&] { ++changes; });
  m.applySnapshot("c1", snapshot(7, 10, {node("lobby-1", "lobby"), node("world-1", "world")}));
  EXPECT_TRUE(m.applyDiff("c1", diff(7, 11, {node("lobby-2", "lobby")}, {"world-1"})));
  EXPECT_EQ(names(m.nodes()), (std::vector<std::string>{"lobby-1", "lobby-2"}));
  EXPECT_EQ(names(m.nodes("world")), std::vector<std::string>{});
  EXPECT_EQ(changes, 2);
}

TEST(Membership, GapOrNewIncarnationIsRefused) {
  Membership m;
  m.applySnapshot("c1", snapshot(7, 10, {node("lobby-1", "lobby")}));
  EXPECT_FALSE(m.applyDiff("c1", diff(7, 12, {}, {"lobby-1"})));  // skipped epoch 11
  EXPECT_FALSE(m.applyDiff("c1", diff(8, 11, {}, {"lobby-1"})));  // center restarted
  EXPECT_FALSE(m.applyDiff("c2", diff(7, 11, {}, {"lobby-1"})));  // never subscribed
  EXPECT_EQ(names(m.nodes()), std::vector<std::string>{"lobby-1"});  // nothing applied
}

TEST(Membership, ViewIsTheUnionOfCentersAndSurvivesLosingOne) {
  Membership m;
  m.applySnapshot("c1", snapshot(1, 1, {node("lobby-1", "lobby")}));
  m.applySnapshot("c2", snapshot(2, 5, {node("lobby-1", "lobby"), node("world-1", "world")}));
  EXPECT_EQ(names(m.nodes()), (std::vector<std::string>{"lobby-1", "world-1"}));
  m.dropCenter("c2");
  EXPECT_EQ(names(m.nodes()), std::vector<std::string>{"lobby-1"});
}

TEST(Membership, JsonListsCentersAndNodes) {
  Membership m;
  m.applySnapshot("127.0.0.1:1", snapshot(3, 4, {node("lobby-1", "lobby")}));
  auto j = m.toJson();
  EXPECT_EQ(j["centers"]["127.0.0.1:1"]["epoch"], 4);
  EXPECT_EQ(j["nodes"][0]["name"], "lobby-1");
  EXPECT_EQ(j["nodes"][0]["role"], "lobby");
}

}  // namespace
}  // namespace polis
