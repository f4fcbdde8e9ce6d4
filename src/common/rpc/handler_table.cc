#include "rpc/handler_table.h"

#include <cstdio>
#include <cstdlib>

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

const HandlerEntry* HandlerTable::find(uint16_t id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace polis::rpc
