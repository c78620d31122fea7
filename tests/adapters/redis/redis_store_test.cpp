// The Redis store between a commit sent and the same commit landed, and the loop's look ahead:
// pure, no Redis needed.
#include "adapters/redis/store.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/domain/applicant_record.hpp"
#include "engine/domain/calendar.hpp"
#include "engine/domain/policy.hpp"
#include "engine/runtime/partition_loop.hpp"
#include "engine/runtime/processor.hpp"
#include "support/runtime_helpers.hpp"

namespace {

using namespace xyp;

struct setup {
  jurisdiction_policy policy = load_policy(XYP_CONFIG_DIR "/profiles/shilong.json");
  working_calendar calendar = working_calendar::load_directory(XYP_CONFIG_DIR "/calendars");
  case_processor processor{policy, calendar, clock_mode::simulated};
  redis::partition_keys keys{"t", 0};
};

const inbound_event& event_of(const loop_entry& e) {
  return std::get<inbound_event>(e.parsed);
}

// A unit that writes one case of `applicant`.
commit_unit writing(const std::string& case_id, const std::string& applicant) {
  commit_unit unit;
  unit.cause = "e-" + case_id;
  case_record r;
  r.case_id = case_id;
  r.applicant_id = applicant;
  unit.cases.push_back(case_write{std::move(r)});
  return unit;
}

}  // namespace

TEST_CASE("the loop names what the entries ahead read, up to a clock.advance, applying none",
          "[store]") {
  setup s;
  redis::redis_store store(s.keys, clock_mode::simulated, {}, {});
  partition_loop loop(s.processor);
  std::vector<loop_entry> entries;
  for (const auto& line : test::sample_day()) {
    auto e = make_entry("1-" + std::to_string(entries.size()), line);
    const auto* event = std::get_if<inbound_event>(&e.parsed);
    if (event && event->type == event_type::case_apply && entries.size() < 3) {
      entries.push_back(std::move(e));
    }
  }
  REQUIRE(entries.size() == 3);
  const std::string first_case = event_of(entries[0]).case_id,
                    second_case = event_of(entries[1]).case_id,
                    after_clock = event_of(entries[2]).case_id;
  entries.insert(entries.begin() + 2,
                 make_entry("1-9", R"({"id":"clk-1","type":"clock.advance",)"
                                   R"("at":"2026-11-23T18:00:00+08:00",)"
                                   R"("data":{"to":"2026-11-23T18:00:00+08:00"}})"));
  const auto first = entries.front();
  const auto* loop_entry_before_clock = &first;
  loop.feed(std::move(entries));

  const auto needs = loop.needs_ahead(store);
  CHECK(needs.cases.contains(first_case));
  CHECK(needs.cases.contains(second_case));
  CHECK_FALSE(needs.cases.contains(after_clock));
  CHECK(needs.credits.contains(event_of(*loop_entry_before_clock).applicant_id));
  CHECK_FALSE(loop.idle());
  CHECK(store.pending().empty());
}

TEST_CASE("a case written by a batch not yet landed stays in memory however small the cache",
          "[store]") {
  setup s;
  redis::store_limits limits;
  limits.cases = 1;
  redis::redis_store store(s.keys, clock_mode::simulated, limits, {});
  store.load_applicant("applicant-1", std::nullopt);
  store.load_applicant("applicant-2", std::nullopt);
  store.keep(writing("A", "applicant-1"), nullptr);
  store.keep(writing("B", "applicant-1"), nullptr);
  store.sent();  // A and B are on their way
  store.keep(writing("C", "applicant-2"), nullptr);
  // Nothing has landed: every case written stays, above the bound.
  CHECK(store.holds_case("A"));
  CHECK(store.holds_case("B"));
  CHECK(store.holds_case("C"));
  // A used again: C, still to be sent, is now the least recently used but for B.
  CHECK(store.peek_case("A") != nullptr);
  store.landed();  // A and B are in Redis; C (pending) is not
  CHECK_FALSE(store.holds_case("B"));
  CHECK(store.holds_case("C"));
  CHECK(store.cached_cases() == 2);  // above the bound until C has landed
  store.sent();
  store.landed();
  CHECK(store.cached_cases() == 1);
}

