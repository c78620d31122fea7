#pragma once
// The rules of a partition's loop, written once for every store: entries are applied in order;
// a clock.advance ends a segment and every timer it makes due fires, in due order, before the next
// entry; a repeated event id is acknowledged and has no effect. The loop computes against a store
// (the in-memory one of replay, or the Redis runtime's cache) through partition_store, which only
// stores: when the store does not hold what the next step reads, the loop stops and says what to
// fetch, and the caller fetches it and runs the loop again.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/domain/partition.hpp"
#include "engine/runtime/processor.hpp"

namespace xyp {

// One inbound entry as read: its stream id (empty in memory), the raw envelope, parsed once.
struct loop_entry {
  std::string id;
  std::string raw;
  parse_result parsed;
};
// An entry above max_bytes is refused unparsed (a schema_violation dead letter).
loop_entry make_entry(std::string id, std::string raw,
                      std::size_t max_bytes = default_max_envelope_bytes);

// The contract's partition rule (partitions_for) applied to an entry.
partition_range partitions_of(const loop_entry& entry, std::uint32_t partitions);

// A partition's state as the loop reads and changes it. "holds" says whether the view has all
// there is to know about something (a store holding everything always says yes; a cache says yes
// for what it has fetched, including "there is none").
class partition_store : public partition_view {
 public:
  virtual bool holds_case(const std::string& case_id) const = 0;
  virtual bool holds_credit(const std::string& applicant_id) const = 0;
  virtual bool holds_cases_of(const std::string& applicant_id) const = 0;
  // Whether applied_fingerprint() knows about this id (asked for events that are not case events).
  virtual bool holds_applied(const std::string& event_id) const = 0;
  // Whether the store holds the earliest pending timer, or knows there is none due by `until`.
  virtual bool holds_timers_until(instant until) const = 0;
  // Up to `limit` pending timers due at or before `until`, by (due, id).
  virtual std::vector<timer_entry> due_timers(instant until, std::size_t limit) const = 0;
  // Applies a unit to the view and keeps it for the durable commit. `entry` is the inbound entry
  // the unit acknowledges, null for a timer.
  virtual void keep(commit_unit unit, const loop_entry* entry) = 0;
};

// What the store must fetch before the loop can go on.
struct store_needs {
  std::set<std::string> cases;
  std::set<std::string> credits;
  std::set<std::string> cases_of;
  std::set<std::string> applied;
  bool timers = false;  // the store's pending timers, beyond what it holds
  bool empty() const {
    return cases.empty() && credits.empty() && cases_of.empty() && applied.empty() && !timers;
  }
};

class partition_loop {
 public:
  explicit partition_loop(const case_processor& processor) : processor_(processor) {}

  // Entries to apply after those fed before.
  void feed(std::vector<loop_entry> entries);
  // Fires every timer due at or before `until` before the next entry (the system clock's wake-up).
  void fire_until(instant until) { firing_until_ = until; }

  // Applies what it can, at most `budget` units. Returns what the store must fetch before run()
  // is called again; nothing when it stopped for the budget or is idle().
  store_needs run(partition_store& store, std::size_t budget = SIZE_MAX);

  // What the entries fed and not yet applied read that the store does not hold, up to the next
  // clock.advance, without applying anything: for a store that fetches it while it has nothing
  // else to wait for (the Redis runtime, before it sends a commit).
  store_needs needs_ahead(const partition_store& store) const;

  bool idle() const { return next_ >= entries_.size() && !firing_until_; }
  // Drops what was fed and not applied (the store was refused, or is starting over).
  void reset();

  // How many due timers the loop asks the store to fetch at once during a storm.
  static constexpr std::size_t timer_prefetch = 256;
  // How many entries ahead the loop looks when it asks for what a segment reads.
  static constexpr std::size_t lookahead = 4096;

 private:
  bool needs_for(const loop_entry& e, const partition_store& store, store_needs& needs) const;
  commit_unit apply(const loop_entry& e, const partition_store& store) const;

  const case_processor& processor_;
  std::vector<loop_entry> entries_;
  std::size_t next_ = 0;
  std::optional<instant> firing_until_;
};

}  // namespace xyp
