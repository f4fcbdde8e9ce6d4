#include "db/player_rows.h"

#include "db/sql.h"

namespace polis::db {
namespace {

void bindPlayer(sql::PreparedStatement& st, unsigned first, const Player& p) {
  st.setUInt64(first, p.player_id());
  st.setUInt64(first + 1, p.account_id());
  st.setUInt64(first + 2, p.version());
  st.setString(first + 3, p.data());
  st.setInt64(first + 4, p.updated_at_ms());
}

}  // namespace

Result<Player> insertPlayer(sql::Connection& conn, const Player& player) {
  auto st = prepare(conn, "INSERT INTO players (player_id, account_id, version, data, updated_at) VALUES (?, ?, ?, ?, ?)");
  bindPlayer(*st, 1, player);
  try {
    st->executeUpdate();
  } catch (const sql::SQLException& e) {
    if (e.getErrorCode() == 1062) {
      return Error{Errc::kAlreadyExists, "player " + std::to_string(player.player_id()) + " exists already"};
    }
    throw;
  }
  return player;
}

Result<Player> selectPlayer(sql::Connection& conn, uint64_t player_id) {
  auto st = prepare(conn, "SELECT account_id, version, data, updated_at FROM players WHERE player_id = ?");
  st->setUInt64(1, player_id);
  std::unique_ptr<sql::ResultSet> row(st->executeQuery());
  if (!row->next()) return Error{Errc::kNotFound, "no player " + std::to_string(player_id)};
  Player p;
  p.set_player_id(player_id);
  p.set_account_id(row->getUInt64(1));
  p.set_version(row->getUInt64(2));
  p.set_data(row->getString(3).asStdString());
  p.set_updated_at_ms(row->getInt64(4));
  return p;
}

// In ON DUPLICATE KEY UPDATE the assignments run left to right and see the
// columns already assigned, so `version` is the last one.
Result<int64_t> upsertPlayers(sql::Connection& conn, const std::vector<Player>& players) {
  if (players.empty()) return int64_t{0};
  std::string statement = "INSERT INTO players (player_id, account_id, version, data, updated_at) VALUES ";
  for (size_t i = 0; i < players.size(); ++i) statement += i ? ", (?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?)";
  statement +=
      " ON DUPLICATE KEY UPDATE"
      " data = IF(VALUES(version) > version, VALUES(data), data),"
      " updated_at = IF(VALUES(version) > version, VALUES(updated_at), updated_at),"
      " account_id = IF(VALUES(version) > version, VALUES(account_id), account_id),"
      " version = GREATEST(version, VALUES(version))";
  auto st = prepare(conn, statement);
  for (size_t i = 0; i < players.size(); ++i) bindPlayer(*st, static_cast<unsigned>(1 + 5 * i), players[i]);
  return static_cast<int64_t>(st->executeUpdate());
}

Result<uint64_t> writeThrough(sql::Connection& conn, uint64_t player_id, uint64_t expected_version,
                              const std::string& data, int64_t now_ms) {
  return inTransaction(conn, [&]() -> Result<uint64_t> {
    auto update = prepare(conn, "UPDATE players SET data = ?, updated_at = ?, version = version + 1"
                                " WHERE player_id = ? AND version = ?");
    update->setString(1, data);
    update->setInt64(2, now_ms);
    update->setUInt64(3, player_id);
    update->setUInt64(4, expected_version);
    if (update->executeUpdate() == 0) {
      auto current = selectPlayer(conn, player_id);
      if (!current) return current.error();
      return Error{Errc::kVersionConflict, "player " + std::to_string(player_id) + " is at version " +
                                               std::to_string(current->version()) + ", not " +
                                               std::to_string(expected_version) + ": reload and retry"};
    }
    auto mark = prepare(conn, "INSERT INTO players_written_through (player_id, written_at) VALUES (?, ?)"
                              " ON DUPLICATE KEY UPDATE written_at = VALUES(written_at)");
    mark->setUInt64(1, player_id);
    mark->setInt64(2, now_ms);
    mark->executeUpdate();
    conn.commit();
    return expected_version + 1;
  });
}

Result<std::vector<WrittenThrough>> writtenThrough(sql::Connection& conn, uint64_t after, size_t limit) {
  auto st = prepare(conn, "SELECT player_id, written_at FROM players_written_through WHERE player_id > ?"
                          " ORDER BY player_id LIMIT ?");
  st->setUInt64(1, after);
  st->setUInt64(2, limit);
  std::unique_ptr<sql::ResultSet> rows(st->executeQuery());
  std::vector<WrittenThrough> out;
  while (rows->next()) out.push_back(WrittenThrough{rows->getUInt64(1), rows->getInt64(2)});
  return out;
}

Result<int64_t> settleWriteThrough(sql::Connection& conn, const WrittenThrough& w,
                                   const std::optional<Player>& superseded, int64_t now_ms) {
  if (superseded) {
    auto keep = prepare(conn, "INSERT INTO players_superseded (player_id, version, data, superseded_at)"
                              " VALUES (?, ?, ?, ?)");
    keep->setUInt64(1, superseded->player_id());
    keep->setUInt64(2, superseded->version());
    keep->setString(3, superseded->data());
    keep->setInt64(4, now_ms);
    keep->executeUpdate();
  }
  auto forget = prepare(conn, "DELETE FROM players_written_through WHERE player_id = ? AND written_at = ?");
  forget->setUInt64(1, w.player_id);
  forget->setInt64(2, w.written_at);
  return static_cast<int64_t>(forget->executeUpdate());
}

}  // namespace polis::db
