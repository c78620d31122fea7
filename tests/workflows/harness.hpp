#pragma once
// A workflow test bench: a hand-built policy, the real calendar, one in-memory partition, and
// envelope builders. A test sets a case's state, sends one event, and reads what was committed.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/domain/calendar.hpp"
#include "engine/domain/policy.hpp"
#include "engine/runtime/memory_runtime.hpp"
#include "engine/runtime/processor.hpp"

namespace xyp::test {

// Valid by their check digits (GB 11643 and GB 32100).
inline const std::string person_id = "11010519491231002X";
inline const std::string enterprise_id = "91350100M000100Y43";

// Three tiers like Shilong's (003): AAA grants deficiency acceptance and notify-and-commit, AA
// notify-and-commit only, A an appointment. Matters: FOOD (deferrable auxiliaries, both
// facilitations, 20 working days), SPOT (decided on the spot under a commitment that replaces the
// premises certificate), HAZ (excluded: production safety), NODEF (no deficiency acceptance).
jurisdiction_policy test_policy();

const working_calendar& test_calendar();

class bench {
 public:
  bench();
  // The same bench under another policy, e.g. a profile of config/profiles.
  explicit bench(jurisdiction_policy p);
  // On a calendar of the test's own, which it may load a notice into (then recalendar()).
  explicit bench(const working_calendar& calendar);
  bench(jurisdiction_policy p, const working_calendar& calendar);

  // Commits a record as it stands (state, clocks and all), and its clocks' timers.
  void put_case(case_record record);
  void put_credit(const std::string& applicant_id, const std::string& grade,
                  bool blacklisted = false);

  // Sends one envelope and commits what it produces (and, for clock.advance, the timers).
  commit_unit send(const nlohmann::json& envelope);
  // Moves the simulated clock and fires what comes due; returns every unit committed.
  std::vector<commit_unit> advance_to(const std::string& rfc3339);

  // memory_runtime::recalendar: the units it committed.
  std::vector<commit_unit> recalendar();

  case_record record(const std::string& case_id) const;
  const memory_partition& partition() const { return runtime_.partition(0); }

  // Envelope builders with sensible defaults, overridable through `data`.
  static nlohmann::json envelope(const std::string& id, const std::string& type,
                                 const std::string& case_id, const std::string& at,
                                 nlohmann::json data, const std::string& applicant = person_id);
  static nlohmann::json apply(const std::string& id, const std::string& case_id,
                              const std::string& matter, std::vector<std::string> materials,
                              const std::string& at = "2026-11-23T09:30:00+08:00",
                              bool opted_in = true, bool signed_commitment = true,
                              const std::string& applicant = person_id);

  // Every outbound event of a unit of the given type.
  static std::vector<outbound_event> of_type(const commit_unit& unit, const std::string& type);

  jurisdiction_policy policy;
  case_processor processor;
  std::vector<commit_unit> committed;

 private:
  memory_runtime runtime_;
};

}  // namespace xyp::test
