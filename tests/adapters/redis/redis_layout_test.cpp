// The Redis layout's encodings (adapters/redis/layout.hpp): each read back as it was written, and
// the commit writing exactly these forms, so that the writer, the read model and the tests that
// seed Redis by hand cannot drift apart. Pure: no Redis.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "adapters/redis/functions.hpp"
#include "adapters/redis/keys.hpp"
#include "adapters/redis/layout.hpp"
#include "engine/runtime/commit_unit.hpp"

namespace {

using namespace xyp;
using namespace std::chrono_literals;
using command = std::vector<std::string>;

constexpr clock_kind every_clock[] = {clock_kind::correction_notice, clock_kind::supplement,
                                      clock_kind::supplement_grace,  clock_kind::decision_warning,
                                      clock_kind::decision,          clock_kind::verification};

// The commands of a RESP text (arrays of bulk strings).
std::vector<command> commands_of(const std::string& text) {
  std::vector<command> out;
  std::size_t at = 0;
  auto number = [&] {
    const std::size_t end = text.find("\r\n", at);
    const std::size_t n = std::stoul(text.substr(at + 1, end - at - 1));
    at = end + 2;
    return n;
  };
  while (at < text.size()) {
    auto& c = out.emplace_back();
    for (std::size_t args = number(); args > 0; --args) {
      const std::size_t size = number();
      c.push_back(text.substr(at, size));
      at += size + 2;
    }
  }
  return out;
}

// The (score, member) pairs a ZADD on `key` sent.
std::vector<std::pair<std::string, std::string>> zadds(const std::vector<command>& all,
                                                       const std::string& key) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& c : all) {
    if (c.size() < 4 || c[0] != "ZADD" || c[1] != key) continue;
    for (std::size_t i = 2; i + 1 < c.size(); i += 2) out.emplace_back(c[i], c[i + 1]);
  }
  return out;
}

}  // namespace

TEST_CASE("a time score reads back as the instant it was written from", "[layout]") {
  for (const instant t : {instant{}, instant{1'795'000'000'123ms}, instant{-86'400'000ms}}) {
    CHECK(redis::time_from_score(redis::time_score(t)) == t);
  }
  CHECK(redis::time_score(instant{1'795'000'000'123ms}) == "1795000000123");
  // Redis may answer a score as a double's text.
  CHECK(redis::time_from_score("1.795000000123e+12") == instant{1'795'000'000'123ms});
}

TEST_CASE("a ledger date score is one number for the row's text and the query's day", "[layout]") {
  const std::chrono::year_month_day day{std::chrono::year(2026), std::chrono::November,
                                        std::chrono::day(3)};
  CHECK(redis::date_score(day) == "20261103");
  CHECK(redis::date_score(std::string_view("2026-11-03")) == redis::date_score(day));
  CHECK(redis::date_from_score(redis::date_score(day)) == day);
  CHECK_FALSE(redis::date_from_score("20261341"));
  CHECK_FALSE(redis::date_from_score("x"));
}

TEST_CASE("an escalation member reads back as its case, its contract clock and its level",
          "[layout]") {
  for (const auto kind : every_clock) {
    for (const auto level : {escalation_level::warning, escalation_level::overdue}) {
      // A case id may hold the separator: the member is split from the right.
      const auto member = redis::escalation_member("ZZ|2026-000001", kind, level);
      const auto read = redis::escalation_from_member(member);
      REQUIRE(read);
      CHECK(*read == redis::escalation_entry{"ZZ|2026-000001",
                                             std::string(contract_clock_name(kind)), level});
    }
  }
  CHECK_FALSE(redis::escalation_from_member("no separators"));
  // A level that is not an escalation level's name is no escalation of ours.
  CHECK_FALSE(redis::escalation_from_member("ZZ-2026-000001|decision|late"));
}

TEST_CASE("a timer member reads back as its timer, in both the short and the earlier form",
          "[layout]") {
  for (const auto kind : every_clock) {
    const std::string id = "ZZ-2026-000001/t7/" + std::string(to_string(kind));
    const auto member = redis::timer_member(id, "A-1");
    const auto read = redis::timer_from_member(member, 5000);
    REQUIRE(read);
    CHECK(read->id == id);
    CHECK(read->case_id == "ZZ-2026-000001");
    CHECK(read->applicant_id == "A-1");
    CHECK(read->kind == kind);
    CHECK(read->due == instant{5000ms});
    if (const auto legacy = redis::legacy_timer_member(member)) {
      CHECK(redis::timer_from_member(*legacy, 5000)->id == id);
    }
  }
}

TEST_CASE("the commit writes the escalation, index and ledger forms the layout reads",
          "[layout][commit]") {
  redis::partition_keys keys{"t", 0};
  redis::batch_commit commit{keys, {}};
  case_record r;
  r.case_id = "C|1";
  r.applicant_id = "A-1";
  r.matter = "food_license";
  r.state = case_state::accepted;
  r.applied_at = instant{1'795'000'000'000ms};
  escalation_record e;
  e.level = escalation_level::overdue;
  e.clock = clock_kind::supplement_grace;
  e.raised_at = instant{1'795'000'600'000ms};
  r.escalations.push_back(e);
  commit_unit unit;
  unit.cases.push_back(case_write{r, 0});
  ledger_facts row;
  row.no = 7;
  row.row.case_id = "C|1";
  row.row.date = "2026-11-20";
  outbound_event out;
  out.facts = row;
  unit.outbound.push_back(out);
  commit.add(
      unit, [](const std::string&) -> const case_record* { return nullptr; },
      [](const std::string& id) { return redis::timer_member(id, "A-1"); }, "", instant{}, false);
  const auto sent = commands_of(commit.transaction().text());

  const auto escalations = zadds(sent, keys.escalations());
  REQUIRE(escalations.size() == 1);
  CHECK(redis::time_from_score(escalations[0].first) == e.raised_at);
  CHECK(redis::escalation_from_member(escalations[0].second) ==
        redis::escalation_entry{"C|1", "supplement", escalation_level::overdue});
  const auto by_state = zadds(sent, keys.by_state(to_string(case_state::accepted)));
  REQUIRE(by_state.size() == 1);
  CHECK(redis::time_from_score(by_state[0].first) == *r.applied_at);
  const auto by_date = zadds(sent, keys.ledger_by_date());
  REQUIRE(by_date.size() == 1);
  CHECK(redis::date_from_score(by_date[0].first) ==
        std::chrono::year_month_day{std::chrono::year(2026), std::chrono::November,
                                    std::chrono::day(20)});
  CHECK(by_date[0].second == "7");
}
