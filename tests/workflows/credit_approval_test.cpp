// One test per rule of the credit-approval case: set a state, send one event, check the new
// state and what was emitted. Deadlines are counted by hand on the 2026 State Council calendar.
#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace xyp;
using namespace xyp::test;
using nlohmann::json;

namespace {

const char* monday = "2026-11-23T09:30:00+08:00";
const char* tuesday = "2026-11-24T10:00:00+08:00";

json accept(const std::string& id, const std::string& case_id, std::vector<std::string> materials,
            const std::string& verdict = "accept", const std::string& at = tuesday) {
  return bench::envelope(id, "case.accept", case_id, at,
                         {{"materials", materials}, {"verdict", verdict}, {"reason", "reviewed"}});
}

json event(const std::string& id, const std::string& type, const std::string& case_id, json data,
           const std::string& at = "2026-12-01T10:00:00+08:00") {
  return bench::envelope(id, type, case_id, at, std::move(data));
}

const std::vector<std::string> all_food = {"application_form", "business_license", "floor_plan",
                                           "food_safety_rules", "health_certificate"};
const std::vector<std::string> food_without_deferrables = {"application_form", "business_license",
                                                           "health_certificate"};

// An AAA applicant's FOOD case, accepted with deficiency: floor plan and rules owed.
void deficient_food_case(bench& b, const std::string& case_id = "C-1") {
  b.put_credit(person_id, "AAA");
  b.send(bench::apply("a-" + case_id, case_id, "FOOD", food_without_deferrables, monday));
  b.send(accept("r-" + case_id, case_id, food_without_deferrables));
  REQUIRE(b.record(case_id).state == case_state::accepted_deficient);
}

void accepted_food_case(bench& b, const std::string& grade = "AA") {
  b.put_credit(person_id, grade);
  b.send(bench::apply("a-1", "C-1", "FOOD", all_food, monday));
  b.send(accept("r-1", "C-1", all_food));
  REQUIRE(b.record("C-1").state == case_state::accepted);
}

std::string due_of(const case_record& r, clock_kind k) {
  const auto* c = r.armed_clock(k);
  return c ? format_rfc3339(c->due) : "none";
}

}  // namespace

// ---- 1. Apply ---------------------------------------------------------------------------------

TEST_CASE("an AAA applicant who opts in and signs is told at once that credit approval applies") {
  bench b;
  b.put_credit(person_id, "AAA");
  const auto unit = b.send(bench::apply("a-1", "C-1", "FOOD", all_food, monday));
  const auto r = b.record("C-1");
  CHECK(r.state == case_state::applied);
  CHECK(r.tier == "AAA");
  CHECK(r.privileges ==
        std::vector<std::string>{"green_channel", "deficiency_acceptance", "notify_and_commit"});
  const auto notices = bench::of_type(unit, "case.notice");
  REQUIRE(notices.size() == 1);
  CHECK(notices[0].data.parsed()["kind"] == "eligibility");
  CHECK(notices[0].data.parsed()["eligible"] == true);
  REQUIRE(bench::of_type(unit, "case.transitioned").size() == 1);
  CHECK(bench::of_type(unit, "case.transitioned")[0].data.parsed()["to"] == "applied");
  CHECK(bench::of_type(unit, "case.transitioned")[0].data.parsed()["from"].is_null());
  // Art. 32: five working days for the intake verdict, Tuesday to the next Monday.
  CHECK(due_of(r, clock_kind::correction_notice) == "2026-11-30T23:59:59+08:00");
}

TEST_CASE("an applicant who does not opt in is on the standard track, with the reason") {
  bench b;
  b.put_credit(person_id, "AAA");
  const auto unit = b.send(bench::apply("a-1", "C-1", "FOOD", all_food, monday, false, true));
  const auto r = b.record("C-1");
  CHECK(r.privileges.empty());
  CHECK(r.eligibility_reason == "not_opted_in");
  CHECK(bench::of_type(unit, "case.notice")[0].data.parsed()["eligible"] == false);
  CHECK(bench::of_type(unit, "case.notice")[0].data.parsed()["track"] == "standard");
}

