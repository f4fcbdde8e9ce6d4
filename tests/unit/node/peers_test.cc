// Peers: calls by role from one node to another, with real sockets. The
// membership is set by hand (no center).
#include "node/peers.h"

#include <gtest/gtest.h>

#include "polis/bench.polis.h"
#include "rpc/rpc_server.h"
#include "support/loop_runner.h"

namespace polis {
namespace {

using namespace std::chrono_literals;

class Upper final : public gen::Echo::Service {
 public:
  Task<Result<EchoMsg>> Echo(Call&, const EchoMsg& req) override {
    EchoMsg out;
    for (char c : req.payload()) out.mutable_payload()->push_back(static_cast<char>(std::toupper(c)));
    co_return out;
  }
  Task<void> Push(Call&, const EchoMsg&) override { co_return; }
};

rpc::ChannelOptions options(std::string name) {
  rpc::ChannelOptions o;
  o.local_name = std::move(name);
  o.secret = "peers-test-secret-0123456";
  return o;
}

TEST(Peers, ACallByRoleReachesAReadyNodeOfThatRole) {
  EventLoop loop;
  Upper upper;
  rpc::HandlerTable table;
  upper.bindTo(table);
  rpc::Dispatcher server_dispatcher;
  server_dispatcher.install(std::make_shared<const rpc::HandlerTable>(table));
  rpc::RpcServer server(loop, server_dispatcher, options("micro-1"), "127.0.0.1", 0);
  ASSERT_TRUE(server.start().ok());

  Membership membership;
  MembershipSnapshot snapshot;
  snapshot.set_incarnation(1);
  auto* node = snapshot.add_nodes();
  node->set_name("micro-1");
  node->set_role("micro");
  node->set_host("127.0.0.1");
  node->set_state(NODE_READY);
  (*node->mutable_ports())["rpc"] = server.port();
  auto* draining = snapshot.add_nodes();
  *draining = *node;
  draining->set_name("micro-2");
  draining->set_state(NODE_DRAINING);
  (*draining->mutable_ports())["rpc"] = 1;  // never dialled: not ready
  membership.applySnapshot("center-1", snapshot);

  rpc::Dispatcher dispatcher;
  Peers peers(loop, dispatcher, options("lobby-1"), membership);
  std::vector<std::string> answers;
  int done = 0;
  auto ask = [&](std::string role, std::string payload) {
    spawn([](Peers& peers, std::string role, std::string payload, std::vector<std::string>* answers,
             int* done) -> Task<void> {
      EchoMsg req;
      req.set_payload(payload);
      rpc::CallOptions o;
      o.timeout = 2s;
      auto calling = peers.callBytes(role, gen::Echo::kEcho, req.SerializeAsString(), o);
      auto raw = co_await std::move(calling);
      EchoMsg resp;
      answers->push_back(raw && resp.ParseFromString(*raw) ? resp.payload() : "error: " + raw.error().message);
      ++*done;
    }(peers, std::move(role), std::move(payload), &answers, &done));
  };
  for (int i = 0; i < 5; ++i) ask("micro", "hello");
  ask("world", "x");
  ASSERT_TRUE(testing::runUntil(loop, [&] { return done == 6; }, 5s));
  EXPECT_EQ(std::count(answers.begin(), answers.end(), "HELLO"), 5) << "every call reached micro-1, none micro-2";
  EXPECT_NE(std::find(answers.begin(), answers.end(), "error: no ready node of role world"), answers.end());
}

}  // namespace
}  // namespace polis
