// The back office on its own thread: /healthz answers from the health board the engine reports
// into while the engine's thread is blocked inside a commit, and stopping either side from the
// other's thread ends both cleanly. A real redis-server, the real runtime and the real server.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "adapters/cli/back_office.hpp"
#include "adapters/common/log.hpp"
#include "adapters/metrics/runtime_metrics.hpp"
#include "adapters/redis/runtime.hpp"
#include "engine/domain/calendar.hpp"
#include "engine/domain/policy.hpp"
#include "support/http_client.hpp"
#include "support/redis_server.hpp"
#include "support/runtime_helpers.hpp"

namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using namespace std::chrono_literals;

// The runtime's observer, counting as `xinyipi run` does, that holds the engine's thread inside
// its first commit report until the test lets it go: the test seam for "the loop is busy".
class blocking_observer final : public xyp::redis::runtime_observer {
 public:
  blocking_observer(xyp::metrics::registry& registry, xyp::http::health_board& board)
      : inner_(registry, &board) {}

  std::promise<void> entered;  // the engine's thread is held
  std::promise<void> release;  // let it go

  void committed(std::uint32_t partition, const xyp::commit_unit& unit,
                 xyp::redis::commit_status status) override {
    inner_.committed(partition, unit, status);
    if (held_) return;
    held_ = true;
    entered.set_value();
    release_future_.wait();
  }
  void acquired(std::uint32_t partition, const std::string& token) override {
    inner_.acquired(partition, token);
  }

 private:
  xyp::http::runtime_metrics inner_;
  bool held_ = false;
  std::future<void> release_future_ = release.get_future();
};

// One GET on the test's own io_context, bounded by a deadline so that a server that does not
// answer fails the test instead of hanging it.
xyp::test::http_reply get_within(std::uint16_t port, const std::string& target,
                                 std::chrono::milliseconds deadline) {
  asio::io_context io;
  auto reply =
      asio::co_spawn(io, xyp::test::http_call(port, bhttp::verb::get, target), asio::use_future);
  io.run_for(deadline);
  if (reply.wait_for(0s) != std::future_status::ready) {
    throw std::runtime_error(target + " did not answer within the deadline");
  }
  return reply.get();
}

}  // namespace

TEST_CASE("healthz answers from the health board while the engine's thread is blocked in a commit",
          "[http][health][threads]") {
  xyp::log::set_level("off");
  xyp::test::redis_server redis;
  const xyp::test::simulated_engine shilong;
  const auto& processor = shilong.processor;
  const auto& calendar = shilong.calendar;
  const auto o = xyp::test::runtime_options_for(redis, "office", 1);
  REQUIRE(xyp::test::submit(o, xyp::test::sample_day(5)) == 5);

  xyp::metrics::registry registry;
  xyp::http::health_limits limits;
  limits.probe_period = 20ms;
  xyp::http::health_board board(limits);
  blocking_observer observer(registry, board);

  xyp::cli::back_office_options office_options;
  office_options.server.port = 0;
  office_options.server.shutdown_grace = 1s;
  office_options.redis = redis.endpoint();
  office_options.reads.prefix = o.prefix;
  xyp::cli::back_office office(office_options, calendar, registry, board);
  office.start();

  asio::io_context engine_io;
  xyp::redis::runtime engine(engine_io.get_executor(), processor, o, observer);
  auto engine_done = asio::co_spawn(engine_io, engine.run(), asio::use_future);
  std::thread engine_thread([&] { engine_io.run(); });
  auto entered = observer.entered.get_future();
  const bool held = entered.wait_for(10s) == std::future_status::ready;
  CHECK(held);

  // The engine's only thread is inside its commit report: the health route still answers, with
  // the commit the engine reported before it stopped.
  nlohmann::json body;
  unsigned status = 0;
  if (held) {
    const auto r = get_within(office.port(), "/healthz", 5s);
    status = r.status;
    body = r.doc();
  }
  observer.release.set_value();
  INFO(body.dump());
  CHECK((status == 200 || status == 503));
  REQUIRE(body.contains("partitions"));
  REQUIRE(body["partitions"].size() == 1);
  CHECK(body["partitions"][0]["commit_failures_in_a_row"] == 0);
  CHECK(body["partitions"][0]["last_commit"].is_string());

  // Stopped from this thread, each side ends on its own.
  asio::post(engine_io, [&] { engine.stop(); });
  office.stop();
  office.join();
  CHECK(engine_done.wait_for(10s) == std::future_status::ready);
  engine_io.stop();
  engine_thread.join();
}

TEST_CASE("the back office stops from another thread with a request's connection open",
          "[http][threads]") {
  xyp::log::set_level("off");
  xyp::test::redis_server redis;
  xyp::metrics::registry registry;
  xyp::http::health_board board;
  xyp::cli::back_office_options office_options;
  office_options.server.port = 0;
  office_options.server.shutdown_grace = 200ms;
  office_options.redis = redis.endpoint();
  xyp::cli::back_office office(office_options, std::nullopt, registry, board);
  office.start();
  CHECK(get_within(office.port(), "/healthz", 5s).status != 0);
  const auto started = std::chrono::steady_clock::now();
  office.stop();
  office.join();
  // Within its grace and the probe's turn, not the join's fallback.
  CHECK(std::chrono::steady_clock::now() - started < 3s);
}

TEST_CASE(
    "a calendar replaced from the engine's thread is the one the next clock.advance is "
    "checked against",
    "[http][threads]") {
  xyp::log::set_level("off");
  xyp::test::redis_server redis;
  const std::string supervisor = "supervisor-token-0123456789";
  auto calendar = xyp::working_calendar::load_directory(XYP_CONFIG_DIR "/calendars");
  const auto last = static_cast<int>(calendar.last_year());
  xyp::metrics::registry registry;
  xyp::http::health_board board;
  xyp::cli::back_office_options office_options;
  office_options.server.port = 0;
  office_options.server.shutdown_grace = 200ms;
  office_options.server.tokens = {
      {supervisor, xyp::http::role::supervisor, "chief", "supervisor-01"}};
  office_options.redis = redis.endpoint();
  office_options.reads.prefix = "office";
  xyp::cli::back_office office(office_options, calendar, registry, board);
  office.start();

  // A clock.advance into the year after the calendar's last.
  const std::string beyond = R"({"id":"evt-clock-far","type":"clock.advance",)"
                             R"("at":"2026-11-24T00:00:00+08:00","data":{"to":")" +
                             std::to_string(last + 1) + R"(-06-01T00:00:00+08:00"}})";
  auto post = [&] {
    asio::io_context io;
    auto reply = asio::co_spawn(io,
                                xyp::test::http_call(office.port(), bhttp::verb::post,
                                                     "/api/v1/events", supervisor, beyond),
                                asio::use_future);
    io.run_for(5s);
    REQUIRE(reply.wait_for(0s) == std::future_status::ready);
    return reply.get().status;
  };
  CHECK(post() == 400);

  // A notice for the next year loaded (as SIGHUP does on the engine's thread): the HTTP side's
  // copy is swapped on its own thread, and the same event is now within the calendar.
  calendar.add_year_file(XYP_TEST_DATA_DIR "/calendars/cn-2027-fixture.json");
  REQUIRE(static_cast<int>(calendar.last_year()) == last + 1);
  std::thread engine_thread([&] { office.replace_calendar(calendar); });
  engine_thread.join();
  CHECK(post() == 202);
  office.stop();
  office.join();
}
