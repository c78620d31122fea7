#include <catch2/catch.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <utility>
#include <variant>

#include "engine/domain/event.hpp"

using namespace xyp;
using json = nlohmann::json;

namespace {

// Valid ids checked by hand (see identity_test.cpp): an enterprise and a person.
const std::string enterprise_id = "91350100M000100Y43";
const std::string person_id = "11010519491231002X";

json envelope(const std::string& type, json data) {
  return json{{"id", "evt-0001"},
              {"type", type},
              {"applicant_id", enterprise_id},
              {"case_id", "ZZ-2026-000001"},
              {"at", "2026-11-23T09:30:00+08:00"},
              {"actor", {{"id", "clerk-07"}, {"role", "clerk"}}},
              {"data", std::move(data)}};
}

json apply_envelope() {
  return envelope(
      "case.apply",
      {{"matter", "food-licence"},
       {"applicant",
        {{"kind", "enterprise"}, {"name", "福州示例食品有限公司"}, {"contact", "0591-1234567"}}},
       {"channel", "window"},
       {"credit_track", true},
       {"commitment_signed", true},
       {"materials", {"licence-form", "id-copy"}}});
}

// A valid envelope of every type, for the robustness tests.
std::vector<json> one_of_each_type() {
  return {
      envelope("credit.update", {{"grade", "A+"}, {"score", 812}, {"blacklisted", false}}),
      apply_envelope(),
      envelope("case.accept", {{"materials", {"licence-form"}}, {"verdict", "accept"}}),
      envelope("case.supplement", {{"materials", {"id-copy"}}}),
      envelope("case.decide", {{"outcome", "approve"}, {"reason", "complete"}}),
      envelope("case.withdraw", {{"scope", "credit_track"}}),
      envelope("case.terminate", {{"reason", "licence revoked"}}),
      envelope("case.verify", {{"result", "fulfilled"}, {"note", "on site"}}),
      envelope("case.feedback", {{"rating", "very_satisfied"}}),
      json{{"id", "tick-1"},
           {"type", "clock.advance"},
           {"at", "2026-11-23T09:30:00+08:00"},
           {"data", {{"to", "2026-11-24T00:00:00+08:00"}}}},
  };
}

inbound_event accepted(const std::string& raw) {
  auto result = parse_envelope(raw);
  if (const auto* refused = std::get_if<rejection>(&result)) {
    FAIL("refused with " << to_string(refused->code) << ": " << refused->detail);
  }
  return std::get<inbound_event>(std::move(result));
}

inbound_event accepted(const json& doc) {
  return accepted(doc.dump());
}

rejection refused(const std::string& raw) {
  auto result = parse_envelope(raw);
  if (std::holds_alternative<inbound_event>(result)) FAIL("accepted: " << raw);
  return std::get<rejection>(std::move(result));
}

rejection refused(const json& doc) {
  return refused(doc.dump());
}

// The rejection is a schema violation whose detail names the field.
void check_schema_violation(const json& doc, const std::string& field) {
  INFO(doc.dump());
  const auto r = refused(doc);
  CHECK(r.code == dead_letter_code::schema_violation);
  CHECK_THAT(r.detail, Catch::Contains("field " + field + " "));
}

json with(json doc, const json::json_pointer& at, json value) {
  doc[at] = std::move(value);
  return doc;
}

json without(json doc, const json::json_pointer& at) {
  doc[at.parent_pointer()].erase(at.back());
  return doc;
}

instant at(const char* text) {
  return *parse_rfc3339(text);
}

}  // namespace

TEST_CASE("an envelope's fingerprint is the one stored by earlier versions") {
  // Fingerprints are kept in case histories and beside applied ids: a repeat is told from an
  // id_conflict by comparing one computed now with one stored then, so the function never
  // changes. Values computed by the byte-by-byte version (30 November 2026), at every length
  // class: empty, a tail only, exactly one word, a word and a tail, several words with UTF-8.
  CHECK(envelope_fingerprint("") == 0xe220a8397b1dcdafULL);
  CHECK(envelope_fingerprint("a") == 0xefbb6fd0287dfebaULL);
  CHECK(envelope_fingerprint("1234567") == 0x764bfab4e3a41cfcULL);
  CHECK(envelope_fingerprint("12345678") == 0xf6b4468a7fa98f8cULL);
  CHECK(envelope_fingerprint("123456789") == 0x94a54fd87c95b32dULL);
  CHECK(envelope_fingerprint("{\"id\":\"evt-0001\",\"type\":\"case.apply\",\"applicant_id\":"
                             "\"91350100M000100Y43\",\"data\":{\"materials\":[\"licence-form\"]},"
                             "\"note\":\"\xe7\x94\xb3\xe8\xaf\xb7\"}") == 0x355be39f11e3120fULL);
}

