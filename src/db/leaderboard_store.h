// LeaderboardStore: leaderboards through Redis (each board's periods on the
// shard its name hashes to; leaderboard_layout.h) with MariaDB as the
// source of truth (leaderboard_rows.h).
//
//   define/reset/get  MariaDB (durable); the generation is then copied to Redis.
//   submit  one Redis script applies the board's policy, ranks, and marks the
//           entry dirty; acknowledged then (write-behind by DirtyScores), or
//           once MariaDB has it when `durable`. A period not yet in Redis is
//           loaded from MariaDB first ("warmed"). Shard not serving: written
//           straight to MariaDB in a transaction and recorded for
//           reconciliation.
//   top/around  Redis for the current period (warmed if needed) and for any
//           period still there; MariaDB otherwise (shard not serving, or an
//           ended period already swept from Redis).
// Threads: loop-thread only.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/completion.h"
#include "db/board_catalog.h"
#include "db/dirty_scores.h"
#include "db/write_behind.h"

namespace polis::db {

class LeaderboardStore {
 public:
  LeaderboardStore(EventLoop& loop, MysqlPool& pool, RedisShards& shards, WriteBehind& write_behind,
                   DirtyScores& dirty, BoardCatalog& catalog, const DbConfig& config);

  Task<Result<Leaderboard>> define(LeaderboardDef def);
  Task<Result<Leaderboard>> get(std::string board);
  Task<Result<Leaderboard>> reset(std::string board);
  Task<Result<SubmitScoreAck>> submit(SubmitScoreReq req);
  Task<Result<LeaderboardPage>> top(TopScoresReq req);
  Task<Result<LeaderboardPage>> around(ScoresAroundReq req);

 private:
  // Waits briefly for shard `i` when it is connected but not yet reconciled.
  Task<void> awaitServing(size_t i);
  // Handles a script status that asks for a retry (-1 warm, -3/-4
  // generation): true to retry, false when `status` is not one of those.
  Task<Result<bool>> recover(int64_t status, const StoredBoard& board, const LeaderboardPeriod& period);
  Task<Result<void>> warm(StoredBoard board, LeaderboardPeriod period);
  Task<Result<void>> load(StoredBoard board, LeaderboardPeriod period);
  Task<Result<void>> copyGeneration(StoredBoard board);
  Task<Result<SubmitScoreAck>> submitThrough(StoredBoard board, SubmitScoreReq req);
  // A read: the Redis script with its arguments for a period key and the
  // generation to check ('' for none), the same read from MariaDB, and the
  // error when the script finds no entry.
  struct ReadPlan {
    std::string board;
    std::optional<LeaderboardPeriodId> period;  // absent: the current one
    const char* script = nullptr;
    std::function<std::vector<std::string>(const std::string& key, const std::string& generation)> redis_args;
    std::function<Result<LeaderboardPage>(sql::Connection&, const LeaderboardDef&, const LeaderboardPeriodId&)>
        from_rows;
    std::function<Error()> not_found;
  };
  Task<Result<LeaderboardPage>> read(ReadPlan plan);
  Leaderboard describe(const StoredBoard& board) const;
  int64_t expiresAt(const LeaderboardPeriod& period) const;

  EventLoop& loop_;
  MysqlPool& pool_;
  RedisShards& shards_;
  WriteBehind& write_behind_;
  DirtyScores& dirty_;
  BoardCatalog& catalog_;
  std::chrono::milliseconds retention_;
  size_t max_backlog_;
  // Periods being warmed by this node, with whoever waits for them.
  std::unordered_map<std::string, std::vector<Completion<Result<void>>::Deliver>> warming_;
};

}  // namespace polis::db
