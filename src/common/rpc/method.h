// What the code generator knows about one RPC method, as a constant the
// generated service and stub code both point at.
#pragma once

#include <cstdint>
#include <string_view>

namespace polis::rpc {

struct MethodInfo {
  uint16_t id;            // the (polis.msg_id) option; unique across all protos
  std::string_view name;  // "Service.Method", used in logs and metrics
  bool oneway;            // (polis.oneway): a notify, no reply
};

}  // namespace polis::rpc
