#pragma once
// The runtime's core step: one event or one due timer in, one commit unit out. It reads a
// partition through partition_view, runs the case machine, and never writes anything itself.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "engine/domain/calendar.hpp"
#include "engine/domain/event.hpp"
#include "engine/domain/partition.hpp"  // partition_for_raw, for the callers that found it here
#include "engine/domain/policy.hpp"
#include "engine/runtime/commit_unit.hpp"
#include "engine/runtime/ports.hpp"

namespace xyp {

enum class clock_mode { simulated, system };

struct processor_options {
  // With the system clock, an event dated more than this after the engine's clock is refused
  // (schema_violation): a report dated in the future would otherwise outrank every genuine one.
  // Negative: no check.
  std::chrono::seconds future_margin{300};
};

class case_processor {
 public:
  case_processor(const jurisdiction_policy& policy, const working_calendar& calendar,
                 clock_mode mode, processor_options options = {});

  // Validates raw envelope text and applies it. Never throws: bad input is a dead letter.
  commit_unit apply_raw(std::string_view raw, const partition_view& view) const;

  // Applies a validated event; raw is kept verbatim for a dead letter.
  commit_unit apply(const inbound_event& event, std::string_view raw,
                    const partition_view& view) const;

  // Fires a due timer. A timer whose clock was cancelled or already met is consumed quietly.
  commit_unit fire(const timer_entry& timer, const partition_view& view) const;

  // Counts the clock armed under `timer` again on the calendar as it is now, after a year's
  // notice was loaded into it. Only a clock counted provisionally is touched: when its due is
  // unchanged the flag alone is updated; when the due moves, the clock is re-armed under a new
  // timer id (the old timer cancelled), open escalations on the old due follow it, and a
  // case.notice `deadline_changed` says so. Otherwise the unit is ignored. Never throws.
  commit_unit recalendar(const timer_entry& timer, const partition_view& view) const;

  // An event whose id was applied before: a silent repeat when its envelope is the one applied
  // (or the store did not keep a fingerprint: applied_with 0), an id_conflict dead letter when
  // it is another.
  commit_unit repeated(const inbound_event& event, std::string_view raw,
                       std::uint64_t applied_with) const;

  const jurisdiction_policy& policy() const { return policy_; }
  clock_mode mode() const { return mode_; }

 private:
  commit_unit apply_credit_update(const inbound_event& event, std::string_view raw,
                                  const partition_view& view) const;
  commit_unit apply_case_event(const inbound_event& event, std::string_view raw,
                               const partition_view& view) const;

  const jurisdiction_policy& policy_;
  const working_calendar& calendar_;
  clock_mode mode_;
  processor_options options_;
};

// Why a clock.advance to `to` is refused: a time in a year after the last the calendar covers,
// provisional years included. Nothing when the calendar reaches it.
std::optional<std::string> clock_beyond_calendar(instant to, const working_calendar& calendar);

}  // namespace xyp
