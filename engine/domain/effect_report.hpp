#pragma once
// The reports a department is asked for, computed from case records alone: the effect report
// (per track and tier: cases, handling time, working days saved, deficiencies cured, commitments
// kept, satisfaction) and a policy's outcome over a day (what `xinyipi whatif` compares). Pure
// functions: the HTTP route and the CLI only gather records and format what comes back.
#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/domain/calendar.hpp"
#include "engine/domain/case_record.hpp"
#include "engine/domain/policy.hpp"

namespace xyp {

// Which cases a report covers: applied on a Shanghai date from `from` to `to` (both inclusive,
// either open), handled by `department` when one is given.
struct effect_scope {
  std::optional<std::chrono::year_month_day> from;
  std::optional<std::chrono::year_month_day> to;
  std::optional<std::string> department;
};

bool in_scope(const case_record& r, const effect_scope& scope);

// The figures of one track and tier (or of all of them together).
struct effect_row {
  xyp::track track_used = xyp::track::standard;
  std::string tier;             // the credit tier granted; empty: none
  std::uint64_t cases = 0;      // applied within the scope
  std::uint64_t decided = 0;    // approved or denied (decided_at set)
  std::uint64_t timed = 0;      // decided, with the working days inside the loaded calendar
  std::int64_t total_days = 0;  // working days from apply to decision, summed over `timed`
  std::optional<double> average_days;
  std::optional<int> p90_days;  // nearest rank: the smallest value with 90% of cases at or below
  // Against the standard track: the matter's promised limit (the profile's time_limit_days, what
  // the standard track commits to) minus the working days actually taken, over timed cases of a
  // matter in the profile.
  std::uint64_t saved_counted = 0;
  std::int64_t days_saved = 0;
  std::optional<double> average_days_saved;
  std::uint64_t deficiency_cured = 0;      // accepted deficient, every material then supplied
  std::uint64_t deficiency_defaulted = 0;  // state defaulted
  std::uint64_t commitments_kept = 0;      // notify-and-commit verified as kept
  std::uint64_t commitments_breached = 0;  // revoked for a broken commitment
  std::array<std::uint64_t, 5> ratings{};  // case.feedback by rating, in the contract's order
  std::uint64_t rated = 0;
  // Very satisfied, satisfied and basic over everything rated (满意率 as service centres count it).
  std::optional<double> satisfaction_rate;
};

struct effect_report {
  std::vector<effect_row> rows;  // by track (standard, deficiency, commitment), then tier name
  effect_row total;              // every case in scope; its tier is empty
};

// working_days_between(applied_at, decided_at) on the calendar; a case whose span leaves the
// calendar is decided but not timed.
effect_report make_effect_report(const std::vector<case_record>& cases,
                                 const jurisdiction_policy& policy,
                                 const working_calendar& calendar, const effect_scope& scope);

// What a policy did with a set of cases: the what-if's side-by-side figures.
struct policy_outcome {
  std::uint64_t cases = 0;
  std::map<std::string, std::uint64_t> eligible_by_tier;  // cases granted a tier
  std::map<std::string, std::uint64_t> by_track;          // every track, zeros included
  // Approved at intake or on the supplement that completed the materials, never from accepted.
  std::uint64_t decided_on_the_spot = 0;
  std::map<std::string, std::uint64_t> escalations;  // raised, by level
  std::uint64_t defaults = 0;                        // deficiency cases defaulted
  std::uint64_t decided = 0;
  std::uint64_t timed = 0;
  std::optional<double> average_days;  // working days from apply to decision
};

policy_outcome make_policy_outcome(const std::vector<case_record>& cases,
                                   const working_calendar& calendar);

}  // namespace xyp
