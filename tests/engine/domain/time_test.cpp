#include "engine/domain/time.hpp"

#include <catch2/catch.hpp>

using namespace xyp;

TEST_CASE("an RFC 3339 time with an offset reads as the same instant in any offset") {
  const auto a = parse_rfc3339("2026-11-23T09:30:00+08:00");
  const auto b = parse_rfc3339("2026-11-23T01:30:00Z");
  const auto c = parse_rfc3339("2026-11-22T20:30:00-05:00");
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(*a == *b);
  CHECK(*a == *c);
  CHECK(format_rfc3339(*c) == "2026-11-23T09:30:00+08:00");
}

TEST_CASE("a time without an offset or with an impossible date is refused") {
  CHECK_FALSE(parse_rfc3339("2026-11-23T09:30:00"));
  CHECK_FALSE(parse_rfc3339("2026-02-30T09:30:00+08:00"));
  CHECK_FALSE(parse_rfc3339("2026-11-23 09:30"));
  CHECK_FALSE(parse_rfc3339("2026-11-23T24:00:00+08:00"));
  CHECK_FALSE(parse_rfc3339("2026-11-23T09:30:00+08:00junk"));
  CHECK_FALSE(parse_rfc3339(""));
}

TEST_CASE("fractional seconds survive formatting") {
  const auto t = parse_rfc3339("2026-11-23T09:30:00.250+08:00");
  REQUIRE(t);
  CHECK(format_rfc3339(*t) == "2026-11-23T09:30:00.250+08:00");
}

TEST_CASE("the Shanghai date of a UTC evening is the next day") {
  const auto t = parse_rfc3339("2026-11-22T17:00:00Z");
  REQUIRE(t);
  CHECK(format_date(shanghai_date(*t)) == "2026-11-23");
  CHECK(format_rfc3339(end_of_shanghai_day(shanghai_date(*t))) == "2026-11-23T23:59:59+08:00");
}