TEST_CASE("the contract's names spell the enumerations") {
  CHECK(to_string(event_type::credit_update) == "credit.update");
  CHECK(to_string(event_type::clock_advance) == "clock.advance");
  CHECK(to_string(event_type::case_supplement) == "case.supplement");
  CHECK(to_string(credit_grade::A_plus) == "A+");
  CHECK(to_string(credit_grade::A_minus) == "A-");
  CHECK(to_string(credit_grade::AAA) == "AAA");
  CHECK(to_string(rating::very_satisfied) == "very_satisfied");
  CHECK(to_string(rating::very_unsatisfied) == "very_unsatisfied");
  CHECK(to_string(dead_letter_code::malformed_json) == "malformed_json");
  CHECK(to_string(dead_letter_code::schema_violation) == "schema_violation");
  CHECK(to_string(dead_letter_code::unknown_type) == "unknown_type");
  CHECK(to_string(dead_letter_code::unknown_case) == "unknown_case");
  CHECK(to_string(dead_letter_code::unknown_matter) == "unknown_matter");
  CHECK(to_string(dead_letter_code::invalid_transition) == "invalid_transition");
  CHECK(to_string(dead_letter_code::duplicate_case) == "duplicate_case");
}

TEST_CASE("event types and credit grades read back from their names, and nothing else does") {
  for (const char* name :
       {"credit.update", "case.apply", "case.accept", "case.supplement", "case.decide",
        "case.withdraw", "case.terminate", "case.verify", "case.feedback", "clock.advance"}) {
    const auto type = event_type_from(name);
    REQUIRE(type);
    CHECK(to_string(*type) == name);
  }
  for (const char* name : {"AAA", "AA", "A+", "A", "A-", "B", "C", "D"}) {
    const auto grade = credit_grade_from(name);
    REQUIRE(grade);
    CHECK(to_string(*grade) == name);
  }
  CHECK(credit_grade_from("A_plus") == std::nullopt);
  CHECK(credit_grade_from("a") == std::nullopt);
  CHECK(event_type_from("case_apply") == std::nullopt);
  CHECK(event_type_from("") == std::nullopt);
}

TEST_CASE("a case.apply envelope reads into its header, actor and application") {
  const auto e = accepted(apply_envelope());
  CHECK(e.id == "evt-0001");
  CHECK(e.type == event_type::case_apply);
  CHECK(e.applicant_id == enterprise_id);
  CHECK(e.case_id == "ZZ-2026-000001");
  CHECK(e.at == at("2026-11-23T01:30:00Z"));
  REQUIRE(e.by);
  CHECK(e.by->id == "clerk-07");
  CHECK(e.by->role == actor_role::clerk);
  const auto& d = std::get<apply_data>(e.data);
  CHECK(d.matter == "food-licence");
  CHECK(d.applicant.kind == applicant_kind::enterprise);
  CHECK(d.applicant.name == "福州示例食品有限公司");
  CHECK(d.applicant.contact == "0591-1234567");
  CHECK(d.via == channel::window);
  CHECK(d.credit_track);
  CHECK(d.commitment_signed);
  CHECK(d.materials == std::vector<std::string>{"licence-form", "id-copy"});
}

TEST_CASE("a person applies under a resident id, by phone, with no materials and no contact") {
  auto doc = apply_envelope();
  doc["applicant_id"] = person_id;
  doc["data"]["applicant"] = {{"kind", "person"}, {"name", "张三"}};
  doc["data"]["channel"] = "phone";
  doc["data"]["credit_track"] = false;
  doc["data"]["materials"] = json::array();
  const auto e = accepted(doc);
  const auto& d = std::get<apply_data>(e.data);
  CHECK(e.applicant_id == person_id);
  CHECK(d.applicant.kind == applicant_kind::person);
  CHECK(d.applicant.contact.empty());
  CHECK(d.via == channel::phone);
  CHECK_FALSE(d.credit_track);
  CHECK(d.materials.empty());
}

TEST_CASE("repeated material codes in an application are dropped, keeping the first order") {
  auto doc = apply_envelope();
  doc["data"]["materials"] = {"b", "a", "b", "c", "a"};
  const auto e = accepted(doc);
  CHECK(std::get<apply_data>(e.data).materials == std::vector<std::string>{"b", "a", "c"});
}

TEST_CASE("a long list of material codes drops repeats of early and late codes alike") {
  // Past sixteen distinct codes the reader keeps them in a hash set: a repeat of the first code
  // and of the twentieth, both after the switch, are dropped, and the first order stays.
  auto doc = apply_envelope();
  std::vector<std::string> expected;
  json list = json::array();
  for (int i = 0; i < 20; ++i) {
    expected.push_back("m" + std::to_string(i));
    list.push_back(expected.back());
  }
  list.push_back("m0");
  list.push_back("m19");
  list.push_back("m15");
  doc["data"]["materials"] = list;
  const auto e = accepted(doc);
  CHECK(std::get<apply_data>(e.data).materials == expected);
}

