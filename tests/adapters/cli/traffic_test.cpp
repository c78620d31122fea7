#include "adapters/cli/traffic.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/domain/calendar.hpp"
#include "engine/runtime/memory_runtime.hpp"
#include "engine/runtime/processor.hpp"

namespace {

using namespace xyp;
using cli::generate_traffic;
using cli::traffic_options;

const std::vector<std::string> profile_ids{"shilong", "zaozhuang", "zalantun", "qingzhou"};

jurisdiction_policy profile(const std::string& id) {
  return load_policy(std::filesystem::path(XYP_CONFIG_DIR) / "profiles" / (id + ".json"));
}

const working_calendar& calendar() {
  static const working_calendar c =
      working_calendar::load_directory(std::filesystem::path(XYP_CONFIG_DIR) / "calendars");
  return c;
}

traffic_options options(std::uint32_t cases, double bad_input_share) {
  traffic_options o;
  o.cases = cases;
  o.bad_input_share = bad_input_share;
  return o;
}

// What a replay through the in-memory engine ends with.
struct replay_result {
  std::map<std::string, int> final_states;
  std::set<std::string> escalations;  // level/clock
  std::set<std::string> hooks;
  std::map<std::string, int> dead_letters;  // by code
  int ignored = 0;
};

replay_result replay(const jurisdiction_policy& policy, const std::vector<std::string>& lines) {
  const case_processor processor(policy, calendar(), clock_mode::simulated);
  memory_runtime runtime(processor, 4);
  replay_result result;
  runtime.set_listener([&](std::uint32_t, const commit_unit& unit) {
    if (unit.dead) ++result.dead_letters[std::string(to_string(unit.dead->code))];
    if (unit.ignored && unit.consumed_timer.empty()) ++result.ignored;
    for (const auto& out : unit.outbound) {
      if (out.type == "escalation.raised") {
        result.escalations.insert(out.data.parsed().at("level").get<std::string>() + "/" +
                                  out.data.parsed().at("clock").get<std::string>());
      } else if (out.type == "credit.hook") {
        result.hooks.insert(out.data.parsed().at("kind").get<std::string>());
      }
    }
  });
  for (const auto& line : lines) runtime.submit(line);
  for (std::uint32_t n = 0; n < runtime.partitions(); ++n) {
    for (const auto& [id, record] : runtime.partition(n).cases()) {
      ++result.final_states[std::string(to_string(record.state))];
    }
  }
  return result;
}

bool grants_deficiency_acceptance(const jurisdiction_policy& policy) {
  return std::any_of(policy.tiers.begin(), policy.tiers.end(), [](const credit_tier& tier) {
    return std::find(tier.privileges.begin(), tier.privileges.end(),
                     privilege_deficiency_acceptance) != tier.privileges.end();
  });
}

}  // namespace

TEST_CASE("the same seed gives the same lines and another seed other lines", "[traffic]") {
  const auto policy = profile("shilong");
  const auto first = generate_traffic(policy, calendar(), traffic_options{});
  CHECK(generate_traffic(policy, calendar(), traffic_options{}) == first);
  traffic_options other;
  other.seed = 7;
  CHECK(generate_traffic(policy, calendar(), other) != first);
}

TEST_CASE("traffic without bad input is valid envelopes in time order with unique ids",
          "[traffic]") {
  for (const auto& id : profile_ids) {
    INFO("profile " << id);
    const auto lines = generate_traffic(profile(id), calendar(), options(300, 0.0));
    std::set<std::string> ids;
    std::map<std::string, instant> first_credit;
    std::map<std::string, instant> first_apply;
    instant previous{};
    const instant earliest = *parse_rfc3339("2025-01-01T00:00:00+08:00");
    const instant latest = *parse_rfc3339("2026-12-31T23:59:59+08:00");
    for (const auto& line : lines) {
      const auto parsed = parse_envelope(line);
      REQUIRE(std::holds_alternative<inbound_event>(parsed));
      const auto& event = std::get<inbound_event>(parsed);
      CHECK(ids.insert(event.id).second);
      CHECK(event.id.rfind("evt-", 0) == 0);
      CHECK(event.at >= previous);
      CHECK(event.at >= earliest);
      CHECK(event.at <= latest);
      CHECK(event.by.has_value());
      previous = event.at;
      const auto local = format_rfc3339(event.at);
      if (event.type == event_type::clock_advance) {
        CHECK(event.applicant_id.empty());
        CHECK(local.substr(11) == "18:00:00+08:00");
        continue;
      }
      CHECK(local.substr(11, 5) >= "08:30");
      CHECK(local.substr(11, 8) <= "17:30:00");
      if (event.type == event_type::credit_update)
        first_credit.try_emplace(event.applicant_id, event.at);
      if (event.type == event_type::case_apply)
        first_apply.try_emplace(event.applicant_id, event.at);
    }
    // Most applicants' credit is reported, always before their first application.
    int reported = 0;
    for (const auto& [applicant, applied] : first_apply) {
      const auto credit = first_credit.find(applicant);
      if (credit == first_credit.end()) continue;
      ++reported;
      CHECK(credit->second < applied);
    }
    CHECK(reported * 10 >= static_cast<int>(first_apply.size()) * 8);
    // And the engine refuses none of it.
    CHECK(replay(profile(id), lines).dead_letters.empty());
  }
}