TEST_CASE("an applicant without a signed commitment gets no credit approval") {
  bench b;
  b.put_credit(person_id, "AAA");
  b.send(bench::apply("a-1", "C-1", "FOOD", all_food, monday, true, false));
  CHECK(b.record("C-1").eligibility_reason == "commitment_not_signed");
  CHECK(b.record("C-1").privileges.empty());
}

TEST_CASE("a matter excluded by category gets no credit approval even at AAA") {
  bench b;
  b.put_credit(person_id, "AAA");
  const auto unit =
      b.send(bench::apply("a-1", "C-1", "HAZ", {"application_form", "safety_assessment"}, monday));
  CHECK(b.record("C-1").eligibility_reason == "matter_excluded");
  CHECK(bench::of_type(unit, "case.notice")[0].data.parsed()["detail"].get<std::string>().find(
            "production_safety") != std::string::npos);
}

TEST_CASE(
    "an application through a channel the profile does not offer credit approval on is standard") {
  bench b;
  b.put_credit(person_id, "AAA");
  auto apply = bench::apply("a-1", "C-1", "FOOD", all_food, monday);
  apply["data"]["channel"] = "phone";
  b.send(apply);
  CHECK(b.record("C-1").eligibility_reason == "channel_not_allowed");
  CHECK(b.record("C-1").privileges.empty());
}

TEST_CASE("a blacklisted applicant gets no facilitation whatever the grade") {
  bench b;
  b.put_credit(person_id, "AAA", true);
  b.send(bench::apply("a-1", "C-1", "FOOD", all_food, monday));
  CHECK(b.record("C-1").eligibility_reason == "blacklisted");
  CHECK(b.record("C-1").privileges.empty());
}

TEST_CASE("an applicant with no credit record known counts as below A") {
  bench b;
  b.send(bench::apply("a-1", "C-1", "FOOD", all_food, monday));
  CHECK(b.record("C-1").eligibility_reason == "below_tier");
  CHECK(b.record("C-1").tier.empty());
}

// ---- Receipt: the correction-notice clock ----------------------------------------------------

TEST_CASE("no intake verdict within five working days means deemed accepted, with a notice") {
  bench b;
  b.put_credit(person_id, "AA");
  b.send(bench::apply("a-1", "C-1", "FOOD", food_without_deferrables, monday));
  CHECK(b.advance_to("2026-11-30T23:59:58+08:00").empty());
  const auto fired = b.advance_to("2026-12-01T00:00:00+08:00");
  REQUIRE(fired.size() == 1);
  const auto r = b.record("C-1");
  CHECK(r.state == case_state::accepted);
  CHECK(r.missing.empty());
  CHECK(r.track_used == track::commitment);  // AA: notify-and-commit, as qualified at apply
  REQUIRE(bench::of_type(fired[0], "case.notice").size() == 1);
  CHECK(bench::of_type(fired[0], "case.notice")[0].data.parsed()["kind"] == "deemed_accepted");
  REQUIRE(bench::of_type(fired[0], "escalation.raised").size() == 1);
  CHECK(bench::of_type(fired[0], "escalation.raised")[0].data.parsed()["clock"] ==
        "correction_notice");
  // Art. 42 with art. 32: the limit runs from receipt, Monday 2026-11-23, not from the deemed
  // moment: 20 working days, 11-24..11-27 (4), 11-30..12-04 (9), 12-07..12-11 (14),
  // 12-14..12-18 (19), 12-21 (20).
  CHECK(r.accepted_at == parse_rfc3339(monday));
  CHECK(due_of(r, clock_kind::decision) == "2026-12-21T23:59:59+08:00");
}

// ---- 2. Accept -------------------------------------------------------------------------------

