// api: the drain of `xinyipi run --http` alone and beside 200 API clients (tests/bench/api_load),
// in pairs whose order alternates, so that the machine's drift between minutes falls on both
// sides: each pair's drop, and the medians.
#include "bench/scenario_support.hpp"

#include <unistd.h>
#include <algorithm>
#include <array>
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
namespace {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double percentile_of(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

double drop_of(const api_drain& alone, const api_drain& loaded) {
  return 100.0 * (1.0 - loaded.events_per_s / alone.events_per_s);
}

std::string cpu_line(const char* label, const api_drain& d) {
  const auto& c = d.cpu;
  return std::string("    cpu ") + label + ": engine " + fixed(c.engine_main + c.engine_other, 2) +
         " s (loop thread " + fixed(c.engine_main, 2) + ", other threads " +
         fixed(c.engine_other, 2) + "), redis-server " + fixed(c.redis, 2) + " s, bench " +
         fixed(c.bench, 2) + " s (its API clients " + fixed(c.clients, 2) + "); the machine " +
         fixed(c.machine_busy, 2) + " of " + fixed(2 * d.seconds, 2) + " core-s busy (" +
         fixed(c.machine_busy - c.engine_main - c.engine_other - c.redis - c.bench, 2) +
         " not ours); ready but waiting for a core: engine " + fixed(c.engine_waited, 2) +
         " s, redis-server " + fixed(c.redis_waited, 2) + " s\n";
}

}  // namespace

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
  a.redis_pid = ctx.redis_pid;
  a.partitions = o.partitions;
  a.batch = o.batch_size;
  a.run_args = o.api_run_args;
  for (const auto& line : lines) {
    if (a.case_ids.size() >= 4) break;
    if (const auto id = field_of(line, "case_id"); !id.empty()) a.case_ids.push_back(id);
  }

  // Alone then loaded in odd pairs, loaded then alone in even ones: a machine getting slower (or
  // faster) through the run costs the two sides alike instead of always the second.
  std::vector<api_drain> alone, loaded;
  std::vector<double> drops;
  for (std::size_t pair = 0; pair < o.api_pairs; ++pair) {
    const bool alone_first = pair % 2 == 0;
    api_drain by_side[2];
    for (const bool with_load : alone_first ? std::array{false, true} : std::array{true, false}) {
      flush_all(ctx);
      auto c = ctx.client();
      const std::string prefix = with_load ? "api-load" : "api-alone";
      const auto entries = preload(ctx, c, prefix, lines);
      note("pair " + std::to_string(pair + 1) + " of " + std::to_string(o.api_pairs) +
           ": draining " + std::to_string(entries) + " entries " +
           (with_load ? "beside 200 API clients" : "alone"));
      by_side[with_load ? 1 : 0] = drain_beside_api(a, prefix, entries, with_load);
    }
    const auto& [off, on] = by_side;
    drops.push_back(drop_of(off, on));
    std::cout << "  pair " << pair + 1 << " (" << (alone_first ? "alone first" : "loaded first")
              << "): alone " << std::llround(off.events_per_s) << " events/s ("
              << fixed(off.seconds, 1) << " s), beside the API " << std::llround(on.events_per_s)
              << " events/s (" << fixed(on.seconds, 1) << " s): " << fixed(drops.back(), 1)
              << " % less; API " << on.requests << " answers, p99 " << fixed(on.p99_ms, 1)
              << " ms, /healthz p99 " << fixed(on.healthz_p99_ms, 1) << " ms\n"
              << cpu_line("alone ", off) << cpu_line("loaded", on);
    std::cout.flush();
    alone.push_back(std::move(by_side[0]));
    loaded.push_back(std::move(by_side[1]));
  }

  auto each = [](const std::vector<api_drain>& drains, auto field) {
    std::vector<double> v;
    for (const auto& d : drains) v.push_back(field(d));
    return v;
  };
  const double alone_rate = median(each(alone, [](const auto& d) { return d.events_per_s; }));
  const double loaded_rate = median(each(loaded, [](const auto& d) { return d.events_per_s; }));
  std::string listed;
  for (const auto d : drops) listed += (listed.empty() ? "" : ", ") + fixed(d, 1) + " %";
  std::cout << "api: drain " << std::llround(alone_rate) << " events/s alone, "
            << std::llround(loaded_rate) << " beside " << a.clients << " API clients (medians of "
            << o.api_pairs << " pairs; each pair's drop " << listed << ": median "
            << fixed(median(drops), 1) << " % less; target at most 20 %)\n";

