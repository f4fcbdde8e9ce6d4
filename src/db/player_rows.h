// The players table in MariaDB (blocking: pool workers only).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <cppconn/connection.h>

#include "base/result.h"
#include "polis/db.pb.h"

namespace polis::db {

// Inserts a new player at version 1; already_exists if the id is taken.
Result<Player> insertPlayer(sql::Connection& conn, const Player& player);
// The row, or not_found.
Result<Player> selectPlayer(sql::Connection& conn, uint64_t player_id);
// Writes many players in one statement. A row only replaces what MariaDB has
// if its version is higher: a flush that arrives late (another db node's, or
// a retry) never takes a player back. Returns the rows MariaDB changed.
Result<int64_t> upsertPlayers(sql::Connection& conn, const std::vector<Player>& players);

// A save straight to MariaDB (Redis is unreachable): version-checked against
// MariaDB's row, and recorded in players_written_through in the same
// transaction so the Redis copy can be reconciled when Redis is back.
// Returns the new version; version_conflict / not_found as usual.
Result<uint64_t> writeThrough(sql::Connection& conn, uint64_t player_id, uint64_t expected_version,
                              const std::string& data, int64_t now_ms);

struct WrittenThrough {
  uint64_t player_id;
  int64_t written_at;
};
// Players saved straight to MariaDB and not yet reconciled with Redis, by
// id, the first `limit` of those above `after`.
Result<std::vector<WrittenThrough>> writtenThrough(sql::Connection& conn, uint64_t after, size_t limit);
// Keeps a Redis version a write-through replaced, then forgets the
// write-through (if it was not repeated since `written_at`).
Result<int64_t> settleWriteThrough(sql::Connection& conn, const WrittenThrough& w,
                                   const std::optional<Player>& superseded, int64_t now_ms);

}  // namespace polis::db
