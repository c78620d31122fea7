// Deadlines that run into a year whose State Council notice is not loaded: counted on the
// regulation's days, marked provisional, and counted again when the notice comes. The notice
// loaded here is tests/data/calendars/cn-2027-fixture.json, INVENTED FOR THE TEST: it keeps the
// regulation's days and adds Mon 4 January 2027 off and Sat 20 February 2027 as a working day.
#include <algorithm>
#include <catch2/catch.hpp>
#include <optional>

#include "harness.hpp"

using namespace xyp;
using namespace xyp::test;
using nlohmann::json;

namespace {

const char* fixture_notice = XYP_TEST_DATA_DIR "/calendars/cn-2027-fixture.json";

working_calendar shipped() {
  return working_calendar::load_directory(XYP_CONFIG_DIR "/calendars");
}

// A copy of the case's armed clock of this kind (the record itself is a copy too).
std::optional<case_clock> armed(const case_record& r, clock_kind k) {
  const auto* c = r.armed_clock(k);
  return c ? std::optional<case_clock>(*c) : std::nullopt;
}

// An AA enterprise's SPOT case applied on Mon 2026-12-21 and approved at intake on Mon
// 2026-12-28, on the spot under its commitment.
commit_unit decided_on_december_28(bench& b) {
  b.put_credit(enterprise_id, "AA");
  b.send(bench::apply("a-1", "C-1", "SPOT", {"application_form"}, "2026-12-21T09:30:00+08:00", true,
                      true, enterprise_id));
  const auto unit = b.send(bench::envelope(
      "r-1", "case.accept", "C-1", "2026-12-28T10:00:00+08:00",
      {{"materials", json::array({"application_form"})}, {"verdict", "accept"}}, enterprise_id));
  REQUIRE(b.record("C-1").state == case_state::approved);
  return unit;
}

}  // namespace

TEST_CASE("a case decided on 2026-12-28 gets a provisional due_by and verification clock",
          "[provisional]") {
  const auto calendar = shipped();
  bench b(calendar);
  const auto unit = decided_on_december_28(b);
  // Publicity, 7 working days: Tue 29 (1), Wed 30 (2), Thu 31 (3), 1 January off by the
  // regulation, Mon 4 (4) ... Thu 7 (7).
  const auto report = bench::of_type(unit, "publicity.report").at(0).data.parsed();
  CHECK(report["due_by"] == "2027-01-07T23:59:59+08:00");
  CHECK(report["provisional"] == true);
  // Verification, 20 working days: 29-31 December (3), 4-8 January (8), 11-15 (13), 18-22 (18),
  // Mon 25 (19), Tue 26 (20).
  const auto clock = armed(b.record("C-1"), clock_kind::verification);
  REQUIRE(clock);
  CHECK(format_rfc3339(clock->due) == "2027-01-26T23:59:59+08:00");
  CHECK(clock->provisional);
  CHECK(clock->working_days == 20);
  CHECK(format_rfc3339(clock->counted_from) == "2026-12-28T10:00:00+08:00");
}

TEST_CASE("a deadline within a year with a notice carries no provisional mark", "[provisional]") {
  bench b;
  b.put_credit(enterprise_id, "AA");
  b.send(bench::apply("a-1", "C-1", "SPOT", {"application_form"}, "2026-11-23T09:30:00+08:00", true,
                      true, enterprise_id));
  const auto unit = b.send(bench::envelope(
      "r-1", "case.accept", "C-1", "2026-11-24T10:00:00+08:00",
      {{"materials", json::array({"application_form"})}, {"verdict", "accept"}}, enterprise_id));
  CHECK_FALSE(bench::of_type(unit, "publicity.report").at(0).data.parsed().contains("provisional"));
  CHECK_FALSE(armed(b.record("C-1"), clock_kind::verification)->provisional);
}

TEST_CASE("when the notice is loaded a moved deadline is re-armed and a deadline_changed goes out",
          "[provisional]") {
  auto calendar = shipped();
  bench b(calendar);
  decided_on_december_28(b);
  b.advance_to("2026-12-30T09:00:00+08:00");
  const std::string old_timer = armed(b.record("C-1"), clock_kind::verification)->timer_id;

  calendar.add_year_file(fixture_notice);
  const auto units = b.recalendar();

  REQUIRE(units.size() == 1);
  const auto notices = bench::of_type(units[0], "case.notice");
  REQUIRE(notices.size() == 1);
  // With Mon 4 January off the twentieth working day is Wed 27 January.
  CHECK(notices[0].data.parsed() ==
        json{{"kind", "deadline_changed"},
             {"detail",
              "the year's holiday notice is loaded: the deadline is counted "
              "again on it"},
             {"clock", "verification"},
             {"previous_due_at", "2027-01-26T23:59:59+08:00"},
             {"due_at", "2027-01-27T23:59:59+08:00"}});
  CHECK(format_rfc3339(notices[0].at) == "2026-12-30T09:00:00+08:00");
  CHECK(units[0].timers_cancelled == std::vector<std::string>{old_timer});
  REQUIRE(units[0].timers_set.size() == 1);
  const auto r = b.record("C-1");
  const auto clock = armed(r, clock_kind::verification);
  REQUIRE(clock);
  CHECK(clock->timer_id == units[0].timers_set[0].id);
  CHECK(clock->timer_id != old_timer);
  CHECK(format_rfc3339(clock->due) == "2027-01-27T23:59:59+08:00");
  CHECK_FALSE(clock->provisional);
  CHECK(r.history.back().type == "calendar.loaded");
  // The old due passes quietly; the new one fires.
  CHECK(b.advance_to("2027-01-27T12:00:00+08:00").empty());
  const auto fired = b.advance_to("2027-01-28T09:00:00+08:00");
  REQUIRE(fired.size() == 1);
  const auto escalation = bench::of_type(fired[0], "escalation.raised").at(0).data.parsed();
  CHECK(escalation["clock"] == "verification");
  CHECK_FALSE(escalation.contains("provisional"));
}

