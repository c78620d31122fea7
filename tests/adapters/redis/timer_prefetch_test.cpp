// The Redis runtime on the system clock, whose wall clock the test moves: the cases of the timers
// due within the look-ahead are fetched while the loop waits for them, and at the due instant the
// firing reads what the store holds, changes made after the fetch included.
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "adapters/redis/keys.hpp"
#include "adapters/redis/runtime.hpp"
#include "engine/domain/case_codec.hpp"
#include "support/redis_server.hpp"
#include "support/runtime_helpers.hpp"

using namespace xyp;

namespace {

namespace asio = boost::asio;

const std::string case_id = "ZZ-2026-000037";

// The sample day's lines 2 and 3: the applicant's credit report and its case's application;
// line 18: the clerk accepts the case (evt-000017).
std::vector<std::string> applied_lines() {
  const auto day = test::sample_day(18);
  REQUIRE(day.size() == 18);
  return {day[1], day[2]};
}
std::string accept_line() {
  return test::sample_day(18).back();
}

// Moves the test's wall clock as the runtime reports what it does, and stops it once the case's
// first timer has fired (or, failing, after `patience` reads of the clock).
class clock_script : public redis::runtime_observer {
 public:
  clock_script(redis::runtime*& engine, std::string timer_id, instant due)
      : engine_(engine),
        timer_id_(std::move(timer_id)),
        due_(due),
        now(due - std::chrono::milliseconds{500}) {}

  // What the runtime reads as the system clock.
  instant read_clock() {
    if ((++reads_ > patience || reads_ == stop_at_) && engine_) engine_->stop();
    return now;
  }
  // Stops the runtime after `reads` more reads of the clock (several turns of its loop).
  void stop_after(std::uint64_t reads) { stop_at_ = reads_ + reads; }

  void fetched(std::uint32_t, const store_needs& needs) override {
    if (!needs.cases.contains(case_id)) return;
    ++case_fetches;
    if (now >= due_) ++case_fetches_when_due;
  }
  void prefetched(std::uint32_t, std::size_t cases) override {
    prefetched_cases += cases;
    if (on_prefetch) on_prefetch();
  }
  void committed(std::uint32_t, const commit_unit& unit, redis::commit_status) override {
    if (unit.consumed_timer == timer_id_) {
      fired = true;
      fired_ignored = unit.ignored;
      if (engine_) engine_->stop();
    } else if (on_commit) {
      on_commit(unit);
    }
  }
  void make_due() { now = due_ + std::chrono::milliseconds{1}; }

  static constexpr std::uint64_t patience = 5000;
  std::function<void()> on_prefetch;
  std::function<void(const commit_unit&)> on_commit;
  std::uint64_t case_fetches = 0, case_fetches_when_due = 0, prefetched_cases = 0;
  bool fired = false, fired_ignored = false;

 private:
  redis::runtime*& engine_;
  std::string timer_id_;
  instant due_;
  std::uint64_t reads_ = 0;
  std::uint64_t stop_at_ = 0;

 public:
  instant now;
};

struct prefetch_fixture {
  test::simulated_engine simulated;
  case_processor system{simulated.policy, simulated.calendar, clock_mode::system};
  test::redis_server server;
  redis::runtime_options o = test::runtime_options_for(server, "p", 1);
  redis::partition_keys keys{"p", 0};
  std::string timer_id;
  instant due{};

  // The case applied on the simulated clock; its earliest timer is what the system clock waits for.
  prefetch_fixture() {
    const auto lines = applied_lines();
    REQUIRE(test::submit(o, lines) == lines.size());
    test::run_until_committed(simulated.processor, o, lines.size());
    const auto first = server.command({"ZRANGE", keys.timers(), "0", "0", "WITHSCORES"});
    REQUIRE(first.elements().size() == 2);
    const auto timer = redis::timer_from_member(first.elements()[0].as_string(),
                                                std::stoll(first.elements()[1].as_string()));
    REQUIRE(timer);
    REQUIRE(timer->case_id == case_id);
    timer_id = timer->id;
    due = timer->due;
    o.prefetch_ahead = std::chrono::milliseconds{1000};
  }

  // Runs an engine on the system clock that `script` moves, until the timer has fired.
  void run(clock_script& script, redis::runtime*& engine) {
    o.wall_clock = [&script] { return script.read_clock(); };
    asio::io_context io;
    redis::runtime runtime(io.get_executor(), system, o, script);
    engine = &runtime;
    asio::co_spawn(io, runtime.run(), asio::detached);
    io.run();
    engine = nullptr;
  }
};

}  // namespace

TEST_CASE("the case of a timer due within the look-ahead is fetched before it is due, not after",
          "[runtime][prefetch]") {
  prefetch_fixture f;
  redis::runtime* engine = nullptr;
  clock_script script(engine, f.timer_id, f.due);
  // Once fetched ahead, the timer comes due.
  script.on_prefetch = [&] { script.make_due(); };
  f.run(script, engine);
  CHECK(script.prefetched_cases == 1);
  CHECK(script.fired);
  CHECK(script.case_fetches == 1);
  CHECK(script.case_fetches_when_due == 0);  // the firing found its case held
}

TEST_CASE("a case changed by an event after it was fetched ahead is what its timer finds",
          "[runtime][prefetch]") {
  prefetch_fixture f;
  redis::runtime* engine = nullptr;
  clock_script script(engine, f.timer_id, f.due);
  // Fetched ahead, then accepted by the clerk, and only then is the timer due: the acceptance met
  // the clock the timer stands for and cancelled it, in the store as in Redis. A firing that read
  // the copy fetched ahead would find the clock still armed and fire it.
  script.on_prefetch = [&] {
    f.server.command({"XADD", f.keys.events(), "*", "event", accept_line()});
  };
  bool accepted = false;
  script.on_commit = [&](const commit_unit& unit) {
    if (unit.applied_event == "evt-000017") {
      accepted = true;
      script.make_due();
      script.stop_after(200);  // the loop's turns past the due time
    }
  };
  f.run(script, engine);
  CHECK(script.prefetched_cases == 1);
  REQUIRE(accepted);
  CHECK_FALSE(script.fired);
  CHECK(script.case_fetches == 1);  // the acceptance read the case fetched ahead
  const auto doc = f.server.command({"HGET", f.keys.case_key(case_id), case_id});
  REQUIRE(doc.is_string());
  const auto record = decode_case(doc.as_string());
  CHECK(std::any_of(record.history.begin(), record.history.end(),
                    [](const auto& h) { return h.event_id == "evt-000017"; }));
  CHECK(f.server
            .command(
                {"ZSCORE", f.keys.timers(), redis::timer_member(f.timer_id, "92410404X8Y350JTN5")})
            .is_nil());
}
