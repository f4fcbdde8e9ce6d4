// db.* settings: defaults, and a bad value named by its key.
#include "db/db_config.h"

#include <gtest/gtest.h>

#include <map>

namespace polis::db {
namespace {

struct Read {
  DbConfig config;
  std::string problems;  // "" when clean
};

Read read(std::string_view yaml) {
  auto reader = ConfigReader::fromString(yaml, Environment(std::map<std::string, std::string>{}), "db.yaml");
  EXPECT_TRUE(reader.ok()) << reader.error().describe();
  Read out{readDbConfig(*reader), ""};
  if (auto done = reader->finish(); !done) out.problems = done.error().message;
  return out;
}

TEST(DbConfig, Defaults) {
  auto r = read("{}");
  EXPECT_EQ(r.problems, "");
  EXPECT_EQ(r.config.mysql.port, 3306);
  EXPECT_EQ(r.config.mysql.workers, 4u);
  EXPECT_TRUE(r.config.mysql.replicas.empty());
  EXPECT_EQ(r.config.mysql.replica_workers, 2u);
  EXPECT_EQ(r.config.redis.shards, std::vector<std::string>{"127.0.0.1:6379"});
  EXPECT_EQ(r.config.flush.interval, std::chrono::milliseconds(500));
  EXPECT_EQ(r.config.flush.batch, 500u);
  EXPECT_EQ(r.config.max_player_bytes, 1u << 20);
  EXPECT_EQ(r.config.max_document_bytes, 64u << 10);
}

TEST(DbConfig, ValuesAreRead) {
  auto r = read("db:\n  redis: {shards: ['127.0.0.1:7001', '127.0.0.1:7002']}\n  flush: {interval: 200ms}\n"
                "  documents: {max_bytes: 1024}\n  mysql: {database: game_1}\n");
  EXPECT_EQ(r.problems, "");
  EXPECT_EQ(r.config.redis.shards.size(), 2u);
  EXPECT_EQ(r.config.flush.interval, std::chrono::milliseconds(200));
  EXPECT_EQ(r.config.max_document_bytes, 1024u);
  EXPECT_EQ(r.config.mysql.database, "game_1");
}

TEST(DbConfig, ReplicasAreReadAsEndpoints) {
  auto r = read("db:\n  mysql: {replicas: ['127.0.0.1:3307', 'replica-2.db:3306'], replica_workers: 3}\n");
  EXPECT_EQ(r.problems, "");
  ASSERT_EQ(r.config.mysql.replicas.size(), 2u);
  EXPECT_EQ(r.config.mysql.replicas[0].host, "127.0.0.1");
  EXPECT_EQ(r.config.mysql.replicas[0].port, 3307);
  EXPECT_EQ(r.config.mysql.replicas[1].host, "replica-2.db") << "a name, resolved like db.mysql.host";
  EXPECT_EQ(r.config.mysql.replica_workers, 3u);
}

TEST(DbConfig, ABadReplicaIsNamedWithTheEntry) {
  for (const char* yaml : {"db: {mysql: {replicas: ['127.0.0.1']}}", "db: {mysql: {replicas: ['127.0.0.1:0']}}",
                           "db: {mysql: {replicas: [':3307']}}", "db: {mysql: {replicas: ['127.0.0.1:99999']}}",
                           "db: {mysql: {replicas: ['127.0.0.1:3307', '127.0.0.1:3307']}}",
                           "db: {mysql: {port: 3310, replicas: ['127.0.0.1:3310']}}"}) {
    auto r = read(yaml);
    EXPECT_EQ(r.problems.find("db.mysql.replicas"), 0u) << yaml << " gave: " << r.problems;
    EXPECT_NE(r.problems.find("got \""), std::string::npos) << "the entry is quoted: " << r.problems;
  }
  EXPECT_NE(read("db: {mysql: {replicas: ['127.0.0.1:3307', '127.0.0.1:3307']}}").problems.find("twice"),
            std::string::npos);
  EXPECT_NE(read("db: {mysql: {replica_workers: 0}}").problems.find("db.mysql.replica_workers"), std::string::npos);
}

TEST(DbConfig, ABadValueNamesItsKey) {
  struct Case {
    const char* yaml;
    const char* key;
  };
  for (const Case& c : {Case{"db: {flush: {interval: 2s}}", "db.flush.interval"},
                        Case{"db: {documents: {max_bytes: 2000000}}", "db.documents.max_bytes"},
                        Case{"db: {players: {max_bytes: 0}}", "db.players.max_bytes"},
                        Case{"db: {redis: {shards: ['redis.local:6379']}}", "db.redis.shards"},
                        Case{"db: {redis: {shards: []}}", "db.redis.shards"},
                        Case{"db: {mysql: {database: 'x; DROP'}}", "db.mysql.database"},
                        Case{"db: {mysql: {port: 0}}", "db.mysql.port"}}) {
    auto r = read(c.yaml);
    EXPECT_NE(r.problems.find(c.key), std::string::npos) << c.yaml << " gave: " << r.problems;
  }
}

}  // namespace
}  // namespace polis::db
