// Handlers that game code adds at run time (Node::setHandlers), and the
// operator commands every node serves (NodeControl), with real sockets on a
// standalone node.
#include <gtest/gtest.h>

#include "base/sleep.h"
#include "node/node.h"
#include "polis/bench.polis.h"
#include "polis/control.polis.h"
#include "rpc/rpc_client.h"
#include "support/loop_runner.h"

namespace polis {
namespace {

using namespace std::chrono_literals;

NodeConfig testConfig() {
  NodeConfig c;
  c.role = "micro";
  c.name = "handlers-test";
  c.secret = "handlers-test-secret-0123";
  return c;
}

// An Echo handler that answers "<tag>:<payload>" after `delay`.
rpc::HandlerTable echoAnswering(EventLoop& loop, std::string tag, std::chrono::milliseconds delay = 0ms) {
  rpc::HandlerTable table;
  table.tryAdd(gen::Echo::kEcho, [&loop, tag, delay](rpc::Incoming&& in) {
    EchoMsg req;
    req.ParseFromArray(in.body().data(), static_cast<int>(in.body().size()));
    spawn([](EventLoop& loop, rpc::Incoming in, std::string text, std::chrono::milliseconds delay) -> Task<void> {
      if (delay > 0ms) {
        auto pause = sleepFor(loop, delay);
        co_await pause;
      }
      EchoMsg resp;
      resp.set_payload(text);
      in.reply(resp);
    }(loop, std::move(in), tag + ":" + req.payload(), delay));
  });
  return table;
}

class NodeHandlersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node = std::make_unique<Node>(testConfig());
    node->standalone();
  }
  // Runs the node until `body` (posted once it listens) sets done.
  void run(std::function<void(const rpc::Channel::Ptr&)> body) {
    node->loop().post([this, body] {
      rpc::ChannelOptions o;
      o.local_name = "caller";
      o.secret = node->config().secret;
      client = std::make_unique<rpc::RpcClient>(node->loop(), dispatcher, o, "127.0.0.1", node->rpcServer().port());
      client->start([body](const rpc::Channel::Ptr& ch) { body(ch); });
    });
    node->loop().runAfter(5s, [this] {
      ADD_FAILURE() << "watchdog";
      node->drain();
    });
    node->run();
    client.reset();
  }
  void echo(const rpc::Channel::Ptr& ch, const std::string& payload, std::function<void()> then) {
    EchoMsg req;
    req.set_payload(payload);
    gen::Echo::Stub(ch).Echo(req, [this, then](Result<EchoMsg> r) {
      replies.push_back(r ? r->payload() : std::string("error: ") + std::string(errcName(r.error().code)));
      if (then) then();
    });
  }

  std::unique_ptr<Node> node;
  rpc::Dispatcher dispatcher;
  std::unique_ptr<rpc::RpcClient> client;
  std::vector<std::string> replies;
};

TEST_F(NodeHandlersTest, AnOwnersHandlersAreSwappedWhileCallsInFlightFinishOnTheOldOnes) {
  EventLoop& loop = node->loop();
  ASSERT_TRUE(node->setHandlers("plugin:echo", echoAnswering(loop, "v1", 100ms)).ok());
  run([&](const rpc::Channel::Ptr& ch) {
    echo(ch, "a", nullptr);  // in flight on v1 when v2 arrives
    loop.runAfter(20ms, [&, ch] {
      ASSERT_TRUE(node->setHandlers("plugin:echo", echoAnswering(loop, "v2")).ok());
      echo(ch, "b", [&, ch] {
        node->removeHandlers("plugin:echo");
        echo(ch, "c", [&] { loop.runAfter(150ms, [&] { node->drain(); }); });
      });
    });
  });
  EXPECT_EQ(replies, (std::vector<std::string>{"v2:b", "error: no_such_method", "v1:a"}));
}

TEST_F(NodeHandlersTest, AnIdServedElsewhereIsRefusedNamingWhoServesIt) {
  EventLoop& loop = node->loop();
  ASSERT_TRUE(node->setHandlers("plugin:a", echoAnswering(loop, "a")).ok());
  auto clash = node->setHandlers("lua", echoAnswering(loop, "lua"));
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().code, Errc::kAlreadyExists);
  EXPECT_NE(clash.error().message.find("plugin:a"), std::string::npos) << clash.error().message;
  rpc::HandlerTable control;
  control.tryAdd(gen::NodeControl::kListCommands, [](rpc::Incoming&&) {});
  auto builtin = node->setHandlers("lua", std::move(control));
  ASSERT_FALSE(builtin.ok()) << "the binary's own NodeControl cannot be taken over";
  EXPECT_NE(builtin.error().message.find("NodeControl.ListCommands"), std::string::npos) << builtin.error().message;
  run([&](const rpc::Channel::Ptr& ch) { echo(ch, "x", [&] { node->drain(); }); });
  EXPECT_EQ(replies, (std::vector<std::string>{"a:x"})) << "the refused tables changed nothing";
}

TEST_F(NodeHandlersTest, NodeControlListsAndRunsCommandsAndDrainDrains) {
  CommandSpec hello;
  hello.set_name("hello");
  auto* who = hello.add_args();
  who->set_name("who");
  who->set_required(true);
  ASSERT_TRUE(node->commands()
                  .add("lua", hello,
                       [](CommandArgs args) -> Task<Result<std::string>> { co_return "hello " + args.text("who"); })
                  .ok());
  std::vector<std::string> names;
  std::string output, refused;
  run([&](const rpc::Channel::Ptr& ch) {
    gen::NodeControl::Stub control(ch);
    control.ListCommands(Empty(), [&, control](Result<CommandList> list) {
      for (const auto& c : list->commands()) names.push_back(c.name() + "/" + c.owner());
      RunCommandReq bad;
      bad.set_name("hello");
      control.RunCommand(bad, [&, control](Result<RunCommandAck> r) {
        refused = r ? "ran" : r.error().message;
        RunCommandReq req;
        req.set_name("hello");
        (*req.mutable_args())["who"] = "operator";
        control.RunCommand(req, [&, control](Result<RunCommandAck> r) {
          output = r ? r->output() : r.error().describe();
          RunCommandReq drain;
          drain.set_name("drain");
          control.RunCommand(drain, [](Result<RunCommandAck>) {});
        });
      });
    });
  });
  EXPECT_EQ(names, (std::vector<std::string>{"drain/node", "hello/lua"}));
  EXPECT_NE(refused.find("needs the argument who"), std::string::npos) << refused;
  EXPECT_EQ(output, "hello operator");
  EXPECT_EQ(node->state(), NODE_DRAINING) << "the drain command drained the node (run() returned without the watchdog)";
}

}  // namespace
}  // namespace polis
