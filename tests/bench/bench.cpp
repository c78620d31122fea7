// xyp_bench: the figures of docs/benchmarks.md. Starts a private redis-server (loopback, free
// port, temporary directory, AOF everysec, noeviction), runs the real engine against it in a
// child process, and prints each figure with the command that reproduces it. Not a test: ctest
// never runs it; scripts/bench.sh does.
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "adapters/cli/traffic.hpp"
#include "adapters/redis/keys.hpp"
#include "bench/api_load.hpp"
#include "bench/bench_support.hpp"
#include "bench/engine_child.hpp"
#include "bench/histogram.hpp"
#include "engine/domain/applicant_record.hpp"
#include "engine/domain/case_codec.hpp"
#include "engine/domain/event.hpp"
#include "engine/domain/partition.hpp"
#include "engine/domain/policy.hpp"
#include "engine/runtime/processor.hpp"
#include "support/redis_server.hpp"

namespace xyp::bench {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string config_dir = XYP_CONFIG_DIR;

struct bench_options {
  std::vector<std::string> only;  // empty: every figure
  double scale = 1.0;
  std::uint32_t partitions = 1;
  std::size_t batch_size = 256;
  std::uint64_t drain_events = 200'000;
  std::vector<double> latency_rates{10'000, 2'000};  // offered events/s, one run each
  double latency_seconds = 20;
  std::uint64_t cases = 1'000'000;  // open cases for the footprint and the timer storms
  std::vector<std::uint64_t> storms{1'000, 100'000};  // cases whose deadlines share an instant
  std::uint64_t ceiling_requests = 1'000'000;
  std::string engine_wrapper;  // e.g. "valgrind --tool=callgrind": the engine runs under it
  std::vector<std::string> api_run_args;  // more arguments to the api figure's `xinyipi run`
  fs::path profile = config_dir + "/profiles/shilong.json";
  fs::path calendars = config_dir + "/calendars";
  std::string command_line;  // how this run was started, for "reproduce"

  bool wants(std::string_view figure) const {
    return only.empty() || std::find(only.begin(), only.end(), figure) != only.end();
  }
  std::uint64_t scaled(std::uint64_t n) const {
    return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(n * scale)));
  }
};

// ---------------------------------------------------------------------------------------------
// Printing.

std::string fixed(double value, int digits) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(digits);
  out << value;
  return out.str();
}

