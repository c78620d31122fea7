// The API over in-memory fakes of its ports (adapters/http/ports.hpp): the route table's rules
// walked row by row, and the routes' own logic (parameters to the port, the port's answer
// rendered, the port's error as 503) with no Redis. The same routes against the real read model
// are in http_api_test.cpp and http_routes_test.cpp.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <catch2/catch.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "adapters/http/api.hpp"
#include "adapters/http/auth.hpp"
#include "adapters/http/ports.hpp"
#include "adapters/http/routes.hpp"
#include "engine/domain/identity.hpp"

namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using json = nlohmann::json;
using xyp::http::role;

constexpr role every_role[] = {role::viewer, role::clerk, role::supervisor, role::credit_platform,
                               role::case_system};

std::string token_of(role r) {
  return std::string(xyp::http::to_string(r)) + "-token-0123456789";
}

std::string person_id(int serial) {
  std::string first = "110105194912310" + std::to_string(100 + serial).substr(1);
  return first + xyp::resident_id_check_char(first);
}

xyp::case_record sample_case(const std::string& id) {
  xyp::case_record r;
  r.case_id = id;
  r.applicant_id = person_id(1);
  r.applicant = {xyp::applicant_kind::person, "张三", "13812345678"};
  r.matter = "food_license";
  r.department = "市场监管局";
  r.state = xyp::case_state::accepted;
  r.applied_at = xyp::instant{std::chrono::milliseconds(1'795'000'000'000)};
  return r;
}

// The read port in memory: answers from `cases` and `ledger_rows`, and remembers what it was
// asked. With `down`, every read fails as a store that cannot be reached.
class fake_queries final : public xyp::http::case_queries {
 public:
  std::vector<xyp::case_record> cases;
  std::vector<xyp::http::ledger_row> ledger_rows;
  bool down = false;
  std::size_t calls = 0;
  std::optional<xyp::http::case_filter> last_filter;

  asio::awaitable<std::vector<xyp::case_record>> get_case(std::string case_id) override {
    ask();
    std::vector<xyp::case_record> out;
    for (const auto& r : cases) {
      if (r.case_id == case_id) out.push_back(r);
    }
    co_return out;
  }
  asio::awaitable<xyp::http::case_page> list_cases(xyp::http::case_filter filter) override {
    ask();
    last_filter = filter;
    xyp::http::case_page page;
    for (const auto& r : cases) {
      if (!filter.state || r.state == *filter.state) page.cases.push_back(r);
    }
    page.total = page.cases.size();
    if (page.cases.size() > filter.limit) {
      page.cases.resize(filter.limit);
      page.next = xyp::http::page_position{1, page.cases.back().case_id};
    }
    co_return page;
  }
  asio::awaitable<std::vector<xyp::http::open_escalation>> escalations(
      std::optional<xyp::escalation_level>, std::size_t) override {
    ask();
    co_return std::vector<xyp::http::open_escalation>{};
  }
  asio::awaitable<xyp::http::ledger_result> ledger(xyp::http::ledger_query) override {
    ask();
    co_return xyp::http::ledger_result{ledger_rows, false};
  }
  asio::awaitable<xyp::http::dashboard_summary> summary(std::size_t) override {
    ask();
    co_return xyp::http::dashboard_summary{};
  }
  asio::awaitable<xyp::http::applied_cases> cases_applied(xyp::http::applied_window) override {
    ask();
    co_return xyp::http::applied_cases{};
  }

 private:
  void ask() {
    ++calls;
    if (down) throw xyp::http::store_unavailable("the fake store is down");
  }
};

class fake_sink final : public xyp::http::event_sink {
 public:
  std::vector<std::pair<xyp::inbound_event, std::string>> received;
  asio::awaitable<xyp::http::submission> submit(xyp::inbound_event event,
                                                std::string raw) override {
    received.emplace_back(std::move(event), std::move(raw));
    co_return xyp::http::submission{{0}};
  }
};

struct answer {
  unsigned status = 0;
  std::string allow;
  std::string content_type;
  std::string body;
  json doc() const { return json::parse(body); }
};

// The API over the fakes, one token per role; requests answered by driving the io_context.
struct rig {
  rig() {
    for (const auto r : every_role) {
      options.tokens.push_back({token_of(r), r, std::string(xyp::http::to_string(r)), "actor-1"});
    }
    options.matter_names = {{"food_license", "食品经营许可"}};
    api = std::make_unique<xyp::http::api>(options, queries, sink, registry,
                                           []() -> asio::awaitable<xyp::http::store_status> {
                                             xyp::http::store_status up;
                                             up.reachable = true;
                                             co_return up;
                                           });
  }