TEST_CASE("bad input comes at about the share asked for, one delivery twice included",
          "[traffic]") {
  const auto lines = generate_traffic(profile("shilong"), calendar(), options(400, 0.04));
  int unreadable = 0;
  for (const auto& line : lines) {
    if (!std::holds_alternative<inbound_event>(parse_envelope(line))) ++unreadable;
  }
  const auto total = static_cast<int>(lines.size());
  CHECK(unreadable > 0);
  CHECK(unreadable < total * 4 / 100);
  std::set<std::string> seen;
  const bool delivered_twice = std::any_of(
      lines.begin(), lines.end(), [&](const auto& line) { return !seen.insert(line).second; });
  CHECK(delivered_twice);
  const auto clean = generate_traffic(profile("shilong"), calendar(), options(400, 0.0));
  CHECK(total > static_cast<int>(clean.size()) * 103 / 100);
  CHECK(total < static_cast<int>(clean.size()) * 106 / 100);
}

TEST_CASE("replayed under each profile the traffic reaches every ending, escalation and hook",
          "[traffic]") {
  for (const auto& id : profile_ids) {
    INFO("profile " << id);
    const auto policy = profile(id);
    // Enough cases that the rarest ending, a default in Shilong where only AAA applicants get
    // deficiency acceptance, is expected about five times.
    const auto result = replay(policy, generate_traffic(policy, calendar(), options(1000, 0.04)));
    const auto ended = [&](const std::string& state) {
      return result.final_states.count(state) > 0;
    };
    for (const auto* state : {"approved", "denied", "rejected", "withdrawn", "terminated",
                              "verified", "revoked", "correction_required"}) {
      INFO("state " << state);
      CHECK(ended(state));
    }
    for (const auto* escalation : {"overdue/correction_notice", "warning/decision",
                                   "overdue/decision", "overdue/verification"}) {
      INFO("escalation " << escalation);
      CHECK(result.escalations.count(escalation) == 1);
    }
    for (const auto* hook :
         {"commitment_breached", "commitment_fulfilled", "facilitation_revoked"}) {
      INFO("hook " << hook);
      CHECK(result.hooks.count(hook) == 1);
    }
    // Qingzhou (001) grants no deficiency acceptance: nothing there can default.
    if (grants_deficiency_acceptance(policy)) {
      CHECK((ended("accepted_deficient") || ended("supplement_overdue") || ended("defaulted")));
      CHECK(result.escalations.count("warning/supplement") == 1);
      CHECK(result.escalations.count("overdue/supplement") == 1);
      CHECK(result.hooks.count("deficiency_defaulted") == 1);
    }
    CHECK(result.dead_letters.size() >= 5);
    CHECK(result.ignored > 0);  // the delivery seen twice
  }
}

TEST_CASE("five thousand cases make tens of thousands of lines within the calendar's years",
          "[traffic]") {
  const auto lines = generate_traffic(profile("zalantun"), calendar(), options(5000, 0.04));
  CHECK(lines.size() > 20000);
  // Lines come in time order: the last readable one is the latest.
  const auto last = std::find_if(lines.rbegin(), lines.rend(), [](const auto& line) {
    return std::holds_alternative<inbound_event>(parse_envelope(line));
  });
  REQUIRE(last != lines.rend());
  CHECK(std::get<inbound_event>(parse_envelope(*last)).at <=
        *parse_rfc3339("2026-12-31T23:59:59+08:00"));
}

