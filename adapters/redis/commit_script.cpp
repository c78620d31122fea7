#include "adapters/redis/commit_script.hpp"

#include <nlohmann/json.hpp>

namespace xyp::redis {
namespace {

// ARGV: the unit count, then per unit:
//   applied_key applied_id  timers_key timer_id  ack_key ack_id  meta_key ledger_before
//   nchecks (case_key version)*  nops (command key argc arg*)*
// Key fields are 1-based indexes into KEYS, 0 for none. Returns one status per unit attempted.
constexpr std::string_view script = R"lua(
local i = 2
local function take() local v = ARGV[i]; i = i + 1; return v end
local results = {}
for u = 1, tonumber(ARGV[1]) do
  local applied_key, applied_id = tonumber(take()), take()
  local timers_key, timer_id = tonumber(take()), take()
  local ack_key, ack_id = tonumber(take()), take()
  local meta_key, ledger_before = tonumber(take()), take()
  local status = 'ok'
  if applied_key > 0 and redis.call('ZSCORE', KEYS[applied_key], applied_id) then
    status = 'duplicate'
  elseif timers_key > 0 and not redis.call('ZSCORE', KEYS[timers_key], timer_id) then
    status = 'stale'
  elseif meta_key > 0 and (redis.call('HGET', KEYS[meta_key], 'ledger') or '0') ~= ledger_before then
    status = 'conflict'
  end
  local nchecks = tonumber(take())
  for c = 1, nchecks do
    local k, v = tonumber(take()), take()
    if status == 'ok' and (redis.call('HGET', KEYS[k], 'v') or '0') ~= v then status = 'conflict' end
  end
  if status == 'conflict' then
    results[#results + 1] = status
    return results
  end
  local nops = tonumber(take())
  for o = 1, nops do
    local command, k, argc = take(), tonumber(take()), tonumber(take())
    local args = {}
    for a = 1, argc do args[a] = take() end
    if status == 'ok' then redis.call(command, KEYS[k], unpack(args)) end
  end
  if ack_key > 0 and status ~= 'stale' then
    redis.call('XACK', KEYS[ack_key], 'engine', ack_id)
  end
  results[#results + 1] = status
end
return results
)lua";

std::string ms_text(instant t) {
  return std::to_string(t.time_since_epoch().count());
}

bool has_open_overdue(const case_record& r) {
  for (const auto& e : r.escalations) {
    if (e.open && e.level == "overdue") return true;
  }
  return false;
}

std::string escalation_member(const case_record& r, const escalation_record& e) {
  return r.case_id + "|" + std::string(to_string(e.clock)) + "|" + e.level;
}

std::string date_number(const std::string& yyyy_mm_dd) {
  std::string digits;
  for (char c : yyyy_mm_dd) {
    if (c != '-') digits += c;
  }
  return digits;
}

}  // namespace

std::string_view commit_script_source() {
  return script;
}

commit_status commit_status_from(std::string_view text) {
  if (text == "ok") return commit_status::ok;
  if (text == "duplicate") return commit_status::duplicate;
  if (text == "stale") return commit_status::stale;
  return commit_status::conflict;
}

commit_batch::commit_batch(const partition_keys& keys, commit_limits limits)
    : keys_(keys), limits_(limits) {
  args_.push_back("0");
}

std::string commit_batch::key(const std::string& name) {
  const auto [it, inserted] = key_index_.try_emplace(name, key_names_.size() + 1);
  if (inserted) key_names_.push_back(name);
  return std::to_string(it->second);
}

void commit_batch::op(std::vector<std::string>& ops, std::size_t& count, std::string_view command,
                      const std::string& key_name, std::initializer_list<std::string> args) {
  ops.emplace_back(command);
  ops.push_back(key(key_name));
  ops.push_back(std::to_string(args.size()));
  ops.insert(ops.end(), args.begin(), args.end());
  ++count;
}

void commit_batch::add(const commit_unit& unit, const partition_view& before,
                       std::string_view entry_id, instant wall) {
  // Checks.
  const bool marks_applied = !unit.applied_event.empty();
  args_.push_back(marks_applied ? key(keys_.applied()) : "0");
  args_.push_back(unit.applied_event);
  args_.push_back(unit.consumed_timer.empty() ? "0" : key(keys_.timers()));
  args_.push_back(unit.consumed_timer);
  args_.push_back(entry_id.empty() ? "0" : key(keys_.events()));
  args_.emplace_back(entry_id);
  const bool ledger_moves = unit.ledger_after != unit.ledger_before;
  args_.push_back(ledger_moves ? key(keys_.meta()) : "0");
  args_.push_back(std::to_string(unit.ledger_before));
  args_.push_back(std::to_string(unit.cases.size()));
  for (const auto& w : unit.cases) {
    args_.push_back(key(keys_.case_key(w.record.case_id)));
    args_.push_back(std::to_string(w.expected_version));
  }

  // Writes.
  std::vector<std::string> ops;
  std::size_t count = 0;
  for (const auto& w : unit.cases) {
    const auto& r = w.record;
    const auto old = before.find_case(r.case_id);
    const std::string score = ms_text(r.applied_at.value_or(instant{}));
    op(ops, count, "HSET", keys_.case_key(r.case_id),
       {"v", std::to_string(r.version), "doc", nlohmann::json(r).dump()});
    if (!old) {
      op(ops, count, "SADD", keys_.applicant_cases(r.applicant_id), {r.case_id});
      op(ops, count, "ZADD", keys_.all_cases(), {score, r.case_id});
      op(ops, count, "ZADD", keys_.by_department(r.department), {score, r.case_id});
      op(ops, count, "ZADD", keys_.by_matter(r.matter), {score, r.case_id});
    }
    if (!old || old->state != r.state) {
      if (old) op(ops, count, "ZREM", keys_.by_state(to_string(old->state)), {r.case_id});
      op(ops, count, "ZADD", keys_.by_state(to_string(r.state)), {score, r.case_id});
    }
    const bool overdue_before = old && has_open_overdue(*old);
    if (has_open_overdue(r) != overdue_before) {
      if (overdue_before) {
        op(ops, count, "ZREM", keys_.overdue(), {r.case_id});
      } else {
        op(ops, count, "ZADD", keys_.overdue(), {score, r.case_id});
      }
    }
    for (std::size_t e = 0; e < r.escalations.size(); ++e) {
      const auto& esc = r.escalations[e];
      const bool was_open = old && e < old->escalations.size() && old->escalations[e].open;
      if (esc.open && !was_open) {
        op(ops, count, "ZADD", keys_.escalations(),
           {ms_text(esc.raised_at), escalation_member(r, esc)});
      } else if (!esc.open && was_open) {
        op(ops, count, "ZREM", keys_.escalations(), {escalation_member(r, esc)});
      }
    }
  }
  if (unit.credit) {
    op(ops, count, "SET", keys_.credit(unit.credit->first),
       {nlohmann::json(unit.credit->second).dump()});
  }
  for (const auto& id : unit.timers_cancelled) {
    op(ops, count, "ZREM", keys_.timers(), {id});
    op(ops, count, "HDEL", keys_.timer_info(), {id});
  }
  if (!unit.consumed_timer.empty()) {
    op(ops, count, "ZREM", keys_.timers(), {unit.consumed_timer});
    op(ops, count, "HDEL", keys_.timer_info(), {unit.consumed_timer});
  }
  for (const auto& t : unit.timers_set) {
    op(ops, count, "ZADD", keys_.timers(), {ms_text(t.due), t.id});
    op(ops, count, "HSET", keys_.timer_info(), {t.id, to_json(t).dump()});
  }
  const std::string maxlen = std::to_string(limits_.out_maxlen);
  for (const auto& o : unit.outbound) {
    op(ops, count, "XADD", keys_.out(), {"MAXLEN", "~", maxlen, "*", "event", to_json(o).dump()});
    if (o.type == "ledger.entry") {
      const std::string no = std::to_string(o.data["no"].get<std::uint64_t>());
      op(ops, count, "HSET", keys_.ledger(), {no, o.data.dump()});
      op(ops, count, "ZADD", keys_.ledger_by_date(),
         {date_number(o.data["date"].get<std::string>()), no});
    }
  }
  if (unit.dead) {
    op(ops, count, "XADD", keys_.dead(),
       {"*", "event", unit.dead->raw, "error", std::string(to_string(unit.dead->code)), "detail",
        unit.dead->detail});
  }
  if (marks_applied) op(ops, count, "ZADD", keys_.applied(), {ms_text(wall), unit.applied_event});
  if (ledger_moves)
    op(ops, count, "HSET", keys_.meta(), {"ledger", std::to_string(unit.ledger_after)});
  if (unit.clock_to) op(ops, count, "HSET", keys_.meta(), {"clock", ms_text(*unit.clock_to)});

  args_.push_back(std::to_string(count));
  args_.insert(args_.end(), std::make_move_iterator(ops.begin()),
               std::make_move_iterator(ops.end()));
  ++units_;
  args_[0] = std::to_string(units_);
}

std::vector<std::string> commit_batch::evalsha(const std::string& sha) const {
  std::vector<std::string> command;
  command.reserve(3 + key_names_.size() + args_.size());
  command.push_back("EVALSHA");
  command.push_back(sha);
  command.push_back(std::to_string(key_names_.size()));
  command.insert(command.end(), key_names_.begin(), key_names_.end());
  command.insert(command.end(), args_.begin(), args_.end());
  return command;
}

void commit_batch::clear() {
  key_names_.clear();
  key_index_.clear();
  args_.assign(1, "0");
  units_ = 0;
}

}  // namespace xyp::redis