TEST_CASE("complete materials are accepted and the decision clock starts") {
  bench b;
  b.put_credit(person_id, "A");
  b.send(bench::apply("a-1", "C-1", "FOOD", all_food, monday));
  const auto unit = b.send(accept("r-1", "C-1", all_food));
  const auto r = b.record("C-1");
  CHECK(r.state == case_state::accepted);
  CHECK(r.armed_clock(clock_kind::correction_notice) == nullptr);
  CHECK(unit.timers_cancelled.size() == 1);
  // 20 working days after Tuesday 2026-11-24; the warning at 80 %: 16 working days.
  CHECK(due_of(r, clock_kind::decision) == "2026-12-22T23:59:59+08:00");
  CHECK(due_of(r, clock_kind::decision_warning) == "2026-12-16T23:59:59+08:00");
}

TEST_CASE("an AAA applicant missing an auxiliary material is accepted with a supplement deadline") {
  bench b;
  b.put_credit(person_id, "AAA");
  b.send(bench::apply("a-1", "C-1", "FOOD", food_without_deferrables, monday));
  const auto unit = b.send(accept("r-1", "C-1", food_without_deferrables));
  const auto r = b.record("C-1");
  CHECK(r.state == case_state::accepted_deficient);
  CHECK(r.track_used == track::deficiency);
  CHECK(r.missing == std::vector<std::string>{"floor_plan", "food_safety_rules"});
  // Ten working days after 2026-11-24.
  CHECK(due_of(r, clock_kind::supplement) == "2026-12-08T23:59:59+08:00");
  const auto notices = bench::of_type(unit, "case.notice");
  REQUIRE(notices.size() == 1);
  CHECK(notices[0].data.parsed()["missing"] == json{"floor_plan", "food_safety_rules"});
  CHECK(notices[0].data.parsed()["due_at"] == "2026-12-08T23:59:59+08:00");
  CHECK(bench::of_type(unit, "case.transitioned")[0].data.parsed()["track"] == "deficiency");
}

TEST_CASE("an AA applicant whose tier lacks deficiency acceptance must correct instead") {
  bench b;
  b.put_credit(person_id, "AA");
  b.send(bench::apply("a-1", "C-1", "FOOD", food_without_deferrables, monday));
  const auto unit = b.send(accept("r-1", "C-1", food_without_deferrables));
  CHECK(b.record("C-1").state == case_state::correction_required);
  CHECK(bench::of_type(unit, "case.notice")[0].data.parsed()["missing"] ==
        json{"floor_plan", "food_safety_rules"});
}

TEST_CASE("a matter that does not allow deficiency acceptance needs a correction even at AAA") {
  bench b;
  b.put_credit(person_id, "AAA");
  b.send(bench::apply("a-1", "C-1", "NODEF", food_without_deferrables, monday));
  b.send(accept("r-1", "C-1", food_without_deferrables));
  CHECK(b.record("C-1").state == case_state::correction_required);
}

TEST_CASE("under notify-and-commit the signed commitment replaces the listed certificate") {
  bench b;
  b.put_credit(person_id, "AA");
  b.send(bench::apply("a-1", "C-1", "FOOD",
                      {"application_form", "business_license", "floor_plan", "food_safety_rules"},
                      monday));
  const auto unit = b.send(accept(
      "r-1", "C-1", {"application_form", "business_license", "floor_plan", "food_safety_rules"}));
  const auto r = b.record("C-1");
  CHECK(r.state == case_state::accepted);
  CHECK(r.track_used == track::commitment);
  CHECK(r.replaced_by_commitment == std::vector<std::string>{"health_certificate"});
  CHECK(bench::of_type(unit, "case.transitioned")[0].data.parsed()["track"] == "commitment");
}

