#pragma once
// What every scenario of xyp_bench shares: the options, the private Redis and the engine child,
// the traffic, the printing, and Redis's own counters. Each scenario lives in
// tests/bench/scenarios/<name>.cpp; tests/bench/bench.cpp runs the ones asked for.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "adapters/redis/keys.hpp"
#include "bench/bench_support.hpp"
#include "bench/histogram.hpp"
#include "engine/domain/calendar.hpp"
#include "engine/domain/partition.hpp"
#include "engine/domain/policy.hpp"
#include "engine/domain/time.hpp"
#include "engine/runtime/processor.hpp"
#include "support/redis_server.hpp"

namespace xyp::bench {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline const std::string config_dir = XYP_CONFIG_DIR;

struct bench_options {
  std::vector<std::string> only;  // empty: every figure
  double scale = 1.0;
  std::uint32_t partitions = 1;
  std::size_t batch_size = 256;
  std::uint64_t drain_events = 200'000;
  std::uint32_t cluster_partitions = 6;  // the cluster figure's N (its own: --partitions is 1)
  std::uint32_t cluster_engines = 3;     // the cluster figure runs 1..this many engines
  std::vector<double> latency_rates{10'000, 2'000};  // offered events/s, one run each
  double latency_seconds = 20;
  std::uint64_t cases = 1'000'000;  // open cases for the footprint and the timer storms
  std::vector<std::uint64_t> storms{1'000, 100'000};  // cases whose deadlines share an instant
  std::uint64_t ceiling_requests = 1'000'000;
  std::string engine_wrapper;  // e.g. "valgrind --tool=callgrind": the engine runs under it
  std::vector<std::string> api_run_args;  // more arguments to the api figure's `xinyipi run`
  std::size_t api_pairs = 3;  // the api figure's pairs of drains (alone, beside the clients)
  fs::path profile = config_dir + "/profiles/shilong.json";
  fs::path calendars = config_dir + "/calendars";
  std::string command_line;  // how this run was started, for "reproduce"

  bool wants(std::string_view figure) const { return only.empty() || asked_for(figure); }
  // Figures that a run without --only leaves out (the cluster: a 6-node Cluster and four drains).
  bool asked_for(std::string_view figure) const {
    return std::find(only.begin(), only.end(), figure) != only.end();
  }
  std::uint64_t scaled(std::uint64_t n) const {
    return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(n * scale)));
  }
};

// ---------------------------------------------------------------------------------------------
// Printing.

std::string fixed(double value, int digits);

std::string ms_of_us(std::uint64_t us);

std::string mb_of_kb(std::int64_t kb);

// Progress goes to stderr; the figures to stdout.
void note(const std::string& text);

double seconds_between(std::int64_t from_ns, std::int64_t to_ns);

// ---------------------------------------------------------------------------------------------
// Traffic.

// The realistic mix of adapters/cli/traffic (bad input included), simulated clock: the first
// `count` lines of a stream for enough cases.
std::vector<std::string> realistic_lines(const jurisdiction_policy& policy,
                                         const working_calendar& calendar, std::size_t count);

std::string field_of(const std::string& line, std::string_view name);

// Cases that stay open: the case.apply lines of generated traffic (with the credit reports that
// precede an applicant's first application), no bad input and no clock. Chunk k gets its own
// ids. Appends to `out`; returns the number of applications.
std::size_t open_case_lines(const jurisdiction_policy& policy, const working_calendar& calendar,
                            std::uint32_t cases, std::uint32_t chunk,
                            std::vector<std::string>& out);

std::string clock_advance_line(const std::string& id, instant to);

// Where a line goes (the contract's rule, partitions_for); and its event id
// when it is a valid event (empty for bad input).
struct routed_line {
  partition_range to;
  std::string id;
  bool everywhere = false;  // a clock.advance: its id is seen once in every partition
};

routed_line route(const std::string& line, std::uint32_t partitions);

