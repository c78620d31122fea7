#pragma once
// The engine's one write path into Redis: commit units turned into the arguments of one Lua
// script, which checks (event id not yet applied, timer still pending, case versions, ledger
// count) and then writes everything of a unit, or nothing. Several units go in one call; each is
// checked and applied on its own, in order, and the script stops at the first conflict.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "adapters/redis/keys.hpp"
#include "engine/commit_unit.hpp"
#include "engine/ports.hpp"

namespace xyp::redis {

// The script's source; loaded at start, reloaded on NOSCRIPT.
std::string_view commit_script_source();

// What the script said of one unit.
enum class commit_status { ok, duplicate, stale, conflict };
commit_status commit_status_from(std::string_view text);

struct commit_limits {
  std::uint64_t out_maxlen = 1'000'000;  // approximate cap on P:{n}:out (XADD MAXLEN ~)
};

// One script call's worth of units for one partition.
class commit_batch {
 public:
  commit_batch(const partition_keys& keys, commit_limits limits);

  // Adds a unit. `before` must show the partition as it was before the unit (the overlay before
  // it commits the unit); `entry_id` is the inbound stream entry to acknowledge, empty for timers.
  // `wall` is the commit's wall-clock time, for the dedupe window.
  void add(const commit_unit& unit, const partition_view& before, std::string_view entry_id,
           instant wall);

  std::size_t size() const { return units_; }
  bool empty() const { return units_ == 0; }

  // EVALSHA sha numkeys key... arg...
  std::vector<std::string> evalsha(const std::string& sha) const;
  void clear();

 private:
  std::string key(const std::string& name);
  void op(std::vector<std::string>& ops, std::size_t& count, std::string_view command,
          const std::string& key_name, std::initializer_list<std::string> args);

  const partition_keys& keys_;
  commit_limits limits_;
  std::vector<std::string> key_names_;
  std::unordered_map<std::string, std::size_t> key_index_;
  std::vector<std::string> args_;
  std::size_t units_ = 0;
};

}  // namespace xyp::redis
