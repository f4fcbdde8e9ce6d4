#include "base/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

namespace polis {
namespace {

using namespace std::chrono_literals;
using Env = std::map<std::string, std::string>;

Environment envFrom(Env env) { return Environment(std::move(env)); }

ConfigReader load(std::string_view yaml, Env env = {}) {
  auto reader = ConfigReader::fromString(yaml, envFrom(std::move(env)), "config.yaml");
  EXPECT_TRUE(reader.ok()) << reader.error().describe();
  return std::move(reader).value();
}

// finish()'s message, or "" when the config is clean.
std::string problems(const ConfigReader& config) {
  auto result = config.finish();
  if (result.ok()) return "";
  EXPECT_EQ(result.error().code, Errc::kInvalidArgument);
  return result.error().message;
}

TEST(Config, EnvNameMapping) {
  EXPECT_EQ(ConfigReader::envName("node.ops_port"), "POLIS_NODE__OPS_PORT");
  EXPECT_EQ(ConfigReader::envName("redis.max-conns"), "POLIS_REDIS__MAX_CONNS");
}

TEST(Config, StringsAndDefaults) {
  auto config = load("node:\n  name: lobby-1\n  tags: [a, b]\n");
  EXPECT_EQ(config.str("node.name", "x"), "lobby-1");
  EXPECT_EQ(config.str("node.missing", "dflt"), "dflt");
  EXPECT_EQ(config.str("node.tags", "dflt"), "dflt");
  EXPECT_EQ(problems(config), "node.tags (from config.yaml:3): expected a string, got a list");
}

TEST(Config, RequiredString) {
  auto config = load("node:\n  name: lobby-1\n  empty: \"\"\n");
  EXPECT_EQ(config.requiredStr("node.name"), "lobby-1");
  EXPECT_EQ(config.requiredStr("node.id"), "");
  EXPECT_EQ(config.requiredStr("node.empty"), "");
  EXPECT_EQ(problems(config),
            "node.id: required but not set (set it in config.yaml or env POLIS_NODE__ID)\n"
            "node.empty (from config.yaml:3): expected a non-empty string, got \"\"");
}

TEST(Config, IntegerGoodAndBad) {
  auto config = load("a: 42\nb: -7\nc: abc\nd: 300\ne: 1.5\n");
  EXPECT_EQ(config.integer("a", 0), 42);
  EXPECT_EQ(config.integer("b", 0, -10, 10), -7);
  EXPECT_EQ(config.integer("c", 5), 5);
  EXPECT_EQ(config.integer("d", 6, 0, 255), 6);
  EXPECT_EQ(config.integer("e", 7, 1), 7);
  EXPECT_EQ(problems(config),
            "c (from config.yaml:3): expected an integer, got \"abc\"\n"
            "d (from config.yaml:4): expected an integer 0..255, got \"300\"\n"
            "e (from config.yaml:5): expected an integer >= 1, got \"1.5\"");
}

TEST(Config, PortFromFileAndBadPortFromEnvNamesTheVariable) {
  auto good = load("node:\n  ops_port: 9100\n");
  EXPECT_EQ(good.port("node.ops_port", 1), 9100);
  EXPECT_EQ(problems(good), "");

  auto bad = load("node:\n  ops_port: 9100\n", {{"POLIS_NODE__OPS_PORT", "abc"}});
  EXPECT_EQ(bad.port("node.ops_port", 1), 1);
  EXPECT_EQ(problems(bad),
            "node.ops_port (from env POLIS_NODE__OPS_PORT): expected an integer 0..65535, got \"abc\"");

  auto too_big = load("p: 70000\n");
  EXPECT_EQ(too_big.port("p", 2), 2);
  EXPECT_NE(problems(too_big).find("expected an integer 0..65535, got \"70000\""), std::string::npos);
}

TEST(Config, EnvOverrideWinsOverFile) {
  auto config = load("node:\n  ops_port: 9100\n  name: file\n",
                     {{"POLIS_NODE__OPS_PORT", " 9200 "}, {"POLIS_NODE__NAME", "env"}});
  EXPECT_EQ(config.port("node.ops_port", 1), 9200);
  EXPECT_EQ(config.str("node.name", ""), "env");
  EXPECT_EQ(problems(config), "");
}

TEST(Config, EnvSetsKeysAbsentFromTheFile) {
  auto config = load("", {{"POLIS_REDIS__HOST", "10.0.0.5"}});
  EXPECT_TRUE(config.has("redis.host"));
  EXPECT_FALSE(config.has("redis.port"));
  EXPECT_EQ(config.str("redis.host", "localhost"), "10.0.0.5");
}

TEST(Config, Boolean) {
  auto config = load("a: true\nb: no\nc: On\nd: maybe\n");
  EXPECT_TRUE(config.boolean("a", false));
  EXPECT_FALSE(config.boolean("b", true));
  EXPECT_TRUE(config.boolean("c", false));
  EXPECT_TRUE(config.boolean("d", true));
  EXPECT_TRUE(config.boolean("missing", true));
  EXPECT_EQ(problems(config), "d (from config.yaml:4): expected true or false, got \"maybe\"");
}

TEST(Config, Number) {
  auto config = load("a: 0.75\nb: 1e3\nc: fast\nd: 2.5\n");
  EXPECT_DOUBLE_EQ(config.number("a", 0), 0.75);
  EXPECT_DOUBLE_EQ(config.number("b", 0), 1000);
  EXPECT_DOUBLE_EQ(config.number("c", 9), 9);
  EXPECT_DOUBLE_EQ(config.number("d", 9, 0, 1), 9);
  EXPECT_EQ(problems(config),
            "c (from config.yaml:3): expected a number, got \"fast\"\n"
            "d (from config.yaml:4): expected a number 0..1, got \"2.5\"");
}

TEST(Config, Millis) {
  auto config = load("a: 250ms\nb: 5s\nc: 2m\nd: 1500\ne: 1.5s\nf: 5 parsecs\ng: 2h\n");
  EXPECT_EQ(config.millis("a", 1ms), 250ms);
  EXPECT_EQ(config.millis("b", 1ms), 5s);
  EXPECT_EQ(config.millis("c", 1ms), 2min);
  EXPECT_EQ(config.millis("d", 1ms), 1500ms);
  EXPECT_EQ(config.millis("e", 1ms), 1500ms);
  EXPECT_EQ(config.millis("f", 1ms), 1ms);
  EXPECT_EQ(config.millis("g", 1ms, 10ms, 60s), 1ms);
  EXPECT_EQ(problems(config),
            "f (from config.yaml:6): expected a duration (e.g. 250ms, 5s, 2m) >= 0ms, got \"5 parsecs\"\n"
            "g (from config.yaml:7): expected a duration (e.g. 250ms, 5s, 2m) 10ms..60000ms, got \"2h\"");
}

TEST(Config, StringListFromFileAndEnv) {
  auto config = load("peers: [a:1, b:2]\nsingle: a\nnested: [[x]]\n",
                     {{"POLIS_ROLES", "lobby, world,,db"}});
  EXPECT_EQ(config.strList("peers", {}), (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_EQ(config.strList("roles", {}), (std::vector<std::string>{"lobby", "world", "db"}));
  EXPECT_EQ(config.strList("missing", {"d"}), (std::vector<std::string>{"d"}));
  EXPECT_EQ(config.strList("single", {"d"}), (std::vector<std::string>{"d"}));
  EXPECT_EQ(config.strList("nested", {"d"}), (std::vector<std::string>{"d"}));
  EXPECT_EQ(problems(config),
            "single (from config.yaml:2): expected a list of strings, got \"a\"\n"
            "nested (from config.yaml:3): expected a list of strings, got a list with non-scalar items");
}

TEST(Config, OneOf) {
  auto config = load("mode: json\nbad: xml\n");
  EXPECT_EQ(config.oneOf("mode", "auto", {"auto", "human", "json"}), "json");
  EXPECT_EQ(config.oneOf("bad", "auto", {"auto", "human", "json"}), "auto");
  EXPECT_EQ(config.oneOf("missing", "auto", {"auto", "human", "json"}), "auto");
  EXPECT_EQ(problems(config), "bad (from config.yaml:2): expected one of auto, human, json, got \"xml\"");
}

TEST(Config, UnknownKeysAreReportedUnlessAllowed) {
  auto config = load("node:\n  port: 1\n  prot: 2\nextra:\n  anything: 3\n  more: [1]\n");
  EXPECT_EQ(config.integer("node.port", 0), 1);
  EXPECT_EQ(problems(config),
            "unknown key node.prot (in config.yaml:3) — check the spelling\n"
            "unknown key extra.anything (in config.yaml:5) — check the spelling\n"
            "unknown key extra.more (in config.yaml:6) — check the spelling");
  config.allowUnknownUnder("extra");
  EXPECT_EQ(problems(config), "unknown key node.prot (in config.yaml:3) — check the spelling");
}

TEST(Config, ReadingASectionAsAValueIsReported) {
  auto config = load("node:\n  port: 1\n");
  EXPECT_EQ(config.str("node", "d"), "d");
  EXPECT_EQ(problems(config), "node (from config.yaml:2): expected a string, got a mapping");
}

TEST(Config, EveryProblemIsReportedOnce) {
  auto config = load("a: x\nb: y\n", {{"POLIS_C", "z"}});
  config.integer("a", 0);
  config.integer("a", 0);
  config.boolean("b", false);
  config.port("c", 0);
  std::string text = problems(config);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
}

TEST(Config, YamlSyntaxErrorNamesFileAndLine) {
  auto result = ConfigReader::fromString("a: 1\nb: [1, 2\nc: 3\n", envFrom({}), "lobby.yaml");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::kInvalidArgument);
  EXPECT_TRUE(result.error().message.starts_with("lobby.yaml:3:")) << result.error().message;
  EXPECT_NE(result.error().message.find("invalid YAML"), std::string::npos);
}

TEST(Config, StructuralErrors) {
  auto list = ConfigReader::fromString("- a\n- b\n", envFrom({}), "c.yaml");
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.error().message, "c.yaml: expected a mapping of keys at the top level");
  auto dup = ConfigReader::fromString("a: 1\na: 2\n", envFrom({}), "c.yaml");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().message, "c.yaml:2: duplicate key a");
  auto dotted = ConfigReader::fromString("node.port: 1\n", envFrom({}), "c.yaml");
  ASSERT_FALSE(dotted.ok());
  EXPECT_NE(dotted.error().message.find("without dots"), std::string::npos);
}

TEST(Config, FromFile) {
  auto dir = std::filesystem::temp_directory_path();
  auto path = (dir / ("polis_config_test_" + std::to_string(getpid()) + ".yaml")).string();
  std::ofstream(path) << "node:\n  name: from-file\n";
  auto config = ConfigReader::fromFile(path, envFrom({}));
  ASSERT_TRUE(config.ok()) << config.error().describe();
  EXPECT_EQ(config->str("node.name", ""), "from-file");

  std::ofstream(path) << "node: [\n";
  auto broken = ConfigReader::fromFile(path, envFrom({}));
  ASSERT_FALSE(broken.ok());
  EXPECT_TRUE(broken.error().message.starts_with(path + ":")) << broken.error().message;
  std::filesystem::remove(path);

  auto missing = ConfigReader::fromFile(path, envFrom({}));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find(path), std::string::npos);
  EXPECT_NE(missing.error().message.find("No such file"), std::string::npos);
}

