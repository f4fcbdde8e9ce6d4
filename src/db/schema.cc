#include "db/schema.h"

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <memory>

#include "base/log.h"
#include "db/mysql_session.h"

namespace polis::db {
namespace {

// Ids are assigned by the data service (player ids are BIGINT UNSIGNED from
// the accounts' AUTO_INCREMENT); blobs are protobuf; times are Unix ms.
const std::vector<Migration> kMigrations = {
    {1, "the schema's own table and accounts",
     {"CREATE TABLE IF NOT EXISTS polis_schema ("
      " version INT NOT NULL PRIMARY KEY,"
      " description VARCHAR(255) NOT NULL,"
      " applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP"
      ") ENGINE=InnoDB",
      "CREATE TABLE IF NOT EXISTS accounts ("
      " account_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
      " name VARBINARY(255) NOT NULL,"
      " name_folded VARBINARY(255) NOT NULL,"
      " password_hash VARBINARY(1024) NOT NULL DEFAULT '',"
      " banned_until BIGINT NOT NULL DEFAULT 0,"
      " ban_reason VARBINARY(1024) NOT NULL DEFAULT '',"
      " created_at BIGINT NOT NULL,"
      " UNIQUE KEY name_folded (name_folded)"
      ") ENGINE=InnoDB"}},
    {2, "players",
     {"CREATE TABLE IF NOT EXISTS players ("
      " player_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,"
      " account_id BIGINT UNSIGNED NOT NULL,"
      " version BIGINT UNSIGNED NOT NULL,"
      " data LONGBLOB NOT NULL,"
      " updated_at BIGINT NOT NULL,"
      " KEY account_id (account_id)"
      ") ENGINE=InnoDB"}},
    {3, "documents (and a leaderboard placeholder that version 5 replaces)",
     {"CREATE TABLE IF NOT EXISTS documents ("
      " scope TINYINT UNSIGNED NOT NULL,"
      " owner BIGINT UNSIGNED NOT NULL,"
      " doc_key VARBINARY(255) NOT NULL,"
      " version BIGINT UNSIGNED NOT NULL,"
      " value LONGBLOB NOT NULL,"
      " updated_at BIGINT NOT NULL,"
      " PRIMARY KEY (scope, owner, doc_key)"
      ") ENGINE=InnoDB",
      "CREATE TABLE IF NOT EXISTS leaderboard_scores ("
      " board VARBINARY(64) NOT NULL,"
      " player_id BIGINT UNSIGNED NOT NULL,"
      " score BIGINT NOT NULL,"
      " updated_at BIGINT NOT NULL,"
      " PRIMARY KEY (board, player_id),"
      " KEY board_score (board, score)"
      ") ENGINE=InnoDB"}},
    {4, "saves written straight to MariaDB while Redis was down, and what they superseded",
     {"CREATE TABLE IF NOT EXISTS players_written_through ("
      " player_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,"
      " written_at BIGINT NOT NULL"
      ") ENGINE=InnoDB",
      "CREATE TABLE IF NOT EXISTS players_superseded ("
      " id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
      " player_id BIGINT UNSIGNED NOT NULL,"
      " version BIGINT UNSIGNED NOT NULL,"
      " data LONGBLOB NOT NULL,"
      " superseded_at BIGINT NOT NULL,"
      " KEY player_id (player_id)"
      ") ENGINE=InnoDB"}},
    {5, "leaderboards: definitions, scores per period, write-throughs and what they superseded",
     {"CREATE TABLE IF NOT EXISTS leaderboards ("
      " board VARBINARY(64) NOT NULL PRIMARY KEY,"
      " policy TINYINT UNSIGNED NOT NULL,"
      " sort_order TINYINT UNSIGNED NOT NULL,"
      " reset_schedule TINYINT UNSIGNED NOT NULL,"
      " generation BIGINT UNSIGNED NOT NULL,"
      " created_at BIGINT NOT NULL,"
      " reset_at BIGINT NOT NULL"
      ") ENGINE=InnoDB",
      "CREATE TABLE IF NOT EXISTS leaderboard_entries ("
      " board VARBINARY(64) NOT NULL,"
      " generation BIGINT UNSIGNED NOT NULL,"
      " period BIGINT NOT NULL,"
      " player_id BIGINT UNSIGNED NOT NULL,"
      " score BIGINT NOT NULL,"
      " reached_at BIGINT NOT NULL,"
      " version BIGINT UNSIGNED NOT NULL,"
      " PRIMARY KEY (board, generation, period, player_id),"
      " KEY ranking (board, generation, period, score, reached_at, player_id)"
      ") ENGINE=InnoDB",
      "CREATE TABLE IF NOT EXISTS leaderboard_written_through ("
      " board VARBINARY(64) NOT NULL,"
      " generation BIGINT UNSIGNED NOT NULL,"
      " period BIGINT NOT NULL,"
      " player_id BIGINT UNSIGNED NOT NULL,"
      " written_at BIGINT NOT NULL,"
      " PRIMARY KEY (board, generation, period, player_id)"
      ") ENGINE=InnoDB",
      "CREATE TABLE IF NOT EXISTS leaderboard_superseded ("
      " id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
      " board VARBINARY(64) NOT NULL,"
      " generation BIGINT UNSIGNED NOT NULL,"
      " period BIGINT NOT NULL,"
      " player_id BIGINT UNSIGNED NOT NULL,"
      " version BIGINT UNSIGNED NOT NULL,"
      " score BIGINT NOT NULL,"
      " reached_at BIGINT NOT NULL,"
      " superseded_at BIGINT NOT NULL,"
      " KEY board_player (board, player_id)"
      ") ENGINE=InnoDB",
      // Version 3's placeholder, which no binary ever wrote: version 5's
      // tables replace it.
      "DROP TABLE IF EXISTS leaderboard_scores"}},
};

std::unique_ptr<sql::ResultSet> query(sql::Connection& conn, const std::string& text) {
  std::unique_ptr<sql::PreparedStatement> st(conn.prepareStatement(text));
  return std::unique_ptr<sql::ResultSet>(st->executeQuery());
}

void execute(sql::Connection& conn, const std::string& text) {
  std::unique_ptr<sql::PreparedStatement> st(conn.prepareStatement(text));
  st->execute();
}

int currentVersion(sql::Connection& conn) {
  auto tables = query(conn, "SELECT COUNT(*) FROM information_schema.tables"
                            " WHERE table_schema = DATABASE() AND table_name = 'polis_schema'");
  if (!tables->next() || tables->getInt(1) == 0) return 0;
  auto max = query(conn, "SELECT COALESCE(MAX(version), 0) FROM polis_schema");
  return max->next() ? max->getInt(1) : 0;
}

// Holds MariaDB's named lock for the schema while it lives.
class SchemaLock {
 public:
  explicit SchemaLock(sql::Connection& conn) : conn_(conn) {
    auto got = query(conn_, "SELECT GET_LOCK('polis_schema', 60)");
    held_ = got->next() && got->getInt(1) == 1;
  }
  ~SchemaLock() {
    if (!held_) return;
    try {
      query(conn_, "SELECT RELEASE_LOCK('polis_schema')");
    } catch (const sql::SQLException&) {
      // The lock goes with the connection anyway.
    }
  }
  bool held() const { return held_; }