// ---------------------------------------------------------------------------------------------
// The server and the engine.

struct bench_context {
  const bench_options& options;
  test::redis_server& server;
  jurisdiction_policy policy;
  working_calendar calendar;  // the traffic's cases are played on it
  fs::path work;              // temporary files of this run
  std::string self;
  pid_t redis_pid = -1;

  sync_client client() const { return sync_client(server.port()); }
  std::vector<redis::partition_keys> keys(const std::string& prefix) const {
    std::vector<redis::partition_keys> k;
    for (std::uint32_t n = 0; n < options.partitions; ++n) k.emplace_back(prefix, n);
    return k;
  }
};

// Writes lines to the inbound streams as `xinyipi submit` does, pipelined 1000 at a time.
std::uint64_t preload(const bench_context& ctx, sync_client& c, const std::string& prefix,
                      const std::vector<std::string>& lines);

// Where an engine child serves, when not the bench's own Redis with --partitions: the cluster
// figure points several engines at one node of a Redis Cluster.
struct engine_place {
  std::uint16_t port = 0;        // 0: the bench's redis-server
  std::uint32_t partitions = 0;  // 0: --partitions
  std::string consumer = "engine-1";
};

// The engine in a child process: `xyp_bench engine ...`, optionally under a wrapper (valgrind).
class engine_run {
 public:
  // `name` names its files; the engine serves the keys under `prefix` (by default the name).
  engine_run(const bench_context& ctx, const std::string& name, clock_mode clock,
             std::string prefix = {}, const engine_place& place = {})
      : stats_(ctx.work / (name + ".stats.json")) {
    if (prefix.empty()) prefix = name;
    const auto port = place.port ? place.port : ctx.server.port();
    const auto partitions = place.partitions ? place.partitions : ctx.options.partitions;
    std::vector<std::string> argv;
    std::istringstream wrapper(ctx.options.engine_wrapper);
    for (std::string word; wrapper >> word;) argv.push_back(word);
    const std::vector<std::string> own{
        ctx.self,       "engine",
        "--port",       std::to_string(port),
        "--prefix",     prefix,
        "--partitions", std::to_string(partitions),
        "--consumer",   place.consumer,
        "--batch",      std::to_string(ctx.options.batch_size),
        "--clock",      clock == clock_mode::simulated ? "simulated" : "system",
        "--profile",    ctx.options.profile.string(),
        "--calendars",  ctx.options.calendars.string(),
        "--stats",      stats_.string()};
    argv.insert(argv.end(), own.begin(), own.end());
    const auto log = ctx.work / (name + ".engine.log");
    process_.emplace(argv, log, log);
    log_ = log;
  }

  pid_t pid() const { return process_->pid(); }
  bool running() { return process_->running(); }

  // SIGTERM, as an operator stops the engine; then its figures.
  nlohmann::json stop() {
    const int status = process_->stop(SIGTERM, 120s);
    std::ifstream in(stats_);
    if (!in || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::ifstream log(log_);
      std::stringstream text;
      text << log.rdbuf();
      throw std::runtime_error("the engine process failed (status " + std::to_string(status) +
                               "):\n" + text.str());
    }
    return nlohmann::json::parse(in);
  }

 private:
  fs::path stats_;
  fs::path log_;
  std::optional<child_process> process_;
};

// RESP2 flat [k1, v1, k2, v2, ...] as a map of the string and integer values.
std::map<std::string, std::string> fields_of(const redis::reply& r);

struct backlog {
  std::uint64_t entries_read = 0;
  std::uint64_t pending = 0;
  std::int64_t timers_due = 0;
  bool caught_up = true;
};

// Whether the engine has applied every entry of every partition and fired every timer its
// clock has made due (with the simulated clock; a clock.advance is acknowledged before the
// timers it makes due fire).
backlog engine_backlog(const bench_context& ctx, sync_client& c, const std::string& prefix,
                       bool simulated);

