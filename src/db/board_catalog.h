// BoardCatalog: leaderboard definitions and generations, read from MariaDB
// (the leaderboards table) once per board and kept. A generation known here
// can be behind another node's Reset; the Redis scripts notice (status -4)
// and the store refreshes it.
// Threads: loop-thread only.
#pragma once

#include <string>
#include <unordered_map>

#include "base/task.h"
#include "db/leaderboard_rows.h"
#include "db/mysql_pool.h"

namespace polis::db {

class BoardCatalog {
 public:
  explicit BoardCatalog(MysqlPool& pool) : pool_(pool) {}

  // The board as known here, or read from MariaDB (not_found if undefined).
  Task<Result<StoredBoard>> get(std::string board);
  // Read from MariaDB now.
  Task<Result<StoredBoard>> refresh(std::string board);
  // Keeps what MariaDB just answered (a define, a reset, a sync); a
  // generation never goes back.
  const StoredBoard& note(const StoredBoard& board);

 private:
  MysqlPool& pool_;
  std::unordered_map<std::string, StoredBoard> boards_;
};

}  // namespace polis::db
