#pragma once
// The Redis runtime's observer that counts into the metrics registry: pass one to
// redis::runtime and /metrics shows what the engine did.
#include "adapters/http/health.hpp"
#include "adapters/http/metrics.hpp"
#include "adapters/redis/runtime.hpp"

namespace xyp::http {

class runtime_metrics final : public redis::runtime_observer {
 public:
  // With a health board, commits and Redis failures are also reported to it.
  explicit runtime_metrics(metrics::registry& registry, health_board* health = nullptr)
      : registry_(registry), m_(registry), health_(health) {}

  void committed(std::uint32_t partition, const commit_unit& unit,
                 redis::commit_status status) override;
  void batch(std::uint32_t partition, std::size_t entries) override;
  void commit_latency(std::chrono::microseconds took) override;
  void timer_lag(std::chrono::milliseconds lag) override;
  void refused_unread(std::uint32_t partition, std::uint64_t entries) override;
  void reconnected(std::uint32_t partition) override;
  void conflict(std::uint32_t partition) override;
  // Lease ownership as xyp_partition_owned: 1 from taking a lease until it is lost to another
  // owner, handed over, or dropped on a Redis failure (the runtime reconnects and takes it
  // again); xyp_partition_epoch: the epoch of the lease this engine took last (its fencing
  // token's counter). The owner is the engine exporting owned = 1: xyp_engine_info says its id.
  void acquired(std::uint32_t partition, const std::string& token) override;
  void fenced(std::uint32_t partition) override;
  // Handed over to another engine (the fair share moved, or the engine stops): not owned.
  void released(std::uint32_t partition) override;
  // xyp_engines_live and xyp_partition_share: what this engine's last membership round saw.
  void membership(std::size_t live_engines, std::uint32_t share) override;
  // Every partition the engine may serve, exported as 0 until its lease is taken, so that a
  // partition nobody holds shows as a 0 and not as a missing series.
  void expect_partitions(std::uint32_t count);
  // xyp_engine_info{engine="<lease owner id>"} 1: which engine this /metrics is.
  void identify(const std::string& engine);

 private:
  metrics::gauge& partition_epoch(std::uint32_t partition);
  metrics::registry& registry_;
  metrics::engine_metrics m_;
  health_board* health_;
};

}  // namespace xyp::http
