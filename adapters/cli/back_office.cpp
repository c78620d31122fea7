#include "adapters/cli/back_office.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "adapters/common/log.hpp"

namespace xyp::cli {

namespace asio = boost::asio;

namespace {

// The server's options as the back office runs them: its calendar copy, and the read cache's
// ttl shared between the two layers that keep answers (the store's answers, then the rendered
// ones), so that an answer is never older than the ttl in all.
http::server_options as_served(http::server_options o,
                               const std::optional<working_calendar>& calendar,
                               std::chrono::milliseconds ttl) {
  o.calendar = calendar ? &*calendar : nullptr;
  o.response_cache_ttl = ttl - ttl / 2;
  return o;
}

http::read_cache_options store_layer(http::read_cache_options o) {
  o.ttl = o.ttl / 2;
  return o;
}

asio::awaitable<redis::reply> ping(redis::router& c) {
  co_return co_await c.command(redis::cmd("PING"));
}

// Connects the API's link before the first request needs it: a request arriving while the link
// connects fails at once (redis::read_link), and the first request after a start should not be a
// 503.
asio::awaitable<void> warm_up(redis::read_link& link) {
  try {
    co_await link.run(ping(link.nodes()));
  } catch (const std::exception& e) {
    log::warn("http: redis not reachable yet", {{"error", e.what()}});
  }
}

}  // namespace

back_office::back_office(back_office_options options, std::optional<working_calendar> calendar,
                         metrics::registry& registry, http::health_board& health)
    : options_(std::move(options)),
      health_(health),
      calendar_(std::move(calendar)),
      link_(io_.get_executor(), options_.redis),
      health_link_(io_.get_executor(), options_.redis),
      store_(link_, options_.reads),
      cached_(store_, store_layer(options_.cache)),
      sink_(link_, options_.reads.prefix, options_.reads.partitions) {
  server_ = std::make_unique<http::server>(
      io_.get_executor(), as_served(options_.server, calendar_, options_.cache.ttl), cached_, sink_,
      registry, redis::make_status_probe(link_, options_.reads.prefix, options_.reads.partitions),
      &health_);
}

back_office::~back_office() {
  stop();
  join();
}

void back_office::start() {
  // The thread's loop ends once the server and the probe have ended, stopped rather than left to
  // run out of work: a Redis connection opened again by a call still on its way when the links
  // closed would otherwise keep it going until join()'s bound.
  auto parts_left = std::make_shared<int>(2);
  auto part_ended = [this, parts_left] {
    if (--*parts_left == 0) io_.stop();
  };
  asio::co_spawn(io_, server_->run(), [this, part_ended](std::exception_ptr failure) {
    if (failure) log::error("http server stopped by a defect");
    link_.close();
    health_.stop();
    health_link_.close();
    part_ended();
  });
  asio::co_spawn(io_, warm_up(link_), asio::detached);
  asio::co_spawn(
      io_,
      http::keep_probing(health_, redis::make_status_probe(health_link_, options_.reads.prefix,
                                                           options_.reads.partitions)),
      [part_ended](std::exception_ptr) { part_ended(); });
  thread_ = std::thread([this] {
    if (options_.nice > 0 &&
        ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), options_.nice) != 0) {
      log::warn("http thread priority unchanged", {{"error", std::strerror(errno)}});
    }
    try {
      io_.run();
    } catch (const std::exception& e) {
      log::error("http thread stopped by a defect", {{"error", e.what()}});
    }
    ended_.set_value();
  });
}

void back_office::stop() {
  if (server_) server_->stop();
}

void back_office::join() {
  if (!thread_.joinable()) return;
  // The server's grace, its forced close, and the probe's last turn.
  const auto bound =
      options_.server.shutdown_grace + std::chrono::seconds(3) + health_.limits().probe_period;
  if (ended_future_.wait_for(bound) != std::future_status::ready) {
    log::warn("http side did not stop in time; stopping it now");
    io_.stop();
  }
  thread_.join();
}

void back_office::replace_calendar(working_calendar calendar) {
  asio::post(io_, [this, c = std::move(calendar)]() mutable {
    if (calendar_) *calendar_ = std::move(c);
  });
}

}  // namespace xyp::cli
