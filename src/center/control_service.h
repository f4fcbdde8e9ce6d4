// ControlService: the center's ClusterControl (proto/polis/control.proto):
// runs an operator command on one node, every node of a role or every node
// it knows, over the channels they registered on, all at once, and answers
// with each node's outcome. polis-ctl is its client.
// Threads: loop-thread only.
#pragma once

#include "center/registry_service.h"
#include "polis/control.polis.h"

namespace polis::center {

class ControlService final : public gen::ClusterControl::Service {
 public:
  explicit ControlService(RegistryService& registry) : registry_(registry) {}

  Task<Result<FanoutAck>> Fanout(Call& call, const FanoutReq& req) override;
  Task<Result<MembershipSnapshot>> Members(Call& call, const Empty& req) override;

 private:
  RegistryService& registry_;
};

}  // namespace polis::center
