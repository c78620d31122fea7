// Outbound data is written as text by its builders, without a DOM (issue 7, point 5). Consumers
// must receive the bytes they received when it was a nlohmann DOM dumped: keys in sorted order,
// strings escaped the same way, Chinese kept as UTF-8. (The workflow tests' bench checks the same
// of every unit it commits, which covers the builders the sample day does not reach.)
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "engine/runtime/memory_runtime.hpp"
#include "harness.hpp"

using namespace xyp;
using nlohmann::json;

namespace {

std::vector<std::string> sample_day() {
  std::vector<std::string> lines;
  std::ifstream in(XYP_CONFIG_DIR "/samples/day.jsonl");
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// The sample day with every free text an applicant or an official writes (reasons, notes, names,
// contacts) starting with a quote, a backslash, control characters and Chinese.
std::vector<std::string> sample_day_with_tricky_text() {
  const std::string tricky = "\"引号\" \\ back\tslash\n\x01 ";
  std::vector<std::string> lines;
  for (const auto& line : sample_day()) {
    auto envelope = json::parse(line, nullptr, false);
    if (!envelope.is_object() || !envelope["data"].is_object()) {
      lines.push_back(line);  // the day's bad lines stay as bad as they were
      continue;
    }
    auto& data = envelope["data"];
    for (const char* field : {"reason", "note", "comment"}) {
      if (data.contains(field) && data[field].is_string()) {
        data[field] = tricky + data[field].get<std::string>();
      }
    }
    if (data.contains("applicant") && data["applicant"].is_object()) {
      for (const char* field : {"name", "contact"}) {
        auto& value = data["applicant"][field];
        if (value.is_string()) value = tricky + value.get<std::string>();
      }
    }
    lines.push_back(envelope.dump());
  }
  return lines;
}

// Replays the lines under the profile and returns every outbound event.
std::vector<outbound_event> outbound_of(const std::string& profile,
                                        const std::vector<std::string>& lines) {
  const auto policy =
      load_policy(std::filesystem::path(XYP_CONFIG_DIR) / "profiles" / (profile + ".json"));
  const case_processor processor(policy, test::test_calendar(), clock_mode::simulated);
  memory_runtime runtime(processor, 1);
  std::vector<outbound_event> out;
  runtime.set_listener([&](std::uint32_t, const commit_unit& unit) {
    for (const auto& o : unit.outbound) out.push_back(o);
  });
  for (const auto& line : lines) runtime.submit(line);
  return out;
}

TEST_CASE(
    "every outbound data of the sample day is the text nlohmann/json's dump gave it, under "
    "every profile",
    "[outbound-text]") {
  std::set<std::string> types;
  for (const char* profile : {"shilong", "zalantun", "qingzhou", "zaozhuang"}) {
    for (const auto& lines : {sample_day(), sample_day_with_tricky_text()}) {
      for (const auto& o : outbound_of(profile, lines)) {
        INFO(profile << " " << o.type << " " << o.data.str());
        const json data = json::parse(o.data.str());
        CHECK(o.data.str() == data.dump());
        types.insert(o.type);
      }
    }
  }
  CHECK(types == std::set<std::string>{"case.transitioned", "case.notice", "credit.hook",
                                       "escalation.raised", "ledger.entry", "publicity.report"});
}

TEST_CASE(
    "a quote, a backslash, control characters and Chinese in free text are escaped as "
    "nlohmann/json escaped them",
    "[outbound-text]") {
  std::size_t tricky = 0;
  for (const auto& o : outbound_of("shilong", sample_day_with_tricky_text())) {
    if (o.data.str().find(R"(\"引号\" \\ back\tslash\n\u0001 )") == std::string::npos) continue;
    ++tricky;
    INFO(o.type << " " << o.data.str());
    CHECK(o.data.str() == json::parse(o.data.str()).dump());
  }
  CHECK(tricky > 0);
}

}  // namespace