TEST_CASE("an on-the-spot matter under a commitment is approved at intake") {
  bench b;
  b.put_credit(enterprise_id, "AA");
  b.send(
      bench::apply("a-1", "C-1", "SPOT", {"application_form"}, monday, true, true, enterprise_id));
  const auto unit = b.send(
      bench::envelope("r-1", "case.accept", "C-1", tuesday,
                      {{"materials", {"application_form"}}, {"verdict", "accept"}}, enterprise_id));
  const auto r = b.record("C-1");
  CHECK(r.state == case_state::approved);
  CHECK(r.needs_verification);
  CHECK(bench::of_type(unit, "case.transitioned")[0].data.parsed()["from"] == "applied");
  CHECK(bench::of_type(unit, "case.transitioned")[0].data.parsed()["to"] == "approved");
  CHECK(bench::of_type(unit, "publicity.report").size() == 1);
  CHECK(bench::of_type(unit, "ledger.entry").size() == 1);
  CHECK(due_of(r, clock_kind::verification) == "2026-12-22T23:59:59+08:00");
}

TEST_CASE("missing main materials require a correction listing every missing material at once") {
  bench b;
  b.put_credit(person_id, "AAA");
  b.send(bench::apply("a-1", "C-1", "FOOD", {"application_form"}, monday));
  const auto unit = b.send(accept("r-1", "C-1", {"application_form"}));
  CHECK(b.record("C-1").state == case_state::correction_required);
  CHECK(bench::of_type(unit, "case.notice")[0].data.parsed()["missing"] ==
        json{"business_license", "floor_plan", "food_safety_rules"});
}

TEST_CASE("an intake verdict of reject closes the case as rejected") {
  bench b;
  b.send(bench::apply("a-1", "C-1", "FOOD", all_food, monday));
  b.send(accept("r-1", "C-1", {}, "reject"));
  const auto r = b.record("C-1");
  CHECK(r.state == case_state::rejected);
  CHECK(invariant_violation(r) == std::nullopt);
}

TEST_CASE("materials handed in after a correction notice complete the case into acceptance") {
  bench b;
  b.put_credit(person_id, "AA");
  b.send(bench::apply("a-1", "C-1", "FOOD", {"application_form"}, monday));
  b.send(accept("r-1", "C-1", {"application_form"}));
  b.send(event("s-1", "case.supplement", "C-1", {{"materials", {"business_license"}}}));
  CHECK(b.record("C-1").state == case_state::correction_required);
  CHECK(b.record("C-1").missing == std::vector<std::string>{"floor_plan", "food_safety_rules"});
  b.send(
      event("s-2", "case.supplement", "C-1", {{"materials", {"floor_plan", "food_safety_rules"}}}));
  CHECK(b.record("C-1").state == case_state::accepted);
  CHECK(b.record("C-1").armed_clock(clock_kind::decision) != nullptr);
}

// ---- Supplement ------------------------------------------------------------------------------

TEST_CASE("supplying every missing material cures a deficiency acceptance") {
  bench b;
  deficient_food_case(b);
  const auto unit = b.send(
      event("s-1", "case.supplement", "C-1", {{"materials", {"floor_plan", "food_safety_rules"}}}));
  const auto r = b.record("C-1");
  CHECK(r.state == case_state::accepted);
  CHECK(r.missing.empty());
  CHECK(r.armed_clock(clock_kind::supplement) == nullptr);
  CHECK(unit.timers_cancelled.size() == 1);
}

TEST_CASE("a partial supplement shrinks the missing list and keeps the deadline") {
  bench b;
  deficient_food_case(b);
  const auto unit = b.send(event("s-1", "case.supplement", "C-1", {{"materials", {"floor_plan"}}}));
  const auto r = b.record("C-1");
  CHECK(r.state == case_state::accepted_deficient);
  CHECK(r.missing == std::vector<std::string>{"food_safety_rules"});
  CHECK(due_of(r, clock_kind::supplement) == "2026-12-08T23:59:59+08:00");
  CHECK(bench::of_type(unit, "case.transitioned").empty());
}

