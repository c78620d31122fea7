#include "adapters/cli/replay.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "adapters/cli/configuration.hpp"
#include "adapters/cli/exit_codes.hpp"
#include "adapters/cli/progress.hpp"
#include "engine/domain/calendar.hpp"
#include "engine/domain/json_writer.hpp"
#include "engine/domain/policy.hpp"
#include "engine/runtime/memory_runtime.hpp"

namespace xyp::cli {
namespace {

// What the summary counts while the day runs.
struct tally {
  std::uint64_t lines = 0;
  std::uint64_t applied = 0;
  std::uint64_t ignored = 0;
  std::uint64_t timers_fired = 0;
  std::map<std::string, std::uint64_t> outbound_by_type;
  std::map<std::string, std::uint64_t> escalations;  // "warning decision"
  std::map<std::string, std::uint64_t> hooks;
  std::map<std::string, std::uint64_t> dead_by_code;
  std::vector<std::string> dead_details;
};

void print_counts(std::ostream& out, const std::string& title,
                  const std::map<std::string, std::uint64_t>& counts) {
  std::uint64_t total = 0;
  for (const auto& [k, n] : counts) total += n;
  out << "# " << title << ": " << total << "\n";
  for (const auto& [k, n] : counts) out << "#   " << k << ": " << n << "\n";
}

// The id of an input line that could not be parsed as an envelope, where one can be read.
nlohmann::json readable_id(std::string_view raw) {
  const auto doc = nlohmann::json::parse(raw, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return nullptr;
  const auto it = doc.find("id");
  if (it == doc.end() || !it->is_string()) return nullptr;
  return *it;
}

void print_summary(std::ostream& out, const tally& t, const memory_runtime& runtime) {
  std::map<std::string, std::uint64_t> by_state;
  std::uint64_t pending_timers = 0;
  for (std::uint32_t n = 0; n < runtime.partitions(); ++n) {
    for (const auto& [id, record] : runtime.partition(n).cases()) {
      ++by_state[std::string(to_string(record.state))];
    }
    pending_timers += runtime.partition(n).pending_timers();
  }
  out << "# summary\n";
  out << "# events read: " << t.lines << " (applied " << t.applied << ", repeated ids ignored "
      << t.ignored << ", dead letters " << t.dead_details.size() << "); timers fired "
      << t.timers_fired << ", still pending " << pending_timers << "\n";
  print_counts(out, "cases by state", by_state);
  print_counts(out, "escalations raised", t.escalations);
  print_counts(out, "credit hooks", t.hooks);
  print_counts(out, "outbound events", t.outbound_by_type);
  print_counts(out, "dead letters", t.dead_by_code);
  for (const auto& d : t.dead_details) out << "#   " << d << "\n";
}

}  // namespace

nlohmann::json dead_letter_line(const commit_unit& unit, std::uint64_t line) {
  nlohmann::json d = {{"line", line}};
  if (!unit.consumed_timer.empty()) {
    // A timer that failed: its dead letter's raw text is the timer record.
    const auto timer = nlohmann::json::parse(unit.dead->raw, nullptr, false);
    d["timer_id"] = unit.consumed_timer;
    d["case_id"] = timer.is_object() ? timer.value("case_id", "") : "";
    d["due"] = timer.is_object() ? timer.value("due", "") : "";
  } else {
    d["event_id"] = unit.cause.empty() ? readable_id(unit.dead->raw) : nlohmann::json(unit.cause);
  }
  d["code"] = to_string(unit.dead->code);
  d["detail"] = unit.dead->detail;
  return {{"dead_letter", std::move(d)}};
}

int run_replay(const replay_options& options, std::ostream& out, std::ostream& err) {
  auto config = load_configuration(options.profile, options.calendars, "replay", err);
  if (!config) return exit_config;
  const jurisdiction_policy& policy = config->policy;
  const working_calendar& calendar = config->calendar;
  std::ifstream in(options.events);
  if (!in) {
    err << "xinyipi replay: cannot read events file " << options.events.string() << "\n";
    return exit_io;
  }

  const case_processor processor(policy, calendar, clock_mode::simulated);
  memory_runtime runtime(processor, options.partitions);
  runtime.follow_event_time(options.clock == replay_clock::events);
  tally t;
  std::string text;  // one outbound line, its buffer reused
  runtime.set_listener([&](std::uint32_t, const commit_unit& unit) {
    if (unit.dead) {
      ++t.dead_by_code[std::string(to_string(unit.dead->code))];
      t.dead_details.push_back("line " + std::to_string(t.lines) + ": " +
                               std::string(to_string(unit.dead->code)) + ": " + unit.dead->detail);
      if (!options.summary_only) out << dead_letter_line(unit, t.lines).dump() << "\n";
    } else if (unit.ignored && unit.consumed_timer.empty()) {
      ++t.ignored;
    } else if (!unit.consumed_timer.empty()) {
      ++t.timers_fired;
    } else {
      ++t.applied;
    }
    for (const auto& o : unit.outbound) {
      ++t.outbound_by_type[o.type];
      // The summary's counts: a DOM of the two rarer types only, off the engine's hot path.
      if (o.type == "escalation.raised") {
        const auto data = o.data.parsed();
        ++t.escalations[data["level"].get<std::string>() + " " + data["clock"].get<std::string>()];
      } else if (o.type == "credit.hook") {
        ++t.hooks[o.data.parsed()["kind"].get<std::string>()];
      }
      if (!options.summary_only) {
        text.clear();
        append_outbound(text, o);
        text.push_back('\n');
        out << text;
      }
    }
  });

  std::error_code size_error;
  const auto total_bytes = std::filesystem::file_size(options.events, size_error);
  progress_meter progress(err, options.progress, "replay");
  std::uint64_t bytes = 0;
  std::string line;
  while (std::getline(in, line)) {
    ++t.lines;
    bytes += line.size() + 1;
    if (options.progress) {
      progress_sample sample;
      sample.lines = t.lines;
      sample.bytes = bytes;
      if (!size_error) sample.total_bytes = total_bytes;
      progress.update(sample);
    }
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    runtime.submit(line);
  }
  progress.finish();
  if (in.bad()) {
    err << "xinyipi replay: error while reading " << options.events.string() << "\n";
    return exit_io;
  }
  out << "# config: profile " << options.profile.string() << ", calendars "
      << options.calendars.string() << "\n";
  print_summary(out, t, runtime);
  if (options.strict && !t.dead_details.empty()) {
    err << "xinyipi replay: " << t.dead_details.size() << " dead letter(s) under --strict\n";
    return exit_dead_letters;
  }
  return exit_ok;
}

}  // namespace xyp::cli
