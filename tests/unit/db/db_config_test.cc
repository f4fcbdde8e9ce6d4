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
