// ReplicaReads: where a read runs. A read whose caller accepts a stale
// answer (allow_stale) goes to a read replica (db.mysql.replicas), taken in
// turn; every other read goes to the primary.
//
// Each replica has its own MysqlPool (db.mysql.replica_workers threads,
// read-only sessions). A replica none of whose workers holds a connection is
// skipped. A stale read the chosen replica cannot answer (its connection
// lost, any MariaDB error) is asked of the primary, as is every stale read
// while no replica is connected: a replica that is down never fails a read.
// Running a read twice is harmless; that is why only reads come here.
//
// Threads: construct, read() and destroy on the loop thread; the jobs run on
// the pools' workers. Owns the replica pools; borrows the primary's, which
// must outlive it.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "base/metrics.h"
#include "base/task.h"
#include "db/db_config.h"
#include "db/mysql_pool.h"

namespace polis::db {

class ReplicaReads {
 public:
  ReplicaReads(EventLoop& loop, MysqlPool& primary, const MysqlConfig& config);
  ~ReplicaReads();
  ReplicaReads(const ReplicaReads&) = delete;
  ReplicaReads& operator=(const ReplicaReads&) = delete;

  // `job` must only read. not_found from a replica is its answer (it may not
  // have the row yet); any other error sends the job to the primary.
  template <class T>
  Task<Result<T>> read(std::function<Result<T>(sql::Connection&)> job, bool allow_stale) {
    Replica* replica = allow_stale ? pick() : nullptr;
    if (replica) {
      std::function<Result<T>(sql::Connection&)> copy = job;
      auto asking = replica->pool->run<T>(std::move(copy));
      auto answer = co_await asking;
      if (answer || answer.error().code == Errc::kNotFound) {
        replica->served->inc();
        co_return answer;
      }
      noteFailure(*replica, answer.error());
    }
    if (allow_stale && !replicas_.empty()) fallbacks_.inc();
    auto asking = primary_.run<T>(std::move(job));
    auto answer = co_await asking;
    co_return answer;
  }

 private:
  struct Replica {
    std::unique_ptr<MysqlPool> pool;
    metrics::Counter* served;
  };

  Replica* pick();  // the next replica with a connected worker, or null
  void noteFailure(const Replica& replica, const Error& error);

  MysqlPool& primary_;
  std::vector<Replica> replicas_;  // fixed after construction: read() holds pointers across awaits
  size_t next_ = 0;
  metrics::Counter& fallbacks_;
};

}  // namespace polis::db
