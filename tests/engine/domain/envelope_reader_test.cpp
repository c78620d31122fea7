// The fast envelope reader (simdjson) against the reference (nlohmann/json): the same outcome,
// code and sentence on every input.
#include <catch2/catch.hpp>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/domain/event.hpp"

namespace {

using namespace xyp;

// What a reader made of an envelope, as text: equal text, equal outcome.
std::string describe(const parse_result& result) {
  if (const auto* r = std::get_if<rejection>(&result)) {
    return "refused " + std::string(to_string(r->code)) + ": " + r->detail;
  }
  const auto& e = std::get<inbound_event>(result);
  std::string text = "accepted " + e.id + " " + std::string(to_string(e.type)) + " " +
                     e.applicant_id + " " + e.case_id + " " + format_rfc3339(e.at);
  if (e.by) text += " by " + e.by->id + "/" + std::to_string(static_cast<int>(e.by->role));
  text += " data#" + std::to_string(e.data.index());
  std::visit(
      [&](const auto& d) {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, apply_data>) {
          text += " " + d.matter + " " + d.applicant.name + " " + d.applicant.contact + " " +
                  std::to_string(d.credit_track) + std::to_string(d.commitment_signed);
          for (const auto& m : d.materials) text += " " + m;
        } else if constexpr (std::is_same_v<T, accept_data> || std::is_same_v<T, supplement_data>) {
          for (const auto& m : d.materials) text += " " + m;
        } else if constexpr (std::is_same_v<T, credit_update_data>) {
          text += " " + std::string(to_string(d.grade)) + " " +
                  (d.score ? std::to_string(*d.score) : "-") + " " + d.source +
                  std::to_string(d.tax_incentive_card) + std::to_string(d.blacklisted) +
                  std::to_string(d.key_review);
        }
      },
      e.data);
  return text;
}

void same_outcome(const std::string& raw) {
  INFO(raw);
  CHECK(describe(parse_envelope(raw)) == describe(parse_envelope_reference(raw)));
}

std::vector<std::string> sample_day() {
  std::vector<std::string> lines;
  std::ifstream in(XYP_CONFIG_DIR "/samples/day.jsonl");
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

const std::string enterprise_id = "92410404X8Y350JTN5";

TEST_CASE("Both envelope readers agree on every line of the sample day", "[envelope-reader]") {
  const auto lines = sample_day();
  REQUIRE(lines.size() > 200);
  for (const auto& line : lines) same_outcome(line);
}

TEST_CASE("A member given twice counts as its last appearance in both readers",
          "[envelope-reader]") {
  const std::string head = R"({"id":"e1","type":"case.supplement","applicant_id":")" +
                           enterprise_id + R"(","case_id":"c","at":"2026-11-23T09:30:00Z",)";
  const std::string first_bad = head + R"("data":{"materials":[1],"materials":["a"]}})";
  const std::string last_bad = head + R"("data":{"materials":["a"],"materials":[]}})";
  same_outcome(first_bad);
  same_outcome(last_bad);
  CHECK(std::holds_alternative<inbound_event>(parse_envelope(first_bad)));
  CHECK(std::holds_alternative<rejection>(parse_envelope(last_bad)));
}

TEST_CASE("Numbers, byte order marks and escapes come out as the reference reads them",
          "[envelope-reader]") {
  const std::string prefix = R"({"id":"e","type":"credit.update","applicant_id":")" +
                             enterprise_id +
                             R"(","at":"2026-11-23T09:30:00Z","data":{"grade":"B","score":)";
  for (const char* number : {"0", "-0", "80", "80.0", "8e1", "-1", "9223372036854775807",
                             "9223372036854775808", "18446744073709551615", "18446744073709551616",
                             "1e400", "-9223372036854775809", "1e-400", "00", "1.", "+1"}) {
    same_outcome(prefix + number + "}}");
  }
  const std::string valid = prefix + "1}}";
  same_outcome("\xEF\xBB\xBF" + valid);  // nlohmann/json skips a byte order mark
  same_outcome(valid + " ");
  same_outcome(valid + "x");
  same_outcome(R"({"id":"\u0065\ud83d\ude00","type":"credit.update","applicant_id":")" +
               enterprise_id + R"(","at":"2026-11-23T09:30:00Z","data":{"grade":"B"}})");
  same_outcome(R"({"id":"\ud800","type":"credit.update"})");
  same_outcome("{\"id\":\"\xC3\x28\",\"type\":\"credit.update\"}");
  same_outcome(std::string("{\"id\":\"a\0b\",\"type\":\"credit.update\"}", 34));
}

TEST_CASE("An empty envelope is malformed, read first on a fresh thread or later",
          "[envelope-reader]") {
  // The fast reader's buffer is per thread and made on first use.
  parse_result first;
  std::thread([&] { first = parse_envelope(std::string_view{}); }).join();
  same_outcome("");
  REQUIRE(std::holds_alternative<rejection>(first));
  CHECK(std::get<rejection>(first).code == dead_letter_code::malformed_json);
}

TEST_CASE("Random mutations of the sample day read the same in both readers", "[envelope-reader]") {
  std::mt19937 random(20261130);  // fixed seed: the same mutations on every run
  const std::string bytes = "{}[]\":,\\0123456789.eE+-tfnulxX \x7f\x80\xc3\xa9\xff";
  const auto lines = sample_day();
  for (int round = 0; round < 3000; ++round) {
    std::string mutated = lines[random() % lines.size()];
    const int edits = 1 + static_cast<int>(random() % 3);
    for (int i = 0; i < edits && !mutated.empty(); ++i) {
      const std::size_t pos = random() % mutated.size();
      const char byte = bytes[random() % bytes.size()];
      switch (random() % 3) {
        case 0:
          mutated[pos] = byte;
          break;
        case 1:
          mutated.insert(pos, 1, byte);
          break;
        default:
          mutated.erase(pos, 1);
          break;
      }
    }
    same_outcome(mutated);
  }
}

}  // namespace
