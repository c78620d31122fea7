#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "adapters/http/metrics.hpp"
#include "adapters/metrics/runtime_metrics.hpp"

namespace {

using xyp::metrics::registry;

bool contains_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("a counter with labels is exposed with HELP, TYPE and one sample per label set",
          "[http][metrics]") {
  registry r;
  r.counter("xyp_events_applied_total", "Inbound events handled.",
            {{"type", "case.apply"}, {"outcome", "applied"}})
      .inc();
  r.counter("xyp_events_applied_total", "Inbound events handled.",
            {{"type", "case.apply"}, {"outcome", "applied"}})
      .inc(2);
  r.counter("xyp_events_applied_total", "Inbound events handled.",
            {{"type", "case.accept"}, {"outcome", "dead"}})
      .inc();
  const auto text = r.expose();
  CHECK(contains_line(text, "# HELP xyp_events_applied_total Inbound events handled."));
  CHECK(contains_line(text, "# TYPE xyp_events_applied_total counter"));
  CHECK(contains_line(text, "xyp_events_applied_total{type=\"case.apply\",outcome=\"applied\"} 3"));
  CHECK(contains_line(text, "xyp_events_applied_total{type=\"case.accept\",outcome=\"dead\"} 1"));
  // HELP and TYPE come once per family, before its samples.
  CHECK(text.find("# HELP xyp_events_applied_total") < text.find("xyp_events_applied_total{"));
  CHECK(text.find("# TYPE xyp_events_applied_total",
                  text.find("# TYPE xyp_events_applied_total") + 1) == std::string::npos);
}

TEST_CASE(
    "label values escape backslash, double quote and newline; HELP escapes backslash and newline",
    "[http][metrics]") {
  registry r;
  r.gauge("xyp_odd", "line one\nback\\slash \"quoted\"", {{"v", "a\\b\"c\nd"}}).set(1.5);
  const auto text = r.expose();
  CHECK(contains_line(text, "# HELP xyp_odd line one\\nback\\\\slash \"quoted\""));
  CHECK(contains_line(text, "# TYPE xyp_odd gauge"));
  CHECK(contains_line(text, "xyp_odd{v=\"a\\\\b\\\"c\\nd\"} 1.5"));
}

TEST_CASE("a histogram exposes cumulative buckets, +Inf, sum and count", "[http][metrics]") {
  registry r;
  auto& h = r.histogram("xyp_commit_latency_seconds", "Commit time.", {0.01, 0.1, 1});
  for (double v : {0.005, 0.01, 0.05, 0.5, 3.0}) h.observe(v);
  const auto text = r.expose();
  CHECK(contains_line(text, "# TYPE xyp_commit_latency_seconds histogram"));
  CHECK(contains_line(text, "xyp_commit_latency_seconds_bucket{le=\"0.01\"} 2"));
  CHECK(contains_line(text, "xyp_commit_latency_seconds_bucket{le=\"0.1\"} 3"));
  CHECK(contains_line(text, "xyp_commit_latency_seconds_bucket{le=\"1\"} 4"));
  CHECK(contains_line(text, "xyp_commit_latency_seconds_bucket{le=\"+Inf\"} 5"));
  CHECK(contains_line(text, "xyp_commit_latency_seconds_sum 3.565"));
  CHECK(contains_line(text, "xyp_commit_latency_seconds_count 5"));
}

TEST_CASE("a labelled histogram puts le after its own labels", "[http][metrics]") {
  registry r;
  r.histogram("xyp_http_request_duration_seconds", "Time.", {0.5}, {{"route", "/metrics"}})
      .observe(0.2);
  CHECK(contains_line(r.expose(),
                      "xyp_http_request_duration_seconds_bucket{route=\"/metrics\",le=\"0.5\"} 1"));
}

TEST_CASE("misuse of names, types, label sets and buckets is refused", "[http][metrics]") {
  registry r;
  r.counter("xyp_things_total", "Things.", {{"kind", "a"}});
  CHECK_THROWS_AS(r.gauge("xyp_things_total", "Things."), std::invalid_argument);
  CHECK_THROWS_AS(r.counter("xyp_things_total", "Things.", {{"other", "a"}}),
                  std::invalid_argument);
  CHECK_THROWS_AS(r.counter("9starts_with_digit", "x"), std::invalid_argument);
  CHECK_THROWS_AS(r.counter("xyp_ok", "x", {{"__reserved", "a"}}), std::invalid_argument);
  CHECK_THROWS_AS(r.histogram("xyp_h", "x", {1, 1}), std::invalid_argument);
  CHECK_THROWS_AS(r.histogram("xyp_h", "x", {}), std::invalid_argument);
  CHECK_THROWS_AS(r.histogram("xyp_h", "x", {1}, {{"le", "1"}}), std::invalid_argument);
  r.histogram("xyp_h2", "x", {1, 2});
  CHECK_THROWS_AS(r.histogram("xyp_h2", "x", {1, 3}), std::invalid_argument);
}

TEST_CASE("counters updated from several threads lose no increment", "[http][metrics]") {
  registry r;
  constexpr int threads = 4;
  constexpr int per_thread = 20'000;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&r, t] {
      for (int i = 0; i < per_thread; ++i) {
        r.counter("xyp_shared_total", "Shared.").inc();
        r.counter("xyp_per_thread_total", "Per thread.", {{"t", std::to_string(t % 2)}}).inc();
        r.histogram("xyp_sizes", "Sizes.", xyp::metrics::size_buckets()).observe(i % 7);
      }
    });
  }
  for (auto& w : workers) w.join();
  CHECK(r.counter("xyp_shared_total", "Shared.").value() == threads * per_thread);
  CHECK(r.counter("xyp_per_thread_total", "Per thread.", {{"t", "0"}}).value() ==
        threads / 2 * per_thread);
  CHECK(contains_line(r.expose(), "xyp_sizes_count " + std::to_string(threads * per_thread)));
}

