#pragma once
// How the engine's values become Redis members and scores, and how they are read back: each
// encoding once, its writing beside its reading. The commit (functions.cpp), the stores
// (store.cpp, runtime.cpp), the read model (read_model.cpp) and the tests that seed or inspect
// Redis by hand all go through these; keys.hpp says which key holds what.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/domain/case_record.hpp"
#include "engine/domain/time.hpp"
#include "engine/runtime/commit_unit.hpp"

namespace xyp::redis {

// --- Time scores ------------------------------------------------------------------------------
// An instant as a sorted-set score (the indexes' application time, an escalation's raise, a
// timer's due) and as the state hash's clock: milliseconds since the epoch, decimal.
std::string time_score(instant t);
// A score as Redis answers it (an integer, or a double's text such as "1.7e+12"), back to the
// instant; a text that is not a number reads as the epoch.
instant time_from_score(std::string_view score);

// --- Ledger dates -----------------------------------------------------------------------------
// The ledger's date index (`ledger:by_date`) scores a row by its day as the number yyyymmdd.
// From a row's "yyyy-mm-dd" (what the commit has), and from a day (what a query's bound is).
std::string date_score(std::string_view yyyy_mm_dd);
std::string date_score(std::chrono::year_month_day day);
// The day a date score stands for; nothing when it is not one.
std::optional<std::chrono::year_month_day> date_from_score(std::string_view score);

// --- Open escalations -------------------------------------------------------------------------
// The escalation set's member "<case id>|<clock kind>|<level>", scored by time_score(raised at).
std::string escalation_member(std::string_view case_id, clock_kind clock, escalation_level level);

struct escalation_entry {
  std::string case_id;
  std::string clock;  // the contract's clock name (decision, supplement, ...)
  escalation_level level = escalation_level::warning;
  friend bool operator==(const escalation_entry&, const escalation_entry&) = default;
};
// Split from the right, so a case id may hold '|'. The clock may be the engine's kind (what
// escalation_member writes) or already the contract's name; the contract's name comes out.
// Nothing for a member whose level is not an escalation_level's name.
std::optional<escalation_entry> escalation_from_member(std::string_view member);

// --- Timers -----------------------------------------------------------------------------------
// A timer as the partition's timer set holds it: member "<case id>/t<k>/<n>|<applicant id>" for
// the timer "<case id>/t<k>/<kind>", n the clock kind's number (0-5, clock_kind's order), score
// time_score(due). Builds before it wrote the kind's name: "<timer id>|<applicant id>", 16 B
// longer for the commonest timer; such members are still read (timer_from_member), and removed
// beside the short form (legacy_timer_member).
std::string timer_member(std::string_view timer_id, std::string_view applicant_id);
// The member an earlier build wrote for the timer whose member is `member` (the kind's name for
// its number), or nothing when the two forms are the same.
std::optional<std::string> legacy_timer_member(std::string_view member);
// A member of either form and its score, read back as the timer; nothing for a member of
// another form.
std::optional<timer_entry> timer_from_member(const std::string& member, std::int64_t due_ms);

}  // namespace xyp::redis
