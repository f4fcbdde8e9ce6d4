#include "db/leaderboards_service.h"

#include <optional>

namespace polis::db {
namespace {

constexpr size_t kMaxBoardBytes = 64;
constexpr uint32_t kMaxLimit = 100;
constexpr uint32_t kMaxOffset = 1'000'000;
constexpr uint32_t kMaxRadius = 50;
// Day numbers until the year 10000 (week and month numbers are smaller).
constexpr int64_t kMaxPeriodIndex = 3'000'000;

std::optional<Error> badBoard(const std::string& board) {
  bool ok = !board.empty() && board.size() <= kMaxBoardBytes &&
            board.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_.-") == std::string::npos;
  if (ok) return std::nullopt;
  return Error{Errc::kInvalidArgument, "a leaderboard name is 1–64 bytes of a-z 0-9 _ . - (got " +
                                           std::to_string(board.size()) + " bytes that are not)"};
}

std::optional<Error> badPlayer(uint64_t player_id) {
  if (player_id != 0) return std::nullopt;
  return Error{Errc::kInvalidArgument, "player_id must not be 0"};
}

std::optional<Error> badPeriod(bool has, const LeaderboardPeriodId& id) {
  if (!has) return std::nullopt;
  if (id.generation() == 0) return Error{Errc::kInvalidArgument, "a period's generation starts at 1"};
  if (id.index() < 0 || id.index() > kMaxPeriodIndex) {
    return Error{Errc::kInvalidArgument, "a period's index is 0–" + std::to_string(kMaxPeriodIndex) + ", got " +
                                             std::to_string(id.index())};
  }
  return std::nullopt;
}

std::optional<Error> badDef(const LeaderboardDef& def) {
  if (auto bad = badBoard(def.board())) return bad;
  if (def.policy() != LEADERBOARD_POLICY_BEST && def.policy() != LEADERBOARD_POLICY_LATEST &&
      def.policy() != LEADERBOARD_POLICY_SUM) {
    return Error{Errc::kInvalidArgument, "policy must be BEST, LATEST or SUM"};
  }
  if (def.order() != LEADERBOARD_ORDER_HIGH_FIRST && def.order() != LEADERBOARD_ORDER_LOW_FIRST) {
    return Error{Errc::kInvalidArgument, "order must be HIGH_FIRST or LOW_FIRST"};
  }
  if (!LeaderboardReset_IsValid(def.reset())) {
    return Error{Errc::kInvalidArgument, "reset must be NEVER, DAILY, WEEKLY or MONTHLY"};
  }
  return std::nullopt;
}

}  // namespace

// The store's coroutines take their requests by value (copied into their
// frames), so nothing here outlives the request message.
Task<Result<Leaderboard>> LeaderboardsService::Define(Call&, const DefineLeaderboardReq& req) {
  if (auto bad = badDef(req.def())) co_return *bad;
  auto defined = co_await store_.define(req.def());
  co_return defined;
}

Task<Result<Leaderboard>> LeaderboardsService::Get(Call&, const GetLeaderboardReq& req) {
  if (auto bad = badBoard(req.board())) co_return *bad;
  auto got = co_await store_.get(req.board());
  co_return got;
}

Task<Result<Leaderboard>> LeaderboardsService::Reset(Call&, const ResetLeaderboardReq& req) {
  if (auto bad = badBoard(req.board())) co_return *bad;
  auto reset = co_await store_.reset(req.board());
  co_return reset;
}

Task<Result<SubmitScoreAck>> LeaderboardsService::Submit(Call&, const SubmitScoreReq& req) {
  if (auto bad = badBoard(req.board())) co_return *bad;
  if (auto bad = badPlayer(req.player_id())) co_return *bad;
  if (req.score() > leaderboard_layout::kMaxScore || req.score() < -leaderboard_layout::kMaxScore) {
    co_return Error{Errc::kInvalidArgument, "a score is within ±(2^53 - 1), got " + std::to_string(req.score())};
  }
  auto submitted = co_await store_.submit(req);
  co_return submitted;
}

Task<Result<LeaderboardPage>> LeaderboardsService::Top(Call&, const TopScoresReq& req) {
  if (auto bad = badBoard(req.board())) co_return *bad;
  if (auto bad = badPeriod(req.has_period(), req.period())) co_return *bad;
  if (req.limit() > kMaxLimit) {
    co_return Error{Errc::kInvalidArgument, "limit is 1–100 (0 means 10), got " + std::to_string(req.limit())};
  }
  if (req.offset() > kMaxOffset) {
    co_return Error{Errc::kInvalidArgument, "offset is at most 1000000, got " + std::to_string(req.offset())};
  }
  auto page = co_await store_.top(req);
  co_return page;
}

Task<Result<LeaderboardPage>> LeaderboardsService::Around(Call&, const ScoresAroundReq& req) {
  if (auto bad = badBoard(req.board())) co_return *bad;
  if (auto bad = badPlayer(req.player_id())) co_return *bad;
  if (auto bad = badPeriod(req.has_period(), req.period())) co_return *bad;
  if (req.radius() > kMaxRadius) {
    co_return Error{Errc::kInvalidArgument, "radius is 0–50, got " + std::to_string(req.radius())};
  }
  auto page = co_await store_.around(req);
  co_return page;
}

}  // namespace polis::db
