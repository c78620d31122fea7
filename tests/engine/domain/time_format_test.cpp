// format_rfc3339 writes its digits by hand; printf's formatting is the oracle here.
#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <random>
#include <string>

#include "engine/domain/time.hpp"

namespace {

using namespace xyp;
using namespace std::chrono;

std::string printf_rfc3339(instant t) {
  const auto local = t + shanghai_offset;
  const auto days = floor<std::chrono::days>(local);
  const year_month_day date{days};
  const hh_mm_ss clock{local - days};
  const auto ms = clock.subseconds().count();
  std::array<char, 48> buf{};
  const int n =
      ms != 0 ? std::snprintf(
                    buf.data(), buf.size(), "%04d-%02u-%02uT%02ld:%02ld:%02ld.%03ld+08:00",
                    static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                    static_cast<unsigned>(date.day()), static_cast<long>(clock.hours().count()),
                    static_cast<long>(clock.minutes().count()),
                    static_cast<long>(clock.seconds().count()), static_cast<long>(ms))
              : std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02uT%02ld:%02ld:%02ld+08:00",
                              static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                              static_cast<unsigned>(date.day()),
                              static_cast<long>(clock.hours().count()),
                              static_cast<long>(clock.minutes().count()),
                              static_cast<long>(clock.seconds().count()));
  return std::string(buf.data(), static_cast<std::size_t>(n));
}

TEST_CASE("Instants from year 0 to 9999 are written as printf would write them", "[time-format]") {
  std::mt19937_64 random(20261130);              // fixed seed
  const std::int64_t first = -62167219200000LL;  // 0000-01-01T00:00:00Z
  const std::int64_t last = 253402300799999LL;   // 9999-12-31T23:59:59.999Z
  for (int i = 0; i < 20000; ++i) {
    std::int64_t ms =
        first + static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(last - first));
    if (i % 2 == 0) ms -= ((ms % 1000) + 1000) % 1000;  // whole seconds half of the time
    const instant t{milliseconds{ms}};
    INFO(ms);
    CHECK(format_rfc3339(t) == printf_rfc3339(t));
  }
  for (const std::int64_t ms :
       {first, first + 1, last, last - 999, std::int64_t{0}, std::int64_t{1}}) {
    CHECK(format_rfc3339(instant{milliseconds{ms}}) == printf_rfc3339(instant{milliseconds{ms}}));
  }
}

TEST_CASE("Instants beyond four-digit years are still written as printf writes them",
          "[time-format]") {
  for (const std::int64_t ms :
       {-62167219200000LL - 86400000LL * 400, 253402300799999LL + 86400000LL * 400}) {
    CHECK(format_rfc3339(instant{milliseconds{ms}}) == printf_rfc3339(instant{milliseconds{ms}}));
  }
}

}  // namespace