TEST_CASE("a credit.update envelope reads its grade, score, flags and source") {
  auto doc = envelope("credit.update", {{"grade", "A-"},
                                        {"score", 640},
                                        {"tax_incentive_card", true},
                                        {"blacklisted", true},
                                        {"key_review", true},
                                        {"source", "credit-fujian"}});
  doc.erase("case_id");
  const auto e = accepted(doc);
  CHECK(e.type == event_type::credit_update);
  CHECK(e.case_id.empty());
  const auto& d = std::get<credit_update_data>(e.data);
  CHECK(d.grade == credit_grade::A_minus);
  CHECK(d.score == 640);
  CHECK(d.tax_incentive_card);
  CHECK(d.blacklisted);
  CHECK(d.key_review);
  CHECK(d.source == "credit-fujian");
}

TEST_CASE("a credit.update with only a grade has no score and every flag false") {
  auto doc = envelope("credit.update", {{"grade", "AAA"}});
  doc.erase("actor");
  const auto e = accepted(doc);
  CHECK_FALSE(e.by);
  const auto& d = std::get<credit_update_data>(e.data);
  CHECK(d.grade == credit_grade::AAA);
  CHECK_FALSE(d.score);
  CHECK_FALSE(d.tax_incentive_card);
  CHECK_FALSE(d.blacklisted);
  CHECK_FALSE(d.key_review);
  CHECK(d.source.empty());
}

TEST_CASE("a credit.update score may be zero or the largest 64-bit integer") {
  auto doc = envelope("credit.update", {{"grade", "B"}, {"score", 0}});
  CHECK(std::get<credit_update_data>(accepted(doc).data).score == 0);
  const std::string raw = R"({"id":"e","type":"credit.update","applicant_id":")" + enterprise_id +
                          R"(","at":"2026-11-23T09:30:00Z","data":{"grade":"B",)"
                          R"("score":9223372036854775807}})";
  CHECK(std::get<credit_update_data>(accepted(raw).data).score == INT64_MAX);
}

TEST_CASE("a credit.update that carries a case id is accepted and the case id is not kept") {
  const auto e = accepted(envelope("credit.update", {{"grade", "C"}}));
  CHECK(e.case_id.empty());
}

TEST_CASE("a case.accept envelope reads the reviewed materials, the verdict and the reason") {
  const auto e = accepted(envelope(
      "case.accept",
      {{"materials", {"licence-form", "licence-form"}}, {"verdict", "reject"}, {"reason", "x"}}));
  const auto& d = std::get<accept_data>(e.data);
  CHECK(d.materials == std::vector<std::string>{"licence-form"});
  CHECK(d.decision == verdict::reject);
  CHECK(d.reason == "x");
  const auto empty =
      accepted(envelope("case.accept", {{"materials", json::array()}, {"verdict", "accept"}}));
  CHECK(std::get<accept_data>(empty.data).materials.empty());
  CHECK(std::get<accept_data>(empty.data).decision == verdict::accept);
}

TEST_CASE("a case.supplement envelope reads the materials handed in") {
  const auto e = accepted(envelope("case.supplement", {{"materials", {"id-copy", "lease"}}}));
  CHECK(e.type == event_type::case_supplement);
  CHECK(std::get<supplement_data>(e.data).materials ==
        std::vector<std::string>{"id-copy", "lease"});
}

TEST_CASE("a case.decide envelope reads the outcome and the reason") {
  const auto e = accepted(envelope("case.decide", {{"outcome", "deny"}, {"reason", "unsafe"}}));
  CHECK(std::get<decide_data>(e.data).result == outcome::deny);
  CHECK(std::get<decide_data>(e.data).reason == "unsafe");
  const auto approve = accepted(envelope("case.decide", {{"outcome", "approve"}}));
  CHECK(std::get<decide_data>(approve.data).result == outcome::approve);
  CHECK(std::get<decide_data>(approve.data).reason.empty());
}

TEST_CASE("a case.withdraw envelope reads the scope and the reason") {
  const auto e =
      accepted(envelope("case.withdraw", {{"scope", "credit_track"}, {"reason", "changed mind"}}));
  CHECK(std::get<withdraw_data>(e.data).scope == withdraw_scope::credit_track);
  CHECK(std::get<withdraw_data>(e.data).reason == "changed mind");
  const auto all = accepted(envelope("case.withdraw", {{"scope", "application"}}));
  CHECK(std::get<withdraw_data>(all.data).scope == withdraw_scope::application);
}

