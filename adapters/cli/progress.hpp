#pragma once
// A progress line for long work on the command line (submit and replay of big files): rewritten
// in place with \r on a terminal, absent when the stream is piped or redirected.
#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace xyp::cli {

// How far the work is, as the line shows it.
struct progress_sample {
  std::uint64_t lines = 0;
  std::optional<std::uint64_t> total_lines;  // when known: "n of N lines"
  std::uint64_t bytes = 0;
  std::optional<std::uint64_t> total_bytes;  // when the line count is not known: a share of bytes
  std::chrono::duration<double> elapsed{0};
};

// "replay: 12,000 lines (41%), 8,512 lines/s" or "submit: 12,000 of 50,000 lines (24%), ...":
// no carriage return, no escape codes.
std::string progress_text(std::string_view command, const progress_sample& sample);

// Whether a progress line belongs on this file descriptor: a terminal only.
bool progress_wanted(int fd);

// Draws the line at most every `interval` of its clock, and once more at the end. Disabled, it
// writes nothing at all.
class progress_meter {
 public:
  using clock_fn = std::function<std::chrono::steady_clock::time_point()>;

  progress_meter(std::ostream& out, bool enabled, std::string command, clock_fn now = {},
                 std::chrono::milliseconds interval = std::chrono::milliseconds(100));

  // The work has reached `sample` (its elapsed time is filled in here).
  void update(progress_sample sample);
  // Draws the last state and ends the line.
  void finish();

 private:
  void draw();

  std::ostream& out_;
  bool enabled_;
  std::string command_;
  clock_fn now_;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point started_;
  std::optional<std::chrono::steady_clock::time_point> drawn_at_;
  progress_sample last_;
  bool finished_ = false;
};

}  // namespace xyp::cli
