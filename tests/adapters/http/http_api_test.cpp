// The HTTP API end to end: a real redis-server seeded in the commit script's layout, the server on
// a free loopback port, and a Beast client calling every route with every role.
#include <algorithm>
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "adapters/common/log.hpp"
#include "adapters/http/server.hpp"
#include "adapters/redis/keys.hpp"
#include "adapters/redis/layout.hpp"
#include "adapters/redis/read_model.hpp"
#include "engine/domain/calendar.hpp"
#include "engine/domain/case_codec.hpp"
#include "engine/domain/identity.hpp"
#include "engine/domain/ledger_record.hpp"
#include "engine/domain/partition.hpp"
#include "engine/domain/policy.hpp"
#include "support/http_client.hpp"
#include "support/redis_cluster.hpp"
#include "support/redis_server.hpp"
#include "support/routed_client.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using json = nlohmann::json;
using xyp::case_record;
using xyp::case_state;
using xyp::clock_kind;
using xyp::escalation_level;
using xyp::instant;
using xyp::redis::partition_keys;

constexpr std::uint32_t partitions = 2;
const std::string prefix = "xyptest";
const std::string viewer = "viewer-token-0123456789";
const std::string clerk = "clerk-token-0123456789";
const std::string supervisor = "supervisor-token-0123456789";
const std::string credit_platform = "credit-platform-token-0123456789";
const std::string case_system = "case-system-token-0123456789";

instant at(const char* text) {
  return *xyp::parse_rfc3339(text);
}
// Members and scores as the commit writes them (adapters/redis/layout.hpp).
std::string ms(instant t) {
  return xyp::redis::time_score(t);
}

// A valid resident id whose digits 15-17 are `serial`.
std::string person_id(int serial) {
  std::string first = "110105194912310" + std::to_string(100 + serial).substr(1);
  return first + xyp::resident_id_check_char(first);
}

using client_reply = xyp::test::http_reply;
using xyp::test::http_call;

asio::awaitable<client_reply> get(std::uint16_t port, std::string target,
                                  std::optional<std::string> token = std::nullopt) {
  co_return co_await http_call(port, bhttp::verb::get, std::move(target), std::move(token));
}

// A case as the engine would have written it.
case_record make_case(const std::string& id, int applicant, case_state state,
                      const std::string& department, const std::string& matter,
                      const char* applied) {
  case_record r;
  r.case_id = id;
  r.applicant_id = person_id(applicant);
  r.applicant = {xyp::applicant_kind::person, "申请人" + std::to_string(applicant), "13812345678"};
  r.matter = matter;
  r.department = department;
  r.state = state;
  r.applied_at = at(applied);
  r.credit.known = true;
  r.credit.grade = xyp::credit_grade::AA;
  r.history.push_back({"evt-" + id, "case.apply", at(applied), std::nullopt, case_state::applied});
  r.version = 1;
  return r;
}

// Where the fixture's Redis is: one redis-server, or a Redis Cluster of three masters.
enum class store_kind { one_redis, cluster };

std::unique_ptr<xyp::test::redis_target> start_store(store_kind kind) {
  if (kind == store_kind::cluster) return std::make_unique<xyp::test::redis_cluster>();
  return std::make_unique<xyp::test::redis_server>();
}

// The test's redis, its seed in the commit script's layout, and the server under test.
class fixture {
 public:
  explicit fixture(std::chrono::milliseconds read_timeout = std::chrono::seconds(10),
                   const std::function<void(xyp::http::server_options&)>& tweak = {},
                   store_kind kind = store_kind::one_redis)
      : store_(start_store(kind)),
        link_(io_.get_executor(), store_->endpoint()),
        queries_(link_, read_options()),
        sink_(link_, prefix, partitions) {
    xyp::log::set_level("error");
    seed();
    xyp::http::server_options options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.max_body_bytes = 8 * 1024;
    options.read_timeout = read_timeout;
    options.partitions = partitions;
    options.tokens = {
        {viewer, xyp::http::role::viewer, "hall screen", "hall-screen"},
        {clerk, xyp::http::role::clerk, "window 3", "clerk-07"},
        {supervisor, xyp::http::role::supervisor, "chief", "supervisor-01"},
        {credit_platform, xyp::http::role::credit_platform, "credit platform", "credit-platform"},
        {case_system, xyp::http::role::case_system, "case system", "case-system"}};
    options.matter_names = {{"food_license", "食品经营许可"}, {"building_permit", "施工许可"}};
    if (tweak) tweak(options);
    server_ = std::make_unique<xyp::http::server>(
        io_.get_executor(), options, queries_, sink_, registry_,
        xyp::redis::make_status_probe(link_, prefix, partitions));
    asio::co_spawn(io_, server_->run(), [this](std::exception_ptr e) {
      server_done_ = true;
      server_failure_ = e;
    });
  }

  ~fixture() {
    server_->stop();
    while (!server_done_ && io_.run_one() > 0) {
    }
  }

  std::uint16_t port() const { return server_->port(); }
  xyp::http::server& server() { return *server_; }
  bool server_done() const { return server_done_; }
  // The one redis-server (not on a Cluster fixture).
  xyp::test::redis_server& redis() { return dynamic_cast<xyp::test::redis_server&>(*store_); }
  // A client reading the fixture's Redis, a Cluster's by key slot.
  xyp::test::routed_client& client() {
    if (!client_) client_ = std::make_unique<xyp::test::routed_client>(store_->port());
    return *client_;
  }
  xyp::metrics::registry& registry() { return registry_; }

  // Drives the io_context until the test's coroutine has finished; no sleeps.
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

  void put(const case_record& r) {
    const partition_keys k(prefix, xyp::partition_of(r.applicant_id, partitions));
    const std::string score = ms(*r.applied_at);
    cmd({"HSET", k.case_key(r.case_id), r.case_id, xyp::encode_case(r)});
    cmd({"ZADD", k.by_matter(r.matter), score, r.case_id});
    cmd({"ZADD", k.by_state(std::string(to_string(r.state))), score, r.case_id});
    for (const auto& e : r.escalations) {
      if (!e.open) continue;
      if (e.level == escalation_level::overdue) cmd({"ZADD", k.overdue(), score, r.case_id});
      cmd({"ZADD", k.escalations(), ms(e.raised_at),
           xyp::redis::escalation_member(r.case_id, e.clock, e.level)});
    }
  }

 private:
  static xyp::redis::read_options read_options() {
    xyp::redis::read_options o;
    o.prefix = prefix;
    o.partitions = partitions;
    o.departments = {{"市场监管局", {"food_license"}},
                     {"住建局", {"building_permit"}},
                     {"交通运输局", {"road_transport"}}};
    o.scan_budget = 64;
    return o;
  }

  void cmd(const std::vector<std::string>& args) {
    const auto r = client().command(args);
    REQUIRE_FALSE(r.is_error());
  }