// Polls until the engine has caught up, with progress on stderr every 10 s.
void wait_caught_up(const bench_context& ctx, const std::string& prefix, bool simulated,
                    engine_run& engine);

std::string load_average();

// CPU seconds of the engine and of redis-server over a stretch of the run: where the time went.
class cpu_meter {
 public:
  cpu_meter(pid_t engine, pid_t redis)
      : engine_(engine),
        redis_(redis),
        engine_start_(cpu_seconds(engine).value_or(0)),
        redis_start_(cpu_seconds(redis).value_or(0)),
        engine_waited_(run_queue_seconds(engine).value_or(0)),
        redis_waited_(run_queue_seconds(redis).value_or(0)),
        start_ns_(monotonic_ns()) {}

  double engine_seconds() const { return cpu_seconds(engine_).value_or(0) - engine_start_; }
  double redis_seconds() const { return cpu_seconds(redis_).value_or(0) - redis_start_; }

  // Call while the engine is still running.
  std::string report() const {
    const double engine = cpu_seconds(engine_).value_or(0) - engine_start_;
    const double redis = cpu_seconds(redis_).value_or(0) - redis_start_;
    const double wall = seconds_between(start_ns_, monotonic_ns());
    const double engine_waited = run_queue_seconds(engine_).value_or(0) - engine_waited_;
    const double redis_waited = run_queue_seconds(redis_).value_or(0) - redis_waited_;
    return "  cpu: engine " + fixed(engine, 2) + " s, redis-server " + fixed(redis, 2) + " s, in " +
           fixed(wall, 2) + " s of wall time; ready but waiting for a core: engine " +
           fixed(engine_waited, 2) + " s, redis-server " + fixed(redis_waited, 2) + " s";
  }

 private:
  pid_t engine_, redis_;
  double engine_start_, redis_start_, engine_waited_, redis_waited_;
  std::int64_t start_ns_;
};

void wait_group_created(const bench_context& ctx, const std::string& prefix);

void flush_all(const bench_context& ctx);

std::string reproduce(const bench_options& o, const std::string& figure);

void print_engine_stats(const nlohmann::json& s);

// AOF rewrites since the server started (a fork that competes for the CPU while it runs).
std::int64_t aof_rewrites(sync_client& c);

// Where Redis spent its time since the last CONFIG RESETSTAT. INFO commandstats counts the
// commands inside a transaction or a Function both on their own and in the EXEC or FCALL around
// them: what the EXECs took beyond their commands is the transaction's own cost, likewise FCALL.
// One command's line of INFO commandstats.
struct command_stat {
  std::string name;
  double calls = 0;
  double usec = 0;
};

std::vector<command_stat> command_stats(sync_client& c);
// The same from the text of INFO commandstats (a Cluster's master, asked through another client).
std::vector<command_stat> command_stats(const std::string& info_text);

std::string redis_time(sync_client& c, double wall_seconds);

// What Redis ran per inbound event since the last CONFIG RESETSTAT (the producer's XADDs and the
// bench reader's XREADs included), and the engine's batches: at small batches the round trips
// per batch, not the work per event, are what Redis spends its CPU on.
std::string calls_per_event(sync_client& c, std::size_t events, const nlohmann::json& stats);

// ---------------------------------------------------------------------------------------------
// The scenarios, one file each under tests/bench/scenarios/.

struct drain_result {
  double events_per_s = 0;
};
drain_result bench_drain(const bench_context& ctx);
void bench_peer(const bench_context& ctx, std::optional<double> drained);
void bench_latency(const bench_context& ctx, double rate);
// footprint and timers share their million open cases.
void bench_cases(const bench_context& ctx, bool footprint, bool timers);
void bench_ceiling(const bench_context& ctx, std::optional<double> drained);
void bench_api(const bench_context& ctx);
// Against a Redis Cluster of its own (tests/support/redis_cluster), 1..cluster_engines engines.
void bench_cluster(const bench_context& ctx);

}  // namespace xyp::bench
