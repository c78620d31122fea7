#pragma once
// One owned partition as the Redis runtime holds it in memory: a bounded cache of its cases
// (least recently used out first), the applicants' records (credit and the ids of the cases not
// closed), applied ids, a window of its earliest pending timers, and the batch of writes not yet
// committed. It only stores: engine/runtime/partition_loop decides what to apply, the runtime
// fetches what it lacks.
#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "adapters/redis/functions.hpp"
#include "adapters/redis/keys.hpp"
#include "engine/domain/applicant_record.hpp"
#include "engine/runtime/partition_loop.hpp"

namespace xyp::redis {

struct store_limits {
  std::size_t cases = 10'000;         // cases kept in memory between batches
  std::size_t credits = 20'000;       // applicants' records (credit and case ids) kept
  std::size_t timer_window = 10'000;  // pending timers read from Redis at a time
};

class redis_store final : public partition_store {
 public:
  redis_store(const partition_keys& keys, clock_mode mode, store_limits limits,
              commit_limits commit);
  redis_store(const redis_store&) = delete;  // its pending batch refers to its keys
  redis_store& operator=(const redis_store&) = delete;

  // partition_view
  std::optional<std::uint64_t> applied_fingerprint(const std::string& event_id) const override;
  std::optional<case_record> find_case(const std::string& case_id) const override;
  std::optional<credit_snapshot> find_credit(const std::string& applicant_id) const override;
  std::vector<std::string> case_ids_of(const std::string& applicant_id) const override;
  std::uint64_t ledger_count() const override { return ledger_; }
  instant now() const override { return mode_ == clock_mode::simulated ? clock_ : wall_; }
  std::uint32_t partition() const override { return keys_.partition(); }

  // partition_store
  bool holds_case(const std::string& case_id) const override;
  const case_record* peek_case(const std::string& case_id) const override;
  bool holds_credit(const std::string& applicant_id) const override;
  bool holds_cases_of(const std::string& applicant_id) const override;
  bool holds_applied(const std::string& event_id) const override;
  bool holds_timers_until(instant until) const override;
  std::vector<timer_entry> due_timers(instant until, std::size_t limit) const override;
  void keep(commit_unit unit, const loop_entry* entry) override;

  // What the runtime loads. A nullopt case or credit means there is none.
  void reset();  // forgets everything: the partition was lost or is taken anew
  void load_state(std::uint64_t ledger, instant clock);
  void load_case(const std::string& case_id, std::optional<case_record> record);
  // The applicant's record as Redis holds it (nothing: none), which gives both its credit and its
  // case ids: the store holds the two together, so that whatever a unit changes of an applicant
  // it can write the whole record. What a batch not yet landed wrote wins over what is read.
  void load_applicant(const std::string& applicant_id, std::optional<applicant_record> record);
  // Nothing: not applied; 0: applied, its fingerprint not kept.
  void load_applied(const std::string& event_id, std::optional<std::uint64_t> fingerprint);
  // The next timers after the window, as ZRANGE ... WITHSCORES returned them (member, due ms),
  // and whether they are all there are.
  void load_timers(const std::vector<std::pair<std::string, std::int64_t>>& timers, bool all);
  // Where the next window starts: timers due after this (ms) are not held.
  std::int64_t timer_horizon() const { return horizon_; }
  void set_wall_clock(instant now) { wall_ = now; }
  // What the commit time of an applied id is read from (it picks the id's day); empty: the
  // system clock. Tests move their own.
  void set_commit_clock(std::function<instant()> clock) { commit_clock_ = std::move(clock); }
  // The commit clock now: what an applied id's day is taken from, here and in the runtime's
  // fetch and trim.
  instant commit_now() const;
  // The earliest held timer's due time, if any.
  std::optional<instant> next_due() const;