TEST_CASE("a provisional due that the notice confirms loses its mark without a notice",
          "[provisional]") {
  auto calendar = shipped();
  bench b(calendar);
  b.put_credit(person_id, "AA");
  // Mon 1 March 2027, a provisional year: correction notice due Tue 2 (1) ... Mon 8 (5).
  b.send(bench::apply("a-1", "C-1", "FOOD", {"application_form"}, "2027-03-01T09:30:00+08:00"));
  const auto before = armed(b.record("C-1"), clock_kind::correction_notice);
  REQUIRE(before);
  CHECK(format_rfc3339(before->due) == "2027-03-08T23:59:59+08:00");
  CHECK(before->provisional);
  const std::string timer = before->timer_id;

  calendar.add_year_file(fixture_notice);
  const auto units = b.recalendar();

  REQUIRE(units.size() == 1);
  CHECK(units[0].outbound.empty());
  CHECK(units[0].timers_set.empty());
  CHECK(units[0].timers_cancelled.empty());
  const auto after = armed(b.record("C-1"), clock_kind::correction_notice);
  REQUIRE(after);
  CHECK(after->timer_id == timer);
  CHECK_FALSE(after->provisional);
}

TEST_CASE("a clock counted on a notice is left alone when another notice is loaded",
          "[provisional]") {
  auto calendar = shipped();
  bench b(calendar);
  b.put_credit(person_id, "AA");
  b.send(bench::apply("a-1", "C-1", "FOOD", {"application_form"}, "2026-11-23T09:30:00+08:00"));
  calendar.add_year_file(fixture_notice);
  CHECK(b.recalendar().empty());
}

TEST_CASE("an escalation on a provisional clock says its due is provisional", "[provisional]") {
  bench b;
  b.put_credit(person_id, "AA");
  // Applied Mon 2026-12-28: correction notice due 29, 30, 31, (1 January off), Mon 4, Tue 5.
  b.send(bench::apply("a-1", "C-1", "FOOD", {"application_form"}, "2026-12-28T09:30:00+08:00"));
  const auto fired = b.advance_to("2027-01-06T09:00:00+08:00");
  REQUIRE_FALSE(fired.empty());
  const auto escalation = bench::of_type(fired[0], "escalation.raised").at(0).data.parsed();
  CHECK(escalation["due_at"] == "2027-01-05T23:59:59+08:00");
  CHECK(escalation["provisional"] == true);
  CHECK(b.record("C-1").escalations.at(0).provisional);
}

TEST_CASE("a clock's count and mark are kept in the case record, and old records read without them",
          "[provisional]") {
  const auto calendar = shipped();
  bench b(calendar);
  decided_on_december_28(b);
  const json doc = b.record("C-1");
  const auto verification = std::find_if(doc["clocks"].begin(), doc["clocks"].end(),
                                         [](const json& c) { return c["kind"] == "verification"; });
  REQUIRE(verification != doc["clocks"].end());
  CHECK((*verification)["counted_from"] == "2026-12-28T10:00:00+08:00");
  CHECK((*verification)["working_days"] == 20);
  CHECK((*verification)["provisional"] == true);
  // The correction-notice clock, counted within 2026, writes no mark.
  CHECK_FALSE(doc["clocks"][0].contains("provisional"));
  CHECK(doc.get<case_record>().clocks.back().provisional);

  json old = doc;
  for (auto& c : old["clocks"]) {
    c.erase("counted_from");
    c.erase("working_days");
    c.erase("provisional");
  }
  const auto read = old.get<case_record>();
  CHECK(read.clocks.back().working_days == 0);
  CHECK(read.clocks.back().counted_from == instant{});
  CHECK_FALSE(read.clocks.back().provisional);
}

TEST_CASE("a case applied on 2026-12-21 is deemed accepted with a provisional decision clock",
          "[provisional]") {
  bench b;
  b.put_credit(person_id, "AA");
  // Mon 21 December: correction notice due 22, 23, 24, 25, Mon 28 (5).
  b.send(bench::apply("a-1", "C-1", "FOOD", {"application_form"}, "2026-12-21T09:30:00+08:00"));
  const auto fired = b.advance_to("2026-12-29T09:00:00+08:00");
  REQUIRE(fired.size() == 1);
  CHECK_FALSE(fired[0].dead);
  const auto r = b.record("C-1");
  CHECK(r.state == case_state::accepted);
  // Art. 32: accepted on receipt, so 20 working days from Mon 21 December: 22-25 (4), 28-31 (8),
  // 1 January off, 4-8 (13), 11-15 (18), Mon 18 (19), Tue 19 (20); the warning at 16, Wed 13.
  const auto decision = armed(r, clock_kind::decision);
  REQUIRE(decision);
  CHECK(format_rfc3339(decision->due) == "2027-01-19T23:59:59+08:00");
  CHECK(decision->provisional);
  const auto warning = armed(r, clock_kind::decision_warning);
  REQUIRE(warning);
  CHECK(format_rfc3339(warning->due) == "2027-01-13T23:59:59+08:00");
  CHECK(warning->provisional);
}
