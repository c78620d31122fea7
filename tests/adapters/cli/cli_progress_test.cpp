// The progress line of submit and replay: its text, its redraw pace on a simulated clock, and
// its absence anywhere but a terminal.
#include "adapters/cli/progress.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <sstream>
#include <string>

#include "adapters/cli/exit_codes.hpp"
#include "adapters/cli/replay.hpp"

using namespace std::chrono_literals;
using xyp::cli::progress_meter;
using xyp::cli::progress_sample;
using xyp::cli::progress_text;

namespace {

// A steady clock that moves only when the test says so.
struct manual_clock {
  std::chrono::steady_clock::time_point now{};
  progress_meter::clock_fn fn() {
    return [this] { return now; };
  }
};

progress_sample lines_of(std::uint64_t done, std::uint64_t total) {
  progress_sample s;
  s.lines = done;
  s.total_lines = total;
  return s;
}

}  // namespace

TEST_CASE("the progress text says n of N lines, the share done and the rate", "[progress]") {
  auto s = lines_of(12'000, 50'000);
  s.elapsed = 2s;
  CHECK(progress_text("submit", s) == "submit: 12,000 of 50,000 lines (24%), 6,000 lines/s");
}

TEST_CASE("without a line count the progress text gives the share of bytes read", "[progress]") {
  progress_sample s;
  s.lines = 1'234'567;
  s.bytes = 450;
  s.total_bytes = 1'000;
  s.elapsed = 500ms;
  CHECK(progress_text("replay", s) == "replay: 1,234,567 lines (45%), 2,469,134 lines/s");
}

TEST_CASE("before any time has passed the progress text gives no rate", "[progress]") {
  CHECK(progress_text("replay", progress_sample{}) == "replay: 0 lines");
}

TEST_CASE("a progress meter redraws the line in place at most once per interval", "[progress]") {
  manual_clock clock;
  std::ostringstream out;
  progress_meter meter(out, true, "submit", clock.fn(), 100ms);
  clock.now += 50ms;
  meter.update(lines_of(10, 100));  // the first update draws
  clock.now += 50ms;
  meter.update(lines_of(20, 100));  // 50 ms later: not yet
  clock.now += 50ms;
  meter.update(lines_of(30, 100));  // 100 ms after the first draw
  CHECK(out.str() ==
        "\rsubmit: 10 of 100 lines (10%), 200 lines/s\x1b[K"
        "\rsubmit: 30 of 100 lines (30%), 200 lines/s\x1b[K");
  meter.finish();
  CHECK(out.str().ends_with("\rsubmit: 30 of 100 lines (30%), 200 lines/s\x1b[K\n"));
}

TEST_CASE("a disabled progress meter writes nothing at all", "[progress]") {
  manual_clock clock;
  std::ostringstream out;
  progress_meter meter(out, false, "submit", clock.fn());
  clock.now += 1s;
  meter.update(lines_of(10, 100));
  meter.finish();
  CHECK(out.str().empty());
}

TEST_CASE("a progress line is wanted on a terminal and not on a pipe", "[progress]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  CHECK_FALSE(xyp::cli::progress_wanted(fds[1]));
  ::close(fds[0]);
  ::close(fds[1]);

  const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  REQUIRE(master >= 0);
  REQUIRE(::grantpt(master) == 0);
  REQUIRE(::unlockpt(master) == 0);
  const int terminal = ::open(::ptsname(master), O_RDWR | O_NOCTTY);
  REQUIRE(terminal >= 0);
  CHECK(xyp::cli::progress_wanted(terminal));
  ::close(terminal);
  ::close(master);
}

TEST_CASE("replay writes no progress to a stream that is not a terminal, and one line when asked",
          "[progress]") {
  xyp::cli::replay_options o;
  o.profile = XYP_CONFIG_DIR "/profiles/shilong.json";
  o.events = XYP_CONFIG_DIR "/samples/day.jsonl";
  o.calendars = XYP_CONFIG_DIR "/calendars";
  o.summary_only = true;
  std::ostringstream out, err;
  REQUIRE(xyp::cli::run_replay(o, out, err) == xyp::cli::exit_ok);
  CHECK(err.str().empty());

  o.progress = true;
  std::ostringstream out2, err2;
  REQUIRE(xyp::cli::run_replay(o, out2, err2) == xyp::cli::exit_ok);
  CHECK(err2.str().starts_with("\rreplay: 1 lines"));
  CHECK(err2.str().find("lines (100%)") != std::string::npos);
  CHECK(err2.str().ends_with("\x1b[K\n"));
  CHECK(out2.str() == out.str());
}
