#include "center/registry.h"

#include "base/log.h"

namespace polis::center {

Registry::Registry(std::string center_name, uint64_t incarnation, Now now)
    : center_name_(std::move(center_name)), incarnation_(incarnation), now_(std::move(now)),
      last_evict_check_(now_()) {}

MembershipDiff Registry::nextDiff() {
  MembershipDiff diff;
  diff.set_center(center_name_);
  diff.set_incarnation(incarnation_);
  diff.set_epoch(++epoch_);
  return diff;
}

Result<std::optional<MembershipDiff>> Registry::upsert(const NodeInfo& info, uint64_t owner,
                                                      const std::string& address) {
  auto it = nodes_.find(info.name());
  if (it != nodes_.end() && it->second.owner != owner) {
    return Error{Errc::kAlreadyExists, "node name \"" + info.name() + "\" is held by a live node at " +
                                           (it->second.address.empty() ? "another connection" : it->second.address) +
                                           "; two nodes must not share a name"};
  }
  auto diff = nextDiff();
  if (auto prev = by_owner_.find(owner); prev != by_owner_.end() && prev->second != info.name()) {
    // One connection, one node: a registration under a new name replaces the old one.
    nodes_.erase(prev->second);
    load_dirty_.erase(prev->second);
    diff.add_removed(prev->second);
  }
  Entry& e = nodes_[info.name()];
  e.info = info;
  e.owner = owner;
  e.address = address;
  e.last_seen = now_();
  by_owner_[owner] = info.name();
  load_dirty_.erase(info.name());
  *diff.add_upserted() = info;
  return std::optional<MembershipDiff>(std::move(diff));
}

bool Registry::heartbeat(uint64_t owner, const NodeLoad& load) {
  auto it = by_owner_.find(owner);
  if (it == by_owner_.end()) return false;
  Entry& e = nodes_.at(it->second);
  e.last_seen = now_();
  *e.info.mutable_load() = load;
  load_dirty_.insert(it->second);
  return true;
}

std::optional<MembershipDiff> Registry::setState(uint64_t owner, NodeState state) {
  auto it = by_owner_.find(owner);
  if (it == by_owner_.end()) return std::nullopt;
  Entry& e = nodes_.at(it->second);
  e.last_seen = now_();
  if (e.info.state() == state) return std::nullopt;
  e.info.set_state(state);
  auto diff = nextDiff();
  *diff.add_upserted() = e.info;
  return diff;
}

std::optional<MembershipDiff> Registry::removeOwner(uint64_t owner) {
  auto it = by_owner_.find(owner);
  if (it == by_owner_.end()) return std::nullopt;
  return removeNames({it->second});
}

std::optional<MembershipDiff> Registry::evictSilent(Clock::duration timeout, Clock::duration interval) {
  auto now = now_();
  auto previous = std::exchange(last_evict_check_, now);
  if (now - previous > 2 * interval) {
    auto stall = now - previous - interval;
    log::warn("the center did not run for {} ms; not counting that against the nodes",
              std::chrono::duration_cast<std::chrono::milliseconds>(stall).count());
    for (auto& [name, e] : nodes_) e.last_seen = std::min(now, e.last_seen + stall);
    return std::nullopt;
  }
  std::set<std::string> silent;
  for (const auto& [name, e] : nodes_) {
    if (now - e.last_seen > timeout) silent.insert(name);
  }
  for (const auto& name : silent) log::warn("evicting node {}: no heartbeat for over {} ms", name,
                                            std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count());
  return removeNames(silent);
}

std::optional<MembershipDiff> Registry::removeNames(const std::set<std::string>& names) {
  if (names.empty()) return std::nullopt;
  auto diff = nextDiff();
  for (const auto& name : names) {
    auto it = nodes_.find(name);
    if (it == nodes_.end()) continue;
    by_owner_.erase(it->second.owner);
    load_dirty_.erase(name);
    nodes_.erase(it);
    diff.add_removed(name);
  }
  return diff;
}

std::optional<MembershipDiff> Registry::flushLoads() {
  if (load_dirty_.empty()) return std::nullopt;
  auto diff = nextDiff();
  for (const auto& name : load_dirty_) *diff.add_upserted() = nodes_.at(name).info;
  load_dirty_.clear();
  return diff;
}

MembershipSnapshot Registry::snapshot() const {
  MembershipSnapshot snap;
  snap.set_center(center_name_);
  snap.set_incarnation(incarnation_);
  snap.set_epoch(epoch_);
  for (const auto& [name, e] : nodes_) *snap.add_nodes() = e.info;
  return snap;
}

const std::string* Registry::nameOf(uint64_t owner) const {
  auto it = by_owner_.find(owner);
  return it == by_owner_.end() ? nullptr : &it->second;
}

Registry::Clock::time_point Registry::lastSeen(const std::string& name) const {
  auto it = nodes_.find(name);
  return it == nodes_.end() ? Clock::time_point{} : it->second.last_seen;
}

}  // namespace polis::center
