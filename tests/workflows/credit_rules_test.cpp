// The rules acceptance tests found broken (issue 8, sections 2 to 6): deemed acceptance dated on
// receipt, the reviewed materials, the 信易批 register, the credit record, Qingzhou's publicity.
// One rule per test; deadlines counted by hand on the 2026 State Council calendar.
#include <catch2/catch.hpp>
#include <filesystem>

#include "engine/domain/identity.hpp"
#include "engine/domain/partition.hpp"
#include "harness.hpp"

using namespace xyp;
using namespace xyp::test;
using nlohmann::json;

namespace {

const char* monday = "2026-11-23T09:30:00+08:00";
const char* tuesday = "2026-11-24T10:00:00+08:00";

const std::vector<std::string> all_food = {"application_form", "business_license", "floor_plan",
                                           "food_safety_rules", "health_certificate"};
const std::vector<std::string> food_without_deferrables = {"application_form", "business_license",
                                                           "health_certificate"};
const std::vector<std::string> food_without_certificate = {"application_form", "business_license",
                                                           "floor_plan", "food_safety_rules"};

jurisdiction_policy profile(const std::string& id) {
  return load_policy(std::filesystem::path(XYP_CONFIG_DIR) / "profiles" / (id + ".json"));
}

json accept(const std::string& id, const std::string& case_id, std::vector<std::string> materials,
            const std::string& verdict = "accept", const std::string& at = tuesday,
            const std::string& applicant = person_id) {
  return bench::envelope(id, "case.accept", case_id, at,
                         {{"materials", materials}, {"verdict", verdict}, {"reason", "reviewed"}},
                         applicant);
}

json event(const std::string& id, const std::string& type, const std::string& case_id, json data,
           const std::string& at = "2026-12-01T10:00:00+08:00") {
  return bench::envelope(id, type, case_id, at, std::move(data));
}

json credit(const std::string& id, json data, const std::string& applicant = person_id) {
  data["source"] = "test";
  return bench::envelope(id, "credit.update", "", "2026-11-01T09:00:00+08:00", std::move(data),
                         applicant);
}

std::string due_of(const case_record& r, clock_kind k) {
  const auto* c = r.armed_clock(k);
  return c ? format_rfc3339(c->due) : "none";
}

// Every outbound event of this type the bench committed, in order.
std::vector<outbound_event> all_of_type(const bench& b, const std::string& type) {
  std::vector<outbound_event> out;
  for (const auto& u : b.committed) {
    for (const auto& o : bench::of_type(u, type)) out.push_back(o);
  }
  return out;
}

std::vector<json> hooks_of(const commit_unit& unit, const std::string& kind) {
  std::vector<json> out;
  for (const auto& o : bench::of_type(unit, "credit.hook")) {
    if (o.data.parsed()["kind"] == kind) out.push_back(o.data.parsed());
  }
  return out;
}

// An AAA applicant's FOOD case, accepted with deficiency: floor plan and rules owed by 12-08.
void deficient_food_case(bench& b) {
  b.put_credit(person_id, "AAA");
  b.send(bench::apply("a-1", "C-1", "FOOD", food_without_deferrables, monday));
  b.send(accept("r-1", "C-1", food_without_deferrables));
  REQUIRE(b.record("C-1").state == case_state::accepted_deficient);
}

}  // namespace

// ---- 2. Deemed acceptance (art. 32) starts the decision clock at receipt (art. 42) ------------

TEST_CASE(
    "a deemed acceptance counts the decision limit from the day the materials were received") {
  bench b;
  b.put_credit(person_id, "A");
  // Received Tuesday 2026-09-29, just before National Day (10-01..10-07 off, Saturday 10-10
  // worked). Art. 32, five working days: 09-30 (1), 10-08 (2), 10-09 (3), 10-10 (4), 10-12 (5).
  b.send(bench::apply("a-1", "C-1", "FOOD", all_food, "2026-09-29T10:00:00+08:00"));
  const auto fired = b.advance_to("2026-10-13T00:00:00+08:00");
  REQUIRE(fired.size() == 1);
  const auto r = b.record("C-1");
  REQUIRE(r.state == case_state::accepted);
  // FOOD's 20 working days from receipt: 09-30, 10-08, 10-09, 10-10, 10-12 (5), 10-13..10-16
  // (9), 10-19..10-23 (14), 10-26..10-30 (19), 11-02 (20). From the deemed moment it would be
  // 11-09, a week late.
  CHECK(due_of(r, clock_kind::decision) == "2026-11-02T23:59:59+08:00");
  // The warning at 16 of them: 10-26 (15), 10-27 (16).
  CHECK(due_of(r, clock_kind::decision_warning) == "2026-10-27T23:59:59+08:00");
  CHECK(r.accepted_at == parse_rfc3339("2026-09-29T10:00:00+08:00"));
}