  void seed() {
    // Decided, nothing open.
    put(make_case("C-01", 1, case_state::approved, "市场监管局", "food_license",
                  "2026-11-02T09:00:00+08:00"));
    // Nearing its decision limit: a warning on the decision clock.
    auto c2 = make_case("C-02", 2, case_state::accepted, "市场监管局", "food_license",
                        "2026-11-03T09:00:00+08:00");
    c2.clocks.push_back({"C-02/t1/decision", clock_kind::decision, at("2026-11-25T17:00:00+08:00"),
                         xyp::clock_status::armed});
    c2.escalations.push_back({escalation_level::warning, clock_kind::decision_warning,
                              at("2026-11-25T17:00:00+08:00"), at("2026-11-20T09:00:00+08:00"),
                              true});
    put(c2);
    // Overdue on the decision clock.
    auto c3 = make_case("C-03", 3, case_state::accepted, "住建局", "building_permit",
                        "2026-11-04T09:00:00+08:00");
    c3.escalations.push_back({escalation_level::overdue, clock_kind::decision,
                              at("2026-11-18T17:00:00+08:00"), at("2026-11-18T17:00:00+08:00"),
                              true});
    put(c3);
    // Deficiency acceptance, reminded, materials still missing.
    auto c4 = make_case("C-04", 4, case_state::supplement_overdue, "住建局", "building_permit",
                        "2026-11-05T09:00:00+08:00");
    c4.track_used = xyp::track::deficiency;
    c4.missing = {"floor_plan"};
    c4.clocks.push_back({"C-04/t2/supplement_grace", clock_kind::supplement_grace,
                         at("2026-11-28T17:00:00+08:00"), xyp::clock_status::armed});
    c4.escalations.push_back({escalation_level::warning, clock_kind::supplement,
                              at("2026-11-19T08:00:00+08:00"), at("2026-11-19T08:00:00+08:00"),
                              true});
    put(c4);
    // Paging material: twelve applications in one department, two sharing a millisecond.
    for (int i = 0; i < 12; ++i) {
      const std::string day = std::to_string(10 + i);
      const std::string when = "2026-11-" + day + (i == 5 ? "T10:00:00+08:00" : "T09:00:00+08:00");
      put(make_case("P-" + std::string(i < 10 ? "0" : "") + std::to_string(i), 10 + i,
                    case_state::applied, "交通运输局", "road_transport", when.c_str()));
    }
    put(make_case("P-tie", 30, case_state::applied, "交通运输局", "road_transport",
                  "2026-11-15T10:00:00+08:00"));

    // The ledger: numbers per partition, each row naming its case; two rows share 2026-11-20,
    // in case-id order the other way round from their partitions.
    const partition_keys p0(prefix, 0), p1(prefix, 1);
    auto row = [](int no, const char* case_id, const char* date, const char* name,
                  const char* contact, const char* result, json satisfaction) {
      return json{{"no", no},
                  {"case_id", case_id},
                  {"date", date},
                  {"name", name},
                  {"credit_level", "AA"},
                  {"contact", contact},
                  {"matter", "食品经营许可"},
                  {"matter_code", "food_license"},
                  {"department", "市场监管局"},
                  {"result", result},
                  {"satisfaction", satisfaction}}
          .dump();
    };
    cmd({"HSET", p0.ledger(), "1",
         row(1, "L-03", "2026-11-10", "张三", "13812345678", "approved", "satisfied")});
    cmd({"ZADD", p0.ledger_by_date(), xyp::redis::date_score("2026-11-10"), "1"});
    cmd({"HSET", p0.ledger(), "2",
         row(2, "L-05", "2026-11-20", "=HYPERLINK(\"x\")", "13800001111", "denied", nullptr)});
    cmd({"ZADD", p0.ledger_by_date(), xyp::redis::date_score("2026-11-20"), "2"});
    cmd({"HSET", p1.ledger(), "1",
         row(1, "L-04", "2026-11-12", "李四, Jr", "+8613900001111", "approved", "very_satisfied")});
    cmd({"ZADD", p1.ledger_by_date(), xyp::redis::date_score("2026-11-12"), "1"});
    cmd({"HSET", p1.ledger(), "2",
         row(2, "L-02", "2026-11-20", "王五", "13700000000", "withdrawn", nullptr)});
    cmd({"ZADD", p1.ledger_by_date(), xyp::redis::date_score("2026-11-20"), "2"});

    // The simulated clock, and a credit hook on the outbound stream.
    cmd({"HSET", p0.state(), "clock", ms(at("2026-11-23T09:00:00+08:00"))});
    cmd({"XADD", p1.out(), "*", "event",
         json{{"id", "evt-9/1"},
              {"type", "credit.hook"},
              {"applicant_id", person_id(9)},
              {"case_id", "C-09"},
              {"at", "2026-11-21T10:00:00+08:00"},
              {"cause", "evt-9"},
              {"data",
               {{"kind", "commitment_breached"},
                {"detail", "commitment broken"},
                {"matter", "food_license"}}}}
             .dump()});
  }

  std::unique_ptr<xyp::test::redis_target> store_;
  std::unique_ptr<xyp::test::routed_client> client_;
  asio::io_context io_;
  xyp::metrics::registry registry_;
  xyp::redis::read_link link_;
  xyp::redis::read_model queries_;
  xyp::redis::stream_sink sink_;
  std::unique_ptr<xyp::http::server> server_;
  bool server_done_ = false;
  std::exception_ptr server_failure_;
};

std::vector<std::string> ids_of(const json& list, const char* key = "case_id") {
  std::vector<std::string> out;
  for (const auto& e : list) out.push_back(e.at(key).get<std::string>());
  return out;
}

std::string apply_event(const std::string& id, int applicant) {
  return json{{"id", id},
              {"type", "case.apply"},
              {"applicant_id", person_id(applicant)},
              {"case_id", "N-" + id},
              {"at", "2026-11-23T09:30:00+08:00"},
              {"data",
               {{"matter", "food_license"},
                {"applicant", {{"kind", "person"}, {"name", "王五"}, {"contact", "13700000000"}}},
                {"channel", "window"},
                {"credit_track", true},
                {"commitment_signed", true},
                {"materials", json::array({"application_form"})}}}}
      .dump();
}

}  // namespace

TEST_CASE("a case is served whole, with contacts masked for viewers only", "[http]") {
  fixture f;
  f.run([&]() -> asio::awaitable<void> {
    const auto as_viewer = co_await get(f.port(), "/api/v1/cases/C-02", viewer);
    REQUIRE(as_viewer.status == 200);
    CHECK(as_viewer.headers[bhttp::field::content_type] == "application/json; charset=utf-8");
    const auto c = as_viewer.doc();
    CHECK(c["state"] == "accepted");
    CHECK(c["track"] == "standard");
    CHECK(c["credit"]["grade"] == "AA");
    CHECK(c["matter_name"] == "食品经营许可");
    CHECK(c["clocks"][0]["clock"] == "decision");
    CHECK(c["clocks"][0]["due_at"] == "2026-11-25T17:00:00+08:00");
    CHECK(c["clocks"][0]["status"] == "armed");
    CHECK(c["history"][0]["type"] == "case.apply");
    CHECK(c["applicant"]["contact"] == "138****5678");
    CHECK(c["applicant_id"] == "110105********" + person_id(2).substr(14));
    CHECK(as_viewer.body.find("13812345678") == std::string::npos);

    for (const auto& token : {clerk, supervisor}) {
      const auto full = co_await get(f.port(), "/api/v1/cases/C-02", token);
      REQUIRE(full.status == 200);
      CHECK(full.doc()["applicant"]["contact"] == "13812345678");
      CHECK(full.doc()["applicant_id"] == person_id(2));
    }

    const auto missing = co_await get(f.port(), "/api/v1/cases/NOPE", viewer);
    CHECK(missing.status == 404);
    CHECK(missing.doc()["error"] == "not_found");
  }());
}

TEST_CASE("a missing or wrong token is 401 alike, and says nothing about tokens", "[http]") {
  fixture f;
  f.run([&]() -> asio::awaitable<void> {
    const auto none = co_await get(f.port(), "/api/v1/cases/C-02");
    const auto wrong = co_await get(f.port(), "/api/v1/cases/C-02", "viewer-token-0123456780");
    const auto unknown_route = co_await get(f.port(), "/api/v1/secret-admin");
    for (const auto* r : {&none, &wrong, &unknown_route}) {
      CHECK(r->status == 401);
      CHECK(r->body == none.body);
      CHECK(r->headers[bhttp::field::www_authenticate] == "Bearer realm=\"xinyipi\"");
      CHECK(r->body.find("viewer") == std::string::npos);
      CHECK(r->body.find("token-0123") == std::string::npos);
    }
    CHECK(none.doc()["error"] == "unauthorized");
  }());
}

TEST_CASE("listings filter by state, department, matter and overdue, from the indexes", "[http]") {
  fixture f;
  f.run([&]() -> asio::awaitable<void> {
    auto list = [&](std::string query) -> asio::awaitable<json> {
      const auto r = co_await get(f.port(), "/api/v1/cases?" + query, viewer);
      REQUIRE(r.status == 200);
      co_return r.doc();
    };
    auto by_state = co_await list("state=accepted");
    CHECK(ids_of(by_state["cases"]) == std::vector<std::string>{"C-03", "C-02"});
    CHECK(by_state["total"] == 2);
    CHECK(by_state["next_cursor"].is_null());
    CHECK(by_state["cases"][0]["applicant"]["contact"] == "138****5678");

    auto by_department = co_await list("department=%E4%BD%8F%E5%BB%BA%E5%B1%80");  // 住建局
    CHECK(ids_of(by_department["cases"]) == std::vector<std::string>{"C-04", "C-03"});

    auto by_matter = co_await list("matter=food_license");
    CHECK(ids_of(by_matter["cases"]) == std::vector<std::string>{"C-02", "C-01"});

    auto overdue = co_await list("overdue=true");
    CHECK(ids_of(overdue["cases"]) == std::vector<std::string>{"C-03"});
    CHECK(overdue["cases"][0]["overdue"] == true);

    // Several filters at once: the intersection, and no total without a scan.
    auto both =
        co_await list("state=accepted&department=%E5%B8%82%E5%9C%BA%E7%9B%91%E7%AE%A1%E5%B1%80");
    CHECK(ids_of(both["cases"]) == std::vector<std::string>{"C-02"});
    CHECK(both["total"].is_null());

    auto none = co_await list("state=verified");
    CHECK(none["cases"].empty());
    CHECK(none["total"] == 0);

    const auto bad_state = co_await get(f.port(), "/api/v1/cases?state=lost", viewer);
    CHECK(bad_state.status == 400);
    CHECK(bad_state.doc()["detail"].get<std::string>().starts_with("state:"));
    const auto bad_limit = co_await get(f.port(), "/api/v1/cases?limit=0", viewer);
    CHECK(bad_limit.status == 400);
    CHECK(bad_limit.doc()["detail"].get<std::string>().starts_with("limit:"));
    const auto bad_cursor = co_await get(f.port(), "/api/v1/cases?cursor=%21%21", viewer);
    CHECK(bad_cursor.status == 400);
    CHECK(bad_cursor.doc()["detail"].get<std::string>().starts_with("cursor:"));
    const auto typo = co_await get(f.port(), "/api/v1/cases?departement=x", viewer);
    CHECK(typo.status == 400);
    CHECK(typo.doc()["detail"].get<std::string>().starts_with("departement:"));
  }());
}

