#include "adapters/redis/store.hpp"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <stdexcept>
#include <utility>

namespace xyp::redis {
namespace {

std::int64_t to_ms(instant t) {
  return t.time_since_epoch().count();
}

instant from_ms(std::int64_t ms) {
  return instant{std::chrono::milliseconds{ms}};
}

bool is_credit_update(const loop_entry* entry) {
  if (!entry) return false;
  const auto* event = std::get_if<inbound_event>(&entry->parsed);
  return event && event->type == event_type::credit_update;
}

}  // namespace

redis_store::redis_store(const partition_keys& keys, clock_mode mode, store_limits limits,
                         commit_limits commit)
    : keys_(keys), mode_(mode), limits_(limits), pending_(keys_, commit) {}

void redis_store::touch(const cached_case& c) const {
  lru_.splice(lru_.begin(), lru_, c.used);
}

std::optional<std::uint64_t> redis_store::applied_fingerprint(const std::string& event_id) const {
  const auto it = applied_.find(event_id);
  return it == applied_.end() ? std::nullopt : it->second.fingerprint;
}

const case_record* redis_store::peek_case(const std::string& case_id) const {
  const auto it = cases_.find(case_id);
  if (it == cases_.end() || !it->second.record) return nullptr;
  touch(it->second);
  return &*it->second.record;
}

std::optional<case_record> redis_store::find_case(const std::string& case_id) const {
  const auto* record = peek_case(case_id);
  if (!record) return std::nullopt;
  return *record;
}

std::optional<credit_snapshot> redis_store::find_credit(const std::string& applicant_id) const {
  const auto it = applicants_.find(applicant_id);
  return it == applicants_.end() ? std::nullopt : it->second.record.credit;
}

std::vector<std::string> redis_store::case_ids_of(const std::string& applicant_id) const {
  const auto it = applicants_.find(applicant_id);
  return it == applicants_.end() ? std::vector<std::string>{} : it->second.record.case_ids;
}

instant redis_store::commit_now() const {
  return commit_clock_ ? commit_clock_()
                       : std::chrono::time_point_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now());
}

bool redis_store::holds_case(const std::string& case_id) const {
  return cases_.contains(case_id);
}

bool redis_store::holds_credit(const std::string& applicant_id) const {
  return applicants_.contains(applicant_id);
}

bool redis_store::holds_cases_of(const std::string& applicant_id) const {
  return applicants_.contains(applicant_id);
}

bool redis_store::holds_applied(const std::string& event_id) const {
  return applied_.contains(event_id);
}

bool redis_store::holds_timers_until(instant until) const {
  // Every pending timer due by the horizon is held: the earliest held one is the earliest of all.
  return !timer_due_.empty() || horizon_ >= to_ms(until);
}

std::vector<timer_entry> redis_store::due_timers(instant until, std::size_t limit) const {
  std::vector<timer_entry> due;
  const auto until_ms = to_ms(until);
  for (auto it = timer_due_.begin(); it != timer_due_.end() && due.size() < limit; ++it) {
    if (it->first > until_ms) break;
    due.push_back(timers_.at(it->second));
  }
  return due;
}

std::optional<instant> redis_store::next_due() const {
  if (timer_due_.empty()) return std::nullopt;
  return from_ms(timer_due_.begin()->first);
}

std::vector<std::string> redis_store::cases_due_by(instant until, std::size_t limit) {
  std::vector<std::string> missing;
  const auto until_ms = to_ms(until);
  auto it = looked_ahead_to_ ? timer_due_.upper_bound(*looked_ahead_to_) : timer_due_.begin();
  for (; it != timer_due_.end() && it->first <= until_ms && pinned_timers_.size() < limit; ++it) {
    const auto& t = timers_.at(it->second);
    looked_ahead_to_ = *it;
    if (!pinned_timers_.try_emplace(t.id, t.case_id).second) continue;
    if (++pinned_cases_[t.case_id] == 1 && !cases_.contains(t.case_id)) {
      missing.push_back(t.case_id);
    }
  }
  return missing;
}

void redis_store::unpin_timer(const std::string& timer_id) {
  const auto it = pinned_timers_.find(timer_id);
  if (it == pinned_timers_.end()) return;
  const auto c = pinned_cases_.find(it->second);
  if (c != pinned_cases_.end() && --c->second == 0) pinned_cases_.erase(c);
  pinned_timers_.erase(it);
}

