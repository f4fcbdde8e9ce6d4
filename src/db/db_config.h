// The db role's own settings (db.*), read from the node's config file.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/config.h"
#include "net/endpoint.h"

namespace polis::db {

struct MysqlConfig {
  std::string host = "127.0.0.1";  // numeric, or a name the system resolves (read on worker threads only)
  uint16_t port = 3306;
  std::string user = "root";
  std::string password;
  std::string database = "polis";
  size_t workers = 4;                                  // threads, each with its own connection
  size_t max_queue = 10000;                            // jobs waiting for a worker before new ones are refused
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds startup_timeout{30000};    // how long start-up waits for MariaDB to answer
  std::chrono::milliseconds reconnect_max{5000};       // cap of the reconnect backoff
  // Read replicas (same user, password and database): stale-tolerant reads
  // only, each through its own pool of replica_workers (ReplicaReads).
  std::vector<net::Endpoint> replicas;
  size_t replica_workers = 2;
};

struct RedisConfig {
  std::vector<std::string> shards = {"127.0.0.1:6379"};  // numeric host:port each; players placed by ShardRing
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds reconnect_max{2000};
};

struct WriteBehindConfig {
  std::chrono::milliseconds interval{500};  // dirty players reach MariaDB within about this (plus one batch)
  size_t batch = 500;                       // players per MariaDB statement
  size_t max_backlog = 100000;              // dirty players per shard before new ones are refused
};

struct LeaderboardConfig {
  std::chrono::milliseconds retention{24 * 3600 * 1000};  // an ended period stays in Redis this long after its end
};

struct DbConfig {
  MysqlConfig mysql;
  RedisConfig redis;
  WriteBehindConfig flush;
  size_t max_player_bytes = 1u << 20;
  size_t max_document_bytes = 64u << 10;
  LeaderboardConfig leaderboards;
};

DbConfig readDbConfig(ConfigReader& reader);

}  // namespace polis::db