TEST_CASE("paging with the cursor visits every case once, newest first, across partitions",
          "[http]") {
  fixture f;
  f.run([&]() -> asio::awaitable<void> {
    std::vector<std::string> seen;
    std::optional<std::string> cursor;
    int pages = 0;
    do {
      std::string target = "/api/v1/cases?limit=4";
      if (cursor) target += "&cursor=" + *cursor;
      const auto r = co_await get(f.port(), target, clerk);
      REQUIRE(r.status == 200);
      const auto page = r.doc();
      CHECK(page["cases"].size() <= 4);
      for (const auto& id : ids_of(page["cases"])) seen.push_back(id);
      cursor = page["next_cursor"].is_null()
                   ? std::nullopt
                   : std::optional<std::string>(page["next_cursor"].get<std::string>());
      ++pages;
    } while (cursor && pages < 20);
    CHECK(pages >= 5);
    REQUIRE(seen.size() == 17);
    CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 17);
    CHECK(seen.front() == "P-11");
    CHECK(seen.back() == "C-01");
    // The two applications of the same millisecond come one after the other, by id descending.
    const auto tie = std::find(seen.begin(), seen.end(), "P-tie");
    REQUIRE(tie != seen.end());
    CHECK(*(tie + 1) == "P-05");

    // A filtered listing with a small scan budget still visits every match exactly once.
    std::vector<std::string> filtered;
    cursor.reset();
    pages = 0;
    do {
      std::string target = "/api/v1/cases?limit=2&state=applied&matter=road_transport";
      if (cursor) target += "&cursor=" + *cursor;
      const auto page = (co_await get(f.port(), target, clerk)).doc();
      for (const auto& id : ids_of(page["cases"])) filtered.push_back(id);
      cursor = page["next_cursor"].is_null()
                   ? std::nullopt
                   : std::optional<std::string>(page["next_cursor"].get<std::string>());
      ++pages;
    } while (cursor && pages < 30);
    CHECK(filtered.size() == 13);
    CHECK(std::set<std::string>(filtered.begin(), filtered.end()).size() == 13);
  }());
}

TEST_CASE("open escalations come oldest first, and filter by level", "[http]") {
  fixture f;
  f.run([&]() -> asio::awaitable<void> {
    const auto all = co_await get(f.port(), "/api/v1/escalations", viewer);
    REQUIRE(all.status == 200);
    const auto list = all.doc()["escalations"];
    CHECK(ids_of(list) == std::vector<std::string>{"C-03", "C-04", "C-02"});
    CHECK(list[0]["level"] == "overdue");
    CHECK(list[0]["clock"] == "decision");
    CHECK(list[0]["due_at"] == "2026-11-18T17:00:00+08:00");
    CHECK(list[0]["department"] == "住建局");
    CHECK(list[1]["clock"] == "supplement");
    CHECK(list[2]["clock"] == "decision");  // the warning timer folds into the decision clock
    CHECK(list[2]["raised_at"] == "2026-11-20T09:00:00+08:00");

    const auto warnings = co_await get(f.port(), "/api/v1/escalations?level=warning", viewer);
    CHECK(ids_of(warnings.doc()["escalations"]) == std::vector<std::string>{"C-04", "C-02"});
    const auto overdue = co_await get(f.port(), "/api/v1/escalations?level=overdue", viewer);
    CHECK(ids_of(overdue.doc()["escalations"]) == std::vector<std::string>{"C-03"});
    const auto bad = co_await get(f.port(), "/api/v1/escalations?level=late", viewer);
    CHECK(bad.status == 400);
    CHECK(bad.doc()["detail"].get<std::string>().starts_with("level:"));
  }());
}

TEST_CASE("the ledger exports as CSV with a BOM and the seed's headers, or as JSON", "[http]") {
  fixture f;
  f.run([&]() -> asio::awaitable<void> {
    const auto csv = co_await get(
        f.port(), "/api/v1/ledger?from=2026-11-11&to=2026-11-30&format=csv", supervisor);
    REQUIRE(csv.status == 200);
    CHECK(csv.headers[bhttp::field::content_type] == "text/csv; charset=utf-8");
    CHECK(csv.headers[bhttp::field::content_disposition] ==
          "attachment; filename=\"ledger-2026-11-11-2026-11-30.csv\"");
    CHECK(csv.body ==
          "\xEF\xBB\xBF"
          "编号,日期,诚信个人姓名,诚信级别,联系方式,办理事项,承办部门,办理结果,满意度\r\n"
          "1,2026-11-12,\"李四, "
          "Jr\",AA,'+8613900001111,食品经营许可,市场监管局,准予许可,非常满意\r\n"
          "2,2026-11-20,王五,AA,13700000000,食品经营许可,市场监管局,撤回申请,\r\n"
          "3,2026-11-20,\"'=HYPERLINK(\"\"x\"\")\",AA,13800001111,食品经营许可,市场监管局,"
          "不予许可,\r\n");

    const auto masked = co_await get(f.port(), "/api/v1/ledger?format=csv", viewer);
    REQUIRE(masked.status == 200);
    CHECK(masked.body.find("138****5678") != std::string::npos);
    CHECK(masked.body.find("13812345678") == std::string::npos);
    CHECK(masked.body.find("+86*******1111") != std::string::npos);

    const auto rows = co_await get(f.port(), "/api/v1/ledger?to=2026-11-12", clerk);
    REQUIRE(rows.status == 200);
    const auto doc = rows.doc();
    REQUIRE(doc["rows"].size() == 2);
    CHECK(doc["rows"][0]["date"] == "2026-11-10");
    CHECK(doc["rows"][0]["contact"] == "13812345678");
    CHECK(doc["rows"][0]["satisfaction"] == "satisfied");
    CHECK(doc["rows"][1]["partition"] == 1);
    CHECK(doc["truncated"] == false);

    const auto bad = co_await get(f.port(), "/api/v1/ledger?from=2026-13-01", viewer);
    CHECK(bad.status == 400);
    CHECK(bad.doc()["detail"].get<std::string>().starts_with("from:"));
    const auto bad_format = co_await get(f.port(), "/api/v1/ledger?format=xlsx", viewer);
    CHECK(bad_format.status == 400);
    CHECK(bad_format.doc()["detail"].get<std::string>().starts_with("format:"));
  }());
}

TEST_CASE(
    "the ledger export numbers its rows 1, 2, 3 in date and case id order across partitions, "
    "keeping each row's partition and number",
    "[http]") {
  fixture f;
  f.run([&]() -> asio::awaitable<void> {
    const auto rows = co_await get(f.port(), "/api/v1/ledger", supervisor);
    REQUIRE(rows.status == 200);
    const auto doc = rows.doc()["rows"];
    REQUIRE(doc.size() == 4);
    const std::vector<std::string> cases{"L-03", "L-04", "L-02", "L-05"};
    const std::vector<int> partition{0, 1, 1, 0};
    const std::vector<int> partition_no{1, 1, 2, 2};
    for (std::size_t i = 0; i < doc.size(); ++i) {
      INFO("row " << i);
      CHECK(doc[i]["no"] == i + 1);
      CHECK(doc[i]["case_id"] == cases[i]);
      CHECK(doc[i]["partition"] == partition[i]);
      CHECK(doc[i]["partition_no"] == partition_no[i]);
    }
    const auto csv = co_await get(f.port(), "/api/v1/ledger?format=csv", supervisor);
    REQUIRE(csv.status == 200);
    std::vector<std::string> numbers;
    for (std::size_t at = csv.body.find("\r\n"); at != std::string::npos;) {
      const auto next = csv.body.find("\r\n", at + 2);
      if (next == std::string::npos) break;
      const auto line = csv.body.substr(at + 2, next - at - 2);
      numbers.push_back(line.substr(0, line.find(',')));
      at = next;
    }
    CHECK(numbers == std::vector<std::string>{"1", "2", "3", "4"});
  }());
}