TEST_CASE("a case.terminate envelope reads the reason") {
  const auto e = accepted(envelope("case.terminate", {{"reason", "licence revoked"}}));
  CHECK(std::get<terminate_data>(e.data).reason == "licence revoked");
}

TEST_CASE("a case.verify envelope reads the result and the note") {
  const auto e = accepted(envelope("case.verify", {{"result", "breached"}, {"note", "no lease"}}));
  CHECK(std::get<verify_data>(e.data).result == verification_result::breached);
  CHECK(std::get<verify_data>(e.data).note == "no lease");
}

TEST_CASE("a case.feedback envelope reads the rating and the comment") {
  const auto e =
      accepted(envelope("case.feedback", {{"rating", "very_unsatisfied"}, {"comment", "slow"}}));
  CHECK(std::get<feedback_data>(e.data).value == rating::very_unsatisfied);
  CHECK(std::get<feedback_data>(e.data).comment == "slow");
}

TEST_CASE("a clock.advance envelope reads the new time and names no applicant and no case") {
  const json doc = {{"id", "tick-1"},
                    {"type", "clock.advance"},
                    {"at", "2026-11-23T09:30:00+08:00"},
                    {"data", {{"to", "2026-11-24T00:00:00.500Z"}}}};
  const auto e = accepted(doc);
  CHECK(e.type == event_type::clock_advance);
  CHECK(e.applicant_id.empty());
  CHECK(e.case_id.empty());
  CHECK(std::get<clock_advance_data>(e.data).to == at("2026-11-24T08:00:00.500+08:00"));
  CHECK(accepted(with(doc, "/applicant_id"_json_pointer, "")).applicant_id.empty());
}

TEST_CASE("every actor role of the contract is accepted") {
  const std::pair<const char*, actor_role> roles[] = {
      {"clerk", actor_role::clerk},           {"reviewer", actor_role::reviewer},
      {"supervisor", actor_role::supervisor}, {"inspector", actor_role::inspector},
      {"applicant", actor_role::applicant},   {"system", actor_role::system}};
  for (const auto& [name, role] : roles) {
    const auto e = accepted(with(apply_envelope(), "/actor/role"_json_pointer, name));
    REQUIRE(e.by);
    CHECK(e.by->role == role);
  }
}

TEST_CASE("unknown extra fields are ignored at every level") {
  auto doc = apply_envelope();
  doc["trace"] = {{"span", 7}};
  doc["actor"]["department"] = "market";
  doc["data"]["priority"] = "high";
  doc["data"]["applicant"]["nationality"] = "CN";
  CHECK(std::get<apply_data>(accepted(doc).data).matter == "food-licence");
}

TEST_CASE("an envelope of exactly 1 MiB is read, and one byte more is a schema violation") {
  auto doc = apply_envelope();
  doc["padding"] = "";
  const auto base = doc.dump().size();
  doc["padding"] = std::string(1048576 - base, 'x');
  REQUIRE(doc.dump().size() == 1048576);
  accepted(doc);
  doc["padding"] = std::string(1048576 - base + 1, 'x');
  const auto r = refused(doc);
  CHECK(r.code == dead_letter_code::schema_violation);
  CHECK(r.detail == "the envelope is 1048577 bytes, larger than 1048576");
}

TEST_CASE("the size limit is the caller's, and an envelope above it is refused unparsed") {
  auto doc = apply_envelope();
  const std::string raw = doc.dump();
  CHECK(std::holds_alternative<inbound_event>(parse_envelope(raw, raw.size())));
  const auto r = std::get<rejection>(parse_envelope(raw, raw.size() - 1));
  CHECK(r.code == dead_letter_code::schema_violation);
  // Not even read as JSON: broken text over the limit gets the size sentence, not malformed_json.
  const auto broken = std::get<rejection>(parse_envelope(std::string(100, '{'), 99));
  CHECK(broken.code == dead_letter_code::schema_violation);
  CHECK(broken.detail == "the envelope is 100 bytes, larger than 99");
}

TEST_CASE("text that is not JSON is malformed") {
  const std::string texts[] = {"",
                               "{",
                               "nope",
                               R"({"id": "a",})",
                               R"({"id": "a"} trailing)",
                               "{\"id\": \"\xff\"}",
                               "{'id': 'a'}",
                               std::string("{\0}", 3)};
  for (const auto& raw : texts) {
    INFO(raw);
    const auto r = refused(raw);
    CHECK(r.code == dead_letter_code::malformed_json);
    CHECK(r.detail == "the envelope is not valid JSON");
  }
}

TEST_CASE("JSON that is not an object is a schema violation") {
  for (const char* raw : {"[]", "42", "\"case.apply\"", "null", "true"}) {
    INFO(raw);
    const auto r = refused(std::string(raw));
    CHECK(r.code == dead_letter_code::schema_violation);
    CHECK(r.detail == "the envelope must be a JSON object");
  }
}

