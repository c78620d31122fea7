// Reads beside writes: the API bounds how many requests reach Redis at once, and answers the
// excess at once with 503 and Retry-After instead of queueing them on the store the engine
// commits to. The API is called directly, with a store that answers only when the test says.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>
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
  asio::awaitable<std::vector<xyp::http::open_escalation>> escalations(std::string,
                                                                       std::size_t) override {
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

}  // namespace

TEST_CASE("past the limit of store-backed requests under way, the excess is 503 with Retry-After",
          "[http][overload]") {
  asio::io_context io;
  asio::steady_timer gate(io, asio::steady_timer::time_point::max());
  stalled_store store(gate);
  no_sink sink;
  xyp::metrics::registry registry;
  xyp::http::server_options options;
  options.max_store_requests = 2;
  options.tokens = {{viewer, xyp::http::role::viewer, "hall screen", "hall-screen"}};
  xyp::http::api api(
      options, store, sink, registry,
      []() -> asio::awaitable<xyp::http::store_status> { co_return xyp::http::store_status{}; });

  std::vector<unsigned> answered;
  auto ask = [&](std::string target) {
    asio::co_spawn(io, api.handle(get(target)), [&](std::exception_ptr, xyp::http::response res) {
      answered.push_back(res.result_int());
      if (res.result_int() == 503) {
        CHECK(res[bhttp::field::retry_after] == "1");
      }
    });
  };
  // Runs what is ready; restarts first, since an io_context that ran out of work stays stopped.
  auto settle = [&] {
    io.restart();
    io.poll();
  };
  ask("/api/v1/cases/A");
  ask("/api/v1/cases/B");
  settle();
  CHECK(answered.empty());  // both wait on the store

  ask("/api/v1/cases/C");
  settle();
  REQUIRE(answered.size() == 1);  // answered at once, without waiting for the store
  CHECK(answered[0] == 503);

  // Routes that do not touch Redis are not counted.
  ask("/api/v1/openapi.json");
  settle();
  REQUIRE(answered.size() == 2);
  CHECK(answered[1] == 200);

  // Once the store answers, the slots are free again.
  gate.cancel();
  settle();
  REQUIRE(answered.size() == 4);
  CHECK(answered[2] == 404);
  CHECK(answered[3] == 404);
  ask("/api/v1/cases/D");
  settle();
  CHECK(answered.size() == 4);  // D waits on the store, not refused
  gate.cancel();
  settle();
  REQUIRE(answered.size() == 5);
  CHECK(answered[4] == 404);
}
