#include "base/worker_pool.h"

#include "base/metrics.h"

namespace polis {

WorkerPool::WorkerPool(EventLoop& loop, std::string name, size_t threads, size_t max_queue)
    : loop_(loop), name_(std::move(name)), max_queue_(max_queue) {
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { workerMain(); });
  auto& r = metrics::Registry::global();
  r.callbackGauge("polis_worker_pool_queued", "Jobs waiting for a worker thread.", {{"pool", name_}},
                  [this] { return static_cast<double>(queued()); });
  r.callbackGauge("polis_worker_pool_running", "Jobs on a worker thread now.", {{"pool", name_}},
                  [this] { return static_cast<double>(running()); });
}

WorkerPool::~WorkerPool() {
  auto& r = metrics::Registry::global();
  r.removeCallbackGauge("polis_worker_pool_queued", {{"pool", name_}});
  r.removeCallbackGauge("polis_worker_pool_running", {{"pool", name_}});
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

size_t WorkerPool::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

size_t WorkerPool::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

Error WorkerPool::fullError() const {
  return Error{Errc::kUnavailable, name_ + " is busy: " + std::to_string(max_queue_) + " jobs are waiting already"};
}

bool WorkerPool::submit(Job job) {
  std::lock_guard lock(mutex_);
  if (queue_.size() >= max_queue_) return false;
  queue_.push_back(std::move(job));
  wake_.notify_one();
  return true;
}

void WorkerPool::workerMain() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    Job job = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    auto deliver = job();
    job = nullptr;  // what it captured goes on this thread, not under the lock
    loop_.post(std::move(deliver));
    lock.lock();
    --running_;
  }
}

}  // namespace polis