TEST_CASE(
    "an applicant's record read while a batch is on its way does not undo the cases it creates",
    "[store]") {
  setup s;
  redis::redis_store store(s.keys, clock_mode::simulated, {}, {});
  store.load_applicant("applicant-1", std::nullopt);
  store.keep(writing("A", "applicant-1"), nullptr);
  store.sent();
  store.keep(writing("B", "applicant-1"), nullptr);
  // Redis answers before either batch landed: it knows neither case.
  store.load_applicant("applicant-1", applicant_record{});
  CHECK(store.case_ids_of("applicant-1") == std::vector<std::string>{"A", "B"});
  store.landed();
}

TEST_CASE("a new case writes its applicant's whole record, the credit and every case id, once",
          "[store]") {
  setup s;
  redis::redis_store store(s.keys, clock_mode::simulated, {}, {});
  applicant_record held;
  held.credit = credit_snapshot{true, credit_grade::AA, 812, false, false, false, "platform", {}};
  held.case_ids = {"C-2"};
  store.load_applicant("applicant-1", held);
  store.keep(writing("C-3", "applicant-1"), nullptr);
  store.keep(writing("C-1", "applicant-1"), nullptr);
  applicant_record expected = held;
  expected.case_ids = {"C-1", "C-2", "C-3"};  // kept sorted
  CHECK(store.case_ids_of("applicant-1") == expected.case_ids);
  CHECK(store.find_credit("applicant-1") == held.credit);
  // The commit sets the record as it stands after both units, and nothing older.
  const auto command = store.pending().transaction().text();
  const std::string written = encode_applicant(expected);
  CHECK(command.find(written) != std::string::npos);
  held.case_ids = {"C-2", "C-3"};
  CHECK(command.find(encode_applicant(held)) == std::string::npos);
  CHECK(command.find(s.keys.applicant_key("applicant-1")) != std::string::npos);
}

TEST_CASE("a closed case leaves its applicant's record, which keeps the cases still open",
          "[store]") {
  setup s;
  redis::redis_store store(s.keys, clock_mode::simulated, {}, {});
  store.load_applicant("applicant-1", std::nullopt);
  store.keep(writing("C-1", "applicant-1"), nullptr);
  store.keep(writing("C-2", "applicant-1"), nullptr);
  commit_unit closing = writing("C-1", "applicant-1");
  closing.cases.front().record.state = case_state::withdrawn;
  store.keep(std::move(closing), nullptr);
  CHECK(store.case_ids_of("applicant-1") == std::vector<std::string>{"C-2"});
  // What the batch writes is the record without it.
  applicant_record expected;
  expected.case_ids = {"C-2"};
  CHECK(store.pending().transaction().text().find(encode_applicant(expected)) != std::string::npos);
}

TEST_CASE("a unit that changes an applicant the store does not hold is refused as a defect",
          "[store]") {
  setup s;
  redis::redis_store store(s.keys, clock_mode::simulated, {}, {});
  // Writing a record without the applicant's other cases would lose them.
  CHECK_THROWS_AS(store.keep(writing("A", "applicant-1"), nullptr), std::logic_error);
}

TEST_CASE("a timer is read back from its member as the same timer in either form", "[store]") {
  const auto short_form = redis::timer_from_member("ZZ-2026-000001/t2/0|A-1", 5000);
  const auto earlier_form =
      redis::timer_from_member("ZZ-2026-000001/t2/correction_notice|A-1", 5000);
  for (const auto& t : {short_form, earlier_form}) {
    REQUIRE(t);
    CHECK(t->id == "ZZ-2026-000001/t2/correction_notice");
    CHECK(t->case_id == "ZZ-2026-000001");
    CHECK(t->applicant_id == "A-1");
    CHECK(t->kind == clock_kind::correction_notice);
    CHECK(t->due == instant{std::chrono::milliseconds{5000}});
  }
  // What the store writes for the timer is the short form.
  CHECK(redis::timer_member(short_form->id, "A-1") == "ZZ-2026-000001/t2/0|A-1");
  // A kind number beyond the kinds is no timer of ours.
  CHECK_FALSE(redis::timer_from_member("ZZ-2026-000001/t2/6|A-1", 5000));
}

