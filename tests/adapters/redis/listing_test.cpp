// Listings over merged indexes: there is no index of all cases and none per department, so the
// HTTP side's Redis queries read the union of the state indexes, or of a department's matters'
// indexes, and merge them. A real redis-server seeded in the layout the commit writes.
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "adapters/redis/keys.hpp"
#include "adapters/redis/read_model.hpp"
#include "adapters/redis/runtime.hpp"
#include "engine/domain/calendar.hpp"
#include "engine/domain/case_codec.hpp"
#include "engine/domain/identity.hpp"
#include "engine/domain/policy.hpp"
#include "engine/runtime/processor.hpp"
#include "support/redis_server.hpp"
#include "support/runtime_helpers.hpp"

using namespace xyp;

namespace {

namespace asio = boost::asio;

const std::string prefix = "lst";

// A valid resident id whose digits 15-17 are `serial`.
std::string person_id(int serial) {
  std::string first = "110105194912310" + std::to_string(1000 + serial).substr(2);
  return first + resident_id_check_char(first);
}

// One partition, two departments: 住建局 with two matters, 市场监管局 with one.
class fixture {
 public:
  fixture() : link_(io_.get_executor(), redis_.endpoint()), queries_(link_, options()) {}

  // A case as the commit writes it: its doc, its state index and its matter index.
  void put(const std::string& id, case_state state, const std::string& matter,
           std::int64_t applied_ms) {
    case_record r;
    r.case_id = id;
    r.applicant_id = person_id(static_cast<int>(cases_++ % 100));
    r.applicant = {applicant_kind::person, "申请人", "13812345678"};
    r.matter = matter;
    r.department = matter == "food_license" ? "市场监管局" : "住建局";
    r.state = state;
    r.applied_at = instant{std::chrono::milliseconds(applied_ms)};
    r.history.push_back(
        {"evt-" + id, "case.apply", *r.applied_at, std::nullopt, case_state::applied});
    r.version = 1;
    const redis::partition_keys k(prefix, 0);
    const std::string score = std::to_string(applied_ms);
    command({"HSET", k.case_key(id), id, encode_case(r)});
    command({"ZADD", k.by_state(to_string(state)), score, id});
    command({"ZADD", k.by_matter(matter), score, id});
  }

  void command(const std::vector<std::string>& args) {
    REQUIRE_FALSE(redis_.command(args).is_error());
  }

  template <class T>
  T wait(asio::awaitable<T> task) {
    auto done = asio::co_spawn(io_, std::move(task), asio::use_future);
    // The link stays connected after the query: run until the answer is there, not until idle.
    while (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) io_.run_one();
    return done.get();
  }

  http::case_page list(http::case_filter filter) { return wait(queries_.list_cases(filter)); }

  // Every page of a listing, `limit` at a time, each page's ids in a row of its own.
  std::vector<std::vector<std::string>> pages(http::case_filter filter) {
    std::vector<std::vector<std::string>> out;
    for (;;) {
      const auto page = list(filter);
      auto& ids = out.emplace_back();
      for (const auto& r : page.cases) ids.push_back(r.case_id);
      if (!page.next || out.size() > 1000) return out;
      filter.after = page.next;
    }
  }

  http::applied_cases applied(http::applied_window window) {
    return wait(queries_.cases_applied(window));
  }
  http::dashboard_summary summary() { return wait(queries_.summary(10)); }

 private:
  static redis::read_options options() {
    redis::read_options o;
    o.prefix = prefix;
    o.partitions = 1;
    o.departments = {{"住建局", {"building_permit", "building_completion"}},
                     {"市场监管局", {"food_license"}}};
    return o;
  }

