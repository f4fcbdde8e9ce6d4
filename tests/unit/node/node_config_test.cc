#include "node/node_config.h"

#include <gtest/gtest.h>

#include <map>

namespace polis {
namespace {

Environment envOf(std::map<std::string, std::string> vars) { return Environment(std::move(vars)); }

std::string problems(const std::string& yaml, std::map<std::string, std::string> env = {}, bool centers = true) {
  auto reader = ConfigReader::fromString(yaml, envOf(env), "node.yaml");
  EXPECT_TRUE(reader.ok());
  readNodeConfig(*reader, "lobby", centers);
  auto ok = reader->finish();
  return ok ? std::string() : ok.error().message;
}

TEST(NodeConfig, ReadsEveryKeyWithDefaults) {
  auto reader = ConfigReader::fromString(
      "node: {name: lobby-7, rpc_port: 7001}\n"
      "cluster: {secret: 0123456789abcdef, centers: ['127.0.0.1:7000', '127.0.0.2:7000'], heartbeat: 250ms}\n",
      envOf({{"POLIS_NODE__OPS_PORT", "7101"}}), "node.yaml");
  ASSERT_TRUE(reader.ok());
  NodeConfig c = readNodeConfig(*reader, "lobby", true);
  ASSERT_TRUE(reader->finish().ok());
  EXPECT_EQ(c.name, "lobby-7");
  EXPECT_EQ(c.rpc_port, 7001);
  EXPECT_EQ(c.ops_port, 7101);
  ASSERT_EQ(c.centers.size(), 2u);
  EXPECT_EQ(c.centers[1].str(), "127.0.0.2:7000");
  EXPECT_EQ(c.heartbeat, std::chrono::milliseconds(250));
  EXPECT_EQ(c.rpc_timeout, std::chrono::milliseconds(5000));
}

TEST(NodeConfig, MissingSecretAndCentersAreNamed) {
  auto msg = problems("node: {name: x}\n");
  EXPECT_NE(msg.find("cluster.secret"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cluster.centers"), std::string::npos) << msg;
}

TEST(NodeConfig, CenterRoleNeedsNoCenters) {
  EXPECT_EQ(problems("cluster: {secret: 0123456789abcdef}\n", {}, false), "");
}

TEST(NodeConfig, ShortSecretAndBadEndpointAreRejected) {
  auto msg = problems("cluster: {secret: short, centers: ['nohost', '127.0.0.1:99999']}\n");
  EXPECT_NE(msg.find("cluster.secret"), std::string::npos) << msg;
  EXPECT_NE(msg.find("at least 16 characters"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cluster.centers"), std::string::npos) << msg;
}

TEST(NodeConfig, BadEnvValueNamesTheVariable) {
  auto msg = problems("cluster: {secret: 0123456789abcdef, centers: ['127.0.0.1:1']}\n",
                      {{"POLIS_NODE__RPC_PORT", "http"}});
  EXPECT_NE(msg.find("POLIS_NODE__RPC_PORT"), std::string::npos) << msg;
}

}  // namespace
}  // namespace polis