std::string redis_store::member_of(const commit_unit& unit, const std::string& timer_id) const {
  if (const auto it = timers_.find(timer_id); it != timers_.end()) {
    return timer_member(timer_id, it->second.applicant_id);
  }
  // A timer beyond the window: the case that cancels it is among the unit's cases.
  for (const auto& w : unit.cases) {
    const auto& id = w.record.case_id;
    if (timer_id.size() > id.size() && timer_id.compare(0, id.size(), id) == 0 &&
        timer_id[id.size()] == '/') {
      return timer_member(timer_id, w.record.applicant_id);
    }
  }
  return timer_member(timer_id, "");
}

void redis_store::keep(commit_unit unit, const loop_entry* entry) {
  const bool remember = is_credit_update(entry);
  pending_.add(
      unit, [this](const std::string& id) { return peek_case(id); },
      [&](const std::string& id) { return member_of(unit, id); },
      entry ? std::string_view(entry->id) : std::string_view(), commit_now(), remember);

  // The applicants whose record this unit changes: each is written whole, as the store holds it.
  std::vector<const std::string*> changed;
  auto applicant = [&](const std::string& id) -> applicant_record& {
    const auto it = applicants_.find(id);
    // The loop applies a unit only once the store holds what it reads: a case event's and a
    // credit report's applicant among it.
    if (it == applicants_.end()) {
      throw std::logic_error("a unit changed applicant " + id + ", whose record is not held");
    }
    it->second.written = batch_;
    if (std::find_if(changed.begin(), changed.end(), [&](const auto* c) { return *c == id; }) ==
        changed.end()) {
      changed.push_back(&it->first);
    }
    return it->second.record;
  };
  // The written cases move into the cache: the commit has encoded them, and nothing reads a
  // unit's cases after keep() (a copy here, and its destruction after the commit landed, were
  // ~4 % of the engine's CPU in the drain).
  for (auto& w : unit.cases) {
    auto& r = w.record;
    auto it = cases_.find(r.case_id);
    if (it == cases_.end()) {
      lru_.push_front(r.case_id);
      it = cases_.emplace(r.case_id, cached_case{std::nullopt, lru_.begin()}).first;
    } else {
      touch(it->second);
    }
    if (!it->second.record) {
      // A new case: its applicant's list grows (kept sorted: ids sharing a prefix store shorter).
      auto& ids = applicant(r.applicant_id).case_ids;
      const auto at = std::lower_bound(ids.begin(), ids.end(), r.case_id);
      if (at == ids.end() || *at != r.case_id) ids.insert(at, r.case_id);
    }
    // A closed case leaves its applicant's list (below), so that a record, and what a credit
    // report fetches, grows with the applicant's open cases, not with every case it ever had.
    if (is_final(r.state) && applicants_.contains(r.applicant_id)) applicant(r.applicant_id);
    it->second.record = std::move(r);
    it->second.written = batch_;
  }
  if (unit.credit) applicant(unit.credit->first).credit = unit.credit->second;
  for (const auto* id : changed) {
    auto& ids = applicants_.at(*id).record.case_ids;
    std::erase_if(ids, [this](const std::string& case_id) {
      const auto c = cases_.find(case_id);
      return c != cases_.end() && c->second.record && is_final(c->second.record->state);
    });
    pending_.put_applicant(*id, applicants_.at(*id).record);
  }
  unit.cases.clear();
  auto drop_timer = [&](const std::string& id) {
    const auto it = timers_.find(id);
    if (it == timers_.end()) return;
    timer_due_.erase({to_ms(it->second.due), id});
    timers_.erase(it);
    unpin_timer(id);
  };
  for (const auto& id : unit.timers_cancelled) drop_timer(id);
  if (!unit.consumed_timer.empty()) {
    if (const auto it = timers_.find(unit.consumed_timer); it != timers_.end()) {
      fired_due_.push_back(it->second.due);
    }
    drop_timer(unit.consumed_timer);
  }
  for (const auto& t : unit.timers_set) {
    if (to_ms(t.due) > horizon_) continue;  // beyond the window: Redis only, read back later
    drop_timer(t.id);
    timer_due_.insert({to_ms(t.due), t.id});
    timers_[t.id] = t;
  }
  if (remember && !unit.applied_event.empty()) {
    applied_[unit.applied_event] = known_applied{unit.applied_fingerprint, batch_};
  }
  if (unit.ledger_after != unit.ledger_before) ledger_ = unit.ledger_after;
  if (unit.clock_to && *unit.clock_to > clock_) clock_ = *unit.clock_to;
  units_.push_back(std::move(unit));
}

