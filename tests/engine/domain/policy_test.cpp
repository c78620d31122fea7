#include "engine/domain/policy.hpp"

#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>

using namespace xyp;
using nlohmann::json;

namespace {

const std::vector<std::string> profile_ids{"shilong", "zaozhuang", "zalantun", "qingzhou"};

jurisdiction_policy profile(const std::string& id) {
  return load_policy(std::filesystem::path(XYP_CONFIG_DIR) / "profiles" / (id + ".json"));
}

const credit_tier& tier_named(const jurisdiction_policy& policy, const std::string& name) {
  for (const auto& tier : policy.tiers) {
    if (tier.name == name) return tier;
  }
  throw std::logic_error("no tier " + name + " in " + policy.id);
}

bool grants(const credit_tier& tier, const std::string& privilege) {
  return std::find(tier.privileges.begin(), tier.privileges.end(), privilege) !=
         tier.privileges.end();
}

struct credit {
  credit_grade grade = credit_grade::D;
  std::optional<std::int64_t> score;
  bool tax_incentive_card = false;
};

credit graded(credit_grade grade) {
  return {grade, std::nullopt, false};
}
credit scored(std::int64_t score) {
  return {credit_grade::B, score, false};
}
credit card_holder(credit_grade grade) {
  return {grade, std::nullopt, true};
}

// The first tier, best first, that the grade, the score band or the card reaches: the rule the
// profiles are written for (DOMAIN.md, "Tiers and privileges").
const credit_tier* first_tier(const jurisdiction_policy& policy, const credit& c) {
  for (const auto& tier : policy.tiers) {
    const bool by_grade =
        std::find(tier.grades.begin(), tier.grades.end(), c.grade) != tier.grades.end();
    const bool by_score = c.score && tier.score_min && *c.score >= *tier.score_min &&
                          (!tier.score_max || *c.score <= *tier.score_max);
    if (by_grade || by_score || (c.tax_incentive_card && tier.tax_incentive_card)) return &tier;
  }
  return nullptr;
}

std::string tier_name(const jurisdiction_policy& policy, const credit& c) {
  const auto* tier = first_tier(policy, c);
  return tier ? tier->name : "(none)";
}

bool shares(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return std::any_of(a.begin(), a.end(),
                     [&](const auto& x) { return std::find(b.begin(), b.end(), x) != b.end(); });
}

// A directory of its own under the system temp dir, removed with everything in it.
class temp_dir {
 public:
  temp_dir() {
    auto pattern = (std::filesystem::temp_directory_path() / "xyp-policy-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  std::filesystem::path write(const std::string& name, const std::string& text) const {
    const auto file = path_ / name;
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The smallest profile that loads: one tier, one matter, no clocks.
json minimal_profile() {
  return json::parse(R"({
    "id": "test",
    "name": "测试区",
    "seed": "003",
    "tiers": [
      {"name": "AA", "grades": ["AA"], "score_min": null, "score_max": null,
       "tax_incentive_card": false, "privileges": ["notify_and_commit", "deficiency_acceptance"]}
    ],
    "excluded_categories": ["public_safety"],
    "deficiency_excluded_categories": [],
    "blacklisted_revokes_open_cases": true,
    "key_review_revokes_open_cases": false,
    "matters": [
      {"code": "FOOD-OPERATION", "name": "食品经营许可", "department": "市场监督管理局",
       "time_limit_days": 20, "main_materials": ["business_license", "floor_plan"],
       "auxiliary_materials": ["health_certificate", "equipment_list"],
       "deferrable": ["health_certificate"], "commitment_replaces": ["floor_plan"],
       "notify_and_commit": true, "deficiency_acceptance": true, "on_the_spot": false,
       "categories": []}
    ]
  })");
}

jurisdiction_policy load_text(const std::string& text) {
  temp_dir dir;
  return load_policy(dir.write("profile.json", text));
}

// Loading `text` fails with "<file>: <field>: ..." and the message says `why`.
void check_refused_text(const std::string& text, const std::string& field, const std::string& why) {
  temp_dir dir;
  const auto file = dir.write("profile.json", text);
  try {
    load_policy(file);
    FAIL("the profile loaded; expected a refusal at " << field);
  } catch (const config_error& e) {
    const std::string message = e.what();
    INFO(message);
    CHECK(message.rfind(file.string() + ": " + field + ": ", 0) == 0);
    CHECK_THAT(message, Catch::Contains(why));
  }
}

void check_refused(const json& doc, const std::string& field, const std::string& why) {
  check_refused_text(doc.dump(2), field, why);
}

}  // namespace

// The profiles of config/profiles/.

TEST_CASE("the four jurisdiction profiles load, each with a catalogue of at least eight matters") {
  for (const auto& id : profile_ids) {
    INFO(id);
    const auto policy = profile(id);
    CHECK(policy.id == id);
    CHECK(policy.matters.size() >= 8);
    CHECK_FALSE(policy.tiers.empty());
  }
  CHECK(profile("zaozhuang").seed == "000");
  CHECK(profile("qingzhou").seed == "001");
  CHECK(profile("shilong").seed == "003");
  CHECK(profile("zalantun").seed == "004");
}

TEST_CASE("every profile has the same matter codes, so one event file replays under each") {
  std::set<std::string> reference;
  for (const auto& [code, m] : profile("shilong").matters) reference.insert(code);
  for (const auto& id : profile_ids) {
    INFO(id);
    std::set<std::string> codes;
    for (const auto& [code, m] : profile(id).matters) codes.insert(code);
    CHECK(codes == reference);
  }
}

TEST_CASE(
    "every profile has an excluded matter, an on-the-spot commitment matter, deferrable "
    "auxiliaries and a matter without deficiency acceptance") {
  for (const auto& id : profile_ids) {
    INFO(id);
    const auto policy = profile(id);
    const auto any = [&](auto predicate) {
      return std::any_of(policy.matters.begin(), policy.matters.end(),
                         [&](const auto& entry) { return predicate(entry.second); });
    };
    CHECK(any([&](const matter& m) {
      return shares(m.categories, policy.excluded_categories) ||
             shares(m.categories, policy.deficiency_excluded_categories);
    }));
    CHECK(any([](const matter& m) { return m.on_the_spot && m.notify_and_commit; }));
    CHECK(any([](const matter& m) { return !m.deferrable.empty(); }));
    CHECK(any([](const matter& m) { return !m.deficiency_acceptance; }));
  }
}

TEST_CASE("in Shilong AA grants notify-and-commit but not deficiency acceptance, and AAA both") {
  const auto shilong = profile("shilong");
  const auto& aa = tier_named(shilong, "AA");
  CHECK(grants(aa, privilege_notify_and_commit));
  CHECK_FALSE(grants(aa, privilege_deficiency_acceptance));
  const auto& aaa = tier_named(shilong, "AAA");
  CHECK(grants(aaa, privilege_notify_and_commit));
  CHECK(grants(aaa, privilege_deficiency_acceptance));
  CHECK(grants(aaa, "inspection_waiver"));
  const auto& a = tier_named(shilong, "A");
  CHECK_FALSE(grants(a, privilege_notify_and_commit));
  CHECK(grants(a, "free_express_delivery"));
}

TEST_CASE("in Shilong A- and A+ reach the A tier, below A reaches none, and only the hall serves") {
  const auto shilong = profile("shilong");
  CHECK(tier_name(shilong, graded(credit_grade::A_minus)) == "A");
  CHECK(tier_name(shilong, graded(credit_grade::A_plus)) == "A");
  CHECK(tier_name(shilong, graded(credit_grade::B)) == "(none)");
  CHECK(shilong.credit_channels == std::vector<channel>{channel::window});
  CHECK(shilong.find_matter("PUBLICATION-RETAIL")->categories ==
        std::vector<std::string>{"cultural_safety"});
}

TEST_CASE("in Zaozhuang AA and AAA both grant deficiency acceptance and there is no A tier") {
  const auto zaozhuang = profile("zaozhuang");
  REQUIRE(zaozhuang.tiers.size() == 2);
  for (const auto& tier : zaozhuang.tiers) {
    INFO(tier.name);
    CHECK(grants(tier, privilege_deficiency_acceptance));
    CHECK(grants(tier, privilege_notify_and_commit));
    CHECK(grants(tier, "green_channel"));
  }
  CHECK(tier_name(zaozhuang, graded(credit_grade::A)) == "(none)");
}

TEST_CASE("in Zaozhuang a 榴花分 of 850 reaches AA and 900 reaches AAA") {
  const auto zaozhuang = profile("zaozhuang");
  CHECK(tier_name(zaozhuang, scored(850)) == "AA");
  CHECK(tier_name(zaozhuang, scored(800)) == "AA");
  CHECK(tier_name(zaozhuang, scored(899)) == "AA");
  CHECK(tier_name(zaozhuang, scored(900)) == "AAA");
  CHECK(tier_name(zaozhuang, scored(799)) == "(none)");
  // 000 rewards honest individuals by their score; a grade without a score reaches nothing.
  CHECK(tier_name(zaozhuang, graded(credit_grade::AAA)) == "(none)");
}

TEST_CASE("in Zalantun the tax incentive card alone reaches a tier with what good credit gets") {
  const auto zalantun = profile("zalantun");
  CHECK(tier_name(zalantun, card_holder(credit_grade::C)) == "tax_incentive_card");
  CHECK(tier_name(zalantun, graded(credit_grade::A_minus)) == "good_credit");
  CHECK(tier_name(zalantun, graded(credit_grade::B)) == "(none)");
  CHECK(tier_named(zalantun, "tax_incentive_card").privileges ==
        tier_named(zalantun, "good_credit").privileges);
  CHECK(grants(tier_named(zalantun, "good_credit"), "instant_approval"));
  CHECK(zalantun.excluded_categories.empty());
  CHECK(zalantun.deficiency_excluded_categories ==
        std::vector<std::string>{"public_safety", "environmental_protection", "energy_saving",
                                 "personal_health", "life_and_property"});
  // 004: a notify-and-commit enterprise operating licence is decided on the spot.
  CHECK(zalantun.find_matter("FOOD-OPERATION")->on_the_spot);
  CHECK_FALSE(profile("shilong").find_matter("FOOD-OPERATION")->on_the_spot);
}

TEST_CASE("in Qingzhou good credit grants notify-and-commit and a green channel, no deficiency") {
  const auto qingzhou = profile("qingzhou");
  REQUIRE(qingzhou.tiers.size() == 1);
  const auto& good = qingzhou.tiers.front();
  CHECK(grants(good, privilege_notify_and_commit));
  CHECK(grants(good, "green_channel"));
  CHECK(grants(good, "one_window_acceptance"));
  CHECK(grants(good, "simulated_approval"));
  CHECK(grants(good, "at_most_one_trip"));
  CHECK_FALSE(grants(good, privilege_deficiency_acceptance));
  CHECK(tier_name(qingzhou, graded(credit_grade::A_minus)) == "good_credit");
  CHECK(tier_name(qingzhou, graded(credit_grade::B)) == "(none)");
}

// What a profile file may say.

TEST_CASE("a minimal profile loads with its values and the default clocks") {
  const auto policy = load_text(minimal_profile().dump());
  CHECK(policy.id == "test");
  REQUIRE(policy.tiers.size() == 1);
  CHECK(policy.tiers[0].grades == std::vector<credit_grade>{credit_grade::AA});
  CHECK_FALSE(policy.tiers[0].score_min);
  CHECK_FALSE(policy.key_review_revokes_open_cases);
  CHECK(policy.credit_channels.size() == 3);
  const auto* food = policy.find_matter("FOOD-OPERATION");
  REQUIRE(food);
  CHECK(food->deferrable == std::vector<std::string>{"health_certificate"});
  const clock_settings defaults;
  CHECK(policy.clocks.supplement_days == defaults.supplement_days);
  CHECK(policy.clocks.decision_warning_share == defaults.decision_warning_share);
}

TEST_CASE("a clock field left out keeps its default while the others are read") {
  auto doc = minimal_profile();
  doc["clocks"] = {{"supplement_days", 15}};
  const auto policy = load_text(doc.dump());
  CHECK(policy.clocks.supplement_days == 15);
  CHECK(policy.clocks.publicity_days == clock_settings{}.publicity_days);
}

TEST_CASE("a profile file that cannot be read is refused, naming the file") {
  temp_dir dir;
  const auto missing = dir.path() / "missing.json";
  CHECK_THROWS_WITH(load_policy(missing), Catch::StartsWith(missing.string() + ": cannot be read"));
  CHECK_THROWS_WITH(load_policy(dir.path()),
                    Catch::StartsWith(dir.path().string() + ": cannot be read"));
}

TEST_CASE("a profile that is not JSON is refused with the parser's line and column") {
  temp_dir dir;
  const auto file = dir.write("broken.json", "{\n  \"id\": \"x\",\n  oops\n}");
  CHECK_THROWS_WITH(load_policy(file),
                    Catch::StartsWith(file.string() + ": not JSON: ") && Catch::Contains("line 3"));
}

TEST_CASE("a profile whose top level is not an object is refused") {
  check_refused_text("[1, 2]", "(top level)", "must be an object, not an array");
}

TEST_CASE("a missing field is refused, naming its path") {
  auto doc = minimal_profile();
  doc["matters"][0].erase("department");
  check_refused(doc, "matters[0].department", "missing");
  doc = minimal_profile();
  doc.erase("tiers");
  check_refused(doc, "tiers", "missing");
}

TEST_CASE("a field of the wrong type is refused, naming its path and the type it needs") {
  auto doc = minimal_profile();
  doc["matters"][0]["time_limit_days"] = "20";
  check_refused(doc, "matters[0].time_limit_days", "must be an integer, not a string");
  doc = minimal_profile();
  doc["matters"][0]["on_the_spot"] = 1;
  check_refused(doc, "matters[0].on_the_spot", "must be true or false");
  doc = minimal_profile();
  doc["tiers"][0]["score_min"] = 800.5;
  check_refused(doc, "tiers[0].score_min", "must be an integer, not 800.5");
}

TEST_CASE("an unknown credit grade is refused") {
  auto doc = minimal_profile();
  doc["tiers"][0]["grades"] = json::array({"AA", "BBB"});
  check_refused(doc, "tiers[0].grades[1]", "'BBB' is not a credit grade");
}

TEST_CASE("two tiers with the same name are refused") {
  auto doc = minimal_profile();
  auto second = doc["tiers"][0];
  second["grades"] = json::array({"A"});
  doc["tiers"].push_back(second);
  check_refused(doc, "tiers[1].name", "duplicate tier name 'AA' (also tiers[0])");
}

TEST_CASE("two matters with the same code are refused") {
  auto doc = minimal_profile();
  doc["matters"].push_back(doc["matters"][0]);
  check_refused(doc, "matters[1].code", "duplicate matter code 'FOOD-OPERATION'");
}

TEST_CASE("a score band whose minimum exceeds its maximum is refused") {
  auto doc = minimal_profile();
  doc["tiers"][0]["score_min"] = 900;
  doc["tiers"][0]["score_max"] = 899;
  check_refused(doc, "tiers[0].score_min", "900 is greater than score_max 899");
}

TEST_CASE("a score band with a maximum but no minimum is refused") {
  auto doc = minimal_profile();
  doc["tiers"][0]["score_max"] = 899;
  check_refused(doc, "tiers[0].score_min", "a band needs a lower bound");
}

TEST_CASE("a negative number of days is refused, in the clocks and in a time limit") {
  auto doc = minimal_profile();
  doc["clocks"] = {{"supplement_days", -1}};
  check_refused(doc, "clocks.supplement_days", "must not be negative");
  doc = minimal_profile();
  doc["matters"][0]["time_limit_days"] = -3;
  check_refused(doc, "matters[0].time_limit_days", "must not be negative");
  doc["matters"][0]["time_limit_days"] = 0;
  check_refused(doc, "matters[0].time_limit_days", "must be at least 1");
}

TEST_CASE("a decision warning share outside the open interval (0, 1) is refused") {
  for (const double share : {0.0, 1.0, 1.5, -0.2}) {
    INFO(share);
    auto doc = minimal_profile();
    doc["clocks"] = {{"decision_warning_share", share}};
    check_refused(doc, "clocks.decision_warning_share", "is not between 0 and 1");
  }
}

TEST_CASE("a deferrable material that is not one of the auxiliary materials is refused") {
  auto doc = minimal_profile();
  doc["matters"][0]["deferrable"] = json::array({"floor_plan"});
  check_refused(doc, "matters[0].deferrable[0]",
                "'floor_plan' is not one of the matter's auxiliary_materials");
}

TEST_CASE("a commitment replacing a material the matter does not ask for is refused") {
  auto doc = minimal_profile();
  doc["matters"][0]["commitment_replaces"] = json::array({"floor_plan", "fire_inspection"});
  check_refused(doc, "matters[0].commitment_replaces[1]",
                "'fire_inspection' is not one of the matter's main_materials or "
                "auxiliary_materials");
}

TEST_CASE("a matter with no materials is refused") {
  auto doc = minimal_profile();
  auto& food = doc["matters"][0];
  food["main_materials"] = json::array();
  food["auxiliary_materials"] = json::array();
  food["deferrable"] = json::array();
  food["commitment_replaces"] = json::array();
  food["deficiency_acceptance"] = false;
  check_refused(doc, "matters[0].main_materials", "the matter has no materials");
}

TEST_CASE("an unknown top-level key is refused as a likely typo, and so is a nested one") {
  auto doc = minimal_profile();
  doc["tierz"] = json::array();
  check_refused(doc, "tierz", "unknown key");
  doc = minimal_profile();
  doc["matters"][0]["deferable"] = json::array();
  check_refused(doc, "matters[0].deferable", "unknown key");
}

TEST_CASE("a key written twice in one object is refused") {
  const auto text = minimal_profile().dump();
  // Insert a second "seed" right after the opening brace.
  check_refused_text("{\"seed\": \"004\"," + text.substr(1), "seed", "appears twice");
}

TEST_CASE("a grade that a better tier already takes is refused") {
  auto doc = minimal_profile();
  doc["tiers"].push_back({{"name", "A"},
                          {"grades", json::array({"A", "AA"})},
                          {"score_min", nullptr},
                          {"score_max", nullptr},
                          {"tax_incentive_card", false},
                          {"privileges", json::array({"appointment"})}});
  check_refused(doc, "tiers[1].grades[1]", "'AA' already places applicants in tier 'AA'");
}

TEST_CASE("overlapping score bands are refused") {
  auto doc = minimal_profile();
  doc["tiers"][0]["score_min"] = 900;
  doc["tiers"].push_back({{"name", "A"},
                          {"grades", json::array()},
                          {"score_min", 800},
                          {"score_max", 900},
                          {"tax_incentive_card", false},
                          {"privileges", json::array({"appointment"})}});
  check_refused(doc, "tiers[1].score_min", "overlaps the band of tier 'AA'");
}

TEST_CASE("a tier that no grade, score or card reaches is refused") {
  auto doc = minimal_profile();
  doc["tiers"][0]["grades"] = json::array();
  check_refused(doc, "tiers[0]", "no grade, score band or tax incentive card");
}

TEST_CASE("a misspelt privilege the engine acts on is refused") {
  auto doc = minimal_profile();
  doc["tiers"][0]["privileges"] = json::array({"green_channel", "deficiency_acceptence"});
  check_refused(doc, "tiers[0].privileges[1]", "misspelling of 'deficiency_acceptance'");
}

TEST_CASE("deficiency acceptance and the deferrable list must agree") {
  auto doc = minimal_profile();
  doc["matters"][0]["deferrable"] = json::array();
  check_refused(doc, "matters[0].deficiency_acceptance", "no auxiliary material is deferrable");
  doc = minimal_profile();
  doc["matters"][0]["deficiency_acceptance"] = false;
  check_refused(doc, "matters[0].deferrable", "deficiency_acceptance is false");
}

TEST_CASE("an unknown credit channel is refused") {
  auto doc = minimal_profile();
  doc["credit_channels"] = json::array({"window", "fax"});
  check_refused(doc, "credit_channels[1]", "'fax' is not a channel");
}

TEST_CASE(
    "only Zaozhuang's scheme is for persons alone and only Qingzhou publicises 信易批 cases") {
  for (const auto& id : profile_ids) {
    INFO("profile " << id);
    const auto policy = profile(id);
    const bool persons_only =
        policy.applicant_kinds == std::vector<applicant_kind>{applicant_kind::person};
    CHECK(persons_only == (id == "zaozhuang"));
    CHECK(policy.xinyipi_publicity == (id == "qingzhou"));
  }
}

TEST_CASE(
    "a profile that leaves out applicant kinds and publicity serves both kinds, no 信易批 "
    "publicity") {
  const auto policy = load_text(minimal_profile().dump());
  CHECK(policy.applicant_kinds.size() == 2);
  CHECK_FALSE(policy.xinyipi_publicity);
}

TEST_CASE(
    "an unknown applicant kind, an empty list of kinds or a publicity flag not a bool is "
    "refused") {
  auto doc = minimal_profile();
  doc["applicant_kinds"] = json::array({"person", "robot"});
  check_refused(doc, "applicant_kinds[1]", "'robot' is not an applicant kind");
  doc["applicant_kinds"] = json::array();
  check_refused(doc, "applicant_kinds", "serve nobody");
  doc = minimal_profile();
  doc["xinyipi_publicity"] = "yes";
  check_refused(doc, "xinyipi_publicity", "must be true or false");
}