TEST_CASE(
    "ledger rows stored in the compact form answer byte for byte as the same rows stored as JSON "
    "by the previous build",
    "[http]") {
  fixture f;
  f.run([&]() -> asio::awaitable<void> {
    // The seed's rows are JSON, as the previous build wrote them: they are read.
    const auto json_rows = co_await get(f.port(), "/api/v1/ledger", supervisor);
    const auto json_csv = co_await get(f.port(), "/api/v1/ledger?format=csv", viewer);
    REQUIRE(json_rows.status == 200);
    REQUIRE(json_csv.status == 200);
    REQUIRE(json_rows.doc()["rows"].size() == 4);

    // The same rows as the engine writes them now, over the JSON ones.
    auto compact = [](const char* case_id, const char* date, const char* name, const char* contact,
                      const char* result, std::optional<std::string> satisfaction) {
      xyp::ledger_record r;
      r.case_id = case_id;
      r.date = date;
      r.name = name;
      r.credit_level = "AA";
      r.contact = contact;
      r.matter = "食品经营许可";
      r.matter_code = "food_license";
      r.department = "市场监管局";
      r.result = result;
      r.satisfaction = std::move(satisfaction);
      return xyp::encode_ledger(r);
    };
    const partition_keys p0(prefix, 0), p1(prefix, 1);
    auto& redis = f.redis();
    redis.command({"HSET", p0.ledger(), "1",
                   compact("L-03", "2026-11-10", "张三", "13812345678", "approved", "satisfied")});
    redis.command({"HSET", p0.ledger(), "2",
                   compact("L-05", "2026-11-20", "=HYPERLINK(\"x\")", "13800001111", "denied",
                           std::nullopt)});
    redis.command({"HSET", p1.ledger(), "1",
                   compact("L-04", "2026-11-12", "李四, Jr", "+8613900001111", "approved",
                           "very_satisfied")});
    redis.command(
        {"HSET", p1.ledger(), "2",
         compact("L-02", "2026-11-20", "王五", "13700000000", "withdrawn", std::nullopt)});
    REQUIRE(redis.command({"HGET", p1.ledger(), "2"}).as_string().front() == '\x01');

    // Other targets than above, so that no rendered answer is served again.
    const auto rows = co_await get(f.port(), "/api/v1/ledger?from=2026-01-01", supervisor);
    const auto csv = co_await get(f.port(), "/api/v1/ledger?format=csv&from=2026-01-01", viewer);
    REQUIRE(rows.status == 200);
    REQUIRE(csv.status == 200);
    CHECK(rows.body == json_rows.body);
    CHECK(csv.body == json_csv.body);
  }());
}

TEST_CASE("a compact ledger row that cannot be read answers 500 with a JSON error, not a crash",
          "[http]") {
  fixture f;
  f.run([&]() -> asio::awaitable<void> {
    const partition_keys p0(prefix, 0);
    const auto whole = xyp::encode_ledger(
        xyp::ledger_record{"L-03", "2026-11-10", "张三", "AA", "13812345678", "食品经营许可",
                           "food_license", "市场监管局", "approved", std::nullopt});
    f.redis().command({"HSET", p0.ledger(), "1", whole.substr(0, whole.size() - 3)});
    const auto broken = co_await get(f.port(), "/api/v1/ledger", supervisor);
    CHECK(broken.status == 500);
    CHECK(broken.doc()["error"] == "internal");
    const auto broken_csv = co_await get(f.port(), "/api/v1/ledger?format=csv", supervisor);
    CHECK(broken_csv.status == 500);
    // The server goes on: the row mended, the ledger is read again.
    f.redis().command({"HSET", p0.ledger(), "1", whole});
    const auto mended = co_await get(f.port(), "/api/v1/ledger?from=2026-01-01", supervisor);
    CHECK(mended.status == 200);
    CHECK(mended.doc()["rows"].size() == 4);
  }());
}

TEST_CASE(
    "a posted event goes to its partition's stream under the token's holder; bad ones are 400 "
    "naming the field",
    "[http]") {
  fixture f;
  f.run([&]() -> asio::awaitable<void> {
    const std::string sent = apply_event("evt-post-1", 40);
    auto as_stored = nlohmann::ordered_json::parse(sent);
    as_stored["actor"] = {{"id", "clerk-07"}, {"role", "clerk"}};
    const std::string body = as_stored.dump();
    const auto accepted =
        co_await http_call(f.port(), bhttp::verb::post, "/api/v1/events", clerk, sent);
    REQUIRE(accepted.status == 202);
    CHECK(accepted.doc()["id"] == "evt-post-1");
    const auto n = xyp::partition_of(person_id(40), partitions);
    CHECK(accepted.doc()["partitions"] == json::array({n}));
    const auto stream = f.redis().command({"XRANGE", partition_keys(prefix, n).events(), "-", "+"});
    REQUIRE(stream.elements().size() == 1);
    CHECK(stream.elements()[0].elements()[1].elements()[0].as_string() == "event");
    CHECK(stream.elements()[0].elements()[1].elements()[1].as_string() == body);
    CHECK(f.redis().command({"XLEN", partition_keys(prefix, 1 - n).events()}).as_integer() == 0);

    const auto by_viewer =
        co_await http_call(f.port(), bhttp::verb::post, "/api/v1/events", viewer, sent);
    CHECK(by_viewer.status == 403);
    CHECK(by_viewer.doc()["error"] == "forbidden");

    auto broken = json::parse(sent);
    broken.erase("applicant_id");
    const auto no_applicant =
        co_await http_call(f.port(), bhttp::verb::post, "/api/v1/events", clerk, broken.dump());
    CHECK(no_applicant.status == 400);
    CHECK(no_applicant.doc()["error"] == "schema_violation");
    CHECK(no_applicant.doc()["detail"].get<std::string>().find("applicant_id") !=
          std::string::npos);

    broken = json::parse(sent);
    broken["data"]["channel"] = "carrier pigeon";
    const auto bad_channel =
        co_await http_call(f.port(), bhttp::verb::post, "/api/v1/events", clerk, broken.dump());
    CHECK(bad_channel.status == 400);
    CHECK(bad_channel.doc()["detail"].get<std::string>().find("data.channel") != std::string::npos);

    const auto malformed =
        co_await http_call(f.port(), bhttp::verb::post, "/api/v1/events", clerk, "{\"id\": ");
    CHECK(malformed.status == 400);
    CHECK(malformed.doc()["error"] == "malformed_json");

    const auto unknown_type = co_await http_call(f.port(), bhttp::verb::post, "/api/v1/events",
                                                 clerk, R"({"id":"x","type":"case.teleport"})");
    CHECK(unknown_type.status == 400);
    CHECK(unknown_type.doc()["error"] == "unknown_type");

    const std::string advance =
        R"({"id":"evt-clock-1","type":"clock.advance",)"
        R"("at":"2026-11-24T00:00:00+08:00","data":{"to":"2026-11-24T00:00:00+08:00"}})";
    const auto by_clerk =
        co_await http_call(f.port(), bhttp::verb::post, "/api/v1/events", clerk, advance);
    CHECK(by_clerk.status == 403);
    const auto by_supervisor =
        co_await http_call(f.port(), bhttp::verb::post, "/api/v1/events", supervisor, advance);
    REQUIRE(by_supervisor.status == 202);
    CHECK(by_supervisor.doc()["partitions"] == json::array({0, 1}));
    CHECK(f.redis().command({"XLEN", partition_keys(prefix, 1 - n).events()}).as_integer() == 1);

    const auto wrong_method = co_await get(f.port(), "/api/v1/events", clerk);
    CHECK(wrong_method.status == 405);
    CHECK(wrong_method.headers[bhttp::field::allow] == "POST");
  }());
}

TEST_CASE("an oversized body is refused with 413 before it is read", "[http]") {
  fixture f;
  f.run([&]() -> asio::awaitable<void> {
    std::string huge(64 * 1024, 'x');
    const auto r = co_await http_call(f.port(), bhttp::verb::post, "/api/v1/events", clerk, huge);
    CHECK(r.status == 413);
    CHECK(json::parse(r.body)["error"] == "payload_too_large");
    // The server goes on serving.
    CHECK((co_await get(f.port(), "/healthz")).status == 200);
  }());
}

TEST_CASE("unknown routes are JSON 404s; the dashboard and its files are served", "[http]") {
  fixture f;
  f.run([&]() -> asio::awaitable<void> {
    const auto api_unknown = co_await get(f.port(), "/api/v1/nothing", supervisor);
    CHECK(api_unknown.status == 404);
    CHECK(api_unknown.doc()["error"] == "not_found");
    const auto unknown = co_await get(f.port(), "/etc/passwd");
    CHECK(unknown.status == 404);
    CHECK(unknown.doc()["error"] == "not_found");
    const auto traversal = co_await get(f.port(), "/../CMakeLists.txt");
    CHECK(traversal.status == 404);

    const auto page = co_await get(f.port(), "/");
    REQUIRE(page.status == 200);
    CHECK(page.headers[bhttp::field::content_type] == "text/html; charset=utf-8");
    CHECK(page.body.find("信易批") != std::string::npos);
    CHECK(std::string(page.headers["Content-Security-Policy"]).find("default-src 'self'") !=
          std::string::npos);
    const auto script = co_await get(f.port(), "/dashboard.js");
    CHECK(script.status == 200);
    CHECK(script.headers[bhttp::field::content_type] == "text/javascript; charset=utf-8");
    const auto style = co_await get(f.port(), "/dashboard.css");
    CHECK(style.status == 200);

    const auto who = co_await get(f.port(), "/api/v1/whoami", clerk);
    CHECK(who.doc() == json{{"name", "window 3"}, {"role", "clerk"}});
  }());
}

