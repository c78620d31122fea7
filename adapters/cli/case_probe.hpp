#pragma once
// The real engine, asked what a case is in. The traffic generator feeds it one case's events in
// time order (its applicant's credit report first) and reads the state and the timers the engine
// keeps, instead of predicting them with a copy of the workflow's rules.
//
// It is the in-memory runtime's partition and loop (engine/runtime) with one partition: events go
// through the loop as the replay applies them, and time moves as the replay's clock that follows
// the events moves it (the partition's clock set, the timers due by then fired). A probe holds one
// case at a time, so it stays small enough to copy for a forecast.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/domain/calendar.hpp"
#include "engine/domain/case_record.hpp"
#include "engine/domain/policy.hpp"
#include "engine/domain/time.hpp"
#include "engine/runtime/memory_runtime.hpp"
#include "engine/runtime/partition_loop.hpp"
#include "engine/runtime/processor.hpp"

namespace xyp::cli {

// One timer firing when nothing else happens: which clock, at which clock.advance, and the
// state the case is in after it.
struct timer_firing {
  clock_kind clock = clock_kind::decision;
  instant at;
  case_state state_after = case_state::applied;
};

class case_probe {
 public:
  case_probe(const jurisdiction_policy& policy, const working_calendar& calendar);
  case_probe(const case_probe&) = delete;
  case_probe& operator=(const case_probe&) = delete;

  // Forgets the previous case: the next events are another case's, from an empty partition.
  void start(std::string case_id);

  // Applies one envelope dated `at`, after the clock.advance that fire the timers due before it.
  // Returns the engine's reason when it refused the envelope (a dead letter).
  std::optional<std::string> apply(std::string raw, instant at);

  // Fires every timer whose clock.advance comes before `at`, as the daily clock would.
  void advance_to(instant at);

  // The case as the engine holds it; null before its application was taken.
  const case_record* record() const { return engine_.partition.peek_case(case_id_); }

  // What the case's timers do if no other event comes, up to the clock.advance at `until`: one
  // entry per firing, in order. The probe itself is left as it is.
  std::vector<timer_firing> forecast(instant until) const;

  // The clock.advance that fires a timer due at `due`: the traffic closes each day at 18:00
  // Shanghai, so the day's own 18:00 when the due is no later, else the next day's.
  static instant firing_time(instant due);

 private:
  // One partition of the in-memory runtime and its loop: copied whole for a forecast.
  struct engine {
    memory_partition partition{0};
    partition_loop loop;
    // Fires the earliest pending timer when its clock.advance comes at or before `until`;
    // returns that timer and the clock's time, nothing when none does.
    std::optional<std::pair<timer_entry, instant>> fire_next(instant until);
  };

  case_processor processor_;
  engine engine_;
  std::string case_id_;
  std::optional<std::string> refused_;  // the last unit's dead letter, from the listener
};

}  // namespace xyp::cli
