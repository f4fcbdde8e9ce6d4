#include "node/membership.h"

#include <nlohmann/json.hpp>

namespace polis {

void Membership::applySnapshot(const std::string& center, const MembershipSnapshot& snapshot) {
  CenterView view;
  view.incarnation = snapshot.incarnation();
  view.epoch = snapshot.epoch();
  for (const auto& n : snapshot.nodes()) view.nodes[n.name()] = n;
  views_[center] = std::move(view);
  changed();
}

bool Membership::applyDiff(const std::string& center, const MembershipDiff& diff) {
  auto it = views_.find(center);
  if (it == views_.end()) return false;
  CenterView& view = it->second;
  if (diff.incarnation() != view.incarnation || diff.epoch() != view.epoch + 1) return false;
  view.epoch = diff.epoch();
  for (const auto& n : diff.upserted()) view.nodes[n.name()] = n;
  for (const auto& name : diff.removed()) view.nodes.erase(name);
  changed();
  return true;
}

void Membership::dropCenter(const std::string& center) {
  if (views_.erase(center)) changed();
}

std::vector<NodeInfo> Membership::nodes(std::string_view role) const {
  std::map<std::string, const NodeInfo*> merged;
  for (const auto& [center, view] : views_) {
    for (const auto& [name, info] : view.nodes) {
      if (role.empty() || info.role() == role) merged.emplace(name, &info);
    }
  }
  std::vector<NodeInfo> out;
  out.reserve(merged.size());
  for (const auto& [name, info] : merged) out.push_back(*info);
  return out;
}

nlohmann::json nodeInfoJson(const NodeInfo& n) {
  nlohmann::json ports = nlohmann::json::object();
  for (const auto& [k, v] : n.ports()) ports[k] = v;
  std::string state = NodeState_Name(n.state());
  return {{"name", n.name()},
          {"role", n.role()},
          {"host", n.host()},
          {"ports", ports},
          {"weight", n.weight()},
          {"state", state},
          {"load", {{"connections", n.load().connections()}, {"players", n.load().players()}, {"cpu", n.load().cpu()}}}};
}

nlohmann::json Membership::toJson() const {
  nlohmann::json centers = nlohmann::json::object();
  for (const auto& [center, view] : views_) {
    centers[center] = {{"incarnation", view.incarnation}, {"epoch", view.epoch}};
  }
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& n : this->nodes()) nodes.push_back(nodeInfoJson(n));
  return {{"centers", centers}, {"nodes", nodes}};
}

}  // namespace polis
