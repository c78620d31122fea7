// api: the drain of `xinyipi run --http` alone and beside 200 API clients (tests/bench/api_load).
#include "bench/scenario_support.hpp"

#include <unistd.h>
#include <cmath>
#include <iostream>
#include "adapters/redis/keys.hpp"
#include "bench/api_load.hpp"
#include "bench/bench_support.hpp"
#include "bench/engine_child.hpp"
#include "bench/histogram.hpp"
#include "engine/domain/calendar.hpp"
#include "engine/domain/policy.hpp"
#include "engine/runtime/processor.hpp"
#include "support/redis_server.hpp"

namespace xyp::bench {

void bench_api(const bench_context& ctx) {
  const auto& o = ctx.options;
  const auto count = o.scaled(o.drain_events);
  note("generating " + std::to_string(count) + " events of the realistic mix");
  const auto lines = realistic_lines(ctx.policy, ctx.calendar, count);
  api_load_options a;
  a.xinyipi = XYP_BINARY;
  a.work = ctx.work;
  a.profile = o.profile;
  a.calendars = o.calendars;
  a.redis_port = ctx.server.port();
  a.partitions = o.partitions;
  a.batch = o.batch_size;
  a.run_args = o.api_run_args;
  for (const auto& line : lines) {
    if (a.case_ids.size() >= 4) break;
    if (const auto id = field_of(line, "case_id"); !id.empty()) a.case_ids.push_back(id);
  }
  api_drain alone, loaded;
  for (const bool with_load : {false, true}) {
    flush_all(ctx);
    auto c = ctx.client();
    const std::string prefix = with_load ? "api-load" : "api-alone";
    const auto entries = preload(ctx, c, prefix, lines);
    note(std::string("draining ") + std::to_string(entries) + " entries " +
         (with_load ? "beside 200 API clients" : "alone"));
    (with_load ? loaded : alone) = drain_beside_api(a, prefix, entries, with_load);
  }
  const double drop = 100.0 * (1.0 - loaded.events_per_s / alone.events_per_s);
  std::cout << "api: drain " << std::llround(alone.events_per_s) << " events/s alone, "
            << std::llround(loaded.events_per_s) << " beside " << a.clients << " API clients ("
            << fixed(drop, 1) << " % less; target at most 20 %)\n";
  std::cout << "  API: " << loaded.requests << " answers in " << fixed(loaded.seconds, 1) << " s ("
            << std::llround(static_cast<double>(loaded.requests) / loaded.seconds)
            << " requests/s offered " << std::llround(a.requests_per_s) << "), p50 "
            << fixed(loaded.p50_ms, 1) << " ms, p99 " << fixed(loaded.p99_ms, 1)
            << " ms (target at most 250 ms), /healthz p99 " << fixed(loaded.healthz_p99_ms, 1)
            << " ms; " << loaded.overloaded << " of them 503 overloaded, "
            << loaded.healthz_degraded << " /healthz 503 (degraded: the lag), " << loaded.failed
            << " connections failed\n";
  std::cout << "  xinyipi run --http --clock simulated in a child process, the drain timed from "
               "its start to the last entry acknowledged (start-up included in both), routes "
               "/healthz, /api/v1/cases?limit=20, /api/v1/escalations, /api/v1/summary, "
               "/api/v1/cases/{id}, a new connection per request\n";
  std::cout << reproduce(o, "api") << "\n";
}

}  // namespace xyp::bench
