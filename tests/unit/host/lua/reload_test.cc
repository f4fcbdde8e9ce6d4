// Reloads: all or nothing, errors named by file and line, module state kept.
#include "lua_fixture.h"

namespace polis::lua {
namespace {

const char kCounter[] = R"(
count = count or 0
polis.command{name = "inc", run = function() count = count + 1 return "v1 " .. count end}
)";

TEST_F(LuaFixture, AReloadKeepsModuleStateAndSwapsTheFunctions) {
  write("counter.lua", kCounter);
  ASSERT_TRUE(start().ok());
  EXPECT_EQ(command("inc"), "v1 1");
  EXPECT_EQ(command("inc"), "v1 2");
  write("counter.lua", R"(
count = count or 0
polis.command{name = "inc", run = function() count = count + 10 return "v2 " .. count end}
)");
  auto reloaded = host->reload();
  ASSERT_TRUE(reloaded.ok()) << reloaded.error().message;
  EXPECT_EQ(*reloaded, "loaded counter");
  EXPECT_EQ(command("inc"), "v2 12");
  EXPECT_EQ(*host->reload(), "no module changed");
}

TEST_F(LuaFixture, ASyntaxErrorKeepsTheOldCodeAndNamesFileAndLine) {
  write("counter.lua", kCounter);
  write("other.lua", "polis.command{name = 'other', run = function() return 'other v1' end}\n");
  ASSERT_TRUE(start().ok());
  EXPECT_EQ(command("inc"), "v1 1");
  write("other.lua", "polis.command{name = 'other', run = function() return 'other v2' end}\n");
  write("counter.lua", "count = count or 0\n\nlocal x = = 1\n");
  auto reloaded = host->reload();
  ASSERT_FALSE(reloaded.ok());
  EXPECT_NE(reloaded.error().message.find("counter.lua:3:"), std::string::npos) << reloaded.error().message;
  EXPECT_EQ(command("inc"), "v1 2") << "the old code and its state";
  EXPECT_EQ(command("other"), "other v1") << "a module that compiled is not loaded either";
}

TEST_F(LuaFixture, AnErrorWhileAModuleRunsChangesNothing) {
  write("counter.lua", kCounter);
  ASSERT_TRUE(start().ok());
  EXPECT_EQ(command("inc"), "v1 1");
  write("counter.lua", R"(
count = 1000
polis.command{name = "inc", run = function() return "v2" end}
local x = nil
x.boom = 1
)");
  auto reloaded = host->reload();
  ASSERT_FALSE(reloaded.ok());
  EXPECT_NE(reloaded.error().message.find("counter.lua:5: attempt to index a nil value"), std::string::npos)
      << reloaded.error().message;
  EXPECT_EQ(command("inc"), "v1 2") << "count = 1000 was not applied";
}

TEST_F(LuaFixture, AModuleThatDeclaresWhatTheNodeRefusesChangesNothing) {
  write("counter.lua", kCounter);
  ASSERT_TRUE(start().ok());
  write("counter.lua", "Echo = polis.service('polis.Echo')\nfunction Echo.Ech(call, req) end\n");
  auto typo = host->reload();
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.error().message, "counter.lua: polis.Echo has no method Ech");
  write("counter.lua", "polis.command{name = 'drain', run = function() end}\n");
  auto taken = host->reload();
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().message, "the command drain belongs to node");
  EXPECT_EQ(command("inc"), "v1 1");
}

TEST_F(LuaFixture, ARemovedModuleTakesItsCommandsAndLoadTimersWithIt) {
  write("counter.lua", kCounter);
  write("ticker.lua", "ticks = ticks or 0\ntimer.every(60, function() ticks = ticks + 1 end)\n");
  ASSERT_TRUE(start().ok());
  EXPECT_EQ(host->timers(), 1u);
  write("ticker.lua", "ticks = ticks or 0\ntimer.every(30, function() ticks = ticks + 1 end)\n");
  ASSERT_TRUE(host->reload().ok());
  EXPECT_EQ(host->timers(), 1u) << "the reloaded module's timer replaced the old one";
  remove("counter.lua");
  remove("ticker.lua");
  auto reloaded = host->reload();
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ(*reloaded, "removed counter, ticker");
  EXPECT_EQ(command("inc"), "error not_found: no command \"inc\" here");
  EXPECT_EQ(host->timers(), 0u);
}

TEST_F(LuaFixture, TimersRunAndSettingsAreRead) {
  write("ticker.lua", R"(
ticks = 0
timer.every(0.01, function() ticks = ticks + 1 end)
local once = timer.after(0.01, function() ticks = ticks + 100 end)
timer.cancel(once)
polis.command{name = "ticks", run = function() return ticks end}
polis.command{name = "greeting", run = function()
  return config.get("greeting") .. " " .. (config.get("times", 1) * 2) .. " " .. tostring(config.get("missing", true))
end}
)");
  auto c = config();
  c.settings = {{"greeting", "hello"}, {"times", "21"}};
  ASSERT_TRUE(start(c).ok());
  testing::runFor(node->loop(), std::chrono::milliseconds(100));
  int ticks = std::stoi(command("ticks"));
  EXPECT_GT(ticks, 3);
  EXPECT_LT(ticks, 100) << "the cancelled one-shot timer never ran";
  EXPECT_EQ(command("greeting"), "hello 42 true");
}

TEST_F(LuaFixture, WithWatchOnSavingAFileReloadsIt) {
  write("counter.lua", kCounter);
  auto c = config();
  c.watch = true;
  ASSERT_TRUE(start(c).ok());
  EXPECT_EQ(command("inc"), "v1 1");
  write("counter.lua", "count = count or 0\npolis.command{name = 'inc', run = function() return 'watched ' .. count end}\n");
  testing::runFor(node->loop(), std::chrono::milliseconds(400));  // the watch waits for 100 ms of quiet
  EXPECT_EQ(command("inc"), "watched 1");
}

TEST_F(LuaFixture, DrainHooksRunAndTheNodeWaitsForThem) {
  write("drain.lua", R"(
drained = drained or 0
polis.on_drain(function() drained = drained + 1 end)
polis.on_drain(function() drained = drained + 10 end)
polis.command{name = "drained", run = function() return drained end}
)");
  ASSERT_TRUE(start().ok());
  serve([&](const rpc::Channel::Ptr&) { node->drain(); });
  EXPECT_EQ(command("drained"), "11");
}

}  // namespace
}  // namespace polis::lua
