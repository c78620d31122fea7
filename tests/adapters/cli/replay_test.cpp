// `xinyipi replay` as a tool for departments: dead letters printed beside the outbound events,
// --strict, --clock events, and an installed tree that finds its own configuration.
#include "adapters/cli/replay.hpp"

#include <stdlib.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/cli/config_location.hpp"
#include "adapters/cli/exit_codes.hpp"

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A directory of its own under the system temp dir, removed with everything in it.
class temp_dir {
 public:
  temp_dir() {
    auto pattern = (fs::temp_directory_path() / "xyp-replay-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

const std::string applicant = "11010519491231002X";

std::string apply_line(const std::string& id, const std::string& at) {
  return json{{"id", id},
              {"type", "case.apply"},
              {"applicant_id", applicant},
              {"case_id", "C-1"},
              {"at", at},
              {"data",
               {{"matter", "FOOD-OPERATION"},
                {"applicant", {{"kind", "person"}, {"name", "张三"}, {"contact", "13812345678"}}},
                {"channel", "window"},
                {"credit_track", false},
                {"commitment_signed", false},
                {"materials", {"application_form"}}}}}
      .dump();
}

std::string case_line(const std::string& id, const std::string& type, const std::string& case_id,
                      const std::string& at, json data) {
  return json{{"id", id},           {"type", type}, {"applicant_id", applicant},
              {"case_id", case_id}, {"at", at},     {"data", std::move(data)}}
      .dump();
}

struct replay_run {
  int code = 0;
  std::vector<json> lines;  // every JSON line printed, in order
  std::string text;
};

replay_run replay(const std::vector<std::string>& input, bool strict = false,
                  xyp::cli::replay_clock clock = xyp::cli::replay_clock::simulated) {
  temp_dir dir;
  const auto events = dir.path() / "events.jsonl";
  {
    std::ofstream out(events);
    for (const auto& line : input) out << line << "\n";
  }
  xyp::cli::replay_options o;
  o.profile = fs::path(XYP_CONFIG_DIR) / "profiles" / "shilong.json";
  o.calendars = fs::path(XYP_CONFIG_DIR) / "calendars";
  o.events = events;
  o.strict = strict;
  o.clock = clock;
  std::ostringstream out, err;
  replay_run run;
  run.code = xyp::cli::run_replay(o, out, err);
  run.text = out.str();
  std::istringstream lines(run.text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] == '{') run.lines.push_back(json::parse(line));
  }
  return run;
}

std::vector<json> dead_letters(const replay_run& run) {
  std::vector<json> out;
  for (const auto& l : run.lines) {
    if (l.contains("dead_letter")) out.push_back(l["dead_letter"]);
  }
  return out;
}

std::vector<std::string> notice_kinds(const replay_run& run) {
  std::vector<std::string> out;
  for (const auto& l : run.lines) {
    if (l.value("type", "") == "case.notice") out.push_back(l["data"]["kind"]);
  }
  return out;
}

// Runs a command through the shell; its exit status, its standard output in `out`.
int shell(const std::string& command, std::string& out) {
  temp_dir dir;
  const auto file = dir.path() / "out.txt";
  const int status = std::system((command + " > " + file.string() + " 2>&1").c_str());
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  out = text.str();
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE(
    "replay prints each dead letter as a line of its own with line, event id, code and "
    "detail",
    "[replay]") {
  const auto run = replay({
      apply_line("evt-1", "2026-11-23T09:30:00+08:00"),
      case_line("evt-2", "case.decide", "NO-SUCH", "2026-11-23T10:00:00+08:00",
                {{"outcome", "approve"}}),
      R"({"id": "evt-3", "type": "case.accept", "broken)",
  });
  CHECK(run.code == xyp::cli::exit_ok);
  const auto dead = dead_letters(run);
  REQUIRE(dead.size() == 2);
  CHECK(dead[0] == json{{"line", 2},
                        {"event_id", "evt-2"},
                        {"code", "unknown_case"},
                        {"detail", "no case NO-SUCH is known"}});
  CHECK(dead[1]["line"] == 3);
  CHECK(dead[1]["event_id"].is_null());  // the line is not JSON: no id can be read
  CHECK(dead[1]["code"] == "malformed_json");
  // An outbound envelope has a type and an id; a dead letter line has neither.
  for (const auto& l : run.lines) CHECK(l.contains("dead_letter") != l.contains("type"));
}

TEST_CASE("a timer's dead letter names the timer, its case and its due time", "[replay]") {
  xyp::commit_unit unit;
  unit.cause = unit.consumed_timer = "C-9/t1/correction_notice";
  unit.dead = xyp::dead_letter{json{{"id", "C-9/t1/correction_notice"},
                                    {"case_id", "C-9"},
                                    {"applicant_id", applicant},
                                    {"kind", "correction_notice"},
                                    {"due", "2026-12-28T23:59:59+08:00"}}
                                   .dump(),
                               xyp::dead_letter_code::invalid_transition,
                               "timer could not fire: outside the calendar"};
  CHECK(xyp::cli::dead_letter_line(unit, 41) ==
        json{{"dead_letter",
              {{"line", 41},
               {"timer_id", "C-9/t1/correction_notice"},
               {"case_id", "C-9"},
               {"due", "2026-12-28T23:59:59+08:00"},
               {"code", "invalid_transition"},
               {"detail", "timer could not fire: outside the calendar"}}}});
}

TEST_CASE("replay --strict exits with 6 when there was a dead letter, and 0 when there was none",
          "[replay]") {
  const std::vector<std::string> clean{apply_line("evt-1", "2026-11-23T09:30:00+08:00")};
  auto bad = clean;
  bad.push_back("not json");
  CHECK(replay(clean, true).code == xyp::cli::exit_ok);
  CHECK(replay(bad, true).code == xyp::cli::exit_dead_letters);
  CHECK(xyp::cli::exit_dead_letters == 6);
  CHECK(replay(bad, false).code == xyp::cli::exit_ok);
}

TEST_CASE("with --clock events a deadline that passed before an event fires before it is applied",
          "[replay]") {
  // Applied Monday 2026-11-23: the intake verdict was due by Monday 11-30. The clerk's review
  // comes on 12-02 and no clock.advance came between.
  const std::vector<std::string> log{
      apply_line("evt-1", "2026-11-23T09:30:00+08:00"),
      case_line("evt-2", "case.accept", "C-1", "2026-12-02T10:00:00+08:00",
                {{"materials", {"application_form"}}, {"verdict", "accept"}}),
  };
  const auto simulated = replay(log);
  CHECK(dead_letters(simulated).empty());  // applied as if on time
  CHECK(notice_kinds(simulated) == std::vector<std::string>{"eligibility", "correction_required"});

  const auto events = replay(log, false, xyp::cli::replay_clock::events);
  CHECK(notice_kinds(events) == std::vector<std::string>{"eligibility", "deemed_accepted"});
  const auto dead = dead_letters(events);
  REQUIRE(dead.size() == 1);
  CHECK(dead[0]["line"] == 2);
  CHECK(dead[0]["code"] == "invalid_transition");
}

TEST_CASE("the configuration is found by option, then environment, then the installed tree",
          "[replay]") {
  temp_dir prefix;
  fs::create_directories(prefix.path() / "bin");
  fs::create_directories(prefix.path() / "share" / "xinyipi" / "profiles");
  xyp::cli::config_candidates c;
  c.executable = prefix.path() / "bin" / "xinyipi";
  c.source_dir = "/src/config";
  CHECK(xyp::cli::find_config_dir(c) == prefix.path() / "share" / "xinyipi");
  c.environment = "/etc/xinyipi";
  CHECK(xyp::cli::find_config_dir(c) == "/etc/xinyipi");
  c.option = "/opt/config";
  CHECK(xyp::cli::find_config_dir(c) == "/opt/config");
  xyp::cli::config_candidates bare;
  bare.executable = "/nowhere/bin/xinyipi";
  bare.source_dir = "/src/config";
  CHECK(xyp::cli::find_config_dir(bare) == "/src/config");
}

TEST_CASE("an installed tree replays the sample day from its own share/xinyipi", "[replay]") {
  temp_dir prefix;
  std::string out;
  REQUIRE(shell(std::string("'") + XYP_CMAKE + "' --install '" + XYP_BUILD_DIR + "' --prefix '" +
                    prefix.path().string() + "'",
                out) == 0);
  const auto binary = prefix.path() / "bin" / "xinyipi";
  REQUIRE(fs::exists(binary));
  const auto share = prefix.path() / "share" / "xinyipi";
  REQUIRE(fs::exists(share / "samples" / "day.jsonl"));
  // No option, no environment: the installed binary must find its own configuration.
  const int code =
      shell("env -u XYP_CONFIG_DIR '" + binary.string() + "' replay --summary-only", out);
  INFO(out);
  CHECK(code == 0);
  CHECK(out.find("# config: profile " + (share / "profiles" / "shilong.json").string()) !=
        std::string::npos);
  CHECK(out.find("# events read: ") != std::string::npos);
  // The same day from the build tree's binary on the source configuration: the same summary.
  std::string reference;
  REQUIRE(shell(std::string("env -u XYP_CONFIG_DIR '") + XYP_BINARY + "' --config-dir '" +
                    XYP_CONFIG_DIR + "' replay --summary-only",
                reference) == 0);
  const auto summary = [](const std::string& text) { return text.substr(text.find("# summary")); };
  CHECK(summary(out) == summary(reference));
}
