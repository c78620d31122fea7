// footprint and timers: a million open cases, their Redis bytes and the engine's memory; then
// the storms in which their timers come due.
#include "bench/scenario_support.hpp"

#include <unistd.h>
#include <algorithm>
#include <cmath>
#include <iostream>
#include <thread>
#include "adapters/redis/keys.hpp"
#include "bench/bench_support.hpp"
#include "bench/engine_child.hpp"
#include "bench/histogram.hpp"
#include "engine/domain/applicant_record.hpp"
#include "engine/domain/calendar.hpp"
#include "engine/domain/case_codec.hpp"
#include "engine/domain/partition.hpp"
#include "engine/domain/policy.hpp"
#include "engine/runtime/processor.hpp"
#include "support/redis_server.hpp"

namespace xyp::bench {

namespace {

std::int64_t memory_usage(sync_client& c, const std::string& key) {
  const auto r = c.command({"MEMORY", "USAGE", key, "SAMPLES", "0"});
  return r.is_integer() ? r.as_integer() : 0;
}

// MEMORY USAGE summed over every key matching `pattern` (SCAN, so Redis is never blocked).
std::int64_t memory_matching(sync_client& c, const std::string& pattern) {
  std::int64_t bytes = 0;
  std::string cursor = "0";
  do {
    const auto page = c.command({"SCAN", cursor, "MATCH", pattern, "COUNT", "10000"});
    cursor = page.elements()[0].as_string();
    for (const auto& key : page.elements()[1].elements()) bytes += memory_usage(c, key.as_string());
  } while (cursor != "0");
  return bytes;
}

struct timers_pending {
  std::int64_t count = 0;
  std::int64_t first_due = std::numeric_limits<std::int64_t>::max();
  std::int64_t last_due = 0;
};

timers_pending pending_timers(const bench_context& ctx, sync_client& c, const std::string& prefix) {
  timers_pending t;
  for (const auto& k : ctx.keys(prefix)) {
    t.count += c.command({"ZCARD", k.timers()}).as_integer();
    const auto first = c.command({"ZRANGE", k.timers(), "0", "0", "WITHSCORES"});
    const auto last = c.command({"ZRANGE", k.timers(), "-1", "-1", "WITHSCORES"});
    if (!first.elements().empty()) {
      t.first_due =
          std::min<std::int64_t>(t.first_due, std::stoll(first.elements()[1].as_string()));
      t.last_due = std::max<std::int64_t>(t.last_due, std::stoll(last.elements()[1].as_string()));
    }
  }
  return t;
}

std::int64_t timers_due_by(const bench_context& ctx, sync_client& c, const std::string& prefix,
                           std::int64_t ms) {
  std::int64_t due = 0;
  for (const auto& k : ctx.keys(prefix)) {
    due += c.command({"ZCOUNT", k.timers(), "-inf", std::to_string(ms)}).as_integer();
  }
  return due;
}

void print_footprint(const bench_context& ctx, sync_client& c, const std::string& prefix,
                     std::int64_t memory_before, engine_run& engine) {
  std::int64_t cases = 0, open = 0;
  for (const auto& k : ctx.keys(prefix)) {
    // Every case is in one state index.
    for (int s = 0; s < case_state_count; ++s) {
      cases += c.command({"ZCARD", k.by_state(to_string(static_cast<case_state>(s)))}).as_integer();
    }
    for (const auto* state : {"applied", "correction_required", "accepted", "accepted_deficient",
                              "supplement_overdue"}) {
      open += c.command({"ZCARD", k.by_state(state)}).as_integer();
    }
  }
  // The case hashes, from a sample: up to 16 cases from each of 64 buckets spread over the 4096.
  std::int64_t sampled = 0, hash_bytes = 0, doc_bytes = 0;
  for (const auto& k : ctx.keys(prefix)) {
    std::vector<std::string> ids;
    for (std::uint32_t b = 0; b < redis::case_buckets; b += redis::case_buckets / 64) {
      const auto some = c.command({"HRANDFIELD", k.case_bucket_key(b), "16"});
      for (const auto& id : some.elements()) {
        ids.push_back(id.as_string());
      }
    }
    for (const auto& id : ids) {
      // A bucket's bytes shared out over its cases.
      const auto bucket = k.case_key(id);
      const auto fields = std::max<std::int64_t>(1, c.command({"HLEN", bucket}).as_integer());
      hash_bytes += memory_usage(c, bucket) / fields;
      doc_bytes += c.command({"HSTRLEN", bucket, id}).as_integer();
      ++sampled;
    }
  }
  // Whole structures: indexes, timers, applied ids, the ledger, applicant records, streams; exact
  // (SAMPLES 0).
  std::int64_t indexes = 0, timers = 0, applied = 0, ledger = 0, streams = 0, timer_count = 0;
  std::int64_t applicants = 0, applicant_bytes = 0, listpacks = 0, buckets = 0;
  std::int64_t sampled_records = 0, record_bytes = 0, sampled_ids = 0;
  for (const auto& k : ctx.keys(prefix)) {
    for (std::uint32_t b = 0; b < redis::applicant_buckets; ++b) {
      const auto bucket = k.applicant_bucket_key(b);
      const auto fields = c.command({"HLEN", bucket}).as_integer();
      if (fields == 0) continue;
      ++buckets;
      applicants += fields;
      applicant_bytes += memory_usage(c, bucket);
      if (c.command({"OBJECT", "ENCODING", bucket}).as_string() == "listpack") ++listpacks;
      if (b % 64 != 0) continue;
      // A sample read back through the engine's decoder: record sizes, case ids per applicant.
      const auto all = c.command({"HGETALL", bucket}).elements();
      for (std::size_t i = 0; i + 1 < all.size(); i += 2) {
        record_bytes += static_cast<std::int64_t>(all[i + 1].as_string().size());
        sampled_ids +=
            static_cast<std::int64_t>(decode_applicant(all[i + 1].as_string()).case_ids.size());
        ++sampled_records;
      }
    }
    // Every idx:* key (state, matter, overdue) and the escalations.
    const std::string pattern = partition_key_prefix(prefix, k.partition()) + "idx:*";
    indexes += memory_matching(c, pattern);
    indexes += memory_usage(c, k.escalations());
    timers += memory_usage(c, k.timers());
    timer_count += c.command({"ZCARD", k.timers()}).as_integer();
    // Applied ids: every day bucket (applied:<yyyymmdd>), and an earlier build's zset and its
    // fingerprint hash (applied:fp) while they are there.
    applied += memory_usage(c, k.applied());
    const std::string applied_pattern = partition_key_prefix(prefix, k.partition()) + "applied:*";
    applied += memory_matching(c, applied_pattern);
    ledger += memory_usage(c, k.ledger()) + memory_usage(c, k.ledger_by_date());
    streams += memory_usage(c, k.events()) + memory_usage(c, k.out()) + memory_usage(c, k.dead());
  }
  const auto memory_after = c.info_number("memory", "used_memory");
  const auto delta = memory_after - memory_before;
  const double per_case_hash = sampled ? static_cast<double>(hash_bytes) / sampled : 0;
  const double n = static_cast<double>(std::max<std::int64_t>(cases, 1));
  const double all_state = static_cast<double>(delta - streams) / n;
  const double hashes_total = per_case_hash * n;
  const double rest = static_cast<double>(delta - streams) - hashes_total -
                      static_cast<double>(indexes + timers + applied + ledger + applicant_bytes);
  const auto hwm = proc_status_kb(engine.pid(), "VmHWM").value_or(-1);
  const auto rss = proc_status_kb(engine.pid(), "VmRSS").value_or(-1);
  std::cout << "footprint: " << std::llround(all_state) << " B of Redis per open case (" << cases
            << " cases, " << open << " open; case hash alone " << std::llround(per_case_hash)
            << " B); engine peak RSS " << mb_of_kb(hwm) << " (now " << mb_of_kb(rss) << ")\n";
  std::cout << "  per case: case hash " << std::llround(per_case_hash) << " B (stored case "
            << std::llround(sampled ? static_cast<double>(doc_bytes) / sampled : 0)
            << " B), indexes " << std::llround(static_cast<double>(indexes) / n) << " B, timers "
            << std::llround(static_cast<double>(timers) / n) << " B (" << timer_count
            << " pending), applied ids " << std::llround(static_cast<double>(applied) / n)
            << " B (with their fingerprints), ledger rows "
            << std::llround(static_cast<double>(ledger) / n) << " B, applicant records "
            << std::llround(static_cast<double>(applicant_bytes) / n) << " B, rest "
            << std::llround(rest / n) << " B\n";
  const double per_record =
      sampled_records ? static_cast<double>(record_bytes) / static_cast<double>(sampled_records)
                      : 0;
  std::cout << "  applicants: " << applicants << " records in " << buckets << " buckets ("
            << listpacks << " listpack), " << std::llround(per_record) << " B per record, "
            << (sampled_records
                    ? static_cast<double>(sampled_ids) / static_cast<double>(sampled_records)
                    : 0)
            << " case ids per applicant (sampled " << sampled_records << ")\n";
  std::cout << "  used_memory delta " << mb_of_kb(delta / 1024) << " = " << std::llround(delta / n)
            << " B/case with the streams (inbound, outbound, dead: " << mb_of_kb(streams / 1024)
            << ", not case state: capped by MAXLEN and trimmed)\n";
}

struct storm_result {
  std::string id;
  std::int64_t due_before = 0;  // timers due when the clock moved
  double seconds = 0;           // XADD of the clock.advance to the last firing's commit
  std::string cpu;
};

storm_result run_storm(const bench_context& ctx, sync_client& c, const std::string& prefix,
                       const std::string& id, std::int64_t to_ms, engine_run& engine) {
  storm_result s;
  s.id = id;
  s.due_before = timers_due_by(ctx, c, prefix, to_ms);
  const auto line = clock_advance_line(id, instant{std::chrono::milliseconds{to_ms}});
  c.command({"CONFIG", "RESETSTAT"});
  const auto started = monotonic_ns();
  const cpu_meter cpu(engine.pid(), ctx.redis_pid);
  const std::vector<std::string> one{line};
  preload(ctx, c, prefix, one);
  wait_caught_up(ctx, prefix, true, engine);
  s.seconds = seconds_between(started, monotonic_ns());
  s.cpu = cpu.report() + "\n" + redis_time(c, s.seconds);
  return s;
}

void print_storm(const storm_result& s, const nlohmann::json& stats, std::int64_t pending_before) {
  if (!stats.at("storms").contains(s.id)) {
    std::cout << "timers: no timer fired at " << s.id << "\n";
    return;
  }
  const auto& j = stats.at("storms").at(s.id);
  const auto lag = histogram::from_json(j.at("lag_us"));
  const double rate = static_cast<double>(lag.count()) / s.seconds;
  std::cout << "timers: storm of " << s.due_before << " due at once with " << pending_before
            << " pending: lag p50 " << ms_of_us(lag.percentile(0.5)) << ", p99 "
            << ms_of_us(lag.percentile(0.99)) << ", max " << ms_of_us(lag.max()) << " ("
            << lag.count() << " firings, the last " << fixed(s.seconds, 2)
            << " s after the XADD of the clock.advance: " << std::llround(rate) << " timers/s)\n";
  std::cout << s.cpu << "\n";
}

// With the system clock, as production runs: `size` open cases of their own (prefix "system")
// whose pending timers are all moved to come due at one instant 3 s ahead, then an engine on the
// system clock. Lag = commit wall time minus due time, from the runtime's timer_lag hook.
void system_clock_storm(const bench_context& ctx, std::uint64_t size) {
  const std::string prefix = "system";
  auto c = ctx.client();
  std::vector<std::string> lines;
  open_case_lines(ctx.policy, ctx.calendar, static_cast<std::uint32_t>(size), 999, lines);
  preload(ctx, c, prefix, lines);
  {
    engine_run applying(ctx, prefix + "-apply", clock_mode::simulated, prefix);
    wait_caught_up(ctx, prefix, true, applying);
    applying.stop();
  }
  const auto keys = ctx.keys(prefix);
  const auto due =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()) +
      std::chrono::seconds{3};
  const auto due_ms = std::to_string(due.time_since_epoch().count());
  std::uint64_t moved = 0;
  for (const auto& k : keys) {
    const auto ids = c.command({"ZRANGE", k.timers(), "0", "-1"});
    std::vector<std::vector<std::string>> writes;
    for (const auto& id : ids.elements()) {
      // The timer's due time is its score.
      writes.push_back({"ZADD", k.timers(), "XX", due_ms, id.as_string()});
      ++moved;
    }
    if (!writes.empty()) c.pipeline(writes);
  }
  engine_run engine(ctx, prefix, clock_mode::system);
  for (;;) {
    if (std::chrono::system_clock::now() > due &&
        timers_due_by(ctx, c, prefix, due.time_since_epoch().count()) == 0) {
      break;
    }
    if (!engine.running()) throw std::runtime_error("the engine process ended early");
    std::this_thread::sleep_for(10ms);
  }
  const auto stats = engine.stop();
  const auto commit_lag = histogram::from_json(stats.at("commit_lag_ms"));
  const auto hook_lag = histogram::from_json(stats.at("timer_lag_ms"));
  std::cout << "timers: system clock, storm of " << moved << " due at one instant: lag p50 "
            << commit_lag.percentile(0.5) << " ms, p99 " << commit_lag.percentile(0.99)
            << " ms, max " << commit_lag.max()
            << " ms (commit wall time - due; the runtime's timer_lag hook: p50 "
            << hook_lag.percentile(0.5) << " ms, p99 " << hook_lag.percentile(0.99) << " ms)\n";
  std::cout << "  " << commit_lag.count()
            << " firings timed (those due after the engine started; a firing's own follow-up "
               "due in the wall clock's past is not a lag); the loop sleeps on an Asio timer "
               "until the next due time\n";
}

// The case.apply line with its time moved to `at`: cases applied on one day share their
// deadlines, which come due in one storm.
std::string applied_at(const std::string& line, const std::string& at) {
  const std::string marker = "\"at\":\"";
  const auto begin = line.find(marker) + marker.size();
  return line.substr(0, begin) + at + line.substr(line.find('"', begin));
}

}  // namespace

