#include "adapters/metrics/runtime_metrics.hpp"

#include <nlohmann/json.hpp>
#include <variant>

namespace xyp::http {
namespace {

// The kind of input a unit came from, as a label with a bounded set of values.
std::string_view input_type(const commit_unit& unit) {
  if (!unit.consumed_timer.empty()) return "timer";
  if (unit.clock_to) return "clock.advance";
  if (unit.credit) return "credit.update";
  if (!unit.cases.empty() && !unit.cases.front().record.history.empty()) {
    const auto& type = unit.cases.front().record.history.back().type;
    if (event_type_from(type)) return type;
  }
  if (unit.dead) {
    // Only a known type name becomes a label value; bad input must not grow the series.
    const auto doc = nlohmann::json::parse(unit.dead->raw, nullptr, false);
    if (doc.is_object() && doc.contains("type") && doc["type"].is_string()) {
      if (const auto type = event_type_from(doc["type"].get<std::string>()))
        return to_string(*type);
    }
    return "invalid";
  }
  return unit.ignored ? "repeated" : "other";
}

std::string_view outcome_of(const commit_unit& unit, redis::commit_status status) {
  switch (status) {
    case redis::commit_status::ok:
      return unit.dead ? "dead" : unit.ignored ? "ignored" : "applied";
    case redis::commit_status::duplicate:
      return "duplicate";
    case redis::commit_status::stale:
      return "stale";
    case redis::commit_status::conflict:
      return "conflict";
  }
  return "applied";
}

}  // namespace

void runtime_metrics::committed(std::uint32_t partition, const commit_unit& unit,
                                redis::commit_status status) {
  // Any answer from the commit script, a refusal included, is Redis taking writes.
  if (health_) health_->commit_succeeded(partition);
  m_.events_applied(input_type(unit), outcome_of(unit, status)).inc();
  if (status != redis::commit_status::ok) return;
  if (unit.dead) m_.dead_letters(to_string(unit.dead->code)).inc();
  for (const auto& o : unit.outbound) {
    const auto* t = std::get_if<transition_facts>(&o.facts);
    if (!t) continue;
    m_.transitions(t->from ? to_string(*t->from) : "none", to_string(t->to)).inc();
  }
}

void runtime_metrics::batch(std::uint32_t, std::size_t entries) {
  m_.batch_size().observe(static_cast<double>(entries));
}

void runtime_metrics::commit_latency(std::chrono::microseconds took) {
  m_.commit_latency().observe(std::chrono::duration<double>(took).count());
}

void runtime_metrics::timer_lag(std::chrono::milliseconds lag) {
  m_.timer_firing_lag().observe(std::chrono::duration<double>(lag).count());
}

void runtime_metrics::refused_unread(std::uint32_t, std::uint64_t entries) {
  m_.dead_letters(to_string(dead_letter_code::schema_violation)).inc(static_cast<double>(entries));
}

void runtime_metrics::reconnected(std::uint32_t partition) {
  // The runtime reconnects after every Redis failure in its loop (a refused commit, OOM, a lost
  // connection): for health, a failure in a row.
  if (health_) health_->commit_failed(partition);
  m_.redis_reconnects().inc();
  // The runtime dropped the partition before reconnecting; it serves it again once it has
  // taken the lease again.
  m_.partition_owned(partition).set(0);
}

void runtime_metrics::acquired(std::uint32_t partition, const std::string& token) {
  m_.partition_owned(partition).set(1);
  // The token is "<owner> <epoch>".
  const auto space = token.rfind(' ');
  if (space == std::string::npos) return;
  double epoch = 0;
  try {
    epoch = static_cast<double>(std::stoull(token.substr(space + 1)));
  } catch (const std::exception&) {
    return;
  }
  partition_epoch(partition).set(epoch);
}

void runtime_metrics::released(std::uint32_t partition) {
  m_.partition_owned(partition).set(0);
}

void runtime_metrics::membership(std::size_t live_engines, std::uint32_t share) {
  registry_
      .gauge("xyp_engines_live",
             "Engines sharing the partitions, as this engine's last membership round saw them.")
      .set(static_cast<double>(live_engines));
  registry_
      .gauge("xyp_partition_share",
             "This engine's fair share of the partitions: how many it aims to serve.")
      .set(static_cast<double>(share));
}

void runtime_metrics::identify(const std::string& engine) {
  registry_
      .gauge("xyp_engine_info", "1, labelled with this engine's id (its leases' owner).",
             {{"engine", engine}})
      .set(1);
}

metrics::gauge& runtime_metrics::partition_epoch(std::uint32_t partition) {
  return registry_.gauge(
      "xyp_partition_epoch",
      "The epoch of the partition's lease as this engine took it last (0: never taken).",
      {{"partition", std::to_string(partition)}});
}

void runtime_metrics::fenced(std::uint32_t partition) {
  m_.partition_owned(partition).set(0);
}

void runtime_metrics::expect_partitions(std::uint32_t count) {
  for (std::uint32_t n = 0; n < count; ++n) {
    m_.partition_owned(n).set(0);
    partition_epoch(n).set(0);
  }
}

void runtime_metrics::conflict(std::uint32_t partition) {
  registry_
      .counter(
          "xyp_commit_conflicts_total",
          "Commits sent again because the lease or the partition state changed under their WATCH.",
          {{"partition", std::to_string(partition)}})
      .inc();
}

}  // namespace xyp::http
