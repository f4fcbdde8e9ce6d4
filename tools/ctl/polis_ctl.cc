// polis-ctl: the operator's command line. It connects to a center with the
// cluster secret (like any node) and asks it to fan a command out to nodes.
//
//   polis-ctl members
//   polis-ctl commands              [target]
//   polis-ctl run <command> [arg=value …] [target]
//   polis-ctl reload [plugins|lua]  [target]
//   polis-ctl drain                 [target]
//   target: --all (the default) | --role <role> | --node <name>
//
// The center is POLIS_CLUSTER__CENTERS's first entry (or --center
// host:port); the secret is POLIS_CLUSTER__SECRET (or the file named by
// --secret-file) — never an argument, which other users could read in `ps`.
// Exit code: 0 when every node answered ok, 1 when one did not, 2 when the
// command line is wrong or the center cannot be reached or refused the secret.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/run_until.h"
#include "base/task.h"
#include "ctl_args.h"
#include "net/endpoint.h"
#include "polis/control.polis.h"
#include "rpc/rpc_client.h"

using namespace polis;
using namespace std::chrono_literals;

namespace {

constexpr auto kConnectLimit = 5s;

int printOutcomes(const FanoutAck& ack) {
  int status = 0;
  for (const auto& o : ack.outcomes()) {
    if (o.ok()) {
      std::printf("%s (%s): ok\n", o.node().c_str(), o.role().c_str());
    } else {
      std::printf("%s (%s): %s: %s\n", o.node().c_str(), o.role().c_str(),
                  std::string(errcName(static_cast<Errc>(o.code()))).c_str(), o.output().c_str());
      status = 1;
    }
    std::string text = o.output();
    for (const auto& c : o.commands().commands()) {
      text += "  " + c.name() + " — " + c.help() + " [" + c.owner() + "]\n";
      for (const auto& a : c.args()) {
        text += "      " + a.name() + (a.required() ? "" : " (optional)") + ": " + CommandArg::Type_Name(a.type()) +
                (a.help().empty() ? "" : " — " + a.help()) + "\n";
      }
    }
    if (o.ok() && !text.empty()) std::printf("%s%s", text.c_str(), text.back() == '\n' ? "" : "\n");
  }
  return status;
}

int printMembers(const MembershipSnapshot& snapshot) {
  for (const auto& n : snapshot.nodes()) {
    std::printf("%-20s %-10s %-9s %s:%u\n", n.name().c_str(), n.role().c_str(),
                NodeState_Name(n.state()).c_str(), n.host().c_str(), n.ports().count("rpc") ? n.ports().at("rpc") : 0);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = ctl::parseArgs(std::vector<std::string>(argv + 1, argv + argc), std::getenv("POLIS_CLUSTER__CENTERS"),
                               std::getenv("POLIS_CLUSTER__SECRET"));
  if (!parsed) {
    std::fprintf(stderr, "polis-ctl: %s\n%s", parsed.error().message.c_str(), ctl::kUsage);
    return 2;
  }
  const ctl::Request& request = *parsed;
  log::init("polis-ctl", "error", log::Format::kHuman);  // to stderr; the outcome is printed below
  auto center = net::parseEndpoint(request.center);
  EventLoop loop;
  rpc::Dispatcher dispatcher;
  rpc::ChannelOptions o;
  o.local_name = "polis-ctl";
  o.secret = request.secret;
  o.default_timeout = std::chrono::milliseconds(request.fanout.timeout_ms() + 5000);
  rpc::RpcClient client(loop, dispatcher, o, center->host, center->port);
  client.start([](const rpc::Channel::Ptr&) {});
  if (!runLoopUntil(loop, [&] { return client.channel() != nullptr || client.authFailed(); }, kConnectLimit) ||
      client.authFailed()) {
    std::fprintf(stderr, "polis-ctl: %s\n",
                 client.authFailed() ? ("the center at " + request.center + " refused the cluster secret").c_str()
                                     : ("cannot reach a center at " + request.center).c_str());
    return 2;
  }
  gen::ClusterControl::Stub stub(client.channel());
  std::optional<int> status;
  spawn([](gen::ClusterControl::Stub stub, ctl::Request request, std::optional<int>* status) -> Task<void> {
    if (request.members) {
      auto listing = stub.Members(Empty());
      auto members = co_await listing;
      if (!members) {
        std::fprintf(stderr, "polis-ctl: %s\n", members.error().describe().c_str());
        *status = 2;
        co_return;
      }
      *status = printMembers(*members);
      co_return;
    }
    auto asking = stub.Fanout(request.fanout);
    auto ack = co_await asking;
    if (!ack) {
      std::fprintf(stderr, "polis-ctl: %s\n", ack.error().describe().c_str());
      *status = ack.error().code == Errc::kNotFound ? 1 : 2;
      co_return;
    }
    *status = printOutcomes(*ack);
  }(stub, request, &status));
  runLoopUntil(loop, [&] { return status.has_value(); }, std::chrono::milliseconds(request.fanout.timeout_ms() + 10000));
  if (!status) {
    std::fprintf(stderr, "polis-ctl: no answer from the center\n");
    return 2;
  }
  return *status;
}
