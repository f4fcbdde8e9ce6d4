// MysqlPool: a fixed set of worker threads, each owning one MariaDB
// connection. The event loop hands work to it and gets the result back on the
// loop thread (EventLoop::post): the loop never blocks on MySQL.
//
//   Result<int64_t> rows = co_await pool.run<int64_t>([](sql::Connection& c) -> Result<int64_t> { ... });
//
// A worker whose connection is lost reconnects with capped backoff
// (100 ms doubling to mysql.reconnect_max); while it is disconnected its jobs
// fail at once with kUnavailable rather than wait. An idle worker checks its
// connection every second and reconnects without waiting for a job, so
// connectedWorkers() is true without traffic. At most mysql.max_queue jobs
// wait; past that run() fails with kUnavailable.
//
// A replica pool (MysqlTarget::kReplica) connects to mysql.host:port like any
// other, but its sessions are read-only (a write fails inside MariaDB) and its
// gauges are polis_db_mysql_replica_*{replica="host:port"}.
//
// Threads: construct, run() and destroy on the loop thread. `work` runs on a
// worker thread and must touch nothing but its connection and what it
// captured by value. The destructor joins the workers; jobs still queued are
// dropped (their awaiting coroutines are cancelled at shutdown anyway).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <cppconn/connection.h>

#include "base/completion.h"
#include "base/event_loop.h"
#include "base/metrics.h"
#include "base/result.h"
#include "db/db_config.h"
#include "db/mysql_session.h"

namespace polis::db {

enum class MysqlTarget { kPrimary, kReplica };

class MysqlPool {
 public:
  MysqlPool(EventLoop& loop, MysqlConfig config, MysqlTarget target = MysqlTarget::kPrimary);
  ~MysqlPool();
  MysqlPool(const MysqlPool&) = delete;
  MysqlPool& operator=(const MysqlPool&) = delete;

  // A MariaDB exception thrown by `work` becomes its typed error (mysqlError).
  template <class T>
  Completion<Result<T>> run(std::function<Result<T>(sql::Connection&)> work) {
    auto [completion, deliver] = Completion<Result<T>>::make();
    submit([work = std::move(work), deliver = std::move(deliver)](sql::Connection* conn, const Error* failed,
                                                                   bool& lost) mutable {
      auto result = std::make_shared<Result<T>>(failed ? Result<T>(*failed) : guardedWork(work, *conn, lost));
      return std::function<void()>([deliver, result] { deliver(std::move(*result)); });
    });
    return std::move(completion);
  }

  size_t queued() const;
  size_t connectedWorkers() const { return connected_.load(std::memory_order_relaxed); }
  const std::string& address() const { return address_; }  // host:port

 private:
  // Runs on a worker with its connection (or the reason there is none) and
  // returns what to run on the loop thread.
  using Job = std::function<std::function<void()>(sql::Connection*, const Error*, bool& lost)>;
  struct Worker;

  template <class T>
  static Result<T> guardedWork(const std::function<Result<T>(sql::Connection&)>& work, sql::Connection& conn,
                               bool& lost) {
    try {
      return work(conn);
    } catch (const sql::SQLException& e) {
      lost = connectionLost(e);
      return mysqlError(e);
    } catch (const std::exception& e) {
      return Error{Errc::kInternal, std::string("database job failed: ") + e.what()};
    }
  }

  void submit(Job job);
  void workerMain(Worker& worker);
  bool ensureConnected(Worker& worker, Error& why);
  void checkIdle(Worker& worker);
  void dropConnection(Worker& worker);

  EventLoop& loop_;
  MysqlConfig config_;
  std::string address_;  // host:port, for logs and a replica's label
  bool read_only_;
  std::string gauge_prefix_;  // polis_db_mysql_ or polis_db_mysql_replica_
  metrics::Labels labels_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;  // guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_
  std::atomic<size_t> connected_{0};
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace polis::db
