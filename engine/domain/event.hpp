#pragma once
// The inbound envelope of CONTRACT.md, validated and typed; and the dead-letter codes for one that
// is not.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/domain/enum_names.hpp"
#include "engine/domain/time.hpp"

namespace xyp {

// The contract's dead-letter codes, in its order.
enum class dead_letter_code {
  malformed_json,
  schema_violation,
  unknown_type,
  unknown_case,
  unknown_matter,
  invalid_transition,
  duplicate_case,
  id_conflict,  // contract 1.1: an id already applied, sent again with a different envelope
};
template <>
inline constexpr std::array<enum_name<dead_letter_code>, 8> enum_names<dead_letter_code>{{
    {dead_letter_code::malformed_json, "malformed_json"},
    {dead_letter_code::schema_violation, "schema_violation"},
    {dead_letter_code::unknown_type, "unknown_type"},
    {dead_letter_code::unknown_case, "unknown_case"},
    {dead_letter_code::unknown_matter, "unknown_matter"},
    {dead_letter_code::invalid_transition, "invalid_transition"},
    {dead_letter_code::duplicate_case, "duplicate_case"},
    {dead_letter_code::id_conflict, "id_conflict"},
}};

// A 64-bit hash of an envelope's raw bytes, never 0: what an applied id is remembered with, so
// that the same id sent again can be told apart as the same envelope (a silent repeat) or a
// different one (id_conflict). Stable across builds and machines: it is stored.
std::uint64_t envelope_fingerprint(std::string_view raw);

// Why an event was refused: a code for machines and a sentence for people.
struct rejection {
  dead_letter_code code;
  std::string detail;
};

enum class event_type {
  credit_update,
  case_apply,
  case_accept,
  case_supplement,
  case_decide,
  case_withdraw,
  case_terminate,
  case_verify,
  case_feedback,
  clock_advance,
};
template <>
inline constexpr std::array<enum_name<event_type>, 10> enum_names<event_type>{{
    {event_type::credit_update, "credit.update"},
    {event_type::case_apply, "case.apply"},
    {event_type::case_accept, "case.accept"},
    {event_type::case_supplement, "case.supplement"},
    {event_type::case_decide, "case.decide"},
    {event_type::case_withdraw, "case.withdraw"},
    {event_type::case_terminate, "case.terminate"},
    {event_type::case_verify, "case.verify"},
    {event_type::case_feedback, "case.feedback"},
    {event_type::clock_advance, "clock.advance"},
}};
// from_name<event_type>, kept for the callers that spell it so.
std::optional<event_type> event_type_from(std::string_view text);

enum class actor_role { clerk, reviewer, supervisor, inspector, applicant, system };
template <>
inline constexpr std::array<enum_name<actor_role>, 6> enum_names<actor_role>{{
    {actor_role::clerk, "clerk"},
    {actor_role::reviewer, "reviewer"},
    {actor_role::supervisor, "supervisor"},
    {actor_role::inspector, "inspector"},
    {actor_role::applicant, "applicant"},
    {actor_role::system, "system"},
}};

struct actor {
  std::string id;
  actor_role role = actor_role::system;
};

// The credit grades of the public credit comprehensive evaluation, best first.
enum class credit_grade { AAA, AA, A_plus, A, A_minus, B, C, D };
template <>
inline constexpr std::array<enum_name<credit_grade>, 8> enum_names<credit_grade>{{
    {credit_grade::AAA, "AAA"},
    {credit_grade::AA, "AA"},
    {credit_grade::A_plus, "A+"},
    {credit_grade::A, "A"},
    {credit_grade::A_minus, "A-"},
    {credit_grade::B, "B"},
    {credit_grade::C, "C"},
    {credit_grade::D, "D"},
}};
// from_name<credit_grade>, kept for the callers that spell it so.
std::optional<credit_grade> credit_grade_from(std::string_view text);

enum class applicant_kind { person, enterprise };
template <>
inline constexpr std::array<enum_name<applicant_kind>, 2> enum_names<applicant_kind>{{
    {applicant_kind::person, "person"},
    {applicant_kind::enterprise, "enterprise"},
}};
enum class channel { window, phone, online };
template <>
inline constexpr std::array<enum_name<channel>, 3> enum_names<channel>{{
    {channel::window, "window"},
    {channel::phone, "phone"},
    {channel::online, "online"},
}};
enum class verdict { accept, reject };
template <>
inline constexpr std::array<enum_name<verdict>, 2> enum_names<verdict>{{
    {verdict::accept, "accept"},
    {verdict::reject, "reject"},
}};
enum class outcome { approve, deny };
template <>
inline constexpr std::array<enum_name<outcome>, 2> enum_names<outcome>{{
    {outcome::approve, "approve"},
    {outcome::deny, "deny"},
}};
enum class withdraw_scope { credit_track, application };
template <>
inline constexpr std::array<enum_name<withdraw_scope>, 2> enum_names<withdraw_scope>{{
    {withdraw_scope::credit_track, "credit_track"},
    {withdraw_scope::application, "application"},
}};
enum class verification_result { fulfilled, breached };
template <>
inline constexpr std::array<enum_name<verification_result>, 2> enum_names<verification_result>{{
    {verification_result::fulfilled, "fulfilled"},
    {verification_result::breached, "breached"},
}};
enum class rating { very_satisfied, satisfied, basic, unsatisfied, very_unsatisfied };
template <>
inline constexpr std::array<enum_name<rating>, 5> enum_names<rating>{{
    {rating::very_satisfied, "very_satisfied"},
    {rating::satisfied, "satisfied"},
    {rating::basic, "basic"},
    {rating::unsatisfied, "unsatisfied"},
    {rating::very_unsatisfied, "very_unsatisfied"},
}};

struct credit_update_data {
  credit_grade grade = credit_grade::D;
  std::optional<std::int64_t> score;
  bool tax_incentive_card = false;
  bool blacklisted = false;
  bool key_review = false;
  std::string source;
};

struct applicant_info {
  applicant_kind kind = applicant_kind::person;
  std::string name;
  std::string contact;

