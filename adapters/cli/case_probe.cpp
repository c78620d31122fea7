#include "adapters/cli/case_probe.hpp"

#include <chrono>
#include <utility>

namespace xyp::cli {
namespace {

namespace chr = std::chrono;

constexpr auto day_closes = chr::hours{18};

}  // namespace

case_probe::case_probe(const jurisdiction_policy& policy, const working_calendar& calendar)
    : processor_(policy, calendar, clock_mode::simulated),
      engine_{memory_partition{0}, partition_loop{processor_}} {}

void case_probe::start(std::string case_id) {
  engine_.partition = memory_partition{0};
  engine_.partition.set_listener([this](const commit_unit& unit) {
    if (unit.dead) refused_ = unit.dead->detail;
  });
  engine_.loop.reset();
  case_id_ = std::move(case_id);
}

instant case_probe::firing_time(instant due) {
  const auto local = due + shanghai_offset;
  const auto date = chr::floor<chr::days>(local);
  const instant closing{date + day_closes - shanghai_offset};
  return due <= closing ? closing : closing + chr::days{1};
}

std::optional<std::pair<timer_entry, instant>> case_probe::engine::fire_next(instant until) {
  const auto next = partition.due_timers(instant::max(), 1);
  if (next.empty()) return std::nullopt;
  instant fire = firing_time(next.front().due);
  // A timer set behind the clock fires at the next day's clock.advance.
  if (fire <= partition.now()) fire = firing_time(partition.now() + chr::seconds{1});
  if (fire > until) return std::nullopt;
  // As memory_runtime does when time follows the events: the clock moves, what is due fires.
  partition.advance_clock(fire);
  loop.fire_until(fire);
  loop.run(partition);
  return std::pair{next.front(), fire};
}

void case_probe::advance_to(instant at) {
  // Strictly before `at`: an event at the clock's own instant would come after it anyway.
  while (engine_.fire_next(at - chr::seconds{1})) {
  }
}

std::optional<std::string> case_probe::apply(std::string raw, instant at) {
  advance_to(at);
  refused_.reset();
  engine_.loop.feed({make_entry("", std::move(raw))});
  engine_.loop.run(engine_.partition);
  return std::exchange(refused_, std::nullopt);
}

std::vector<timer_firing> case_probe::forecast(instant until) const {
  engine copy = engine_;
  copy.partition.set_listener({});
  std::vector<timer_firing> firings;
  while (const auto fired = copy.fire_next(until)) {
    const auto* r = copy.partition.peek_case(case_id_);
    if (r == nullptr) break;
    firings.push_back({fired->first.kind, fired->second, r->state});
  }
  return firings;
}

}  // namespace xyp::cli
