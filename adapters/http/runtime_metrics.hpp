#pragma once
// The Redis runtime's observer that counts into the metrics registry: pass one to
// redis::runtime and /metrics shows what the engine did.
#include "adapters/http/metrics.hpp"
#include "adapters/redis/runtime.hpp"

namespace xyp::http {

class runtime_metrics final : public redis::runtime_observer {
 public:
  explicit runtime_metrics(metrics::registry& registry) : registry_(registry), m_(registry) {}

  void committed(std::uint32_t partition, const commit_unit& unit,
                 redis::commit_status status) override;
  void batch(std::uint32_t partition, std::size_t entries) override;
  void commit_latency(std::chrono::microseconds took) override;
  void timer_lag(std::chrono::milliseconds lag) override;
  void reconnected(std::uint32_t partition) override;
  void conflict(std::uint32_t partition) override;

 private:
  metrics::registry& registry_;
  metrics::engine_metrics m_;
};

}  // namespace xyp::http
