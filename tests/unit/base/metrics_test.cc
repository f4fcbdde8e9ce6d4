#include "base/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace polis::metrics {
namespace {

TEST(Metrics, RendersExactExpositionText) {
  Registry registry;
  registry.counter("polis_requests_total", "Requests served.", {{"role", "lobby"}}).inc(3);
  registry.gauge("polis_players", "Players online.").set(12.5);
  registry.callbackGauge("polis_loop_lag_seconds", "Loop lag.", {{"loop", "0"}}, [] { return 0.25; });
  Histogram& latency = registry.histogram("polis_rpc_seconds", "RPC latency.", {}, {0.1, 1});
  latency.observe(0.05);
  latency.observe(2);

  EXPECT_EQ(registry.renderPrometheus(),
            "# HELP polis_loop_lag_seconds Loop lag.\n"
            "# TYPE polis_loop_lag_seconds gauge\n"
            "polis_loop_lag_seconds{loop=\"0\"} 0.25\n"
            "# HELP polis_players Players online.\n"
            "# TYPE polis_players gauge\n"
            "polis_players 12.5\n"
            "# HELP polis_requests_total Requests served.\n"
            "# TYPE polis_requests_total counter\n"
            "polis_requests_total{role=\"lobby\"} 3\n"
            "# HELP polis_rpc_seconds RPC latency.\n"
            "# TYPE polis_rpc_seconds histogram\n"
            "polis_rpc_seconds_bucket{le=\"0.1\"} 1\n"
            "polis_rpc_seconds_bucket{le=\"1\"} 1\n"
            "polis_rpc_seconds_bucket{le=\"+Inf\"} 2\n"
            "polis_rpc_seconds_sum 2.05\n"
            "polis_rpc_seconds_count 2\n");
}

TEST(Metrics, HelpAndTypeOncePerFamily) {
  Registry registry;
  registry.counter("c_total", "C.", {{"k", "a"}}).inc();
  registry.counter("c_total", "C.", {{"k", "b"}}).inc(2);
  EXPECT_EQ(registry.renderPrometheus(),
            "# HELP c_total C.\n# TYPE c_total counter\nc_total{k=\"a\"} 1\nc_total{k=\"b\"} 2\n");
}

TEST(Metrics, SameNameAndLabelsReturnTheSameObject) {
  Registry registry;
  Counter& a = registry.counter("x_total", "X.", {{"a", "1"}, {"b", "2"}});
  Counter& b = registry.counter("x_total", "X.", {{"b", "2"}, {"a", "1"}});
  Counter& other = registry.counter("x_total", "X.", {{"a", "9"}, {"b", "2"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &other);
  EXPECT_EQ(&registry.gauge("g", "G."), &registry.gauge("g", "G."));
}

TEST(Metrics, HistogramBucketsAreCumulativeAndInclusive) {
  Registry registry;
  Histogram& h = registry.histogram("h_seconds", "H.", {{"op", "get"}}, {0.1, 1, 10});
  for (double v : {0.05, 0.1, 0.5, 5.0, 50.0}) h.observe(v);
  EXPECT_EQ(h.cumulativeCounts(), (std::vector<uint64_t>{2, 3, 4, 5}));
  EXPECT_EQ(h.count(), 5u);
  EXPECT_DOUBLE_EQ(h.sum(), 55.65);
  std::string text = registry.renderPrometheus();
  EXPECT_NE(text.find("h_seconds_bucket{op=\"get\",le=\"0.1\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_seconds_bucket{op=\"get\",le=\"10\"} 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_seconds_bucket{op=\"get\",le=\"+Inf\"} 5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_seconds_count{op=\"get\"} 5\n"), std::string::npos) << text;
}

TEST(Metrics, EscapesLabelValuesAndHelp) {
  Registry registry;
  registry.gauge("e", "Line one\nback\\slash \"quoted\"", {{"v", "a\"b\\c\nd"}}).set(1);
  EXPECT_EQ(registry.renderPrometheus(),
            "# HELP e Line one\\nback\\\\slash \"quoted\"\n"
            "# TYPE e gauge\n"
            "e{v=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(Metrics, SpecialGaugeValues) {
  Registry registry;
  registry.callbackGauge("inf", "I.", {}, [] { return 1.0 / 0.0; });
  registry.gauge("neg", "N.").add(-1.5);
  std::string text = registry.renderPrometheus();
  EXPECT_NE(text.find("inf +Inf\n"), std::string::npos) << text;
  EXPECT_NE(text.find("neg -1.5\n"), std::string::npos) << text;
}

TEST(Metrics, CallbackGaugeReadsAtScrapeTimeAndCanBeRemoved) {
  Registry registry;
  double value = 1;
  registry.callbackGauge("cb", "CB.", {{"k", "v"}}, [&] { return value; });
  value = 7;
  EXPECT_NE(registry.renderPrometheus().find("cb{k=\"v\"} 7\n"), std::string::npos);
  registry.removeCallbackGauge("cb", {{"k", "v"}});
  EXPECT_EQ(registry.renderPrometheus(), "");
}

TEST(Metrics, ConcurrentUpdatesFromFourThreadsSumCorrectly) {
  Registry registry;
  Counter& counter = registry.counter("hits_total", "Hits.");
  Gauge& gauge = registry.gauge("level", "Level.");
  Histogram& histogram = registry.histogram("lat_seconds", "Lat.");
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      // Each thread registers too: lookups race with updates on other threads.
      Counter& same = registry.counter("hits_total", "Hits.");
      for (int i = 0; i < kPerThread; ++i) {
        same.inc();
        gauge.add(1);
        histogram.observe(0.001);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(counter.value(), uint64_t{kThreads} * kPerThread);
  EXPECT_DOUBLE_EQ(gauge.value(), double{kThreads} * kPerThread);
  EXPECT_EQ(histogram.count(), uint64_t{kThreads} * kPerThread);
}

TEST(Metrics, LatencyBucketsSpan50MicrosecondsTo10Seconds) {
  auto buckets = latencyBuckets();
  EXPECT_DOUBLE_EQ(buckets.front(), 0.00005);
  EXPECT_DOUBLE_EQ(buckets.back(), 10);
  EXPECT_TRUE(std::is_sorted(buckets.begin(), buckets.end()));
}

TEST(MetricsDeathTest, RegisteringANameAsAnotherTypeAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Registry registry;
  registry.counter("dup_total", "D.");
  EXPECT_DEATH(registry.gauge("dup_total", "D."), "different type");
  EXPECT_DEATH(registry.counter("bad name", "B."), "invalid metric name");
  EXPECT_DEATH(registry.histogram("h", "H.", {{"le", "1"}}), "label name");
  registry.histogram("h2", "H.", {}, {1, 2});
  EXPECT_DEATH(registry.histogram("h2", "H.", {{"a", "b"}}, {1, 3}), "other buckets");
}

}  // namespace
}  // namespace polis::metrics
