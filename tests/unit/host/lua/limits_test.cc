// A runaway handler and a memory bomb are stopped, their callers get an
// error, and the VM goes on serving.
#include "host/lua/lua_metrics.h"
#include "lua_fixture.h"
#include "polis/bench.polis.h"

namespace polis::lua {
namespace {

using namespace std::chrono_literals;

const char kEcho[] = R"(
Echo = polis.service("polis.Echo")
function Echo.Echo(call, req)
  if req.payload == "spin" then
    while true do end
  elseif req.payload == "spin-and-catch" then
    while true do pcall(function() while true do end end) end
  elseif req.payload == "bomb" then
    local t = {}
    while true do t[#t + 1] = string.rep("x", 1024) .. #t end
  elseif req.payload == "huge" then
    return {payload = string.rep("x", 1 << 30)}
  elseif req.payload == "fail" then
    error("on purpose")
  elseif req.payload == "typed" then
    return nil, polis.error("not_found", "no such thing")
  end
  return {payload = "lua:" .. req.payload, seq = req.seq + 1}
end
)";

class Limits : public LuaFixture {
 protected:
  // Calls Echo with each payload in turn; the replies, or "error <code>: <message>".
  std::vector<std::string> echo(std::vector<std::string> payloads) {
    std::vector<std::string> out;
    serve([&](const rpc::Channel::Ptr& ch) {
      spawn([](Node* node, rpc::Channel::Ptr ch, std::vector<std::string> payloads,
               std::vector<std::string>* out) -> Task<void> {
        gen::Echo::Stub stub(ch);
        for (const auto& payload : payloads) {
          EchoMsg req;
          req.set_payload(payload);
          auto reply = co_await stub.Echo(req);
          out->push_back(reply ? reply->payload()
                               : "error " + std::string(errcName(reply.error().code)) + ": " + reply.error().message);
        }
        node->drain();
      }(node.get(), ch, payloads, &out));
    });
    return out;
  }
};

TEST_F(Limits, ARunawayHandlerIsStoppedAndTheVmServesAfterwards) {
  write("echo.lua", kEcho);
  auto c = config();
  c.limits.instructions = 1'000'000;
  ASSERT_TRUE(start(c).ok());
  uint64_t stopped = LuaMetrics::get().failed_instructions.value();
  auto replies = echo({"spin", "a", "spin-and-catch", "b"});
  EXPECT_EQ(LuaMetrics::get().failed_instructions.value() - stopped, 2u) << "counted";
  ASSERT_EQ(replies.size(), 4u);
  EXPECT_EQ(replies[0], "error internal: Echo.Echo was stopped by lua.instruction_limit");
  EXPECT_EQ(replies[1], "lua:a");
  EXPECT_EQ(replies[2], "error internal: Echo.Echo was stopped by lua.instruction_limit") << "pcall cannot catch it";
  EXPECT_EQ(replies[3], "lua:b");
}

TEST_F(Limits, AMemoryBombFailsItsCallAndTheVmServesAfterwards) {
  write("echo.lua", kEcho);
  auto c = config();
  c.limits.memory = 8 << 20;
  c.limits.instructions = 100'000'000;
  ASSERT_TRUE(start(c).ok());
  uint64_t stopped = LuaMetrics::get().failed_memory.value();
  auto replies = echo({"bomb", "a", "huge", "b", "bomb", "c"});
  EXPECT_EQ(LuaMetrics::get().failed_memory.value() - stopped, 3u) << "counted";
  ASSERT_EQ(replies.size(), 6u);
  EXPECT_EQ(replies[0], "error internal: Echo.Echo ran out of memory (lua.memory_limit)");
  EXPECT_EQ(replies[1], "lua:a");
  EXPECT_EQ(replies[2], "error internal: Echo.Echo ran out of memory (lua.memory_limit)");
  EXPECT_EQ(replies[3], "lua:b");
  EXPECT_EQ(replies[4], "error internal: Echo.Echo ran out of memory (lua.memory_limit)");
  EXPECT_EQ(replies[5], "lua:c");
  EXPECT_LT(host->vm().memoryUsed(), size_t{4} << 20) << "the bombs' garbage was collected";
}

TEST_F(Limits, ScriptErrorsBecomeErrorRepliesTypedOnesKeepTheirCode) {
  write("echo.lua", kEcho);
  ASSERT_TRUE(start().ok());
  auto replies = echo({"fail", "typed", "x"});
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(replies[0], "error internal: Echo.Echo failed on the serving node (a Lua error; see its log)");
  EXPECT_EQ(replies[1], "error not_found: no such thing");
  EXPECT_EQ(replies[2], "lua:x");
}

}  // namespace
}  // namespace polis::lua