  test::redis_server redis_;
  asio::io_context io_;
  redis::read_link link_;
  redis::read_model queries_;
  std::size_t cases_ = 0;
};

std::vector<std::string> flat(const std::vector<std::vector<std::string>>& pages) {
  std::vector<std::string> out;
  for (const auto& p : pages) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace

TEST_CASE("a listing of all cases pages across the state indexes, newest first, none twice",
          "[listing]") {
  fixture f;
  // Newest first: A-6 (accepted), A-5 (applied), A-4, A-3 (accepted), A-2, A-1 (approved); pages
  // of two end in one state index and go on in another.
  f.put("A-1", case_state::approved, "food_license", 1000);
  f.put("A-2", case_state::approved, "food_license", 2000);
  f.put("A-3", case_state::accepted, "food_license", 3000);
  f.put("A-4", case_state::accepted, "building_permit", 4000);
  f.put("A-5", case_state::applied, "building_permit", 5000);
  f.put("A-6", case_state::accepted, "building_permit", 6000);

  http::case_filter all;
  all.limit = 2;
  CHECK(f.pages(all) ==
        std::vector<std::vector<std::string>>{{"A-6", "A-5"}, {"A-4", "A-3"}, {"A-2", "A-1"}});
  CHECK(f.list(all).total == 6u);
}

TEST_CASE("cases applied in the same millisecond in different states page by id, descending",
          "[listing]") {
  fixture f;
  f.put("T-a", case_state::applied, "food_license", 7000);
  f.put("T-b", case_state::accepted, "food_license", 7000);
  f.put("T-c", case_state::applied, "building_permit", 7000);
  f.put("T-d", case_state::denied, "building_permit", 7000);
  f.put("T-0", case_state::denied, "building_permit", 6999);

  http::case_filter all;
  all.limit = 1;
  CHECK(flat(f.pages(all)) == std::vector<std::string>{"T-d", "T-c", "T-b", "T-a", "T-0"});
}

TEST_CASE("a department with two matters lists both matters' cases merged and counts them",
          "[listing]") {
  fixture f;
  f.put("B-1", case_state::applied, "building_permit", 1000);
  f.put("B-2", case_state::applied, "building_completion", 2000);
  f.put("B-3", case_state::accepted, "building_permit", 3000);
  f.put("B-4", case_state::approved, "building_completion", 4000);
  f.put("F-1", case_state::applied, "food_license", 3500);

  http::case_filter dept;
  dept.department = "住建局";
  dept.limit = 3;
  CHECK(f.pages(dept) == std::vector<std::vector<std::string>>{{"B-4", "B-3", "B-2"}, {"B-1"}});
  CHECK(f.list(dept).total == 4u);

  // With a state filter too: members of the state index found in either matter's index.
  http::case_filter applied_here;
  applied_here.department = "住建局";
  applied_here.state = case_state::applied;
  CHECK(flat(f.pages(applied_here)) == std::vector<std::string>{"B-2", "B-1"});

  const auto s = f.summary();
  CHECK(s.by_department.at("住建局") == 4);
  CHECK(s.by_department.at("市场监管局") == 1);
  CHECK(s.total_cases == 5);
}

TEST_CASE("a department's matters read in several rounds merge exactly where one runs ahead",
          "[listing]") {
  fixture f;
  // Filtered by state and department, the department's two matter indexes lead (they are the
  // smaller filter) and are read 32 members a round. Every building_completion case is newer than
  // every building_permit one, and only its newest and its oldest are still applied: the first
  // round keeps one case and has read building_permit further back than building_completion,
  // whose oldest must still come before every building_permit case.
  for (int i = 0; i < 40; ++i) {
    const bool applied = i == 0 || i == 39;
    f.put("C-" + std::to_string(100 + i), applied ? case_state::applied : case_state::accepted,
          "building_completion", 2000 + i);
    f.put("P-" + std::to_string(100 + i), case_state::applied, "building_permit", 1000 + i);
  }
  for (int i = 0; i < 100; ++i) {
    f.put("F-" + std::to_string(100 + i), case_state::applied, "food_license", 500 + i);
  }
  http::case_filter filter;
  filter.department = "住建局";
  filter.state = case_state::applied;
  filter.limit = 16;
  const auto page = f.list(filter);
  std::vector<std::string> ids;
  for (const auto& r : page.cases) ids.push_back(r.case_id);
  std::vector<std::string> want{"C-139", "C-100"};
  for (int i = 39; i >= 26; --i) want.push_back("P-" + std::to_string(100 + i));
  CHECK(ids == want);
  REQUIRE(page.next);
  CHECK(page.next->case_id == "P-126");
}

TEST_CASE("the effect report's range read takes the earliest cases across the state indexes",
          "[listing]") {
  fixture f;
  f.put("E-1", case_state::approved, "food_license", 1000);
  f.put("E-2", case_state::applied, "food_license", 2000);
  f.put("E-3", case_state::denied, "building_permit", 3000);
  f.put("E-3b", case_state::accepted, "building_permit", 3000);  // the same millisecond
  f.put("E-4", case_state::approved, "building_permit", 4000);
  f.put("E-5", case_state::applied, "building_permit", 5000);

  http::applied_window window;
  window.from = instant{std::chrono::milliseconds(2000)};
  window.max_cases = 2;
  const auto cut = f.applied(window);
  std::vector<std::string> ids;
  for (const auto& r : cut.cases) ids.push_back(r.case_id);
  CHECK(ids == std::vector<std::string>{"E-2", "E-3"});
  CHECK(cut.truncated);

  window.max_cases = 3;
  const auto ties = f.applied(window);
  ids.clear();
  for (const auto& r : ties.cases) ids.push_back(r.case_id);
  CHECK(ids == std::vector<std::string>{"E-2", "E-3", "E-3b"});
  CHECK(ties.truncated);

  window.max_cases = 10;
  const auto whole = f.applied(window);
  CHECK(whole.cases.size() == 5);
  CHECK_FALSE(whole.truncated);
}

TEST_CASE("indexes of all cases and of departments left by an earlier build are not read",
          "[listing]") {
  fixture f;
  f.put("O-1", case_state::applied, "building_permit", 1000);
  f.put("O-2", case_state::approved, "food_license", 2000);
  // What an earlier build wrote, gone stale: a case that is no more, a department's extra member.
  const redis::partition_keys k(prefix, 0);
  for (const auto* id : {"O-1", "O-2", "O-gone"}) {
    f.command({"ZADD", k.old_all_cases(), "1500", id});
    f.command({"ZADD", k.old_by_department("住建局"), "1500", id});
  }

  http::case_filter all;
  CHECK(f.list(all).total == 2u);
  http::case_filter dept;
  dept.department = "住建局";
  CHECK(flat(f.pages(dept)) == std::vector<std::string>{"O-1"});
  CHECK(f.list(dept).total == 1u);
  const auto s = f.summary();
  CHECK(s.total_cases == 2);
  CHECK(s.by_department.at("住建局") == 1);
}

TEST_CASE("the engine's commits keep each case in its state and matter indexes only",
          "[listing][runtime]") {
  const test::simulated_engine shilong;
  const auto& processor = shilong.processor;
  test::redis_server server;
  const auto o = test::runtime_options_for(server, "idx" + std::to_string(server.port()), 1);
  const auto lines = test::sample_day();
  const auto count = test::submit(o, lines);
  REQUIRE(count > 0);
  test::run_until_committed(processor, o, count);

  const redis::partition_keys k(o.prefix, 0);
  // Where each case id is indexed, index by index.
  std::map<std::string, std::vector<std::string>> states, matters;
  const auto index_keys = server.command({"KEYS", o.prefix + ":{0}:idx:*"});
  std::vector<std::string> other_indexes;
  for (const auto& key : index_keys.elements()) {
    const auto name = key.as_string();
    const auto members = server.command({"ZRANGE", name, "0", "-1"});
    for (int s = 0; s < case_state_count; ++s) {
      const auto state = std::string(to_string(static_cast<case_state>(s)));
      if (name != k.by_state(state)) continue;
      for (const auto& m : members.elements()) states[m.as_string()].push_back(state);
    }
    if (name.starts_with(k.by_matter(""))) {
      for (const auto& m : members.elements()) {
        matters[m.as_string()].push_back(name.substr(k.by_matter("").size()));
      }
    } else if (!name.starts_with(k.by_state("")) && name != k.overdue()) {
      other_indexes.push_back(name);
    }
  }
  CHECK(other_indexes.empty());
  CHECK(server.command({"EXISTS", k.old_all_cases()}).as_integer() == 0);

  std::size_t cases = 0;
  for (std::uint32_t b = 0; b < redis::case_buckets; ++b) {
    const auto bucket = server.command({"HGETALL", k.case_bucket_key(b)}).elements();
    for (std::size_t i = 0; i + 1 < bucket.size(); i += 2) {
      const auto r = decode_case(bucket[i + 1].as_string());
      INFO("case " << r.case_id);
      CHECK(states[r.case_id] == std::vector<std::string>{std::string(to_string(r.state))});
      CHECK(matters[r.case_id] == std::vector<std::string>{r.matter});
      ++cases;
    }
  }
  REQUIRE(cases > 10);
  CHECK(states.size() == cases);
  CHECK(matters.size() == cases);
}

TEST_CASE("listings and the report's cut over many cases equal one sorted list of them",
          "[listing]") {
  fixture f;
  struct seeded {
    std::int64_t ms;
    std::string id;
    case_state state;
    std::string matter;
  };
  std::vector<seeded> all;
  std::mt19937 random(7);  // fixed: the same cases every run
  const std::vector<std::string> matters{"building_permit", "building_completion", "food_license"};
  for (int i = 0; i < 300; ++i) {
    // Few distinct milliseconds, so that many cases share one across indexes.
    const auto ms = static_cast<std::int64_t>(1000 + random() % 60);
    const auto state = static_cast<case_state>(random() % case_state_count);
    const auto& matter = matters[random() % matters.size()];
    all.push_back({ms, "R-" + std::to_string(1000 + i), state, matter});
    f.put(all.back().id, state, matter, ms);
  }
  // Newest first, then id descending: the listing's order.
  std::sort(all.begin(), all.end(), [](const seeded& a, const seeded& b) {
    return std::tie(a.ms, a.id) > std::tie(b.ms, b.id);
  });
  auto expected = [&](auto&& keep) {
    std::vector<std::string> out;
    for (const auto& c : all) {
      if (keep(c)) out.push_back(c.id);
    }
    return out;
  };

  http::case_filter everything;
  everything.limit = 7;
  CHECK(flat(f.pages(everything)) == expected([](const seeded&) { return true; }));

  http::case_filter dept;
  dept.department = "住建局";
  dept.limit = 5;
  CHECK(flat(f.pages(dept)) ==
        expected([](const seeded& c) { return c.matter != "food_license"; }));

  http::case_filter dept_state;
  dept_state.department = "住建局";
  dept_state.state = case_state::applied;
  dept_state.limit = 3;
  CHECK(flat(f.pages(dept_state)) == expected([](const seeded& c) {
          return c.matter != "food_license" && c.state == case_state::applied;
        }));

  // The report's window from the earliest millisecond on, oldest first, cut at several sizes.
  std::vector<std::string> oldest_first;
  for (auto it = all.rbegin(); it != all.rend(); ++it) oldest_first.push_back(it->id);
  for (const std::size_t room : {1u, 17u, 150u, 299u, 300u, 301u}) {
    INFO("room " << room);
    http::applied_window window;
    window.max_cases = room;
    const auto cut = f.applied(window);
    std::vector<std::string> ids;
    for (const auto& r : cut.cases) ids.push_back(r.case_id);
    const auto want = std::min<std::size_t>(room, oldest_first.size());
    CHECK(ids ==
          std::vector<std::string>(oldest_first.begin(),
                                   oldest_first.begin() + static_cast<std::ptrdiff_t>(want)));
    CHECK(cut.truncated == (room < oldest_first.size()));
  }
}