TEST_CASE("a supplement deadline that passes sends a reminder and starts a grace clock") {
  bench b;
  deficient_food_case(b);
  const auto fired = b.advance_to("2026-12-09T09:00:00+08:00");
  REQUIRE(fired.size() == 1);
  const auto r = b.record("C-1");
  CHECK(r.state == case_state::supplement_overdue);
  const auto notices = bench::of_type(fired[0], "case.notice");
  REQUIRE(notices.size() == 1);
  CHECK(notices[0].data.parsed()["kind"] == "supplement_reminder");
  CHECK(notices[0].data.parsed()["missing"] == json{"floor_plan", "food_safety_rules"});
  // Five working days after 2026-12-08.
  CHECK(notices[0].data.parsed()["due_at"] == "2026-12-15T23:59:59+08:00");
  CHECK(due_of(r, clock_kind::supplement_grace) == "2026-12-15T23:59:59+08:00");
}

TEST_CASE("materials still missing after the reminder default the case and fire the credit hook") {
  bench b;
  deficient_food_case(b);
  b.advance_to("2026-12-09T09:00:00+08:00");
  const auto fired = b.advance_to("2026-12-16T09:00:00+08:00");
  // The warning clock (16 working days, 2026-12-16) is not due before the grace expiry.
  REQUIRE(!fired.empty());
  const auto r = b.record("C-1");
  CHECK(r.state == case_state::defaulted);
  const auto hooks = bench::of_type(fired[0], "credit.hook");
  REQUIRE(hooks.size() == 1);
  CHECK(hooks[0].data.parsed()["kind"] == "deficiency_defaulted");
  CHECK(invariant_violation(r) == std::nullopt);
  // The default is announced, and then there is nothing left open to watch.
  CHECK(bench::of_type(fired[0], "escalation.raised").size() == 1);
  CHECK(std::none_of(r.escalations.begin(), r.escalations.end(),
                     [](const auto& e) { return e.open; }));
}

TEST_CASE("materials handed in during the grace period still cure the deficiency") {
  bench b;
  deficient_food_case(b);
  b.advance_to("2026-12-09T09:00:00+08:00");
  b.send(event("s-1", "case.supplement", "C-1",
               {{"materials", {"floor_plan", "food_safety_rules"}}}, "2026-12-10T10:00:00+08:00"));
  CHECK(b.record("C-1").state == case_state::accepted);
  CHECK(b.record("C-1").armed_clock(clock_kind::supplement_grace) == nullptr);
}

// ---- 3. Decide -------------------------------------------------------------------------------

TEST_CASE("a warning escalation is raised at the configured share of the decision limit") {
  bench b;
  accepted_food_case(b);
  const auto fired = b.advance_to("2026-12-17T00:00:00+08:00");
  REQUIRE(fired.size() == 1);
  const auto esc = bench::of_type(fired[0], "escalation.raised");
  REQUIRE(esc.size() == 1);
  CHECK(esc[0].data.parsed()["level"] == "warning");
  CHECK(esc[0].data.parsed()["clock"] == "decision");
  CHECK(esc[0].data.parsed()["due_at"] == "2026-12-22T23:59:59+08:00");
  CHECK(esc[0].data.parsed()["department"] == "市场监督管理局");
}

TEST_CASE("an overdue escalation is raised when the decision limit passes") {
  bench b;
  accepted_food_case(b);
  const auto fired = b.advance_to("2026-12-23T09:00:00+08:00");
  REQUIRE(fired.size() == 2);
  CHECK(bench::of_type(fired[1], "escalation.raised")[0].data.parsed()["level"] == "overdue");
  CHECK(b.record("C-1").state == case_state::accepted);
}

TEST_CASE(
    "an approval is published for 双公示 within seven working days and entered in the ledger") {
  bench b;
  accepted_food_case(b, "A");
  const auto unit = b.send(event("d-1", "case.decide", "C-1", {{"outcome", "approve"}}));
  const auto r = b.record("C-1");
  CHECK(r.state == case_state::approved);
  CHECK_FALSE(r.needs_verification);
  CHECK(invariant_violation(r) == std::nullopt);
  const auto report = bench::of_type(unit, "publicity.report");
  REQUIRE(report.size() == 1);
  CHECK(report[0].data.parsed()["decision"] == "approve");
  CHECK(report[0].data.parsed()["due_by"] == "2026-12-10T23:59:59+08:00");
  const auto ledger = bench::of_type(unit, "ledger.entry");
  REQUIRE(ledger.size() == 1);
  CHECK(ledger[0].data.parsed()["no"] == 1);
  CHECK(ledger[0].data.parsed()["matter"] == "食品经营许可");
  CHECK(ledger[0].data.parsed()["credit_level"] == "A");
  CHECK(ledger[0].data.parsed()["result"] == "approved");
}

