// Registry: the center's table of nodes, as plain logic (no sockets, an
// injectable clock) so every rule is unit-tested. Each change produces a
// MembershipDiff carrying the next epoch; subscribers apply diffs in order.
// Soft state only: a restarted center starts empty with a new incarnation
// and is complete again once every node has re-registered.
// Threads: loop-thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "base/result.h"
#include "polis/registry.pb.h"

namespace polis::center {

class Registry {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;

  Registry(std::string center_name, uint64_t incarnation, Now now = Clock::now);

  // Every mutation returns the diff to publish, or nullopt when nothing changed.
  // `owner` identifies the connection the node registered over, `address`
  // is where it came from (for messages). A name another connection holds is
  // refused (kAlreadyExists, naming the holder's address): two live processes
  // with one name would otherwise take it from each other on every heartbeat.
  // The holder's connection closing, or its heartbeats stopping, frees the name.
  Result<std::optional<MembershipDiff>> upsert(const NodeInfo& info, uint64_t owner, const std::string& address = {});
  // False when `owner` has no registered node (it must register again).
  bool heartbeat(uint64_t owner, const NodeLoad& load);
  std::optional<MembershipDiff> setState(uint64_t owner, NodeState state);
  std::optional<MembershipDiff> removeOwner(uint64_t owner);
  // Removes nodes silent for longer than `timeout`. Meant to run every
  // `interval`: a call that comes far later than that means the center
  // itself did not run (stopped, starved), while the nodes' heartbeats wait
  // unread in its sockets. That gap is not held against the nodes: their
  // silence clocks move forward by it and nobody is evicted this round.
  std::optional<MembershipDiff> evictSilent(Clock::duration timeout, Clock::duration interval);
  // Load reports since the last flush, as one diff (loads change every
  // heartbeat, so they are batched rather than pushed one by one).
  std::optional<MembershipDiff> flushLoads();

  MembershipSnapshot snapshot() const;
  const std::string* nameOf(uint64_t owner) const;
  Clock::time_point lastSeen(const std::string& name) const;
  size_t size() const { return nodes_.size(); }
  uint64_t epoch() const { return epoch_; }

 private:
  struct Entry {
    NodeInfo info;
    uint64_t owner;
    std::string address;
    Clock::time_point last_seen;
  };
  MembershipDiff nextDiff();
  std::optional<MembershipDiff> removeNames(const std::set<std::string>& names);

  std::string center_name_;
  uint64_t incarnation_;
  Now now_;
  uint64_t epoch_ = 0;
  std::map<std::string, Entry> nodes_;
  std::map<uint64_t, std::string> by_owner_;
  std::set<std::string> load_dirty_;
  Clock::time_point last_evict_check_;  // from construction: a stall before the first check counts too
};

}  // namespace polis::center
