#include "db/dirty_scores.h"

#include "base/log.h"
#include "base/log_throttle.h"
#include "db/sql.h"

namespace polis::db {
namespace {

namespace layout = leaderboard_layout;

constexpr size_t kPage = 500;       // rows read from MariaDB at a time while reconciling
constexpr size_t kSweepBatch = 20;  // ended periods dropped per pass and shard

std::string orderArg(const LeaderboardDef& def) { return def.order() == LEADERBOARD_ORDER_LOW_FIRST ? "2" : "1"; }

}  // namespace

DirtyScores::DirtyScores(MysqlPool& pool, RedisShards& shards, BoardCatalog& catalog)
    : pool_(pool), shards_(shards), catalog_(catalog), generations_synced_(shards.size(), 0),
      superseded_(metrics::Registry::global().counter(
          "polis_db_scores_superseded_total",
          "Unflushed Redis scores replaced by a submit made while Redis was unreachable (kept in "
          "leaderboard_superseded).")) {}

Task<Result<size_t>> DirtyScores::flush(RedisClient& shard, std::vector<std::string> members) {
  std::vector<layout::DirtyEntry> keys;
  std::vector<Completion<Result<RedisReply>>> replies;
  for (const auto& m : members) {
    auto key = layout::parseDirty(m);
    if (!key) {  // not ours: dropped, so it cannot hold the backlog for ever
      if (auto note = log::throttle("bad dirty score")) log::warn("unreadable dirty score \"{}\" dropped{}", m, *note);
      std::vector<std::string> drop{"SREM", layout::kDirty, m};
      auto dropping = shard.command(drop);
      (void)dropping;  // best effort; the reply is not awaited
      continue;
    }
    std::vector<std::string> args{"HGET", layout::entriesKey(key->period()), std::to_string(key->player_id)};
    replies.push_back(shard.command(args));  // all sent at once, awaited in order
    keys.push_back(std::move(*key));
  }
  auto rows = std::make_shared<std::vector<ScoreRow>>();
  std::vector<std::vector<std::string>> cleans;
  for (size_t i = 0; i < keys.size(); ++i) {
    auto reply = co_await replies[i];
    if (!reply) co_return reply.error();
    const auto& k = keys[i];
    std::optional<layout::EntryRecord> record;
    if (reply->type == RedisReply::Type::kString) record = layout::unpackEntry(reply->str);
    if (record) rows->push_back(ScoreRow{k.board, k.generation, k.index, k.player_id, *record});
    cleans.push_back({"3", layout::entriesKey(k.period()), layout::kDirty, layout::kDirtyCount,
                      std::to_string(k.player_id), std::to_string(record ? record->version : 0),
                      layout::dirtyMember(k.period(), k.player_id), k.period()});
  }
  if (!rows->empty()) {
    std::function<Result<int64_t>(sql::Connection&)> job = [rows](sql::Connection& conn) {
      return upsertScores(conn, *rows);
    };
    auto pending = pool_.run<int64_t>(std::move(job));
    auto written = co_await pending;
    if (!written) co_return written.error();
  }
  auto cleaning = shard.evalMany(layout::kClean, std::move(cleans));
  auto cleaned = co_await std::move(cleaning);
  if (!cleaned) co_return cleaned.error();  // still dirty: flushed again next pass, harmlessly
  co_return rows->size();
}

Task<Result<bool>> DirtyScores::reconcile(size_t i) {
  if (generations_synced_[i] != shards_.at(i).generation()) {
    auto synced = co_await syncGenerations(i);
    if (!synced) co_return synced.error();
  }
  std::optional<layout::DirtyEntry> after;
  while (true) {
    std::function<Result<std::vector<WrittenThroughScore>>(sql::Connection&)> job =
        [after](sql::Connection& conn) { return scoresWrittenThrough(conn, after, kPage); };
    auto pending = pool_.run<std::vector<WrittenThroughScore>>(std::move(job));
    auto rows = co_await pending;
    if (!rows) co_return rows.error();
    for (const auto& w : *rows) {
      after = w.key;
      if (shards_.ofBoard(w.key.board) != i) continue;
      auto settled = co_await settle(shards_.at(i), w);
      if (!settled) co_return settled.error();
    }
    if (rows->size() < kPage) co_return true;
  }
}

Task<Result<void>> DirtyScores::syncGenerations(size_t i) {
  RedisClient& shard = shards_.at(i);
  uint64_t connection = shard.generation();
  std::string after;
  while (true) {
    std::function<Result<std::vector<StoredBoard>>(sql::Connection&)> job = [after](sql::Connection& conn) {
      return boardsAfter(conn, after, kPage);
    };
    auto pending = pool_.run<std::vector<StoredBoard>>(std::move(job));
    auto boards = co_await pending;
    if (!boards) co_return boards.error();
    std::vector<std::vector<std::string>> sets;
    for (const auto& b : *boards) {
      after = b.def.board();
      catalog_.note(b);
      if (shards_.ofBoard(b.def.board()) == i) {
        sets.push_back({"1", layout::genKey(b.def.board()), std::to_string(b.generation)});
      }
    }
    auto setting = shard.evalMany(layout::kSetGeneration, std::move(sets));
    auto set = co_await std::move(setting);
    if (!set) co_return set.error();
    if (boards->size() < kPage) break;
  }
  generations_synced_[i] = connection;
  co_return Result<void>{};
}

// MariaDB's entry stands (the write-through came after the Redis one became
// unreachable); a dirty Redis entry that differs is kept in
// leaderboard_superseded. The Redis entry becomes MariaDB's and clean.
Task<Result<void>> DirtyScores::settle(RedisClient& shard, const WrittenThroughScore& w) {
  auto board = co_await catalog_.get(w.key.board);
  if (!board) co_return board.error();
  std::string period = w.key.period(), member = layout::dirtyMember(period, w.key.player_id);
  std::vector<std::string> dirty_args{"SISMEMBER", layout::kDirty, member};
  auto dirty_pending = shard.command(dirty_args);
  auto dirty = co_await dirty_pending;
  if (!dirty) co_return dirty.error();
  std::vector<std::string> entry_args{"HGET", layout::entriesKey(period), std::to_string(w.key.player_id)};
  auto entry_pending = shard.command(entry_args);
  auto entry = co_await entry_pending;
  if (!entry) co_return entry.error();
  std::optional<ScoreRow> redis_copy;
  if (dirty->integer == 1 && entry->type == RedisReply::Type::kString) {
    if (auto record = layout::unpackEntry(entry->str)) {
      redis_copy = ScoreRow{w.key.board, w.key.generation, w.key.index, w.key.player_id, *record};
    }
  }
  struct Outcome {
    std::optional<ScoreRow> standing, superseded;
  };
  std::function<Result<Outcome>(sql::Connection&)> job = [w, redis_copy](sql::Connection& conn) -> Result<Outcome> {
    Outcome out;
    auto current = selectScore(conn, w.key);
    if (!current) return current.error();
    out.standing = *current;
    bool same = redis_copy && out.standing && redis_copy->entry.score == out.standing->entry.score &&
                redis_copy->entry.reached_at_ms == out.standing->entry.reached_at_ms;
    if (redis_copy && !same) out.superseded = redis_copy;
    auto done = settleScoreWriteThrough(conn, w, out.superseded, nowMs());
    if (!done) return done.error();
    return out;
  };
  auto pending = pool_.run<Outcome>(std::move(job));
  auto outcome = co_await pending;
  if (!outcome) co_return outcome.error();
  if (outcome->superseded) {
    superseded_.inc();
    if (auto note = log::throttle("scores superseded")) {
      log::warn("leaderboard {}: player {}'s unflushed Redis score {} was replaced by {} submitted while Redis was "
                "unreachable; kept in leaderboard_superseded{}",
                w.key.board, w.key.player_id, outcome->superseded->entry.score,
                outcome->standing ? outcome->standing->entry.score : 0, *note);
    }
  }
  std::vector<std::string> args{"5", layout::warmKey(period), layout::entriesKey(period), layout::rankingKey(period),
                                layout::kDirty, layout::kDirtyCount, orderArg(board->def),
                                std::to_string(w.key.player_id),
                                outcome->standing ? layout::packEntry(outcome->standing->entry) : "", member, period};
  auto settling = shard.eval(layout::kSettle, std::move(args));
  auto settled = co_await std::move(settling);
  if (!settled) co_return settled.error();
  co_return Result<void>{};
}

Task<void> DirtyScores::tidy(RedisClient& shard) {
  std::vector<std::string> args{"ZRANGEBYSCORE", layout::kExpiring, "-inf", std::to_string(nowMs()), "LIMIT", "0",
                                std::to_string(kSweepBatch)};
  auto pending = shard.command(args);
  auto ended = co_await pending;
  if (!ended) co_return;
  std::vector<std::vector<std::string>> sweeps;
  for (const auto& e : ended->elements) {
    const std::string& period = e.str;
    sweeps.push_back({"5", layout::warmKey(period), layout::entriesKey(period), layout::rankingKey(period),
                      layout::kDirtyCount, layout::kExpiring, period});
  }
  auto sweeping = shard.evalMany(layout::kSweep, std::move(sweeps));
  auto swept = co_await std::move(sweeping);
  (void)swept;  // what failed is tried again next pass
}

}  // namespace polis::db
