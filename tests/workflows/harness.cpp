#include "harness.hpp"

#include <catch2/catch.hpp>
#include <variant>

namespace xyp::test {
namespace {

// Outbound data is written as text, without a DOM (issue 7). Every unit a workflow test commits
// checks that the text is what nlohmann/json's dump of the same object gave (keys sorted, the
// same escaping), and that the facts beside it say what it says.
void check_outbound_text(const commit_unit& unit) {
  for (const auto& o : unit.outbound) {
    INFO(o.type << " " << o.data.str());
    const auto data = nlohmann::json::parse(o.data.str(), nullptr, false);
    REQUIRE_FALSE(data.is_discarded());
    CHECK(o.data.str() == data.dump());
    const auto* transition = std::get_if<transition_facts>(&o.facts);
    CHECK((transition != nullptr) == (o.type == "case.transitioned"));
    if (transition) {
      CHECK(data["to"] == to_string(transition->to));
      CHECK(data["from"] == (transition->from ? nlohmann::json(to_string(*transition->from))
                                              : nlohmann::json(nullptr)));
    }
    const auto* row = std::get_if<ledger_facts>(&o.facts);
    CHECK((row != nullptr) == (o.type == "ledger.entry"));
    if (row) {
      CHECK(data["no"] == row->no);
      CHECK(data["date"] == row->row.date);
    }
  }
}

}  // namespace

jurisdiction_policy test_policy() {
  jurisdiction_policy p;
  p.id = "test";
  p.name = "test jurisdiction";
  p.seed = "003";
  p.tiers = {
      credit_tier{"AAA",
                  {credit_grade::AAA},
                  std::nullopt,
                  std::nullopt,
                  false,
                  {"green_channel", "deficiency_acceptance", "notify_and_commit"}},
      credit_tier{"AA",
                  {credit_grade::AA},
                  std::nullopt,
                  std::nullopt,
                  false,
                  {"notify_and_commit", "dedicated_team"}},
      credit_tier{"A",
                  {credit_grade::A_plus, credit_grade::A, credit_grade::A_minus},
                  std::nullopt,
                  std::nullopt,
                  false,
                  {"appointment"}},
  };
  p.excluded_categories = {"production_safety"};
  p.credit_channels = {channel::window, channel::online};  // as Shilong: not by phone
  p.clocks = clock_settings{};                             // 5, 10, 5, 0.8, 20, 7
  matter food;
  food.code = "FOOD";
  food.name = "食品经营许可";
  food.department = "市场监督管理局";
  food.time_limit_days = 20;
  food.main_materials = {"application_form", "business_license"};
  food.auxiliary_materials = {"floor_plan", "food_safety_rules", "health_certificate"};
  food.deferrable = {"floor_plan", "food_safety_rules"};
  food.commitment_replaces = {"health_certificate"};
  food.notify_and_commit = true;
  food.deficiency_acceptance = true;
  matter spot;
  spot.code = "SPOT";
  spot.name = "公共场所卫生许可";
  spot.department = "卫生健康局";
  spot.time_limit_days = 5;
  spot.main_materials = {"application_form"};
  spot.auxiliary_materials = {"premises_certificate"};
  spot.commitment_replaces = {"premises_certificate"};
  spot.notify_and_commit = true;
  spot.on_the_spot = true;
  matter haz;
  haz.code = "HAZ";
  haz.name = "危险化学品经营许可";
  haz.department = "应急管理局";
  haz.time_limit_days = 30;
  haz.main_materials = {"application_form", "safety_assessment"};
  haz.categories = {"production_safety"};
  matter nodef = food;
  nodef.code = "NODEF";
  nodef.deficiency_acceptance = false;
  for (auto& m : {food, spot, haz, nodef}) p.matters[m.code] = m;
  return p;
}

const working_calendar& test_calendar() {
  static const working_calendar calendar =
      working_calendar::load_directory(XYP_CONFIG_DIR "/calendars");
  return calendar;
}

bench::bench() : bench(test_policy(), test_calendar()) {}

bench::bench(jurisdiction_policy p) : bench(std::move(p), test_calendar()) {}

bench::bench(const working_calendar& calendar) : bench(test_policy(), calendar) {}

bench::bench(jurisdiction_policy p, const working_calendar& calendar)
    : policy(std::move(p)),
      processor(policy, calendar, clock_mode::simulated),
      runtime_(processor, 1) {
  runtime_.set_listener([this](std::uint32_t, const commit_unit& u) {
    check_outbound_text(u);
    committed.push_back(u);
  });
}

std::vector<commit_unit> bench::recalendar() {
  const auto before = committed.size();
  runtime_.recalendar();
  return {committed.begin() + static_cast<std::ptrdiff_t>(before), committed.end()};
}

void bench::put_case(case_record record) {
  // Seed through the public path: a hand-made unit, as a store would commit it.
  auto& p = const_cast<memory_partition&>(runtime_.partition(0));
  commit_unit unit;
  unit.cause = "seed";
  for (const auto& c : record.clocks) {
    if (c.status == clock_status::armed) {
      unit.timers_set.push_back(
          timer_entry{c.timer_id, record.case_id, record.applicant_id, c.kind, c.due});
    }
  }
  const auto existing = p.find_case(record.case_id);
  record.version = existing ? existing->version + 1 : 1;
  unit.cases.push_back(case_write{record, existing ? existing->version : 0});
  REQUIRE(p.commit(unit));
}

void bench::put_credit(const std::string& applicant_id, const std::string& grade,
                       bool blacklisted) {
  send(envelope("credit-" + applicant_id + "-" + grade + (blacklisted ? "-bl" : ""),
                "credit.update", "", "2026-11-01T09:00:00+08:00",
                {{"grade", grade}, {"blacklisted", blacklisted}, {"source", "test"}},
                applicant_id));
}

commit_unit bench::send(const nlohmann::json& envelope) {
  const auto before = committed.size();
  runtime_.submit(envelope.dump());
  REQUIRE(committed.size() > before);
  return committed[before];
}

std::vector<commit_unit> bench::advance_to(const std::string& rfc3339) {
  static int n = 0;
  const auto before = committed.size();
  nlohmann::json e = {{"id", "tick-" + std::to_string(++n)},
                      {"type", "clock.advance"},
                      {"at", rfc3339},
                      {"data", {{"to", rfc3339}}}};
  runtime_.submit(e.dump());
  return {committed.begin() + static_cast<std::ptrdiff_t>(before) + 1, committed.end()};
}

case_record bench::record(const std::string& case_id) const {
  const auto r = runtime_.partition(0).find_case(case_id);
  REQUIRE(r);
  return *r;
}

nlohmann::json bench::envelope(const std::string& id, const std::string& type,
                               const std::string& case_id, const std::string& at,
                               nlohmann::json data, const std::string& applicant) {
  nlohmann::json e = {{"id", id},
                      {"type", type},
                      {"applicant_id", applicant},
                      {"at", at},
                      {"actor", {{"id", "clerk-07"}, {"role", "clerk"}}},
                      {"data", std::move(data)}};
  if (!case_id.empty()) e["case_id"] = case_id;
  return e;
}

nlohmann::json bench::apply(const std::string& id, const std::string& case_id,
                            const std::string& matter, std::vector<std::string> materials,
                            const std::string& at, bool opted_in, bool signed_commitment,
                            const std::string& applicant) {
  const bool person =
      applicant.size() == 18 && applicant.find_first_not_of("0123456789X") == std::string::npos;
  return envelope(
      id, "case.apply", case_id, at,
      {{"matter", matter},
       {"applicant",
        {{"kind", person ? "person" : "enterprise"}, {"name", "张三"}, {"contact", "13812345678"}}},
       {"channel", "window"},
       {"credit_track", opted_in},
       {"commitment_signed", signed_commitment},
       {"materials", materials}},
      applicant);
}

std::vector<outbound_event> bench::of_type(const commit_unit& unit, const std::string& type) {
  std::vector<outbound_event> out;
  for (const auto& o : unit.outbound) {
    if (o.type == type) out.push_back(o);
  }
  return out;
}

}  // namespace xyp::test
