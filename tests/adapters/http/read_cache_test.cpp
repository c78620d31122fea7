// Reads beside writes: the back office's short-lived cache. A repeat of a read within the ttl is
// the same answer without a store read; after the ttl the store is read again; reads of one query
// that arrive while its read is under way share that read. The clock is the test's own.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>
#include <memory>
#include <stdexcept>

#include "adapters/http/api.hpp"
#include "adapters/http/read_cache.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using xyp::http::case_page;

// Counts its reads; a listing answers with one case named after the read's number, so that a
// test can tell a kept answer from a new one. While `stalled`, reads wait on the gate.
class counting_store final : public xyp::http::case_queries {
 public:
  explicit counting_store(asio::io_context& io) : gate(io, asio::steady_timer::time_point::max()) {}

  int reads = 0;
  bool stalled = false;
  bool failing = false;
  asio::steady_timer gate;

  asio::awaitable<std::vector<xyp::case_record>> get_case(std::string id) override {
    co_await read();
    xyp::case_record r;
    r.case_id = id + "#" + std::to_string(reads);
    co_return std::vector<xyp::case_record>{r};
  }
  asio::awaitable<case_page> list_cases(xyp::http::case_filter) override {
    co_await read();
    case_page p;
    p.cases.emplace_back().case_id = "read-" + std::to_string(reads);
    co_return p;
  }
  asio::awaitable<std::vector<xyp::http::open_escalation>> escalations(
      std::optional<xyp::escalation_level>, std::size_t) override {
    throw std::logic_error("not used");
  }
  asio::awaitable<xyp::http::ledger_result> ledger(xyp::http::ledger_query) override {
    throw std::logic_error("not used");
  }
  asio::awaitable<xyp::http::dashboard_summary> summary(std::size_t) override {
    co_await read();
    xyp::http::dashboard_summary s;
    s.total_cases = static_cast<std::uint64_t>(reads);
    co_return s;
  }
  asio::awaitable<xyp::http::applied_cases> cases_applied(xyp::http::applied_window) override {
    throw std::logic_error("not used");
  }

 private:
  asio::awaitable<void> read() {
    ++reads;
    if (stalled) {
      boost::system::error_code ec;
      co_await gate.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (failing) throw std::runtime_error("the store is down");
  }
};

// Runs one read to its end on the io_context and returns its value.
template <class T>
T run(asio::io_context& io, asio::awaitable<T> work) {
  std::optional<T> out;
  std::exception_ptr failure;
  asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T v) {
    failure = e;
    if (!e) out = std::move(v);
  });
  io.restart();
  io.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*out);
}

class no_sink final : public xyp::http::event_sink {
 public:
  asio::awaitable<xyp::http::submission> submit(xyp::inbound_event, std::string) override {
    throw std::logic_error("not used");
  }
};

const std::string viewer = "viewer-token-0123456789";
const std::string supervisor = "supervisor-token-0123456789";

// The API over the counting store, with the response cache on and the test's clock.
struct api_rig {
  explicit api_rig(std::chrono::milliseconds ttl) : store(io) {
    options.response_cache_ttl = ttl;
    options.now = [this] { return now; };
    options.tokens = {{viewer, xyp::http::role::viewer, "hall screen", "hall-screen"},
                      {supervisor, xyp::http::role::supervisor, "chief", "supervisor-01"}};
    api = std::make_unique<xyp::http::api>(
        options, store, sink, registry,
        []() -> asio::awaitable<xyp::http::store_status> { co_return xyp::http::store_status{}; });
  }

  xyp::http::response get(const std::string& target, const std::string& token) {
    xyp::http::request req{boost::beast::http::verb::get, target, 11};
    req.set(boost::beast::http::field::authorization, "Bearer " + token);
    return run(io, api->handle(std::move(req)));
  }

  asio::io_context io;
  counting_store store;
  no_sink sink;
  xyp::metrics::registry registry;
  xyp::http::server_options options;
  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::time_point{} + 1h;
  std::unique_ptr<xyp::http::api> api;
};

xyp::http::case_filter listing(std::optional<xyp::case_state> state = std::nullopt) {
  xyp::http::case_filter f;
  f.state = state;
  f.limit = 20;
  return f;
}

}  // namespace

TEST_CASE(
    "a repeat of a listing within the cache's ttl is served without a store read, and read "
    "again after it",
    "[http][cache]") {
  asio::io_context io;
  counting_store store(io);
  auto now = std::chrono::steady_clock::time_point{} + 1h;
  xyp::http::read_cache_options o;
  o.ttl = 500ms;
  xyp::http::cached_case_queries cache(store, o, [&] { return now; });

  CHECK(run(io, cache.list_cases(listing())).cases.at(0).case_id == "read-1");
  now += 499ms;
  CHECK(run(io, cache.list_cases(listing())).cases.at(0).case_id == "read-1");
  CHECK(store.reads == 1);
  now += 1ms;  // the ttl is over
  CHECK(run(io, cache.list_cases(listing())).cases.at(0).case_id == "read-2");
  CHECK(store.reads == 2);
}

