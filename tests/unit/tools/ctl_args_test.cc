// polis-ctl's command line: what each command sends, and every refusal.
#include "ctl_args.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace polis::ctl {
namespace {

const char* kSecret = "ctl-test-secret-0123456";

Result<Request> parse(std::vector<std::string> args, const char* centers = nullptr, const char* secret = kSecret) {
  return parseArgs(args, centers, secret);
}

TEST(CtlArgs, EachCommandSendsWhatItSays) {
  auto members = parse({"members"});
  ASSERT_TRUE(members.ok());
  EXPECT_TRUE(members->members);
  EXPECT_EQ(members->center, "127.0.0.1:17000");
  EXPECT_EQ(members->secret, kSecret);

  auto reload = parse({"reload", "lua", "--role", "lobby"}, "10.0.0.5:17000,10.0.0.6:17000");
  ASSERT_TRUE(reload.ok());
  EXPECT_EQ(reload->center, "10.0.0.5:17000");
  EXPECT_EQ(reload->fanout.run().name(), "reload");
  EXPECT_EQ(reload->fanout.run().args().at("what"), "lua");
  EXPECT_EQ(reload->fanout.target().role(), "lobby");

  auto run = parse({"--timeout", "30", "run", "guestbook.trim", "keep=3", "why=a=b", "--node", "micro-1"});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->fanout.run().name(), "guestbook.trim");
  EXPECT_EQ(run->fanout.run().args().at("keep"), "3");
  EXPECT_EQ(run->fanout.run().args().at("why"), "a=b");
  EXPECT_EQ(run->fanout.target().node(), "micro-1");
  EXPECT_EQ(run->fanout.timeout_ms(), 30000u);

  auto commands = parse({"commands"});
  ASSERT_TRUE(commands.ok());
  EXPECT_TRUE(commands->fanout.has_list());
  EXPECT_TRUE(commands->fanout.target().all()) << "the default target is every node";

  auto drain = parse({"drain", "--node", "lobby-2"});
  ASSERT_TRUE(drain.ok());
  EXPECT_EQ(drain->fanout.run().name(), "drain");
}

TEST(CtlArgs, BadCommandLinesAreRefusedWithAReason) {
  auto why = [](Result<Request> r) { return r.ok() ? std::string("accepted") : r.error().message; };
  EXPECT_NE(why(parse({"members"}, nullptr, nullptr)).find("no cluster secret"), std::string::npos);
  EXPECT_NE(why(parse({"members"}, nullptr, "")).find("no cluster secret"), std::string::npos);
  EXPECT_NE(why(parse({})).find("no command"), std::string::npos);
  EXPECT_NE(why(parse({"drain"})).find("needs --node or --role"), std::string::npos);
  EXPECT_NE(why(parse({"drain", "--all"})).find("needs --node or --role"), std::string::npos);
  EXPECT_NE(why(parse({"run", "x", "novalue"})).find("name=value"), std::string::npos);
  EXPECT_NE(why(parse({"run", "x", "=v"})).find("name=value"), std::string::npos);
  EXPECT_NE(why(parse({"frobnicate"})).find("unknown command"), std::string::npos);
  EXPECT_NE(why(parse({"members", "--bogus"})).find("unknown option --bogus"), std::string::npos);
  EXPECT_NE(why(parse({"members", "--center"})).find("needs a value"), std::string::npos);
  EXPECT_NE(why(parse({"members", "--center", "nohost"})).find("host:port"), std::string::npos);
  EXPECT_NE(why(parse({"--timeout", "0", "members"})).find("1–600"), std::string::npos);
  EXPECT_NE(why(parse({"--timeout", "x", "members"})).find("whole seconds"), std::string::npos);
  EXPECT_NE(why(parse({"--secret-file", "/nonexistent/secret", "members"})).find("cannot read"), std::string::npos);
}

TEST(CtlArgs, TheSecretFileWinsOverTheEnvironment) {
  std::string path = ::testing::TempDir() + "/ctl-secret";
  std::ofstream(path) << "from-the-file-0123456789\n";
  auto r = parse({"--secret-file", path, "members"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->secret, "from-the-file-0123456789") << "the trailing newline is not part of the secret";
  std::remove(path.c_str());
}

}  // namespace
}  // namespace polis::ctl
