// The HTTP API against its description: every route the server serves (the route table the router
// decides with) is in docs/openapi.json and every route there is served, by a real server on a
// real redis-server; the description is served at /api/v1/openapi.json; and the store gauge the
// supplement alert reads (docs/monitoring/alerts.yml) is exported.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "adapters/common/log.hpp"
#include "adapters/http/dashboard_assets.hpp"
#include "adapters/http/routes.hpp"
#include "adapters/http/server.hpp"
#include "adapters/redis/keys.hpp"
#include "adapters/redis/read_model.hpp"
#include "engine/domain/calendar.hpp"
#include "engine/domain/case_codec.hpp"
#include "engine/domain/identity.hpp"
#include "engine/domain/partition.hpp"
#include "support/http_client.hpp"
#include "support/redis_server.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using json = nlohmann::json;

const std::string prefix = "xyproutes";
const std::string viewer = "viewer-token-0123456789";
const std::string supervisor = "supervisor-token-0123456789";

std::string person_id(int serial) {
  std::string first = "110105194912310" + std::to_string(100 + serial).substr(1);
  return first + xyp::resident_id_check_char(first);
}

using reply = xyp::test::http_reply;

asio::awaitable<reply> call(std::uint16_t port, bhttp::verb verb, std::string target,
                            std::optional<std::string> token, std::string body = {}) {
  co_return co_await xyp::test::http_call(port, verb, std::move(target), std::move(token),
                                          std::move(body));
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::string openapi_path = std::string(XYP_DOCS_DIR) + "/openapi.json";

// One redis-server with one case in supplement_overdue, and the server under test.
class fixture {
 public:
  fixture()
      : link_(io_.get_executor(), redis_.endpoint()),
        queries_(link_, read_options()),
        sink_(link_, prefix, 1) {
    xyp::log::set_level("error");
    seed();
    xyp::http::server_options options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.tokens = {{viewer, xyp::http::role::viewer, "hall screen", "hall-screen"},
                      {supervisor, xyp::http::role::supervisor, "chief", "chief"}};
    options.policy = &policy_;  // the effect report's profile and calendar
    options.calendar = &calendar_;
    server_ =
        std::make_unique<xyp::http::server>(io_.get_executor(), options, queries_, sink_, registry_,
                                            xyp::redis::make_status_probe(link_, prefix, 1));
    asio::co_spawn(io_, server_->run(), [this](std::exception_ptr) { server_done_ = true; });
  }

  ~fixture() {
    server_->stop();
    while (!server_done_ && io_.run_one() > 0) {
    }
  }

  std::uint16_t port() const { return server_->port(); }

  void run(asio::awaitable<void> test) {
    bool done = false;
    std::exception_ptr failure;
    asio::co_spawn(io_, std::move(test), [&](std::exception_ptr e) {
      done = true;
      failure = e;
    });
    while (!done) {
      if (io_.run_one() == 0) FAIL("the io_context ran out of work before the test ended");
    }
    if (failure) std::rethrow_exception(failure);
  }

 private:
  static xyp::redis::read_options read_options() {
    xyp::redis::read_options o;
    o.prefix = prefix;
    o.partitions = 1;
    o.departments = {{"住建局", {"building_permit"}}};
    return o;
  }

  void seed() {
    xyp::case_record r;
    r.case_id = "C-04";
    r.applicant_id = person_id(4);
    r.applicant = {xyp::applicant_kind::person, "申请人", "13812345678"};
    r.matter = "building_permit";
    r.department = "住建局";
    r.state = xyp::case_state::supplement_overdue;
    r.track_used = xyp::track::deficiency;
    r.missing = {"floor_plan"};
    r.applied_at = *xyp::parse_rfc3339("2026-11-05T09:00:00+08:00");
    r.version = 1;
    const xyp::redis::partition_keys k(prefix, 0);
    const std::string score = std::to_string(r.applied_at->time_since_epoch().count());
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"HSET", k.case_key(r.case_id), r.case_id, xyp::encode_case(r)},
             {"ZADD", k.by_matter(r.matter), score, r.case_id},
             {"ZADD", k.by_state("supplement_overdue"), score, r.case_id}}) {
      REQUIRE_FALSE(redis_.command(args).is_error());
    }
  }

  xyp::test::redis_server redis_;
  asio::io_context io_;
  xyp::metrics::registry registry_;
  xyp::redis::read_link link_;
  xyp::redis::read_model queries_;
  xyp::redis::stream_sink sink_;
  xyp::jurisdiction_policy policy_;
  xyp::working_calendar calendar_ =
      xyp::working_calendar::load_directory(XYP_CONFIG_DIR "/calendars");
  std::unique_ptr<xyp::http::server> server_;
  bool server_done_ = false;
};

// (method, path) of every operation the document describes.
std::set<std::pair<std::string, std::string>> documented(const json& doc) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& [path, item] : doc.at("paths").items()) {
    for (const auto& [method, operation] : item.items()) {
      std::string upper = method;
      for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.emplace(upper, path);
    }
  }
  return out;
}

