#pragma once
// Prometheus metrics without prometheus-cpp (not packaged in Debian 12): counters, gauges and
// fixed-bucket histograms with labels, safe to update from any thread, exposed in the text format
// 0.0.4.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xyp::metrics {

// Label names and values of one series, e.g. {{"type", "case.apply"}, {"outcome", "applied"}}.
using label_set = std::vector<std::pair<std::string, std::string>>;

// A value that only goes up.
class counter {
 public:
  void inc(double by = 1.0);  // by >= 0; a negative step is a defect
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// A value that goes up and down, or is set from an observation.
class gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void inc(double by = 1.0) { value_.fetch_add(by, std::memory_order_relaxed); }
  void dec(double by = 1.0) { value_.fetch_sub(by, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Observations counted into fixed buckets (upper bounds, inclusive), plus their sum.
class histogram {
 public:
  explicit histogram(std::vector<double> upper_bounds);
  void observe(double v);

  // Cumulative counts per bound, the +Inf bucket last; the count is the last element.
  std::vector<std::uint64_t> cumulative_counts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  const std::vector<double>& upper_bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1 (+Inf)
  std::atomic<double> sum_{0.0};
};

// Bucket sets in seconds and in items.
std::vector<double> latency_buckets();  // 0.5 ms .. 10 s
std::vector<double> lag_buckets();      // 10 ms .. 1 h: how late a timer fired
std::vector<double> size_buckets();     // 1 .. 1000

// Owns every series; hands out references that stay valid as long as the registry lives, so a
// hot path looks its series up once and keeps the reference. Asking again for the same name and
// labels returns the same series. Misuse (a bad name, one name with two types or two label-name
// sets, histogram buckets not increasing) throws std::invalid_argument.
class registry {
 public:
  registry() = default;
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  metrics::counter& counter(std::string_view name, std::string_view help,
                            const label_set& labels = {});
  metrics::gauge& gauge(std::string_view name, std::string_view help, const label_set& labels = {});
  // The buckets of a histogram family are fixed by its first series.
  metrics::histogram& histogram(std::string_view name, std::string_view help,
                                std::vector<double> upper_bounds, const label_set& labels = {});

  // The text exposition format 0.0.4: families by name, each with HELP and TYPE, series by label
  // values.
  std::string expose() const;

 private:
  enum class kind { counter, gauge, histogram };
  struct family {
    kind type;
    std::string help;
    std::vector<std::string> label_names;
    std::vector<double> buckets;
    std::map<std::vector<std::string>, std::unique_ptr<metrics::counter>> counters;
    std::map<std::vector<std::string>, std::unique_ptr<metrics::gauge>> gauges;
    std::map<std::vector<std::string>, std::unique_ptr<metrics::histogram>> histograms;
  };

  family& family_for(std::string_view name, std::string_view help, kind type,
                     const label_set& labels, std::vector<std::string>& values);

  mutable std::mutex mutex_;  // guards the maps; series values are atomics
  std::map<std::string, family, std::less<>> families_;
};

// Content-Type of expose()'s output.
inline constexpr std::string_view exposition_content_type =
    "text/plain; version=0.0.4; charset=utf-8";

// The engine's metric names in one place, so the worker, the HTTP server and the dashboards agree.
// Series that describe the store (lag, timers pending, open escalations, cases by state) are set
// by the HTTP server from Redis when /metrics is scraped; the worker counts what happens.
class engine_metrics {
 public:
  explicit engine_metrics(registry& r) : r_(r) {}

  // outcome: applied, ignored (a repeated id) or dead (a dead letter).
  metrics::counter& events_applied(std::string_view type, std::string_view outcome);
  metrics::counter& dead_letters(std::string_view code);
  metrics::counter& transitions(std::string_view from, std::string_view to);
  metrics::histogram& commit_latency();    // seconds, one commit script call
  metrics::histogram& batch_size();        // entries read per XREADGROUP
  metrics::histogram& timer_firing_lag();  // seconds between a timer's due time and its firing
  metrics::counter& redis_reconnects();
  metrics::gauge& consumer_lag(std::uint32_t partition);
  metrics::gauge& timers_pending(std::uint32_t partition);
  metrics::gauge& escalations_open(std::string_view level);
  metrics::gauge& cases(std::string_view state);
  // 1 while this engine holds the partition's lease, else 0 (docs/monitoring/alerts.yml).
  metrics::gauge& partition_owned(std::uint32_t partition);

 private:
  registry& r_;
};

}  // namespace xyp::metrics
