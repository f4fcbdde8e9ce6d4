#include "db/leaderboard_store.h"

#include "base/sleep.h"
#include "db/leaderboard_period.h"
#include "db/sql.h"

namespace polis::db {
namespace {

namespace layout = leaderboard_layout;

constexpr auto kServeWait = std::chrono::seconds(1);
constexpr int kAttempts = 4;     // a submit or read retried after warming or a generation change
constexpr size_t kWarmPage = 2000;

std::string orderArg(const LeaderboardDef& def) { return def.order() == LEADERBOARD_ORDER_LOW_FIRST ? "2" : "1"; }

std::string periodKeyOf(const std::string& board, const LeaderboardPeriod& period) {
  return layout::periodKey(board, period.id().generation(), period.id().index());
}

}  // namespace

LeaderboardStore::LeaderboardStore(EventLoop& loop, MysqlPool& pool, RedisShards& shards, WriteBehind& write_behind,
                                   DirtyScores& dirty, BoardCatalog& catalog, const DbConfig& config)
    : loop_(loop), pool_(pool), shards_(shards), write_behind_(write_behind), dirty_(dirty), catalog_(catalog),
      retention_(config.leaderboards.retention), max_backlog_(config.flush.max_backlog) {}

Leaderboard LeaderboardStore::describe(const StoredBoard& board) const {
  Leaderboard out;
  *out.mutable_def() = board.def;
  *out.mutable_current() = periodAt(board.def.reset(), board.generation, nowMs());
  return out;
}

int64_t LeaderboardStore::expiresAt(const LeaderboardPeriod& period) const {
  return period.ends_at_ms() ? period.ends_at_ms() + retention_.count() : 0;
}

Task<void> LeaderboardStore::awaitServing(size_t i) {
  RedisClient& shard = shards_.at(i);
  auto until = std::chrono::steady_clock::now() + kServeWait;
  while (!write_behind_.serving(i) && (shard.connected() || shard.generation() == 0) &&
         std::chrono::steady_clock::now() < until) {
    auto pause = sleepFor(loop_, std::chrono::milliseconds(5));
    co_await pause;
  }
}

// Copies MariaDB's generation into Redis. When that fails the shard's
// generations are copied again before it is served (DirtyScores).
Task<Result<void>> LeaderboardStore::copyGeneration(StoredBoard board) {
  size_t i = shards_.ofBoard(board.def.board());
  std::vector<std::string> args{"1", layout::genKey(board.def.board()), std::to_string(board.generation)};
  auto setting = shards_.at(i).eval(layout::kSetGeneration, std::move(args));
  auto set = co_await std::move(setting);
  if (!set) {
    dirty_.resyncGenerations(i);
    co_return set.error();
  }
  co_return Result<void>{};
}

Task<Result<Leaderboard>> LeaderboardStore::define(LeaderboardDef def) {
  std::function<Result<StoredBoard>(sql::Connection&)> job = [def](sql::Connection& conn) {
    return defineBoard(conn, def, nowMs());
  };
  auto pending = pool_.run<StoredBoard>(std::move(job));
  auto stored = co_await pending;
  if (!stored) co_return stored.error();
  const StoredBoard& known = catalog_.note(*stored);
  auto copying = copyGeneration(known);
  co_await std::move(copying);  // best effort: a shard that missed it is resynced before it is served
  co_return describe(known);
}

Task<Result<Leaderboard>> LeaderboardStore::get(std::string board) {
  auto fresh = co_await catalog_.refresh(board);
  if (fresh) co_return describe(*fresh);
  if (fresh.error().code == Errc::kNotFound) co_return fresh.error();
  auto known = co_await catalog_.get(std::move(board));  // MariaDB unreachable: what this node knows
  if (!known) co_return known.error();
  co_return describe(*known);
}

Task<Result<Leaderboard>> LeaderboardStore::reset(std::string board) {
  std::function<Result<StoredBoard>(sql::Connection&)> job = [board](sql::Connection& conn) {
    return resetBoard(conn, board, nowMs());
  };
  auto pending = pool_.run<StoredBoard>(std::move(job));
  auto stored = co_await pending;
  if (!stored) co_return stored.error();
  StoredBoard known = catalog_.note(*stored);
  auto copying = copyGeneration(known);
  co_await std::move(copying);
  // The generation before it ends now: its Redis copy may go after the retention.
  auto previous = periodAt(known.def.reset(), known.generation - 1, nowMs());
  std::vector<std::string> expire{"ZADD", layout::kExpiring, std::to_string(nowMs() + retention_.count()),
                                  periodKeyOf(board, previous)};
  auto expiring = shards_.at(shards_.ofBoard(board)).command(expire);
  co_await expiring;
  co_return describe(known);
}

Task<Result<void>> LeaderboardStore::warm(StoredBoard board, LeaderboardPeriod period) {
  std::string key = periodKeyOf(board.def.board(), period);
  if (auto it = warming_.find(key); it != warming_.end()) {  // one load per period and node
    auto [waiting, deliver] = Completion<Result<void>>::make();
    it->second.push_back(std::move(deliver));
    auto loaded = co_await waiting;
    co_return loaded;
  }
  warming_[key];
  auto loading = load(board, period);
  auto loaded = co_await std::move(loading);
  auto waiters = std::move(warming_[key]);
  warming_.erase(key);
  for (auto& deliver : waiters) deliver(loaded);
  co_return loaded;
}

// Every score MariaDB has for the period, page by page, then the mark. An
// entry Redis already holds at the same or a newer version is kept, so a
// load racing another node's (or submits after it) never takes one back.
Task<Result<void>> LeaderboardStore::load(StoredBoard board, LeaderboardPeriod period) {
  RedisClient& shard = shards_.at(shards_.ofBoard(board.def.board()));
  std::string key = periodKeyOf(board.def.board(), period);
  uint64_t after = 0;
  while (true) {
    std::function<Result<std::vector<ScoreRow>>(sql::Connection&)> job =
        [name = board.def.board(), id = period.id(), after](sql::Connection& conn) {
          return periodRows(conn, name, id.generation(), id.index(), after, kWarmPage);
        };
    auto pending = pool_.run<std::vector<ScoreRow>>(std::move(job));
    auto rows = co_await pending;
    if (!rows) co_return rows.error();
    std::vector<std::string> args{"3", layout::warmKey(key), layout::entriesKey(key), layout::rankingKey(key),
                                  orderArg(board.def)};
    for (const auto& r : *rows) {
      args.push_back(std::to_string(r.player_id));
      args.push_back(layout::packEntry(r.entry));
      after = r.player_id;
    }
    auto filling = shard.eval(layout::kWarmFill, std::move(args));
    auto filled = co_await std::move(filling);
    if (!filled) co_return filled.error();
    if (filled->integer == 0) co_return Result<void>{};  // warm already
    if (rows->size() < kWarmPage) break;
  }
  std::vector<std::string> done{"2", layout::warmKey(key), layout::kExpiring, key, std::to_string(expiresAt(period))};
  auto marking = shard.eval(layout::kWarmDone, std::move(done));
  auto marked = co_await std::move(marking);
  if (!marked) co_return marked.error();
  co_return Result<void>{};
}

Task<Result<bool>> LeaderboardStore::recover(int64_t status, const StoredBoard& board,
                                             const LeaderboardPeriod& period) {
  if (status == -1) {
    auto warming = warm(board, period);
    auto warmed = co_await std::move(warming);
    if (!warmed) co_return warmed.error();
    co_return true;
  }
  if (status == -3 || status == -4) {  // Redis lacks the generation, or ours is behind: ask MariaDB
    auto fresh = co_await catalog_.refresh(board.def.board());
    if (!fresh) co_return fresh.error();
    if (status == -3) {
      auto copying = copyGeneration(*fresh);
      auto copied = co_await std::move(copying);
      if (!copied) co_return copied.error();
    }
    co_return true;
  }
  co_return false;
}

Task<Result<SubmitScoreAck>> LeaderboardStore::submitThrough(StoredBoard board, SubmitScoreReq req) {
  size_t i = shards_.ofBoard(req.board());
  int64_t now = nowMs();
  int64_t index = periodAt(board.def.reset(), board.generation, now).id().index();
  write_behind_.writeThroughStarted(i);
  std::function<Result<SubmittedThrough>(sql::Connection&)> job = [def = board.def, index, req,
                                                                   now](sql::Connection& conn) {
    return db::submitThrough(conn, def, index, req.player_id(), req.score(), now);
  };
  auto pending = pool_.run<SubmittedThrough>(std::move(job));
  auto done = co_await pending;
  write_behind_.writeThroughFinished(i);
  if (!done) co_return done.error();
  SubmitScoreAck ack;
  ack.set_score(done->applied.entry.score);
  ack.set_rank(done->rank);
  ack.set_changed(done->applied.changed);
  *ack.mutable_period() = periodAt(board.def.reset(), done->generation, now);
  co_return ack;
}

Task<Result<SubmitScoreAck>> LeaderboardStore::submit(SubmitScoreReq req) {
  auto board = co_await catalog_.get(req.board());
  if (!board) co_return board.error();
  size_t i = shards_.ofBoard(req.board());
  RedisClient& shard = shards_.at(i);
  co_await awaitServing(i);
  if (!write_behind_.serving(i)) {
    auto through = co_await submitThrough(*board, req);
    co_return through;
  }
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    int64_t now = nowMs();
    auto period = periodAt(board->def.reset(), board->generation, now);
    std::string key = periodKeyOf(req.board(), period);
    std::string member = layout::dirtyMember(key, req.player_id());
    std::vector<std::string> args{
        "7", layout::genKey(req.board()), layout::warmKey(key), layout::entriesKey(key), layout::rankingKey(key),
        layout::kDirty, layout::kDirtyCount, layout::kExpiring, std::to_string(board->generation),
        std::to_string(req.player_id()), std::to_string(req.score()),
        std::to_string(static_cast<int>(board->def.policy())), orderArg(board->def), layout::reachedText(now), member,
        key, std::to_string(max_backlog_), std::to_string(expiresAt(period))};
    auto submitting = shard.eval(layout::kSubmit, std::move(args));
    auto reply = co_await std::move(submitting);
    if (!reply) co_return reply.error();
    if (reply->elements.empty()) co_return Error{Errc::kInternal, "unexpected reply from the submit script"};
    int64_t status = reply->elements[0].integer;
    if (status == 0 || status == 1) {
      if (reply->elements.size() != 3) co_return Error{Errc::kInternal, "unexpected reply from the submit script"};
      if (req.durable()) {
        std::vector<std::string> members{member};
        auto flushing = write_behind_.flushNow(dirty_, shard, std::move(members));
        auto flushed = co_await std::move(flushing);
        if (!flushed) {
          co_return Error{flushed.error().code, "the score is applied in Redis but not confirmed in MariaDB: " +
                                                    flushed.error().message};
        }
      }
      SubmitScoreAck ack;
      ack.set_score(reply->elements[1].integer);
      ack.set_rank(static_cast<uint64_t>(reply->elements[2].integer));
      ack.set_changed(status == 1);
      *ack.mutable_period() = period;
      co_return ack;
    }
    if (status == -2) {
      co_return Error{Errc::kUnavailable, "the write-behind backlog is full: " +
                                              std::to_string(reply->elements.size() > 1 ? reply->elements[1].integer : 0) +
                                              " scores are not in MariaDB yet (db.flush.max_backlog); is MariaDB down?"};
    }
    if (status == -5) {
      co_return Error{Errc::kInvalidArgument, "the sum would leave ±(2^53 - 1); the score stays at " +
                                                  std::to_string(reply->elements[1].integer)};
    }
    auto recovered = co_await recover(status, *board, period);
    if (!recovered) co_return recovered.error();
    if (!*recovered) co_return Error{Errc::kInternal, "unexpected status from the submit script"};
    board = co_await catalog_.get(req.board());
    if (!board) co_return board.error();
  }
  co_return Error{Errc::kUnavailable, "leaderboard \"" + req.board() + "\" kept changing under the submit; retry"};
}

}  // namespace polis::db