TEST_CASE("an envelope without a usable id is a schema violation") {
  const auto doc = apply_envelope();
  check_schema_violation(without(doc, "/id"_json_pointer), "id");
  check_schema_violation(with(doc, "/id"_json_pointer, ""), "id");
  check_schema_violation(with(doc, "/id"_json_pointer, 17), "id");
  check_schema_violation(with(doc, "/id"_json_pointer, nullptr), "id");
  check_schema_violation(with(doc, "/id"_json_pointer, std::string(129, 'e')), "id");
  CHECK(refused(without(doc, "/id"_json_pointer)).detail == "field id is required");
}

TEST_CASE("an id is counted in characters, so 128 Chinese characters are allowed and 129 are not") {
  std::string id;
  for (int i = 0; i < 128; ++i) id += "事";
  CHECK(accepted(with(apply_envelope(), "/id"_json_pointer, id)).id == id);
  CHECK(accepted(with(apply_envelope(), "/id"_json_pointer, std::string(128, 'e'))).id.size() ==
        128);
  check_schema_violation(with(apply_envelope(), "/id"_json_pointer, id + "事"), "id");
}

TEST_CASE("an envelope without a type or with a type that is not text is a schema violation") {
  check_schema_violation(without(apply_envelope(), "/type"_json_pointer), "type");
  check_schema_violation(with(apply_envelope(), "/type"_json_pointer, 3), "type");
  check_schema_violation(with(apply_envelope(), "/type"_json_pointer, json::array()), "type");
}

TEST_CASE("an envelope of a type the contract does not name is an unknown type") {
  for (const char* type : {"case.appeal", "", "Case.Apply", "case.apply "}) {
    const auto r = refused(with(apply_envelope(), "/type"_json_pointer, type));
    CHECK(r.code == dead_letter_code::unknown_type);
    CHECK_THAT(r.detail, Catch::StartsWith("field type must be one of credit.update, case.apply"));
  }
}

TEST_CASE("an envelope without an RFC 3339 time with an offset is a schema violation") {
  const auto doc = apply_envelope();
  check_schema_violation(without(doc, "/at"_json_pointer), "at");
  check_schema_violation(with(doc, "/at"_json_pointer, "2026-11-23T09:30:00"), "at");
  check_schema_violation(with(doc, "/at"_json_pointer, "2026-02-30T09:30:00+08:00"), "at");
  check_schema_violation(with(doc, "/at"_json_pointer, 1763861400), "at");
}

TEST_CASE("an event other than clock.advance without a valid applicant id is a schema violation") {
  const auto doc = apply_envelope();
  check_schema_violation(without(doc, "/applicant_id"_json_pointer), "applicant_id");
  check_schema_violation(with(doc, "/applicant_id"_json_pointer, ""), "applicant_id");
  check_schema_violation(with(doc, "/applicant_id"_json_pointer, "91350100M000100Y44"),
                         "applicant_id");
  check_schema_violation(with(doc, "/applicant_id"_json_pointer, "91350100M000100Y4"),
                         "applicant_id");
  check_schema_violation(with(doc, "/applicant_id"_json_pointer, 913501), "applicant_id");
  const auto credit = envelope("credit.update", {{"grade", "A"}});
  check_schema_violation(without(credit, "/applicant_id"_json_pointer), "applicant_id");
  check_schema_violation(with(credit, "/applicant_id"_json_pointer, "110105194912310021"),
                         "applicant_id");
}

TEST_CASE("a clock.advance that names an applicant is a schema violation") {
  const json doc = {{"id", "tick-1"},
                    {"type", "clock.advance"},
                    {"applicant_id", enterprise_id},
                    {"at", "2026-11-23T09:30:00+08:00"},
                    {"data", {{"to", "2026-11-24T00:00:00+08:00"}}}};
  check_schema_violation(doc, "applicant_id");
  check_schema_violation(with(doc, "/applicant_id"_json_pointer, nullptr), "applicant_id");
}

TEST_CASE("a case event without a case id of 1 to 128 characters is a schema violation") {
  const auto doc = envelope("case.decide", {{"outcome", "approve"}});
  check_schema_violation(without(doc, "/case_id"_json_pointer), "case_id");
  check_schema_violation(with(doc, "/case_id"_json_pointer, ""), "case_id");
  check_schema_violation(with(doc, "/case_id"_json_pointer, std::string(129, 'c')), "case_id");
  check_schema_violation(with(doc, "/case_id"_json_pointer, 1), "case_id");
  CHECK(accepted(with(doc, "/case_id"_json_pointer, std::string(128, 'c'))).case_id.size() == 128);
  check_schema_violation(
      with(envelope("credit.update", {{"grade", "A"}}), "/case_id"_json_pointer, json::object()),
      "case_id");
}

