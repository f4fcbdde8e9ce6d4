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

}  // namespace polis::db
