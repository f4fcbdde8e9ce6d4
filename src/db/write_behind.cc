#include "db/write_behind.h"

#include <algorithm>
#include <charconv>

#include "base/log.h"
#include "base/log_throttle.h"
#include "base/sleep.h"
#include "db/player_rows.h"
#include "db/redis_layout.h"

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

// A player as `GET polis:player:<id>` returns it; nullopt when absent or damaged.
std::optional<Player> playerFromReply(const RedisReply& reply, uint64_t id) {
  if (reply.type != RedisReply::Type::kString) return std::nullopt;
  return layout::unpackPlayer(reply.str, id);
}

WriteBehind::WriteBehind(EventLoop& loop, MysqlPool& pool, std::vector<RedisClient*> shards,
                         std::function<size_t(uint64_t)> shard_of, WriteBehindConfig config)
    : loop_(loop), pool_(pool), shards_(std::move(shards)), shard_of_(std::move(shard_of)),
      reconciled_(shards_.size(), 0), write_throughs_started_(shards_.size(), 0),
      write_throughs_running_(shards_.size(), 0), config_(config),
      rows_(metrics::Registry::global().counter("polis_db_flush_rows_total", "Players written to MariaDB by write-behind.")),
      batches_(metrics::Registry::global().counter("polis_db_flush_batches_total", "Write-behind batches written to MariaDB.")),
      failures_(metrics::Registry::global().counter("polis_db_flush_failures_total",
                                                    "Write-behind batches that failed (they are retried).")),
      latency_(metrics::Registry::global().histogram("polis_db_flush_latency_seconds",
                                                     "Time to write one write-behind batch to MariaDB.")),
      superseded_(metrics::Registry::global().counter(
          "polis_db_superseded_total",
          "Unflushed Redis saves replaced by a save made while Redis was unreachable (kept in players_superseded).")) {
  metrics::Registry::global().callbackGauge("polis_db_dirty_backlog",
                                            "Players newer in Redis than in MariaDB, at the last pass.", {},
                                            [this] { return static_cast<double>(backlog_); });
}

WriteBehind::~WriteBehind() { metrics::Registry::global().removeCallbackGauge("polis_db_dirty_backlog", {}); }

void WriteBehind::start() { spawn(loop()); }

Task<void> WriteBehind::loop() {
  while (true) {
    co_await pass();
    // A shard not served yet (connecting, or just connected) is looked at
    // again soon: reconciled and served at once, not a whole interval later.
    bool waiting = false;
    for (size_t i = 0; i < shards_.size(); ++i) waiting |= !serving(i);
    auto pause = sleepFor(loop_, waiting ? std::chrono::milliseconds(20) : config_.interval);
    co_await pause;
  }
}

Task<bool> WriteBehind::pass() {
  bool ok = true;
  size_t backlog = 0;
  for (size_t i = 0; i < shards_.size(); ++i) {
    RedisClient* shard = shards_[i];
    if (!shard->connected()) continue;
    uint64_t generation = shard->generation();
    uint64_t started = write_throughs_started_[i];
    auto settled = co_await reconcile(i);
    if (!settled) {
      failures_.inc();
      if (auto note = log::throttle("flush failed")) {
        log::warn("write-behind: cannot reach MariaDB for shard {} (dirty players kept dirty, retried): {}{}",
                  shard->endpoint().str(), settled.error().describe(), *note);
      }
      ok = false;
      continue;
    }
    // A write-through that started or still runs may add a row the scan did
    // not see: serve only after a pass that none overlapped.
    bool quiet = write_throughs_running_[i] == 0 && write_throughs_started_[i] == started;
    if (*settled && quiet && shard->connected() && shard->generation() == generation) reconciled_[i] = generation;
    size_t remaining = 0, first_count = 0;
    // Whole batches until the shard is clean (a backlog drains at MariaDB's
    // pace), but no more batches than the backlog had at the start: players
    // saved during the pass wait for the next one, and other shards get their turn.
    for (size_t batches = 0;; ++batches) {
      auto flushed = co_await flushBatch(*shard, remaining);
      if (!flushed) {
        ok = false;
        break;
      }
      if (batches == 0) first_count = remaining;
      if (*flushed < config_.batch || batches > first_count / config_.batch) break;
    }
    backlog += first_count;
  }
  backlog_ = backlog;
  co_return ok;
}

