#pragma once
// One owned partition as the Redis runtime holds it in memory: a bounded cache of its cases
// (least recently used out first), what it knows of credits, applicants' cases and applied ids,
// a window of its earliest pending timers, and the batch of writes not yet committed. It only
// stores: engine/partition_loop decides what to apply, the runtime fetches what it lacks.
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
#include "engine/partition_loop.hpp"

namespace xyp::redis {

struct store_limits {
  std::size_t cases = 10'000;         // cases kept in memory between batches
  std::size_t credits = 20'000;       // credits and applicants' case lists kept
  std::size_t timer_window = 10'000;  // pending timers read from Redis at a time
};

// A member of the partition's timer set ("<case id>/t<k>/<kind>|<applicant id>") and its score,
// read back as the timer; nothing for a member of another form.
std::optional<timer_entry> timer_from_member(const std::string& member, std::int64_t due_ms);

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
  void load_credit(const std::string& applicant_id, std::optional<credit_snapshot> credit);
  void load_cases_of(const std::string& applicant_id, std::vector<std::string> case_ids);
  // Nothing: not applied; 0: applied, its fingerprint not kept.
  void load_applied(const std::string& event_id, std::optional<std::uint64_t> fingerprint);
  // The next timers after the window, as ZRANGE ... WITHSCORES returned them (member, due ms),
  // and whether they are all there are.
  void load_timers(const std::vector<std::pair<std::string, std::int64_t>>& timers, bool all);
  // Where the next window starts: timers due after this (ms) are not held.
  std::int64_t timer_horizon() const { return horizon_; }
  void set_wall_clock(instant now) { wall_ = now; }
  // The earliest held timer's due time, if any.
  std::optional<instant> next_due() const;

  batch_commit& pending() { return pending_; }
  const std::vector<commit_unit>& pending_units() const { return units_; }
  // The due times of the timers the pending batch fires.
  const std::vector<instant>& fired_due() const { return fired_due_; }
  // The pending batch is durable: forget it, and trim the caches to their bounds.
  void committed();

  std::size_t cached_cases() const { return cases_.size(); }
  std::size_t held_timers() const { return timer_due_.size(); }

 private:
  struct cached_case {
    std::optional<case_record> record;
    std::list<std::string>::iterator used;
  };
  void touch(const cached_case& c) const;
  std::string member_of(const commit_unit& unit, const std::string& timer_id) const;

  partition_keys keys_;
  clock_mode mode_;
  store_limits limits_;
  mutable std::unordered_map<std::string, cached_case> cases_;
  mutable std::list<std::string> lru_;  // most recently used first
  std::unordered_map<std::string, std::optional<credit_snapshot>> credits_;
  std::unordered_map<std::string, std::vector<std::string>> cases_of_;
  std::unordered_map<std::string, std::vector<std::string>> created_;  // in the pending batch
  std::unordered_map<std::string, std::optional<std::uint64_t>> applied_;
  std::set<std::pair<std::int64_t, std::string>> timer_due_;  // (due ms, timer id)
  std::unordered_map<std::string, timer_entry> timers_;
  std::int64_t horizon_ = INT64_MIN;  // every pending timer due at or before this is held
  std::uint64_t ledger_ = 0;
  instant clock_{};
  instant wall_{};
  batch_commit pending_;
  std::vector<commit_unit> units_;
  std::vector<instant> fired_due_;
};

// Reads a timer back from its member and score; nothing when the member is not one of ours.
std::optional<timer_entry> timer_from_member(const std::string& member, std::int64_t due_ms);

}  // namespace xyp::redis
