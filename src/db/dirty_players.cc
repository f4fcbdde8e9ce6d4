#include "db/dirty_players.h"

#include <charconv>

#include "base/log.h"
#include "base/log_throttle.h"
#include "db/player_rows.h"
#include "db/redis_layout.h"
#include "db/sql.h"

namespace polis::db {
namespace {

namespace layout = redis_layout;

std::optional<uint64_t> parseId(const std::string& text) {
  uint64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id == 0) return std::nullopt;
  return id;
}

}  // namespace

std::optional<Player> playerFromReply(const RedisReply& reply, uint64_t id) {
  if (reply.type != RedisReply::Type::kString) return std::nullopt;
  return layout::unpackPlayer(reply.str, id);
}

DirtyPlayers::DirtyPlayers(MysqlPool& pool, RedisShards& shards)
    : pool_(pool), shards_(shards),
      superseded_(metrics::Registry::global().counter(
          "polis_db_superseded_total",
          "Unflushed Redis saves replaced by a save made while Redis was unreachable (kept in players_superseded).")) {}

const char* DirtyPlayers::dirtySet() const { return layout::kDirty; }

Task<Result<std::vector<Player>>> DirtyPlayers::readPlayers(RedisClient& shard, const std::vector<uint64_t>& ids) {
  std::vector<Completion<Result<RedisReply>>> replies;
  replies.reserve(ids.size());
  for (uint64_t id : ids) {
    std::vector<std::string> args{"GET", layout::playerKey(id)};
    replies.push_back(shard.command(args));  // all sent at once, awaited in order
  }
  std::vector<Player> rows;
  rows.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    auto reply = co_await replies[i];
    if (!reply) co_return reply.error();
    if (auto p = playerFromReply(*reply, ids[i])) {
      rows.push_back(std::move(*p));
    } else if (auto note = log::throttle("dirty without a player")) {
      log::warn("dirty player {} has no readable record in Redis at {}; skipped{}", ids[i], shard.endpoint().str(), *note);
    }
  }
  co_return rows;
}

Task<Result<size_t>> DirtyPlayers::flush(RedisClient& shard, std::vector<std::string> members) {
  std::vector<uint64_t> ids;
  for (const auto& m : members) {
    if (auto id = parseId(m)) ids.push_back(*id);
  }
  auto read = co_await readPlayers(shard, ids);
  if (!read) co_return read.error();
  if (read->empty()) co_return size_t{0};
  auto rows = std::make_shared<std::vector<Player>>(std::move(*read));
  std::function<Result<int64_t>(sql::Connection&)> job = [rows](sql::Connection& conn) {
    return upsertPlayers(conn, *rows);
  };
  auto pending = pool_.run<int64_t>(std::move(job));
  auto written = co_await pending;
  if (!written) co_return written.error();
  std::vector<std::vector<std::string>> cleans;
  cleans.reserve(rows->size());
  for (const Player& p : *rows) {
    cleans.push_back({"2", layout::playerKey(p.player_id()), layout::kDirty, std::to_string(p.version()),
                      std::to_string(p.player_id())});
  }
  auto cleaning = shard.evalMany(layout::kClean, std::move(cleans));
  auto cleaned = co_await std::move(cleaning);
  if (!cleaned) co_return cleaned.error();  // still dirty: flushed again next pass, harmlessly
  co_return rows->size();
}

Task<Result<bool>> DirtyPlayers::reconcile(size_t i) {
  uint64_t after = 0;
  while (true) {
    size_t page = page_;
    std::function<Result<std::vector<WrittenThrough>>(sql::Connection&)> job =
        [after, page](sql::Connection& conn) -> Result<std::vector<WrittenThrough>> {
      return writtenThrough(conn, after, page);
    };
    auto pending = pool_.run<std::vector<WrittenThrough>>(std::move(job));
    auto rows = co_await pending;
    if (!rows) co_return rows.error();
    for (const auto& w : *rows) {
      after = w.player_id;
      if (shards_.ofPlayer(w.player_id) != i) continue;
      auto settled = co_await settle(shards_.at(i), w.player_id, w.written_at);
      if (!settled) co_return settled.error();
    }
    if (rows->size() < page) co_return true;
  }
}

// Settles one written-through player: MariaDB's row stands; a dirty Redis
// copy (acknowledged, maybe never flushed) that differs is kept in
// players_superseded. The Redis copy is dropped, so the next load caches
// MariaDB's.
Task<Result<void>> DirtyPlayers::settle(RedisClient& shard, uint64_t player_id, int64_t written_at) {
  std::vector<uint64_t> ids{player_id};
  std::vector<std::string> dirty_args{"SISMEMBER", layout::kDirty, std::to_string(player_id)};
  auto dirty_pending = shard.command(dirty_args);
  auto dirty = co_await dirty_pending;
  if (!dirty) co_return dirty.error();
  auto cached = co_await readPlayers(shard, ids);
  if (!cached) co_return cached.error();
  std::optional<Player> redis_copy;
  if (dirty->integer == 1 && !cached->empty()) redis_copy = (*cached)[0];
  struct Outcome {
    std::optional<Player> superseded;
    uint64_t standing_version = 0;
  };
  std::function<Result<Outcome>(sql::Connection&)> job =
      [player_id, written_at, redis_copy](sql::Connection& conn) -> Result<Outcome> {
    Outcome out;
    if (redis_copy) {
      auto current = selectPlayer(conn, player_id);
      if (!current) return current.error();
      // The write-through came after the Redis copy became unreachable: it
      // is the later of the two, whatever their version numbers say (both
      // forks count from the same older MariaDB row).
      bool same = current->version() == redis_copy->version() && current->data() == redis_copy->data();
      out.standing_version = current->version();
      if (!same) out.superseded = *redis_copy;
    }
    auto done = settleWriteThrough(conn, WrittenThrough{player_id, written_at}, out.superseded, nowMs());
    if (!done) return done.error();
    return out;
  };
  auto pending = pool_.run<Outcome>(std::move(job));
  auto outcome = co_await pending;
  if (!outcome) co_return outcome.error();
  if (outcome->superseded) {
    superseded_.inc();
    if (auto note = log::throttle("superseded")) {
      log::warn("player {}: two acknowledged saves disagree (Redis's unflushed one and one written to MariaDB while "
                "Redis was unreachable); version {} stands, version {} is kept in players_superseded{}",
                player_id, outcome->standing_version, outcome->superseded->version(), *note);
    }
  }
  std::vector<std::string> drop{"2", layout::playerKey(player_id), layout::kDirty, std::to_string(player_id)};
  auto dropping = shard.eval(layout::kDrop, std::move(drop));
  auto dropped = co_await std::move(dropping);
  if (!dropped) co_return dropped.error();
  co_return Result<void>{};
}

}  // namespace polis::db