TEST_CASE("options that would leave the calendar's years are refused", "[traffic]") {
  const auto policy = profile("shilong");
  auto starting = [](const char* at) {
    traffic_options o;
    o.start = *parse_rfc3339(at);
    return o;
  };
  CHECK_THROWS_AS(generate_traffic(policy, calendar(), starting("2027-01-04T08:30:00+08:00")),
                  std::invalid_argument);
  CHECK_THROWS_AS(generate_traffic(policy, calendar(), starting("2024-12-30T08:30:00+08:00")),
                  std::invalid_argument);
  // Too close to the end of 2026 for a case's deadlines to be computed.
  CHECK_THROWS_AS(generate_traffic(policy, calendar(), starting("2026-12-21T08:30:00+08:00")),
                  std::invalid_argument);
  CHECK_NOTHROW(generate_traffic(policy, calendar(), starting("2025-01-02T08:30:00+08:00")));
  traffic_options greedy;
  greedy.bad_input_share = 0.9;
  CHECK_THROWS_AS(generate_traffic(policy, calendar(), greedy), std::invalid_argument);
}

// The sample day (config/samples/day.jsonl) is kept as committed: its replay is pinned byte for
// byte elsewhere, and the generator that asks the engine draws other dice than the one that wrote
// it. What must still hold is that the generator's defaults make a day like it.
struct day_shape {
  std::set<std::string> cases_applied;  // the case ids of the readable case.apply lines
  std::set<std::string> event_types;    // of the readable lines
  std::string first_at;                 // the first readable line's `at`
  std::size_t unreadable = 0;           // lines that do not parse as an envelope
  std::size_t lines = 0;
};

day_shape shape_of(const std::vector<std::string>& lines) {
  day_shape s;
  s.lines = lines.size();
  for (const auto& line : lines) {
    const auto parsed = parse_envelope(line);
    const auto* event = std::get_if<inbound_event>(&parsed);
    if (event == nullptr) {
      ++s.unreadable;
      continue;
    }
    if (s.first_at.empty()) s.first_at = format_rfc3339(event->at);
    s.event_types.insert(std::string(to_string(event->type)));
    if (event->type == event_type::case_apply) s.cases_applied.insert(event->case_id);
  }
  return s;
}

TEST_CASE("the generator's defaults make a day like the committed sample day", "[traffic]") {
  std::ifstream file(std::filesystem::path(XYP_CONFIG_DIR) / "samples" / "day.jsonl");
  REQUIRE(file);
  std::vector<std::string> committed;
  for (std::string line; std::getline(file, line);) committed.push_back(line);
  const auto sample = shape_of(committed);
  const auto generated = shape_of(generate_traffic(profile("shilong"), calendar(), {}));
  REQUIRE(sample.lines >= 200);
  // The same sixty case ids applied for (a bad line may apply for another), from the same
  // morning, with every kind of event the sample holds.
  CHECK(generated.cases_applied.size() >= 60);
  for (std::uint32_t n = 1; n <= 60; ++n) {
    const std::string id = "ZZ-2026-" + std::string(n < 10 ? "00000" : "0000") + std::to_string(n);
    INFO(id);
    CHECK(sample.cases_applied.count(id) == 1);
    CHECK(generated.cases_applied.count(id) == 1);
  }
  // The same first morning (the minutes are the dice's).
  CHECK(generated.first_at.substr(0, 13) == sample.first_at.substr(0, 13));
  for (const auto& type : sample.event_types) {
    INFO(type);
    CHECK(generated.event_types.count(type) == 1);
  }
  // About as many lines, about as many of them unreadable.
  CHECK(generated.lines > sample.lines * 8 / 10);
  CHECK(generated.lines < sample.lines * 12 / 10);
  CHECK(generated.unreadable >= 1);
  CHECK(generated.unreadable <= sample.unreadable * 2 + 2);
}

TEST_CASE("the engine refuses none of the good traffic it was asked about", "[traffic]") {
  for (const auto& id : profile_ids) {
    INFO("profile " << id);
    const auto policy = profile(id);
    const auto result = replay(policy, generate_traffic(policy, calendar(), options(600, 0.0)));
    CHECK(result.dead_letters.empty());
    CHECK(result.ignored == 0);
  }
}
