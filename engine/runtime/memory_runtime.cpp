#include "engine/runtime/memory_runtime.hpp"

#include <cassert>

#include "engine/domain/partition.hpp"

namespace xyp {

std::optional<std::uint64_t> memory_partition::applied_fingerprint(
    const std::string& event_id) const {
  const auto it = applied_.find(event_id);
  if (it == applied_.end()) return std::nullopt;
  return it->second;
}

std::optional<case_record> memory_partition::find_case(const std::string& case_id) const {
  const auto it = cases_.find(case_id);
  if (it == cases_.end()) return std::nullopt;
  return it->second;
}

std::optional<credit_snapshot> memory_partition::find_credit(
    const std::string& applicant_id) const {
  const auto it = credits_.find(applicant_id);
  if (it == credits_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> memory_partition::case_ids_of(const std::string& applicant_id) const {
  const auto it = cases_by_applicant_.find(applicant_id);
  if (it == cases_by_applicant_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

bool memory_partition::commit(const commit_unit& unit) {
  for (const auto& w : unit.cases) {
    const auto it = cases_.find(w.record.case_id);
    const std::uint64_t stored = it == cases_.end() ? 0 : it->second.version;
    if (stored != w.expected_version) return false;
  }
  if (unit.ledger_after != unit.ledger_before && ledger_count_ != unit.ledger_before) return false;

  for (const auto& w : unit.cases) {
    cases_by_applicant_[w.record.applicant_id].insert(w.record.case_id);
    cases_[w.record.case_id] = w.record;
  }
  if (unit.credit) credits_[unit.credit->first] = unit.credit->second;
  for (const auto& id : unit.timers_cancelled) {
    const auto it = timers_by_id_.find(id);
    if (it == timers_by_id_.end()) continue;
    timers_by_due_.erase({it->second.due, id});
    timers_by_id_.erase(it);
  }
  if (!unit.consumed_timer.empty()) {
    const auto it = timers_by_id_.find(unit.consumed_timer);
    if (it != timers_by_id_.end()) {
      timers_by_due_.erase({it->second.due, it->first});
      timers_by_id_.erase(it);
    }
  }
  for (const auto& t : unit.timers_set) {
    timers_by_due_.insert({t.due, t.id});
    timers_by_id_[t.id] = t;
  }
  if (!unit.applied_event.empty()) applied_.emplace(unit.applied_event, unit.applied_fingerprint);
  if (unit.ledger_after != unit.ledger_before) ledger_count_ = unit.ledger_after;
  if (unit.clock_to && *unit.clock_to > clock_) clock_ = *unit.clock_to;
  return true;
}

void memory_partition::load_case(case_record record) {
  cases_by_applicant_[record.applicant_id].insert(record.case_id);
  const std::string id = record.case_id;
  cases_[id] = std::move(record);
}

void memory_partition::load_credit(const std::string& applicant_id, credit_snapshot credit) {
  credits_[applicant_id] = std::move(credit);
}

void memory_partition::load_case_ids(const std::string& applicant_id,
                                     const std::vector<std::string>& case_ids) {
  cases_by_applicant_[applicant_id].insert(case_ids.begin(), case_ids.end());
}

const case_record* memory_partition::peek_case(const std::string& case_id) const {
  const auto it = cases_.find(case_id);
  return it == cases_.end() ? nullptr : &it->second;
}

std::vector<timer_entry> memory_partition::due_timers(instant until, std::size_t limit) const {
  std::vector<timer_entry> due;
  for (auto it = timers_by_due_.begin(); it != timers_by_due_.end() && due.size() < limit; ++it) {
    if (it->first > until) break;
    due.push_back(timers_by_id_.at(it->second));
  }
  return due;
}

void memory_partition::keep(commit_unit unit, const loop_entry*) {
  // One writer per partition: a conflict here is a defect, not a race.
  const bool committed = commit(unit);
  assert(committed && "version conflict in the single-writer in-memory runtime");
  (void)committed;
  if (on_keep_) on_keep_(unit);
}

std::optional<timer_entry> memory_partition::next_due_timer() const {
  if (timers_by_due_.empty()) return std::nullopt;
  const auto& [due, id] = *timers_by_due_.begin();
  if (due > clock_) return std::nullopt;
  return timers_by_id_.at(id);
}

std::vector<timer_entry> memory_partition::pending_timer_list() const {
  std::vector<timer_entry> timers;
  timers.reserve(timers_by_due_.size());
  for (const auto& [due, id] : timers_by_due_) timers.push_back(timers_by_id_.at(id));
  return timers;
}

memory_runtime::memory_runtime(const case_processor& processor, std::uint32_t partitions)
    : processor_(processor) {
  assert(partitions > 0);
  partitions_.reserve(partitions);
  loops_.reserve(partitions);
  for (std::uint32_t n = 0; n < partitions; ++n) {
    partitions_.emplace_back(n);
    loops_.emplace_back(processor);
  }
  for (std::uint32_t n = 0; n < partitions; ++n) {
    partitions_[n].set_listener([this, n](const commit_unit& unit) {
      if (on_commit_) on_commit_(n, unit);
    });
  }
}

void memory_runtime::run_loop(std::uint32_t n) {
  const auto needs = loops_[n].run(partitions_[n]);
  assert(needs.empty() && "the in-memory store holds everything");
  (void)needs;
}

void memory_runtime::submit(std::string_view raw) {
  const auto entry = make_entry("", std::string(raw));
  for (const auto n : partitions_of(entry, partitions())) {
    const auto* event = std::get_if<inbound_event>(&entry.parsed);
    if (events_clock_ && event != nullptr && event->type != event_type::clock_advance) {
      // Time follows the event: what fell due before it fires first.
      partitions_[n].advance_clock(event->at);
      loops_[n].fire_until(partitions_[n].now());
      run_loop(n);
    }
    loops_[n].feed({entry});
    run_loop(n);
  }
}

void memory_runtime::recalendar() {
  for (std::uint32_t n = 0; n < partitions(); ++n) {
    // A snapshot: the timers a recount sets are counted on the new calendar already.
    for (const auto& timer : partitions_[n].pending_timer_list()) {
      auto unit = processor_.recalendar(timer, partitions_[n]);
      if (!unit.ignored) partitions_[n].keep(std::move(unit), nullptr);
    }
    loops_[n].fire_until(partitions_[n].now());
    run_loop(n);
  }
}

}  // namespace xyp
