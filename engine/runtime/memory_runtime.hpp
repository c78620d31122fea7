#pragma once
// The runtime with every partition held in memory: the replay CLI's engine and the reference
// that the Redis runtime's crash tests compare against.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/runtime/partition_loop.hpp"
#include "engine/runtime/processor.hpp"

namespace xyp {

// One partition's state in memory, behind the store port the Redis store implements too. It
// holds everything, so the loop never has to wait for it.
class memory_partition final : public partition_store {
 public:
  explicit memory_partition(std::uint32_t number) : number_(number) {}
  bool holds_case(const std::string&) const override { return true; }
  const case_record* peek_case(const std::string& case_id) const override;
  bool holds_credit(const std::string&) const override { return true; }
  bool holds_cases_of(const std::string&) const override { return true; }
  bool holds_applied(const std::string&) const override { return true; }
  bool holds_timers_until(instant) const override { return true; }
  std::vector<timer_entry> due_timers(instant until, std::size_t limit) const override;
  // Commits the unit (a conflict is a defect here: one writer) and tells the listener.
  void keep(commit_unit unit, const loop_entry* entry) override;
  void set_listener(std::function<void(const commit_unit&)> on_keep) {
    on_keep_ = std::move(on_keep);
  }

  std::optional<std::uint64_t> applied_fingerprint(const std::string& event_id) const override;
  std::optional<case_record> find_case(const std::string& case_id) const override;
  std::optional<credit_snapshot> find_credit(const std::string& applicant_id) const override;
  std::vector<std::string> case_ids_of(const std::string& applicant_id) const override;
  std::uint64_t ledger_count() const override { return ledger_count_; }
  std::uint32_t partition() const override { return number_; }
  instant now() const override { return clock_; }

  // Commits a unit as the Redis script does: all of it or, on a version conflict, none of it.
  // Returns false on a conflict.
  bool commit(const commit_unit& unit);

  // The earliest armed timer due at or before the clock, by due time then id.
  std::optional<timer_entry> next_due_timer() const;
  // Every pending timer, by due time then id.
  std::vector<timer_entry> pending_timer_list() const;

  // Loading state read from elsewhere (the Redis runtime's per-batch overlay).
  void load_case(case_record record);
  void load_credit(const std::string& applicant_id, credit_snapshot credit);
  void load_case_ids(const std::string& applicant_id, const std::vector<std::string>& case_ids);
  void load_applied(const std::string& event_id, std::uint64_t fingerprint) {
    applied_.emplace(event_id, fingerprint);
  }
  void load_ledger_count(std::uint64_t count) { ledger_count_ = count; }
  void load_clock(instant now) { clock_ = now; }
  // Time moves forward to `to`, never back (the replay's clock that follows the events).
  void advance_clock(instant to) { clock_ = std::max(clock_, to); }

  const std::unordered_map<std::string, case_record>& cases() const { return cases_; }
  std::size_t pending_timers() const { return timers_by_id_.size(); }

 private:
  std::unordered_map<std::string, case_record> cases_;
  std::unordered_map<std::string, credit_snapshot> credits_;
  std::unordered_map<std::string, std::set<std::string>> cases_by_applicant_;
  std::unordered_map<std::string, std::uint64_t> applied_;  // event id, its fingerprint
  std::set<std::pair<instant, std::string>> timers_by_due_;
  std::unordered_map<std::string, timer_entry> timers_by_id_;
  std::uint32_t number_;
  std::uint64_t ledger_count_ = 0;
  instant clock_{};
  std::function<void(const commit_unit&)> on_keep_;
};

// Routes events to partitions and runs each partition's loop over its in-memory store.
class memory_runtime {
 public:
  // Called with every committed unit in commit order.
  using listener = std::function<void(std::uint32_t partition, const commit_unit&)>;

  memory_runtime(const case_processor& processor, std::uint32_t partitions);
  memory_runtime(const memory_runtime&) = delete;  // its partitions call back into it
  memory_runtime& operator=(const memory_runtime&) = delete;

  // With events_clock, time follows each event's own `at`: before an event is applied its
  // partition's clock moves to it (never back) and the timers due by then fire. Without it only
  // clock.advance moves time.
  void follow_event_time(bool events_clock) { events_clock_ = events_clock; }

  void set_listener(listener on_commit) { on_commit_ = std::move(on_commit); }

  // Applies one raw envelope: to its partition, or for clock.advance to every partition.
  void submit(std::string_view raw);

  // After a year's notice was loaded into the processor's calendar: every open clock counted
  // provisionally is counted again (case_processor::recalendar), partition by partition, each
  // partition's pending timers by due time then id; each unit is committed and reported to the
  // listener, and timers now due fire.
  void recalendar();

  std::uint32_t partitions() const { return static_cast<std::uint32_t>(partitions_.size()); }
  const memory_partition& partition(std::uint32_t n) const { return partitions_.at(n); }

 private:
  void run_loop(std::uint32_t n);

  const case_processor& processor_;
  std::vector<memory_partition> partitions_;
  std::vector<partition_loop> loops_;
  listener on_commit_;
  bool events_clock_ = false;
};

}  // namespace xyp