TEST_CASE("the summary counts by state and department and lists what needs attention", "[http]") {
  fixture f;
  f.run([&]() -> asio::awaitable<void> {
    const auto r = co_await get(f.port(), "/api/v1/summary", viewer);
    REQUIRE(r.status == 200);
    const auto s = r.doc();
    CHECK(s["as_of"] == "2026-11-23T09:00:00+08:00");
    CHECK(s["total_cases"] == 17);
    CHECK(s["by_state"]["applied"] == 13);
    CHECK(s["by_state"]["accepted"] == 2);
    CHECK(s["by_state"]["verified"] == 0);
    CHECK(s["by_department"]["住建局"] == 2);
    CHECK(s["by_department"]["交通运输局"] == 13);
    CHECK(s["overdue_cases"] == 1);
    CHECK(s["escalations_open"] == json{{"overdue", 1}, {"warning", 2}});
    REQUIRE(s["nearing_decision"].size() == 1);
    CHECK(s["nearing_decision"][0]["case_id"] == "C-02");
    CHECK(s["nearing_decision"][0]["due_at"] == "2026-11-25T17:00:00+08:00");
    CHECK(s["nearing_decision"][0]["remaining_seconds"] == (2 * 24 + 8) * 3600);
    REQUIRE(s["overdue"].size() == 1);
    CHECK(s["overdue"][0]["case_id"] == "C-03");
    CHECK(s["overdue"][0]["late_seconds"] == (4 * 24 + 16) * 3600);
    REQUIRE(s["awaiting_materials"].size() == 1);
    CHECK(s["awaiting_materials"][0]["missing"] == json::array({"floor_plan"}));
    CHECK(s["awaiting_materials"][0]["due_at"] == "2026-11-28T17:00:00+08:00");
    REQUIRE(s["credit_hooks"].size() == 1);
    CHECK(s["credit_hooks"][0]["kind"] == "commitment_breached");
    CHECK(s["credit_hooks"][0]["matter_name"] == "食品经营许可");
  }());
}

TEST_CASE("healthz reports redis and lag without a token; metrics are Prometheus text", "[http]") {
  fixture f;
  f.run([&]() -> asio::awaitable<void> {
    // An engine's consumer group with two entries it has not read yet.
    const partition_keys p0(prefix, 0);
    f.redis().command({"XGROUP", "CREATE", p0.events(), "engine", "$", "MKSTREAM"});
    f.redis().command({"XADD", p0.events(), "*", "event", "{}"});
    f.redis().command({"XADD", p0.events(), "*", "event", "{}"});

    const auto health = co_await get(f.port(), "/healthz");
    REQUIRE(health.status == 200);
    const auto h = health.doc();
    CHECK(h["status"] == "ok");
    CHECK(h["redis"] == true);
    CHECK(h["partitions"][0]["lag"] == 2);
    CHECK(h["partitions"][1]["lag"].is_null());

    co_await get(f.port(), "/api/v1/cases/C-01", viewer);
    const auto metrics = co_await get(f.port(), "/metrics");
    REQUIRE(metrics.status == 200);
    CHECK(metrics.headers[bhttp::field::content_type] ==
          "text/plain; version=0.0.4; charset=utf-8");
    const auto& text = metrics.body;
    CHECK(text.find("# TYPE xyp_http_requests_total counter\n") != std::string::npos);
    CHECK(text.find("xyp_http_requests_total{route=\"/api/v1/cases/{case_id}\",method=\"GET\","
                    "status=\"200\"} 1\n") != std::string::npos);
    CHECK(text.find("xyp_consumer_lag{partition=\"0\"} 2\n") != std::string::npos);
    CHECK(text.find("xyp_escalations_open{level=\"warning\"} 2\n") != std::string::npos);
    CHECK(text.find("xyp_timers_pending{partition=\"1\"} 0\n") != std::string::npos);
    CHECK(text.find("xyp_redis_up 1\n") != std::string::npos);
    // Every sample line belongs to a family announced by HELP and TYPE before it.
    std::set<std::string> typed;
    std::size_t start = 0;
    while (start < text.size()) {
      const auto end = text.find('\n', start);
      const auto line = text.substr(start, end - start);
      start = end + 1;
      if (line.starts_with("# TYPE ")) {
        typed.insert(line.substr(7, line.find(' ', 7) - 7));
      } else if (!line.starts_with("#")) {
        std::string name = line.substr(0, line.find_first_of("{ "));
        for (const char* suffix : {"_bucket", "_sum", "_count"}) {
          if (name.ends_with(suffix) && !typed.contains(name)) {
            name = name.substr(0, name.size() - std::string(suffix).size());
          }
        }
        INFO(line);
        CHECK(typed.contains(name));
      }
    }
  }());
}

TEST_CASE("when redis is gone, reads are 503 and healthz says so", "[http]") {
  fixture f;
  f.redis().stop();
  f.run([&]() -> asio::awaitable<void> {
    const auto health = co_await get(f.port(), "/healthz");
    CHECK(health.status == 503);
    CHECK(health.doc()["redis"] == false);
    const auto read = co_await get(f.port(), "/api/v1/cases/C-01", viewer);
    CHECK(read.status == 503);
    CHECK(read.doc()["error"] == "unavailable");
    const auto metrics = co_await get(f.port(), "/metrics");
    CHECK(metrics.status == 200);
    CHECK(metrics.body.find("xyp_redis_up 0\n") != std::string::npos);
  }());
}

TEST_CASE(
    "a client that stops sending mid-request is cut off after the read timeout, and holds "
    "nobody else up",
    "[http]") {
  fixture f(std::chrono::milliseconds(300));
  f.run([&]() -> asio::awaitable<void> {
    beast::tcp_stream slow(co_await asio::this_coro::executor);
    co_await slow.async_connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), f.port()),
        asio::use_awaitable);
    const std::string partial = "GET /api/v1/cases HTTP/1.1\r\nHost: x\r\n";
    co_await asio::async_write(slow, asio::buffer(partial), asio::use_awaitable);

    // Others are served while the slow one dawdles.
    CHECK((co_await get(f.port(), "/api/v1/cases/C-01", viewer)).status == 200);

    // The server closes the slow connection when its read deadline passes.
    std::array<char, 64> sink{};
    boost::system::error_code ec;
    co_await slow.async_read_some(asio::buffer(sink),
                                  asio::redirect_error(asio::use_awaitable, ec));
    CHECK(ec == asio::error::eof);
  }());
}

TEST_CASE("stopping the server closes idle keep-alive connections and run() returns", "[http]") {
  fixture f;
  f.run([&]() -> asio::awaitable<void> {
    beast::tcp_stream idle(co_await asio::this_coro::executor);
    co_await idle.async_connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), f.port()),
        asio::use_awaitable);
    bhttp::request<bhttp::string_body> req{bhttp::verb::get, "/healthz", 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.keep_alive(true);
    co_await bhttp::async_write(idle, req, asio::use_awaitable);
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> res;
    co_await bhttp::async_read(idle, buffer, res, asio::use_awaitable);
    CHECK(res.result_int() == 200);
    CHECK(res.keep_alive());

    f.server().stop();
    // The idle connection is closed by the server rather than left to its timeout.
    std::array<char, 64> sink{};
    boost::system::error_code ec;
    co_await idle.async_read_some(asio::buffer(sink),
                                  asio::redirect_error(asio::use_awaitable, ec));
    CHECK(ec == asio::error::eof);
    while (!f.server_done())
      co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
  }());
}

// A credit.update as the credit platform sends it.
std::string credit_event(const std::string& id, int applicant, const char* grade) {
  return json{{"id", id},
              {"type", "credit.update"},
              {"applicant_id", person_id(applicant)},
              {"at", "2026-11-23T09:30:00+08:00"},
              {"data", {{"grade", grade}, {"source", "公共信用信息平台"}}}}
      .dump();
}

std::int64_t stream_length(fixture& f, int applicant) {
  const auto n = xyp::partition_of(person_id(applicant), partitions);
  return f.redis().command({"XLEN", partition_keys(prefix, n).events()}).as_integer();
}

TEST_CASE("credit comes from the credit platform only: a clerk or a supervisor cannot send it",
          "[http][roles]") {
  fixture f;
  f.run([&]() -> asio::awaitable<void> {
    const auto body = credit_event("evt-credit-1", 41, "AAA");
    for (const auto& token : {clerk, supervisor, case_system, viewer}) {
      const auto r = co_await http_call(f.port(), bhttp::verb::post, "/api/v1/events", token, body);
      CHECK(r.status == 403);
      CHECK(r.doc()["error"] == "forbidden");
    }
    CHECK(stream_length(f, 41) == 0);
    const auto by_platform =
        co_await http_call(f.port(), bhttp::verb::post, "/api/v1/events", credit_platform, body);
    CHECK(by_platform.status == 202);
    CHECK(stream_length(f, 41) == 1);
  }());
}

