#include "bench/engine_child.hpp"

#include <unistd.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "adapters/common/log.hpp"
#include "adapters/redis/runtime.hpp"
#include "bench/bench_support.hpp"
#include "bench/histogram.hpp"
#include "engine/domain/calendar.hpp"
#include "engine/domain/policy.hpp"

namespace xyp::bench {
namespace {

namespace asio = boost::asio;

// Counts and times what the runtime reports. Everything runs on the runtime's one thread.
class recording_observer : public redis::runtime_observer {
 public:
  explicit recording_observer(std::uint32_t partitions) : advanced_at_(partitions, -1) {}

  static std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  void committed(std::uint32_t partition, const commit_unit& unit,
                 redis::commit_status status) override {
    const auto now = monotonic_ns();
    if (first_commit_ns_ < 0) first_commit_ns_ = now;
    last_commit_ns_ = now;
    ++by_status_[static_cast<int>(status)];
    if (unit.clock_to) {
      advanced_at_[partition] = now;
      current_storm_ = unit.cause.rfind("storm-", 0) == 0 ? unit.cause : "";
      ++advances_;
    } else if (!unit.consumed_timer.empty()) {
      ++timers_;
      // With the system clock, timer_lag() has told each firing's due time, in the order the
      // firings are committed.
      if (!due_ms_.empty()) {
        // A timer already overdue when the engine started (one a firing set with a due time in
        // the past of the wall clock) is not a lag of the engine's.
        if (due_ms_.front() >= started_ms_) commit_lag_ms_.record(wall_ms() - due_ms_.front());
        due_ms_.pop_front();
      }
      if (!unit.ignored) ++timers_effective_;
      if (advanced_at_[partition] >= 0) {
        const auto lag_us = (now - advanced_at_[partition]) / 1000;
        if (current_storm_.empty()) {
          since_advance_us_.record(lag_us);
        } else {
          auto& storm = storms_[current_storm_];
          storm.lag_us.record(lag_us);
          if (storm.first_ns < 0) storm.first_ns = now;
          storm.last_ns = now;
        }
      }
    } else if (unit.dead) {
      ++dead_;
    } else {
      ++events_;
    }
  }

  void batch(std::uint32_t /*partition*/, std::size_t entries) override {
    if (first_batch_ns_ < 0) first_batch_ns_ = monotonic_ns();
    ++batches_;
    entries_ += entries;
  }

  void round_trips(std::uint32_t /*partition*/, std::uint64_t waits) override {
    round_trips_.record(static_cast<std::int64_t>(waits));
  }

  void commit_latency(std::chrono::microseconds took) override {
    commit_us_.record(took.count());
    ++scripts_;
  }

  // Called for each firing once its commit has landed, before the commit's units.
  void timer_lag(std::chrono::milliseconds lag) override {
    const auto due = wall_ms() - lag.count();
    if (due >= started_ms_) timer_lag_ms_.record(lag.count());
    if (system_clock_) due_ms_.push_back(due);
  }
  void reconnected(std::uint32_t /*partition*/) override {
    ++reconnects_;
    due_ms_.clear();
  }
  void conflict(std::uint32_t /*partition*/) override {
    ++conflicts_;
    due_ms_.clear();
  }
  void use_system_clock() { system_clock_ = true; }

  nlohmann::json to_json() const {
    nlohmann::json storms = nlohmann::json::object();
    for (const auto& [id, s] : storms_) {
      storms[id] = {
          {"lag_us", s.lag_us.to_json()}, {"first_ns", s.first_ns}, {"last_ns", s.last_ns}};
    }
    return {{"first_batch_ns", first_batch_ns_},
            {"first_commit_ns", first_commit_ns_},
            {"last_commit_ns", last_commit_ns_},
            {"batches", batches_},
            {"entries", entries_},
            {"scripts", scripts_},
            {"units_ok", by_status_[0]},
            {"units_duplicate", by_status_[1]},
            {"units_stale", by_status_[2]},
            {"units_conflict", by_status_[3]},
            {"event_units", events_},
            {"dead_units", dead_},
            {"advances", advances_},
            {"timer_units", timers_},
            {"timer_units_effective", timers_effective_},
            {"conflicts", conflicts_},
            {"reconnects", reconnects_},
            {"commit_us", commit_us_.to_json()},
            {"round_trips", round_trips_.to_json()},
            {"timer_lag_ms", timer_lag_ms_.to_json()},
            {"commit_lag_ms", commit_lag_ms_.to_json()},
            {"since_advance_us", since_advance_us_.to_json()},
            {"storms", storms}};
  }

 private:
  struct storm {
    histogram lag_us;
    std::int64_t first_ns = -1;
    std::int64_t last_ns = -1;
  };

  std::vector<std::int64_t> advanced_at_;
  std::string current_storm_;
  std::map<std::string, storm> storms_;
  bool system_clock_ = false;
  std::int64_t started_ms_ = wall_ms();
  std::deque<std::int64_t> due_ms_;
  histogram commit_us_, round_trips_, timer_lag_ms_, commit_lag_ms_, since_advance_us_;
  std::int64_t first_batch_ns_ = -1, first_commit_ns_ = -1, last_commit_ns_ = -1;
  std::uint64_t by_status_[4] = {0, 0, 0, 0};
  std::uint64_t batches_ = 0, entries_ = 0, scripts_ = 0, events_ = 0, dead_ = 0, advances_ = 0,
                timers_ = 0, timers_effective_ = 0, conflicts_ = 0, reconnects_ = 0;
};

}  // namespace

int run_engine_child(const engine_child_options& options) {
  log::set_level("warn");
  const auto policy = load_policy(options.profile);
  const auto calendar = working_calendar::load_directory(options.calendars);
  const case_processor processor(policy, calendar, options.clock);

  redis::runtime_options runtime_options;
  runtime_options.server = redis::endpoint{"127.0.0.1", options.port};
  runtime_options.prefix = options.prefix;
  runtime_options.partitions = options.partitions;
  runtime_options.batch_size = options.batch_size;
  runtime_options.consumer = options.consumer;

  recording_observer observer(options.partitions);
  if (options.clock == clock_mode::system) observer.use_system_clock();
  asio::io_context io;
  redis::runtime engine(io.get_executor(), processor, runtime_options, observer);

  // As `xinyipi run`: SIGTERM lets every partition finish its batch; 5 s later it is stopped.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::steady_timer grace(io);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    engine.stop();
    grace.expires_after(std::chrono::seconds(5));
    grace.async_wait([&](const boost::system::error_code& wait) {
      if (!wait) io.stop();
    });
  });
  bool failed = false;
  asio::co_spawn(io, engine.run(), [&](std::exception_ptr failure) {
    if (failure) {
      failed = true;
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        std::cerr << "xyp_bench engine: " << e.what() << "\n";
      }
    }
    signals.cancel();
    grace.cancel();
  });
  io.run();

  auto stats = observer.to_json();
  stats["vm_hwm_kb"] = proc_status_kb(::getpid(), "VmHWM").value_or(-1);
  stats["vm_rss_kb"] = proc_status_kb(::getpid(), "VmRSS").value_or(-1);
  std::ofstream out(options.stats);
  out << stats.dump() << "\n";
  return failed || !out ? 1 : 0;
}

}  // namespace xyp::bench
