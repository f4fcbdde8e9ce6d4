// HandlerTable maps a message id to a handler; Dispatcher holds the current
// table and swaps it whole. A swap never disturbs calls in flight: each call
// keeps the table it was dispatched from alive until it finishes, so plugins
// and Lua can replace handlers at run time (hot reload).
//
// Threads: a Dispatcher belongs to one event loop; install() and find() run
// on that loop.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "rpc/incoming.h"
#include "rpc/method.h"

namespace polis::rpc {

struct MethodStats;

struct HandlerEntry {
  MethodInfo info;
  std::function<void(Incoming&&)> handler;  // parses the body, runs, replies
  MethodStats* stats = nullptr;             // process-lifetime, never null once added
};

class HandlerTable {
 public:
  // Aborts on a duplicate id: the generator already rejects duplicates within
  // the protos, so a duplicate here is two services bound twice, a bug.
  void add(const MethodInfo& info, std::function<void(Incoming&&)> handler);
  // For handlers that come and go at run time (plugins, Lua): false, adding
  // nothing, when the id is taken. `info.name` must outlive the table
  // (internMethodName() gives a name that lives as long as the process).
  bool tryAdd(const MethodInfo& info, std::function<void(Incoming&&)> handler);
  const HandlerEntry* find(uint16_t id) const;
  size_t size() const { return entries_.size(); }
  const std::unordered_map<uint16_t, HandlerEntry>& entries() const { return entries_; }

 private:
  std::unordered_map<uint16_t, HandlerEntry> entries_;
};

// A copy of `name` that lives as long as the process, for the MethodInfo of
// a handler added at run time. The same name gives the same copy.
std::string_view internMethodName(std::string_view name);

// What a call in flight holds: the table it was dispatched from and the
// dispatcher's count of calls in flight. One shared object, so a call costs
// one reference count, and an Incoming outliving the dispatcher stays safe.
struct InstalledTable {
  std::shared_ptr<const HandlerTable> table;
  std::shared_ptr<std::atomic<int64_t>> inflight;
};

class Dispatcher {
 public:
  Dispatcher() { install(std::make_shared<const HandlerTable>()); }
  // Replaces the table; calls already dispatched finish on the old one.
  void install(std::shared_ptr<const HandlerTable> table) {
    installed_ = std::make_shared<const InstalledTable>(InstalledTable{std::move(table), inflight_});
  }
  const std::shared_ptr<const InstalledTable>& installed() const { return installed_; }
  const HandlerTable& table() const { return *installed_->table; }

  // Requests dispatched from here and not yet answered (a draining node waits for zero).
  int64_t inflight() const { return inflight_->load(std::memory_order_relaxed); }

 private:
  std::shared_ptr<std::atomic<int64_t>> inflight_ = std::make_shared<std::atomic<int64_t>>(0);
  std::shared_ptr<const InstalledTable> installed_;
};

}  // namespace polis::rpc