TEST_CASE("case events come from the back office or the case system, the clock from a supervisor",
          "[http][roles]") {
  fixture f;
  f.run([&]() -> asio::awaitable<void> {
    const auto by_platform = co_await http_call(f.port(), bhttp::verb::post, "/api/v1/events",
                                                credit_platform, apply_event("evt-r-1", 42));
    CHECK(by_platform.status == 403);
    const auto by_case_system = co_await http_call(f.port(), bhttp::verb::post, "/api/v1/events",
                                                   case_system, apply_event("evt-r-2", 42));
    CHECK(by_case_system.status == 202);
    const std::string advance =
        R"({"id":"evt-clock-9","type":"clock.advance",)"
        R"("at":"2026-11-24T00:00:00+08:00","data":{"to":"2026-11-24T00:00:00+08:00"}})";
    for (const auto& token : {clerk, case_system, credit_platform}) {
      const auto r =
          co_await http_call(f.port(), bhttp::verb::post, "/api/v1/events", token, advance);
      CHECK(r.status == 403);
    }
  }());
}

TEST_CASE("a clock.advance past the last year the calendars cover is refused with 400",
          "[http][roles][hardening]") {
  static const auto calendar =
      xyp::working_calendar::load_directory(std::string(XYP_CONFIG_DIR) + "/calendars");
  fixture f(std::chrono::seconds(10), [](xyp::http::server_options& o) { o.calendar = &calendar; });
  f.run([&]() -> asio::awaitable<void> {
    const std::string beyond =
        R"({"id":"evt-clock-far","type":"clock.advance",)"
        R"("at":"2026-11-24T00:00:00+08:00","data":{"to":"2029-01-01T00:00:00+08:00"}})";
    const auto refused =
        co_await http_call(f.port(), bhttp::verb::post, "/api/v1/events", supervisor, beyond);
    CHECK(refused.status == 400);
    CHECK(refused.doc()["error"] == "schema_violation");
    CHECK(refused.doc()["detail"].get<std::string>().find(
              "after 2028, the last year the calendars cover") != std::string::npos);
    CHECK(stream_length(f, 0) == 0);
    const std::string within =
        R"({"id":"evt-clock-near","type":"clock.advance",)"
        R"("at":"2026-11-24T00:00:00+08:00","data":{"to":"2028-12-31T00:00:00+08:00"}})";
    const auto accepted =
        co_await http_call(f.port(), bhttp::verb::post, "/api/v1/events", supervisor, within);
    CHECK(accepted.status == 202);
  }());
}

TEST_CASE("the actor is the token's holder: a different claimed actor is refused with 403",
          "[http][roles]") {
  fixture f;
  f.run([&]() -> asio::awaitable<void> {
    auto claimed = json::parse(apply_event("evt-actor-1", 43));
    claimed["actor"] = {{"id", "supervisor-01"}, {"role", "supervisor"}};
    const auto r =
        co_await http_call(f.port(), bhttp::verb::post, "/api/v1/events", clerk, claimed.dump());
    CHECK(r.status == 403);
    CHECK(r.doc()["detail"].get<std::string>().find("supervisor-01") != std::string::npos);
    CHECK(stream_length(f, 43) == 0);

    claimed["actor"] = {{"id", "clerk-07"}, {"role", "supervisor"}};
    const auto wrong_role =
        co_await http_call(f.port(), bhttp::verb::post, "/api/v1/events", clerk, claimed.dump());
    CHECK(wrong_role.status == 403);

    claimed["actor"] = {{"id", "clerk-07"}, {"role", "clerk"}};
    const auto honest =
        co_await http_call(f.port(), bhttp::verb::post, "/api/v1/events", clerk, claimed.dump());
    CHECK(honest.status == 202);
    const auto by_system = co_await http_call(f.port(), bhttp::verb::post, "/api/v1/events",
                                              case_system, apply_event("evt-actor-2", 43));
    REQUIRE(by_system.status == 202);
    const auto n = xyp::partition_of(person_id(43), partitions);
    const auto stream = f.redis().command({"XRANGE", partition_keys(prefix, n).events(), "-", "+"});
    REQUIRE(stream.elements().size() == 2);
    const auto stored = json::parse(stream.elements()[1].elements()[1].elements()[1].as_string());
    CHECK(stored["actor"] == json{{"id", "case-system"}, {"role", "system"}});
  }());
}

TEST_CASE("an event sent as anything but JSON is refused with 415", "[http][roles]") {
  fixture f;
  f.run([&]() -> asio::awaitable<void> {
    for (const char* type : {"text/plain", "application/x-www-form-urlencoded", ""}) {
      const auto r = co_await http_call(f.port(), bhttp::verb::post, "/api/v1/events", clerk,
                                        apply_event("evt-type-1", 44), type);
      CHECK(r.status == 415);
      CHECK(r.doc()["error"] == "unsupported_media_type");
    }
    const auto with_charset =
        co_await http_call(f.port(), bhttp::verb::post, "/api/v1/events", clerk,
                           apply_event("evt-type-2", 44), "application/json; charset=utf-8");
    CHECK(with_charset.status == 202);
    CHECK(stream_length(f, 44) == 1);
  }());
}

TEST_CASE("the credit platform reads nothing back", "[http][roles]") {
  fixture f;
  f.run([&]() -> asio::awaitable<void> {
    for (const char* route : {"/api/v1/cases", "/api/v1/escalations", "/api/v1/ledger",
                              "/api/v1/summary", "/api/v1/cases/C-1"}) {
      const auto r = co_await get(f.port(), route, credit_platform);
      CHECK(r.status == 403);
    }
    CHECK((co_await get(f.port(), "/api/v1/whoami", credit_platform)).status == 200);
  }());
}

TEST_CASE("a clock counted over a year without a notice is served marked provisional",
          "[http][provisional]") {
  fixture f;
  auto r = make_case("C-90", 90, case_state::accepted, "市场监管局", "food_license",
                     "2026-12-28T09:00:00+08:00");
  xyp::case_clock decision{"C-90/t2/decision", clock_kind::decision,
                           at("2027-01-26T23:59:59+08:00")};
  decision.counted_from = at("2026-12-28T09:00:00+08:00");
  decision.working_days = 20;
  decision.provisional = true;
  r.clocks.push_back(decision);
  f.put(r);
  f.run([&]() -> asio::awaitable<void> {
    const auto got = co_await get(f.port(), "/api/v1/cases/C-90", viewer);
    REQUIRE(got.status == 200);
    const auto clock = got.doc()["clocks"][0];
    CHECK(clock["due_at"] == "2027-01-26T23:59:59+08:00");
    CHECK(clock["provisional"] == true);
    CHECK(clock["working_days"] == 20);
    CHECK(clock["counted_from"] == "2026-12-28T09:00:00+08:00");
    const auto plain = co_await get(f.port(), "/api/v1/cases/C-02", viewer);
    CHECK_FALSE(plain.doc()["clocks"][0].contains("provisional"));
    const auto listed = co_await get(f.port(), "/api/v1/cases?state=accepted", viewer);
    const auto listing = listed.doc();
    bool marked = false;
    for (const auto& c : listing["cases"]) {
      if (c["case_id"] == "C-90") marked = c.value("provisional", false);
    }
    CHECK(marked);
  }());
}

namespace {

// A connection from `from` that sends the start of a request and then nothing more.
asio::awaitable<std::unique_ptr<beast::tcp_stream>> trickle(std::uint16_t port, const char* from) {
  auto stream = std::make_unique<beast::tcp_stream>(co_await asio::this_coro::executor);
  auto& socket = stream->socket();
  socket.open(asio::ip::tcp::v4());
  socket.bind(asio::ip::tcp::endpoint(asio::ip::make_address(from), 0));
  co_await stream->async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                                 asio::use_awaitable);
  boost::system::error_code ec;
  const std::string partial = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  co_await asio::async_write(*stream, asio::buffer(partial),
                             asio::redirect_error(asio::use_awaitable, ec));
  co_return stream;
}

// GET /healthz from the source address `from`; 0 when the server closed without answering.
asio::awaitable<unsigned> health_from(std::uint16_t port, const char* from) {
  auto stream = co_await trickle(port, from);
  boost::system::error_code ec;
  const std::string rest = "1\r\nConnection: close\r\n\r\n";
  co_await asio::async_write(*stream, asio::buffer(rest),
                             asio::redirect_error(asio::use_awaitable, ec));
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  co_await bhttp::async_read(*stream, buffer, res, asio::redirect_error(asio::use_awaitable, ec));
  co_return ec ? 0u : res.result_int();
}