std::string ms_of_us(std::uint64_t us) {
  return fixed(static_cast<double>(us) / 1000.0, us < 10'000 ? 2 : 1) + " ms";
}

std::string mb_of_kb(std::int64_t kb) {
  return fixed(static_cast<double>(kb) / 1024.0, 1) + " MB";
}

// Progress goes to stderr; the figures to stdout.
void note(const std::string& text) {
  std::cerr << "  . " << text << std::endl;
}

double seconds_between(std::int64_t from_ns, std::int64_t to_ns) {
  return static_cast<double>(to_ns - from_ns) / 1e9;
}

// ---------------------------------------------------------------------------------------------
// Traffic.

// The realistic mix of adapters/cli/traffic (bad input included), simulated clock: the first
// `count` lines of a stream for enough cases.
std::vector<std::string> realistic_lines(const jurisdiction_policy& policy, std::size_t count) {
  cli::traffic_options options;
  options.cases = static_cast<std::uint32_t>(std::max<std::size_t>(60, count / 4));
  for (;;) {
    auto lines = cli::generate_traffic(policy, options);
    if (lines.size() >= count) {
      lines.resize(count);
      return lines;
    }
    options.cases = options.cases * 3 / 2 + 60;
  }
}

std::string field_of(const std::string& line, std::string_view name) {
  const std::string marker = "\"" + std::string(name) + "\":\"";
  const auto at = line.find(marker);
  if (at == std::string::npos) return {};
  const auto begin = at + marker.size();
  const auto end = line.find('"', begin);
  return end == std::string::npos ? std::string() : line.substr(begin, end - begin);
}

// Cases that stay open: the case.apply lines of generated traffic (with the credit reports that
// precede an applicant's first application), no bad input and no clock. Chunk k gets its own
// ids. Appends to `out`; returns the number of applications.
std::size_t open_case_lines(const jurisdiction_policy& policy, std::uint32_t cases,
                            std::uint32_t chunk, std::vector<std::string>& out) {
  cli::traffic_options options;
  options.cases = cases;
  options.seed = 20261123 + chunk;
  options.bad_input_share = 0;
  options.clock_events = false;
  options.id_prefix = "c" + std::to_string(chunk);
  options.case_prefix = "C" + std::to_string(chunk) + "-";
  std::set<std::string> applied;
  std::size_t applications = 0;
  for (auto& line : cli::generate_traffic(policy, options)) {
    const auto type = field_of(line, "type");
    const auto applicant = field_of(line, "applicant_id");
    if (type == "case.apply") {
      applied.insert(applicant);
      ++applications;
      out.push_back(std::move(line));
    } else if (type == "credit.update" && !applied.contains(applicant)) {
      out.push_back(std::move(line));
    }
  }
  return applications;
}

std::string clock_advance_line(const std::string& id, instant to) {
  const nlohmann::json j = {{"id", id},
                            {"type", "clock.advance"},
                            {"at", format_rfc3339(to)},
                            {"actor", {{"id", "scheduler"}, {"role", "system"}}},
                            {"data", {{"to", format_rfc3339(to)}}}};
  return j.dump();
}

// Where a line goes (the contract's rule, partitions_for); and its event id
// when it is a valid event (empty for bad input).
struct routed_line {
  partition_range to;
  std::string id;
  bool everywhere = false;  // a clock.advance: its id is seen once in every partition
};

routed_line route(const std::string& line, std::uint32_t partitions) {
  routed_line r;
  const auto parsed = parse_envelope(line);
  if (const auto* event = std::get_if<inbound_event>(&parsed)) {
    r.id = event->id;
    r.everywhere = event->type == event_type::clock_advance;
  }
  r.to = partitions_for(parsed, line, partitions);
  return r;
}

// ---------------------------------------------------------------------------------------------
// The server and the engine.

struct bench_context {
  const bench_options& options;
  test::redis_server& server;
  jurisdiction_policy policy;
  fs::path work;  // temporary files of this run
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
                      const std::vector<std::string>& lines) {
  const auto keys = ctx.keys(prefix);
  std::vector<std::vector<std::string>> commands;
  std::uint64_t written = 0;
  auto send = [&] {
    for (const auto& r : c.pipeline(commands)) {
      if (r.is_error()) throw std::runtime_error("XADD failed: " + r.error_message());
    }
    written += commands.size();
    commands.clear();
  };
  for (const auto& line : lines) {
    const auto r = route(line, ctx.options.partitions);
    for (const auto n : r.to) commands.push_back({"XADD", keys[n].events(), "*", "event", line});
    if (commands.size() >= 1000) send();
  }
  if (!commands.empty()) send();
  return written;
}

// The engine in a child process: `xyp_bench engine ...`, optionally under a wrapper (valgrind).
class engine_run {
 public:
  // `name` names its files; the engine serves the keys under `prefix` (by default the name).
  engine_run(const bench_context& ctx, const std::string& name, clock_mode clock,
             std::string prefix = {})
      : stats_(ctx.work / (name + ".stats.json")) {
    if (prefix.empty()) prefix = name;
    std::vector<std::string> argv;
    std::istringstream wrapper(ctx.options.engine_wrapper);
    for (std::string word; wrapper >> word;) argv.push_back(word);
    const std::vector<std::string> own{
        ctx.self,       "engine",
        "--port",       std::to_string(ctx.server.port()),
        "--prefix",     prefix,
        "--partitions", std::to_string(ctx.options.partitions),
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
std::map<std::string, std::string> fields_of(const redis::reply& r) {
  std::map<std::string, std::string> out;
  const auto& e = r.elements();
  for (std::size_t i = 0; i + 1 < e.size(); i += 2) {
    if (e[i + 1].is_string() || e[i + 1].is_status()) {
      out[e[i].as_string()] = e[i + 1].as_string();
    } else if (e[i + 1].is_integer()) {
      out[e[i].as_string()] = std::to_string(e[i + 1].as_integer());
    }
  }
  return out;
}

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
                       bool simulated) {
  backlog b;
  for (const auto& k : ctx.keys(prefix)) {
    const auto stream = c.command({"XINFO", "STREAM", k.events()});
    const auto groups = c.command({"XINFO", "GROUPS", k.events()});
    if (stream.is_error() || groups.is_error() || groups.elements().empty()) {
      b.caught_up = false;
      continue;
    }
    const auto last = fields_of(stream)["last-generated-id"];
    auto group = fields_of(groups.elements().front());
    b.entries_read += group["entries-read"].empty() ? 0 : std::stoull(group["entries-read"]);
    b.pending += std::stoull(group["pending"]);
    if (group["last-delivered-id"] != last || group["pending"] != "0") b.caught_up = false;
    // Entries are read with NOACK: delivered is not yet committed. The committed position, written
    // in the same commit as the entries' effects, says the last one has landed.
    const auto position = c.command({"HGET", k.state(), "position"});
    if (last != "0-0" && (!position.is_string() || position.as_string() != last)) {
      b.caught_up = false;
    }
    if (simulated) {
      const auto clock = c.command({"HGET", k.state(), "clock"});
      if (!clock.is_nil()) {
        b.timers_due += c.command({"ZCOUNT", k.timers(), "-inf", clock.as_string()}).as_integer();
      }
    }
  }
  if (b.timers_due > 0) b.caught_up = false;
  return b;
}

// Polls until the engine has caught up, with progress on stderr every 10 s.
void wait_caught_up(const bench_context& ctx, const std::string& prefix, bool simulated,
                    engine_run& engine) {
  auto c = ctx.client();
  auto next_note = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    const auto b = engine_backlog(ctx, c, prefix, simulated);
    if (b.caught_up) return;
    if (!engine.running()) throw std::runtime_error("the engine process ended early");
    if (std::chrono::steady_clock::now() >= next_note) {
      note(std::to_string(b.entries_read) + " entries read, " + std::to_string(b.pending) +
           " pending, " + std::to_string(b.timers_due) + " timers due");
      next_note += 10s;
    }
    // Polling another process's progress.
    std::this_thread::sleep_for(10ms);
  }
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

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

void wait_group_created(const bench_context& ctx, const std::string& prefix) {
  auto c = ctx.client();
  const auto keys = ctx.keys(prefix);
  for (const auto& k : keys) {
    while (c.command({"XINFO", "GROUPS", k.events()}).is_error()) {
      std::this_thread::sleep_for(5ms);
    }
  }
}

void flush_all(const bench_context& ctx) {
  auto c = ctx.client();
  c.command({"FLUSHALL"});
}

std::string reproduce(const bench_options& o, const std::string& figure) {
  std::string cmd = "xyp_bench --only " + figure;
  if (o.scale != 1.0) cmd += " --scale " + fixed(o.scale, 3);
  if (o.partitions != 1) cmd += " --partitions " + std::to_string(o.partitions);
  if (o.batch_size != 256) cmd += " --batch " + std::to_string(o.batch_size);
  if (figure == "api") {
    for (const auto& a : o.api_run_args) cmd += " --api-run-arg=" + a;
  }
  return "  reproduce: " + cmd;
}

void print_engine_stats(const nlohmann::json& s) {
  const auto commit = histogram::from_json(s.at("commit_us"));
  std::cout << "  engine: " << s.at("scripts").get<std::uint64_t>() << " commits ("
            << s.at("units_ok").get<std::uint64_t>() << " units ok, "
            << s.at("units_duplicate").get<std::uint64_t>() << " duplicate, "
            << s.at("units_stale").get<std::uint64_t>() << " stale, "
            << s.at("conflicts").get<std::uint64_t>() << " sent again); commit p50 "
            << ms_of_us(commit.percentile(0.5)) << ", p99 " << ms_of_us(commit.percentile(0.99))
            << "; " << s.at("timer_units").get<std::uint64_t>() << " timer firings; peak RSS "
            << mb_of_kb(s.at("vm_hwm_kb").get<std::int64_t>()) << "\n";
}

// AOF rewrites since the server started (a fork that competes for the CPU while it runs).
std::int64_t aof_rewrites(sync_client& c) {
  return c.info_number("persistence", "aof_rewrites");
}

// Where Redis spent its time since the last CONFIG RESETSTAT. INFO commandstats counts the
// commands inside a transaction or a Function both on their own and in the EXEC or FCALL around
// them: what the EXECs took beyond their commands is the transaction's own cost, likewise FCALL.
// One command's line of INFO commandstats.
struct command_stat {
  std::string name;
  double calls = 0;
  double usec = 0;
};

std::vector<command_stat> command_stats(sync_client& c) {
  const auto text = c.command({"INFO", "commandstats"}).as_string();
  std::vector<command_stat> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("cmdstat_", 0) != 0) continue;
    const auto colon = line.find(':');
    out.push_back({line.substr(8, colon - 8), std::stod(line.substr(line.find("calls=") + 6)),
                   std::stod(line.substr(line.find("usec=") + 5))});
  }
  return out;
}

std::string redis_time(sync_client& c, double wall_seconds) {
  std::vector<std::pair<double, std::string>> rows;
  double exec = 0, fcall = 0;
  for (const auto& [name, calls, usec] : command_stats(c)) {
    if (name == "exec") exec = usec;
    if (name == "fcall") fcall = usec;
    rows.emplace_back(usec, name + " " + fixed(usec / 1e6, 2) + " s/" +
                                std::to_string(static_cast<std::uint64_t>(calls)));
  }
  std::sort(rows.rbegin(), rows.rend());
  std::string out = "  redis time (INFO commandstats, s/calls): ";
  for (std::size_t i = 0; i < rows.size() && i < 9; ++i) out += (i ? ", " : "") + rows[i].second;
  out += "\n  EXEC (the commits, their commands included) " + fixed(exec / 1e6, 2) +
         " s, FCALL (reads and leases, theirs included) " + fixed(fcall / 1e6, 2) + " s, of " +
         fixed(wall_seconds, 2) + " s wall";
  return out;
}

// What Redis ran per inbound event since the last CONFIG RESETSTAT (the producer's XADDs and the
// bench reader's XREADs included), and the engine's batches: at small batches the round trips
// per batch, not the work per event, are what Redis spends its CPU on.
std::string calls_per_event(sync_client& c, std::size_t events, const nlohmann::json& stats) {
  std::vector<std::pair<double, std::string>> rows;
  double usec_total = 0;
  for (const auto& [name, calls, usec] : command_stats(c)) {
    // A command inside a transaction or a Function is counted in the EXEC or FCALL too.
    if (name == "exec" || name == "fcall") usec_total += usec;
    rows.emplace_back(calls, name + " " + fixed(calls / static_cast<double>(events), 2));
  }
  std::sort(rows.rbegin(), rows.rend());
  const auto batches = stats.at("batches").get<std::uint64_t>();
  const auto entries = stats.at("entries").get<std::uint64_t>();
  std::string out = "  redis calls per event (INFO commandstats): ";
  for (std::size_t i = 0; i < rows.size() && i < 12; ++i) out += (i ? ", " : "") + rows[i].second;
  out += "\n  engine reads: " + std::to_string(batches) + " batches, " +
         fixed(batches ? static_cast<double>(entries) / static_cast<double>(batches) : 0.0, 1) +
         " entries per batch; " +
         (stats.contains("round_trips")
              ? "round trips per commit (waits on Redis, an idle wait included) mean " +
                    fixed(histogram::from_json(stats.at("round_trips")).mean(), 2) + ", p99 " +
                    std::to_string(histogram::from_json(stats.at("round_trips")).percentile(0.99)) +
                    "; "
              : std::string()) +
         "EXEC+FCALL " +
         fixed(usec_total / static_cast<double>(std::max<std::size_t>(events, 1)), 1) +
         " us per event";
  return out;
}

// ---------------------------------------------------------------------------------------------
// drain: pre-loaded events, drained with durable commits.

struct drain_result {
  double events_per_s = 0;
};

drain_result bench_drain(const bench_context& ctx) {
  const auto& o = ctx.options;
  const std::string prefix = "drain";
  flush_all(ctx);
  const auto count = o.scaled(o.drain_events);
  note("generating " + std::to_string(count) + " events of the realistic mix");
  const auto lines = realistic_lines(ctx.policy, count);
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

// ---------------------------------------------------------------------------------------------
// peer: a Node.js worker on BullMQ and XState (tests/bench/peer), against the same Redis in the
// same run: apply, accept and decide per case, each a GET, one transition and one MULTI.

void bench_peer(const bench_context& ctx, std::optional<double> drained) {
  const auto& o = ctx.options;
  const fs::path dir = XYP_PEER_DIR;
  if (!fs::exists(dir / "node_modules")) {
    std::cout << "peer: not run (" << (dir / "node_modules").string()
              << " missing: scripts/bench.sh installs it with npm)\n";
    return;
  }
  flush_all(ctx);
  const auto cases = std::max<std::uint64_t>(1000, o.scaled(o.drain_events) / 3);
  note("the peer drains " + std::to_string(cases * 3) + " jobs");
  auto c = ctx.client();
  c.command({"CONFIG", "RESETSTAT"});
  const double before = cpu_seconds(ctx.redis_pid).value_or(0);
  const auto text =
      run_and_capture({"node", (dir / "worker.mjs").string(), "--port",
                       std::to_string(ctx.server.port()), "--cases", std::to_string(cases)});
  const double after = cpu_seconds(ctx.redis_pid).value_or(0);
  const auto line = text.substr(text.rfind('{'));
  const auto peer = nlohmann::json::parse(line);
  const double rate = peer.at("peer_events_per_s").get<double>();
  const double events = peer.at("peer_events").get<double>();
  std::cout << "peer: " << std::llround(rate) << " events/s (BullMQ + XState, "
            << peer.at("peer_events").get<std::uint64_t>() << " jobs in "
            << fixed(peer.at("peer_seconds").get<double>(), 2) << " s); node CPU "
            << std::llround(peer.at("peer_cpu_us_per_event").get<double>())
            << " us/event, Redis CPU " << std::llround(1e6 * (after - before) / events)
            << " us/event (whole run, queueing included)\n";
  if (drained) {
    std::cout << "  our drain / the peer's: " << fixed(*drained / rate, 1) << "x\n";
  }
  std::cout << reproduce(o, "drain") << " --only peer\n";
}

// ---------------------------------------------------------------------------------------------
// latency: a paced producer at a fixed offered rate; XADD to the first outbound entry.

struct stream_position {
  std::uint64_t ms = 0, seq = 0;
  static stream_position of(const std::string& id) {
    const auto dash = id.find('-');
    return {std::stoull(id.substr(0, dash)), std::stoull(id.substr(dash + 1))};
  }
  auto operator<=>(const stream_position&) const = default;
};

void bench_latency(const bench_context& ctx, double rate) {
  const auto& o = ctx.options;
  const std::string prefix = "latency";
  flush_all(ctx);
  const auto count = static_cast<std::size_t>(std::llround(rate * o.latency_seconds * o.scale));
  note("generating " + std::to_string(count) + " events of the realistic mix");
  const auto lines = realistic_lines(ctx.policy, count);
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

// ---------------------------------------------------------------------------------------------
// footprint and timers: a million open cases, their Redis bytes and the engine's memory; then
// the storms in which their timers come due.

std::int64_t memory_usage(sync_client& c, const std::string& key) {
  const auto r = c.command({"MEMORY", "USAGE", key, "SAMPLES", "0"});
  return r.is_integer() ? r.as_integer() : 0;
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
    std::string cursor = "0";
    do {
      const auto page = c.command({"SCAN", cursor, "MATCH", pattern, "COUNT", "10000"});
      cursor = page.elements()[0].as_string();
      for (const auto& key : page.elements()[1].elements()) {
        indexes += memory_usage(c, key.as_string());
      }
    } while (cursor != "0");
    indexes += memory_usage(c, k.escalations());
    timers += memory_usage(c, k.timers());
    timer_count += c.command({"ZCARD", k.timers()}).as_integer();
    // Applied ids: every day bucket (applied:<yyyymmdd>), and an earlier build's zset and its
    // fingerprint hash (applied:fp) while they are there.
    applied += memory_usage(c, k.applied());
    const std::string applied_pattern = partition_key_prefix(prefix, k.partition()) + "applied:*";
    cursor = "0";
    do {
      const auto page = c.command({"SCAN", cursor, "MATCH", applied_pattern, "COUNT", "10000"});
      cursor = page.elements()[0].as_string();
      for (const auto& key : page.elements()[1].elements()) {
        applied += memory_usage(c, key.as_string());
      }
    } while (cursor != "0");
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
  open_case_lines(ctx.policy, static_cast<std::uint32_t>(size), 999, lines);
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
    open_case_lines(ctx.policy, cases, chunk++, lines);
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

// ---------------------------------------------------------------------------------------------
// ceiling: redis-benchmark against the same server.

double requests_per_second(const std::string& output) {
  const auto at = output.rfind(" requests per second");
  if (at == std::string::npos) throw std::runtime_error("redis-benchmark said: " + output);
  auto begin = output.rfind(' ', at - 1);
  return std::stod(output.substr(begin + 1, at - begin - 1));
}

void bench_ceiling(const bench_context& ctx, std::optional<double> drained) {
  const auto& o = ctx.options;
  flush_all(ctx);
  auto c = ctx.client();
  const auto n = std::to_string(o.scaled(o.ceiling_requests));
  const auto port = std::to_string(ctx.server.port());
  // A typical inbound envelope as the payload.
  const auto sample = realistic_lines(ctx.policy, 200);
  std::string payload = sample.front();
  for (const auto& line : sample) {
    if (field_of(line, "type") == "case.apply") {
      payload = line;
      break;
    }
  }
  const std::vector<std::string> xadd{
      "redis-benchmark", "-p", port,    "-P",   "64", "-n", n, "-q", "XADD",
      "bench:ceiling",   "*",  "event", payload};
  const double xadd_rps = requests_per_second(run_and_capture(xadd));
  c.command({"DEL", "bench:ceiling"});
  const auto sha = c.command({"SCRIPT", "LOAD", "return 1"}).as_string();
  const std::vector<std::string> evalsha{"redis-benchmark", "-p", port, "-P", "64", "-n", n, "-q",
                                         "EVALSHA",         sha,  "0"};
  const double evalsha_rps = requests_per_second(run_and_capture(evalsha));
  std::cout << "ceiling: pipelined XADD " << std::llround(xadd_rps) << " req/s (" << payload.size()
            << "-byte event), EVALSHA of an empty script " << std::llround(evalsha_rps)
            << " req/s\n";
  if (drained) {
    std::cout << "  drain at " << std::llround(*drained) << " events/s is "
              << fixed(100.0 * *drained / xadd_rps, 1) << " % of pipelined XADD and "
              << fixed(100.0 * *drained / evalsha_rps, 1) << " % of empty EVALSHA\n";
  }
  std::cout << "  redis-benchmark -p " << port << " -P 64 -n " << n
            << " -q XADD bench:ceiling '*' event '<the event>'; redis-benchmark -p " << port
            << " -P 64 -n " << n << " -q EVALSHA " << sha << " 0\n";
  std::cout << reproduce(o, "ceiling") << "\n";
}

// ---------------------------------------------------------------------------------------------
// api: the drain of `xinyipi run --http` alone and beside 200 API clients (tests/bench/api_load).

void bench_api(const bench_context& ctx) {
  const auto& o = ctx.options;
  const auto count = o.scaled(o.drain_events);
  note("generating " + std::to_string(count) + " events of the realistic mix");
  const auto lines = realistic_lines(ctx.policy, count);
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

int run_bench(bench_options options) {
  const auto started = monotonic_ns();
  test::redis_server server(test::redis_server::options{.appendonly = true});
  {
    sync_client c(server.port());
    c.command({"CONFIG", "SET", "appendfsync", "everysec"});
    c.command({"CONFIG", "SET", "maxmemory-policy", "noeviction"});
    // As PERFORMANCE-NOTES advises for load tests: an AOF rewrite forked in the middle of a
    // two-second run takes one of the machine's two cores from both the engine and the peer.
    c.command({"CONFIG", "SET", "auto-aof-rewrite-min-size", "1gb"});
  }
  std::string work = (fs::temp_directory_path() / "xyp-bench-XXXXXX").string();
  if (::mkdtemp(work.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  char self[4096];
  const auto length = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (length <= 0) throw std::runtime_error("cannot read /proc/self/exe");
  bench_context ctx{options, server, load_policy(options.profile), work,
                    std::string(self, static_cast<std::size_t>(length))};
  {
    auto c = ctx.client();
    ctx.redis_pid = static_cast<pid_t>(c.info_number("server", "process_id"));
    const auto version = fields_of(c.command({"HELLO", "2"}))["version"];
    std::cout << "xyp_bench: " << options.command_line << "\n";
    std::cout << "  redis-server " << version << " on 127.0.0.1:" << server.port()
              << " (appendonly yes, appendfsync everysec, auto-aof-rewrite-min-size 1gb, "
                 "maxmemory-policy noeviction), "
              << std::thread::hardware_concurrency() << " cores, profile " << ctx.policy.id << "\n";
  }
  std::cout.flush();

  std::optional<double> drained;
  if (options.wants("drain")) drained = bench_drain(ctx).events_per_s;
  if (options.wants("peer")) bench_peer(ctx, drained);
  if (options.wants("latency")) {
    for (const auto rate : options.latency_rates) bench_latency(ctx, rate);
  }
  const bool footprint = options.wants("footprint"), timers = options.wants("timers");
  if (footprint || timers) bench_cases(ctx, footprint, timers);
  if (options.wants("ceiling")) bench_ceiling(ctx, drained);
  if (options.wants("api")) bench_api(ctx);
  std::cout << "xyp_bench: done in " << fixed(seconds_between(started, monotonic_ns()), 0)
            << " s\n";
  std::error_code ignored;
  fs::remove_all(work, ignored);
  return 0;
}

}  // namespace
}  // namespace xyp::bench

int main(int argc, char** argv) try {
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"xyp_bench: Xinyipi's throughput, latency, timers, footprint and Redis ceiling"};
  xyp::bench::bench_options options;
  app.add_option("--only", options.only,
                 "Figures to run (repeat): drain, peer, latency, footprint, timers, ceiling, api")
      ->check(CLI::IsMember({"drain", "peer", "latency", "footprint", "timers", "ceiling", "api"}));
  app.add_option("--scale", options.scale, "Scale every size (events, cases, requests)")
      ->check(CLI::Range(0.0001, 10.0))
      ->capture_default_str();
  app.add_option("--partitions", options.partitions, "Partition count N")
      ->check(CLI::Range(1u, 64u))
      ->capture_default_str();
  app.add_option("--batch", options.batch_size, "Entries per read")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--rate", options.latency_rates, "Offered events/s of the latency runs (repeat)")
      ->capture_default_str();
  app.add_option("--seconds", options.latency_seconds, "Length of each latency run")
      ->capture_default_str();
  app.add_option("--cases", options.cases, "Open cases for the footprint and the timers")
      ->capture_default_str();
  app.add_option("--storm", options.storms,
                 "Timers due at once in each storm, before --scale (repeat)")
      ->capture_default_str();
  app.add_option("--engine-wrapper", options.engine_wrapper,
                 "Run the engine under this command, e.g. \"valgrind --tool=callgrind\"");
  app.add_option("--api-run-arg", options.api_run_args,
                 "One more argument to the api figure's `xinyipi run` (repeat), e.g. "
                 "--api-run-arg=--read-cache=0");

  xyp::bench::engine_child_options child;
  std::string clock = "simulated";
  auto* engine_cmd = app.add_subcommand("engine", "")->group("");  // the bench's own child
  engine_cmd->add_option("--port", child.port)->required();
  engine_cmd->add_option("--prefix", child.prefix)->required();
  engine_cmd->add_option("--partitions", child.partitions);
  engine_cmd->add_option("--batch", child.batch_size);
  engine_cmd->add_option("--clock", clock)->check(CLI::IsMember({"system", "simulated"}));
  engine_cmd->add_option("--profile", child.profile)->required();
  engine_cmd->add_option("--calendars", child.calendars)->required();
  engine_cmd->add_option("--stats", child.stats)->required();

  CLI11_PARSE(app, argc, argv);
  if (*engine_cmd) {
    child.clock = clock == "system" ? xyp::clock_mode::system : xyp::clock_mode::simulated;
    return xyp::bench::run_engine_child(child);
  }
  for (int i = 0; i < argc; ++i) options.command_line += (i ? " " : "") + std::string(argv[i]);
  return xyp::bench::run_bench(options);
} catch (const std::exception& e) {
  std::cerr << "xyp_bench: " << e.what() << "\n";
  return 1;
}