Task<Result<std::vector<Player>>> WriteBehind::readPlayers(RedisClient& shard, const std::vector<uint64_t>& ids) {
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

Task<Result<size_t>> WriteBehind::flushBatch(RedisClient& shard, size_t& remaining) {
  std::vector<std::string> count_args{"SCARD", layout::kDirty};
  auto count_pending = shard.command(count_args);
  auto count = co_await count_pending;
  if (!count) co_return count.error();
  remaining = static_cast<size_t>(count->integer);
  if (remaining == 0) co_return size_t{0};
  std::vector<std::string> args{"SRANDMEMBER", layout::kDirty, std::to_string(config_.batch)};
  auto members_pending = shard.command(args);
  auto members = co_await members_pending;
  if (!members) co_return members.error();
  std::vector<uint64_t> ids;
  for (const auto& m : members->elements) {
    if (auto id = parseId(m.str)) ids.push_back(*id);
  }
  auto rows = co_await readPlayers(shard, ids);
  if (!rows) co_return rows.error();
  size_t n = ids.size();
  auto written = co_await flushRows(shard, std::move(*rows));
  if (!written) co_return written.error();
  co_return n;
}

Task<Result<void>> WriteBehind::flushRows(RedisClient& shard, std::vector<Player> rows) {
  if (rows.empty()) co_return Result<void>{};
  auto started = std::chrono::steady_clock::now();
  auto shared_rows = std::make_shared<std::vector<Player>>(std::move(rows));
  std::function<Result<int64_t>(sql::Connection&)> job = [shared_rows](sql::Connection& conn) {
    return upsertPlayers(conn, *shared_rows);
  };
  auto pending = pool_.run<int64_t>(std::move(job));
  auto written = co_await pending;
  if (!written) {
    failures_.inc();
    if (auto note = log::throttle("flush failed")) {
      log::warn("write-behind: {} players not written to MariaDB (kept dirty, retried): {}{}", shared_rows->size(),
                written.error().describe(), *note);
    }
    co_return written.error();
  }
  latency_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  batches_.inc();
  rows_.inc(shared_rows->size());
  std::vector<Completion<Result<RedisReply>>> cleans;
  std::vector<std::vector<std::string>> rests;
  cleans.reserve(shared_rows->size());
  for (const Player& p : *shared_rows) {
    rests.push_back({"2", layout::playerKey(p.player_id()), layout::kDirty, std::to_string(p.version()),
                     std::to_string(p.player_id())});
    cleans.push_back(shard.command(shard.evalShaArgs(layout::kClean, rests.back())));  // pipelined
  }
  for (size_t i = 0; i < cleans.size(); ++i) {
    auto r = co_await cleans[i];
    if (!r && RedisClient::isNoScript(r.error())) {  // Redis restarted and forgot the script
      auto again = shard.eval(layout::kClean, rests[i]);
      r = co_await std::move(again);
    }
    if (!r) co_return r.error();  // still dirty: flushed again next pass, harmlessly
  }
  co_return Result<void>{};
}

Task<Result<void>> WriteBehind::flushOne(RedisClient& shard, uint64_t player_id) {
  std::vector<uint64_t> ids{player_id};
  auto rows = co_await readPlayers(shard, ids);
  if (!rows) co_return rows.error();
  if (rows->empty()) co_return Error{Errc::kNotFound, "player " + std::to_string(player_id) + " is not in Redis"};
  auto written = co_await flushRows(shard, std::move(*rows));
  co_return written;
}

Task<Result<bool>> WriteBehind::reconcile(size_t i) {
  uint64_t after = 0;
  while (true) {
    size_t page = config_.batch;
    std::function<Result<std::vector<WrittenThrough>>(sql::Connection&)> job =
        [after, page](sql::Connection& conn) -> Result<std::vector<WrittenThrough>> {
      return writtenThrough(conn, after, page);
    };
    auto pending = pool_.run<std::vector<WrittenThrough>>(std::move(job));
    auto rows = co_await pending;
    if (!rows) co_return rows.error();
    for (const auto& w : *rows) {
      after = w.player_id;
      if (shard_of_(w.player_id) != i) continue;
      auto settled = co_await settle(*shards_[i], w.player_id, w.written_at);
      if (!settled) co_return settled.error();
    }
    if (rows->size() < page) co_return true;
  }
}

// Settles one written-through player: MariaDB's row stands; a dirty Redis
// copy (acknowledged, maybe never flushed) that differs is kept in
// players_superseded. The Redis copy is dropped, so the next load caches
// MariaDB's.
Task<Result<void>> WriteBehind::settle(RedisClient& shard, uint64_t player_id, int64_t written_at) {
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
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch()).count();
    auto done = settleWriteThrough(conn, WrittenThrough{player_id, written_at}, out.superseded, now);
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

void WriteBehind::drain(std::function<void()> done) { spawn(drainAll(std::move(done))); }

Task<void> WriteBehind::drainAll(std::function<void()> done) {
  draining_ = true;
  log::info("write-behind: flushing every dirty player before exit");
  while (true) {
    bool ok = co_await pass();
    if (ok && backlog_ == 0) break;
    auto pause = sleepFor(loop_, std::chrono::milliseconds(50));
    co_await pause;
  }
  log::info("write-behind: clean");
  done();
}

}  // namespace polis::db
