// The leaderboard tables in MariaDB (blocking: pool workers only):
// leaderboards (definitions and generations), leaderboard_entries (one row
// per board, period and player: the source of truth behind Redis),
// leaderboard_written_through and leaderboard_superseded (as for players).
// Requests are checked by LeaderboardsService before they get here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <cppconn/connection.h>

#include "base/result.h"
#include "db/leaderboard_layout.h"
#include "polis/db.pb.h"

namespace polis::db {

struct StoredBoard {
  LeaderboardDef def;
  uint64_t generation = 1;
};

// One score row.
struct ScoreRow {
  std::string board;
  uint64_t generation = 0;
  int64_t index = 0;
  uint64_t player_id = 0;
  leaderboard_layout::EntryRecord entry;
};

// What a submit does to an entry (`old` absent: the player has no score
// yet): the entry afterwards and whether it changed; invalid_argument when
// a sum leaves ±(2^53 - 1). The same rules as leaderboard_layout::kSubmit.
struct Applied {
  leaderboard_layout::EntryRecord entry;
  bool changed = false;
};
Result<Applied> applySubmit(const LeaderboardDef& def, const std::optional<leaderboard_layout::EntryRecord>& old,
                            int64_t score, int64_t now_ms);

Result<StoredBoard> selectBoard(sql::Connection& conn, const std::string& board);
// Creates the board at generation 1, or returns it if it exists with the
// same definition; already_exists if its definition differs.
Result<StoredBoard> defineBoard(sql::Connection& conn, const LeaderboardDef& def, int64_t now_ms);
// Starts the board's next generation; not_found for an unknown board.
Result<StoredBoard> resetBoard(sql::Connection& conn, const std::string& board, int64_t now_ms);
// Every board's name and generation, by name, the first `limit` after `after`.
Result<std::vector<StoredBoard>> boardsAfter(sql::Connection& conn, const std::string& after, size_t limit);

// One period's rows by player id, the first `limit` above `after_player`.
Result<std::vector<ScoreRow>> periodRows(sql::Connection& conn, const std::string& board, uint64_t generation,
                                         int64_t index, uint64_t after_player, size_t limit);
// A row replaces MariaDB's only if its version is higher (as upsertPlayers).
Result<int64_t> upsertScores(sql::Connection& conn, const std::vector<ScoreRow>& rows);
Result<std::optional<ScoreRow>> selectScore(sql::Connection& conn, const leaderboard_layout::DirtyEntry& key);

// A submit straight to MariaDB (Redis is unreachable), in one transaction
// with the board's generation read there (so a Reset cannot interleave),
// recorded in leaderboard_written_through for reconciliation.
struct SubmittedThrough {
  uint64_t generation = 0;
  Applied applied;
  uint64_t rank = 0;
};
Result<SubmittedThrough> submitThrough(sql::Connection& conn, const LeaderboardDef& def, int64_t index,
                                       uint64_t player_id, int64_t score, int64_t now_ms);

struct WrittenThroughScore {
  leaderboard_layout::DirtyEntry key;
  int64_t written_at = 0;
};
// Submits written straight to MariaDB and not yet reconciled, in key order,
// the first `limit` after `after` (absent: from the start).
Result<std::vector<WrittenThroughScore>> scoresWrittenThrough(
    sql::Connection& conn, const std::optional<leaderboard_layout::DirtyEntry>& after, size_t limit);
// Keeps a Redis entry a write-through replaced, then forgets the
// write-through (if it was not repeated since `written_at`).
Result<int64_t> settleScoreWriteThrough(sql::Connection& conn, const WrittenThroughScore& w,
                                        const std::optional<ScoreRow>& superseded, int64_t now_ms);

// Reads from MariaDB (Redis unreachable, or a past period no longer cached).
Result<LeaderboardPage> topFromRows(sql::Connection& conn, const LeaderboardDef& def, const LeaderboardPeriodId& id,
                                    uint32_t offset, uint32_t limit);
Result<LeaderboardPage> aroundFromRows(sql::Connection& conn, const LeaderboardDef& def, const LeaderboardPeriodId& id,
                                       uint64_t player_id, uint32_t radius);

}  // namespace polis::db
