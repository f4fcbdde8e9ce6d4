#include "base/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace polis::metrics {
namespace {

// Misuse of the registry is a bug in the caller, not bad input: stop loudly.
[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "polis::metrics: %s\n", why.c_str());
  std::abort();
}

bool validName(std::string_view name, bool allow_colon) {
  auto ok_first = [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
  };
  if (name.empty() || !ok_first(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return ok_first(c) || (c >= '0' && c <= '9'); });
}

std::string formatDouble(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

// Label values escape backslash, double quote and newline; HELP text escapes
// only backslash and newline (exposition format 0.0.4).
std::string escape(std::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && quotes) out += "\\\"";
    else out += c;
  }
  return out;
}

// `{a="x",le="0.5"}`, or "" when there are no labels.
std::string renderLabels(const Labels& labels, const std::string& le = "") {
  if (labels.empty() && le.empty()) return "";
  std::string out = "{";
  for (const auto& [name, value] : labels) {
    if (out.size() > 1) out += ',';
    out += fmt::format("{}=\"{}\"", name, escape(value, true));
  }
  if (!le.empty()) out += fmt::format("{}le=\"{}\"", out.size() > 1 ? "," : "", le);
  return out + "}";
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1])) {
      die("histogram bounds must be finite and strictly increasing");
    }
  }
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double value) {
  // Prometheus buckets are "less than or equal to" their bound.
  size_t index = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  buckets_[index].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

uint64_t Histogram::count() const {
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) total += buckets_[i].load(std::memory_order_relaxed);
  return total;
}

std::vector<uint64_t> Histogram::cumulativeCounts() const {
  std::vector<uint64_t> counts(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    counts[i] = running;
  }
  return counts;
}

std::vector<double> latencyBuckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};
}

// One series: exactly one of the members is set, matching the family's type
// (a gauge family may hold plain and callback gauges side by side).
struct Registry::Series {
  std::unique_ptr<Counter> counter;
  std::unique_ptr<Gauge> gauge;
  std::unique_ptr<Histogram> histogram;
  std::function<double()> callback;
};

struct Registry::Family {
  std::string name;
  std::string help;
  Type type;
  std::vector<double> buckets;  // histograms: every series shares them
  std::map<Labels, std::unique_ptr<Series>> series;
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry& Registry::global() {
  static Registry* registry = new Registry();  // leaked on purpose: see header
  return *registry;
}

Registry::Family& Registry::family(std::string_view name, std::string_view help, Type type) {
  if (!validName(name, true)) die(fmt::format("invalid metric name \"{}\"", name));
  auto it = families_.find(name);
  if (it == families_.end()) {
    auto family = std::make_unique<Family>(Family{std::string(name), std::string(help), type, {}, {}});
    it = families_.emplace(std::string(name), std::move(family)).first;
  }
  if (it->second->type != type) die(fmt::format("metric {} registered again as a different type", name));
  return *it->second;
}

Registry::Series& Registry::series(Family& family, Labels labels) {
  // Label order does not matter to Prometheus; sorting makes {a,b} and {b,a} one series.
  std::sort(labels.begin(), labels.end());
  for (size_t i = 0; i < labels.size(); ++i) {
    const std::string& label = labels[i].first;
    bool reserved = label.starts_with("__") || (family.type == Type::kHistogram && label == "le");
    if (!validName(label, false) || reserved || (i > 0 && label == labels[i - 1].first)) {
      die(fmt::format("metric {}: invalid or duplicate label name \"{}\"", family.name, label));
    }
  }
  auto& slot = family.series[std::move(labels)];
  if (!slot) slot = std::make_unique<Series>();
  return *slot;
}

Counter& Registry::counter(std::string_view name, std::string_view help, Labels labels) {
  std::lock_guard lock(mutex_);
  Series& s = series(family(name, help, Type::kCounter), std::move(labels));
  if (!s.counter) s.counter = std::make_unique<Counter>();
  return *s.counter;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, Labels labels) {
  std::lock_guard lock(mutex_);
  Series& s = series(family(name, help, Type::kGauge), std::move(labels));
  if (s.callback) die(fmt::format("gauge {} is already a callback gauge with these labels", name));
  if (!s.gauge) s.gauge = std::make_unique<Gauge>();
  return *s.gauge;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help, Labels labels,
                               std::vector<double> buckets) {
  std::lock_guard lock(mutex_);
  Family& f = family(name, help, Type::kHistogram);
  if (f.series.empty()) f.buckets = buckets;
  if (f.buckets != buckets) die(fmt::format("histogram {} registered again with other buckets", name));
  Series& s = series(f, std::move(labels));
  if (!s.histogram) s.histogram = std::make_unique<Histogram>(std::move(buckets));
  return *s.histogram;
}

void Registry::callbackGauge(std::string_view name, std::string_view help, Labels labels,
                             std::function<double()> read) {
  std::lock_guard lock(mutex_);
  Series& s = series(family(name, help, Type::kGauge), std::move(labels));
  if (s.gauge) die(fmt::format("gauge {} is already a plain gauge with these labels", name));
  s.callback = std::move(read);
}

void Registry::removeCallbackGauge(std::string_view name, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto family = families_.find(name);
  if (family == families_.end()) return;
  Labels sorted = labels;
  std::sort(sorted.begin(), sorted.end());
  auto& series = family->second->series;
  auto it = series.find(sorted);
  if (it == series.end() || !it->second->callback) return;
  series.erase(it);
  // An empty family would render HELP/TYPE with no samples; no references to it exist.
  if (series.empty()) families_.erase(family);
}

std::string Registry::renderPrometheus() const {
  static constexpr const char* kTypeNames[] = {"counter", "gauge", "histogram"};
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, family] : families_) {
    out += fmt::format("# HELP {} {}\n", name, escape(family->help, false));
    out += fmt::format("# TYPE {} {}\n", name, kTypeNames[static_cast<int>(family->type)]);
    for (const auto& [labels, s] : family->series) {
      if (s->counter) out += fmt::format("{}{} {}\n", name, renderLabels(labels), s->counter->value());
      if (s->gauge) out += fmt::format("{}{} {}\n", name, renderLabels(labels), formatDouble(s->gauge->value()));
      if (s->callback) out += fmt::format("{}{} {}\n", name, renderLabels(labels), formatDouble(s->callback()));
      if (!s->histogram) continue;
      // _count comes from the same snapshot as the buckets, so +Inf == _count.
      std::vector<uint64_t> counts = s->histogram->cumulativeCounts();
      const std::vector<double>& bounds = s->histogram->bounds();
      for (size_t i = 0; i < counts.size(); ++i) {
        std::string le = i < bounds.size() ? formatDouble(bounds[i]) : "+Inf";
        out += fmt::format("{}_bucket{} {}\n", name, renderLabels(labels, le), counts[i]);
      }
      out += fmt::format("{}_sum{} {}\n", name, renderLabels(labels), formatDouble(s->histogram->sum()));
      out += fmt::format("{}_count{} {}\n", name, renderLabels(labels), counts.back());
    }
  }
  return out;
}

}  // namespace polis::metrics
