#include "center/control_service.h"

#include <chrono>

#include "base/log.h"

namespace polis::center {
namespace {

constexpr auto kDefaultTimeout = std::chrono::milliseconds(10000);
constexpr auto kMaxTimeout = std::chrono::milliseconds(600000);

bool targeted(const Target& t, const NodeInfo& n) {
  switch (t.which_case()) {
    case Target::kAll:
      return t.all();
    case Target::kRole:
      return n.role() == t.role();
    case Target::kNode:
      return n.name() == t.node();
    default:
      return false;
  }
}

void failed(NodeOutcome& out, const Error& e) {
  out.set_ok(false);
  out.set_code(static_cast<int32_t>(e.code));
  out.set_output(e.message);
}

}  // namespace

// Every targeted node is asked at once; the answer waits for all of them
// (each bounded by the timeout).
Task<Result<FanoutAck>> ControlService::Fanout(Call&, const FanoutReq& req) {
  if (req.what_case() == FanoutReq::WHAT_NOT_SET) co_return Error{Errc::kInvalidArgument, "nothing to run"};
  if (req.target().which_case() == Target::WHICH_NOT_SET) co_return Error{Errc::kInvalidArgument, "no target"};
  auto timeout = req.timeout_ms() ? std::min(std::chrono::milliseconds(req.timeout_ms()), kMaxTimeout) : kDefaultTimeout;
  rpc::CallOptions options;
  options.timeout = timeout;
  FanoutAck ack;
  std::vector<Completion<Result<RunCommandAck>>> runs;
  std::vector<Completion<Result<CommandList>>> lists;
  MembershipSnapshot members = registry_.registry().snapshot();
  for (const NodeInfo& n : members.nodes()) {
    if (!targeted(req.target(), n)) continue;
    NodeOutcome* out = ack.add_outcomes();
    out->set_node(n.name());
    out->set_role(n.role());
    gen::NodeControl::Stub stub(registry_.channelOf(n.name()), options);
    if (req.has_run()) {
      runs.push_back(stub.RunCommand(req.run()));
    } else {
      lists.push_back(stub.ListCommands(Empty()));
    }
  }
  if (ack.outcomes_size() == 0) co_return Error{Errc::kNotFound, "no node matches the target"};
  for (int i = 0; i < ack.outcomes_size(); ++i) {
    NodeOutcome& out = *ack.mutable_outcomes(i);
    if (req.has_run()) {
      auto ran = co_await runs[static_cast<size_t>(i)];
      if (!ran) {
        failed(out, ran.error());
        continue;
      }
      out.set_ok(true);
      out.set_output(ran->output());
    } else {
      auto listed = co_await lists[static_cast<size_t>(i)];
      if (!listed) {
        failed(out, listed.error());
        continue;
      }
      out.set_ok(true);
      *out.mutable_commands() = std::move(*listed);
    }
  }
  co_return ack;
}

Task<Result<MembershipSnapshot>> ControlService::Members(Call&, const Empty&) {
  co_return registry_.registry().snapshot();
}

}  // namespace polis::center
