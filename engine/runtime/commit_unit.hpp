#pragma once
// What applying one event or one timer produces: one unit that a store commits atomically.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/domain/case_record.hpp"
#include "engine/domain/event.hpp"
#include "engine/domain/outbound.hpp"

namespace xyp {

// An event the engine refused: the raw input verbatim, a contract code and a sentence.
struct dead_letter {
  std::string raw;
  dead_letter_code code = dead_letter_code::schema_violation;
  std::string detail;
};

// A case written back, with the version it had when read: the store refuses the write when the
// stored version differs, so two writers can never interleave on a case.
struct case_write {
  case_record record;
  std::uint64_t expected_version = 0;  // 0: the case must not exist yet
};

struct commit_unit {
  std::string cause;          // the inbound event id or the timer id
  std::string applied_event;  // event id to remember as applied; empty for timers and dead letters
  std::uint64_t applied_fingerprint = 0;  // the applied envelope's envelope_fingerprint
  std::string consumed_timer;             // timer id removed by this unit; empty for events
  std::vector<case_write> cases;
  std::optional<std::pair<std::string, credit_snapshot>> credit;  // applicant id and credit
  std::vector<timer_entry> timers_set;
  std::vector<std::string> timers_cancelled;
  std::vector<outbound_event> outbound;
  std::optional<dead_letter> dead;
  std::optional<instant> clock_to;  // the simulated clock moves here
  // The partition's ledger count before and after: ledger numbers are handed out in order.
  std::uint64_t ledger_before = 0;
  std::uint64_t ledger_after = 0;
  bool ignored = false;  // a repeated event id or a stale timer: acknowledged, no effect
};

}  // namespace xyp