TEST_CASE("an actor that is not an object with an id and a known role is a schema violation") {
  const auto doc = apply_envelope();
  check_schema_violation(with(doc, "/actor"_json_pointer, "clerk-07"), "actor");
  check_schema_violation(with(doc, "/actor"_json_pointer, nullptr), "actor");
  check_schema_violation(without(doc, "/actor/id"_json_pointer), "actor.id");
  check_schema_violation(with(doc, "/actor/id"_json_pointer, 7), "actor.id");
  check_schema_violation(with(doc, "/actor/id"_json_pointer, ""), "actor.id");
  check_schema_violation(without(doc, "/actor/role"_json_pointer), "actor.role");
  check_schema_violation(with(doc, "/actor/role"_json_pointer, "mayor"), "actor.role");
  CHECK(refused(with(doc, "/actor/role"_json_pointer, "mayor")).detail ==
        "field actor.role must be one of clerk, reviewer, supervisor, inspector, applicant, "
        "system");
}

TEST_CASE("an envelope without a data object is a schema violation") {
  const auto doc = envelope("case.decide", {{"outcome", "approve"}});
  check_schema_violation(without(doc, "/data"_json_pointer), "data");
  check_schema_violation(with(doc, "/data"_json_pointer, json::array()), "data");
  check_schema_violation(with(doc, "/data"_json_pointer, nullptr), "data");
  check_schema_violation(with(doc, "/data"_json_pointer, "{}"), "data");
}

TEST_CASE("empty data is a schema violation for every type that requires a field") {
  for (const char* type :
       {"credit.update", "case.apply", "case.accept", "case.supplement", "case.decide",
        "case.withdraw", "case.terminate", "case.verify", "case.feedback"}) {
    INFO(type);
    const auto r = refused(envelope(type, json::object()));
    CHECK(r.code == dead_letter_code::schema_violation);
    CHECK_THAT(r.detail, Catch::StartsWith("field data."));
  }
}

TEST_CASE("a credit.update with a grade outside the scale is a schema violation") {
  const auto doc = envelope("credit.update", {{"grade", "A"}});
  check_schema_violation(without(doc, "/data/grade"_json_pointer), "data.grade");
  check_schema_violation(with(doc, "/data/grade"_json_pointer, "A_plus"), "data.grade");
  check_schema_violation(with(doc, "/data/grade"_json_pointer, "aaa"), "data.grade");
  check_schema_violation(with(doc, "/data/grade"_json_pointer, 1), "data.grade");
  CHECK(refused(with(doc, "/data/grade"_json_pointer, "E")).detail ==
        "field data.grade must be one of AAA, AA, A+, A, A-, B, C, D");
}

TEST_CASE("a credit.update score that is not a non-negative 64-bit integer is a schema violation") {
  const auto doc = envelope("credit.update", {{"grade", "A"}});
  check_schema_violation(with(doc, "/data/score"_json_pointer, -1), "data.score");
  check_schema_violation(with(doc, "/data/score"_json_pointer, 1.5), "data.score");
  check_schema_violation(with(doc, "/data/score"_json_pointer, "80"), "data.score");
  check_schema_violation(with(doc, "/data/score"_json_pointer, nullptr), "data.score");
  check_schema_violation(with(doc, "/data/score"_json_pointer, UINT64_C(9223372036854775808)),
                         "data.score");
  const std::string prefix = R"({"id":"e","type":"credit.update","applicant_id":")" +
                             enterprise_id +
                             R"(","at":"2026-11-23T09:30:00Z","data":{"grade":"B","score":)";
  for (const char* number : {"80.0", "8e1", "18446744073709551616", "-0.0"}) {
    INFO(number);
    const auto r = refused(prefix + number + "}}");
    CHECK(r.code == dead_letter_code::schema_violation);
    CHECK_THAT(r.detail, Catch::StartsWith("field data.score "));
  }
  // nlohmann/json refuses a number beyond the range of a double as a syntax error.
  CHECK(refused(prefix + "1e400}}").code == dead_letter_code::malformed_json);
}

TEST_CASE("a credit.update flag or source of the wrong type is a schema violation") {
  const auto doc = envelope("credit.update", {{"grade", "A"}});
  check_schema_violation(with(doc, "/data/tax_incentive_card"_json_pointer, "yes"),
                         "data.tax_incentive_card");
  check_schema_violation(with(doc, "/data/blacklisted"_json_pointer, 1), "data.blacklisted");
  check_schema_violation(with(doc, "/data/key_review"_json_pointer, nullptr), "data.key_review");
  check_schema_violation(with(doc, "/data/source"_json_pointer, 3), "data.source");
}

