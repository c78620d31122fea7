#include "engine/domain/effect_report.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "engine/domain/time.hpp"

using namespace xyp;
using namespace std::chrono;

// Every expected figure below is counted by hand on the real 2026 calendar: 23-27 November 2026
// is Monday to Friday, 28-29 a weekend, 30 November to 4 December Monday to Friday, no holiday in
// between. Working days from apply to decision count the days after the applying date up to and
// including the deciding date.

namespace {

const working_calendar& calendar() {
  static const working_calendar c = working_calendar::load_directory(XYP_CONFIG_DIR "/calendars");
  return c;
}

instant at(const std::string& text) {
  const auto t = parse_rfc3339(text);
  REQUIRE(t);
  return *t;
}

jurisdiction_policy policy_with_matter() {
  jurisdiction_policy p;
  matter m;
  m.code = "M1";
  m.department = "民政局";
  m.time_limit_days = 20;
  p.matters["M1"] = m;
  return p;
}

case_record a_case(std::string id, track t, std::string tier, const std::string& applied,
                   const std::string& decided = "") {
  case_record r;
  r.case_id = std::move(id);
  r.matter = "M1";
  r.department = "民政局";
  r.track_used = t;
  r.tier = std::move(tier);
  r.applied_at = at(applied);
  if (!decided.empty()) {
    r.decided_at = at(decided);
    r.state = case_state::approved;
  } else {
    r.state = case_state::accepted;
  }
  return r;
}

void passed(case_record& r, case_state from, case_state to) {
  r.history.push_back(history_entry{"e", "case.x", *r.applied_at, from, to});
}

// Eight cases in scope, one of another department and one applied before the period.
std::vector<case_record> november_cases() {
  std::vector<case_record> cases;
  // Standard: 4 and 6 working days (24-27; 24-27 and 30, 1), one undecided.
  cases.push_back(
      a_case("A", track::standard, "", "2026-11-23T09:00:00+08:00", "2026-11-27T16:00:00+08:00"));
  cases.push_back(
      a_case("B", track::standard, "", "2026-11-23T09:00:00+08:00", "2026-12-01T10:00:00+08:00"));
  cases.push_back(a_case("C", track::standard, "", "2026-11-23T09:00:00+08:00"));
  // Deficiency, AAA: one cured and decided the same day (0), one defaulted.
  auto d = a_case("D", track::deficiency, "AAA", "2026-11-24T09:00:00+08:00",
                  "2026-11-24T17:00:00+08:00");
  passed(d, case_state::applied, case_state::accepted_deficient);
  passed(d, case_state::accepted_deficient, case_state::accepted);
  passed(d, case_state::accepted, case_state::approved);
  d.satisfaction = rating::very_satisfied;
  cases.push_back(d);
  auto e = a_case("E", track::deficiency, "AAA", "2026-11-24T09:00:00+08:00");
  passed(e, case_state::applied, case_state::accepted_deficient);
  passed(e, case_state::accepted_deficient, case_state::supplement_overdue);
  passed(e, case_state::supplement_overdue, case_state::defaulted);
  e.state = case_state::defaulted;
  e.satisfaction = rating::unsatisfied;
  cases.push_back(e);
  // Commitment, AA: 1 day kept, 3 days (26, 27, 30) breached, 5 days (26, 27, 30, 1, 2) of a
  // matter the profile does not list.
  auto f = a_case("F", track::commitment, "AA", "2026-11-25T09:00:00+08:00",
                  "2026-11-26T09:00:00+08:00");
  f.state = case_state::verified;
  f.satisfaction = rating::basic;
  cases.push_back(f);
  auto g = a_case("G", track::commitment, "AA", "2026-11-25T09:00:00+08:00",
                  "2026-11-30T09:00:00+08:00");
  g.state = case_state::revoked;
  cases.push_back(g);
  auto h = a_case("H", track::commitment, "AA", "2026-11-25T09:00:00+08:00",
                  "2026-12-02T09:00:00+08:00");
  h.matter = "M9";
  cases.push_back(h);
  // Out of scope.
  auto i = a_case("I", track::standard, "", "2026-11-23T09:00:00+08:00");
  i.department = "市场监管局";
  cases.push_back(i);
  cases.push_back(
      a_case("J", track::standard, "", "2026-11-20T09:00:00+08:00", "2026-11-23T09:00:00+08:00"));
  return cases;
}

effect_scope november_scope() {
  effect_scope s;
  s.from = year{2026} / November / 23;
  s.to = year{2026} / November / 30;
  s.department = "民政局";
  return s;
}

}  // namespace

TEST_CASE("the effect report groups cases by track and tier, standard first", "[effect]") {
  const auto report =
      make_effect_report(november_cases(), policy_with_matter(), calendar(), november_scope());
  REQUIRE(report.rows.size() == 3);
  CHECK(report.rows[0].track_used == track::standard);
  CHECK(report.rows[0].tier.empty());
  CHECK(report.rows[1].track_used == track::deficiency);
  CHECK(report.rows[1].tier == "AAA");
  CHECK(report.rows[2].track_used == track::commitment);
  CHECK(report.rows[2].tier == "AA");
}

TEST_CASE("the effect report leaves out cases of another department or applied outside the period",
          "[effect]") {
  const auto report =
      make_effect_report(november_cases(), policy_with_matter(), calendar(), november_scope());
  CHECK(report.total.cases == 8);
  CHECK(report.rows[0].cases == 3);
}

