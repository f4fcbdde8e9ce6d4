// Prometheus-style metrics: counters, gauges and histograms in a registry that
// renders the text exposition format (0.0.4) for the ops port's /metrics.
//
// Threads: every method is safe from any thread. Registration takes the
// registry's mutex; do it once and keep the returned reference (it stays
// valid for the registry's life). Updating a metric is lock-free (relaxed
// atomics), so several event loops can count on the hot path.
//
// Registering a name again with the same labels returns the same object.
// Registering it as a different type, with invalid names, or a histogram with
// different buckets is a programming error and aborts.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace polis::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `bounds` are the buckets' upper bounds, strictly increasing; +Inf is implied.
  explicit Histogram(std::vector<double> bounds);

  void observe(double value);
  uint64_t count() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative counts, one per bound plus the +Inf bucket last. Concurrent
  // observations may land between reads; each count is still a true snapshot.
  std::vector<uint64_t> cumulativeCounts() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // per bucket, not cumulative
  std::atomic<double> sum_{0};
};

// Upper bounds in seconds from 50 microseconds to 10 seconds.
std::vector<double> latencyBuckets();

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // The process-wide registry; never destroyed, so metrics outlive static destructors.
  static Registry& global();

  Counter& counter(std::string_view name, std::string_view help, Labels labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, Labels labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, Labels labels = {},
                       std::vector<double> buckets = latencyBuckets());
  // `read` runs at scrape time on the scraping thread, under the registry's
  // lock: it must not register metrics. Registering again replaces it.
  void callbackGauge(std::string_view name, std::string_view help, Labels labels,
                     std::function<double()> read);
  // Drops a callback gauge, e.g. before the object its callback reads is destroyed.
  void removeCallbackGauge(std::string_view name, const Labels& labels);

  std::string renderPrometheus() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Family;
  struct Series;
  Family& family(std::string_view name, std::string_view help, Type type);
  Series& series(Family& family, Labels labels);

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Family>, std::less<>> families_;  // sorted: stable output
};

}  // namespace polis::metrics
