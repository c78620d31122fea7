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
  // owner or dropped on a Redis failure (the runtime reconnects and takes it again).
  void acquired(std::uint32_t partition, const std::string& token) override;
  void fenced(std::uint32_t partition) override;
  // Every partition the engine may serve, exported as 0 until its lease is taken, so that a
  // partition nobody holds shows as a 0 and not as a missing series.
  void expect_partitions(std::uint32_t count);

 private:
  metrics::registry& registry_;
  metrics::engine_metrics m_;
  health_board* health_;
};

}  // namespace xyp::http
