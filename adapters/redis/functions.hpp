#pragma once
// The engine's Redis Functions (library `xyp`, loaded with FUNCTION LOAD REPLACE at start and
// again whenever a call says the function is missing): the partition lease and the one commit of
// a batch. Every write of the engine goes through xyp_commit, which first checks the fencing
// token (owner id and epoch) against the partition's lease and refuses the whole batch otherwise.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/redis/keys.hpp"
#include "engine/applicant_record.hpp"
#include "engine/commit_unit.hpp"

namespace xyp::redis {

std::string_view functions_source();

// The error a refused commit or renewal starts with.
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
  batch_commit(const partition_keys& keys, commit_limits limits) : keys_(keys), limits_(limits) {}

  // Adds a unit; `before(case_id)` is the case as the partition held it before the unit (null for
  // a new case); `member_of(timer_id)` the timer set's member of a timer the unit removes.
  // `entry_id` is the inbound entry it acknowledges, empty for a timer; `remember_id`: keep the
  // unit's event id in the applied set (events that are not case events).
  template <class Before, class MemberOf>
  void add(const commit_unit& unit, Before&& before, MemberOf&& member_of,
           std::string_view entry_id, instant wall, bool remember_id) {
    for (const auto& w : unit.cases) add_case(w.record, before(w.record.case_id));
    for (const auto& id : unit.timers_cancelled) zrem(keys_.timers(), member_of(id));
    if (!unit.consumed_timer.empty()) zrem(keys_.timers(), member_of(unit.consumed_timer));
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

  // FCALL xyp_commit with the token, in the Redis protocol (connection::send_formatted); long
  // argument lists are split into several commands for the Function. `continues_from` is the
  // committed position the batch follows ("" for none): the Function refuses the batch if the
  // partition's position is another.
  std::string fcall(const std::string& token, std::string_view continues_from) const;
  // The committed position after this batch: its newest inbound entry, none if it applied none.
  std::optional<std::string> position() const;
  void clear();

 private:
  void add_case(const case_record& after, const case_record* before);
  void add_rest(const commit_unit& unit, std::string_view entry_id, instant wall, bool remember_id);
  void zadd(const std::string& key, std::string member, std::string score);
  void zrem(const std::string& key, std::string member);

  const partition_keys& keys_;
  commit_limits limits_;
  std::size_t units_ = 0;
  std::map<std::string, std::map<std::string, std::string>> hashes_;  // key -> field -> value
  std::map<std::string, std::map<std::string, std::optional<std::string>>> zsets_;  // nullopt: ZREM
  std::map<std::string, std::set<std::string>> sets_;
  std::map<std::string, std::string> strings_;
  std::vector<std::string> out_;
  std::vector<dead_letter> dead_;
  std::vector<std::string> acks_;
  std::optional<instant> clock_;
  std::optional<std::uint64_t> ledger_;
};

}  // namespace xyp::redis