TEST_CASE("a deemed-accepted case is overdue once the limit counted from receipt has passed") {
  bench b;
  b.put_credit(person_id, "A");
  b.send(bench::apply("a-1", "C-1", "FOOD", all_food, "2026-09-29T10:00:00+08:00"));
  b.advance_to("2026-10-13T00:00:00+08:00");
  const auto fired = b.advance_to("2026-11-03T00:00:00+08:00");
  std::vector<json> overdue;
  for (const auto& u : fired) {
    for (const auto& e : bench::of_type(u, "escalation.raised")) {
      if (e.data.parsed()["level"] == "overdue" && e.data.parsed()["clock"] == "decision")
        overdue.push_back(e.data.parsed());
    }
  }
  REQUIRE(overdue.size() == 1);
  CHECK(overdue[0]["due_at"] == "2026-11-02T23:59:59+08:00");
}

// ---- 3. The clerk's reviewed materials decide -------------------------------------------------

TEST_CASE("a reviewed list replaces what was claimed: a plan missing from the review is missing") {
  bench b;
  b.put_credit(person_id, "AA");  // notify-and-commit, no deficiency acceptance
  b.send(bench::apply("a-1", "C-1", "FOOD", all_food, monday));
  const auto unit = b.send(
      accept("r-1", "C-1",
             {"application_form", "business_license", "food_safety_rules", "health_certificate"}));
  const auto r = b.record("C-1");
  CHECK(r.state == case_state::correction_required);
  CHECK(r.missing == std::vector<std::string>{"floor_plan"});
  CHECK(r.materials == std::vector<std::string>{"application_form", "business_license",
                                                "food_safety_rules", "health_certificate"});
  CHECK(bench::of_type(unit, "case.notice")[0].data.parsed()["missing"] == json{"floor_plan"});
}

TEST_CASE("an AAA reviewed list lacking only deferrable materials is a deficiency acceptance") {
  bench b;
  b.put_credit(person_id, "AAA");
  b.send(bench::apply("a-1", "C-1", "FOOD", all_food, monday));
  b.send(accept("r-1", "C-1", food_without_deferrables));
  CHECK(b.record("C-1").state == case_state::accepted_deficient);
  CHECK(b.record("C-1").missing == std::vector<std::string>{"floor_plan", "food_safety_rules"});
}

TEST_CASE(
    "under Zalantun a reviewed list lacking the business licence is not approved on the "
    "spot") {
  bench b(profile("zalantun"));
  b.send(credit("cu-1", {{"grade", "AA"}}, enterprise_id));
  const std::vector<std::string> claimed = {
      "application_form", "business_license",   "id_card",
      "premises_lease",   "floor_plan",         "food_safety_rules",
      "equipment_list",   "health_certificate", "food_safety_officer_certificate"};
  b.send(bench::apply("a-1", "C-1", "FOOD-OPERATION", claimed, monday, true, true, enterprise_id));
  auto reviewed = claimed;
  reviewed.erase(reviewed.begin() + 1);  // no business licence
  const auto unit = b.send(accept("r-1", "C-1", reviewed, "accept", tuesday, enterprise_id));
  const auto r = b.record("C-1");
  CHECK(r.state == case_state::correction_required);
  CHECK(r.missing == std::vector<std::string>{"business_license"});
  CHECK(bench::of_type(unit, "publicity.report").empty());
}

// ---- 4. The 信易批 register (000 attachment 1) ------------------------------------------------

TEST_CASE("an applicant served under credit approval is entered in the register at application") {
  bench b;
  b.put_credit(person_id, "AA");
  const auto unit = b.send(bench::apply("a-1", "C-1", "FOOD", all_food, monday));
  const auto rows = bench::of_type(unit, "ledger.entry");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].data.parsed()["no"] == 1);
  CHECK(rows[0].data.parsed()["partition"] == 0);
  CHECK(rows[0].data.parsed()["case_id"] == "C-1");
  CHECK(rows[0].data.parsed()["date"] == "2026-11-23");
  CHECK(rows[0].data.parsed()["credit_level"] == "AA");
  CHECK(rows[0].data.parsed()["result"].is_null());  // still being handled
}

