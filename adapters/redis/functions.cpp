#include "adapters/redis/functions.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <stdexcept>
#include <unordered_map>
#include <variant>

#include "adapters/redis/layout.hpp"
#include "adapters/redis/resp.hpp"
#include "engine/domain/case_codec.hpp"
#include "engine/domain/json_writer.hpp"
#include "engine/domain/ledger_record.hpp"

namespace xyp::redis {
namespace {

constexpr std::string_view source = R"lua(#!lua name=xyp
local function owner_of(lease)
  return string.match(lease, '^(%S+) ')
end

-- KEYS: lease, epoch. ARGV: owner id, ttl ms. {1, token} when taken, {0, holder} when held.
local function acquire(keys, args)
  local held = redis.call('GET', keys[1])
  if held and owner_of(held) ~= args[1] then return {0, held} end
  local epoch = redis.call('INCR', keys[2])
  local token = args[1] .. ' ' .. epoch
  redis.call('SET', keys[1], token, 'PX', args[2])
  return {1, token}
end

-- KEYS: lease. ARGV: token, ttl ms.
local function renew(keys, args)
  if redis.call('GET', keys[1]) ~= args[1] then
    return redis.error_reply('FENCED the partition has another owner')
  end
  redis.call('PEXPIRE', keys[1], args[2])
  return 1
end

-- KEYS: lease. ARGV: token.
local function release(keys, args)
  if redis.call('GET', keys[1]) == args[1] then redis.call('DEL', keys[1]) end
  return 1
end

-- KEYS: engines. ARGV: engine (owner) id, ttl ms ('0': leaves). Drops every engine whose
-- membership lapsed (scored by Redis's own time, so that engines' clocks need not agree), renews
-- this one's, and returns the live engines' ids.
local function member(keys, args)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('ZREMRANGEBYSCORE', keys[1], '-inf', now)
  local ttl = tonumber(args[2])
  if ttl > 0 then
    redis.call('ZADD', keys[1], now + ttl, args[1])
  else
    redis.call('ZREM', keys[1], args[1])
  end
  return redis.call('ZRANGE', keys[1], 0, -1)
end

-- Stream ids compared as numbers (ms, then sequence).
local function id_after(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am > bm or (am == bm and as > bs)
end

-- KEYS: lease, inbound stream, dead letters, state. ARGV: token, group, consumer, count, byte
-- budget, entry limit, after (the newest entry this owner has read, '' for none).
-- XREADGROUP ... NOACK: the group's cursor moves (its lag stays true for monitors) but nothing is
-- pending; what is done is the committed position, kept by the commit. The read continues from
-- `after` exactly: when the first entry delivered is not the one after it (a new owner, a read
-- cut before, a fenced engine that read on), the cursor is put back to `after` and read again.
-- Cut by bytes: what is returned holds at most the budget (and at least one entry); the cursor is
-- put back to the last entry returned. An entry whose event is over the limit never leaves
-- Redis: it is dead-lettered here, verbatim, once (`refused` in the state remembers the newest),
-- and skipped. Returns {entries, the newest entry read (returned or skipped), more to read (0/1),
-- entries dead-lettered here}.
local function read(keys, args)
  if redis.call('GET', keys[1]) ~= args[1] then
    return redis.error_reply('FENCED the partition has another owner')
  end
  local after = args[7]
  local next = redis.call('XRANGE', keys[2], after == '' and '-' or '(' .. after, '+', 'COUNT', 1)[1]
  if not next then return {{}, after, 0, 0} end
  local function deliver(count)
    local got = redis.call('XREADGROUP', 'GROUP', args[2], args[3], 'COUNT', count, 'NOACK',
                           'STREAMS', keys[2], '>')
    return got and got[1][2] or {}
  end
  local budget, limit = tonumber(args[5]), tonumber(args[6])
  local out, used, refused, last, newest_refused = {}, 0, 0, after, nil
  -- Delivered in chunks that double (16, 32, ...): a read of big entries stops at its budget
  -- having delivered at most one chunk past it.
  local wanted, chunk, first = tonumber(args[4]), 16, true
  while wanted > 0 do
    local count = math.min(chunk, wanted)
    local entries = deliver(count)
    if first and (#entries == 0 or entries[1][1] ~= next[1]) then
      redis.call('XGROUP', 'SETID', keys[2], args[2], after == '' and '0' or after)
      entries = deliver(count)
    end
    first = false
    for _, e in ipairs(entries) do
      local fields, size, event = e[2], 0, nil
      if fields then
        for j = 1, #fields, 2 do
          size = size + #fields[j] + #fields[j + 1]
          if fields[j] == 'event' then event = fields[j + 1] end
        end
      end
      if event and #event > limit then
        if newest_refused == nil then newest_refused = redis.call('HGET', keys[4], 'refused') end
        if not newest_refused or id_after(e[1], newest_refused) then
          redis.call('XADD', keys[3], '*', 'event', event, 'error', 'schema_violation', 'detail',
                     'the envelope is ' .. #event .. ' bytes, larger than ' .. limit)
          redis.call('HSET', keys[4], 'refused', e[1])
          newest_refused = e[1]
          refused = refused + 1
        end
        last = e[1]
      elseif #out > 0 and used + size > budget then
        redis.call('XGROUP', 'SETID', keys[2], args[2], last)
        return {out, last, 1, refused}
      else
        out[#out + 1] = e
        used = used + size
        last = e[1]
      end
    end
    if #entries < count then return {out, last, 0, refused} end
    wanted, chunk = wanted - count, chunk * 2
  end
  return {out, last, 1, refused}
end

redis.register_function('xyp_read', read)
redis.register_function('xyp_acquire', acquire)
redis.register_function('xyp_member', member)
redis.register_function('xyp_renew', renew)
redis.register_function('xyp_release', release)
)lua";

bool has_open_overdue(const case_record& r) {
  for (const auto& e : r.escalations) {
    if (e.open && e.level == escalation_level::overdue) return true;
  }
  return false;
}

// The newest of stream entry ids ("<ms>-<seq>"), compared as numbers.
// Each id is read once, in place: two substrings and two stoull per comparison were ~870
// instructions an entry.
std::optional<std::string> newest_entry(const std::vector<std::string>& ids) {
  auto number = [](std::string_view text) {
    unsigned long long n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || end == text.data()) {
      throw std::invalid_argument("a stream entry id that is not <ms>-<seq>");
    }
    return n;
  };
  auto parts = [&](std::string_view id) {
    const auto dash = id.find('-');
    return std::pair{number(id.substr(0, dash)),
                     dash == std::string_view::npos ? 0ULL : number(id.substr(dash + 1))};
  };
  const std::string* newest = nullptr;
  std::pair<unsigned long long, unsigned long long> newest_parts{};
  for (const auto& id : ids) {
    const auto p = parts(id);
    if (!newest || p > newest_parts) {
      newest = &id;
      newest_parts = p;
    }
  }
  return newest ? std::optional<std::string>(*newest) : std::nullopt;
}

}  // namespace

std::string_view functions_source() {
  return source;
}

void batch_commit::write(std::vector<key_writes>& all, key_index& at, std::string_view key,
                         std::string name, std::optional<std::string> value) {
  auto it = at.find(key);
  if (it == at.end()) {
    it = at.emplace(std::string(key), all.size()).first;
    all.push_back(key_writes{it->first, {}});
  }
  all[it->second].writes.emplace_back(std::move(name), std::move(value));
}

void batch_commit::hset(std::string_view key, std::string field, std::string value) {
  write(hashes_, hash_at_, key, std::move(field), std::move(value));
}

void batch_commit::zadd(std::string_view key, std::string member, std::string score) {
  write(zsets_, zset_at_, key, std::move(member), std::move(score));
}

void batch_commit::zrem(std::string_view key, std::string member) {
  write(zsets_, zset_at_, key, std::move(member), std::nullopt);
}

void batch_commit::remove_timer(std::string member) {
  // Which of the two forms Redis holds is not known without reading it: removing both costs a
  // lookup of a member that is not there.
  if (auto legacy = legacy_timer_member(member)) zrem(timers_key_, std::move(*legacy));
  zrem(timers_key_, std::move(member));
}

void batch_commit::add_case(const case_record& r, const case_record* old) {
  hset(keys_.case_key(r.case_id), r.case_id, encode_case(r));
  const std::string score = time_score(r.applied_at.value_or(instant{}));
  if (!old) {
    zadd(keys_.by_matter(r.matter), r.case_id, score);
  }
  // A case enters one state index when it is created and moves from index to index with its
  // state, terminal states included, and never leaves: the state indexes together are every case
  // (`old` is the case before this unit, so two changes in one batch net out right).
  if (!old || old->state != r.state) {
    if (old) zrem(keys_.by_state(to_string(old->state)), r.case_id);
    zadd(keys_.by_state(to_string(r.state)), r.case_id, score);
  }
  const bool overdue_before = old && has_open_overdue(*old);
  if (has_open_overdue(r) != overdue_before) {
    if (overdue_before) {
      zrem(overdue_key_, r.case_id);
    } else {
      zadd(overdue_key_, r.case_id, score);
    }
  }
  for (std::size_t e = 0; e < r.escalations.size(); ++e) {
    const auto& esc = r.escalations[e];
    const bool was_open = old && e < old->escalations.size() && old->escalations[e].open;
    if (esc.open && !was_open) {
      zadd(escalations_key_, escalation_member(r.case_id, esc.clock, esc.level),
           time_score(esc.raised_at));
    } else if (!esc.open && was_open) {
      zrem(escalations_key_, escalation_member(r.case_id, esc.clock, esc.level));
    }
  }
}

void batch_commit::put_applicant(const std::string& applicant_id, const applicant_record& record) {
  hset(keys_.applicant_key(applicant_id), applicant_id, encode_applicant(record));
}

void batch_commit::add_rest(const commit_unit& unit, std::string_view entry_id, instant wall,
                            bool remember_id) {
  ++units_;
  for (const auto& t : unit.timers_set) {
    zadd(timers_key_, timer_member(t.id, t.applicant_id), time_score(t.due));
  }
  for (const auto& o : unit.outbound) {
    append_outbound(out_.emplace_back(), o);
    if (const auto* row = std::get_if<ledger_facts>(&o.facts)) {
      std::string no = std::to_string(row->no);
      hset(ledger_key_, no, encode_ledger(row->row));
      zadd(ledger_by_date_key_, std::move(no), date_score(row->row.date));
    }
  }
  if (unit.dead) dead_.push_back(*unit.dead);
  if (remember_id && !unit.applied_event.empty()) {
    // One field in the commit day's hash: the day is what ages it out (runtime's trim).
    hset(keys_.applied_day(std::chrono::floor<std::chrono::days>(wall)), unit.applied_event,
         std::to_string(unit.applied_fingerprint));
  }
  if (unit.ledger_after != unit.ledger_before) ledger_ = unit.ledger_after;
  if (unit.clock_to) clock_ = unit.clock_to;
  if (!entry_id.empty()) acks_.emplace_back(entry_id);
}

std::optional<std::string> batch_commit::position() const {
  return newest_entry(acks_);
}

resp_commands batch_commit::transaction(const std::string& renew_ttl_ms) const {
  resp_commands out(256 * 1024);
  out.command("MULTI");
  if (!renew_ttl_ms.empty()) out.command("PEXPIRE", keys_.lease(), renew_ttl_ms);
  // Which of a key's writes are the last of their field or member (the ones sent): found from the
  // end with an open-addressing table of write indexes (no allocation per write).
  std::vector<char> last;
  std::vector<std::size_t> slots;  // index + 1 of the last write of a name; 0: empty
  auto mark_last = [&](const key_writes& k) {
    const auto& w = k.writes;
    last.assign(w.size(), 1);
    if (w.size() < 2) return;
    std::size_t room = 4;
    while (room < 2 * w.size()) room *= 2;
    slots.assign(room, 0);
    for (std::size_t i = w.size(); i-- > 0;) {
      const std::string_view name = w[i].first;
      std::size_t s = std::hash<std::string_view>{}(name) & (room - 1);
      while (slots[s] != 0 && w[slots[s] - 1].first != name) s = (s + 1) & (room - 1);
      if (slots[s] != 0) {
        last[i] = 0;
      } else {
        slots[s] = i + 1;
      }
    }
  };
  for (const auto& k : hashes_) {
    mark_last(k);
    std::size_t sent = 0;
    for (const char l : last) sent += static_cast<std::size_t>(l);
    out.begin(2 + 2 * sent);
    out.arg("HSET");
    out.arg(k.key);
    for (std::size_t i = 0; i < k.writes.size(); ++i) {
      if (!last[i]) continue;
      out.arg(k.writes[i].first);
      out.arg(*k.writes[i].second);
    }
  }
  for (const auto& k : zsets_) {
    mark_last(k);
    std::size_t removed = 0, added = 0;
    for (std::size_t i = 0; i < k.writes.size(); ++i) {
      if (!last[i]) continue;
      (k.writes[i].second ? added : removed) += 1;
    }
    if (removed > 0) {
      out.begin(2 + removed);
      out.arg("ZREM");
      out.arg(k.key);
      for (std::size_t i = 0; i < k.writes.size(); ++i) {
        if (last[i] && !k.writes[i].second) out.arg(k.writes[i].first);
      }
    }
    if (added > 0) {
      out.begin(2 + 2 * added);
      out.arg("ZADD");
      out.arg(k.key);
      for (std::size_t i = 0; i < k.writes.size(); ++i) {
        if (!last[i] || !k.writes[i].second) continue;
        out.arg(*k.writes[i].second);
        out.arg(k.writes[i].first);
      }
    }
  }
  const std::string out_key = keys_.out(), dead_key = keys_.dead();
  for (const auto& o : out_) out.command("XADD", out_key, "*", "event", o);
  if (!out_.empty()) {
    // One approximate trim per batch rather than a MAXLEN on every XADD: the same bound.
    out.command("XTRIM", out_key, "MAXLEN", "~", std::to_string(limits_.out_maxlen));
  }
  for (const auto& d : dead_) {
    out.command("XADD", dead_key, "*", "event", d.raw, "error", to_string(d.code), "detail",
                d.detail);
  }
  std::vector<std::pair<std::string_view, std::string>> state;
  if (ledger_) state.emplace_back("ledger", std::to_string(*ledger_));
  if (clock_) state.emplace_back("clock", time_score(*clock_));
  if (const auto position = newest_entry(acks_)) {
    // Where the next owner reads from, and where a destroyed group is created again.
    state.emplace_back("position", *position);
  }
  if (!state.empty()) {
    out.begin(2 + 2 * state.size());
    out.arg("HSET");
    out.arg(keys_.state());
    for (const auto& [field, value] : state) {
      out.arg(field);
      out.arg(value);
    }
  }
  out.command("EXEC");
  append_owner_check(out, keys_);
  return out;
}

void append_owner_check(resp_commands& out, const partition_keys& keys) {
  out.command("WATCH", keys.lease(), keys.state());
  out.command("GET", keys.lease());
  out.command("HGET", keys.state(), "position");
}

bool owner_holds(const reply& lease, const reply& position, std::string_view token,
                 std::string_view continues_from) {
  if (!lease.is_string() || lease.as_string() != token) return false;
  if (position.is_error()) return false;
  return (position.is_nil() ? std::string_view() : std::string_view(position.as_string())) ==
         continues_from;
}

commit_outcome read_commit(const std::vector<reply>& replies, std::string_view token,
                           std::string_view continues_from, std::string_view position_after) {
  if (replies.size() < 2 + owner_check_replies) {
    throw error(errc::unexpected_reply, "the commit's transaction has too few replies");
  }
  const std::size_t exec = replies.size() - owner_check_replies - 1;
  commit_outcome outcome;
  const reply& result = replies[exec];
  if (result.is_error()) {
    // EXECABORT: a command was refused while queued; say which.
    std::string why = result.error_message();
    for (std::size_t i = 0; i < exec; ++i) {
      if (replies[i].is_error()) {
        why += " (" + replies[i].error_message() + ")";
        break;
      }
    }
    throw error(errc::unexpected_reply, "the commit's transaction failed: " + why);
  }
  if (!result.is_nil()) {
    for (const auto& r : result.elements()) {
      if (r.is_error()) {
        throw error(errc::unexpected_reply, "a command of the commit failed: " + r.error_message());
      }
    }
    outcome.landed = true;
  }
  outcome.still_owner = owner_holds(replies[exec + 2], replies[exec + 3], token,
                                    outcome.landed ? position_after : continues_from);
  return outcome;
}

void batch_commit::clear() {
  units_ = 0;
  hashes_.clear();
  zsets_.clear();
  hash_at_.clear();
  zset_at_.clear();
  out_.clear();
  dead_.clear();
  acks_.clear();
  clock_.reset();
  ledger_.reset();
}

}  // namespace xyp::redis