TEST_CASE("reads with different arguments are kept apart by the cache", "[http][cache]") {
  asio::io_context io;
  counting_store store(io);
  const auto now = std::chrono::steady_clock::time_point{} + 1h;
  xyp::http::cached_case_queries cache(store, {}, [&] { return now; });

  CHECK(run(io, cache.list_cases(listing())).cases.at(0).case_id == "read-1");
  CHECK(run(io, cache.list_cases(listing(xyp::case_state::applied))).cases.at(0).case_id ==
        "read-2");
  CHECK(run(io, cache.get_case("A")).at(0).case_id == "A#3");
  CHECK(run(io, cache.get_case("B")).at(0).case_id == "B#4");
  CHECK(run(io, cache.get_case("A")).at(0).case_id == "A#3");
  CHECK(run(io, cache.summary(20)).total_cases == 5);
  CHECK(run(io, cache.summary(10)).total_cases == 6);
  CHECK(store.reads == 6);
}

TEST_CASE("requests for the same read while it is under way share it: one store read for all",
          "[http][cache]") {
  asio::io_context io;
  counting_store store(io);
  store.stalled = true;
  const auto now = std::chrono::steady_clock::time_point{} + 1h;
  xyp::http::cached_case_queries cache(store, {}, [&] { return now; });

  std::vector<std::uint64_t> answers;
  for (int i = 0; i < 3; ++i) {
    asio::co_spawn(io, cache.summary(20),
                   [&](std::exception_ptr e, xyp::http::dashboard_summary s) {
                     if (!e) answers.push_back(s.total_cases);
                   });
  }
  io.poll();
  CHECK(answers.empty());  // all three wait on the one read
  CHECK(store.reads == 1);
  store.gate.cancel();
  io.restart();
  io.run();
  CHECK(answers == std::vector<std::uint64_t>{1, 1, 1});
  CHECK(store.reads == 1);
}

TEST_CASE("a failed read is not kept: the next request reads the store again", "[http][cache]") {
  asio::io_context io;
  counting_store store(io);
  const auto now = std::chrono::steady_clock::time_point{} + 1h;
  xyp::http::cached_case_queries cache(store, {}, [&] { return now; });

  store.failing = true;
  CHECK_THROWS_AS(run(io, cache.list_cases(listing())), std::runtime_error);
  store.failing = false;
  CHECK(run(io, cache.list_cases(listing())).cases.at(0).case_id == "read-2");
  CHECK(store.reads == 2);
}

TEST_CASE("with a ttl of zero every request reads the store", "[http][cache]") {
  asio::io_context io;
  counting_store store(io);
  xyp::http::read_cache_options o;
  o.ttl = 0ms;
  xyp::http::cached_case_queries cache(store, o);
  run(io, cache.list_cases(listing()));
  run(io, cache.list_cases(listing()));
  CHECK(store.reads == 2);
}

TEST_CASE(
    "the same role asking for the same target within the ttl gets the answer as rendered, "
    "without a store read",
    "[http][cache]") {
  api_rig r(250ms);
  const auto first = r.get("/api/v1/cases?limit=20", viewer);
  REQUIRE(first.result_int() == 200);
  CHECK(first.body().find("read-1") != std::string::npos);
  r.now += 249ms;
  const auto again = r.get("/api/v1/cases?limit=20", viewer);
  CHECK(again.body() == first.body());
  CHECK(r.store.reads == 1);
  r.now += 1ms;  // the ttl is over
  CHECK(r.get("/api/v1/cases?limit=20", viewer).body().find("read-2") != std::string::npos);
  CHECK(r.store.reads == 2);
}

TEST_CASE("rendered answers are kept apart by role and by target", "[http][cache]") {
  api_rig r(std::chrono::hours(1));
  r.get("/api/v1/cases?limit=20", viewer);
  r.get("/api/v1/cases?limit=20", supervisor);  // a viewer's answer is masked, not a supervisor's
  r.get("/api/v1/cases?limit=21", viewer);
  CHECK(r.store.reads == 3);
  r.get("/api/v1/cases?limit=21", viewer);
  CHECK(r.store.reads == 3);
}

TEST_CASE("without a response cache every request is rendered from a store read", "[http][cache]") {
  api_rig r(0ms);
  r.get("/api/v1/summary", viewer);
  r.get("/api/v1/summary", viewer);
  CHECK(r.store.reads == 2);
}
