// The names the engine reads and writes are the names docs/schema/common.schema.json enumerates,
// so the published schemas cannot drift from the code: a state, code, type, grade, rating, track
// or clock added on one side only fails here.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "engine/domain/case_record.hpp"
#include "engine/domain/event.hpp"

namespace {

using json = nlohmann::json;

const json& common_defs() {
  static const json defs = [] {
    std::ifstream in(std::string(XYP_DOCS_DIR) + "/schema/common.schema.json");
    REQUIRE(in);
    std::ostringstream text;
    text << in.rdbuf();
    return json::parse(text.str()).at("$defs");
  }();
  return defs;
}

std::set<std::string> enumerated(const char* def) {
  return common_defs().at(def).at("enum").get<std::set<std::string>>();
}

}  // namespace

TEST_CASE("the schema's states are the engine's states", "[schema]") {
  std::set<std::string> engine;
  for (int i = 0; i < xyp::case_state_count; ++i) {
    engine.emplace(to_string(static_cast<xyp::case_state>(i)));
  }
  CHECK(enumerated("state") == engine);
}

TEST_CASE("the schema's dead-letter codes are the engine's, and id_conflict from contract 1.1",
          "[schema]") {
  std::set<std::string> engine;
  for (int i = 0; i <= static_cast<int>(xyp::dead_letter_code::id_conflict); ++i) {
    engine.emplace(to_string(static_cast<xyp::dead_letter_code>(i)));
  }
  CHECK(enumerated("dead_letter_code") == engine);
}

TEST_CASE("the schema's inbound types are the ones the engine parses", "[schema]") {
  for (const auto& type : enumerated("inbound_type")) {
    INFO(type);
    CHECK(xyp::event_type_from(type).has_value());
  }
  std::set<std::string> engine;
  for (int i = 0; i <= static_cast<int>(xyp::event_type::clock_advance); ++i) {
    engine.emplace(to_string(static_cast<xyp::event_type>(i)));
  }
  CHECK(enumerated("inbound_type") == engine);
}

TEST_CASE("the schema's grades, ratings, tracks and clocks are the engine's", "[schema]") {
  std::set<std::string> grades;
  for (const auto& g : enumerated("credit_grade")) {
    INFO(g);
    REQUIRE(xyp::credit_grade_from(g).has_value());
    grades.emplace(to_string(*xyp::credit_grade_from(g)));
  }
  CHECK(grades == enumerated("credit_grade"));

  std::set<std::string> ratings;
  for (int i = 0; i <= static_cast<int>(xyp::rating::very_unsatisfied); ++i) {
    ratings.emplace(to_string(static_cast<xyp::rating>(i)));
  }
  CHECK(enumerated("rating") == ratings);

  std::set<std::string> tracks;
  for (int i = 0; i <= static_cast<int>(xyp::track::commitment); ++i) {
    tracks.emplace(to_string(static_cast<xyp::track>(i)));
  }
  CHECK(enumerated("track") == tracks);

  std::set<std::string> clocks;
  for (int i = 0; i <= static_cast<int>(xyp::clock_kind::verification); ++i) {
    clocks.emplace(contract_clock_name(static_cast<xyp::clock_kind>(i)));
  }
  CHECK(enumerated("clock") == clocks);
}
