// A standalone node hosting scripts from a temporary folder, for the Lua
// host's tests: write modules, start the host, run commands and make calls
// over real sockets.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "host/lua/lua_host.h"
#include "rpc/rpc_client.h"
#include "support/loop_runner.h"

namespace polis::lua {

class LuaFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/polis-lua-test-XXXXXX";
    dir = mkdtemp(tmpl);
    NodeConfig c;
    c.role = "micro";
    c.name = "lua-test";
    c.secret = "lua-test-secret-0123456789";
    c.rpc_timeout = std::chrono::seconds(2);
    node = std::make_unique<Node>(c);
    node->standalone();
  }
  void TearDown() override {
    client.reset();
    node.reset();
    std::filesystem::remove_all(dir);
  }

  void write(const std::string& file, const std::string& text) {
    std::ofstream(dir + "/" + file, std::ios::trunc) << text;
  }
  void remove(const std::string& file) { std::filesystem::remove(dir + "/" + file); }

  LuaConfig config() {
    LuaConfig c;
    c.scripts = dir;
    c.descriptor_set = POLIS_DESCRIPTOR_SET;
    return c;
  }
  Result<void> start(LuaConfig c) {
    auto made = LuaHost::create(*node, std::move(c));
    if (!made) return made.error();
    host = &node->adopt(std::move(*made));
    return {};
  }
  Result<void> start() { return start(config()); }

  // Runs an operator command to its end: its output, or "error <code>: <message>".
  std::string command(std::string name, std::map<std::string, std::string> args = {}) {
    std::optional<Result<std::string>> out;
    spawn([](Node* n, std::string name, std::map<std::string, std::string> args,
             std::optional<Result<std::string>>* out) -> Task<void> {
      auto running = n->commands().run(std::move(name), std::move(args));
      auto result = co_await std::move(running);
      out->emplace(std::move(result));
    }(node.get(), std::move(name), std::move(args), &out));
    if (!testing::runUntil(node->loop(), [&] { return out.has_value(); })) return "timed out";
    if (*out) return **out;
    return "error " + std::string(errcName(out->error().code)) + ": " + out->error().message;
  }

  // Runs the node; `body` gets a channel to it and drains the node when done.
  void serve(std::function<void(const rpc::Channel::Ptr&)> body, std::chrono::milliseconds watchdog = std::chrono::seconds(10)) {
    node->loop().post([this, body] {
      rpc::ChannelOptions o;
      o.local_name = "caller";
      o.secret = node->config().secret;
      client = std::make_unique<rpc::RpcClient>(node->loop(), dispatcher, o, "127.0.0.1", node->rpcServer().port());
      client->start([body](const rpc::Channel::Ptr& ch) { body(ch); });
    });
    node->loop().runAfter(watchdog, [this] {
      ADD_FAILURE() << "watchdog";
      node->drain();
    });
    node->run();
  }

  std::string dir;
  std::unique_ptr<Node> node;
  LuaHost* host = nullptr;
  rpc::Dispatcher dispatcher;
  std::unique_ptr<rpc::RpcClient> client;
};

}  // namespace polis::lua
