#pragma once
// The engine's Redis Functions (library `xyp`, loaded with FUNCTION LOAD REPLACE at start and
// again whenever a call says the function is missing): the partition lease and the read of a
// batch. And the one commit of a batch: a MULTI/EXEC transaction guarded by WATCH.
//
// How the commit is fenced. After every commit, on the same connection, the engine sends
// WATCH lease state, GET lease, HGET state position (append_owner_check): their replies come
// back with the commit's. The next batch is sent only if they show the lease still this owner's
// token and the committed position the one the batch continues from (owner_holds); Redis then
// refuses the EXEC, writing nothing, if the lease or the state changed since the WATCH, by
// another engine's acquire or by the lease expiring (Redis 7 treats an expiry as a change).
// Compare-and-set by Redis instead of a Lua check: a Function carrying the batch spent ~6 µs
// per event turning its arguments into Lua strings and back (docs/benchmarks.md).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "adapters/redis/keys.hpp"
#include "adapters/redis/reply.hpp"
#include "adapters/redis/resp.hpp"
#include "engine/domain/applicant_record.hpp"
#include "engine/runtime/commit_unit.hpp"

namespace xyp::redis {

std::string_view functions_source();

// WATCH lease state, GET lease, HGET state position: the owner check, three replies.
inline constexpr std::size_t owner_check_replies = 3;
void append_owner_check(resp_commands& out, const partition_keys& keys);
// Whether an owner check's replies (GET lease, HGET state position) show the partition held by
// `token` at the committed position `continues_from` ("" for none).
bool owner_holds(const reply& lease, const reply& position, std::string_view token,
                 std::string_view continues_from);

// What a transaction's replies say: whether its EXEC ran (false: a watched key changed, nothing
// was written), and whether the owner check after it held, at `position_after` if it ran, at
// `continues_from` if not. A command refused or failed inside it throws errc::unexpected_reply.
struct commit_outcome {
  bool landed = false;
  bool still_owner = false;
};
commit_outcome read_commit(const std::vector<reply>& replies, std::string_view token,
                           std::string_view continues_from, std::string_view position_after);

// The error a refused read or renewal starts with.
inline constexpr std::string_view fenced_error = "FENCED";

// What became of a unit, as the runtime's observer hears it: every unit of a batch whose commit
// landed is `ok` (a repeated id or a stale timer is a unit with `ignored` set). The other values
// are kept for observers written against the per-unit script of layout 1.
enum class commit_status { ok, duplicate, stale, conflict };

struct commit_limits {
  std::uint64_t out_maxlen = 1'000'000;  // approximate cap on P:{n}:out (XTRIM MAXLEN ~, per batch)
};

// One batch's writes for one partition, merged: one HSET per case bucket, one ZADD and one ZREM
// per sorted set (the net effect of the batch per member), one XADD per outbound entry and dead
// letter, the partition's state last: with the committed position, the newest inbound entry the
// batch applied (entries are read with NOACK: nothing is acknowledged one by one).
class batch_commit {
 public:
  batch_commit(const partition_keys& keys, commit_limits limits)
      : keys_(keys),
        limits_(limits),
        timers_key_(keys.timers()),
        overdue_key_(keys.overdue()),
        escalations_key_(keys.escalations()),
        ledger_key_(keys.ledger()),
        ledger_by_date_key_(keys.ledger_by_date()) {}

  // Adds a unit; `before(case_id)` is the case as the partition held it before the unit (null for
  // a new case); `member_of(timer_id)` the timer set's member of a timer the unit removes.
  // `entry_id` is the inbound entry it acknowledges, empty for a timer; `remember_id`: keep the
  // unit's event id in the applied set (events that are not case events).
  template <class Before, class MemberOf>
  void add(const commit_unit& unit, Before&& before, MemberOf&& member_of,
           std::string_view entry_id, instant wall, bool remember_id) {
    for (const auto& w : unit.cases) add_case(w.record, before(w.record.case_id));
    for (const auto& id : unit.timers_cancelled) remove_timer(member_of(id));
    if (!unit.consumed_timer.empty()) remove_timer(member_of(unit.consumed_timer));
    add_rest(unit, entry_id, wall, remember_id);
  }
  // The applicant's record as the batch leaves it (its credit and every case id): one field of its
  // bucket hash, written once per batch however many units changed it. The store calls it after a
  // unit that reported a credit or created a case, with the record it holds.
  void put_applicant(const std::string& applicant_id, const applicant_record& record);
  void set_clock(instant t) { clock_ = t; }
  void set_ledger(std::uint64_t count) { ledger_ = count; }

  bool empty() const { return units_ == 0; }
  std::size_t units() const { return units_; }

  // The batch as one transaction in the Redis protocol (connection::send_formatted): MULTI, the
  // lease's renewal when `renew_ttl_ms` is not empty, the writes, EXEC, then the owner check for
  // the batch after it (append_owner_check). Send it only after an owner check that held.
  resp_commands transaction(const std::string& renew_ttl_ms = {}) const;
  // The committed position after this batch: its newest inbound entry, none if it applied none.
  std::optional<std::string> position() const;
  void clear();

 private:
  void add_case(const case_record& after, const case_record* before);
  void add_rest(const commit_unit& unit, std::string_view entry_id, instant wall, bool remember_id);
  void hset(std::string_view key, std::string field, std::string value);
  void zadd(std::string_view key, std::string member, std::string score);
  void zrem(std::string_view key, std::string member);
  // A timer's member, and the longer form an earlier build may have written it in.
  void remove_timer(std::string member);

  // One key's writes in the order the batch made them: a hash's fields (value always set) or a
  // sorted set's members (score; nullopt: ZREM). The last write of a field or member is the one
  // the commit sends (transaction() drops the earlier ones), as a map would have kept it, without
  // a tree node per write.
  struct key_writes {
    std::string key;
    std::vector<std::pair<std::string, std::optional<std::string>>> writes;
  };
  // Keys looked up as views: the fixed keys below are not built again per write.
  struct key_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const {
      return std::hash<std::string_view>{}(key);
    }
  };
  using key_index = std::unordered_map<std::string, std::size_t, key_hash, std::equal_to<>>;
  static void write(std::vector<key_writes>& all, key_index& at, std::string_view key,
                    std::string name, std::optional<std::string> value);

  const partition_keys& keys_;
  commit_limits limits_;
  // The partition's fixed keys, built once: built per write they were a string each.
  const std::string timers_key_, overdue_key_, escalations_key_, ledger_key_, ledger_by_date_key_;
  std::size_t units_ = 0;
  std::vector<key_writes> hashes_, zsets_;  // in the order each key was first written
  key_index hash_at_, zset_at_;             // key -> its index above
  std::vector<std::string> out_;
  std::vector<dead_letter> dead_;
  std::vector<std::string> acks_;
  std::optional<instant> clock_;
  std::optional<std::uint64_t> ledger_;
};

}  // namespace xyp::redis
