// What the engine refuses before any case is touched, so that an id cannot be squatted and time
// cannot be forged: an id applied before and sent again with another envelope (id_conflict), an
// event dated in the future of the engine's clock, a clock.advance past the calendars.
#include <catch2/catch.hpp>

#include "engine/domain/case_codec.hpp"
#include "harness.hpp"

using namespace xyp;
using namespace xyp::test;
using nlohmann::json;

namespace {

const char* monday = "2026-11-23T09:30:00+08:00";
const std::vector<std::string> all_food = {"application_form", "business_license", "floor_plan",
                                           "food_safety_rules", "health_certificate"};

instant at(const char* text) {
  return *parse_rfc3339(text);
}

json credit(const std::string& id, const std::string& grade, const std::string& when) {
  return bench::envelope(id, "credit.update", "", when, {{"grade", grade}, {"source", "test"}});
}

}  // namespace

TEST_CASE("a case event id sent again with the same envelope stays a silent repeat",
          "[hardening]") {
  bench b;
  b.send(bench::apply("a-1", "C-1", "FOOD", all_food, monday));
  const auto again = b.send(bench::apply("a-1", "C-1", "FOOD", all_food, monday));
  CHECK(again.ignored);
  CHECK_FALSE(again.dead);
}

TEST_CASE("a case event id sent again with another envelope is an id_conflict dead letter",
          "[hardening]") {
  bench b;
  b.send(bench::apply("a-1", "C-1", "FOOD", all_food, monday));
  const auto accept = b.send(bench::envelope("acc-1", "case.accept", "C-1", monday,
                                             {{"materials", all_food}, {"verdict", "accept"}}));
  REQUIRE_FALSE(accept.dead);
  const auto state = b.record("C-1").state;
  // The accept's id again, now saying "reject": a squatter's envelope must not pass as a retry.
  const auto squat = b.send(bench::envelope("acc-1", "case.accept", "C-1", monday,
                                            {{"materials", all_food}, {"verdict", "reject"}}));
  REQUIRE(squat.dead);
  CHECK(squat.dead->code == dead_letter_code::id_conflict);
  CHECK(squat.dead->detail == "event id acc-1 was already applied with a different envelope");
  CHECK(squat.cases.empty());
  CHECK(b.record("C-1").state == state);
}

TEST_CASE("a credit report id sent again with another envelope is an id_conflict dead letter",
          "[hardening]") {
  bench b;
  b.send(credit("cr-1", "AAA", "2026-11-20T09:00:00+08:00"));
  const auto same = b.send(credit("cr-1", "AAA", "2026-11-20T09:00:00+08:00"));
  CHECK(same.ignored);
  CHECK_FALSE(same.dead);
  const auto other = b.send(credit("cr-1", "D", "2026-11-20T09:00:00+08:00"));
  REQUIRE(other.dead);
  CHECK(other.dead->code == dead_letter_code::id_conflict);
  CHECK_FALSE(other.credit);
  CHECK(b.partition().find_credit(person_id)->grade == credit_grade::AAA);
}

TEST_CASE("a case event applied before fingerprints were kept stays a silent repeat",
          "[hardening]") {
  bench b;
  b.send(bench::apply("a-1", "C-1", "FOOD", all_food, monday));
  case_record old = b.record("C-1");
  for (auto& h : old.history) h.fingerprint = 0;  // as a version 1 record reads
  b.put_case(old);
  const auto other = b.send(bench::apply("a-1", "C-1", "FOOD", {"application_form"}, monday));
  CHECK(other.ignored);
  CHECK_FALSE(other.dead);
}

TEST_CASE("a case's history keeps the fingerprint of the envelope that caused each step",
          "[hardening]") {
  bench b;
  const json apply = bench::apply("a-1", "C-1", "FOOD", all_food, monday);
  b.send(apply);
  const auto r = b.record("C-1");
  REQUIRE(r.history.size() == 1);
  CHECK(r.history[0].fingerprint == envelope_fingerprint(apply.dump()));
  CHECK(decode_case(encode_case(r)).history[0].fingerprint == r.history[0].fingerprint);
}

