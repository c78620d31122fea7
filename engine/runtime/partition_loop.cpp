#include "engine/runtime/partition_loop.hpp"

#include <algorithm>

#include "engine/domain/partition.hpp"

namespace xyp {
namespace {

const inbound_event* event_of(const loop_entry& e) {
  return std::get_if<inbound_event>(&e.parsed);
}

bool is_clock_advance(const loop_entry& e) {
  const auto* event = event_of(e);
  return event && event->type == event_type::clock_advance;
}

bool is_case_event(const inbound_event& e) {
  return e.type != event_type::clock_advance && e.type != event_type::credit_update;
}

// The history entry an event id left on its case, if any.
const history_entry* history_of(const case_record& r, const std::string& event_id) {
  const auto it = std::find_if(r.history.begin(), r.history.end(),
                               [&](const history_entry& h) { return h.event_id == event_id; });
  return it == r.history.end() ? nullptr : &*it;
}

}  // namespace

loop_entry make_entry(std::string id, std::string raw, std::size_t max_bytes) {
  loop_entry e{std::move(id), std::move(raw), {}};
  e.parsed = parse_envelope(e.raw, max_bytes);
  return e;
}

partition_range partitions_of(const loop_entry& entry, std::uint32_t partitions) {
  return partitions_for(entry.parsed, entry.raw, partitions);
}

void partition_loop::feed(std::vector<loop_entry> entries) {
  if (next_ >= entries_.size()) {
    entries_ = std::move(entries);
    next_ = 0;
    return;
  }
  for (auto& e : entries) entries_.push_back(std::move(e));
}

void partition_loop::reset() {
  entries_.clear();
  next_ = 0;
  firing_until_.reset();
}

// Adds to `needs` what applying `e` reads that the store does not hold; true when it holds all.
bool partition_loop::needs_for(const loop_entry& e, const partition_store& store,
                               store_needs& needs) const {
  const auto* event = event_of(e);
  if (!event) return true;
  bool held = true;
  auto need_case = [&](const std::string& id) {
    if (!store.holds_case(id)) {
      needs.cases.insert(id);
      held = false;
    }
  };
  if (event->type == event_type::credit_update) {
    if (!store.holds_applied(event->id)) {
      needs.applied.insert(event->id);
      held = false;
    }
    if (!store.holds_credit(event->applicant_id)) {
      needs.credits.insert(event->applicant_id);
      held = false;
    }
    if (!store.holds_cases_of(event->applicant_id)) {
      needs.cases_of.insert(event->applicant_id);
      held = false;
    } else {
      for (const auto& id : store.case_ids_of(event->applicant_id)) need_case(id);
    }
  } else if (is_case_event(*event)) {
    need_case(event->case_id);
    if (!store.holds_credit(event->applicant_id)) {
      needs.credits.insert(event->applicant_id);
      held = false;
    }
  }
  return held;
}

commit_unit partition_loop::apply(const loop_entry& e, const partition_store& store) const {
  if (const auto* refused = std::get_if<rejection>(&e.parsed)) {
    commit_unit unit;
    unit.dead = dead_letter{e.raw, refused->code, refused->detail};
    return unit;
  }
  const auto& event = std::get<inbound_event>(e.parsed);
  // A repeated id is acknowledged and ignored, or an id_conflict when its envelope is another: a
  // case event's id is in its case's history, a credit report's in the store's applied ids; a
  // clock.advance moves time only forwards anyway.
  std::optional<std::uint64_t> applied_with;
  if (is_case_event(event)) {
    const case_record* record = store.peek_case(event.case_id);
    if (const history_entry* h = record ? history_of(*record, event.id) : nullptr) {
      applied_with = h->fingerprint;
    }
  } else if (event.type == event_type::credit_update) {
    applied_with = store.applied_fingerprint(event.id);
  }
  if (applied_with) return processor_.repeated(event, e.raw, *applied_with);
  return processor_.apply(event, e.raw, store);
}

store_needs partition_loop::needs_ahead(const partition_store& store) const {
  store_needs needs;
  if (firing_until_) return needs;
  const std::size_t end = std::min(entries_.size(), next_ + lookahead);
  for (std::size_t i = next_; i < end && !(i > next_ && is_clock_advance(entries_[i])); ++i) {
    needs_for(entries_[i], store, needs);
  }
  return needs;
}

store_needs partition_loop::run(partition_store& store, std::size_t budget) {
  store_needs needs;
  for (std::size_t kept = 0; kept < budget; ++kept) {
    if (firing_until_) {
      if (!store.holds_timers_until(*firing_until_)) {
        needs.timers = true;
        return needs;
      }
      auto due = store.due_timers(*firing_until_, 1);
      if (due.empty()) {
        firing_until_.reset();
        --kept;
        continue;
      }
      if (!store.holds_case(due.front().case_id)) {
        // A storm: fetch the cases of the next due timers in one go.
        for (const auto& t : store.due_timers(*firing_until_, timer_prefetch)) {
          if (!store.holds_case(t.case_id)) needs.cases.insert(t.case_id);
        }
        return needs;
      }
      store.keep(processor_.fire(due.front(), store), nullptr);
      continue;
    }
    if (next_ >= entries_.size()) {
      entries_.clear();
      next_ = 0;
      return needs;
    }
    const auto& e = entries_[next_];
    if (!needs_for(e, store, needs)) {
      // Ask for what the rest of the segment reads too: one fetch per segment.
      const std::size_t end = std::min(entries_.size(), next_ + lookahead);
      for (std::size_t i = next_ + 1; i < end && !is_clock_advance(entries_[i]); ++i) {
        needs_for(entries_[i], store, needs);
      }
      return needs;
    }
    auto unit = apply(e, store);
    const bool moves_clock = unit.clock_to.has_value();
    store.keep(std::move(unit), &e);
    ++next_;
    if (moves_clock) firing_until_ = store.now();
  }
  return needs;
}

}  // namespace xyp
