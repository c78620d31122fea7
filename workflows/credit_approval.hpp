#pragma once
// The credit-approval case (信易批) as one state machine: apply, accept, supplement, decide,
// verify, withdraw, terminate. Pure: it records effects as data and never reads a clock.
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/domain/calendar.hpp"
#include "engine/domain/case_record.hpp"
#include "engine/domain/event.hpp"
#include "engine/domain/json_text.hpp"
#include "engine/domain/outbound.hpp"
#include "engine/domain/policy.hpp"

namespace xyp::workflows {

// The applicant was blacklisted or put under key review while the case is open.
struct facilitation_revoked {
  std::string reason;
};

// One of the case's clocks came due; time reaches the machine only this way.
struct clock_due {
  clock_kind kind = clock_kind::decision;
  instant due;
};

using case_input =
    std::variant<apply_data, accept_data, supplement_data, decide_data, withdraw_data,
                 terminate_data, verify_data, feedback_data, facilitation_revoked, clock_due>;

// What a step asks the runtime to do, besides saving the record.
struct case_effects {
  std::vector<std::pair<std::string, json_text>> outbound;  // type and data, in order
  std::vector<timer_entry> timers_set;
  std::vector<std::string> timers_cancelled;
  bool ledger_changed = false;  // the case's ledger entry is new or has changed
};

// Everything a step reads besides the record.
struct step_context {
  const jurisdiction_policy& policy;
  const working_calendar& calendar;
  const matter& matter_def;
  const credit_snapshot& credit;  // the applicant's latest credit, for apply
  std::string cause;              // the event or timer id
  instant at;                     // the event's time, or the clock's due time
};

// Runs one input through the machine restored at record.state (a new case when is_new).
// Returns false when the input is not allowed in that state; the record and effects are then
// untouched. Throws calendar_error when a deadline leaves the calendar.
bool run_credit_approval(case_record& record, bool is_new, const case_input& input,
                         const step_context& ctx, case_effects& effects);
// The same without touching `record`: the record after the step, or nothing when the input is not
// allowed (effects then untouched). For a caller that keeps the record before the step anyway:
// the machine's working copy is the only copy made.
std::optional<case_record> step_credit_approval(const case_record& record, bool is_new,
                                                const case_input& input, const step_context& ctx,
                                                case_effects& effects);

}  // namespace xyp::workflows
