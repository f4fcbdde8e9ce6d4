// The plugin host on a real standalone node, with plugins built from
// tests/unit/host/plugins: load, serve, reload with state carried across
// (100 times, timers, threads and commands running), and every kind of bad
// plugin refused while the old version keeps serving. Run under
// AddressSanitizer by tools/test.sh: a plugin's code or memory used after its
// unload fails there.
#include "host/plugin_host.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/sleep.h"
#include "polis/bench.polis.h"
#include "polis/control.polis.h"
#include "rpc/rpc_client.h"
#include "support/loop_runner.h"

namespace polis::host {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class PluginHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NodeConfig c;
    c.role = "micro";
    c.name = "plugin-host-test";
    c.secret = "plugin-host-test-secret-01";
    node = std::make_unique<Node>(c);
    node->standalone();
    path = fs::path(::testing::TempDir()) / ("echo-" + std::to_string(getpid()) + ".so");
    install(ECHO_V1);
  }
  void TearDown() override { fs::remove(path); }

  // What a build does: the plugin's file is replaced.
  void install(const char* built) { fs::copy_file(built, path, fs::copy_options::overwrite_existing); }

  PluginHost& startHost(std::chrono::milliseconds handler_timeout = 5000ms) {
    PluginsConfig config;
    config.plugins.push_back(PluginSpec{"echo", path.string(), {{"greeting", "hi"}}});
    config.limits.handler_timeout = handler_timeout;
    config.limits.unload_timeout = 3000ms;
    host = std::make_unique<PluginHost>(*node, config);
    auto started = host->start();
    EXPECT_TRUE(started.ok()) << started.error().describe();
    return *host;
  }

  // Runs the node; `script` runs as a coroutine once a client is connected,
  // and the node drains when it ends.
  void run(std::function<Task<void>()> script) {
    node->loop().post([this, script] {
      rpc::ChannelOptions o;
      o.local_name = "caller";
      o.secret = node->config().secret;
      client = std::make_unique<rpc::RpcClient>(node->loop(), dispatcher, o, "127.0.0.1", node->rpcServer().port());
      client->start([this, script](const rpc::Channel::Ptr&) {
        spawn([](std::function<Task<void>()> script, Node* node) -> Task<void> {
          auto running = script();
          co_await std::move(running);
          node->drain();
        }(script, node.get()));
      });
    });
    node->loop().runAfter(60s, [this] {
      ADD_FAILURE() << "watchdog";
      node->drain();
    });
    node->run();
    client.reset();
    host.reset();
  }

  Task<Result<EchoMsg>> echo(std::string payload) {
    EchoMsg req;
    req.set_payload(std::move(payload));
    gen::Echo::Stub stub(client->channel());
    auto calling = stub.Echo(req);
    auto reply = co_await calling;
    co_return reply;
  }
  static std::string text(const Result<EchoMsg>& r) {
    return r ? r->payload() : std::string(errcName(r.error().code)) + ": " + r.error().message;
  }

  std::unique_ptr<Node> node;
  std::unique_ptr<PluginHost> host;
  rpc::Dispatcher dispatcher;
  std::unique_ptr<rpc::RpcClient> client;
  fs::path path;
};

TEST_F(PluginHostTest, AHundredReloadsCarryTheStateAcrossWhileTimersThreadsAndCommandsRun) {
  startHost();
  std::vector<std::string> seen;
  std::string command_output;
  run([&]() -> Task<void> {
    for (int round = 1; round <= 100; ++round) {
      auto reply = co_await echo("r" + std::to_string(round));
      seen.push_back(text(reply));
      install(round % 2 ? ECHO_V2 : ECHO_V1);
      auto reloaded = host->reload("echo");
      if (!reloaded) seen.push_back("reload failed: " + reloaded.error().message);
    }
    auto last = co_await echo("end");
    seen.push_back(text(last));
    auto running = node->commands().run("echo.served", {{"plus", "1000"}});
    auto out = co_await std::move(running);
    command_output = out ? *out : out.error().describe();
  });
  ASSERT_EQ(seen.size(), 101u) << seen.back();
  for (int round = 1; round <= 100; ++round) {
    std::string tag = round % 2 ? "v1" : "v2";
    EXPECT_EQ(seen[round - 1], tag + ":" + std::to_string(round) + ":r" + std::to_string(round));
  }
  EXPECT_EQ(seen[100], "v1:101:end") << "the count went on across 100 reloads";
  EXPECT_EQ(command_output, "v1 served 1101") << "the command of the current version answers";
}

