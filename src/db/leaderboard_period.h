// The periods of a leaderboard's reset schedule, in UTC: which period a
// moment falls in, and where a period starts and ends. Pure functions of
// the clock reading they are given (db nodes are expected to keep their
// clocks in sync; a submit within the skew of a boundary may count in
// either period).
#pragma once

#include <cstdint>

#include "polis/db.pb.h"

namespace polis::db {

// The period of `reset` that contains `now_ms`, with the given generation.
LeaderboardPeriod periodAt(LeaderboardReset reset, uint64_t generation, int64_t now_ms);
// Period `id` of `reset`, with its bounds (none for RESET_NEVER).
LeaderboardPeriod periodOf(LeaderboardReset reset, const LeaderboardPeriodId& id);

}  // namespace polis::db
