// latency: a paced producer at a fixed offered rate; XADD to the first outbound entry.
#include "bench/scenario_support.hpp"

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <iostream>
#include <mutex>
#include <thread>
#include <unordered_map>
#include "adapters/redis/keys.hpp"
#include "bench/bench_support.hpp"
#include "bench/engine_child.hpp"
#include "bench/histogram.hpp"
#include "engine/domain/calendar.hpp"
#include "engine/domain/policy.hpp"
#include "engine/runtime/processor.hpp"
#include "support/redis_server.hpp"

namespace xyp::bench {

namespace {

struct stream_position {
  std::uint64_t ms = 0, seq = 0;
  static stream_position of(const std::string& id) {
    const auto dash = id.find('-');
    return {std::stoull(id.substr(0, dash)), std::stoull(id.substr(dash + 1))};
  }
  auto operator<=>(const stream_position&) const = default;
};

}  // namespace

void bench_latency(const bench_context& ctx, double rate) {
  const auto& o = ctx.options;
  const std::string prefix = "latency";
  flush_all(ctx);
  const auto count = static_cast<std::size_t>(std::llround(rate * o.latency_seconds * o.scale));
  note("generating " + std::to_string(count) + " events of the realistic mix");
  const auto lines = realistic_lines(ctx.policy, ctx.calendar, count);
  std::vector<routed_line> routes;
  std::unordered_map<std::string, std::size_t> first_line;  // event id -> first line sending it
  for (std::size_t i = 0; i < lines.size(); ++i) {
    routes.push_back(route(lines[i], o.partitions));
    if (!routes.back().id.empty() && !routes.back().everywhere) {
      first_line.try_emplace(routes.back().id, i);
    }
  }
  std::vector<std::int64_t> sent(lines.size(), 0), seen(lines.size(), 0);
  const auto keys = ctx.keys(prefix);
  ctx.client().command({"CONFIG", "RESETSTAT"});

  engine_run engine(ctx, prefix, clock_mode::simulated);
  wait_group_created(ctx, prefix);
  const cpu_meter cpu(engine.pid(), ctx.redis_pid);

  // The reader: every outbound stream, from the start; the first entry caused by each event.
  std::atomic<bool> reader_failed = false;
  std::mutex target_mutex;
  std::optional<std::vector<stream_position>> target;  // set once the engine has caught up
  std::thread reader([&] {
    try {
      sync_client r(ctx.server.port());
      std::vector<std::string> ids(keys.size(), "0-0");
      for (;;) {
        std::vector<std::string> read{"XREAD", "COUNT", "1000", "BLOCK", "50", "STREAMS"};
        for (const auto& k : keys) read.push_back(k.out());
        read.insert(read.end(), ids.begin(), ids.end());
        const auto got = r.command(read);
        const auto now = monotonic_ns();
        if (!got.is_nil()) {
          for (const auto& stream : got.elements()) {
            const auto& name = stream.elements()[0].as_string();
            std::size_t n = 0;
            while (keys[n].out() != name) ++n;
            for (const auto& entry : stream.elements()[1].elements()) {
              ids[n] = entry.elements()[0].as_string();
              const auto& kv = entry.elements()[1].elements();
              const auto it = first_line.find(field_of(kv.at(1).as_string(), "cause"));
              if (it != first_line.end() && seen[it->second] == 0) seen[it->second] = now;
            }
          }
          continue;
        }
        std::lock_guard lock(target_mutex);
        if (!target) continue;
        bool done = true;
        for (std::size_t n = 0; n < ids.size(); ++n) {
          if (stream_position::of(ids[n]) < (*target)[n]) done = false;
        }
        if (done) return;
      }
    } catch (const std::exception& e) {
      std::cerr << "xyp_bench latency reader: " << e.what() << "\n";
      reader_failed = true;
    }
  });

  // The producer: event i is due at start + i / rate; whatever is due is sent in one write.
  sync_client producer(ctx.server.port());
  const double period_ns = 1e9 / rate;
  const auto start = monotonic_ns() + 20'000'000;
  std::int64_t behind_max = 0;
  std::size_t next = 0;
  while (next < lines.size()) {
    const auto now = monotonic_ns();
    const auto due = start + static_cast<std::int64_t>(static_cast<double>(next) * period_ns);
    if (due > now) {
      std::this_thread::sleep_for(std::chrono::nanoseconds(due - now));
      continue;
    }
    std::size_t end = next;
    std::size_t commands = 0;
    while (end < lines.size() && end - next < 500 &&
           start + static_cast<std::int64_t>(static_cast<double>(end) * period_ns) <= now) {
      for (const auto n : routes[end].to) {
        producer.append({"XADD", keys[n].events(), "*", "event", lines[end]});
        ++commands;
      }
      ++end;
    }
    const auto at = monotonic_ns();
    producer.flush();
    for (std::size_t i = next; i < end; ++i) sent[i] = at;
    behind_max = std::max(behind_max, at - due);
    for (std::size_t i = 0; i < commands; ++i) {
      const auto reply = producer.read_reply();
      if (reply.is_error()) throw std::runtime_error("XADD failed: " + reply.error_message());
    }
    next = end;
  }
  const auto produced = monotonic_ns();
  wait_caught_up(ctx, prefix, true, engine);
  {
    auto c = ctx.client();
    std::vector<stream_position> last;
    for (const auto& k : keys) {
      const auto info = c.command({"XINFO", "STREAM", k.out()});
      last.push_back(info.is_error() ? stream_position{}
                                     : stream_position::of(fields_of(info)["last-generated-id"]));
    }
    std::lock_guard lock(target_mutex);
    target = std::move(last);
  }
  reader.join();
  const auto cpu_used = cpu.report();
  const auto stats = engine.stop();
  if (reader_failed) throw std::runtime_error("the outbound reader failed");

  histogram latency_us;
  std::size_t with_outbound = 0;
  for (const auto& [id, i] : first_line) {
    if (seen[i] == 0) continue;
    ++with_outbound;
    latency_us.record((seen[i] - sent[i]) / 1000);
  }
  const double offered = static_cast<double>(lines.size()) / seconds_between(start, produced);
  std::cout << "latency: p50 " << ms_of_us(latency_us.percentile(0.5)) << ", p99 "
            << ms_of_us(latency_us.percentile(0.99)) << ", p99.9 "
            << ms_of_us(latency_us.percentile(0.999)) << ", max " << ms_of_us(latency_us.max())
            << " at " << std::llround(offered) << " events/s offered ("
            << fixed(seconds_between(start, produced), 1)
            << " s, XADD to the first outbound entry)\n";
  std::cout << "  " << with_outbound << " of " << first_line.size()
            << " distinct events had an outbound entry (the rest: dead letters, repeats, credit "
               "reports without effect); producer at most "
            << ms_of_us(static_cast<std::uint64_t>(behind_max / 1000)) << " behind its schedule\n";
  print_engine_stats(stats);
  std::cout << cpu_used << "\n";
  {
    auto c = ctx.client();
    std::cout << redis_time(c, seconds_between(start, produced)) << "\n";
    std::cout << calls_per_event(c, lines.size(), stats) << "\n";
  }
  std::cout << reproduce(o, "latency") << " --rate " << std::llround(rate) << "\n";
}

}  // namespace xyp::bench