  // The cases of the held timers due at or before `until` that this has not been asked about
  // before (the timers in due order, from where the last call stopped), up to `limit` timers held
  // for at once: each such timer's case is held until the timer fires or is cancelled, however
  // full the cache (the eviction passes it over). Returns the cases among them the store does not
  // hold, to fetch: the Redis runtime fetches the cases of the timers about to come due while it
  // waits for them (the system clock's look-ahead).
  std::vector<std::string> cases_due_by(instant until, std::size_t limit);
  // Cases held for timers about to fire, and the timers they are held for.
  std::size_t pinned_cases() const { return pinned_cases_.size(); }
  std::size_t pinned_timers() const { return pinned_timers_.size(); }

  batch_commit& pending() { return pending_; }
  // The units kept since the last sent(), as the observer hears them: without their `cases`,
  // which keep() moved into the cache once the commit had them.
  const std::vector<commit_unit>& pending_units() const { return units_; }
  // The due times of the timers the pending batch fires.
  const std::vector<instant>& fired_due() const { return fired_due_; }
  // The pending batch is on its way to Redis: the store starts an empty batch. What the batch
  // wrote stays in memory until it has landed (landed()), so that what the runtime reads from
  // Redis meanwhile, on any connection, is never older than what the engine holds. Returns the
  // batch's units and the due times of the timers it fires, to report once it has landed.
  struct sent_batch {
    std::vector<commit_unit> units;
    std::vector<instant> fired_due;
  };
  sent_batch sent();
  // The batch sent last is in Redis: the caches are trimmed to their bounds, keeping whatever a
  // batch not yet landed wrote.
  void landed();

  std::size_t cached_cases() const { return cases_.size(); }
  std::size_t held_timers() const { return timer_due_.size(); }

 private:
  // Batches are numbered from 1; `written` is the batch that last wrote an entry (0: read from
  // Redis), which keeps it in memory until that batch has landed.
  struct cached_case {
    std::optional<case_record> record;
    std::list<std::string>::iterator used;
    std::uint64_t written = 0;
  };
  struct cached_applicant {
    applicant_record record;
    std::uint64_t written = 0;
  };
  struct known_applied {
    std::optional<std::uint64_t> fingerprint;  // nothing: not applied; 0: applied, none kept
    std::uint64_t written = 0;
  };
  bool unlanded(std::uint64_t written) const { return written > landed_; }
  void touch(const cached_case& c) const;
  std::string member_of(const commit_unit& unit, const std::string& timer_id) const;
  void unpin_timer(const std::string& timer_id);

  partition_keys keys_;
  clock_mode mode_;
  store_limits limits_;
  mutable std::unordered_map<std::string, cached_case> cases_;
  mutable std::list<std::string> lru_;  // most recently used first
  // An applicant written by a batch not yet landed stays, so a read of its record from Redis
  // meanwhile (older than the batch) never replaces it.
  std::unordered_map<std::string, cached_applicant> applicants_;
  std::unordered_map<std::string, known_applied> applied_;
  std::set<std::pair<std::int64_t, std::string>> timer_due_;  // (due ms, timer id)
  std::unordered_map<std::string, timer_entry> timers_;
  std::int64_t horizon_ = INT64_MIN;  // every pending timer due at or before this is held
  // The look-ahead's pins: timer id -> its case, and per case how many of its timers hold it;
  // the last (due ms, timer id) cases_due_by() went through.
  std::unordered_map<std::string, std::string> pinned_timers_;
  std::unordered_map<std::string, std::uint32_t> pinned_cases_;
  std::optional<std::pair<std::int64_t, std::string>> looked_ahead_to_;
  std::uint64_t ledger_ = 0;
  instant clock_{};
  instant wall_{};
  std::function<instant()> commit_clock_;
  std::uint64_t batch_ = 1;   // the pending batch's number
  std::uint64_t landed_ = 0;  // every batch up to this one is in Redis
  batch_commit pending_;
  std::vector<commit_unit> units_;
  std::vector<instant> fired_due_;
};

}  // namespace xyp::redis
