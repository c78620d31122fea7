#include "bench/scenario_support.hpp"

#include <unistd.h>
#include <algorithm>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>
#include "adapters/cli/traffic.hpp"
#include "adapters/redis/keys.hpp"
#include "bench/bench_support.hpp"
#include "bench/engine_child.hpp"
#include "bench/histogram.hpp"
#include "engine/domain/calendar.hpp"
#include "engine/domain/event.hpp"
#include "engine/domain/partition.hpp"
#include "engine/domain/policy.hpp"
#include "engine/runtime/processor.hpp"
#include "support/redis_server.hpp"

namespace xyp::bench {

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

void note(const std::string& text) {
  std::cerr << "  . " << text << std::endl;
}

double seconds_between(std::int64_t from_ns, std::int64_t to_ns) {
  return static_cast<double>(to_ns - from_ns) / 1e9;
}

std::vector<std::string> realistic_lines(const jurisdiction_policy& policy,
                                         const working_calendar& calendar, std::size_t count) {
  cli::traffic_options options;
  options.cases = static_cast<std::uint32_t>(std::max<std::size_t>(60, count / 4));
  for (;;) {
    auto lines = cli::generate_traffic(policy, calendar, options);
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

std::size_t open_case_lines(const jurisdiction_policy& policy, const working_calendar& calendar,
                            std::uint32_t cases, std::uint32_t chunk,
                            std::vector<std::string>& out) {
  cli::traffic_options options;
  options.cases = cases;
  options.seed = 20261123 + chunk;
  options.bad_input_share = 0;
  options.clock_events = false;
  options.id_prefix = "c" + std::to_string(chunk);
  options.case_prefix = "C" + std::to_string(chunk) + "-";
  std::set<std::string> applied;
  std::size_t applications = 0;
  for (auto& line : cli::generate_traffic(policy, calendar, options)) {
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
    if (o.api_pairs != 3) cmd += " --api-pairs " + std::to_string(o.api_pairs);
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

std::int64_t aof_rewrites(sync_client& c) {
  return c.info_number("persistence", "aof_rewrites");
}

std::vector<command_stat> command_stats(sync_client& c) {
  return command_stats(c.command({"INFO", "commandstats"}).as_string());
}

std::vector<command_stat> command_stats(const std::string& text) {
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

}  // namespace xyp::bench
