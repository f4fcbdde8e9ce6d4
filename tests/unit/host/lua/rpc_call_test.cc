// rpc.call from a handler: it yields, the node serves other calls, and it
// resumes with the reply — or with an error on a timeout or when no node
// serves the role. Calls in flight across a reload finish on the old code.
#include "base/sleep.h"
#include "lua_fixture.h"
#include "polis/bench.polis.h"
#include "rpc/rpc_server.h"

namespace polis::lua {
namespace {

using namespace std::chrono_literals;

// The backend: upper-cases; payloads starting with "slow" take 200 ms, "stuck" 2 s.
class Upper final : public gen::Echo::Service {
 public:
  explicit Upper(EventLoop& loop) : loop_(loop) {}
  Task<Result<EchoMsg>> Echo(Call&, const EchoMsg& req) override {
    auto delay = req.payload().starts_with("slow") ? 200ms : req.payload().starts_with("stuck") ? 2000ms : 0ms;
    if (delay > 0ms) {
      auto pause = sleepFor(loop_, delay);
      co_await pause;
    }
    EchoMsg out;
    for (char c : req.payload()) out.mutable_payload()->push_back(static_cast<char>(std::toupper(c)));
    co_return out;
  }
  Task<void> Push(Call&, const EchoMsg&) override { co_return; }

 private:
  EventLoop& loop_;
};

std::string handler(const std::string& version) {
  return R"(
Echo = polis.service("polis.Echo")
top_level_err = select(2, rpc.call("backend", "Echo.Echo", {}))
function Echo.Echo(call, req)
  local reply, err = rpc.call(req.payload == "nobody" and "nobody" or "backend", "Echo.Echo",
                              {payload = req.payload}, {timeout = 0.5})
  if not reply then return {payload = "err " .. tostring(err)} end
  return {payload = ")" + version + R"(:" .. reply.payload}
end
polis.command{name = "top", run = function() return top_level_err.code end}
)";
}

class RpcCall : public LuaFixture {
 protected:
  void SetUp() override {
    LuaFixture::SetUp();
    upper = std::make_unique<Upper>(node->loop());
    rpc::HandlerTable table;
    upper->bindTo(table);
    backend_dispatcher.install(std::make_shared<const rpc::HandlerTable>(std::move(table)));
    rpc::ChannelOptions o;
    o.local_name = "backend-1";
    o.secret = node->config().secret;
    backend = std::make_unique<rpc::RpcServer>(node->loop(), backend_dispatcher, o, "127.0.0.1", 0);
    ASSERT_TRUE(backend->start().ok());
    MembershipSnapshot snapshot;
    snapshot.set_incarnation(1);
    auto* n = snapshot.add_nodes();
    n->set_name("backend-1");
    n->set_role("backend");
    n->set_host("127.0.0.1");
    n->set_state(NODE_READY);
    (*n->mutable_ports())["rpc"] = backend->port();
    node->membership().applySnapshot("center-1", snapshot);
  }
  void TearDown() override {
    backend.reset();  // it uses the node's loop
    LuaFixture::TearDown();
  }
  void ask(const rpc::Channel::Ptr& ch, const std::string& payload, std::function<void()> then = nullptr) {
    EchoMsg req;
    req.set_payload(payload);
    gen::Echo::Stub(ch).Echo(req, [this, then](Result<EchoMsg> r) {
      replies.push_back(r ? r->payload() : "error " + r.error().describe());
      if (then) then();
    });
  }

  std::unique_ptr<Upper> upper;
  rpc::Dispatcher backend_dispatcher;
  std::unique_ptr<rpc::RpcServer> backend;
  std::vector<std::string> replies;
};

TEST_F(RpcCall, YieldsUntilTheReplyAndCallsInFlightFinishOnTheCodeTheyStartedWith) {
  write("echo.lua", handler("v1"));
  ASSERT_TRUE(start().ok());
  serve([&](const rpc::Channel::Ptr& ch) {
    ask(ch, "a", [&, ch] {
      ask(ch, "slow-x", [&] { node->drain(); });  // suspended in rpc.call for 200 ms
      node->loop().runAfter(50ms, [&, ch] {
        write("echo.lua", handler("v2"));
        auto reloaded = host->reload();
        EXPECT_TRUE(reloaded.ok());
        ask(ch, "b");
      });
    });
  });
  EXPECT_EQ(replies, (std::vector<std::string>{"v1:A", "v2:B", "v1:SLOW-X"}));
}

TEST_F(RpcCall, ResumesWithAnErrorOnATimeoutOrWithNoNodeOfTheRole) {
  write("echo.lua", handler("v1"));
  ASSERT_TRUE(start().ok());
  auto started = std::chrono::steady_clock::now();
  std::chrono::milliseconds took{};
  serve([&](const rpc::Channel::Ptr& ch) {
    ask(ch, "stuck", [&, ch] {
      took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
      ask(ch, "nobody", [&] { node->drain(); });
    });
    ask(ch, "quick");  // served while the first call waits
  });
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(replies[0], "v1:QUICK");
  EXPECT_TRUE(replies[1].starts_with("err timeout:")) << replies[1];
  EXPECT_GE(took, 450ms);
  EXPECT_LT(took, 1500ms);
  EXPECT_EQ(replies[2], "err unavailable: no ready node of role nobody");
  EXPECT_EQ(command("top"), "invalid_argument") << "rpc.call while a module loads returns an error";
}

TEST_F(RpcCall, ANodeTornDownWithHandlersSuspendedInRpcCallDropsThemSafely) {
  write("echo.lua", handler("v1"));
  ASSERT_TRUE(start().ok());
  serve([&](const rpc::Channel::Ptr& ch) {
    for (int i = 0; i < 5; ++i) ask(ch, "stuck");  // 2 s at the backend: suspended at teardown
    node->loop().runAfter(100ms, [&] { node->loop().quit(); });
  });
  EXPECT_EQ(host->running(), 5u) << "five handlers wait in rpc.call";
  client.reset();
  backend.reset();
  node.reset();  // ~Node: suspended coroutines destroyed (never resumed), then the host and its VM
  EXPECT_TRUE(replies.empty());
}

}  // namespace
}  // namespace polis::lua