 private:
  sql::Connection& conn_;
  bool held_ = false;
};

}  // namespace

const std::vector<Migration>& migrations() { return kMigrations; }
int latestSchemaVersion() { return kMigrations.back().version; }

Result<MigrationReport> migrate(sql::Connection& conn) {
  try {
    SchemaLock lock(conn);
    if (!lock.held()) return Error{Errc::kUnavailable, "another db node held the schema lock for 60 s"};
    MigrationReport report;
    report.from = report.to = currentVersion(conn);
    if (report.from > latestSchemaVersion()) {
      return Error{Errc::kInvalidArgument,
                   "the database is at schema version " + std::to_string(report.from) + ", newer than this binary knows (" +
                       std::to_string(latestSchemaVersion()) + "); refusing to start — run a polis-db at least as new "
                       "as the one that upgraded it"};
    }
    for (const Migration& m : kMigrations) {
      if (m.version <= report.to) continue;
      log::info("database schema: applying version {} ({})", m.version, m.description);
      for (const auto& statement : m.statements) execute(conn, statement);
      std::unique_ptr<sql::PreparedStatement> mark(
          conn.prepareStatement("INSERT IGNORE INTO polis_schema (version, description) VALUES (?, ?)"));
      mark->setInt(1, m.version);
      mark->setString(2, m.description);
      mark->execute();
      report.to = m.version;
    }
    return report;
  } catch (const sql::SQLException& e) {
    return mysqlError(e);
  }
}

}  // namespace polis::db