TEST_CASE("an envelope's fingerprint changes with any byte and never is 0", "[hardening]") {
  const std::string raw = bench::apply("a-1", "C-1", "FOOD", all_food, monday).dump();
  const auto print = envelope_fingerprint(raw);
  CHECK(print == envelope_fingerprint(std::string(raw)));
  for (std::size_t i = 0; i < raw.size(); i += 7) {
    std::string changed = raw;
    changed[i] = static_cast<char>(changed[i] ^ 1);
    CHECK(envelope_fingerprint(changed) != print);
  }
  CHECK(envelope_fingerprint(raw + " ") != print);
  CHECK(envelope_fingerprint("") != 0);
}

TEST_CASE("with the system clock an event dated beyond the margin is a schema_violation",
          "[hardening]") {
  const case_processor processor(test_policy(), test_calendar(), clock_mode::system,
                                 processor_options{std::chrono::seconds{300}});
  memory_partition p(0);
  p.load_clock(at("2026-11-23T09:00:00+08:00"));  // the engine's clock, as the runtime sets it
  // A credit report dated 2099 would otherwise outrank every genuine report after it.
  const auto forged =
      processor.apply_raw(credit("cr-1", "AAA", "2099-01-01T00:00:00+08:00").dump(), p);
  REQUIRE(forged.dead);
  CHECK(forged.dead->code == dead_letter_code::schema_violation);
  CHECK(forged.dead->detail ==
        "field at is 2099-01-01T00:00:00+08:00, more than 300 seconds after the engine's clock "
        "(2026-11-23T09:00:00+08:00): an event cannot come from the future");
  CHECK_FALSE(forged.credit);
  // Five minutes ahead is within the margin (clocks drift); a second more is not.
  CHECK_FALSE(
      processor.apply_raw(credit("cr-2", "AAA", "2026-11-23T09:05:00+08:00").dump(), p).dead);
  const auto late =
      processor.apply_raw(credit("cr-3", "AAA", "2026-11-23T09:05:01+08:00").dump(), p);
  REQUIRE(late.dead);
  CHECK(late.dead->code == dead_letter_code::schema_violation);
}

TEST_CASE("the future margin is configurable", "[hardening]") {
  const case_processor processor(test_policy(), test_calendar(), clock_mode::system,
                                 processor_options{std::chrono::seconds{3600}});
  memory_partition p(0);
  p.load_clock(at("2026-11-23T09:00:00+08:00"));
  CHECK_FALSE(
      processor.apply_raw(credit("cr-1", "AAA", "2026-11-23T09:59:00+08:00").dump(), p).dead);
  CHECK(processor.apply_raw(credit("cr-2", "AAA", "2026-11-23T10:01:00+08:00").dump(), p).dead);
}

TEST_CASE("with the simulated clock an event ahead of the clock is applied", "[hardening]") {
  // The simulated clock moves by clock.advance alone and lags what it is fed: the sample day's
  // events run hours ahead of it.
  bench b;
  b.advance_to("2026-11-20T00:00:00+08:00");
  CHECK_FALSE(b.send(credit("cr-1", "AAA", "2026-11-23T09:00:00+08:00")).dead);
}

TEST_CASE("a clock.advance past the last year the calendars cover is refused", "[hardening]") {
  bench b;
  // Notices for 2025 and 2026, provisional through 2028.
  REQUIRE(static_cast<int>(test_calendar().last_year()) == 2028);
  CHECK(b.advance_to("2028-12-31T23:00:00+08:00").empty());  // nothing due: no units after it
  CHECK(b.partition().now() == at("2028-12-31T23:00:00+08:00"));
  const auto before = b.committed.size();
  b.advance_to("2029-01-01T00:00:00+08:00");
  REQUIRE(b.committed.size() == before + 1);
  const auto& refused = b.committed.back();
  REQUIRE(refused.dead);
  CHECK(refused.dead->code == dead_letter_code::schema_violation);
  CHECK(refused.dead->detail.find("after 2028, the last year the calendars cover") !=
        std::string::npos);
  CHECK(b.partition().now() == at("2028-12-31T23:00:00+08:00"));
}
