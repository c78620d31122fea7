// The commit of a batch as written (batch_commit::transaction): what it sends for a field or a
// member that several units of one batch wrote. Pure: the RESP text is read back, no Redis.
#include <catch2/catch.hpp>
#include <cstddef>
#include <string>
#include <vector>

#include "adapters/redis/functions.hpp"
#include "adapters/redis/keys.hpp"
#include "engine/domain/case_codec.hpp"
#include "engine/runtime/commit_unit.hpp"

namespace {

using namespace xyp;
using command = std::vector<std::string>;

// The commands of a RESP text: arrays of bulk strings, as resp_commands writes them.
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

// How many times `name` is written by a command `verb` on `key` (a member, a field or a score).
std::size_t count_in(const std::vector<command>& all, const std::string& verb,
                     const std::string& key, const std::string& name) {
  std::size_t n = 0;
  for (const auto& c : all) {
    if (c.size() < 2 || c[0] != verb || c[1] != key) continue;
    for (std::size_t i = 2; i < c.size(); ++i) n += c[i] == name ? 1 : 0;
  }
  return n;
}

timer_entry timer(const std::string& id, std::int64_t due_ms) {
  timer_entry t;
  t.id = id;
  t.case_id = "C-1";
  t.applicant_id = "A-1";
  t.due = instant(std::chrono::milliseconds(due_ms));
  return t;
}

struct batch {
  redis::partition_keys keys{"t", 0};
  redis::batch_commit commit{keys, {}};
  std::vector<case_record> before;  // the case as the batch's earlier units left it

  void add(const commit_unit& unit) {
    commit.add(
        unit,
        [&](const std::string& id) -> const case_record* {
          for (const auto& r : before) {
            if (r.case_id == id) return &r;
          }
          return nullptr;
        },
        [](const std::string& id) { return redis::timer_member(id, "A-1"); }, "", instant{}, false);
    for (const auto& w : unit.cases) before.push_back(w.record);
  }
  std::vector<command> sent() const { return commands_of(commit.transaction().text()); }
};

}  // namespace

TEST_CASE("a timer set and cancelled in one batch is only removed, never added", "[commit]") {
  batch b;
  commit_unit set;
  set.timers_set.push_back(timer("C-1/t1/decision", 5000));
  b.add(set);
  commit_unit cancel;
  cancel.timers_cancelled.push_back("C-1/t1/decision");
  b.add(cancel);
  const auto sent = b.sent();
  const std::string member = redis::timer_member("C-1/t1/decision", "A-1");
  CHECK(count_in(sent, "ZREM", b.keys.timers(), member) == 1);
  CHECK(count_in(sent, "ZADD", b.keys.timers(), member) == 0);
}

TEST_CASE("a timer's member names its clock kind by number, not by name", "[commit]") {
  CHECK(redis::timer_member("C-1/t1/correction_notice", "A-1") == "C-1/t1/0|A-1");
  CHECK(redis::timer_member("C-1/t12/verification", "A-1") == "C-1/t12/5|A-1");
  CHECK(redis::legacy_timer_member("C-1/t1/0|A-1") == "C-1/t1/correction_notice|A-1");
  CHECK_FALSE(redis::legacy_timer_member("C-1/t1/decision|A-1"));
}

TEST_CASE("a removed timer is removed in the form an earlier build wrote it in too", "[commit]") {
  batch b;
  commit_unit fired;
  fired.consumed_timer = "C-1/t1/decision";
  b.add(fired);
  commit_unit cancel;
  cancel.timers_cancelled.push_back("C-2/t3/supplement");
  b.add(cancel);
  const auto sent = b.sent();
  CHECK(count_in(sent, "ZREM", b.keys.timers(), "C-1/t1/4|A-1") == 1);
  CHECK(count_in(sent, "ZREM", b.keys.timers(), "C-1/t1/decision|A-1") == 1);
  CHECK(count_in(sent, "ZREM", b.keys.timers(), "C-2/t3/1|A-1") == 1);
  CHECK(count_in(sent, "ZREM", b.keys.timers(), "C-2/t3/supplement|A-1") == 1);
}

TEST_CASE("a timer cancelled and set again in one batch is added once at its later due time",
          "[commit]") {
  batch b;
  commit_unit set;
  set.timers_set.push_back(timer("C-1/t1/decision", 5000));
  b.add(set);
  commit_unit cancel;
  cancel.timers_cancelled.push_back("C-1/t1/decision");
  b.add(cancel);
  commit_unit again;
  again.timers_set.push_back(timer("C-1/t1/decision", 9000));
  b.add(again);
  const auto sent = b.sent();
  const std::string member = redis::timer_member("C-1/t1/decision", "A-1");
  CHECK(count_in(sent, "ZREM", b.keys.timers(), member) == 0);
  CHECK(count_in(sent, "ZADD", b.keys.timers(), member) == 1);
  CHECK(count_in(sent, "ZADD", b.keys.timers(), "9000") == 1);
  CHECK(count_in(sent, "ZADD", b.keys.timers(), "5000") == 0);
}

TEST_CASE("a case written by two units of one batch is sent once, as the later unit left it",
          "[commit]") {
  batch b;
  case_record first;
  first.case_id = "C-1";
  first.applicant_id = "A-1";
  commit_unit create;
  create.cases.push_back(case_write{first});
  b.add(create);
  case_record second = first;
  second.state = case_state::withdrawn;
  commit_unit change;
  change.cases.push_back(case_write{second, 1});
  b.add(change);
  const auto sent = b.sent();
  const std::string bucket = b.keys.case_key("C-1");
  CHECK(count_in(sent, "HSET", bucket, "C-1") == 1);
  CHECK(count_in(sent, "HSET", bucket, encode_case(second)) == 1);
  CHECK(count_in(sent, "HSET", bucket, encode_case(first)) == 0);
  // The case moved from its first state's index to the second's within the batch.
  CHECK(count_in(sent, "ZADD", b.keys.by_state(to_string(second.state)), "C-1") == 1);
  CHECK(count_in(sent, "ZREM", b.keys.by_state(to_string(first.state)), "C-1") == 1);
  CHECK(count_in(sent, "ZADD", b.keys.by_state(to_string(first.state)), "C-1") == 0);
}

TEST_CASE("the committed position is the batch's newest entry compared as numbers, not as text",
          "[commit]") {
  redis::partition_keys keys{"t", 0};
  redis::batch_commit commit{keys, {}};
  auto none = [](const std::string&) -> const case_record* { return nullptr; };
  auto member = [](const std::string& id) { return redis::timer_member(id, "A-1"); };
  // As text, "9-5" > "10-12" and "10-3" > "10-12"; as stream ids, 10-12 is the newest.
  for (const std::string id : {"9-5", "10-12", "10-3", "10-0"}) {
    commit_unit unit;
    unit.cause = "e-" + id;
    commit.add(unit, none, member, id, instant{}, false);
  }
  CHECK(commit.position() == std::optional<std::string>("10-12"));
  const auto sent = commands_of(commit.transaction().text());
  CHECK(count_in(sent, "HSET", keys.state(), "10-12") == 1);
}
