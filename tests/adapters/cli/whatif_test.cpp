// `xinyipi whatif`: the sample day under every shipped profile, each column checked against a
// replay of the same day under that profile alone (its summary, a separate path through the
// engine's outbound events), and bad input told as the other commands tell it.
#include "adapters/cli/whatif.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/cli/exit_codes.hpp"
#include "adapters/cli/replay.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path config_dir = XYP_CONFIG_DIR;

std::vector<fs::path> shipped_profiles() {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(config_dir / "profiles")) {
    if (entry.path().extension() == ".json") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

xyp::cli::whatif_options sample_day(std::vector<fs::path> profiles) {
  xyp::cli::whatif_options o;
  o.profiles = std::move(profiles);
  o.events = config_dir / "samples/day.jsonl";
  o.calendars = config_dir / "calendars";
  return o;
}

// The figures a replay's summary gives: "# title: n" and "#   key: n" lines, by section.
struct replay_figures {
  std::uint64_t cases = 0;
  std::uint64_t dead_letters = 0;
  std::map<std::string, std::uint64_t> states;
  std::map<std::string, std::uint64_t> escalations;  // by level
};

replay_figures replay_summary(const fs::path& profile) {
  xyp::cli::replay_options o;
  o.profile = profile;
  o.events = config_dir / "samples/day.jsonl";
  o.calendars = config_dir / "calendars";
  o.summary_only = true;
  std::ostringstream out, err;
  REQUIRE(xyp::cli::run_replay(o, out, err) == xyp::cli::exit_ok);
  replay_figures f;
  std::istringstream lines(out.str());
  std::string section;
  for (std::string line; std::getline(lines, line);) {
    const auto colon = line.rfind(": ");
    if (colon == std::string::npos) continue;
    const auto number = line.substr(colon + 2);
    // Only "...: <count>" lines; the config line and the dead letters' details say more.
    if (number.empty() || number.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto n = std::stoull(number);
    if (line.starts_with("#   ")) {
      const std::string key = line.substr(4, colon - 4);
      if (section == "cases by state") f.states[key] = n;
      if (section == "escalations raised") f.escalations[key.substr(0, key.find(' '))] += n;
    } else if (line.starts_with("# ")) {
      section = line.substr(2, colon - 2);
      if (section == "cases by state") f.cases = n;
      if (section == "dead letters") f.dead_letters = n;
    }
  }
  return f;
}

std::uint64_t state(const replay_figures& f, const char* name) {
  const auto it = f.states.find(name);
  return it == f.states.end() ? 0 : it->second;
}

}  // namespace

TEST_CASE("whatif gives each profile the figures a replay under that profile alone gives",
          "[whatif]") {
  const auto profiles = shipped_profiles();
  REQUIRE(profiles.size() >= 2);
  auto options = sample_day(profiles);
  options.json = true;
  std::ostringstream out, err;
  REQUIRE(xyp::cli::run_whatif(options, out, err) == xyp::cli::exit_ok);
  const auto doc = json::parse(out.str());
  REQUIRE(doc["profiles"].size() == profiles.size());
  for (std::size_t i = 0; i < profiles.size(); ++i) {
    const auto& column = doc["profiles"][i];
    INFO(profiles[i].filename().string());
    auto replayed = replay_summary(profiles[i]);
    CHECK(column["file"] == profiles[i].string());
    CHECK(column["cases"] == replayed.cases);
    CHECK(column["dead_letters"] == replayed.dead_letters);
    CHECK(column["escalations"]["warning"] == replayed.escalations["warning"]);
    CHECK(column["escalations"]["overdue"] == replayed.escalations["overdue"]);
    CHECK(column["defaults"] == state(replayed, "defaulted"));
    CHECK(column["decided"] == state(replayed, "approved") + state(replayed, "denied") +
                                   state(replayed, "verified") + state(replayed, "revoked"));
    std::uint64_t tracked = 0;
    for (const auto& [track, n] : column["by_track"].items()) tracked += n.get<std::uint64_t>();
    CHECK(tracked == replayed.cases);
  }
}

TEST_CASE("whatif's table has a column per profile and a row per figure", "[whatif]") {
  const auto profiles = shipped_profiles();
  std::ostringstream out, err;
  REQUIRE(xyp::cli::run_whatif(sample_day(profiles), out, err) == xyp::cli::exit_ok);
  std::istringstream lines(out.str());
  std::string header, first_row;
  std::getline(lines, header);
  std::getline(lines, first_row);
  CHECK(header.starts_with("# what-if: "));
  CHECK(first_row.starts_with("profile "));
  for (const auto& p : profiles) CHECK(first_row.find(p.stem().string()) != std::string::npos);
  for (const char* row : {"\ncases ", "\ntrack standard ", "\ndecided on the spot ",
                          "\nescalations, overdue ", "\ndefaults ", "\naverage working days "}) {
    CHECK(out.str().find(row) != std::string::npos);
  }
}

TEST_CASE("whatif asks for two profiles, a readable events file and usable profiles", "[whatif]") {
  const auto profiles = shipped_profiles();
  std::ostringstream out, err;
  CHECK(xyp::cli::run_whatif(sample_day({profiles[0]}), out, err) == xyp::cli::exit_usage);
  CHECK(err.str().find("two or more --profile") != std::string::npos);

  auto missing_events = sample_day(profiles);
  missing_events.events = config_dir / "samples/no-such-day.jsonl";
  err.str("");
  CHECK(xyp::cli::run_whatif(missing_events, out, err) == xyp::cli::exit_io);
  CHECK(err.str().find("no-such-day.jsonl") != std::string::npos);

  auto missing_profile = sample_day({profiles[0], config_dir / "profiles/nowhere.json"});
  err.str("");
  CHECK(xyp::cli::run_whatif(missing_profile, out, err) == xyp::cli::exit_config);
  CHECK(err.str().starts_with("xinyipi whatif: "));
  CHECK(out.str().empty());
}