TEST_CASE("a case.apply missing or mistyping a field of its data is a schema violation") {
  const auto doc = apply_envelope();
  check_schema_violation(without(doc, "/data/matter"_json_pointer), "data.matter");
  check_schema_violation(with(doc, "/data/matter"_json_pointer, ""), "data.matter");
  check_schema_violation(without(doc, "/data/applicant"_json_pointer), "data.applicant");
  check_schema_violation(with(doc, "/data/applicant"_json_pointer, "张三"), "data.applicant");
  check_schema_violation(without(doc, "/data/applicant/kind"_json_pointer), "data.applicant.kind");
  check_schema_violation(with(doc, "/data/applicant/kind"_json_pointer, "company"),
                         "data.applicant.kind");
  check_schema_violation(without(doc, "/data/applicant/name"_json_pointer), "data.applicant.name");
  check_schema_violation(with(doc, "/data/applicant/name"_json_pointer, ""), "data.applicant.name");
  check_schema_violation(with(doc, "/data/applicant/contact"_json_pointer, 591),
                         "data.applicant.contact");
  check_schema_violation(without(doc, "/data/channel"_json_pointer), "data.channel");
  check_schema_violation(with(doc, "/data/channel"_json_pointer, "email"), "data.channel");
  check_schema_violation(without(doc, "/data/credit_track"_json_pointer), "data.credit_track");
  check_schema_violation(with(doc, "/data/credit_track"_json_pointer, "true"), "data.credit_track");
  check_schema_violation(without(doc, "/data/commitment_signed"_json_pointer),
                         "data.commitment_signed");
  check_schema_violation(with(doc, "/data/commitment_signed"_json_pointer, 0),
                         "data.commitment_signed");
  check_schema_violation(without(doc, "/data/materials"_json_pointer), "data.materials");
  check_schema_violation(with(doc, "/data/materials"_json_pointer, "licence-form"),
                         "data.materials");
  check_schema_violation(with(doc, "/data/materials"_json_pointer, {"licence-form", ""}),
                         "data.materials");
  check_schema_violation(with(doc, "/data/materials"_json_pointer, json::array({"a", 1})),
                         "data.materials");
  CHECK(refused(with(doc, "/data/channel"_json_pointer, "email")).detail ==
        "field data.channel must be one of window, phone, online");
}

TEST_CASE("a person applying under a social credit code is a schema violation") {
  auto doc = apply_envelope();
  doc["data"]["applicant"]["kind"] = "person";
  const auto r = refused(doc);
  CHECK(r.code == dead_letter_code::schema_violation);
  CHECK(r.detail ==
        "field applicant_id must be a resident id (GB 11643) when data.applicant.kind "
        "is person");
}

TEST_CASE("an enterprise applying under a resident id is a schema violation") {
  auto doc = apply_envelope();
  doc["applicant_id"] = person_id;
  const auto r = refused(doc);
  CHECK(r.code == dead_letter_code::schema_violation);
  CHECK(r.detail ==
        "field applicant_id must be a unified social credit code (GB 32100) when "
        "data.applicant.kind is enterprise");
}

TEST_CASE("a case.accept with a verdict outside accept and reject is a schema violation") {
  const auto doc = envelope("case.accept", {{"materials", {"a"}}, {"verdict", "accept"}});
  const auto r = refused(with(doc, "/data/verdict"_json_pointer, "maybe"));
  CHECK(r.code == dead_letter_code::schema_violation);
  CHECK(r.detail == "field data.verdict must be one of accept, reject");
  check_schema_violation(without(doc, "/data/verdict"_json_pointer), "data.verdict");
  check_schema_violation(without(doc, "/data/materials"_json_pointer), "data.materials");
  check_schema_violation(with(doc, "/data/materials"_json_pointer, json::object()),
                         "data.materials");
  check_schema_violation(with(doc, "/data/reason"_json_pointer, false), "data.reason");
}

TEST_CASE("a case.supplement without at least one material is a schema violation") {
  const auto doc = envelope("case.supplement", {{"materials", {"a"}}});
  check_schema_violation(with(doc, "/data/materials"_json_pointer, json::array()),
                         "data.materials");
  check_schema_violation(without(doc, "/data/materials"_json_pointer), "data.materials");
  check_schema_violation(with(doc, "/data/materials"_json_pointer, json::array({nullptr})),
                         "data.materials");
}

TEST_CASE("a case.decide with an outcome outside approve and deny is a schema violation") {
  const auto doc = envelope("case.decide", {{"outcome", "approve"}});
  check_schema_violation(with(doc, "/data/outcome"_json_pointer, "approved"), "data.outcome");
  check_schema_violation(without(doc, "/data/outcome"_json_pointer), "data.outcome");
  check_schema_violation(with(doc, "/data/reason"_json_pointer, json::array()), "data.reason");
}

