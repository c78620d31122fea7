#pragma once
// What a case step produces besides its case: outbound events of CONTRACT.md and durable timers.
// The case machines (workflows/) make them, the runtime puts them into a commit unit
// (engine/runtime/commit_unit.hpp) and the stores keep them.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

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

}  // namespace xyp