TEST_CASE("a standard-track case is not in the 信易批 register, from application to feedback") {
  bench b;
  b.put_credit(person_id, "AAA");
  b.send(bench::apply("a-1", "C-1", "FOOD", all_food, monday, false));  // did not opt in
  b.send(accept("r-1", "C-1", all_food));
  b.send(event("d-1", "case.decide", "C-1", {{"outcome", "approve"}}));
  b.send(event("f-1", "case.feedback", "C-1", {{"rating", "satisfied"}}));
  CHECK(b.record("C-1").state == case_state::approved);
  CHECK(all_of_type(b, "ledger.entry").empty());
  CHECK(b.partition().ledger_count() == 0);
}

TEST_CASE("every end of a register case puts its result in the case's one row") {
  struct ending {
    std::string result;
    std::function<void(bench&)> run;
  };
  const auto apply_aa = [](bench& b, const std::vector<std::string>& materials) {
    b.put_credit(person_id, "AA");
    b.send(bench::apply("a-1", "C-1", "FOOD", materials, monday));
  };
  const auto approved_on_commitment = [&](bench& b) {
    apply_aa(b, all_food);
    b.send(accept("r-1", "C-1", all_food));
    b.send(event("d-1", "case.decide", "C-1", {{"outcome", "approve"}}));
  };
  const std::vector<ending> endings{
      {"rejected",
       [&](bench& b) {
         apply_aa(b, all_food);
         b.send(accept("r-1", "C-1", all_food, "reject"));
       }},
      {"withdrawn",
       [&](bench& b) {
         apply_aa(b, all_food);
         b.send(event("w-1", "case.withdraw", "C-1", {{"scope", "application"}}));
       }},
      {"terminated",
       [&](bench& b) {
         apply_aa(b, all_food);
         b.send(event("t-1", "case.terminate", "C-1", {{"reason", "premises demolished"}}));
       }},
      {"defaulted",
       [&](bench& b) {
         deficient_food_case(b);
         b.advance_to("2026-12-09T09:00:00+08:00");
         b.advance_to("2026-12-16T09:00:00+08:00");
       }},
      {"approved", approved_on_commitment},
      {"denied",
       [&](bench& b) {
         apply_aa(b, all_food);
         b.send(accept("r-1", "C-1", all_food));
         b.send(event("d-1", "case.decide", "C-1", {{"outcome", "deny"}}));
       }},
      {"verified",
       [&](bench& b) {
         approved_on_commitment(b);
         b.send(event("v-1", "case.verify", "C-1", {{"result", "fulfilled"}}));
       }},
      {"revoked",
       [&](bench& b) {
         approved_on_commitment(b);
         b.send(event("v-1", "case.verify", "C-1", {{"result", "breached"}}));
       }},
  };
  for (const auto& e : endings) {
    INFO("ending " << e.result);
    bench b;
    e.run(b);
    CHECK(b.record("C-1").result == from_name<case_state>(e.result));
    const auto rows = all_of_type(b, "ledger.entry");
    REQUIRE(rows.size() >= 2);  // entered at application, completed at the end
    CHECK(rows.back().data.parsed()["result"] == e.result);
    CHECK(rows.back().data.parsed()["no"] == 1);
    CHECK(b.partition().ledger_count() == 1);
  }
}

TEST_CASE("feedback on a withdrawn register case updates its row with the satisfaction") {
  bench b;
  b.put_credit(person_id, "AA");
  b.send(bench::apply("a-1", "C-1", "FOOD", all_food, monday));
  b.send(event("w-1", "case.withdraw", "C-1", {{"scope", "application"}}));
  const auto unit = b.send(event("f-1", "case.feedback", "C-1", {{"rating", "basic"}}));
  REQUIRE_FALSE(unit.dead);
  const auto rows = bench::of_type(unit, "ledger.entry");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].data.parsed()["no"] == 1);
  CHECK(rows[0].data.parsed()["result"] == "withdrawn");
  CHECK(rows[0].data.parsed()["satisfaction"] == "basic");
}

TEST_CASE("under Zaozhuang the register's credit level is the 榴花分 band, not the public grade") {
  bench b(profile("zaozhuang"));
  b.send(credit("cu-1", {{"grade", "AAA"}, {"score", 850}}));  // public AAA, 榴花分 AA
  const std::vector<std::string> materials = {"application_form", "business_license",
                                              "id_card",          "premises_lease",
                                              "floor_plan",       "food_safety_rules"};
  const auto unit = b.send(bench::apply("a-1", "C-1", "FOOD-OPERATION", materials, monday));
  const auto rows = bench::of_type(unit, "ledger.entry");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].data.parsed()["credit_level"] == "AA");
}

