// LeaderboardStore's reads: Top and Around, from Redis when it holds the
// period, from MariaDB otherwise.
#include <charconv>
#include <cmath>

#include "db/leaderboard_period.h"
#include "db/leaderboard_store.h"
#include "db/sql.h"

namespace polis::db {
namespace {

namespace layout = leaderboard_layout;

constexpr int kAttempts = 4;

// Entries from a script's {1, total, first rank - 1, {member, score, …}}.
Result<LeaderboardPage> pageFromReply(const RedisReply& reply, const LeaderboardDef& def) {
  if (reply.elements.size() != 4) return Error{Errc::kInternal, "unexpected reply from a leaderboard script"};
  LeaderboardPage page;
  page.set_total(static_cast<uint64_t>(reply.elements[1].integer));
  auto rank = static_cast<uint64_t>(reply.elements[2].integer) + 1;
  const auto& pairs = reply.elements[3].elements;
  for (size_t k = 0; k + 1 < pairs.size(); k += 2) {
    auto member = layout::parseMember(pairs[k].str);
    double stored = 0;
    const std::string& text = pairs[k + 1].str;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), stored);
    if (!member || ec != std::errc()) return Error{Errc::kInternal, "a damaged leaderboard entry in Redis"};
    auto score = static_cast<int64_t>(std::llround(stored));
    LeaderboardEntry* e = page.add_entries();
    e->set_player_id(member->second);
    e->set_score(def.order() == LEADERBOARD_ORDER_LOW_FIRST ? score : -score);
    e->set_reached_at_ms(member->first);
    e->set_rank(rank++);
  }
  return page;
}

}  // namespace

// The period asked for (or the current one), from Redis while the shard is
// served and the period is there (the current one is warmed first), else
// from MariaDB.
Task<Result<LeaderboardPage>> LeaderboardStore::read(ReadPlan plan) {
  auto board = co_await catalog_.get(plan.board);
  if (!board) co_return board.error();
  size_t i = shards_.ofBoard(plan.board);
  co_await awaitServing(i);
  LeaderboardPeriod period;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    bool current = !plan.period;
    period = current ? periodAt(board->def.reset(), board->generation, nowMs()) : periodOf(board->def.reset(), *plan.period);
    if (!write_behind_.serving(i)) break;
    std::string key = layout::periodKey(plan.board, period.id().generation(), period.id().index());
    std::vector<std::string> args = plan.redis_args(key, current ? std::to_string(board->generation) : "");
    auto reading = shards_.at(i).eval(plan.script, std::move(args));
    auto reply = co_await std::move(reading);
    if (!reply || reply->elements.empty()) break;  // Redis failed under us: MariaDB answers
    int64_t status = reply->elements[0].integer;
    if (status == 1) {
      auto page = pageFromReply(*reply, board->def);
      if (page) *page->mutable_period() = period;
      co_return page;
    }
    if (status == 0) co_return plan.not_found();
    if (status == -1 && !current) break;  // an ended period no longer in Redis
    auto recovered = co_await recover(status, *board, period);
    if (!recovered) co_return recovered.error();
    board = co_await catalog_.get(plan.board);
    if (!board) co_return board.error();
  }
  std::function<Result<LeaderboardPage>(sql::Connection&)> job =
      [def = board->def, id = period.id(), from_rows = plan.from_rows](sql::Connection& conn) {
        return from_rows(conn, def, id);
      };
  auto pending = pool_.run<LeaderboardPage>(std::move(job));
  auto page = co_await pending;
  if (page) *page->mutable_period() = period;
  co_return page;
}

Task<Result<LeaderboardPage>> LeaderboardStore::top(TopScoresReq req) {
  ReadPlan plan;
  plan.board = req.board();
  if (req.has_period()) plan.period = req.period();
  plan.script = layout::kTop;
  uint32_t offset = req.offset(), limit = req.limit() ? req.limit() : 10;
  plan.redis_args = [board = req.board(), offset, limit](const std::string& key, const std::string& generation) {
    return std::vector<std::string>{"3", layout::genKey(board), layout::warmKey(key), layout::rankingKey(key),
                                    generation, std::to_string(offset), std::to_string(limit)};
  };
  plan.from_rows = [offset, limit](sql::Connection& conn, const LeaderboardDef& def, const LeaderboardPeriodId& id) {
    return topFromRows(conn, def, id, offset, limit);
  };
  auto reading = read(std::move(plan));
  auto page = co_await std::move(reading);
  co_return page;
}

Task<Result<LeaderboardPage>> LeaderboardStore::around(ScoresAroundReq req) {
  ReadPlan plan;
  plan.board = req.board();
  if (req.has_period()) plan.period = req.period();
  plan.script = layout::kAround;
  uint64_t player = req.player_id();
  uint32_t radius = req.radius();
  plan.redis_args = [board = req.board(), player, radius](const std::string& key, const std::string& generation) {
    return std::vector<std::string>{"4", layout::genKey(board), layout::warmKey(key), layout::entriesKey(key),
                                    layout::rankingKey(key), generation, std::to_string(player), std::to_string(radius)};
  };
  plan.from_rows = [player, radius](sql::Connection& conn, const LeaderboardDef& def, const LeaderboardPeriodId& id) {
    return aroundFromRows(conn, def, id, player, radius);
  };
  plan.not_found = [board = req.board(), player] {
    return Error{Errc::kNotFound,
                 "player " + std::to_string(player) + " has no score on \"" + board + "\" in that period"};
  };
  auto reading = read(std::move(plan));
  auto page = co_await std::move(reading);
  co_return page;
}

}  // namespace polis::db
