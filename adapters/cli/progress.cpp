#include "adapters/cli/progress.hpp"

#include <unistd.h>

#include <ostream>

namespace xyp::cli {
namespace {

// 1234567 -> "1,234,567": a count read at a glance.
std::string grouped(std::uint64_t n) {
  std::string digits = std::to_string(n);
  for (int at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3) {
    digits.insert(static_cast<std::size_t>(at), ",");
  }
  return digits;
}

std::uint64_t percent(std::uint64_t part, std::uint64_t whole) {
  if (whole == 0) return 100;
  return std::min<std::uint64_t>(100, part * 100 / whole);
}

}  // namespace

std::string progress_text(std::string_view command, const progress_sample& s) {
  std::string text(command);
  text += ": " + grouped(s.lines);
  if (s.total_lines) {
    text += " of " + grouped(*s.total_lines) + " lines (" +
            std::to_string(percent(s.lines, *s.total_lines)) + "%)";
  } else if (s.total_bytes) {
    text += " lines (" + std::to_string(percent(s.bytes, *s.total_bytes)) + "%)";
  } else {
    text += " lines";
  }
  if (s.elapsed.count() > 0) {
    const auto rate = static_cast<std::uint64_t>(static_cast<double>(s.lines) / s.elapsed.count());
    text += ", " + grouped(rate) + " lines/s";
  }
  return text;
}

bool progress_wanted(int fd) {
  return ::isatty(fd) == 1;
}

progress_meter::progress_meter(std::ostream& out, bool enabled, std::string command, clock_fn now,
                               std::chrono::milliseconds interval)
    : out_(out),
      enabled_(enabled),
      command_(std::move(command)),
      now_(now ? std::move(now) : clock_fn([] { return std::chrono::steady_clock::now(); })),
      interval_(interval),
      started_(now_()) {}

void progress_meter::update(progress_sample sample) {
  if (!enabled_ || finished_) return;
  const auto now = now_();
  sample.elapsed = now - started_;
  last_ = sample;
  if (drawn_at_ && now - *drawn_at_ < interval_) return;
  drawn_at_ = now;
  draw();
}

void progress_meter::finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  last_.elapsed = now_() - started_;
  draw();
  out_ << "\n";
  out_.flush();
}

void progress_meter::draw() {
  // Back to the line's start, the text, then clear what a longer earlier text left.
  out_ << '\r' << progress_text(command_, last_) << "\x1b[K";
  out_.flush();
}

}  // namespace xyp::cli
