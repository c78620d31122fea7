#include "adapters/redis/store.hpp"

#include <algorithm>
#include <chrono>

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

std::optional<timer_entry> timer_from_member(const std::string& member, std::int64_t due_ms) {
  // "<case id>/t<k>/<kind>|<applicant id>"
  const auto bar = member.rfind('|');
  if (bar == std::string::npos) return std::nullopt;
  const std::string id = member.substr(0, bar);
  const auto kind_at = id.rfind('/');
  if (kind_at == std::string::npos || kind_at == 0) return std::nullopt;
  const auto seq_at = id.rfind("/t", kind_at - 1);
  if (seq_at == std::string::npos || seq_at == 0) return std::nullopt;
  const auto kind = clock_kind_from(std::string_view(id).substr(kind_at + 1));
  if (!kind) return std::nullopt;
  return timer_entry{id, id.substr(0, seq_at), member.substr(bar + 1), *kind, from_ms(due_ms)};
}

redis_store::redis_store(const partition_keys& keys, clock_mode mode, store_limits limits,
                         commit_limits commit)
    : keys_(keys), mode_(mode), limits_(limits), pending_(keys_, commit) {}

void redis_store::touch(const cached_case& c) const {
  lru_.splice(lru_.begin(), lru_, c.used);
}

std::optional<std::uint64_t> redis_store::applied_fingerprint(const std::string& event_id) const {
  const auto it = applied_.find(event_id);
  return it == applied_.end() ? std::nullopt : it->second;
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
  const auto it = credits_.find(applicant_id);
  return it == credits_.end() ? std::nullopt : it->second;
}

std::vector<std::string> redis_store::case_ids_of(const std::string& applicant_id) const {
  const auto it = cases_of_.find(applicant_id);
  return it == cases_of_.end() ? std::vector<std::string>{} : it->second;
}

bool redis_store::holds_case(const std::string& case_id) const {
  return cases_.contains(case_id);
}

bool redis_store::holds_credit(const std::string& applicant_id) const {
  return credits_.contains(applicant_id);
}

bool redis_store::holds_cases_of(const std::string& applicant_id) const {
  return cases_of_.contains(applicant_id);
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
      entry ? std::string_view(entry->id) : std::string_view(),
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()),
      remember);

  for (const auto& w : unit.cases) {
    const auto& r = w.record;
    auto it = cases_.find(r.case_id);
    if (it == cases_.end()) {
      lru_.push_front(r.case_id);
      it = cases_.emplace(r.case_id, cached_case{std::nullopt, lru_.begin()}).first;
    } else {
      touch(it->second);
    }
    if (!it->second.record) {
      // A new case: its applicant's list grows.
      if (auto of = cases_of_.find(r.applicant_id); of != cases_of_.end()) {
        of->second.push_back(r.case_id);
      }
      created_[r.applicant_id].push_back(r.case_id);
    }
    it->second.record = r;
  }
  if (unit.credit) credits_[unit.credit->first] = unit.credit->second;
  auto drop_timer = [&](const std::string& id) {
    const auto it = timers_.find(id);
    if (it == timers_.end()) return;
    timer_due_.erase({to_ms(it->second.due), id});
    timers_.erase(it);
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
    applied_[unit.applied_event] = unit.applied_fingerprint;
  }
  if (unit.ledger_after != unit.ledger_before) ledger_ = unit.ledger_after;
  if (unit.clock_to && *unit.clock_to > clock_) clock_ = *unit.clock_to;
  units_.push_back(std::move(unit));
}

void redis_store::committed() {
  pending_.clear();
  units_.clear();
  fired_due_.clear();
  created_.clear();
  while (cases_.size() > limits_.cases) {
    cases_.erase(lru_.back());
    lru_.pop_back();
  }
  if (credits_.size() > limits_.credits) credits_.clear();
  if (cases_of_.size() > limits_.credits) cases_of_.clear();
  applied_.clear();  // per batch: credit reports are few
}

void redis_store::reset() {
  cases_.clear();
  lru_.clear();
  credits_.clear();
  cases_of_.clear();
  created_.clear();
  applied_.clear();
  timer_due_.clear();
  timers_.clear();
  horizon_ = INT64_MIN;
  ledger_ = 0;
  clock_ = instant{};
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

void redis_store::load_credit(const std::string& applicant_id,
                              std::optional<credit_snapshot> credit) {
  credits_.try_emplace(applicant_id, std::move(credit));
}

void redis_store::load_cases_of(const std::string& applicant_id,
                                std::vector<std::string> case_ids) {
  // Cases created in the uncommitted batch are not in Redis yet.
  if (const auto it = created_.find(applicant_id); it != created_.end()) {
    for (const auto& id : it->second) {
      if (std::find(case_ids.begin(), case_ids.end(), id) == case_ids.end()) case_ids.push_back(id);
    }
  }
  cases_of_.try_emplace(applicant_id, std::move(case_ids));
}

void redis_store::load_applied(const std::string& event_id,
                               std::optional<std::uint64_t> fingerprint) {
  applied_.try_emplace(event_id, fingerprint);
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