TEST_CASE("the standard track's handling time is averaged over decided cases in working days",
          "[effect]") {
  const auto report =
      make_effect_report(november_cases(), policy_with_matter(), calendar(), november_scope());
  const auto& standard = report.rows[0];
  CHECK(standard.decided == 2);
  CHECK(standard.timed == 2);
  CHECK(standard.average_days == Approx(5.0));  // (4 + 6) / 2
  CHECK(standard.p90_days == 6);                // nearest rank: ceil(0.9 * 2) = 2nd of 4, 6
}

TEST_CASE("working days saved are the matter's promised limit less the days taken", "[effect]") {
  const auto report =
      make_effect_report(november_cases(), policy_with_matter(), calendar(), november_scope());
  CHECK(report.rows[0].days_saved == 30);  // (20 - 4) + (20 - 6)
  CHECK(report.rows[0].average_days_saved == Approx(15.0));
  CHECK(report.rows[1].days_saved == 20);  // 20 - 0
  // H's matter is not in the profile: timed, but nothing to save against.
  CHECK(report.rows[2].timed == 3);
  CHECK(report.rows[2].saved_counted == 2);
  CHECK(report.rows[2].days_saved == 36);  // (20 - 1) + (20 - 3)
  CHECK(report.rows[2].average_days_saved == Approx(18.0));
}

TEST_CASE("a deficiency case counts as cured once it leaves deficiency, and defaulted cases apart",
          "[effect]") {
  const auto report =
      make_effect_report(november_cases(), policy_with_matter(), calendar(), november_scope());
  CHECK(report.rows[1].deficiency_cured == 1);
  CHECK(report.rows[1].deficiency_defaulted == 1);
  CHECK(report.rows[1].average_days == Approx(0.0));
  CHECK(report.rows[1].p90_days == 0);
}

TEST_CASE("commitments verified count as kept and revoked ones as breached", "[effect]") {
  const auto report =
      make_effect_report(november_cases(), policy_with_matter(), calendar(), november_scope());
  CHECK(report.rows[2].commitments_kept == 1);
  CHECK(report.rows[2].commitments_breached == 1);
  CHECK(report.rows[2].average_days == Approx(3.0));  // (1 + 3 + 5) / 3
  CHECK(report.rows[2].p90_days == 5);                // ceil(2.7) = 3rd of 1, 3, 5
}

TEST_CASE("satisfaction counts very satisfied, satisfied and basic as pleased", "[effect]") {
  const auto report =
      make_effect_report(november_cases(), policy_with_matter(), calendar(), november_scope());
  const auto& deficiency = report.rows[1];
  CHECK(deficiency.rated == 2);
  CHECK(deficiency.ratings[0] == 1);
  CHECK(deficiency.ratings[3] == 1);
  CHECK(deficiency.satisfaction_rate == Approx(0.5));
  CHECK_FALSE(report.rows[0].satisfaction_rate);
}

TEST_CASE("the total row sums every case in scope with its own percentile", "[effect]") {
  const auto report =
      make_effect_report(november_cases(), policy_with_matter(), calendar(), november_scope());
  const auto& t = report.total;
  CHECK(t.decided == 6);
  CHECK(t.total_days == 19);                    // 4 + 6 + 0 + 1 + 3 + 5
  CHECK(t.average_days == Approx(19.0 / 6.0));  // 3.17
  CHECK(t.p90_days == 6);                       // ceil(5.4) = 6th of 0, 1, 3, 4, 5, 6
  CHECK(t.days_saved == 86);                    // 16 + 14 + 20 + 19 + 17
  CHECK(t.satisfaction_rate == Approx(2.0 / 3.0));
}

TEST_CASE("a decision whose span leaves the calendar is decided but not timed", "[effect]") {
  auto cases = std::vector<case_record>{
      a_case("K", track::standard, "", "2026-11-23T09:00:00+08:00", "2040-01-02T09:00:00+08:00")};
  const auto report = make_effect_report(cases, policy_with_matter(), calendar(), {});
  CHECK(report.total.decided == 1);
  CHECK(report.total.timed == 0);
  CHECK_FALSE(report.total.average_days);
}

TEST_CASE("a policy outcome counts tiers, tracks, decisions on the spot, escalations and defaults",
          "[effect]") {
  auto cases = november_cases();
  // D was approved from accepted (a back-office decision); F straight from intake.
  passed(cases[5], case_state::applied, case_state::approved);
  cases[1].escalations.push_back(
      escalation_record{escalation_level::warning, clock_kind::decision, {}, {}, true});
  cases[1].escalations.push_back(
      escalation_record{escalation_level::overdue, clock_kind::decision, {}, {}, true});
  const auto outcome = make_policy_outcome(cases, calendar());
  CHECK(outcome.cases == 10);
  CHECK(outcome.eligible_by_tier.at("AAA") == 2);
  CHECK(outcome.eligible_by_tier.at("AA") == 3);
  CHECK(outcome.by_track.at("standard") == 5);
  CHECK(outcome.by_track.at("deficiency") == 2);
  CHECK(outcome.by_track.at("commitment") == 3);
  CHECK(outcome.decided_on_the_spot == 1);
  CHECK(outcome.escalations.at("warning") == 1);
  CHECK(outcome.escalations.at("overdue") == 1);
  CHECK(outcome.defaults == 1);
  CHECK(outcome.decided == 7);                        // A, B, D, F, G, H, J
  CHECK(outcome.average_days == Approx(20.0 / 7.0));  // 19 + J's 1 (23 Nov)
}