std::set<std::pair<std::string, std::string>> table() {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& r : xyp::http::routes) out.emplace(r.method, r.path);
  return out;
}

std::string valid_event() {
  return json{{"id", "evt-routes-1"},
              {"type", "case.feedback"},
              {"applicant_id", person_id(4)},
              {"case_id", "C-04"},
              {"at", "2026-11-23T09:30:00+08:00"},
              {"data", {{"rating", "satisfied"}}}}
      .dump();
}

bhttp::verb verb_of(std::string_view method) {
  return method == "POST" ? bhttp::verb::post : bhttp::verb::get;
}

}  // namespace

TEST_CASE("the route table and the OpenAPI document name the same routes", "[http][openapi]") {
  const json doc = json::parse(read_text(openapi_path));
  CHECK(doc.at("openapi") == "3.1.0");
  CHECK(documented(doc) == table());
}

TEST_CASE("the document asks a token exactly of the routes the server guards", "[http][openapi]") {
  const json doc = json::parse(read_text(openapi_path));
  for (const auto& r : xyp::http::routes) {
    INFO(r.method << " " << r.path);
    std::string method(r.method);
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto& operation = doc.at("paths").at(std::string(r.path)).at(method);
    const bool asks_token = operation.at("security") == json::parse(R"([{"bearerAuth": []}])");
    CHECK(asks_token == r.needs_token);
    CHECK(operation.at("responses").contains("401") == r.needs_token);
    CHECK(operation.at("responses").contains("405"));
  }
}

TEST_CASE("every file the dashboard embeds has a route", "[http][openapi]") {
  for (const auto& asset : xyp::http::embedded_assets()) {
    INFO(asset.name);
    CHECK(xyp::http::find_route("/" + std::string(asset.name)) != nullptr);
  }
}

TEST_CASE("every route in the document is served, and answers another method with 405",
          "[http][openapi]") {
  fixture f;
  const json doc = json::parse(read_text(openapi_path));
  // Named before the coroutine, so that nothing it iterates is a temporary held across co_await.
  const auto operations = documented(doc);
  f.run([&]() -> asio::awaitable<void> {
    for (const auto& [method, path] : operations) {
      INFO(method << " " << path);
      const auto* route = xyp::http::find_route(path);
      REQUIRE(route != nullptr);
      std::string target = path;
      if (const auto open = target.find("{case_id}"); open != std::string::npos) {
        target.replace(open, std::string("{case_id}").size(), "C-04");
      }
      const std::optional<std::string> token =
          route->needs_token ? std::optional<std::string>(supervisor) : std::nullopt;
      // A conditional expression among a co_await's arguments is destroyed twice by GCC 12: named.
      const std::string body = method == "POST" ? valid_event() : std::string();
      const auto answer = co_await call(f.port(), verb_of(method), target, token, body);
      CHECK(answer.status >= 200);
      CHECK(answer.status < 300);
      const auto other = method == "POST" ? bhttp::verb::get : bhttp::verb::post;
      const auto refused = co_await call(f.port(), other, target, token, "{}");
      CHECK(refused.status == 405);
      CHECK(std::string(refused.headers[bhttp::field::allow]) == method);
    }
  }());
}

TEST_CASE("a path outside the route table is 404 whatever the method", "[http][openapi]") {
  fixture f;
  const std::vector<std::string> targets{"/api/v1/nothing", "/api/v1", "/api/v1/cases/",
                                         "/favicon.ico", "/api/v1/openapi.json/x"};
  f.run([&]() -> asio::awaitable<void> {
    for (const auto& target : targets) {
      INFO(target);
      CHECK((co_await call(f.port(), bhttp::verb::get, target, supervisor)).status == 404);
      CHECK((co_await call(f.port(), bhttp::verb::delete_, target, supervisor)).status == 404);
    }
  }());
}

TEST_CASE("the OpenAPI document is served as docs/ keeps it, to token holders only",
          "[http][openapi]") {
  fixture f;
  f.run([&]() -> asio::awaitable<void> {
    const auto served = co_await call(f.port(), bhttp::verb::get, "/api/v1/openapi.json", viewer);
    REQUIRE(served.status == 200);
    CHECK(served.headers[bhttp::field::content_type] == "application/json; charset=utf-8");
    CHECK(served.body == read_text(openapi_path));
    const auto anonymous =
        co_await call(f.port(), bhttp::verb::get, "/api/v1/openapi.json", std::nullopt);
    CHECK(anonymous.status == 401);
  }());
}

TEST_CASE("metrics count cases by state, reminded deficiency cases included", "[http][metrics]") {
  fixture f;
  f.run([&]() -> asio::awaitable<void> {
    const auto text = (co_await call(f.port(), bhttp::verb::get, "/metrics", std::nullopt)).body;
    CHECK(text.find("# TYPE xyp_cases gauge") != std::string::npos);
    CHECK(text.find("xyp_cases{state=\"supplement_overdue\"} 1\n") != std::string::npos);
    CHECK(text.find("xyp_cases{state=\"approved\"} 0\n") != std::string::npos);
  }());
}
