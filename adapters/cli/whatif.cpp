#include "adapters/cli/whatif.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <set>
#include <string>

#include "adapters/cli/configuration.hpp"
#include "adapters/cli/exit_codes.hpp"
#include "engine/domain/effect_report.hpp"
#include "engine/runtime/memory_runtime.hpp"

namespace xyp::cli {
namespace {

struct profile_run {
  std::string label;  // the profile's id, or its file name when two share an id
  std::filesystem::path file;
  std::string name;
  policy_outcome outcome;
  std::uint64_t dead_letters = 0;
};

// The day under one profile: every line through a fresh in-memory engine, then the cases.
std::optional<profile_run> replay_under(const std::filesystem::path& profile,
                                        const whatif_options& options,
                                        const std::vector<std::string>& lines, std::ostream& err) {
  auto config = load_configuration(profile, options.calendars, "whatif", err);
  if (!config) return std::nullopt;
  const case_processor processor(config->policy, config->calendar, clock_mode::simulated);
  memory_runtime runtime(processor, options.partitions);
  profile_run run;
  run.label = config->policy.id;
  run.file = profile;
  run.name = config->policy.name;
  runtime.set_listener([&](std::uint32_t, const commit_unit& unit) {
    if (unit.dead) ++run.dead_letters;
  });
  for (const auto& line : lines) runtime.submit(line);
  std::vector<case_record> cases;
  for (std::uint32_t n = 0; n < runtime.partitions(); ++n) {
    for (const auto& [id, record] : runtime.partition(n).cases()) cases.push_back(record);
  }
  run.outcome = make_policy_outcome(cases, config->calendar);
  return run;
}

std::string days_text(const std::optional<double>& days) {
  if (!days) return "-";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", *days);
  return buffer;
}

std::uint64_t count_in(const std::map<std::string, std::uint64_t>& counts, const std::string& key) {
  const auto it = counts.find(key);
  return it == counts.end() ? 0 : it->second;
}

// One labelled row per figure, a column per profile, right-aligned.
void print_table(std::ostream& out, const std::vector<profile_run>& runs) {
  std::vector<std::pair<std::string, std::vector<std::string>>> rows;
  auto add = [&](std::string label, auto value_of) {
    std::vector<std::string> values;
    for (const auto& r : runs) values.push_back(value_of(r));
    rows.emplace_back(std::move(label), std::move(values));
  };
  add("profile", [](const profile_run& r) { return r.label; });
  add("cases", [](const profile_run& r) { return std::to_string(r.outcome.cases); });
  std::set<std::string> tiers;
  for (const auto& r : runs) {
    for (const auto& [tier, n] : r.outcome.eligible_by_tier) tiers.insert(tier);
  }
  for (const auto& tier : tiers) {
    add("eligible, tier " + tier, [&](const profile_run& r) {
      return std::to_string(count_in(r.outcome.eligible_by_tier, tier));
    });
  }
  for (const auto& name : enum_names<track>) {
    const std::string t(name.text);
    add("track " + t,
        [t](const profile_run& r) { return std::to_string(count_in(r.outcome.by_track, t)); });
  }
  add("decided on the spot",
      [](const profile_run& r) { return std::to_string(r.outcome.decided_on_the_spot); });
  for (const auto& name : enum_names<escalation_level>) {
    const std::string level(name.text);
    add("escalations, " + level, [level](const profile_run& r) {
      return std::to_string(count_in(r.outcome.escalations, level));
    });
  }
  add("defaults", [](const profile_run& r) { return std::to_string(r.outcome.defaults); });
  add("decided", [](const profile_run& r) { return std::to_string(r.outcome.decided); });
  add("average working days",
      [](const profile_run& r) { return days_text(r.outcome.average_days); });
  add("dead letters", [](const profile_run& r) { return std::to_string(r.dead_letters); });

  std::size_t label_width = 0;
  std::vector<std::size_t> widths(runs.size(), 0);
  for (const auto& [label, values] : rows) {
    label_width = std::max(label_width, label.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      widths[i] = std::max(widths[i], values[i].size());
    }
  }
  for (const auto& [label, values] : rows) {
    out << label << std::string(label_width - label.size(), ' ');
    for (std::size_t i = 0; i < values.size(); ++i) {
      out << "  " << std::string(widths[i] - values[i].size(), ' ') << values[i];
    }
    out << "\n";
  }
}

nlohmann::json as_json(const whatif_options& options, std::uint64_t lines,
                       const std::vector<profile_run>& runs) {
  nlohmann::json profiles = nlohmann::json::array();
  for (const auto& r : runs) {
    profiles.push_back(
        {{"profile", r.label},
         {"file", r.file.string()},
         {"name", r.name},
         {"cases", r.outcome.cases},
         {"eligible_by_tier", r.outcome.eligible_by_tier},
         {"by_track", r.outcome.by_track},
         {"decided_on_the_spot", r.outcome.decided_on_the_spot},
         {"escalations", r.outcome.escalations},
         {"defaults", r.outcome.defaults},
         {"decided", r.outcome.decided},
         {"average_working_days",
          r.outcome.average_days ? nlohmann::json(*r.outcome.average_days) : nlohmann::json()},
         {"dead_letters", r.dead_letters}});
  }
  return {{"events", options.events.string()}, {"lines", lines}, {"profiles", profiles}};
}

}  // namespace

int run_whatif(const whatif_options& options, std::ostream& out, std::ostream& err) {
  if (options.profiles.size() < 2) {
    err << "xinyipi whatif: give two or more --profile files to compare\n";
    return exit_usage;
  }
  std::ifstream in(options.events);
  if (!in) {
    err << "xinyipi whatif: cannot read events file " << options.events.string() << "\n";
    return exit_io;
  }
  std::vector<std::string> lines;
  std::uint64_t read = 0;
  for (std::string line; std::getline(in, line);) {
    ++read;
    if (line.find_first_not_of(" \t\r") != std::string::npos) lines.push_back(std::move(line));
  }
  if (in.bad()) {
    err << "xinyipi whatif: error while reading " << options.events.string() << "\n";
    return exit_io;
  }
  std::vector<profile_run> runs;
  for (const auto& profile : options.profiles) {
    auto run = replay_under(profile, options, lines, err);
    if (!run) return exit_config;
    runs.push_back(std::move(*run));
  }
  // Two files of one jurisdiction are told apart by their file names.
  for (auto& r : runs) {
    const auto same = std::count_if(runs.begin(), runs.end(),
                                    [&](const profile_run& o) { return o.label == r.label; });
    if (same > 1) r.label = r.file.filename().string();
  }
  if (options.json) {
    out << as_json(options, read, runs).dump(2) << "\n";
    return exit_ok;
  }
  out << "# what-if: " << options.events.string() << " (" << read << " lines) under " << runs.size()
      << " profiles\n";
  print_table(out, runs);
  return exit_ok;
}

}  // namespace xyp::cli
