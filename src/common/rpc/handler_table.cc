#include "rpc/handler_table.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>

#include "rpc/rpc_metrics.h"

namespace polis::rpc {

void HandlerTable::add(const MethodInfo& info, std::function<void(Incoming&&)> handler) {
  auto [it, inserted] = entries_.try_emplace(info.id);
  if (!inserted) {
    std::fprintf(stderr, "polis: msg_id %u bound twice (%.*s and %.*s)\n", info.id,
                 static_cast<int>(it->second.info.name.size()), it->second.info.name.data(),
                 static_cast<int>(info.name.size()), info.name.data());
    std::abort();
  }
  it->second = HandlerEntry{info, std::move(handler), &serverStats(info)};
}

bool HandlerTable::tryAdd(const MethodInfo& info, std::function<void(Incoming&&)> handler) {
  auto [it, inserted] = entries_.try_emplace(info.id);
  if (inserted) it->second = HandlerEntry{info, std::move(handler), &serverStats(info)};
  return inserted;
}

std::string_view internMethodName(std::string_view name) {
  static std::mutex mutex;
  static auto* names = new std::set<std::string, std::less<>>;  // never freed: handlers in flight point into it
  std::lock_guard lock(mutex);
  auto it = names->find(name);
  if (it == names->end()) it = names->emplace(name).first;
  return *it;
}

const HandlerEntry* HandlerTable::find(uint16_t id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace polis::rpc
