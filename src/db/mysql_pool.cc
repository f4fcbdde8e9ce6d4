#include "db/mysql_pool.h"

#include <algorithm>
#include <optional>

#include "base/log.h"
#include "base/log_throttle.h"
#include "base/metrics.h"

namespace polis::db {
namespace {

// How often an idle worker checks its connection.
constexpr std::chrono::seconds kIdleCheck{1};

}  // namespace

struct MysqlPool::Worker {
  std::thread thread;
  std::unique_ptr<sql::Connection> conn;
  std::chrono::steady_clock::time_point next_attempt{};
  std::chrono::milliseconds backoff{100};
};

MysqlPool::MysqlPool(EventLoop& loop, MysqlConfig config, MysqlTarget target)
    : loop_(loop),
      config_(std::move(config)),
      address_(config_.host + ":" + std::to_string(config_.port)),
      read_only_(target == MysqlTarget::kReplica),
      gauge_prefix_(read_only_ ? "polis_db_mysql_replica_" : "polis_db_mysql_") {
  if (read_only_) labels_ = {{"replica", address_}};
  initMysqlDriver();
  for (size_t i = 0; i < config_.workers; ++i) workers_.push_back(std::make_unique<Worker>());
  for (auto& w : workers_) w->thread = std::thread([this, worker = w.get()] { workerMain(*worker); });
  auto& r = metrics::Registry::global();
  r.callbackGauge(gauge_prefix_ + "queue_depth", "MariaDB jobs waiting for a worker.", labels_,
                  [this] { return static_cast<double>(queued()); });
  r.callbackGauge(gauge_prefix_ + "connected_workers", "Workers holding a live MariaDB connection.", labels_,
                  [this] { return static_cast<double>(connectedWorkers()); });
}

MysqlPool::~MysqlPool() {
  auto& r = metrics::Registry::global();
  r.removeCallbackGauge(gauge_prefix_ + "queue_depth", labels_);
  r.removeCallbackGauge(gauge_prefix_ + "connected_workers", labels_);
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
  auto conn = connectMysql(config_, read_only_);
  if (!conn) {
    why = conn.error();
    w.next_attempt = std::chrono::steady_clock::now() + w.backoff;  // after the attempt, which may have taken a while
    w.backoff = std::min(w.backoff * 2, config_.reconnect_max);
    if (auto note = log::throttle("mysql connect " + address_)) {
      log::warn("{}; retrying{}", why.message, *note);
    }
    return false;
  }
  if (w.backoff > std::chrono::milliseconds(100)) log::info("reconnected to MariaDB at {}", address_);
  w.conn = std::move(*conn);
  w.backoff = std::chrono::milliseconds(100);
  connected_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void MysqlPool::dropConnection(Worker& w) {
  w.conn.reset();
  connected_.fetch_sub(1, std::memory_order_relaxed);
  if (auto note = log::throttle("mysql lost " + address_)) {
    log::warn("lost the MariaDB connection to {}; reconnecting{}", address_, *note);
  }
}

// No job came: reconnect when the backoff allows, or ping the connection so
// that a server gone quiet is noticed before a job needs it.
void MysqlPool::checkIdle(Worker& w) {
  Error ignored;
  if (!w.conn) {
    ensureConnected(w, ignored);
    return;
  }
  bool alive = false;
  try {
    alive = w.conn->isValid();
  } catch (const sql::SQLException&) {
  }
  if (!alive) dropConnection(w);
}

void MysqlPool::workerMain(Worker& w) {
  MysqlThreadScope thread_scope;
  Error ignored;
  ensureConnected(w, ignored);  // connect at start, so the first job does not wait for it
  while (true) {
    std::optional<Job> job;
    {
      std::unique_lock lock(mutex_);
      auto idle_until = w.conn ? std::chrono::steady_clock::now() + kIdleCheck : w.next_attempt;
      wake_.wait_until(lock, idle_until, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) break;
      if (!queue_.empty()) {
        job = std::move(queue_.front());
        queue_.pop_front();
      }
    }
    if (!job) {
      checkIdle(w);
      continue;
    }
    Error why;
    bool lost = false;
    std::function<void()> deliver =
        ensureConnected(w, why) ? (*job)(w.conn.get(), nullptr, lost) : (*job)(nullptr, &why, lost);
    if (lost) dropConnection(w);
    loop_.post(std::move(deliver));
  }
  if (w.conn) connected_.fetch_sub(1, std::memory_order_relaxed);
  w.conn.reset();
}

}  // namespace polis::db