TEST_CASE("a denial closes the case and cancels its clocks") {
  bench b;
  accepted_food_case(b);
  const auto unit = b.send(
      event("d-1", "case.decide", "C-1", {{"outcome", "deny"}, {"reason", "unsafe premises"}}));
  const auto r = b.record("C-1");
  CHECK(r.state == case_state::denied);
  CHECK(unit.timers_cancelled.size() == 2);
  CHECK(invariant_violation(r) == std::nullopt);
  CHECK(bench::of_type(unit, "publicity.report")[0].data.parsed()["decision"] == "deny");
}

TEST_CASE("a decision on a case still owing deferred materials is refused") {
  bench b;
  deficient_food_case(b);
  const auto unit = b.send(event("d-1", "case.decide", "C-1", {{"outcome", "approve"}}));
  REQUIRE(unit.dead);
  CHECK(unit.dead->code == dead_letter_code::invalid_transition);
  CHECK(b.record("C-1").state == case_state::accepted_deficient);
}

// ---- 5. Verification of a commitment ---------------------------------------------------------

TEST_CASE("a commitment verified as kept closes the case and credits the applicant") {
  bench b;
  accepted_food_case(b);  // AA: commitment track
  b.send(event("d-1", "case.decide", "C-1", {{"outcome", "approve"}}));
  REQUIRE(b.record("C-1").needs_verification);
  const auto unit = b.send(
      event("v-1", "case.verify", "C-1", {{"result", "fulfilled"}}, "2026-12-05T10:00:00+08:00"));
  CHECK(b.record("C-1").state == case_state::verified);
  CHECK(bench::of_type(unit, "credit.hook")[0].data.parsed()["kind"] == "commitment_fulfilled");
  CHECK(invariant_violation(b.record("C-1")) == std::nullopt);
}

TEST_CASE("a commitment found broken revokes the approval and fires the breach hook") {
  bench b;
  accepted_food_case(b);
  b.send(event("d-1", "case.decide", "C-1", {{"outcome", "approve"}}));
  const auto unit = b.send(
      event("v-1", "case.verify", "C-1", {{"result", "breached"}}, "2026-12-05T10:00:00+08:00"));
  CHECK(b.record("C-1").state == case_state::revoked);
  CHECK(bench::of_type(unit, "credit.hook")[0].data.parsed()["kind"] == "commitment_breached");
  CHECK(bench::of_type(unit, "publicity.report")[0].data.parsed()["decision"] == "revoke");
}

TEST_CASE("a verification window that passes with no check raises an escalation") {
  bench b;
  accepted_food_case(b);
  b.send(event("d-1", "case.decide", "C-1", {{"outcome", "approve"}}));
  // 20 working days after 2026-12-01 is 2026-12-29.
  CHECK(due_of(b.record("C-1"), clock_kind::verification) == "2026-12-29T23:59:59+08:00");
  const auto fired = b.advance_to("2026-12-30T00:00:00+08:00");
  REQUIRE(fired.size() == 1);
  CHECK(bench::of_type(fired[0], "escalation.raised")[0].data.parsed()["clock"] == "verification");
  CHECK(b.record("C-1").state == case_state::approved);
}

TEST_CASE("a verification of a case approved without a commitment is refused") {
  bench b;
  accepted_food_case(b, "A");
  b.send(event("d-1", "case.decide", "C-1", {{"outcome", "approve"}}));
  const auto unit = b.send(event("v-1", "case.verify", "C-1", {{"result", "fulfilled"}}));
  REQUIRE(unit.dead);
  CHECK(unit.dead->code == dead_letter_code::invalid_transition);
}