TEST_CASE(
    "a case.withdraw with a scope outside credit_track and application is a schema "
    "violation") {
  const auto doc = envelope("case.withdraw", {{"scope", "application"}});
  check_schema_violation(with(doc, "/data/scope"_json_pointer, "all"), "data.scope");
  check_schema_violation(without(doc, "/data/scope"_json_pointer), "data.scope");
  check_schema_violation(with(doc, "/data/reason"_json_pointer, 1), "data.reason");
}

TEST_CASE("a case.terminate without a reason is a schema violation") {
  const auto doc = envelope("case.terminate", {{"reason", "revoked"}});
  check_schema_violation(without(doc, "/data/reason"_json_pointer), "data.reason");
  check_schema_violation(with(doc, "/data/reason"_json_pointer, ""), "data.reason");
}

TEST_CASE("a case.verify with a result outside fulfilled and breached is a schema violation") {
  const auto doc = envelope("case.verify", {{"result", "fulfilled"}});
  check_schema_violation(with(doc, "/data/result"_json_pointer, "ok"), "data.result");
  check_schema_violation(without(doc, "/data/result"_json_pointer), "data.result");
  check_schema_violation(with(doc, "/data/note"_json_pointer, 1), "data.note");
}

TEST_CASE("a case.feedback with a rating outside the five levels is a schema violation") {
  const auto doc = envelope("case.feedback", {{"rating", "basic"}});
  CHECK(refused(with(doc, "/data/rating"_json_pointer, "good")).detail ==
        "field data.rating must be one of very_satisfied, satisfied, basic, unsatisfied, "
        "very_unsatisfied");
  check_schema_violation(without(doc, "/data/rating"_json_pointer), "data.rating");
  check_schema_violation(with(doc, "/data/comment"_json_pointer, 5), "data.comment");
}

TEST_CASE("a clock.advance without an RFC 3339 target time is a schema violation") {
  const json doc = {{"id", "tick-1"},
                    {"type", "clock.advance"},
                    {"at", "2026-11-23T09:30:00+08:00"},
                    {"data", {{"to", "2026-11-24T00:00:00+08:00"}}}};
  check_schema_violation(with(doc, "/data"_json_pointer, json::object()), "data.to");
  check_schema_violation(with(doc, "/data/to"_json_pointer, "2026-11-24"), "data.to");
  check_schema_violation(with(doc, "/data/to"_json_pointer, 0), "data.to");
}

TEST_CASE("every truncation of a valid envelope is refused as malformed and never throws") {
  int tried = 0;
  for (const auto& doc : one_of_each_type()) {
    const std::string raw = doc.dump();
    accepted(raw);
    for (std::size_t n = 0; n < raw.size(); ++n) {
      const std::string_view prefix(raw.data(), n);
      INFO(prefix);
      parse_result result;
      REQUIRE_NOTHROW(result = parse_envelope(prefix));
      REQUIRE(std::holds_alternative<rejection>(result));
      CHECK(std::get<rejection>(result).code == dead_letter_code::malformed_json);
      ++tried;
    }
  }
  CHECK(tried > 500);
}

TEST_CASE("random mutations of valid envelopes never throw") {
  std::mt19937 random(20261123);  // fixed seed: the same mutations on every run
  const std::string bytes = "{}[]\":,\\0123456789.eE+-tfnulxX \x7f\x80\xc3\xa9\xff";
  int tried = 0;
  for (const auto& doc : one_of_each_type()) {
    const std::string raw = doc.dump();
    for (int round = 0; round < 60; ++round) {
      std::string mutated = raw;
      const int edits = 1 + static_cast<int>(random() % 4);
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
      INFO(mutated);
      REQUIRE_NOTHROW(parse_envelope(mutated));
      ++tried;
    }
  }
  CHECK(tried == 600);
}

TEST_CASE("deeply nested data is refused without exhausting the stack") {
  const std::string head = R"({"id":"e","type":"case.supplement","applicant_id":")" +
                           enterprise_id + R"(","case_id":"c","at":"2026-11-23T09:30:00Z","data":)";
  const std::size_t depth = 100000;
  const std::string nested = head + std::string(depth, '[') + std::string(depth, ']') + "}";
  CHECK(refused(nested).code == dead_letter_code::schema_violation);
  const std::string open = head + std::string(depth, '[') + "}";
  CHECK(refused(open).code == dead_letter_code::malformed_json);
  const std::string objects = head + R"({"materials":["a"],"x":)" + [&] {
    std::string s;
    for (std::size_t i = 0; i < depth / 8; ++i) s += R"({"a":)";
    return s + "1" + std::string(depth / 8, '}');
  }() + "}}";
  CHECK(std::get<supplement_data>(accepted(objects).data).materials ==
        std::vector<std::string>{"a"});
}