TEST_CASE("under Zaozhuang an enterprise with a qualifying score is not served: persons only") {
  bench b(profile("zaozhuang"));
  b.send(credit("cu-1", {{"grade", "AAA"}, {"score", 950}}, enterprise_id));
  const std::vector<std::string> materials = {"application_form", "business_license",
                                              "id_card",          "premises_lease",
                                              "floor_plan",       "food_safety_rules"};
  const auto unit = b.send(
      bench::apply("a-1", "C-1", "FOOD-OPERATION", materials, monday, true, true, enterprise_id));
  const auto r = b.record("C-1");
  CHECK(r.eligibility_reason == "applicant_kind_not_served");
  CHECK(r.tier.empty());
  CHECK(r.privileges.empty());
  CHECK(bench::of_type(unit, "ledger.entry").empty());
}

TEST_CASE("register numbers run per partition and each row names the partition that numbered it") {
  const jurisdiction_policy policy = test_policy();
  const case_processor processor(policy, test_calendar(), clock_mode::simulated);
  memory_runtime runtime(processor, 2);
  std::vector<json> rows;
  runtime.set_listener([&](std::uint32_t, const commit_unit& u) {
    for (const auto& o : bench::of_type(u, "ledger.entry")) rows.push_back(o.data.parsed());
  });
  // One applicant in each partition, two cases each.
  std::vector<std::string> applicants;
  for (int serial = 100; applicants.size() < 2; ++serial) {
    std::string first = "11010519491231" + std::to_string(serial);
    const std::string id = first + resident_id_check_char(first);
    if (partition_of(id, 2) == applicants.size()) applicants.push_back(id);
  }
  for (std::size_t p = 0; p < 2; ++p) {
    runtime.submit(credit("cu-" + std::to_string(p), {{"grade", "AA"}}, applicants[p]).dump());
    for (int k = 0; k < 2; ++k) {
      const std::string case_id = "C-" + std::to_string(p) + std::to_string(k);
      runtime.submit(
          bench::apply("a-" + case_id, case_id, "FOOD", all_food, monday, true, true, applicants[p])
              .dump());
    }
  }
  REQUIRE(rows.size() == 4);
  for (std::size_t i = 0; i < 4; ++i) {
    INFO("row " << i);
    CHECK(rows[i]["partition"] == i / 2);
    CHECK(rows[i]["no"] == i % 2 + 1);
  }
}

// ---- 5. The applicant's credit record (004 3.4) ----------------------------------------------

TEST_CASE("the credit check at application is recorded with the grade, score and tier found") {
  bench b;
  b.send(credit("cu-1", {{"grade", "AAA"}, {"score", 930}}));
  const auto unit = b.send(bench::apply("a-1", "C-1", "FOOD", all_food, monday));
  const auto hooks = hooks_of(unit, "credit_queried");
  REQUIRE(hooks.size() == 1);
  CHECK(hooks[0]["grade"] == "AAA");
  CHECK(hooks[0]["score"] == 930);
  CHECK(hooks[0]["tier"] == "AAA");
}

TEST_CASE("a credit check that finds no record is recorded too, with nothing found") {
  bench b;
  const auto unit = b.send(bench::apply("a-1", "C-1", "FOOD", all_food, monday));
  const auto hooks = hooks_of(unit, "credit_queried");
  REQUIRE(hooks.size() == 1);
  CHECK(hooks[0]["grade"].is_null());
  CHECK(hooks[0]["score"].is_null());
  CHECK(hooks[0]["tier"] == "");
}

TEST_CASE("an acceptance on a signed commitment records the commitment made") {
  bench b;
  b.put_credit(person_id, "AA");
  b.send(bench::apply("a-1", "C-1", "FOOD", food_without_certificate, monday));
  const auto unit = b.send(accept("r-1", "C-1", food_without_certificate));
  const auto hooks = hooks_of(unit, "commitment_made");
  REQUIRE(hooks.size() == 1);
  CHECK(hooks[0]["commitment"] == "notify_and_commit");
  CHECK(hooks[0]["tier"] == "AA");
}

TEST_CASE("a deficiency acceptance records the written promise with its due time") {
  bench b;
  b.put_credit(person_id, "AAA");
  b.send(bench::apply("a-1", "C-1", "FOOD", food_without_deferrables, monday));
  const auto unit = b.send(accept("r-1", "C-1", food_without_deferrables));
  const auto hooks = hooks_of(unit, "commitment_made");
  REQUIRE(hooks.size() == 1);
  CHECK(hooks[0]["commitment"] == "deficiency");
  // Ten working days after Tuesday 2026-11-24.
  CHECK(hooks[0]["due_at"] == "2026-12-08T23:59:59+08:00");
}

