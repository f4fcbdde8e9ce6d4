#include "db/db_config.h"

#include <algorithm>

#include "net/endpoint.h"

namespace polis::db {
namespace {

// db.mysql.replicas: host:port each (a name is resolved on the workers, as
// db.mysql.host is), none twice, none the primary itself.
std::vector<net::Endpoint> readReplicas(ConfigReader& r, const std::string& primary) {
  constexpr const char* kKey = "db.mysql.replicas";
  std::vector<net::Endpoint> replicas;
  std::vector<std::string> seen;
  for (const auto& text : r.strList(kKey, {})) {
    auto e = net::parseEndpoint(text);
    if (!e) {
      r.reject(kKey, "a list of host:port (port 1..65535)", "\"" + text + "\"");
    } else if (std::find(seen.begin(), seen.end(), text) != seen.end()) {
      r.reject(kKey, "each replica once", "\"" + text + "\" twice");
    } else if (text == primary) {
      r.reject(kKey, "read replicas, not the primary", "\"" + text + "\" (db.mysql.host:port)");
    } else {
      replicas.push_back(*e);
    }
    seen.push_back(text);
  }
  return replicas;
}

}  // namespace

DbConfig readDbConfig(ConfigReader& r) {
  using std::chrono::milliseconds;
  DbConfig c;
  MysqlConfig& m = c.mysql;
  m.host = r.str("db.mysql.host", m.host);
  m.port = r.port("db.mysql.port", m.port);
  if (m.port == 0) r.reject("db.mysql.port", "a port 1..65535", "0");
  m.user = r.str("db.mysql.user", m.user);
  m.password = r.str("db.mysql.password", "");
  m.database = r.str("db.mysql.database", m.database);
  bool plain_name = !m.database.empty() && m.database.size() <= 64 &&
                    m.database.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
                        std::string::npos;
  if (!plain_name) r.reject("db.mysql.database", "1..64 letters, digits or '_'", "\"" + m.database + "\"");
  m.workers = static_cast<size_t>(r.integer("db.mysql.workers", 4, 1, 64));
  m.max_queue = static_cast<size_t>(r.integer("db.mysql.max_queue", 10000, 1, 10000000));
  m.connect_timeout = r.millis("db.mysql.connect_timeout", milliseconds(2000), milliseconds(100), milliseconds(60000));
  m.startup_timeout = r.millis("db.mysql.startup_timeout", milliseconds(30000), milliseconds(0), milliseconds(600000));
  m.reconnect_max = r.millis("db.mysql.reconnect_max", milliseconds(5000), milliseconds(50), milliseconds(60000));
  m.replicas = readReplicas(r, m.host + ":" + std::to_string(m.port));
  m.replica_workers = static_cast<size_t>(r.integer("db.mysql.replica_workers", 2, 1, 64));
  RedisConfig& redis = c.redis;
  redis.shards = r.strList("db.redis.shards", redis.shards);
  if (redis.shards.empty()) r.reject("db.redis.shards", "a non-empty list of numeric host:port", "an empty list");
  for (const auto& shard : redis.shards) {
    auto e = net::parseEndpoint(shard);
    if (!e || !net::numericAddress(e->host, e->port)) {
      r.reject("db.redis.shards", "a list of numeric host:port", "\"" + shard + "\"");
    }
  }
  redis.connect_timeout = r.millis("db.redis.connect_timeout", milliseconds(1000), milliseconds(50), milliseconds(60000));
  redis.reconnect_max = r.millis("db.redis.reconnect_max", milliseconds(2000), milliseconds(50), milliseconds(60000));
  c.flush.interval = r.millis("db.flush.interval", milliseconds(500), milliseconds(10), milliseconds(1000));
  c.flush.batch = static_cast<size_t>(r.integer("db.flush.batch", 500, 1, 5000));
  c.flush.max_backlog = static_cast<size_t>(r.integer("db.flush.max_backlog", 100000, 1, 100000000));
  c.max_player_bytes = static_cast<size_t>(r.integer("db.players.max_bytes", 1 << 20, 1, 16 << 20));
  c.max_document_bytes = static_cast<size_t>(r.integer("db.documents.max_bytes", 64 << 10, 1, 1 << 20));
  c.leaderboards.retention = r.millis("db.leaderboards.retention", milliseconds(24 * 3600 * 1000), milliseconds(1000),
                                      milliseconds(int64_t{90} * 24 * 3600 * 1000));
  return c;
}

}  // namespace polis::db