void bench_cases(const bench_context& ctx, bool footprint, bool timers) {
  const auto& o = ctx.options;
  const std::string prefix = "cases";
  flush_all(ctx);
  auto c = ctx.client();
  c.command({"MEMORY", "PURGE"});
  const auto memory_before = c.info_number("memory", "used_memory");
  const auto wanted = o.scaled(o.cases);
  // The first storms[0] applications are made on one Monday, the next storms[1] two weeks
  // later, ...: weeks before the rest of the traffic, so that each group's intake deadlines are
  // the first to come due once the previous group's have fired.
  std::vector<std::uint64_t> storm_ends;
  std::vector<std::string> storm_days;
  // A sample of each group's cases: partition and case id.
  std::vector<std::vector<std::pair<std::uint32_t, std::string>>> storm_cases(o.storms.size());
  std::uint64_t storm_total = 0;
  for (std::size_t i = 0; timers && i < o.storms.size(); ++i) {
    storm_total += o.scaled(o.storms[i]);
    storm_ends.push_back(storm_total);
    storm_days.push_back(format_rfc3339(*parse_rfc3339("2026-10-12T09:00:00+08:00") +
                                        std::chrono::days{14 * static_cast<int>(i)}));
  }
  if (storm_total > wanted) throw std::invalid_argument("the storms need more cases than --cases");
  note("generating and pre-loading " + std::to_string(wanted) + " open cases (case.apply only)");
  constexpr std::uint32_t chunk_cases = 20'000;
  std::uint64_t applications = 0, entries = 0;
  std::uint32_t chunk = 0;
  double generating = 0, loading = 0;
  while (applications < wanted) {
    const auto cases = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(chunk_cases, (wanted - applications) * 105 / 100 + 10));
    std::vector<std::string> lines;
    const auto g0 = monotonic_ns();
    open_case_lines(ctx.policy, ctx.calendar, cases, chunk++, lines);
    // Exactly the number wanted: drop applications past it (and what follows them).
    std::vector<std::string> kept;
    for (auto& line : lines) {
      if (applications >= wanted) break;
      if (field_of(line, "type") == "case.apply") {
        const auto storm = std::upper_bound(storm_ends.begin(), storm_ends.end(), applications);
        if (storm != storm_ends.end()) {
          const auto group = static_cast<std::size_t>(storm - storm_ends.begin());
          line = applied_at(line, storm_days[group]);
          if (storm_cases[group].size() < 500) {
            storm_cases[group].emplace_back(
                partition_of(field_of(line, "applicant_id"), o.partitions),
                field_of(line, "case_id"));
          }
        }
        ++applications;
      }
      kept.push_back(std::move(line));
    }
    const auto g1 = monotonic_ns();
    entries += preload(ctx, c, prefix, kept);
    const auto g2 = monotonic_ns();
    generating += seconds_between(g0, g1);
    loading += seconds_between(g1, g2);
  }
  note(std::to_string(applications) + " applications, " + std::to_string(entries) +
       " entries (generated in " + fixed(generating, 1) + " s, loaded in " + fixed(loading, 1) +
       " s)");

  c.command({"CONFIG", "RESETSTAT"});
  engine_run engine(ctx, prefix, clock_mode::simulated);
  const auto created_from = monotonic_ns();
  const cpu_meter cpu(engine.pid(), ctx.redis_pid);
  wait_caught_up(ctx, prefix, true, engine);
  const double creating = seconds_between(created_from, monotonic_ns());
  std::cout << "cases: " << applications << " open cases created from " << entries << " entries in "
            << fixed(creating, 1) << " s (" << std::llround(static_cast<double>(entries) / creating)
            << " events/s)\n";
  std::cout << cpu.report() << "\n" << redis_time(c, creating) << "\n";
  if (footprint) print_footprint(ctx, c, prefix, memory_before, engine);
  if (!timers) {
    print_engine_stats(engine.stop());
    std::cout << reproduce(o, "footprint") << "\n";
    return;
  }
  // Storm i: the clock moves to the instant by which every case of group i has an intake
  // deadline due (read from a sample of their records); the rest stay pending.
  std::vector<std::pair<storm_result, std::int64_t>> storms;
  for (std::size_t i = 0; i < storm_days.size(); ++i) {
    std::int64_t to = 0;
    for (const auto& [n, id] : storm_cases[i]) {
      std::int64_t first = std::numeric_limits<std::int64_t>::max();
      const auto doc = c.command({"HGET", ctx.keys(prefix)[n].case_key(id), id});
      if (doc.is_nil()) continue;
      const nlohmann::json record = decode_case(doc.as_string());
      for (const auto& clock : record.at("clocks")) {
        if (clock.at("status") != "armed") continue;
        const auto due = parse_rfc3339(clock.at("due_at").get<std::string>());
        if (due) first = std::min<std::int64_t>(first, due->time_since_epoch().count());
      }
      if (first != std::numeric_limits<std::int64_t>::max()) to = std::max(to, first);
    }
    note("storm " + std::to_string(i + 1) + ": the clock moves to " +
         format_rfc3339(instant{std::chrono::milliseconds{to}}));
    const auto pending = pending_timers(ctx, c, prefix);
    storms.emplace_back(run_storm(ctx, c, prefix, "storm-" + std::to_string(i + 1), to, engine),
                        pending.count);
  }
  const auto stats = engine.stop();
  for (const auto& [storm, pending] : storms) print_storm(storm, stats, pending);
  std::cout << "  lag = wall time from the commit of the clock.advance to the commit of each "
               "firing (simulated clock)\n";
  print_engine_stats(stats);
  system_clock_storm(ctx, o.scaled(o.storms.front()));
  std::cout << reproduce(o, footprint ? "footprint --only timers" : "timers") << "\n";
}

}  // namespace xyp::bench
