#pragma once
// What applying one event or one timer produces: one unit that a store commits atomically.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/domain/case_record.hpp"
#include "engine/domain/event.hpp"
#include "engine/domain/json_text.hpp"
#include "engine/domain/ledger_record.hpp"

namespace xyp {

// What the adapters read of some outbound events on every commit, kept beside their data so that
// nothing on the hot path parses it again: a transition's states (no `from` for a new case), and a
// ledger row's number and values (its day, YYYY-MM-DD, keys the store's ledger by date; the store
// keeps the values in the compact form of engine/domain/ledger_record). The same builder writes
// both, from the same values.
struct transition_facts {
  std::optional<case_state> from;
  case_state to = case_state::applied;
};
struct ledger_facts {
  std::uint64_t no = 0;
  ledger_record row;
};
using outbound_facts = std::variant<std::monostate, transition_facts, ledger_facts>;

// An outbound envelope of CONTRACT.md. Its id is derived from its cause, so a replay of the same
// input yields the same ids. Its data is JSON text, written once by the builder (keys sorted, as
// nlohmann/json's dump wrote them): data.parsed() gives a DOM off the hot path.
struct outbound_event {
  std::string id;
  std::string type;
  std::string applicant_id;
  std::string case_id;
  instant at;
  std::string cause;
  json_text data;
  outbound_facts facts;
};
nlohmann::json to_json(const outbound_event& e);

// A durable timer: the store keeps it until it fires or is cancelled.
struct timer_entry {
  std::string id;
  std::string case_id;
  std::string applicant_id;
  clock_kind kind = clock_kind::decision;
  instant due;
};
nlohmann::json to_json(const timer_entry& t);
timer_entry timer_from_json(const nlohmann::json& j);

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