// Reads until the server closes; true when it closed (EOF or reset) rather than answered.
asio::awaitable<bool> closed_unanswered(beast::tcp_stream& stream) {
  std::array<char, 256> sink{};
  boost::system::error_code ec;
  std::size_t got = 0;
  while (!ec)
    got += co_await stream.async_read_some(asio::buffer(sink),
                                           asio::redirect_error(asio::use_awaitable, ec));
  co_return got == 0;
}

}  // namespace

TEST_CASE(
    "hundreds of connections trickling headers from one address leave healthz answering every "
    "other address, and are cut off at the header deadline",
    "[http][limits]") {
  fixture f(std::chrono::seconds(60), [](xyp::http::server_options& o) {
    o.max_connections = 64;
    o.max_connections_per_address = 32;
    o.header_timeout = std::chrono::milliseconds(500);
  });
  f.run([&]() -> asio::awaitable<void> {
    const auto started = std::chrono::steady_clock::now();
    std::vector<std::unique_ptr<beast::tcp_stream>> slow;
    for (int i = 0; i < 300; ++i) slow.push_back(co_await trickle(f.port(), "127.0.0.1"));

    int answered = 0;
    for (int i = 0; i < 50; ++i) {
      if (co_await health_from(f.port(), "127.0.0.2") == 200) ++answered;
    }
    CHECK(answered == 50);

    // Every slow connection is closed unanswered, long before the 60 s read timeout.
    int closed = 0;
    for (auto& s : slow) {
      if (co_await closed_unanswered(*s)) ++closed;
    }
    CHECK(closed == 300);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(20));
  }());
}

TEST_CASE("a client address over its connection cap is closed before its request is read",
          "[http][limits]") {
  fixture f(std::chrono::seconds(60), [](xyp::http::server_options& o) {
    o.max_connections_per_address = 4;
    o.header_timeout = std::chrono::seconds(60);
  });
  f.run([&]() -> asio::awaitable<void> {
    std::vector<std::unique_ptr<beast::tcp_stream>> held;
    for (int i = 0; i < 4; ++i) held.push_back(co_await trickle(f.port(), "127.0.0.1"));
    CHECK(co_await health_from(f.port(), "127.0.0.1") == 0);
    CHECK(co_await health_from(f.port(), "127.0.0.3") == 200);
    // A slot freed is a slot to use again.
    held.pop_back();
    unsigned status = 0;
    for (int i = 0; i < 100 && status != 200; ++i) {
      status = co_await health_from(f.port(), "127.0.0.1");
    }
    CHECK(status == 200);
  }());
}

TEST_CASE("the same case id under two applicants in two partitions lists as two whole rows",
          "[http]") {
  fixture f;
  // Two applicants the partitioning puts apart.
  int other = 41;
  while (xyp::partition_of(person_id(other), partitions) ==
         xyp::partition_of(person_id(40), partitions))
    ++other;
  f.put(make_case("DUP-1", 40, case_state::applied, "市场监管局", "food_license",
                  "2026-11-24T09:00:00+08:00"));
  f.put(make_case("DUP-1", other, case_state::approved, "市场监管局", "food_license",
                  "2026-11-24T10:00:00+08:00"));
  f.run([&]() -> asio::awaitable<void> {
    const auto list = co_await get(f.port(), "/api/v1/cases?limit=5", supervisor);
    REQUIRE(list.status == 200);
    const auto doc = list.doc();
    std::set<std::string> applicants;
    int rows = 0;
    for (const auto& c : doc["cases"]) {
      if (c.value("case_id", "") != "DUP-1") continue;
      ++rows;
      INFO(c.dump());
      CHECK(c.value("state", "") != "");
      applicants.insert(c.value("applicant_id", ""));
    }
    CHECK(rows == 2);
    CHECK(applicants == std::set<std::string>{person_id(40), person_id(other)});
  }());
}

namespace {

// The effect report's inputs: the shipped calendar, a profile promising 20 working days.
const xyp::working_calendar& shipped_calendar() {
  static const xyp::working_calendar c =
      xyp::working_calendar::load_directory(XYP_CONFIG_DIR "/calendars");
  return c;
}

const xyp::jurisdiction_policy& effect_policy() {
  static const xyp::jurisdiction_policy p = [] {
    xyp::jurisdiction_policy policy;
    xyp::matter m;
    m.code = "civil_registration";
    m.department = "民政局";
    m.time_limit_days = 20;
    policy.matters[m.code] = m;
    return policy;
  }();
  return p;
}

void with_effect_inputs(xyp::http::server_options& o) {
  o.policy = &effect_policy();
  o.calendar = &shipped_calendar();
}

case_record decided(case_record r, xyp::track t, std::string tier, const char* when,
                    case_state state) {
  r.track_used = t;
  r.tier = std::move(tier);
  r.decided_at = at(when);
  r.state = state;
  return r;
}

// 民政局's November, in both partitions (23-27 November 2026 is Monday to Friday, 30th a
// Monday): a standard case decided in 4 working days (24-27), a commitment kept in 1 (25), a
// deficiency defaulted, and one applied in October, outside the period.
void seed_civil_affairs(fixture& f) {
  f.put(decided(make_case("E-1", 41, case_state::accepted, "民政局", "civil_registration",
                          "2026-11-23T09:00:00+08:00"),
                xyp::track::standard, "", "2026-11-27T15:00:00+08:00", case_state::approved));
  auto kept =
      decided(make_case("E-2", 42, case_state::accepted, "民政局", "civil_registration",
                        "2026-11-24T09:00:00+08:00"),
              xyp::track::commitment, "AA", "2026-11-25T10:00:00+08:00", case_state::verified);
  kept.satisfaction = xyp::rating::satisfied;
  f.put(kept);
  auto defaulted = make_case("E-3", 43, case_state::defaulted, "民政局", "civil_registration",
                             "2026-11-30T09:00:00+08:00");
  defaulted.track_used = xyp::track::deficiency;
  defaulted.tier = "AAA";
  f.put(defaulted);
  f.put(decided(make_case("E-4", 44, case_state::accepted, "民政局", "civil_registration",
                          "2026-10-30T09:00:00+08:00"),
                xyp::track::standard, "", "2026-11-02T09:00:00+08:00", case_state::approved));
}

}  // namespace

TEST_CASE("the effect report counts a department's cases of the period by track and tier",
          "[http][effect]") {
  fixture f(std::chrono::seconds(10), with_effect_inputs);
  seed_civil_affairs(f);
  f.run([&]() -> asio::awaitable<void> {
    const auto r =
        co_await get(f.port(),
                     "/api/v1/reports/"
                     "effect?from=2026-11-01&to=2026-11-30&department=%E6%B0%91%E6%94%BF%E5%B1%80",
                     viewer);
    REQUIRE(r.status == 200);
    const auto doc = r.doc();
    CHECK(doc["department"] == "民政局");
    CHECK(doc["truncated"] == false);
    REQUIRE(doc["rows"].size() == 3);
    const auto& standard = doc["rows"][0];
    CHECK(standard["track"] == "standard");
    CHECK(standard["tier"].is_null());
    CHECK(standard["cases"] == 1);  // E-4 applied in October
    CHECK(standard["average_days"] == 4.0);
    CHECK(standard["p90_days"] == 4);
    CHECK(standard["days_saved"] == 16);
    const auto& deficiency = doc["rows"][1];
    CHECK(deficiency["tier"] == "AAA");
    CHECK(deficiency["deficiency_defaulted"] == 1);
    CHECK(deficiency["average_days"].is_null());
    const auto& commitment = doc["rows"][2];
    CHECK(commitment["tier"] == "AA");
    CHECK(commitment["commitments_kept"] == 1);
    CHECK(commitment["days_saved"] == 19);
    CHECK(commitment["satisfaction"]["satisfied"] == 1);
    CHECK(commitment["satisfaction"]["rate"] == 1.0);
    CHECK(doc["total"]["cases"] == 3);
    CHECK(doc["total"]["average_days"] == 2.5);  // (4 + 1) / 2
    CHECK(doc["total"]["days_saved"] == 35);
  }());
}

TEST_CASE("the effect report exports as CSV with Chinese headers and a total row",
          "[http][effect]") {
  fixture f(std::chrono::seconds(10), with_effect_inputs);
  seed_civil_affairs(f);
  f.run([&]() -> asio::awaitable<void> {
    const auto csv =
        co_await get(f.port(),
                     "/api/v1/reports/"
                     "effect?from=2026-11-01&to=2026-11-30&department=%E6%B0%91%E6%94%BF%E5%B1%80"
                     "&format=csv",
                     supervisor);
    REQUIRE(csv.status == 200);
    CHECK(csv.headers[bhttp::field::content_type] == "text/csv; charset=utf-8");
    CHECK(csv.headers[bhttp::field::content_disposition] ==
          "attachment; filename=\"effect-2026-11-01-2026-11-30.csv\"");
    CHECK(csv.body ==
          "\xEF\xBB\xBF"
          "办理模式,信用等级,办件数,已作决定,平均用时(工作日),90%用时(工作日),节省工作日合计,"
          "平均节省工作日,容缺补齐,容缺未补正,承诺履行,承诺违背,非常满意,满意,基本满意,不满意,"
          "非常不满意,满意率\r\n"
          "一般程序,无,1,1,4.00,4,16,16.00,0,0,0,0,0,0,0,0,0,\r\n"
          "容缺受理,AAA,1,0,,,0,,0,1,0,0,0,0,0,0,0,\r\n"
          "告知承诺,AA,1,1,1.00,1,19,19.00,0,0,1,0,0,1,0,0,0,100.00%\r\n"
          "合计,,3,2,2.50,4,35,17.50,0,1,1,0,0,1,0,0,0,100.00%\r\n");
  }());
}

