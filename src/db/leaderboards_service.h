// LeaderboardsService: the Leaderboards API of proto/polis/db.proto over
// LeaderboardStore. Requests are checked here; the store sees valid ones.
// Threads: loop-thread only.
#pragma once

#include "db/leaderboard_store.h"
#include "polis/db.polis.h"

namespace polis::db {

class LeaderboardsService final : public gen::Leaderboards::Service {
 public:
  explicit LeaderboardsService(LeaderboardStore& store) : store_(store) {}

  Task<Result<Leaderboard>> Define(Call& call, const DefineLeaderboardReq& req) override;
  Task<Result<Leaderboard>> Get(Call& call, const GetLeaderboardReq& req) override;
  Task<Result<SubmitScoreAck>> Submit(Call& call, const SubmitScoreReq& req) override;
  Task<Result<LeaderboardPage>> Top(Call& call, const TopScoresReq& req) override;
  Task<Result<LeaderboardPage>> Around(Call& call, const ScoresAroundReq& req) override;
  Task<Result<Leaderboard>> Reset(Call& call, const ResetLeaderboardReq& req) override;

 private:
  LeaderboardStore& store_;
};

}  // namespace polis::db