TEST_CASE("the engine's metric names are registered with their types", "[http][metrics]") {
  registry r;
  xyp::metrics::engine_metrics m(r);
  m.events_applied("case.apply", "applied").inc();
  m.dead_letters("schema_violation").inc();
  m.transitions("applied", "accepted").inc();
  m.commit_latency().observe(0.002);
  m.batch_size().observe(12);
  m.timer_firing_lag().observe(0.5);
  m.redis_reconnects().inc();
  m.consumer_lag(0).set(7);
  m.timers_pending(1).set(3);
  m.escalations_open("overdue").set(2);
  const auto text = r.expose();
  for (const char* line :
       {"# TYPE xyp_events_applied_total counter", "# TYPE xyp_dead_letters_total counter",
        "# TYPE xyp_transitions_total counter", "# TYPE xyp_commit_latency_seconds histogram",
        "# TYPE xyp_batch_size histogram", "# TYPE xyp_timer_firing_lag_seconds histogram",
        "# TYPE xyp_redis_reconnects_total counter", "# TYPE xyp_consumer_lag gauge",
        "# TYPE xyp_timers_pending gauge", "# TYPE xyp_escalations_open gauge",
        "xyp_transitions_total{from=\"applied\",to=\"accepted\"} 1",
        "xyp_consumer_lag{partition=\"0\"} 7", "xyp_escalations_open{level=\"overdue\"} 2"}) {
    INFO(line);
    CHECK(contains_line(text, line));
  }
}

TEST_CASE("entries the read refused for their size count as schema_violation dead letters",
          "[http][metrics]") {
  registry r;
  xyp::http::runtime_metrics observer(r);
  observer.refused_unread(0, 2);
  observer.refused_unread(0, 1);
  CHECK(contains_line(r.expose(), "xyp_dead_letters_total{code=\"schema_violation\"} 3"));
}
