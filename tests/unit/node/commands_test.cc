// Operator commands: declared arguments are checked and typed before a
// handler runs; names are validated; an owner takes its commands with it.
#include "node/commands.h"

#include <gtest/gtest.h>

#include "support/loop_runner.h"

namespace polis {
namespace {

CommandSpec spec(const std::string& name, std::vector<std::tuple<std::string, CommandArg::Type, bool>> args = {}) {
  CommandSpec s;
  s.set_name(name);
  for (auto& [n, t, required] : args) {
    auto* a = s.add_args();
    a->set_name(n);
    a->set_type(t);
    a->set_required(required);
  }
  return s;
}

Result<std::string> runNow(Commands& commands, const std::string& name, std::map<std::string, std::string> args) {
  EventLoop loop;
  std::optional<Result<std::string>> out;
  spawn([](Commands& c, std::string name, std::map<std::string, std::string> args,
           std::optional<Result<std::string>>* out) -> Task<void> {
    auto running = c.run(name, std::move(args));
    out->emplace(co_await std::move(running));
  }(commands, name, std::move(args), &out));
  EXPECT_TRUE(testing::runUntil(loop, [&] { return out.has_value(); }));
  return out ? std::move(*out) : Result<std::string>(Error{Errc::kInternal, "no answer"});
}

TEST(Commands, ArgumentsAreCheckedAndTypedBeforeTheHandlerRuns) {
  Commands commands;
  std::optional<CommandArgs> seen;
  auto added = commands.add("plugin:guestbook",
                            spec("guestbook.trim", {{"keep", CommandArg::TYPE_INT, true},
                                                    {"ratio", CommandArg::TYPE_NUMBER, false},
                                                    {"dry", CommandArg::TYPE_BOOL, false},
                                                    {"why", CommandArg::TYPE_STRING, false}}),
                            [&](CommandArgs args) -> Task<Result<std::string>> {
                              seen = args;
                              co_return std::string("trimmed");
                            });
  ASSERT_TRUE(added.ok());
  auto ok = runNow(commands, "guestbook.trim", {{"keep", "-12"}, {"ratio", "0.5"}, {"dry", "yes"}, {"why", "a b"}});
  ASSERT_TRUE(ok.ok()) << ok.error().describe();
  EXPECT_EQ(*ok, "trimmed");
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->integer("keep"), -12);
  EXPECT_DOUBLE_EQ(seen->number("ratio"), 0.5);
  EXPECT_TRUE(seen->flag("dry"));
  EXPECT_EQ(seen->text("why"), "a b");

  seen.reset();
  for (auto [args, needle] : std::vector<std::pair<std::map<std::string, std::string>, std::string>>{
           {{}, "needs the argument keep"},
           {{{"keep", "12x"}}, "keep must be an integer"},
           {{{"keep", "1"}, {"ratio", "half"}}, "ratio must be a number"},
           {{{"keep", "1"}, {"dry", "maybe"}}, "dry must be true or false"},
           {{{"keep", "1"}, {"color", "red"}}, "has no argument \"color\""}}) {
    auto refused = runNow(commands, "guestbook.trim", args);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, Errc::kInvalidArgument);
    EXPECT_NE(refused.error().message.find(needle), std::string::npos) << refused.error().message;
  }
  EXPECT_FALSE(seen) << "a handler ran with bad arguments";
  EXPECT_EQ(runNow(commands, "nope", {}).error().code, Errc::kNotFound);
}

TEST(Commands, NamesAreValidatedAndOwnersTakeTheirCommandsAlong) {
  Commands commands;
  auto noop = [](CommandArgs) -> Task<Result<std::string>> { co_return std::string(); };
  EXPECT_FALSE(commands.add("x", spec("Bad Name"), noop).ok());
  EXPECT_FALSE(commands.add("x", spec(""), noop).ok());
  EXPECT_FALSE(commands.add("x", spec("ok", {{"Bad", CommandArg::TYPE_STRING, false}}), noop).ok());
  EXPECT_FALSE(commands.add("x", spec("ok", {{"a", CommandArg::TYPE_STRING, false}, {"a", CommandArg::TYPE_INT, false}}),
                            noop).ok());
  ASSERT_TRUE(commands.add("plugin:a", spec("a.one"), noop).ok());
  ASSERT_TRUE(commands.add("plugin:a", spec("a.two"), noop).ok());
  ASSERT_TRUE(commands.add("lua", spec("l.one"), noop).ok());
  auto taken = commands.add("lua", spec("a.one"), noop);
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().code, Errc::kAlreadyExists);
  EXPECT_NE(taken.error().message.find("plugin:a"), std::string::npos);
  EXPECT_EQ(commands.list().size(), 3u);
  commands.removeOwner("plugin:a");
  auto left = commands.list();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].name(), "l.one");
  EXPECT_EQ(left[0].owner(), "lua");
}

}  // namespace
}  // namespace polis