TEST_F(PluginHostTest, ABadBuildIsRefusedWithItsReasonAndTheOldVersionKeepsServing) {
  startHost();
  std::vector<std::pair<const char*, std::string>> bad = {
      {BAD_INIT, "init threw: this plugin cannot start"},
      {RAW_WRONG_ABI, "built for plugin ABI 999, this node has ABI 1"},
      {RAW_NO_ENTRY, "has no polis_plugin_init"},
      {RAW_MISSING_SYMBOL, "undefined symbol: polis_function_that_does_not_exist"},
      {BAD_TAKEN, "is served by this binary's NodeControl."}};
  std::vector<std::string> errors, replies;
  run([&]() -> Task<void> {
    auto first = co_await echo("before");
    replies.push_back(text(first));
    for (const auto& [built, reason] : bad) {
      install(built);
      auto reloaded = host->reload("echo");
      errors.push_back(reloaded ? "loaded" : reloaded.error().message);
      auto still = co_await echo("after");
      replies.push_back(text(still));
    }
  });
  ASSERT_EQ(errors.size(), bad.size());
  for (size_t i = 0; i < bad.size(); ++i) {
    EXPECT_NE(errors[i].find(bad[i].second), std::string::npos) << errors[i];
    EXPECT_NE(errors[i].find("load #1 keeps serving"), std::string::npos) << errors[i];
    EXPECT_EQ(replies[i + 1], "v1:" + std::to_string(i + 2) + ":after") << "after " << bad[i].second;
  }
}

TEST_F(PluginHostTest, AThrowingHandlerAnswersInternalAndTheNodeGoesOn) {
  install(BAD_THROW);
  startHost();
  std::vector<std::string> replies;
  run([&]() -> Task<void> {
    auto thrown = co_await echo("boom");
    replies.push_back(text(thrown));
    auto fine = co_await echo("");
    replies.push_back(text(fine));
  });
  EXPECT_EQ(replies, (std::vector<std::string>{"internal: the plugin's handler threw: handler exploded on boom",
                                               "bad:"}));
}

TEST_F(PluginHostTest, AHandlerThatDoesNotAnswerInTimeFailsThatCallOnly) {
  install(BAD_SLOW);
  startHost(300ms);
  std::string late, reloaded;
  std::chrono::milliseconds took{};
  run([&]() -> Task<void> {
    auto started = std::chrono::steady_clock::now();
    auto slow = co_await echo("slow");
    took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    late = text(slow);
    // A reload now must wait for the unanswered call before unloading v1.
    install(ECHO_V1);
    auto done = host->reload("echo");
    reloaded = done ? *done : done.error().message;
    auto fresh = co_await echo("x");
    late += " | " + text(fresh);
    while (host->retiring() > 0) {
      auto pause = sleepFor(node->loop(), 10ms);
      co_await pause;
    }
  });
  EXPECT_NE(late.find("timeout: plugin echo did not answer Echo.Echo within 300 ms"), std::string::npos) << late;
  EXPECT_NE(late.find("| v1:1:x"), std::string::npos) << late;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 1400ms) << "the caller waited for the handler instead of its timeout";
  EXPECT_NE(reloaded.find("load #2 serving"), std::string::npos) << reloaded;
}

}  // namespace
}  // namespace polis::host