TEST_CASE(
    "the effect report is read by the back office, not the credit platform, and checks "
    "its dates",
    "[http][effect]") {
  fixture f(std::chrono::seconds(10), with_effect_inputs);
  f.run([&]() -> asio::awaitable<void> {
    for (const auto& token : {viewer, clerk, supervisor}) {
      CHECK((co_await get(f.port(), "/api/v1/reports/effect", token)).status == 200);
    }
    CHECK((co_await get(f.port(), "/api/v1/reports/effect", credit_platform)).status == 403);
    const auto reversed =
        co_await get(f.port(), "/api/v1/reports/effect?from=2026-11-30&to=2026-11-01", viewer);
    CHECK(reversed.status == 400);
    CHECK(reversed.doc()["detail"].get<std::string>().starts_with("from:"));
    const auto bad_format = co_await get(f.port(), "/api/v1/reports/effect?format=xlsx", viewer);
    CHECK(bad_format.status == 400);
  }());
}

TEST_CASE("the effect report's page is served and its columns are fields of the report",
          "[http][effect]") {
  fixture f(std::chrono::seconds(10), with_effect_inputs);
  f.run([&]() -> asio::awaitable<void> {
    const auto page = co_await get(f.port(), "/effect.html");
    REQUIRE(page.status == 200);
    CHECK(page.headers[bhttp::field::content_type] == "text/html; charset=utf-8");
    CHECK(page.body.find("/effect.js") != std::string::npos);
    CHECK((co_await get(f.port(), "/effect.js")).status == 200);
    // Every column the page heads names a field the report serves (docs/openapi.json's
    // EffectFigures and EffectRow), so the page and the route cannot drift apart unnoticed.
    std::ifstream in(XYP_DOCS_DIR "/openapi.json");
    const auto schemas = json::parse(in)["components"]["schemas"];
    const auto& figures = schemas["EffectFigures"]["properties"];
    const auto& row = schemas["EffectRow"]["allOf"][1]["properties"];
    std::vector<std::string> fields;
    const std::string marker = "data-field=\"";
    for (auto at = page.body.find(marker); at != std::string::npos;
         at = page.body.find(marker, at + 1)) {
      const auto start = at + marker.size();
      fields.push_back(page.body.substr(start, page.body.find('"', start) - start));
    }
    CHECK(fields.size() == 14);
    for (const auto& field : fields) {
      INFO(field);
      const auto dot = field.find('.');
      if (dot == std::string::npos) {
        CHECK((figures.contains(field) || row.contains(field)));
      } else {
        CHECK(figures[field.substr(0, dot)]["properties"].contains(field.substr(dot + 1)));
      }
    }
  }());
}

TEST_CASE("the same case id under two applicants in two partitions is a 409 showing both",
          "[http][hardening]") {
  fixture f;
  int other = 41;
  while (xyp::partition_of(person_id(other), partitions) ==
         xyp::partition_of(person_id(40), partitions))
    ++other;
  f.put(make_case("DUP-1", 40, case_state::applied, "市场监管局", "food_license",
                  "2026-11-24T09:00:00+08:00"));
  f.put(make_case("DUP-1", other, case_state::approved, "市场监管局", "food_license",
                  "2026-11-24T10:00:00+08:00"));
  f.run([&]() -> asio::awaitable<void> {
    const auto r = co_await get(f.port(), "/api/v1/cases/DUP-1", supervisor);
    CHECK(r.status == 409);
    const auto doc = r.doc();
    CHECK(doc["error"] == "ambiguous_case_id");
    REQUIRE(doc["cases"].size() == 2);
    std::set<std::string> applicants, states;
    std::set<std::uint32_t> parts;
    for (const auto& c : doc["cases"]) {
      applicants.insert(c["applicant_id"].get<std::string>());
      states.insert(c["state"].get<std::string>());
      parts.insert(c["partition"].get<std::uint32_t>());
    }
    CHECK(applicants == std::set<std::string>{person_id(40), person_id(other)});
    CHECK(states == std::set<std::string>{"applied", "approved"});
    CHECK(parts == std::set<std::uint32_t>{xyp::partition_of(person_id(40), partitions),
                                           xyp::partition_of(person_id(other), partitions)});
    // A viewer sees both too, masked as everywhere.
    const auto masked = co_await get(f.port(), "/api/v1/cases/DUP-1", viewer);
    CHECK(masked.status == 409);
    const auto masked_doc = masked.doc();  // the loop below must not outlive it
    for (const auto& c : masked_doc["cases"]) {
      CHECK(c["applicant_id"].get<std::string>().find('*') != std::string::npos);
    }
  }());
}

TEST_CASE(
    "on a Redis Cluster every read route answers as on one Redis, and a posted event is queued on "
    "its partition's master",
    "[http][cluster]") {
  // The same seed on one Redis and on a Cluster of three masters (the two partitions' slots, of
  // "0" and "1", on different masters): every read answers the same bytes.
  const std::vector<std::string> reads{"/api/v1/cases/C-02",
                                       "/api/v1/cases/NOPE",
                                       "/api/v1/cases?limit=5",
                                       "/api/v1/cases?state=accepted",
                                       "/api/v1/cases?department=%E4%BD%8F%E5%BB%BA%E5%B1%80",
                                       "/api/v1/cases?overdue=true",
                                       "/api/v1/escalations",
                                       "/api/v1/escalations?level=warning",
                                       "/api/v1/ledger",
                                       "/api/v1/ledger?format=csv&from=2026-01-01",
                                       "/api/v1/summary",
                                       "/api/v1/reports/effect?from=2026-11-01&to=2026-11-30"};
  std::vector<std::pair<unsigned, std::string>> answers[2];
  std::vector<std::string> next_pages[2];
  for (const auto kind : {store_kind::one_redis, store_kind::cluster}) {
    fixture f({}, {}, kind);
    auto& mine = answers[kind == store_kind::cluster ? 1 : 0];
    auto& pages = next_pages[kind == store_kind::cluster ? 1 : 0];
    f.run([&]() -> asio::awaitable<void> {
      for (const auto& target : reads) {
        const auto r = co_await get(f.port(), target, supervisor);
        mine.emplace_back(r.status, r.body);
      }
      // Paging with the cursor across both partitions (on two masters) visits every case once.
      std::string cursor;
      for (int page = 0; page < 10; ++page) {
        const std::string more = cursor.empty() ? std::string() : "&cursor=" + cursor;
        const auto r = co_await get(f.port(), "/api/v1/cases?limit=4" + more, viewer);
        REQUIRE(r.status == 200);
        const auto doc = r.doc();
        for (const auto& id : ids_of(doc["cases"])) pages.push_back(id);
        if (!doc.contains("next_cursor") || doc["next_cursor"].is_null()) break;
        cursor = doc["next_cursor"].get<std::string>();
      }
      const auto health = co_await get(f.port(), "/healthz");
      CHECK(health.status == 200);
      CHECK(health.doc()["redis"] == true);

      // A posted event lands on its partition's stream, on that partition's master.
      const auto accepted = co_await http_call(f.port(), bhttp::verb::post, "/api/v1/events", clerk,
                                               apply_event("evt-post-c", 40));
      REQUIRE(accepted.status == 202);
      const auto n = xyp::partition_of(person_id(40), partitions);
      CHECK(accepted.doc()["partitions"] == json::array({n}));
      CHECK(f.client().command({"XLEN", partition_keys(prefix, n).events()}).as_integer() == 1);
    }());
    if (kind == store_kind::cluster) {
      auto& c = f.client();
      REQUIRE(c.clustered());
      CHECK(c.port_of(partition_keys(prefix, 0).events()) !=
            c.port_of(partition_keys(prefix, 1).events()));
    }
  }
  REQUIRE(answers[0].size() == reads.size());
  for (std::size_t i = 0; i < reads.size(); ++i) {
    INFO(reads[i]);
    CHECK(answers[1][i].first == answers[0][i].first);
    CHECK(answers[1][i].second == answers[0][i].second);
  }
  CHECK(next_pages[0].size() == 17);
  CHECK(next_pages[1] == next_pages[0]);
}
