// `xinyipi watch --pretty`'s line for each kind of outbound event: whole, readable, coloured only
// when asked.
#include "adapters/cli/watch_format.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

using nlohmann::json;
using xyp::cli::pretty_event;

namespace {

std::string envelope(const std::string& type, json data) {
  return json{{"id", "evt-1/1"},
              {"type", type},
              {"applicant_id", "91370400MA3C1234X3"},
              {"case_id", "ZZ-2026-000001"},
              {"at", "2026-11-23T09:30:00+08:00"},
              {"cause", "evt-1"},
              {"data", std::move(data)}}
      .dump();
}

}  // namespace

TEST_CASE("a transition reads as time, case, type and from -> to with its track", "[watch]") {
  const auto line = pretty_event(
      envelope("case.transitioned", {{"from", "applied"},
                                     {"to", "accepted"},
                                     {"track", "commitment"},
                                     {"privileges", {"green_channel", "notify_and_commit"}}}),
      false);
  CHECK(line ==
        "2026-11-23T09:30:00+08:00  ZZ-2026-000001  case.transitioned  applied -> accepted  "
        "track commitment  privileges green_channel,notify_and_commit");
}

TEST_CASE("a new case's first transition comes from (new)", "[watch]") {
  const auto line = pretty_event(
      envelope("case.transitioned", {{"from", nullptr}, {"to", "applied"}, {"track", "standard"}}),
      false);
  CHECK(line.find("  (new) -> applied  ") != std::string::npos);
}

TEST_CASE("a notice shows its kind, what is missing and its due time, marked when provisional",
          "[watch]") {
  const auto line = pretty_event(envelope("case.notice", {{"kind", "supplement_reminder"},
                                                          {"detail", "materials still owed"},
                                                          {"missing", {"floor_plan"}},
                                                          {"due_at", "2027-01-08T23:59:59+08:00"},
                                                          {"provisional", true}}),
                                 false);
  CHECK(line.ends_with(
      "case.notice  supplement_reminder: materials still owed  missing floor_plan  due "
      "2027-01-08T23:59:59+08:00 (provisional)"));
}

TEST_CASE("an escalation shows level, clock, department and due time", "[watch]") {
  const auto line =
      pretty_event(envelope("escalation.raised", {{"level", "overdue"},
                                                  {"clock", "decision"},
                                                  {"due_at", "2026-11-30T23:59:59+08:00"},
                                                  {"department", "市场监管局"}}),
                   false);
  CHECK(line.ends_with(
      "escalation.raised  overdue decision  市场监管局  due 2026-11-30T23:59:59+08:00"));
}

TEST_CASE("a long line is printed whole, never cut", "[watch]") {
  const std::string detail(500, 'x');
  const auto line = pretty_event(
      envelope("credit.hook", {{"kind", "commitment_breached"}, {"detail", detail}}), false);
  CHECK(line.find(detail) != std::string::npos);
}

TEST_CASE("colour is only there when asked for: the type painted, the text unchanged", "[watch]") {
  const auto text = envelope("escalation.raised", {{"level", "overdue"},
                                                   {"clock", "decision"},
                                                   {"due_at", "2026-11-30T23:59:59+08:00"},
                                                   {"department", "住建局"}});
  const auto plain = pretty_event(text, false);
  const auto painted = pretty_event(text, true);
  CHECK(plain.find('\x1b') == std::string::npos);
  CHECK(painted.find("\x1b[31mescalation.raised\x1b[0m") != std::string::npos);  // overdue: red
  std::string stripped;
  for (std::size_t i = 0; i < painted.size(); ++i) {
    if (painted[i] == '\x1b') {
      i = painted.find('m', i);
      continue;
    }
    stripped += painted[i];
  }
  CHECK(stripped == plain);
}

TEST_CASE("text that is not an outbound envelope is printed as it came", "[watch]") {
  CHECK(pretty_event("not json {", true) == "not json {");
  CHECK(pretty_event("[1,2]", false) == "[1,2]");
}
