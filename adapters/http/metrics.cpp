#include "adapters/http/metrics.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace xyp::metrics {
namespace {

bool valid_metric_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

bool valid_label_name(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

// A sample value as Prometheus parses it: shortest round-trip decimal, +Inf, -Inf or NaN.
std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::array<char, 64> buffer{};
  const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), v);
  assert(ec == std::errc());
  return std::string(buffer.data(), end);
}

// Label values escape backslash, double quote and line feed.
void append_label_value(std::string& out, std::string_view value) {
  for (const char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

// HELP text escapes backslash and line feed.
std::string escape_help(std::string_view help) {
  std::string out;
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// `{a="x",b="y"}`, with an extra label (histogram "le") appended when given; empty for none.
std::string label_text(const std::vector<std::string>& names,
                       const std::vector<std::string>& values, std::string_view extra_name = {},
                       std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return {};
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i];
    out += "=\"";
    append_label_value(out, values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out += ',';
    out += extra_name;
    out += "=\"";
    append_label_value(out, extra_value);
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace

void counter::inc(double by) {
  assert(by >= 0 && "a counter only goes up");
  value_.fetch_add(by, std::memory_order_relaxed);
}

histogram::histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void histogram::observe(double v) {
  // Buckets are "less than or equal": the first bound >= v.
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  counts_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::vector<std::uint64_t> histogram::cumulative_counts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

std::vector<double> latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> lag_buckets() {
  return {0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600};
}

std::vector<double> size_buckets() {
  return {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
}

registry::family& registry::family_for(std::string_view name, std::string_view help, kind type,
                                       const label_set& labels, std::vector<std::string>& values) {
  if (!valid_metric_name(name)) {
    throw std::invalid_argument("metric name '" + std::string(name) + "' is not valid");
  }
  std::vector<std::string> names;
  names.reserve(labels.size());
  values.clear();
  for (const auto& [label, value] : labels) {
    if (!valid_label_name(label) || (type == kind::histogram && label == "le")) {
      throw std::invalid_argument("label name '" + label + "' of " + std::string(name) +
                                  " is not valid");
    }
    names.push_back(label);
    values.push_back(value);
  }
  auto it = families_.find(name);
  if (it == families_.end()) {
    it =
        families_.emplace(std::string(name), family{type, std::string(help), names, {}, {}, {}, {}})
            .first;
  }
  family& f = it->second;
  if (f.type != type) {
    throw std::invalid_argument("metric " + std::string(name) + " is registered with another type");
  }
  if (f.label_names != names) {
    throw std::invalid_argument("metric " + std::string(name) +
                                " is registered with other label names");
  }
  return f;
}

metrics::counter& registry::counter(std::string_view name, std::string_view help,
                                    const label_set& labels) {
  std::vector<std::string> values;
  const std::lock_guard lock(mutex_);
  family& f = family_for(name, help, kind::counter, labels, values);
  auto& slot = f.counters[values];
  if (!slot) slot = std::make_unique<metrics::counter>();
  return *slot;
}

metrics::gauge& registry::gauge(std::string_view name, std::string_view help,
                                const label_set& labels) {
  std::vector<std::string> values;
  const std::lock_guard lock(mutex_);
  family& f = family_for(name, help, kind::gauge, labels, values);
  auto& slot = f.gauges[values];
  if (!slot) slot = std::make_unique<metrics::gauge>();
  return *slot;
}

metrics::histogram& registry::histogram(std::string_view name, std::string_view help,
                                        std::vector<double> upper_bounds, const label_set& labels) {
  if (upper_bounds.empty() || !std::is_sorted(upper_bounds.begin(), upper_bounds.end()) ||
      std::adjacent_find(upper_bounds.begin(), upper_bounds.end()) != upper_bounds.end() ||
      !std::all_of(upper_bounds.begin(), upper_bounds.end(),
                   [](double b) { return std::isfinite(b); })) {
    throw std::invalid_argument("histogram " + std::string(name) +
                                ": buckets must be finite and strictly increasing");
  }
  std::vector<std::string> values;
  const std::lock_guard lock(mutex_);
  family& f = family_for(name, help, kind::histogram, labels, values);
  if (f.buckets.empty()) f.buckets = upper_bounds;
  if (f.buckets != upper_bounds) {
    throw std::invalid_argument("histogram " + std::string(name) +
                                " is registered with other buckets");
  }
  auto& slot = f.histograms[values];
  if (!slot) slot = std::make_unique<metrics::histogram>(std::move(upper_bounds));
  return *slot;
}

std::string registry::expose() const {
  const std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + " " + escape_help(f.help) + "\n";
    switch (f.type) {
      case kind::counter:
        out += "# TYPE " + name + " counter\n";
        for (const auto& [values, c] : f.counters) {
          out += name + label_text(f.label_names, values) + " " + format_value(c->value()) + "\n";
        }
        break;
      case kind::gauge:
        out += "# TYPE " + name + " gauge\n";
        for (const auto& [values, g] : f.gauges) {
          out += name + label_text(f.label_names, values) + " " + format_value(g->value()) + "\n";
        }
        break;
      case kind::histogram:
        out += "# TYPE " + name + " histogram\n";
        for (const auto& [values, h] : f.histograms) {
          const auto counts = h->cumulative_counts();
          for (std::size_t i = 0; i < counts.size(); ++i) {
            const std::string le =
                i < f.buckets.size() ? format_value(f.buckets[i]) : std::string("+Inf");
            out += name + "_bucket" + label_text(f.label_names, values, "le", le) + " " +
                   std::to_string(counts[i]) + "\n";
          }
          out += name + "_sum" + label_text(f.label_names, values) + " " + format_value(h->sum()) +
                 "\n";
          out += name + "_count" + label_text(f.label_names, values) + " " +
                 std::to_string(counts.back()) + "\n";
        }
        break;
    }
  }
  return out;
}

metrics::counter& engine_metrics::events_applied(std::string_view type, std::string_view outcome) {
  return r_.counter("xyp_events_applied_total", "Inbound events handled, by type and outcome.",
                    {{"type", std::string(type)}, {"outcome", std::string(outcome)}});
}

metrics::counter& engine_metrics::dead_letters(std::string_view code) {
  return r_.counter("xyp_dead_letters_total", "Events refused into the dead-letter stream.",
                    {{"code", std::string(code)}});
}

metrics::counter& engine_metrics::transitions(std::string_view from, std::string_view to) {
  return r_.counter("xyp_transitions_total", "Case state transitions committed.",
                    {{"from", std::string(from)}, {"to", std::string(to)}});
}

metrics::histogram& engine_metrics::commit_latency() {
  return r_.histogram("xyp_commit_latency_seconds", "Time to commit one unit to Redis.",
                      latency_buckets());
}

metrics::histogram& engine_metrics::batch_size() {
  return r_.histogram("xyp_batch_size", "Stream entries read per batch.", size_buckets());
}

metrics::histogram& engine_metrics::timer_firing_lag() {
  return r_.histogram("xyp_timer_firing_lag_seconds",
                      "Seconds between a timer's due time and its firing.", lag_buckets());
}

metrics::counter& engine_metrics::redis_reconnects() {
  return r_.counter("xyp_redis_reconnects_total", "Connections to Redis re-established.");
}

metrics::gauge& engine_metrics::consumer_lag(std::uint32_t partition) {
  return r_.gauge("xyp_consumer_lag", "Entries of a partition's stream not yet read by the engine.",
                  {{"partition", std::to_string(partition)}});
}

metrics::gauge& engine_metrics::timers_pending(std::uint32_t partition) {
  return r_.gauge("xyp_timers_pending", "Timers armed and not yet fired, per partition.",
                  {{"partition", std::to_string(partition)}});
}

metrics::gauge& engine_metrics::escalations_open(std::string_view level) {
  return r_.gauge("xyp_escalations_open", "Open escalations, by level.",
                  {{"level", std::string(level)}});
}

metrics::gauge& engine_metrics::cases(std::string_view state) {
  return r_.gauge("xyp_cases", "Cases in the store, by state.", {{"state", std::string(state)}});
}

metrics::gauge& engine_metrics::partition_owned(std::uint32_t partition) {
  return r_.gauge("xyp_partition_owned", "1 while this engine holds the partition's lease, else 0.",
                  {{"partition", std::to_string(partition)}});
}

}  // namespace xyp::metrics
