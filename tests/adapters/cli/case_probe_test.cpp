#include "adapters/cli/case_probe.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

namespace {

using namespace xyp;
using cli::case_probe;

const jurisdiction_policy& shilong() {
  static const jurisdiction_policy p =
      load_policy(std::filesystem::path(XYP_CONFIG_DIR) / "profiles" / "shilong.json");
  return p;
}

const working_calendar& calendar() {
  static const working_calendar c =
      working_calendar::load_directory(std::filesystem::path(XYP_CONFIG_DIR) / "calendars");
  return c;
}

instant at(const char* text) {
  return *parse_rfc3339(text);
}

// A person without a credit report applies for a matter, documents complete: nothing grants
// facilitation, so the case waits on the standard track for its intake review.
const char* const apply_line =
    R"({"id":"p-1","type":"case.apply","applicant_id":"11010519491231002X","case_id":"P-1",)"
    R"("at":"2026-09-28T09:00:00+08:00","actor":{"id":"clerk-01","role":"clerk"},)"
    R"("data":{"matter":"TOBACCO-RETAIL","applicant":{"kind":"person","name":"王伟","contact":"13800000000"},)"
    R"("channel":"window","credit_track":false,"commitment_signed":false,)"
    R"("materials":["application_form","business_license","id_card","premises_lease"]}})";

}  // namespace

TEST_CASE("a timer fires at the first 18:00 clock.advance at or after its due", "[traffic]") {
  CHECK(case_probe::firing_time(at("2026-11-23T17:00:00+08:00")) ==
        at("2026-11-23T18:00:00+08:00"));
  CHECK(case_probe::firing_time(at("2026-11-23T18:00:00+08:00")) ==
        at("2026-11-23T18:00:00+08:00"));
  CHECK(case_probe::firing_time(at("2026-11-23T23:59:59+08:00")) ==
        at("2026-11-24T18:00:00+08:00"));
}

TEST_CASE("the probe reports the engine's state and what its timers will do", "[traffic]") {
  REQUIRE(shilong().find_matter("TOBACCO-RETAIL"));
  case_probe probe(shilong(), calendar());
  probe.start("P-1");
  CHECK(probe.record() == nullptr);
  REQUIRE_FALSE(probe.apply(apply_line, at("2026-09-28T09:00:00+08:00")));
  REQUIRE(probe.record() != nullptr);
  CHECK(probe.record()->state == case_state::applied);

  // No intake verdict: the engine deems the case accepted when its correction-notice clock runs
  // out, counted in working days over National Day (1-7 October 2026, 10 October worked).
  const auto* clock = probe.record()->armed_clock(clock_kind::correction_notice);
  REQUIRE(clock != nullptr);
  const auto firings = probe.forecast(at("2026-12-31T18:00:00+08:00"));
  REQUIRE_FALSE(firings.empty());
  CHECK(firings.front().clock == clock_kind::correction_notice);
  CHECK(firings.front().at == case_probe::firing_time(clock->due));
  CHECK(firings.front().state_after == case_state::accepted);
  CHECK(firings.front().at > at("2026-10-08T00:00:00+08:00"));
  // The forecast ran on a copy.
  CHECK(probe.record()->state == case_state::applied);

  // Time moving past the firing moves the probe's case as the daily clock would.
  probe.advance_to(firings.front().at - std::chrono::seconds{1});
  CHECK(probe.record()->state == case_state::applied);
  probe.advance_to(firings.front().at + std::chrono::hours{15});
  CHECK(probe.record()->state == case_state::accepted);

  // An event the state does not allow is the engine's to refuse, and the probe says so.
  const auto refused = probe.apply(
      R"({"id":"p-2","type":"case.accept","applicant_id":"11010519491231002X","case_id":"P-1",)"
      R"("at":"2026-10-20T10:00:00+08:00","actor":{"id":"clerk-01","role":"clerk"},)"
      R"("data":{"materials":["application_form","business_license","id_card","premises_lease"],)"
      R"("verdict":"accept"}})",
      at("2026-10-20T10:00:00+08:00"));
  CHECK(refused.has_value());

  // start() forgets the case.
  probe.start("P-1");
  CHECK(probe.record() == nullptr);
}
