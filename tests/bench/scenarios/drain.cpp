// drain: pre-loaded events, drained with durable commits.
#include "bench/scenario_support.hpp"

#include <unistd.h>
#include <cmath>
#include <iostream>
#include "adapters/redis/keys.hpp"
#include "bench/bench_support.hpp"
#include "bench/engine_child.hpp"
#include "bench/histogram.hpp"
#include "engine/domain/calendar.hpp"
#include "engine/domain/policy.hpp"
#include "engine/runtime/processor.hpp"
#include "support/redis_server.hpp"

namespace xyp::bench {

drain_result bench_drain(const bench_context& ctx) {
  const auto& o = ctx.options;
  const std::string prefix = "drain";
  flush_all(ctx);
  const auto count = o.scaled(o.drain_events);
  note("generating " + std::to_string(count) + " events of the realistic mix");
  const auto lines = realistic_lines(ctx.policy, ctx.calendar, count);
  auto c = ctx.client();
  const auto t0 = monotonic_ns();
  const auto entries = preload(ctx, c, prefix, lines);
  const auto t1 = monotonic_ns();
  note("pre-loaded " + std::to_string(entries) + " stream entries in " +
       fixed(seconds_between(t0, t1), 2) + " s (pipelined XADD)");

  c.command({"CONFIG", "RESETSTAT"});
  const auto rewrites_before = aof_rewrites(c);
  const auto started = monotonic_ns();
  engine_run engine(ctx, prefix, clock_mode::simulated);
  const cpu_meter cpu(engine.pid(), ctx.redis_pid);
  wait_caught_up(ctx, prefix, true, engine);
  const auto done = monotonic_ns();
  const auto cpu_used = cpu.report();
  const double engine_cpu = cpu.engine_seconds(), redis_cpu = cpu.redis_seconds();
  const auto redis_used =
      redis_time(c, seconds_between(started, done)) +
      "; AOF rewrites meanwhile: " + std::to_string(aof_rewrites(c) - rewrites_before);
  const auto stats = engine.stop();
  const auto first = stats.at("first_batch_ns").get<std::int64_t>();
  const auto last = stats.at("last_commit_ns").get<std::int64_t>();
  const double took = seconds_between(first, last);
  drain_result r;
  r.events_per_s = static_cast<double>(lines.size()) / took;
  std::cout << "drain: " << std::llround(r.events_per_s) << " events/s (" << lines.size()
            << " events in " << fixed(took, 2) << " s, first read to last commit; "
            << fixed(seconds_between(started, done), 2) << " s with the engine's start-up)\n";
  std::cout << "  " << entries << " stream entries, " << o.partitions << " partition(s), batch "
            << o.batch_size
            << ", the real runtime in a child process, simulated clock, AOF everysec\n";
  print_engine_stats(stats);
  std::cout << cpu_used << "\n" << redis_used << "\n";
  std::cout << "  per event: engine "
            << std::llround(1e6 * engine_cpu / static_cast<double>(lines.size()))
            << " us CPU, redis-server "
            << std::llround(1e6 * redis_cpu / static_cast<double>(lines.size()))
            << " us CPU (load average " << load_average() << ")\n";
  std::cout << reproduce(o, "drain") << "\n";
  return r;
}

}  // namespace xyp::bench