// ---- 4. Withdraw and terminate ---------------------------------------------------------------

TEST_CASE(
    "withdrawing from the credit track ends facilitation and makes the deferred materials due") {
  bench b;
  deficient_food_case(b);
  const auto unit = b.send(event("w-1", "case.withdraw", "C-1", {{"scope", "credit_track"}}));
  const auto r = b.record("C-1");
  CHECK(r.state == case_state::correction_required);
  CHECK(r.track_used == track::standard);
  CHECK(r.privileges.empty());
  CHECK(r.armed_clock(clock_kind::supplement) == nullptr);
  CHECK(r.armed_clock(clock_kind::decision) == nullptr);
  CHECK(r.missing == std::vector<std::string>{"floor_plan", "food_safety_rules"});
  CHECK(bench::of_type(unit, "case.notice")[0].data.parsed()["kind"] == "withdrawn");
  CHECK(bench::of_type(unit, "case.transitioned")[0].data.parsed()["track"] == "standard");
}

TEST_CASE(
    "withdrawing from the credit track after a commitment makes the replaced certificate due") {
  bench b;
  b.put_credit(person_id, "AA");
  b.send(bench::apply("a-1", "C-1", "FOOD",
                      {"application_form", "business_license", "floor_plan", "food_safety_rules"},
                      monday));
  b.send(accept("r-1", "C-1",
                {"application_form", "business_license", "floor_plan", "food_safety_rules"}));
  b.send(event("w-1", "case.withdraw", "C-1", {{"scope", "credit_track"}}));
  CHECK(b.record("C-1").state == case_state::correction_required);
  CHECK(b.record("C-1").missing == std::vector<std::string>{"health_certificate"});
}

TEST_CASE("withdrawing the application before the decision closes the case") {
  bench b;
  deficient_food_case(b);
  const auto unit = b.send(event("w-1", "case.withdraw", "C-1", {{"scope", "application"}}));
  const auto r = b.record("C-1");
  CHECK(r.state == case_state::withdrawn);
  CHECK(invariant_violation(r) == std::nullopt);
  CHECK(unit.timers_cancelled.size() == 3);  // supplement, warning, decision
}

TEST_CASE("a withdrawal after the decision is an invalid transition and changes nothing") {
  bench b;
  accepted_food_case(b, "A");
  b.send(event("d-1", "case.decide", "C-1", {{"outcome", "approve"}}));
  const auto before = b.record("C-1");
  const auto unit = b.send(event("w-1", "case.withdraw", "C-1", {{"scope", "application"}}));
  REQUIRE(unit.dead);
  CHECK(unit.dead->code == dead_letter_code::invalid_transition);
  CHECK(unit.cases.empty());
  CHECK(b.record("C-1").version == before.version);
}

TEST_CASE("the authority may terminate an open case") {
  bench b;
  deficient_food_case(b);
  const auto unit =
      b.send(event("t-1", "case.terminate", "C-1", {{"reason", "premises demolished"}}));
  CHECK(b.record("C-1").state == case_state::terminated);
  CHECK(bench::of_type(unit, "case.notice")[0].data.parsed()["kind"] == "terminated");
  CHECK(invariant_violation(b.record("C-1")) == std::nullopt);
}

// ---- Feedback --------------------------------------------------------------------------------

TEST_CASE("satisfaction feedback goes into the case's ledger entry") {
  bench b;
  accepted_food_case(b, "A");
  b.send(event("d-1", "case.decide", "C-1", {{"outcome", "approve"}}));
  const auto unit = b.send(event("f-1", "case.feedback", "C-1", {{"rating", "very_satisfied"}}));
  const auto ledger = bench::of_type(unit, "ledger.entry");
  REQUIRE(ledger.size() == 1);
  CHECK(ledger[0].data.parsed()["no"] == 1);  // the same row, updated
  CHECK(ledger[0].data.parsed()["satisfaction"] == "very_satisfied");
}

