#include "engine/domain/time.hpp"

#include <array>
#include <charconv>
#include <cstdio>

namespace xyp {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Reads exactly n digits at pos; false when any is not a digit.
bool read_digits(std::string_view text, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > text.size()) return false;
  int value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!is_digit(text[i])) return false;
    value = value * 10 + (text[i] - '0');
  }
  out = value;
  return true;
}

}  // namespace

std::optional<instant> parse_rfc3339(std::string_view text) {
  using namespace std::chrono;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!read_digits(text, 0, 4, y) || text.size() < 20 || text[4] != '-' ||
      !read_digits(text, 5, 2, mo) || text[7] != '-' || !read_digits(text, 8, 2, d) ||
      (text[10] != 'T' && text[10] != 't') || !read_digits(text, 11, 2, h) || text[13] != ':' ||
      !read_digits(text, 14, 2, mi) || text[16] != ':' || !read_digits(text, 17, 2, s)) {
    return std::nullopt;
  }
  const year_month_day date{year{y}, month{static_cast<unsigned>(mo)},
                            day{static_cast<unsigned>(d)}};
  if (!date.ok() || h > 23 || mi > 59 || s > 59) return std::nullopt;

  std::size_t pos = 19;
  milliseconds fraction{0};
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    int scale = 100;
    int ms = 0;
    while (pos < text.size() && is_digit(text[pos])) {
      ms += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
    fraction = milliseconds{ms};
  }
  if (pos >= text.size()) return std::nullopt;
  minutes offset{0};
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    int oh = 0, om = 0;
    if (!read_digits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !read_digits(text, pos + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset = hours{oh} + minutes{om};
    if (text[pos] == '-') offset = -offset;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  const auto local = sys_days{date} + hours{h} + minutes{mi} + seconds{s} + fraction;
  return instant{local - offset};
}

std::string format_rfc3339(instant t) {
  using namespace std::chrono;
  const auto local = t + shanghai_offset;
  const auto days = floor<std::chrono::days>(local);
  const year_month_day date{days};
  const hh_mm_ss clock{local - days};
  const auto ms = clock.subseconds().count();
  const int year = static_cast<int>(date.year());
  if (year >= 0 && year <= 9999) {
    // Digits by hand: snprintf was ~5 % of a replay's instructions.
    std::array<char, 29> text{};
    auto put = [&text](std::size_t at, unsigned value, std::size_t width) {
      for (std::size_t i = width; i-- > 0; value /= 10)
        text[at + i] = static_cast<char>('0' + value % 10);
    };
    put(0, static_cast<unsigned>(year), 4);
    text[4] = '-';
    put(5, static_cast<unsigned>(date.month()), 2);
    text[7] = '-';
    put(8, static_cast<unsigned>(date.day()), 2);
    text[10] = 'T';
    put(11, static_cast<unsigned>(clock.hours().count()), 2);
    text[13] = ':';
    put(14, static_cast<unsigned>(clock.minutes().count()), 2);
    text[16] = ':';
    put(17, static_cast<unsigned>(clock.seconds().count()), 2);
    std::size_t end = 19;
    if (ms != 0) {
      text[19] = '.';
      put(20, static_cast<unsigned>(ms), 3);
      end = 23;
    }
    for (const char c : std::string_view("+08:00")) text[end++] = c;
    return std::string(text.data(), end);
  }
  std::array<char, 40> buf{};
  int n = 0;
  if (ms != 0) {
    n = std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02uT%02ld:%02ld:%02ld.%03ld+08:00",
                      static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                      static_cast<unsigned>(date.day()), static_cast<long>(clock.hours().count()),
                      static_cast<long>(clock.minutes().count()),
                      static_cast<long>(clock.seconds().count()), static_cast<long>(ms));
  } else {
    n = std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02uT%02ld:%02ld:%02ld+08:00",
                      static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                      static_cast<unsigned>(date.day()), static_cast<long>(clock.hours().count()),
                      static_cast<long>(clock.minutes().count()),
                      static_cast<long>(clock.seconds().count()));
  }
  return std::string(buf.data(), static_cast<std::size_t>(n));
}

std::chrono::year_month_day shanghai_date(instant t) {
  return std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(t + shanghai_offset)};
}

instant end_of_shanghai_day(std::chrono::year_month_day day) {
  using namespace std::chrono;
  return instant{sys_days{day} + days{1} - shanghai_offset - seconds{1}};
}

std::string format_date(std::chrono::year_month_day day) {
  std::array<char, 16> buf{};
  const int n =
      std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02u", static_cast<int>(day.year()),
                    static_cast<unsigned>(day.month()), static_cast<unsigned>(day.day()));
  return std::string(buf.data(), static_cast<std::size_t>(n));
}

}  // namespace xyp
