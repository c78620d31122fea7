// Reads beside writes: the API bounds how many requests reach Redis at once; the excess waits in
// a short line for a slot, and past the line's length or its wait it is 503 with Retry-After
// instead of a queue on the store the engine commits to. The API is called directly, with a
// store that answers only when the test says.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>
#include <memory>
#include <stdexcept>

#include "adapters/http/api.hpp"

namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

const std::string viewer = "viewer-token-0123456789";

// Every read waits on `gate` until the test cancels it, then finds nothing.
class stalled_store final : public xyp::http::case_queries {
 public:
  explicit stalled_store(asio::steady_timer& gate) : gate_(gate) {}
  asio::awaitable<std::vector<xyp::case_record>> get_case(std::string) override {
    boost::system::error_code ec;
    co_await gate_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return std::vector<xyp::case_record>{};
  }
  asio::awaitable<xyp::http::case_page> list_cases(xyp::http::case_filter) override {
    throw std::logic_error("not used");
  }
  asio::awaitable<std::vector<xyp::http::open_escalation>> escalations(
      std::optional<xyp::escalation_level>, std::size_t) override {
    throw std::logic_error("not used");
  }
  asio::awaitable<xyp::http::ledger_result> ledger(xyp::http::ledger_query) override {
    throw std::logic_error("not used");
  }
  asio::awaitable<xyp::http::dashboard_summary> summary(std::size_t) override {
    throw std::logic_error("not used");
  }
  asio::awaitable<xyp::http::applied_cases> cases_applied(xyp::http::applied_window) override {
    throw std::logic_error("not used");
  }

 private:
  asio::steady_timer& gate_;
};

class no_sink final : public xyp::http::event_sink {
 public:
  asio::awaitable<xyp::http::submission> submit(xyp::inbound_event, std::string) override {
    throw std::logic_error("not used");
  }
};

xyp::http::request get(const std::string& target) {
  xyp::http::request req{bhttp::verb::get, target, 11};
  req.set(bhttp::field::authorization, "Bearer " + viewer);
  return req;
}

// The API over a stalled store, with a hand on its limits.
struct overload_rig {
  explicit overload_rig(std::size_t slots, std::size_t line, std::chrono::milliseconds wait)
      : gate(io, asio::steady_timer::time_point::max()), store(gate) {
    options.max_store_requests = slots;
    options.store_queue_length = line;
    options.store_queue_wait = wait;
    options.tokens = {{viewer, xyp::http::role::viewer, "hall screen", "hall-screen"}};
    api = std::make_unique<xyp::http::api>(
        options, store, sink, registry,
        []() -> asio::awaitable<xyp::http::store_status> { co_return xyp::http::store_status{}; });
  }

  // Every request asked is answered before the API goes: a request still suspended in the API
  // when the io_context is destroyed would give its slot back to a store gate already gone.
  ~overload_rig() {
    for (int round = 0; round < 16 && answered.size() < asked; ++round) {
      gate.cancel();
      settle();
    }
  }

  void ask(std::string target) {
    ++asked;
    asio::co_spawn(io, api->handle(get(target)),
                   [this](std::exception_ptr, xyp::http::response res) {
                     answered.push_back(res.result_int());
                     if (res.result_int() == 503) {
                       CHECK(res[bhttp::field::retry_after] == "1");
                     }
                   });
  }
  // Runs what is ready; restarts first, since an io_context that ran out of work stays stopped.
  void settle() {
    io.restart();
    io.poll();
  }

  asio::io_context io;
  asio::steady_timer gate;
  stalled_store store;
  no_sink sink;
  xyp::metrics::registry registry;
  xyp::http::server_options options;
  std::unique_ptr<xyp::http::api> api;
  std::size_t asked = 0;
  std::vector<unsigned> answered;
};

}  // namespace

TEST_CASE(
    "past the limit of store-backed requests under way, the excess waits in line and is "
    "served when a slot frees",
    "[http][overload]") {
  overload_rig r(2, 8, std::chrono::hours(1));
  r.ask("/api/v1/cases/A");
  r.ask("/api/v1/cases/B");
  r.ask("/api/v1/cases/C");
  r.settle();
  CHECK(r.answered.empty());  // A and B wait on the store, C for a slot

  // Routes that do not touch Redis are not counted.
  r.ask("/api/v1/openapi.json");
  r.settle();
  REQUIRE(r.answered.size() == 1);
  CHECK(r.answered[0] == 200);

  // The store answers A and B; C takes a freed slot and waits on the store in turn.
  r.gate.cancel();
  r.settle();
  REQUIRE(r.answered.size() == 3);
  CHECK(r.answered[1] == 404);
  CHECK(r.answered[2] == 404);
  r.gate.cancel();
  r.settle();
  REQUIRE(r.answered.size() == 4);
  CHECK(r.answered[3] == 404);  // C: served, not refused
}

TEST_CASE("past the limit, a request finding the line full is 503 with Retry-After at once",
          "[http][overload]") {
  overload_rig r(2, 1, std::chrono::hours(1));
  r.ask("/api/v1/cases/A");
  r.ask("/api/v1/cases/B");
  r.ask("/api/v1/cases/C");  // in line
  r.ask("/api/v1/cases/D");  // the line is full
  r.settle();
  REQUIRE(r.answered.size() == 1);  // answered at once, without waiting for the store
  CHECK(r.answered[0] == 503);
}

TEST_CASE("a request that waited in line for its whole wait is 503 with Retry-After",
          "[http][overload]") {
  // The wait is real time, one millisecond; the store never answers within the test.
  overload_rig r(1, 8, std::chrono::milliseconds(1));
  r.ask("/api/v1/cases/A");
  r.ask("/api/v1/cases/B");
  r.settle();
  CHECK(r.answered.empty());
  r.io.restart();
  while (r.answered.empty() && r.io.run_one() > 0) {
  }
  REQUIRE(r.answered.size() == 1);
  CHECK(r.answered[0] == 503);  // B gave up; A still waits on the store
  r.gate.cancel();
  r.settle();
  REQUIRE(r.answered.size() == 2);
  CHECK(r.answered[1] == 404);
}
