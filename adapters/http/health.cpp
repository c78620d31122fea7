#include "adapters/http/health.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <string>

#include "engine/domain/time.hpp"

namespace xyp::http {

void health_board::commit_succeeded(std::uint32_t partition) {
  const std::lock_guard lock(mutex_);
  auto& p = partitions_[partition];
  p.failures_in_a_row = 0;
  p.last_commit = std::chrono::system_clock::now();
}

void health_board::commit_failed(std::uint32_t partition) {
  const std::lock_guard lock(mutex_);
  ++partitions_[partition].failures_in_a_row;
}

void health_board::probed(store_status status) {
  const std::lock_guard lock(mutex_);
  last_probe_ = std::move(status);
  probed_at_ = std::chrono::steady_clock::now();
}

health_board::verdict health_board::judge() const {
  const std::lock_guard lock(mutex_);
  nlohmann::json reasons = nlohmann::json::array();
  const bool fresh =
      last_probe_ && std::chrono::steady_clock::now() - probed_at_ <= limits_.probe_stale;
  const bool reachable = fresh && last_probe_->reachable;
  if (!last_probe_) {
    reasons.push_back({{"reason", "not_probed_yet"}});
  } else if (!fresh) {
    reasons.push_back({{"reason", "probe_stale"}});
  } else if (!reachable) {
    reasons.push_back({{"reason", "redis_unreachable"}, {"detail", last_probe_->detail}});
  }

  std::map<std::uint32_t, nlohmann::json> rows;
  if (last_probe_) {
    for (const auto& p : last_probe_->partitions) {
      rows[p.partition] = {{"partition", p.partition},
                           {"lag", p.lag ? nlohmann::json(*p.lag) : nlohmann::json(nullptr)},
                           {"pending", p.pending},
                           {"timers_pending", p.timers_pending}};
      if (fresh && p.lag && *p.lag > limits_.max_lag) {
        reasons.push_back({{"reason", "lag_too_high"},
                           {"partition", p.partition},
                           {"lag", *p.lag},
                           {"max_lag", limits_.max_lag}});
      }
    }
  }
  for (const auto& [n, p] : partitions_) {
    auto& row = rows[n];
    if (row.is_null()) {
      // Not in the last probe (Redis unreachable): the same fields, unknown.
      row = {{"partition", n}, {"lag", nullptr}, {"pending", 0}, {"timers_pending", 0}};
    }
    row["commit_failures_in_a_row"] = p.failures_in_a_row;
    row["last_commit"] =
        p.last_commit
            ? nlohmann::json(format_rfc3339(
                  std::chrono::time_point_cast<std::chrono::milliseconds>(*p.last_commit)))
            : nlohmann::json(nullptr);
    if (p.failures_in_a_row >= limits_.max_commit_failures) {
      reasons.push_back({{"reason", "commits_failing"},
                         {"partition", n},
                         {"failures_in_a_row", p.failures_in_a_row}});
    }
  }
  nlohmann::json partitions = nlohmann::json::array();
  for (auto& [n, row] : rows) partitions.push_back(std::move(row));
  verdict v;
  v.healthy = reasons.empty();
  v.body = {{"status", v.healthy   ? "ok"
                       : reachable ? "degraded"
                                   : "unavailable"},
            {"redis", reachable},
            {"reasons", reasons},
            {"partitions", partitions}};
  return v;
}

boost::asio::awaitable<void> keep_probing(health_board& board, status_probe probe) {
  boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor);
  while (!board.stopping()) {
    board.probed(co_await probe());
    if (board.stopping()) break;
    pause.expires_after(board.limits().probe_period);
    co_await pause.async_wait(boost::asio::use_awaitable);
  }
}

}  // namespace xyp::http