// A misspelt override is refused like a misspelt file key, naming the variable.
TEST(Config, UnknownPolisVariablesAreRefused) {
  auto config = load("node:\n  name: a\n",
                     {{"POLIS_NODE__OPS_PROT", "9"}, {"POLIS_NODE__NAME", "b"}, {"POLIS_BUILD_DIR", "/tmp/b"},
                      {"HOME", "/root"}});
  EXPECT_EQ(config.str("node.name", "x"), "b");
  (void)config.port("node.ops_port", 0);
  std::string text = problems(config);
  EXPECT_NE(text.find("unknown environment variable POLIS_NODE__OPS_PROT"), std::string::npos) << text;
  EXPECT_EQ(text.find("POLIS_NODE__NAME"), std::string::npos) << "a variable that was read is fine: " << text;
  EXPECT_EQ(text.find("POLIS_BUILD_DIR"), std::string::npos) << "not a config variable: " << text;
  EXPECT_EQ(text.find("HOME"), std::string::npos);
}

TEST(Config, SingleUnderscoreAfterASectionIsCalledOut) {
  auto config = load("", {{"POLIS_NODE_OPS_PORT", "9"}});
  (void)config.port("node.ops_port", 0);
  std::string text = problems(config);
  EXPECT_NE(text.find("POLIS_NODE_OPS_PORT"), std::string::npos) << text;
  EXPECT_NE(text.find("POLIS_NODE__OPS_PORT"), std::string::npos) << "the message shows the right spelling: " << text;
}

TEST(Config, VariablesUnderAFreeFormSectionAreAccepted) {
  auto config = load("", {{"POLIS_PLUGINS__CHAT__ROOMS", "4"}});
  config.allowUnknownUnder("plugins");
  EXPECT_EQ(problems(config), "");
}

}  // namespace
}  // namespace polis
