#pragma once
// A case as the engine persists it: everything the machine needs to resume, and everything the
// back office shows. Serialised as JSON with stable state names, never MSM's integer ids.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/domain/event.hpp"
#include "engine/domain/time.hpp"

namespace xyp {

// The contract's state names, in its order.
enum class case_state {
  applied,
  correction_required,
  accepted,
  accepted_deficient,
  supplement_overdue,
  approved,
  denied,
  rejected,
  withdrawn,
  terminated,
  defaulted,
  revoked,
  verified,
};
template <>
inline constexpr std::array<enum_name<case_state>, 13> enum_names<case_state>{{
    {case_state::applied, "applied"},
    {case_state::correction_required, "correction_required"},
    {case_state::accepted, "accepted"},
    {case_state::accepted_deficient, "accepted_deficient"},
    {case_state::supplement_overdue, "supplement_overdue"},
    {case_state::approved, "approved"},
    {case_state::denied, "denied"},
    {case_state::rejected, "rejected"},
    {case_state::withdrawn, "withdrawn"},
    {case_state::terminated, "terminated"},
    {case_state::defaulted, "defaulted"},
    {case_state::revoked, "revoked"},
    {case_state::verified, "verified"},
}};
inline constexpr int case_state_count = static_cast<int>(enum_count<case_state>);
// from_name<case_state>, kept for the callers that spell it so.
std::optional<case_state> case_state_from(std::string_view text);

// Before the decision: facilitation can still be granted, withdrawn or revoked.
bool is_pending_decision(case_state s);
// No further transition is possible but feedback.
bool is_final(case_state s);

enum class track { standard, deficiency, commitment };
template <>
inline constexpr std::array<enum_name<track>, 3> enum_names<track>{{
    {track::standard, "standard"},
    {track::deficiency, "deficiency"},
    {track::commitment, "commitment"},
}};

// The engine's timers. The contract's escalation `clock` names fold supplement_grace into
// "supplement" and decision_warning into "decision".
enum class clock_kind {
  correction_notice,
  supplement,
  supplement_grace,
  decision_warning,
  decision,
  verification,
};
template <>
inline constexpr std::array<enum_name<clock_kind>, 6> enum_names<clock_kind>{{
    {clock_kind::correction_notice, "correction_notice"},
    {clock_kind::supplement, "supplement"},
    {clock_kind::supplement_grace, "supplement_grace"},
    {clock_kind::decision_warning, "decision_warning"},
    {clock_kind::decision, "decision"},
    {clock_kind::verification, "verification"},
}};
// from_name<clock_kind>, kept for the callers that spell it so.
std::optional<clock_kind> clock_kind_from(std::string_view text);
std::string_view contract_clock_name(clock_kind k);

enum class clock_status { armed, fired, cancelled };
template <>
inline constexpr std::array<enum_name<clock_status>, 3> enum_names<clock_status>{{
    {clock_status::armed, "armed"},
    {clock_status::fired, "fired"},
    {clock_status::cancelled, "cancelled"},
}};

struct case_clock {
  std::string timer_id;
  clock_kind kind = clock_kind::decision;
  instant due;
  clock_status status = clock_status::armed;
  // What the due was counted from, so that it can be counted again on a newer calendar: the
  // base instant and the working days (0 with a zero base: a record from before they were kept).
  instant counted_from{};
  int working_days = 0;
  bool provisional = false;  // the count consulted a day of a year without a notice

  bool operator==(const case_clock&) const = default;
};

// How far past a clock a case is: the warning ahead of a due, or the due passed.
enum class escalation_level { warning, overdue };
template <>
inline constexpr std::array<enum_name<escalation_level>, 2> enum_names<escalation_level>{{
    {escalation_level::warning, "warning"},
    {escalation_level::overdue, "overdue"},
}};

struct escalation_record {
  escalation_level level = escalation_level::warning;
  clock_kind clock = clock_kind::decision;
  instant due;
  instant raised_at;
  bool open = true;
  bool provisional = false;  // the due came from a provisionally counted clock

  bool operator==(const escalation_record&) const = default;
};

struct history_entry {
  std::string event_id;  // or the timer id that caused it
  std::string type;
  instant at;
  std::optional<case_state> from;  // nothing for the event that opened the case
  case_state to = case_state::applied;
  // envelope_fingerprint of the event that caused it (0 for a timer, or a record from before
  // fingerprints were kept): tells a repeat of the event from a different one under its id.
  std::uint64_t fingerprint = 0;

  bool operator==(const history_entry&) const = default;
};

// The credit an applicant had when the engine last heard of it.
struct credit_snapshot {
  bool known = false;
  credit_grade grade = credit_grade::D;
  std::optional<std::int64_t> score;
  bool tax_incentive_card = false;
  bool blacklisted = false;
  bool key_review = false;
  std::string source;
  instant as_of;

  bool operator==(const credit_snapshot&) const = default;
};

struct case_record {
  std::string case_id;
  std::string applicant_id;
  applicant_info applicant;
  std::string matter;
  std::string department;
  case_state state = case_state::applied;
  xyp::track track_used = xyp::track::standard;
  bool credit_track = false;  // the applicant opted in
  bool commitment_signed = false;
  bool needs_verification = false;  // approved on a commitment: a post-approval check is due
  std::string tier;                 // the credit tier granted; empty when none
  std::string eligibility_reason;   // why credit approval does not apply, when it does not
  credit_snapshot credit;
  std::vector<std::string> privileges;
  std::vector<std::string> materials;  // handed in
  std::vector<std::string> missing;    // still owed
  std::vector<std::string> replaced_by_commitment;
  std::vector<case_clock> clocks;
  std::vector<escalation_record> escalations;
  std::vector<history_entry> history;
  std::optional<instant> applied_at;
  std::optional<instant> accepted_at;
  std::optional<instant> decided_at;
  std::optional<std::uint64_t> ledger_no;
  // The 信易批 register (000 attachment 1): the level the scheme granted when the applicant was
  // served under credit approval; empty for a case that is not in the register.
  std::string register_level;
  std::optional<rating> satisfaction;
  // How the case ended, as the register shows it: the state it ended in (approved, denied,
  // rejected, withdrawn, ...); nothing while it is being handled.
  std::optional<case_state> result;
  std::uint64_t version = 0;    // bumped on every write; the store checks it
  std::uint32_t timer_seq = 0;  // makes timer ids unique within the case

  const case_clock* armed_clock(clock_kind k) const;
  bool has_privilege(std::string_view p) const;
  // Field by field: the codec's round trip relies on it seeing every field.
  bool operator==(const case_record&) const = default;
};

void to_json(nlohmann::json& j, const case_record& r);
void from_json(const nlohmann::json& j, case_record& r);
void to_json(nlohmann::json& j, const credit_snapshot& c);
void from_json(const nlohmann::json& j, credit_snapshot& c);

// The case invariants the fuzzer and the tests check: a known state, no armed clock on a final
// case, missing materials only while the state owes them. Returns a description of the first
// violation, or nothing.
std::optional<std::string> invariant_violation(const case_record& r);

}  // namespace xyp
