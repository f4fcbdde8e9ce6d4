// Membership: this node's view of the cluster, as pushed by the centers it
// subscribes to. Each center's view is kept apart (a snapshot, then diffs
// whose epochs must follow on); the cluster view is their union, so with two
// centers either one alone keeps the view complete.
// Threads: loop-thread only.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "polis/registry.pb.h"

namespace polis {

class Membership {
 public:
  void applySnapshot(const std::string& center, const MembershipSnapshot& snapshot);
  // False when the diff does not follow the last epoch seen from that center
  // (a gap, or the center restarted): the caller must subscribe again.
  bool applyDiff(const std::string& center, const MembershipDiff& diff);
  // Forgets what a center said (its link dropped).
  void dropCenter(const std::string& center);

  // Every node any center lists, by name; `role` empty = all roles.
  std::vector<NodeInfo> nodes(std::string_view role = {}) const;
  // Runs after every change.
  void onChange(std::function<void()> fn) { on_change_ = std::move(fn); }

  nlohmann::json toJson() const;

 private:
  struct CenterView {
    uint64_t incarnation = 0;
    uint64_t epoch = 0;
    std::map<std::string, NodeInfo> nodes;
  };
  void changed() { if (on_change_) on_change_(); }

  std::map<std::string, CenterView> views_;
  std::function<void()> on_change_;
};

// NodeInfo as JSON, shared by /members on every node and the center.
nlohmann::json nodeInfoJson(const NodeInfo& n);

}  // namespace polis