  answer ask(bhttp::verb verb, const std::string& target, std::optional<role> as,
             const std::string& body = {}, const std::string& type = "application/json") {
    xyp::http::request req{verb, target, 11};
    if (as) req.set(bhttp::field::authorization, "Bearer " + token_of(*as));
    if (!body.empty()) {
      req.set(bhttp::field::content_type, type);
      req.body() = body;
      req.prepare_payload();
    }
    std::optional<xyp::http::response> res;
    asio::co_spawn(io, api->handle(std::move(req)),
                   [&](std::exception_ptr, xyp::http::response r) { res = std::move(r); });
    io.restart();
    io.run();
    REQUIRE(res);
    return {res->result_int(), std::string((*res)[bhttp::field::allow]),
            std::string((*res)[bhttp::field::content_type]), res->body()};
  }
  answer get(const std::string& target, std::optional<role> as = role::supervisor) {
    return ask(bhttp::verb::get, target, as);
  }

  asio::io_context io;
  fake_queries queries;
  fake_sink sink;
  xyp::metrics::registry registry;
  xyp::http::server_options options;
  std::unique_ptr<xyp::http::api> api;
};

bhttp::verb verb_of(std::string_view method) {
  return method == "POST" ? bhttp::verb::post : bhttp::verb::get;
}

// A concrete target for a route's path.
std::string target_of(std::string_view path) {
  std::string target(path);
  if (const auto open = target.find('{'); open != std::string::npos) {
    target.replace(open, target.size() - open, "C-1");
  }
  return target;
}

}  // namespace

TEST_CASE("every route refuses each role below its access with 403, and serves the others",
          "[http][routes]") {
  rig r;
  r.queries.cases = {sample_case("C-1")};
  for (const auto& route : xyp::http::routes) {
    if (!route.needs_token) continue;
    for (const auto who : every_role) {
      INFO(route.method << " " << route.path << " as " << xyp::http::to_string(who));
      // The body is not an event: a role the route admits gets as far as validating it (400).
      const auto a = r.ask(verb_of(route.method), target_of(route.path), who, "{}");
      if (xyp::http::admits(route.minimum, who)) {
        CHECK(a.status != 401);
        CHECK(a.status != 403);
      } else {
        CHECK(a.status == 403);
        CHECK(a.doc().at("error") == "forbidden");
      }
    }
  }
}

TEST_CASE("every route that asks a token answers 401 without one, before it is matched",
          "[http][routes]") {
  rig r;
  for (const auto& route : xyp::http::routes) {
    INFO(route.method << " " << route.path);
    const auto a = r.ask(verb_of(route.method), target_of(route.path), std::nullopt, "{}");
    if (route.needs_token) {
      CHECK(a.status == 401);
    } else {
      CHECK(a.status == 200);
    }
  }
  // An unauthenticated caller is not told which /api/ routes exist.
  CHECK(r.get("/api/v1/nothing", std::nullopt).status == 401);
}

TEST_CASE("every route answers another method with a JSON 405 naming its own in Allow",
          "[http][routes]") {
  rig r;
  for (const auto& route : xyp::http::routes) {
    INFO(route.method << " " << route.path);
    const auto other = route.method == "POST" ? bhttp::verb::get : bhttp::verb::delete_;
    const auto a = r.ask(other, target_of(route.path), role::supervisor);
    CHECK(a.status == 405);
    CHECK(a.allow == route.method);
    CHECK(a.doc().at("error") == "method_not_allowed");
  }
}

TEST_CASE("a path no route has is a JSON 404, with a token or without", "[http][routes]") {
  rig r;
  for (const std::string target : {"/api/v1/nothing", "/api/v1/cases/", "/nothing.js"}) {
    INFO(target);
    const auto a = r.get(target);
    CHECK(a.status == 404);
    CHECK(a.content_type.starts_with("application/json"));
    CHECK(a.doc().at("error") == "not_found");
  }
  CHECK(r.get("/nothing.js", std::nullopt).status == 404);
}

TEST_CASE("a route that reads a JSON body refuses another media type with 415, before the role",
          "[http][routes]") {
  rig r;
  for (const auto& route : xyp::http::routes) {
    if (!route.json_body) continue;
    INFO(route.path);
    const auto a =
        r.ask(verb_of(route.method), target_of(route.path), role::viewer, "{}", "text/plain");
    CHECK(a.status == 415);
  }
}

