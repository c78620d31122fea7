#pragma once
// What /healthz says, kept in memory: the engine reports its commits (through runtime_metrics),
// a background probe on its own Redis connection reports reachability and lag. Answering
// /healthz reads this board and nothing else, so a slow or full Redis cannot slow the answer.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "adapters/http/ports.hpp"

namespace xyp::http {

struct health_limits {
  // Degraded once a partition's commits have failed this many times in a row.
  std::uint32_t max_commit_failures = 3;
  // Degraded once a partition has more entries than this not yet read by the engine.
  std::int64_t max_lag = 10'000;
  std::chrono::milliseconds probe_period{1'000};
  // Degraded when the probe has not reported for this long (it hangs, or was never run).
  std::chrono::milliseconds probe_stale{5'000};
};

// Thread-safe.
class health_board {
 public:
  explicit health_board(health_limits limits = {}) : limits_(limits) {}

  const health_limits& limits() const { return limits_; }

  void commit_succeeded(std::uint32_t partition);
  void commit_failed(std::uint32_t partition);
  void probed(store_status status);

  struct verdict {
    bool healthy = false;
    nlohmann::json body;  // {"status", "redis", "reasons": [...], "partitions": [...]}
  };
  verdict judge() const;

  // Ends keep_probing() at its next turn.
  void stop() { stopping_ = true; }
  bool stopping() const { return stopping_; }

 private:
  struct partition_health {
    std::uint32_t failures_in_a_row = 0;
    std::optional<std::chrono::system_clock::time_point> last_commit;
  };

  health_limits limits_;
  mutable std::mutex mutex_;
  std::map<std::uint32_t, partition_health> partitions_;
  std::optional<store_status> last_probe_;
  std::chrono::steady_clock::time_point probed_at_{};
  std::atomic<bool> stopping_{false};
};

// Probes every limits().probe_period until board.stop(); the probe must have its own timeout
// (redis::make_status_probe's link does) and should have its own connection.
boost::asio::awaitable<void> keep_probing(health_board& board, status_probe probe);

}  // namespace xyp::http