  bool operator==(const applicant_info&) const = default;
};

struct apply_data {
  std::string matter;
  applicant_info applicant;
  channel via = channel::window;
  bool credit_track = false;
  bool commitment_signed = false;
  std::vector<std::string> materials;
};

struct accept_data {
  std::vector<std::string> materials;
  verdict decision = verdict::accept;
  std::string reason;
};

struct supplement_data {
  std::vector<std::string> materials;
};

struct decide_data {
  outcome result = outcome::approve;
  std::string reason;
};

struct withdraw_data {
  withdraw_scope scope = withdraw_scope::application;
  std::string reason;
};

struct terminate_data {
  std::string reason;
};

struct verify_data {
  verification_result result = verification_result::fulfilled;
  std::string note;
};

struct feedback_data {
  rating value = rating::satisfied;
  std::string comment;
};

struct clock_advance_data {
  instant to;
};

using event_data =
    std::variant<credit_update_data, apply_data, accept_data, supplement_data, decide_data,
                 withdraw_data, terminate_data, verify_data, feedback_data, clock_advance_data>;

// One inbound event that passed validation.
struct inbound_event {
  std::string id;
  event_type type = event_type::case_apply;
  std::string applicant_id;  // empty only for clock.advance
  std::string case_id;       // empty for credit.update and clock.advance
  instant at;
  std::optional<actor> by;
  event_data data;
};

// Either a valid event or the reason it is not one.
using parse_result = std::variant<inbound_event, rejection>;

// Validates raw envelope text strictly against CONTRACT.md (required fields and their types,
// RFC 3339 times with an offset, id length, known types and enum values, applicant ids by their
// check digit). Never throws on any input.
// Reads with simdjson; what simdjson refuses goes to parse_envelope_reference, so that every
// outcome and every detail sentence are the reference's.
// An envelope larger than max_bytes is refused (schema_violation) before any parsing, so that no
// producer can make the engine build an arbitrarily large document.
inline constexpr std::size_t default_max_envelope_bytes = 1024 * 1024;
parse_result parse_envelope(std::string_view raw,
                            std::size_t max_bytes = default_max_envelope_bytes);

// The same rules over nlohmann/json's DOM: the reader of last resort, and the reference that the
// tests and the benchmark compare the fast reader with.
parse_result parse_envelope_reference(std::string_view raw,
                                      std::size_t max_bytes = default_max_envelope_bytes);

}  // namespace xyp