TEST_CASE("a listing passes its filter to the port and renders the page it gets",
          "[http][routes]") {
  rig r;
  r.queries.cases = {sample_case("C-1"), sample_case("C-2"), sample_case("C-3")};
  r.queries.cases[2].state = xyp::case_state::approved;
  const auto page = r.get("/api/v1/cases?state=accepted&limit=1", role::viewer);
  REQUIRE(page.status == 200);
  REQUIRE(r.queries.last_filter);
  CHECK(r.queries.last_filter->state == xyp::case_state::accepted);
  CHECK(r.queries.last_filter->limit == 1);
  const auto doc = page.doc();
  REQUIRE(doc.at("cases").size() == 1);
  CHECK(doc["cases"][0]["case_id"] == "C-1");
  CHECK(doc["cases"][0]["matter_name"] == "食品经营许可");
  CHECK(doc["cases"][0]["applicant"]["contact"] == "138****5678");  // a viewer's view
  CHECK(doc["total"] == 2);
  // The cursor it hands out is the port's position, given back on the next page.
  const auto next = r.get("/api/v1/cases?cursor=" + doc["next_cursor"].get<std::string>());
  REQUIRE(next.status == 200);
  CHECK(r.queries.last_filter->after == xyp::http::page_position{1, "C-1"});
}

TEST_CASE("a bad parameter is 400 and the port is never asked", "[http][routes]") {
  rig r;
  for (const std::string target :
       {"/api/v1/cases?state=nope", "/api/v1/cases?limit=0", "/api/v1/cases?cursor=!!",
        "/api/v1/cases?color=red", "/api/v1/escalations?level=mild",
        "/api/v1/ledger?from=2026-11-30&to=2026-11-01", "/api/v1/summary?limit=201",
        "/api/v1/cases/C-1?x=1", "/api/v1/cases?state=a%zz"}) {
    INFO(target);
    const auto a = r.get(target);
    CHECK(a.status == 400);
    CHECK(a.doc().at("error") == "bad_request");
  }
  CHECK(r.queries.calls == 0);
}

TEST_CASE("one case, none, or the same id in two partitions", "[http][routes]") {
  rig r;
  r.queries.cases = {sample_case("C-1"), sample_case("C-2"), sample_case("C-2")};
  r.queries.cases[2].applicant_id = person_id(2);
  CHECK(r.get("/api/v1/cases/C-1").doc().at("case_id") == "C-1");
  CHECK(r.get("/api/v1/cases/C-9").status == 404);
  const auto both = r.get("/api/v1/cases/C-2");
  CHECK(both.status == 409);
  CHECK(both.doc().at("error") == "ambiguous_case_id");
  CHECK(both.doc().at("cases").size() == 2);
}

TEST_CASE("a store the port cannot reach is 503 unavailable on every store-backed read",
          "[http][routes]") {
  rig r;
  r.queries.down = true;
  for (const std::string target : {"/api/v1/cases", "/api/v1/cases/C-1", "/api/v1/escalations",
                                   "/api/v1/ledger", "/api/v1/summary"}) {
    INFO(target);
    const auto a = r.get(target);
    CHECK(a.status == 503);
    CHECK(a.doc().at("error") == "unavailable");
  }
}

TEST_CASE("the ledger as CSV labels results and satisfaction in the register's words",
          "[http][routes]") {
  rig r;
  xyp::http::ledger_row row;
  row.no = 4;
  row.date = "2026-11-20";
  row.name = "=SUM(A1)";
  row.contact = "13812345678";
  row.matter = "食品经营许可";
  row.department = "市场监管局";
  row.result = "approved";
  row.satisfaction = "very_satisfied";
  r.queries.ledger_rows = {row};
  const auto a = r.get("/api/v1/ledger?format=csv&from=2026-11-01", role::viewer);
  REQUIRE(a.status == 200);
  CHECK(a.content_type.starts_with("text/csv"));
  CHECK(a.body.find(
            "1,2026-11-20,'=SUM(A1),,138****5678,食品经营许可,市场监管局,准予许可,非常满意\r\n") !=
        std::string::npos);
}

TEST_CASE("a posted event reaches the sink with the token's holder as its actor",
          "[http][routes]") {
  rig r;
  const std::string event = json{{"id", "evt-1"},
                                 {"type", "case.feedback"},
                                 {"applicant_id", person_id(4)},
                                 {"case_id", "C-04"},
                                 {"at", "2026-11-23T09:30:00+08:00"},
                                 {"data", {{"rating", "satisfied"}}}}
                                .dump();
  const auto a = r.ask(bhttp::verb::post, "/api/v1/events", role::clerk, event);
  REQUIRE(a.status == 202);
  CHECK(a.doc().at("partitions") == json::array({0}));
  REQUIRE(r.sink.received.size() == 1);
  CHECK(r.sink.received[0].first.id == "evt-1");
  CHECK(json::parse(r.sink.received[0].second).at("actor").at("id") == "actor-1");
  // The credit platform may post, but not a case event.
  CHECK(r.ask(bhttp::verb::post, "/api/v1/events", role::credit_platform, event).status == 403);
}
