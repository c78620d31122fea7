#pragma once
// The HTTP side of `xinyipi run` on a thread and an io_context of its own: the server, its Redis
// connections (one for API reads and posted events, one for the health probe), the read cache and
// the probe loop. The engine's loop never waits for a request, and /healthz, answered from the
// health board the engine reports into, never waits for the loop.
//
// Shared with the engine's thread, and safe for it: the metrics registry (a mutex around its
// maps, atomic series) and the health board (a mutex). The calendar is the HTTP side's own copy,
// replaced by replace_calendar(), which posts the swap onto this thread. Nothing else of the
// engine is reachable from here.
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <thread>

#include <boost/asio/io_context.hpp>

#include "adapters/http/health.hpp"
#include "adapters/http/metrics.hpp"
#include "adapters/http/options.hpp"
#include "adapters/http/read_cache.hpp"
#include "adapters/http/server.hpp"
#include "adapters/redis/read_model.hpp"
#include "engine/domain/calendar.hpp"

namespace xyp::cli {

struct back_office_options {
  http::server_options server;  // its calendar is ignored: pass the calendar to the constructor
  redis::endpoint redis;
  redis::read_options reads;
  http::read_cache_options cache;
  // Added to the HTTP thread's nice value (0..19): under CPU contention the engine's thread
  // is scheduled first. 0: the same priority as the engine.
  int nice = 0;
};

// Usage: construct (binds and listens at once: a taken port throws std::system_error), start(),
// stop() from any thread (idempotent), join(). The registry and the health board must outlive
// join().
class back_office {
 public:
  back_office(back_office_options options, std::optional<working_calendar> calendar,
              metrics::registry& registry, http::health_board& health);
  ~back_office();
  back_office(const back_office&) = delete;
  back_office& operator=(const back_office&) = delete;

  std::uint16_t port() const { return server_->port(); }

  void start();
  // Thread-safe: the server stops accepting, requests under way get their grace, then the Redis
  // connections and the probe end and the thread returns.
  void stop();
  // Waits for the thread, at most the server's shutdown grace and a little more; past it the
  // io_context is stopped (what was still under way is dropped).
  void join();

  // Thread-safe: the calendar the API checks clock.advance and counts the effect report on is
  // replaced on the HTTP thread, between two handler steps.
  void replace_calendar(working_calendar calendar);

 private:
  back_office_options options_;
  http::health_board& health_;
  boost::asio::io_context io_{1};
  std::optional<working_calendar> calendar_;  // touched on the HTTP thread only, once started
  redis::read_link link_;
  redis::read_link health_link_;
  redis::read_model store_;
  http::cached_case_queries cached_;
  redis::stream_sink sink_;
  std::unique_ptr<http::server> server_;
  std::thread thread_;
  std::promise<void> ended_;
  std::future<void> ended_future_ = ended_.get_future();
};

}  // namespace xyp::cli
