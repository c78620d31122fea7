#pragma once
// Instants on the UTC time line, and their RFC 3339 text as the contract writes it.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace xyp {

using instant = std::chrono::sys_time<std::chrono::milliseconds>;

// China Standard Time, the zone in which working days and the contract's outbound times are read.
inline constexpr std::chrono::minutes shanghai_offset{8 * 60};

// Parses "2026-11-23T09:30:00+08:00" (fractional seconds allowed, 'Z' or a numeric offset
// required). Returns nothing for text that is not a valid RFC 3339 date-time with an offset.
std::optional<instant> parse_rfc3339(std::string_view text);

// Formats in +08:00 with second precision, or millisecond precision when the instant has any.
std::string format_rfc3339(instant t);

// The calendar date of t as seen in Asia/Shanghai.
std::chrono::year_month_day shanghai_date(instant t);

// The last second of the given Shanghai calendar date: 23:59:59+08:00.
instant end_of_shanghai_day(std::chrono::year_month_day day);

// "2026-11-23" for the Shanghai date of t.
std::string format_date(std::chrono::year_month_day day);

}  // namespace xyp
