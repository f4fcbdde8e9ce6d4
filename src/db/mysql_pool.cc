#include "db/mysql_pool.h"

#include <algorithm>

#include "base/log.h"
#include "base/log_throttle.h"
#include "base/metrics.h"

namespace polis::db {

struct MysqlPool::Worker {
  std::thread thread;
  std::unique_ptr<sql::Connection> conn;
  std::chrono::steady_clock::time_point next_attempt{};
  std::chrono::milliseconds backoff{100};
};

MysqlPool::MysqlPool(EventLoop& loop, MysqlConfig config) : loop_(loop), config_(std::move(config)) {
  initMysqlDriver();
  for (size_t i = 0; i < config_.workers; ++i) workers_.push_back(std::make_unique<Worker>());
  for (auto& w : workers_) w->thread = std::thread([this, worker = w.get()] { workerMain(*worker); });
  auto& r = metrics::Registry::global();
  r.callbackGauge("polis_db_mysql_queue_depth", "MariaDB jobs waiting for a worker.", {},
                  [this] { return static_cast<double>(queued()); });
  r.callbackGauge("polis_db_mysql_connected_workers", "Workers holding a live MariaDB connection.", {},
                  [this] { return static_cast<double>(connectedWorkers()); });
}

MysqlPool::~MysqlPool() {
  auto& r = metrics::Registry::global();
  r.removeCallbackGauge("polis_db_mysql_queue_depth", {});
  r.removeCallbackGauge("polis_db_mysql_connected_workers", {});
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_all();
  for (auto& w : workers_) w->thread.join();
}

size_t MysqlPool::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void MysqlPool::submit(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() < config_.max_queue) {
      queue_.push_back(std::move(job));
      wake_.notify_one();
      return;
    }
  }
  // Full: fail on a later turn, never inside the caller's own call.
  Error full{Errc::kUnavailable, "MariaDB work queue is full (" + std::to_string(config_.max_queue) + " jobs waiting)"};
  bool lost = false;
  auto deliver = job(nullptr, &full, lost);
  loop_.post(std::move(deliver));
}

// Connects when there is no connection and the backoff allows; false (with
// the reason) while disconnected.
bool MysqlPool::ensureConnected(Worker& w, Error& why) {
  if (w.conn) return true;
  auto now = std::chrono::steady_clock::now();
  if (now < w.next_attempt) {
    why = Error{Errc::kUnavailable, "MariaDB is unreachable (reconnecting)"};
    return false;
  }
  auto conn = connectMysql(config_);
  if (!conn) {
    why = conn.error();
    w.next_attempt = now + w.backoff;
    w.backoff = std::min(w.backoff * 2, config_.reconnect_max);
    if (auto note = log::throttle("mysql connect")) log::warn("{}; retrying{}", why.message, *note);
    return false;
  }
  if (w.backoff > std::chrono::milliseconds(100)) log::info("reconnected to MariaDB at {}:{}", config_.host, config_.port);
  w.conn = std::move(*conn);
  w.backoff = std::chrono::milliseconds(100);
  connected_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void MysqlPool::workerMain(Worker& w) {
  MysqlThreadScope thread_scope;
  Error ignored;
  ensureConnected(w, ignored);  // connect at start, so the first job does not wait for it
  while (true) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) break;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    Error why;
    bool lost = false;
    std::function<void()> deliver =
        ensureConnected(w, why) ? job(w.conn.get(), nullptr, lost) : job(nullptr, &why, lost);
    if (lost) {
      w.conn.reset();
      connected_.fetch_sub(1, std::memory_order_relaxed);
      if (auto note = log::throttle("mysql lost")) log::warn("lost the MariaDB connection; reconnecting{}", *note);
    }
    loop_.post(std::move(deliver));
  }
  if (w.conn) connected_.fetch_sub(1, std::memory_order_relaxed);
  w.conn.reset();
}

}  // namespace polis::db
