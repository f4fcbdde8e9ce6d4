#include "db/player_store.h"

#include <chrono>

#include "base/sleep.h"
#include "db/player_rows.h"
#include "db/redis_layout.h"
#include "db/sql.h"

namespace polis::db {
namespace {

namespace layout = redis_layout;

constexpr auto kServeWait = std::chrono::seconds(1);

}  // namespace

PlayerStore::PlayerStore(EventLoop& loop, MysqlPool& pool, RedisShards& shards, WriteBehind& write_behind,
                         DirtyPlayers& dirty, const DbConfig& config)
    : loop_(loop), pool_(pool), max_bytes_(config.max_player_bytes), max_backlog_(config.flush.max_backlog),
      shards_(shards), write_behind_(write_behind), dirty_(dirty),
      hits_(metrics::Registry::global().counter("polis_db_cache_hits_total", "Player loads answered from Redis.")),
      misses_(metrics::Registry::global().counter("polis_db_cache_misses_total",
                                                  "Player loads that went to MariaDB (not cached, or Redis down).")),
      write_throughs_(metrics::Registry::global().counter(
          "polis_db_write_through_total", "Player saves written straight to MariaDB while their Redis shard was down.")) {}

Task<Result<Player>> PlayerStore::loadFromMysql(uint64_t player_id) {
  std::function<Result<Player>(sql::Connection&)> job = [player_id](sql::Connection& conn) {
    return selectPlayer(conn, player_id);
  };
  auto pending = pool_.run<Player>(std::move(job));
  auto player = co_await pending;
  co_return player;
}

// Best effort: a copy that could not be cached is simply read from MariaDB again.
Task<void> PlayerStore::cache(RedisClient& shard, Player p) {
  if (!shard.connected()) co_return;
  std::vector<std::string> args{"1", layout::playerKey(p.player_id()), std::to_string(p.version()),
                                layout::packPlayer(p)};
  auto filling = shard.eval(layout::kFill, std::move(args));
  auto filled = co_await std::move(filling);
  (void)filled;
}

// Redis shard unreachable (or not yet reconciled): the save goes to MariaDB,
// version-checked against MariaDB's row. That makes it durable as well.
Task<Result<uint64_t>> PlayerStore::writeThrough(SavePlayerReq req) {
  uint64_t id = req.player_id(), expected = req.expected_version();
  size_t shard = shards_.ofPlayer(id);
  write_behind_.writeThroughStarted(shard);
  std::string data = req.data();
  int64_t now = nowMs();
  std::function<Result<uint64_t>(sql::Connection&)> job = [id, expected, data, now](sql::Connection& conn) {
    return db::writeThrough(conn, id, expected, data, now);
  };
  auto pending = pool_.run<uint64_t>(std::move(job));
  auto saved = co_await pending;
  write_behind_.writeThroughFinished(shard);
  if (saved) write_throughs_.inc();
  co_return saved;
}

Task<Result<Player>> PlayerStore::create(CreatePlayerReq req) {
  if (req.player_id() == 0) co_return Error{Errc::kInvalidArgument, "player_id must not be 0"};
  if (req.data().size() > max_bytes_) {
    co_return Error{Errc::kInvalidArgument, "player data has at most " + std::to_string(max_bytes_) + " bytes"};
  }
  Player p;
  p.set_player_id(req.player_id());
  p.set_account_id(req.account_id());
  p.set_version(1);
  p.set_data(req.data());
  p.set_updated_at_ms(nowMs());
  std::function<Result<Player>(sql::Connection&)> job = [p](sql::Connection& conn) { return insertPlayer(conn, p); };
  auto pending = pool_.run<Player>(std::move(job));
  auto created = co_await pending;
  if (!created) co_return created;
  if (serving(p.player_id())) co_await cache(shardOf(p.player_id()), p);
  co_return created;
}

Task<Result<Player>> PlayerStore::load(uint64_t player_id) {
  if (player_id == 0) co_return Error{Errc::kInvalidArgument, "player_id must not be 0"};
  RedisClient& shard = shardOf(player_id);
  bool use_redis = serving(player_id);
  if (use_redis) {
    std::vector<std::string> args{"GET", layout::playerKey(player_id)};
    auto pending = shard.command(args);
    auto reply = co_await pending;
    if (reply) {
      if (auto cached = playerFromReply(*reply, player_id)) {
        hits_.inc();
        co_return *cached;
      }
    }
  }
  misses_.inc();
  auto player = co_await loadFromMysql(player_id);
  if (player && use_redis) co_await cache(shard, *player);
  co_return player;
}

Task<Result<uint64_t>> PlayerStore::save(SavePlayerReq req) {
  uint64_t id = req.player_id();
  if (id == 0) co_return Error{Errc::kInvalidArgument, "player_id must not be 0"};
  if (req.data().size() > max_bytes_) {
    co_return Error{Errc::kInvalidArgument, "player data has at most " + std::to_string(max_bytes_) + " bytes"};
  }
  RedisClient& shard = shardOf(id);
  // A shard that is connected but being reconciled (or not connected yet at
  // start) is waited for, briefly: writing through then would keep the
  // reconciliation from ever finishing. A shard that went down is written
  // through at once.
  auto wait_until = std::chrono::steady_clock::now() + kServeWait;
  while (!serving(id) && (shard.connected() || shard.generation() == 0) &&
         std::chrono::steady_clock::now() < wait_until) {
    auto pause = sleepFor(loop_, std::chrono::milliseconds(5));
    co_await pause;
  }
  if (!serving(id)) {
    auto through = co_await writeThrough(std::move(req));
    co_return through;
  }
  uint64_t saved = 0;
  for (int attempt = 0; attempt < 2 && saved == 0; ++attempt) {
    std::vector<std::string> args{"2", layout::playerKey(id), layout::kDirty, std::to_string(req.expected_version()),
                                  req.data(), std::to_string(nowMs()), std::to_string(id),
                                  std::to_string(max_backlog_)};
    auto saving = shard.eval(layout::kSave, std::move(args));
    auto reply = co_await std::move(saving);
    if (!reply) co_return reply.error();
    if (reply->elements.size() != 2) co_return Error{Errc::kInternal, "unexpected reply from the save script"};
    int64_t status = reply->elements[0].integer, version = reply->elements[1].integer;
    if (status == 1) {
      saved = static_cast<uint64_t>(version);
    } else if (status == -2) {
      co_return Error{Errc::kUnavailable, "the write-behind backlog is full: " + std::to_string(version) +
                                              " players are not in MariaDB yet (db.flush.max_backlog); "
                                              "is MariaDB down? saves resume when it catches up"};
    } else if (status == 0) {
      co_return Error{Errc::kVersionConflict, "player " + std::to_string(id) + " is at version " +
                                                  std::to_string(version) + ", not " +
                                                  std::to_string(req.expected_version()) + ": reload and retry"};
    } else {
      auto loaded = co_await load(id);  // not cached: bring it in, then try again
      if (!loaded) co_return loaded.error();
    }
  }
  if (saved == 0) co_return Error{Errc::kUnavailable, "player " + std::to_string(id) + " could not be cached"};
  if (req.durable()) {
    std::vector<std::string> member{std::to_string(id)};
    auto flushing = write_behind_.flushNow(dirty_, shard, std::move(member));
    auto flushed = co_await std::move(flushing);
    if (!flushed) {
      // Applied in Redis and dirty: it reaches MariaDB later. The caller
      // learns only that durability is not confirmed.
      co_return Error{flushed.error().code, "saved as version " + std::to_string(saved) +
                                                " but not confirmed in MariaDB: " + flushed.error().message};
    }
  }
  co_return saved;
}

}  // namespace polis::db