TEST_CASE("a deficiency cured by its deadline records the promise as fulfilled") {
  bench b;
  deficient_food_case(b);
  const auto unit = b.send(
      event("s-1", "case.supplement", "C-1", {{"materials", {"floor_plan", "food_safety_rules"}}}));
  const auto hooks = hooks_of(unit, "commitment_fulfilled");
  REQUIRE(hooks.size() == 1);
  CHECK(hooks[0]["commitment"] == "deficiency");
}

TEST_CASE("a deficiency cured only after the reminder is not recorded as a promise kept") {
  bench b;
  deficient_food_case(b);
  b.advance_to("2026-12-09T09:00:00+08:00");
  const auto unit = b.send(event("s-1", "case.supplement", "C-1",
                                 {{"materials", {"floor_plan", "food_safety_rules"}}},
                                 "2026-12-10T10:00:00+08:00"));
  CHECK(b.record("C-1").state == case_state::accepted);
  CHECK(hooks_of(unit, "commitment_fulfilled").empty());
}

TEST_CASE("a revoked facilitation names the tier the applicant lost") {
  bench b;
  b.put_credit(person_id, "AA");
  b.send(bench::apply("a-1", "C-1", "FOOD", all_food, monday));
  const auto unit = b.send(bench::envelope("cu-2", "credit.update", "", "2026-11-24T09:00:00+08:00",
                                           {{"grade", "C"}, {"blacklisted", true}}));
  const auto hooks = hooks_of(unit, "facilitation_revoked");
  REQUIRE(hooks.size() == 1);
  CHECK(hooks[0]["tier"] == "AA");
  CHECK(b.record("C-1").tier.empty());
}

// ---- 6. Qingzhou's 信易批 publicity (001) ------------------------------------------------------

TEST_CASE(
    "under Qingzhou a credit-approval case is publicised as 信易批 when decided, beside "
    "双公示") {
  bench b(profile("qingzhou"));
  b.put_credit(person_id, "AA");
  // floor_plan and equipment_list are replaced by the signed commitment.
  const std::vector<std::string> materials = {"application_form",
                                              "business_license",
                                              "id_card",
                                              "premises_lease",
                                              "food_safety_rules",
                                              "health_certificate",
                                              "food_safety_officer_certificate"};
  b.send(bench::apply("a-1", "C-1", "FOOD-OPERATION", materials, monday));
  b.send(accept("r-1", "C-1", materials));
  const auto unit = b.send(event("d-1", "case.decide", "C-1", {{"outcome", "approve"}}));
  const auto reports = bench::of_type(unit, "publicity.report");
  REQUIRE(reports.size() == 2);
  CHECK(reports[0].data.parsed()["scheme"] == "shuang_gongshi");
  CHECK(reports[1].data.parsed()["scheme"] == "xinyipi");
  CHECK(reports[1].data.parsed()["decision"] == "approve");
  CHECK(reports[1].data.parsed()["tier"] == "good_credit");
  CHECK(reports[1].data.parsed()["privileges"] == json{"one_window_acceptance",
                                                       "simulated_approval", "notify_and_commit",
                                                       "green_channel", "at_most_one_trip"});
}

TEST_CASE("where the profile does not ask for it, a decision has the 双公示 report only") {
  bench b;
  b.put_credit(person_id, "AA");
  b.send(bench::apply("a-1", "C-1", "FOOD", all_food, monday));
  b.send(accept("r-1", "C-1", all_food));
  const auto unit = b.send(event("d-1", "case.decide", "C-1", {{"outcome", "approve"}}));
  const auto reports = bench::of_type(unit, "publicity.report");
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].data.parsed()["scheme"] == "shuang_gongshi");
}

TEST_CASE("under Qingzhou a standard-track case gets no 信易批 publicity") {
  bench b(profile("qingzhou"));
  b.put_credit(person_id, "AA");
  const std::vector<std::string> materials = {
      "application_form", "business_license",   "id_card",
      "premises_lease",   "floor_plan",         "food_safety_rules",
      "equipment_list",   "health_certificate", "food_safety_officer_certificate"};
  b.send(bench::apply("a-1", "C-1", "FOOD-OPERATION", materials, monday, false));
  b.send(accept("r-1", "C-1", materials));
  const auto unit = b.send(event("d-1", "case.decide", "C-1", {{"outcome", "approve"}}));
  const auto reports = bench::of_type(unit, "publicity.report");
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].data.parsed()["scheme"] == "shuang_gongshi");
}
