// The machine restored at a persisted state is in that state: for every state name of the
// contract, an input that the state accepts (and, where one exists, that no other state does)
// moves it as the table says, and an input that only the other kind of state accepts is refused.
// credit_approval.cpp restores through Boost.MSM's internals; these tests pin that to the Boost
// the build uses (the helper also static_asserts the version).
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "workflows/credit_approval.hpp"

using namespace xyp;
using namespace xyp::test;

namespace {

struct restoration {
  case_state state;
  workflows::case_input accepted;  // an input this state accepts
  case_state next;                 // where it leads
};

feedback_data satisfied() {
  return feedback_data{rating::satisfied, ""};
}

// Each state with an input that reads it: unique to it where the table has one.
std::vector<restoration> restorations() {
  const instant due = *parse_rfc3339("2026-12-01T10:00:00+08:00");
  return {
      {case_state::applied, workflows::clock_due{clock_kind::correction_notice, due},
       case_state::accepted},
      {case_state::correction_required, supplement_data{{"floor_plan"}}, case_state::accepted},
      {case_state::accepted, decide_data{outcome::approve, "fine"}, case_state::approved},
      {case_state::accepted_deficient, workflows::clock_due{clock_kind::supplement, due},
       case_state::supplement_overdue},
      {case_state::supplement_overdue, workflows::clock_due{clock_kind::supplement_grace, due},
       case_state::defaulted},
      {case_state::approved, workflows::clock_due{clock_kind::verification, due},
       case_state::approved},
      {case_state::denied, satisfied(), case_state::denied},
      {case_state::rejected, satisfied(), case_state::rejected},
      {case_state::withdrawn, satisfied(), case_state::withdrawn},
      {case_state::terminated, satisfied(), case_state::terminated},
      {case_state::defaulted, satisfied(), case_state::defaulted},
      {case_state::revoked, satisfied(), case_state::revoked},
      {case_state::verified, satisfied(), case_state::verified},
  };
}

bool pending(case_state s) {
  return s == case_state::applied || s == case_state::correction_required ||
         s == case_state::accepted || s == case_state::accepted_deficient ||
         s == case_state::supplement_overdue;
}

case_record persisted(case_state state) {
  case_record r;
  r.case_id = "C-1";
  r.applicant_id = person_id;
  r.matter = "FOOD";
  r.state = state;
  r.applied_at = *parse_rfc3339("2026-11-23T09:30:00+08:00");
  if (state == case_state::correction_required || state == case_state::accepted_deficient ||
      state == case_state::supplement_overdue) {
    r.missing = {"floor_plan"};
  }
  return r;
}

}  // namespace

TEST_CASE("restoring each contract state puts the machine in it") {
  const auto policy = test_policy();
  const auto* food = policy.find_matter("FOOD");
  REQUIRE(food != nullptr);
  const credit_snapshot credit;
  const workflows::step_context step{
      policy, test_calendar(), *food, credit, "t-1", *parse_rfc3339("2026-12-01T10:00:00+08:00")};
  const auto all = restorations();
  REQUIRE(all.size() == static_cast<std::size_t>(case_state_count));
  for (const auto& [state, input, next] : all) {
    INFO("restored at " << to_string(state));
    workflows::case_effects effects;
    const auto after =
        workflows::step_credit_approval(persisted(state), false, input, step, effects);
    REQUIRE(after.has_value());
    CHECK(after->state == next);
    // A pending case takes a termination and no feedback; an ended case the other way round.
    workflows::case_effects ignored;
    const auto terminate = workflows::step_credit_approval(
        persisted(state), false, workflows::case_input{terminate_data{"closed"}}, step, ignored);
    const auto feedback = workflows::step_credit_approval(
        persisted(state), false, workflows::case_input{satisfied()}, step, ignored);
    CHECK(terminate.has_value() == pending(state));
    CHECK(feedback.has_value() == !pending(state));
  }
}

TEST_CASE("a case in the deficiency track tells its own stage when its materials come in") {
  // The three states that accept a curing supplement each mean something else by it: only a
  // deficiency cured before the reminder keeps the written promise (004 3.4).
  const auto policy = test_policy();
  const auto* food = policy.find_matter("FOOD");
  REQUIRE(food != nullptr);
  const credit_snapshot credit;
  const workflows::step_context step{
      policy, test_calendar(), *food, credit, "t-1", *parse_rfc3339("2026-12-01T10:00:00+08:00")};
  for (auto state : {case_state::correction_required, case_state::accepted_deficient,
                     case_state::supplement_overdue}) {
    INFO("restored at " << to_string(state));
    workflows::case_effects effects;
    const auto after = workflows::step_credit_approval(
        persisted(state), false, workflows::case_input{supplement_data{{"floor_plan"}}}, step,
        effects);
    REQUIRE(after.has_value());
    CHECK(after->state == case_state::accepted);
    const bool kept =
        std::any_of(effects.outbound.begin(), effects.outbound.end(), [](const auto& o) {
          return o.first == "credit.hook" &&
                 o.second.str().find("\"commitment_fulfilled\"") != std::string::npos;
        });
    CHECK(kept == (state == case_state::accepted_deficient));
  }
}
