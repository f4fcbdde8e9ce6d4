#include "db/write_behind.h"

#include "base/log.h"
#include "base/log_throttle.h"
#include "base/sleep.h"

namespace polis::db {

Task<void> DirtyKind::tidy(RedisClient&) { co_return; }

WriteBehind::WriteBehind(EventLoop& loop, RedisShards& shards, std::vector<DirtyKind*> kinds, WriteBehindConfig config)
    : loop_(loop), shards_(shards), reconciled_(shards.size(), 0), write_throughs_started_(shards.size(), 0),
      write_throughs_running_(shards.size(), 0), config_(config) {
  auto& m = metrics::Registry::global();
  for (DirtyKind* kind : kinds) {
    metrics::Labels l{{"kind", std::string(kind->name())}};
    kinds_.push_back(KindState{
        kind, 0, &m.counter("polis_db_flush_rows_total", "Records written to MariaDB by write-behind.", l),
        &m.counter("polis_db_flush_batches_total", "Write-behind batches written to MariaDB.", l),
        &m.counter("polis_db_flush_failures_total", "Write-behind batches or reconciliations that failed (retried).", l),
        &m.histogram("polis_db_flush_latency_seconds", "Time to write one write-behind batch to MariaDB.", l),
        &m.histogram("polis_db_flush_batch_size", "Records in one write-behind batch.", l,
                     {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000})});
  }
  for (auto& state : kinds_) {
    m.callbackGauge("polis_db_dirty_backlog", "Records newer in Redis than in MariaDB, at the last pass.",
                    {{"kind", std::string(state.kind->name())}},
                    [s = &state] { return static_cast<double>(s->backlog); });
  }
}

WriteBehind::~WriteBehind() {
  for (auto& state : kinds_) {
    metrics::Registry::global().removeCallbackGauge("polis_db_dirty_backlog",
                                                    {{"kind", std::string(state.kind->name())}});
  }
}

void WriteBehind::start() { spawn(loop()); }

WriteBehind::KindState& WriteBehind::stateOf(const DirtyKind& kind) {
  for (auto& s : kinds_) {
    if (s.kind == &kind) return s;
  }
  abort();  // a kind this engine was not built with: a wiring bug
}

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
  std::vector<size_t> backlog(kinds_.size(), 0);  // local: a drain's pass may overlap the loop's
  bool ok = true;
  for (size_t i = 0; i < shards_.size(); ++i) {
    if (!shards_.at(i).connected()) continue;
    ok &= co_await passShard(i, backlog);
  }
  for (size_t k = 0; k < kinds_.size(); ++k) kinds_[k].backlog = backlog[k];
  co_return ok;
}

Task<bool> WriteBehind::passShard(size_t i, std::vector<size_t>& backlog) {
  RedisClient& shard = shards_.at(i);
  uint64_t generation = shard.generation();
  uint64_t started = write_throughs_started_[i];
  bool settled = true;
  for (auto& state : kinds_) {
    auto done = co_await state.kind->reconcile(i);
    if (done) {
      settled &= *done;
      continue;
    }
    state.failures->inc();
    if (auto note = log::throttle("flush failed")) {
      log::warn("write-behind: cannot reconcile {} of shard {} with MariaDB (kept dirty, retried): {}{}",
                state.kind->name(), shard.endpoint().str(), done.error().describe(), *note);
    }
    co_return false;
  }
  // A write-through that started or still runs may add a row the scan did
  // not see: serve only after a pass that none overlapped.
  bool quiet = write_throughs_running_[i] == 0 && write_throughs_started_[i] == started;
  if (settled && quiet && shard.connected() && shard.generation() == generation) reconciled_[i] = generation;
  bool ok = true;
  for (size_t k = 0; k < kinds_.size(); ++k) {
    size_t remaining = 0, first_count = 0;
    // Whole batches until the shard is clean (a backlog drains at MariaDB's
    // pace), but no more batches than the backlog had at the start: records
    // changed during the pass wait for the next one, and others get their turn.
    for (size_t batches = 0;; ++batches) {
      auto flushed = co_await flushBatch(kinds_[k], shard, remaining);
      if (!flushed) {
        ok = false;
        break;
      }
      if (batches == 0) first_count = remaining;
      if (*flushed < config_.batch || batches > first_count / config_.batch) break;
    }
    backlog[k] += first_count;
    if (ok && serving(i)) co_await kinds_[k].kind->tidy(shard);
  }
  co_return ok;
}

Task<Result<size_t>> WriteBehind::flushBatch(KindState& state, RedisClient& shard, size_t& remaining) {
  std::vector<std::string> count_args{"SCARD", state.kind->dirtySet()};
  auto count_pending = shard.command(count_args);
  auto count = co_await count_pending;
  if (!count) co_return count.error();
  remaining = static_cast<size_t>(count->integer);
  if (remaining == 0) co_return size_t{0};
  std::vector<std::string> args{"SRANDMEMBER", state.kind->dirtySet(), std::to_string(config_.batch)};
  auto members_pending = shard.command(args);
  auto members = co_await members_pending;
  if (!members) co_return members.error();
  std::vector<std::string> names;
  names.reserve(members->elements.size());
  for (auto& m : members->elements) names.push_back(std::move(m.str));
  size_t n = names.size();
  auto written = co_await timedFlush(state, shard, std::move(names));
  if (!written) co_return written.error();
  co_return n;
}

Task<Result<size_t>> WriteBehind::timedFlush(KindState& state, RedisClient& shard, std::vector<std::string> members) {
  auto started = std::chrono::steady_clock::now();
  size_t n = members.size();
  auto written = co_await state.kind->flush(shard, std::move(members));
  if (!written) {
    state.failures->inc();
    if (auto note = log::throttle("flush failed")) {
      log::warn("write-behind: {} {} not written to MariaDB (kept dirty, retried): {}{}", n, state.kind->name(),
                written.error().describe(), *note);
    }
    co_return written;
  }
  if (*written > 0) {
    state.latency->observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    state.batches->inc();
    state.rows->inc(*written);
    state.batch_size->observe(static_cast<double>(*written));
  }
  co_return written;
}

Task<Result<void>> WriteBehind::flushNow(DirtyKind& kind, RedisClient& shard, std::vector<std::string> members) {
  auto written = co_await timedFlush(stateOf(kind), shard, std::move(members));
  if (!written) co_return written.error();
  if (*written == 0) co_return Error{Errc::kNotFound, std::string("no such ") + std::string(kind.name()) + " in Redis"};
  co_return Result<void>{};
}

void WriteBehind::drain(std::function<void()> done) { spawn(drainAll(std::move(done))); }

Task<void> WriteBehind::drainAll(std::function<void()> done) {
  log::info("write-behind: flushing every dirty record before exit");
  while (true) {
    bool ok = co_await pass();
    bool clean = true;
    for (const auto& state : kinds_) clean &= state.backlog == 0;
    if (ok && clean) break;
    auto pause = sleepFor(loop_, std::chrono::milliseconds(50));
    co_await pause;
  }
  log::info("write-behind: clean");
  done();
}

}  // namespace polis::db
