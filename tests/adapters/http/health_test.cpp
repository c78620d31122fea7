// /healthz tells the truth: with every commit failing (Redis at maxmemory with noeviction) it is a
// 503 naming the reason, from the engine's own reports held in memory; once Redis takes writes
// again it is 200. A real redis-server, the real runtime and the real HTTP server.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "adapters/common/log.hpp"
#include "adapters/http/health.hpp"
#include "adapters/http/server.hpp"
#include "adapters/metrics/runtime_metrics.hpp"
#include "adapters/redis/read_model.hpp"
#include "adapters/redis/runtime.hpp"
#include "engine/domain/calendar.hpp"
#include "engine/domain/policy.hpp"
#include "support/http_client.hpp"
#include "support/redis_server.hpp"
#include "support/runtime_helpers.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using namespace std::chrono_literals;
using nlohmann::json;

struct health_reply {
  unsigned status = 0;
  json body;
};

asio::awaitable<health_reply> get_health(std::uint16_t port) {
  const auto r = co_await xyp::test::http_call(port, bhttp::verb::get, "/healthz");
  co_return health_reply{r.status, r.doc()};
}

bool names_reason(const json& body, const char* reason) {
  for (const auto& r : body.value("reasons", json::array())) {
    if (r.value("reason", "") == reason) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("healthz is 503 with the reason while every commit fails, and 200 once redis recovers",
          "[http][health]") {
  xyp::log::set_level("off");
  xyp::test::redis_server redis;
  const xyp::test::simulated_engine shilong;
  const auto& processor = shilong.processor;
  const auto o = xyp::test::runtime_options_for(redis, "health", 1);

  // Events waiting in the stream, then Redis refuses every write.
  const auto lines = xyp::test::sample_day(20);
  REQUIRE(xyp::test::submit(o, lines) == lines.size());
  REQUIRE_FALSE(redis.command({"CONFIG", "SET", "maxmemory-policy", "noeviction"}).is_error());
  REQUIRE_FALSE(redis.command({"CONFIG", "SET", "maxmemory", "1"}).is_error());

  asio::io_context io;
  xyp::metrics::registry registry;
  xyp::http::health_limits limits;
  limits.probe_period = 50ms;
  xyp::http::health_board board(limits);
  xyp::http::runtime_metrics observer(registry, &board);
  xyp::redis::runtime engine(io.get_executor(), processor, o, observer);

  xyp::redis::read_link link(io.get_executor(), redis.endpoint());
  xyp::redis::read_link health_link(io.get_executor(), redis.endpoint());
  xyp::redis::read_options read;
  read.prefix = o.prefix;
  xyp::redis::read_model queries(link, read);
  xyp::redis::stream_sink sink(link, o.prefix, 1);
  xyp::http::server_options options;
  options.port = 0;
  xyp::http::server server(io.get_executor(), options, queries, sink, registry,
                           xyp::redis::make_status_probe(link, o.prefix, 1), &board);

  bool engine_done = false;
  bool server_done = false;
  bool probe_done = false;
  asio::co_spawn(io, engine.run(), [&](std::exception_ptr) { engine_done = true; });
  asio::co_spawn(io, server.run(), [&](std::exception_ptr) { server_done = true; });
  asio::co_spawn(
      io, xyp::http::keep_probing(board, xyp::redis::make_status_probe(health_link, o.prefix, 1)),
      [&](std::exception_ptr) { probe_done = true; });

  bool done = false;
  std::exception_ptr failure;
  // Named: a coroutine lambda's captures live in the closure, which must outlive the coroutine.
  const auto check = [&]() -> asio::awaitable<void> {
    asio::steady_timer pause(co_await asio::this_coro::executor);
    // Bounded waits: the engine backs off between failures, up to 2 s.
    health_reply h;
    for (int i = 0; i < 200; ++i) {
      h = co_await get_health(server.port());
      if (h.status == 503 && names_reason(h.body, "commits_failing")) break;
      pause.expires_after(50ms);
      co_await pause.async_wait(asio::use_awaitable);
    }
    INFO(h.body.dump());
    CHECK(h.status == 503);
    CHECK(h.body["status"] == "degraded");
    CHECK(h.body["redis"] == true);
    CHECK(names_reason(h.body, "commits_failing"));

    REQUIRE_FALSE(redis.command({"CONFIG", "SET", "maxmemory", "0"}).is_error());
    for (int i = 0; i < 200; ++i) {
      h = co_await get_health(server.port());
      if (h.status == 200) break;
      pause.expires_after(50ms);
      co_await pause.async_wait(asio::use_awaitable);
    }
    INFO(h.body.dump());
    CHECK(h.status == 200);
    CHECK(h.body["status"] == "ok");
    CHECK(h.body["reasons"].empty());
    CHECK(h.body["partitions"][0]["commit_failures_in_a_row"] == 0);
  };
  asio::co_spawn(io, check(), [&](std::exception_ptr e) {
    done = true;
    failure = e;
  });
  while (!done && io.run_one() > 0) {
  }
  engine.stop();
  server.stop();
  board.stop();
  link.close();
  health_link.close();
  io.run_for(10s);
  CHECK(engine_done);
  CHECK(server_done);
  CHECK(probe_done);
  if (failure) std::rethrow_exception(failure);
}

TEST_CASE("healthz is 503 when the lag measured by the probe passes the threshold",
          "[http][health]") {
  xyp::http::health_limits limits;
  limits.max_lag = 100;
  xyp::http::health_board board(limits);
  xyp::http::store_status s;
  s.reachable = true;
  s.partitions.push_back({0, 100, 0, 0});
  s.partitions.push_back({1, 101, 0, 0});
  board.probed(s);
  auto v = board.judge();
  CHECK_FALSE(v.healthy);
  REQUIRE(v.body["reasons"].size() == 1);
  CHECK(v.body["reasons"][0]["reason"] == "lag_too_high");
  CHECK(v.body["reasons"][0]["partition"] == 1);
  s.partitions[1].lag = 3;
  board.probed(s);
  CHECK(board.judge().healthy);
}
