// WriteBehind: moves dirty records from Redis to MariaDB, for every kind of
// record kept that way (players, leaderboard scores: each a DirtyKind).
//
// Every db node runs it for every shard, every db.flush.interval: for each
// kind, take up to db.flush.batch members of the kind's dirty set, and let
// the kind write them to MariaDB in one statement (a row replaces MariaDB's
// only when its version is higher) and drop each member from the dirty set
// only if its version is still the one written. So any number of db nodes
// may flush the same record at once: the highest version wins in MariaDB,
// and a record changed again meanwhile stays dirty for the next pass. The
// dirty sets live in Redis: a db node killed mid-flush leaves them for the
// next node. On drain it flushes until every reachable shard is clean
// (bounded by the node's drain timeout).
//
// Redis coming back: writes made while a shard was unreachable went straight
// to MariaDB and were recorded there. Before this node serves a shard again
// after a (re)connect, each pass lets every kind reconcile those records
// (DirtyKind::reconcile). A shard is served again only once a reconciliation
// pass saw no write-through start or run on this node (writes to a shard
// being reconciled wait for it; see PlayerStore::save).
// Threads: loop-thread only.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/event_loop.h"
#include "base/metrics.h"
#include "base/task.h"
#include "db/db_config.h"
#include "db/redis_shards.h"

namespace polis::db {

// One kind of record kept in Redis and written behind to MariaDB.
class DirtyKind {
 public:
  virtual ~DirtyKind() = default;
  virtual std::string_view name() const = 0;  // "players", "scores": metric label and logs
  virtual const char* dirtySet() const = 0;   // the Redis set of dirty members, on every shard
  // Reads `members` from `shard`, writes their records to MariaDB in one
  // batch, then marks clean each one not changed since. Returns how many
  // records were written (a member whose record is gone is only marked clean).
  virtual Task<Result<size_t>> flush(RedisClient& shard, std::vector<std::string> members) = 0;
  // Settles this kind's writes made straight to MariaDB while shard `i` was
  // unreachable; true when none is left.
  virtual Task<Result<bool>> reconcile(size_t i) = 0;
  // Once per pass on a served shard: housekeeping (default none).
  virtual Task<void> tidy(RedisClient& shard);
};

class WriteBehind {
 public:
  WriteBehind(EventLoop& loop, RedisShards& shards, std::vector<DirtyKind*> kinds, WriteBehindConfig config);
  ~WriteBehind();

  void start();
  // Flushes records now (a durable write); ok once MariaDB has their current
  // versions. not_found when none of them is in Redis.
  Task<Result<void>> flushNow(DirtyKind& kind, RedisClient& shard, std::vector<std::string> members);
  // For Node::onDrain: flush until clean, then `done`.
  void drain(std::function<void()> done);

  // True when shard `i` is connected and reconciled since it last connected:
  // only then may its Redis copies be read and written.
  bool serving(size_t i) const { return shards_.at(i).connected() && reconciled_[i] == shards_.at(i).generation(); }
  // Stores bracket every write-through to MariaDB for shard `i` with these.
  void writeThroughStarted(size_t i) {
    ++write_throughs_started_[i];
    ++write_throughs_running_[i];
  }
  void writeThroughFinished(size_t i) { --write_throughs_running_[i]; }

 private:
  struct KindState {
    DirtyKind* kind;
    size_t backlog = 0;  // dirty members seen by the last pass, all shards
    metrics::Counter* rows;
    metrics::Counter* batches;
    metrics::Counter* failures;
    metrics::Histogram* latency;
    metrics::Histogram* batch_size;
  };

  Task<void> loop();
  Task<void> drainAll(std::function<void()> done);
  // One pass over every connected shard; false if any part failed.
  Task<bool> pass();
  // Reconciles and flushes shard `i`, adding each kind's dirty count to `backlog`.
  Task<bool> passShard(size_t i, std::vector<size_t>& backlog);
  // Flushes one batch of `state`'s dirty members on `shard`: how many, or
  // the error; `remaining` is the dirty set's size before the batch.
  Task<Result<size_t>> flushBatch(KindState& state, RedisClient& shard, size_t& remaining);
  Task<Result<size_t>> timedFlush(KindState& state, RedisClient& shard, std::vector<std::string> members);
  KindState& stateOf(const DirtyKind& kind);

  EventLoop& loop_;
  RedisShards& shards_;
  std::vector<KindState> kinds_;
  std::vector<uint64_t> reconciled_;  // per shard: the connection generation last reconciled
  std::vector<uint64_t> write_throughs_started_;
  std::vector<uint64_t> write_throughs_running_;
  WriteBehindConfig config_;
};

}  // namespace polis::db