  std::vector<double> all_ms, healthz_ms;
  std::uint64_t requests = 0, overloaded = 0, degraded = 0, failed = 0;
  double loaded_seconds = 0;
  for (const auto& d : loaded) {
    all_ms.insert(all_ms.end(), d.all_ms.begin(), d.all_ms.end());
    healthz_ms.insert(healthz_ms.end(), d.healthz_ms.begin(), d.healthz_ms.end());
    requests += d.requests;
    overloaded += d.overloaded;
    degraded += d.healthz_degraded;
    failed += d.failed;
    loaded_seconds += d.seconds;
  }
  std::cout << "  API: " << requests << " answers in " << fixed(loaded_seconds, 1)
            << " s of loaded drains ("
            << std::llround(static_cast<double>(requests) / loaded_seconds)
            << " requests/s offered " << std::llround(a.requests_per_s) << "), p50 "
            << fixed(percentile_of(all_ms, 0.50), 1) << " ms, p99 "
            << fixed(percentile_of(all_ms, 0.99), 1) << " ms (target at most 250 ms), /healthz p99 "
            << fixed(percentile_of(healthz_ms, 0.99), 1) << " ms; " << overloaded
            << " of them 503 overloaded, " << degraded << " /healthz 503 (degraded: the lag), "
            << failed << " connections failed\n";

  // What the load cost, per request and per event, medians over the pairs.
  auto per = [&](auto field, auto divisor) {
    std::vector<double> v;
    for (std::size_t k = 0; k < alone.size(); ++k)
      v.push_back(field(loaded[k], alone[k]) / divisor(loaded[k]));
    return median(v);
  };
  const auto by_request = [](const api_drain& d) { return static_cast<double>(d.requests) / 1e6; };
  const auto events = static_cast<double>(count) / 1e6;
  std::cout
      << "  cpu per API request (loaded drain minus its pair's alone one, medians): engine's "
         "other threads "
      << fixed(per([](const auto& l,
                      const auto& s) { return l.cpu.engine_other - s.cpu.engine_other; },
                   by_request),
               0)
      << " us, the bench's clients "
      << fixed(per([](const auto& l, const auto&) { return l.cpu.clients; }, by_request), 0)
      << " us, redis-server "
      << fixed(per([](const auto& l, const auto& s) { return l.cpu.redis - s.cpu.redis; },
                   by_request),
               0)
      << " us, engine's loop thread "
      << fixed(
             per([](const auto& l, const auto& s) { return l.cpu.engine_main - s.cpu.engine_main; },
                 by_request),
             0)
      << " us; per event alone/loaded: loop thread "
      << fixed(median(each(alone, [&](const auto& d) { return d.cpu.engine_main / events; })), 1)
      << "/"
      << fixed(median(each(loaded, [&](const auto& d) { return d.cpu.engine_main / events; })), 1)
      << " us, redis-server "
      << fixed(median(each(alone, [&](const auto& d) { return d.cpu.redis / events; })), 1) << "/"
      << fixed(median(each(loaded, [&](const auto& d) { return d.cpu.redis / events; })), 1)
      << " us\n";
  std::cout << "  method: xinyipi run --http --clock simulated in a child process, the drain timed "
               "from its start to the last entry acknowledged (start-up included in both); "
            << o.api_pairs
            << " pairs of drains in one run, alone first in odd pairs and loaded first in even "
               "ones, each drop within its pair (since 1 December 2026; before, one alone drain "
               "then one loaded); routes /healthz, /api/v1/cases?limit=20, /api/v1/escalations, "
               "/api/v1/summary, /api/v1/cases/{id}, a new connection per request, the clients one "
               "epoll thread of the bench on raw sockets (since 1 December 2026; before, Beast "
               "coroutines)\n";
  std::cout << reproduce(o, "api") << "\n";
}

}  // namespace xyp::bench