TEST_CASE("the timers held stay a bounded window however many are set, the earliest kept",
          "[store]") {
  setup s;
  redis::store_limits limits;
  limits.timer_window = 10;
  redis::redis_store store(s.keys, clock_mode::simulated, limits, {});
  store.load_timers({}, true);  // Redis had none: every timer set from now on is held
  store.load_applicant("applicant-1", std::nullopt);
  for (int i = 0; i < 50; ++i) {
    commit_unit unit = writing("case-" + std::to_string(i), "applicant-1");
    unit.timers_set.push_back(timer_entry{
        "case-" + std::to_string(i) + "/t1/decision", "case-" + std::to_string(i), "applicant-1",
        clock_kind::decision, instant{std::chrono::milliseconds{1000 + 50 - i}}});
    store.keep(std::move(unit), nullptr);
  }
  CHECK(store.held_timers() == 50);
  store.sent();
  store.landed();
  CHECK(store.held_timers() == 10);
  // The ten earliest (due 1001..1010) are held; every timer due by the horizon is among them.
  CHECK(store.next_due() == instant{std::chrono::milliseconds{1001}});
  CHECK(store.timer_horizon() == 1010);
  const auto due = store.due_timers(instant{std::chrono::milliseconds{5000}}, 100);
  REQUIRE(due.size() == 10);
  CHECK(due.back().due == instant{std::chrono::milliseconds{1010}});
}

namespace {

instant ms(std::int64_t n) {
  return instant{std::chrono::milliseconds{n}};
}

// A store holding the timers "case-<i>/t1/decision" of applicant-1, due at 1000 + i ms.
void hold_timers(redis::redis_store& store, int count) {
  std::vector<std::pair<std::string, std::int64_t>> timers;
  for (int i = 0; i < count; ++i) {
    timers.emplace_back("case-" + std::to_string(i) + "/t1/decision|applicant-1", 1000 + i);
  }
  store.load_timers(timers, true);
}

}  // namespace

TEST_CASE("the cases of the timers due within the look-ahead are named once, the held ones not",
          "[store][prefetch]") {
  setup s;
  redis::redis_store store(s.keys, clock_mode::system, {}, {});
  hold_timers(store, 10);
  store.load_case("case-1", std::nullopt);          // already held: not fetched again
  CHECK(store.cases_due_by(ms(999), 100).empty());  // nothing due that early
  CHECK(store.cases_due_by(ms(1003), 100) ==
        std::vector<std::string>{"case-0", "case-2", "case-3"});
  // Asked again, only the timers after the last one looked at.
  CHECK(store.cases_due_by(ms(1003), 100).empty());
  CHECK(store.cases_due_by(ms(1005), 100) == std::vector<std::string>{"case-4", "case-5"});
  CHECK(store.pinned_timers() == 6);
}

TEST_CASE("no more timers than the limit hold their cases at once", "[store][prefetch]") {
  setup s;
  redis::redis_store store(s.keys, clock_mode::system, {}, {});
  hold_timers(store, 10);
  CHECK(store.cases_due_by(ms(2000), 4).size() == 4);
  CHECK(store.cases_due_by(ms(2000), 4).empty());
  CHECK(store.pinned_cases() == 4);
}

TEST_CASE("a case fetched for a timer about to fire outlives the cache's bound until it fires",
          "[store][prefetch]") {
  setup s;
  redis::store_limits limits;
  limits.cases = 2;
  redis::redis_store store(s.keys, clock_mode::system, limits, {});
  hold_timers(store, 3);
  const auto wanted = store.cases_due_by(ms(1002), 100);
  REQUIRE(wanted.size() == 3);
  for (const auto& id : wanted) store.load_case(id, std::nullopt);
  // Inbound events read five other cases, used after the three.
  for (int i = 0; i < 5; ++i) store.load_case("other-" + std::to_string(i), std::nullopt);
  store.sent();
  store.landed();
  CHECK(store.holds_case("case-0"));
  CHECK(store.holds_case("case-1"));
  CHECK(store.holds_case("case-2"));
  CHECK(store.cached_cases() == 3);  // the bound, 2, plus the held ones but one

  // case-0's timer fires: its case may go.
  commit_unit fired;
  fired.consumed_timer = "case-0/t1/decision";
  store.keep(std::move(fired), nullptr);
  CHECK(store.pinned_cases() == 2);
  store.sent();
  store.landed();
  CHECK_FALSE(store.holds_case("case-0"));
  CHECK(store.holds_case("case-1"));
  CHECK(store.holds_case("case-2"));
}