redis_store::sent_batch redis_store::sent() {
  sent_batch batch{std::exchange(units_, {}), std::exchange(fired_due_, {})};
  pending_.clear();
  ++batch_;
  return batch;
}

void redis_store::landed() {
  landed_ = batch_ - 1;
  // Least recently used out first; a case written by a batch still to land is kept (the written
  // ones were used last, so this stops only when nearly every cached case is one), and so is a
  // case held for a timer about to fire (moved to the front: passed over once per call).
  for (std::size_t passed = 0; cases_.size() > limits_.cases && passed < cases_.size();) {
    const auto it = cases_.find(lru_.back());
    if (unlanded(it->second.written)) break;
    if (pinned_cases_.contains(it->first)) {
      touch(it->second);
      ++passed;
      continue;
    }
    cases_.erase(it);
    lru_.pop_back();
  }
  // The timers held stay a window too: past twice its size, the latest go (they are in Redis, or
  // will be once the batch that set them lands, before any read of the window) and the horizon
  // comes down to just before the first of them.
  const std::size_t window = std::max<std::size_t>(limits_.timer_window, 1);
  if (timer_due_.size() > 2 * window) {
    const auto first_dropped = std::next(timer_due_.begin(), static_cast<std::ptrdiff_t>(window));
    horizon_ = first_dropped->first - 1;
    // The look-ahead starts again from the window's end for the timers read back into it.
    if (looked_ahead_to_ && looked_ahead_to_->first > horizon_) {
      looked_ahead_to_ = std::make_pair(horizon_, std::string());
    }
    for (auto it = first_dropped; it != timer_due_.end(); ++it) {
      timers_.erase(it->second);
      unpin_timer(it->second);
    }
    timer_due_.erase(first_dropped, timer_due_.end());
  }
  const auto landed_entry = [this](const auto& entry) { return !unlanded(entry.second.written); };
  if (applicants_.size() > limits_.credits) std::erase_if(applicants_, landed_entry);
  std::erase_if(applied_, landed_entry);  // credit reports are few: known for a batch or two
}

void redis_store::reset() {
  cases_.clear();
  lru_.clear();
  applicants_.clear();
  applied_.clear();
  timer_due_.clear();
  timers_.clear();
  pinned_timers_.clear();
  pinned_cases_.clear();
  looked_ahead_to_.reset();
  horizon_ = INT64_MIN;
  ledger_ = 0;
  clock_ = instant{};
  batch_ = 1;
  landed_ = 0;
  pending_.clear();
  units_.clear();
  fired_due_.clear();
}

void redis_store::load_state(std::uint64_t ledger, instant clock) {
  ledger_ = ledger;
  clock_ = clock;
}

void redis_store::load_case(const std::string& case_id, std::optional<case_record> record) {
  if (cases_.contains(case_id)) return;  // what the batch changed wins over what Redis had
  lru_.push_front(case_id);
  cases_.emplace(case_id, cached_case{std::move(record), lru_.begin()});
}

void redis_store::load_applicant(const std::string& applicant_id,
                                 std::optional<applicant_record> record) {
  // An applicant a batch not yet landed wrote is held (never trimmed before it lands): what Redis
  // answered may be older than it.
  applicants_.try_emplace(applicant_id,
                          cached_applicant{std::move(record).value_or(applicant_record{}), 0});
}

void redis_store::load_applied(const std::string& event_id,
                               std::optional<std::uint64_t> fingerprint) {
  applied_.try_emplace(event_id, known_applied{fingerprint, 0});
}

void redis_store::load_timers(const std::vector<std::pair<std::string, std::int64_t>>& timers,
                              bool all) {
  for (const auto& [member, due] : timers) {
    auto t = timer_from_member(member, due);
    if (!t) continue;
    timer_due_.insert({due, t->id});
    timers_[t->id] = std::move(*t);
  }
  if (all) {
    horizon_ = INT64_MAX;
  } else if (!timers.empty()) {
    horizon_ = std::max(horizon_, timers.back().second);
  }
}

}  // namespace xyp::redis