// ---- Credit changes during an open case ------------------------------------------------------

TEST_CASE("blacklisting during a deficiency case revokes facilitation and falls back to standard") {
  bench b;
  deficient_food_case(b);
  const auto unit = b.send(bench::envelope("cu-2", "credit.update", "", "2026-11-26T09:00:00+08:00",
                                           {{"grade", "C"}, {"blacklisted", true}}));
  const auto r = b.record("C-1");
  CHECK(r.state == case_state::correction_required);
  CHECK(r.track_used == track::standard);
  const auto hooks = bench::of_type(unit, "credit.hook");
  REQUIRE(hooks.size() == 1);
  CHECK(hooks[0].data.parsed()["kind"] == "facilitation_revoked");
  CHECK(hooks[0].data.parsed()["tier"] == "AAA");  // the tier that was lost
}

TEST_CASE("blacklisting leaves an applicant's standard-track and decided cases alone") {
  bench b;
  accepted_food_case(b, "A");
  b.send(event("d-1", "case.decide", "C-1", {{"outcome", "approve"}}));
  const auto unit = b.send(bench::envelope("cu-2", "credit.update", "", "2026-12-02T09:00:00+08:00",
                                           {{"grade", "C"}, {"blacklisted", true}}));
  CHECK(unit.cases.empty());
  CHECK(b.record("C-1").state == case_state::approved);
}

// ---- Refusals and idempotency ----------------------------------------------------------------

TEST_CASE(
    "an event not allowed in the case's state is a dead letter and leaves the case as it was") {
  bench b;
  b.send(bench::apply("a-1", "C-1", "FOOD", all_food, monday));
  const auto unit = b.send(event("f-1", "case.feedback", "C-1", {{"rating", "basic"}}));
  REQUIRE(unit.dead);
  CHECK(unit.dead->code == dead_letter_code::invalid_transition);
  CHECK(unit.dead->detail == "case.feedback is not allowed for a case in state applied");
  CHECK(b.record("C-1").version == 1);
}

TEST_CASE("a second apply for an existing case id is a duplicate_case dead letter") {
  bench b;
  b.send(bench::apply("a-1", "C-1", "FOOD", all_food, monday));
  const auto unit = b.send(bench::apply("a-2", "C-1", "FOOD", all_food, monday));
  REQUIRE(unit.dead);
  CHECK(unit.dead->code == dead_letter_code::duplicate_case);
}

TEST_CASE("an event for an unknown case or matter is a dead letter with its code") {
  bench b;
  const auto unknown_case = b.send(accept("r-1", "NOPE", {}));
  REQUIRE(unknown_case.dead);
  CHECK(unknown_case.dead->code == dead_letter_code::unknown_case);
  const auto unknown_matter = b.send(bench::apply("a-1", "C-1", "NO-SUCH", {}, monday));
  REQUIRE(unknown_matter.dead);
  CHECK(unknown_matter.dead->code == dead_letter_code::unknown_matter);
}

TEST_CASE("an event id already applied is acknowledged and has no further effect") {
  bench b;
  b.send(bench::apply("a-1", "C-1", "FOOD", all_food, monday));
  const auto again = b.send(bench::apply("a-1", "C-1", "FOOD", all_food, monday));
  CHECK(again.ignored);
  CHECK_FALSE(again.dead);
  CHECK(again.outbound.empty());
}

TEST_CASE("outbound ids derive from their cause so a replay yields the same ids") {
  std::vector<std::string> first, second;
  for (auto* ids : {&first, &second}) {
    bench b;
    deficient_food_case(b);
    b.advance_to("2026-12-16T09:00:00+08:00");
    for (const auto& u : b.committed) {
      for (const auto& o : u.outbound) {
        CHECK(o.cause == u.cause);
        ids->push_back(o.id);
      }
    }
  }
  CHECK(first == second);
  CHECK(std::find(first.begin(), first.end(), "a-C-1/1") != first.end());
}
