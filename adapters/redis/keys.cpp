#include "adapters/redis/keys.hpp"

#include <zlib.h>

#include <cstdio>

#include "engine/case_record.hpp"

namespace xyp::redis {

std::uint32_t case_bucket(std::string_view case_id) {
  const auto crc =
      crc32(0L, reinterpret_cast<const Bytef*>(case_id.data()), static_cast<uInt>(case_id.size()));
  return static_cast<std::uint32_t>(crc % case_buckets);
}

std::uint32_t applicant_bucket(std::string_view applicant_id) {
  std::uint64_t h = 14695981039346656037ULL;  // FNV-1a, 64 bits
  for (const char c : applicant_id) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return static_cast<std::uint32_t>(h % applicant_buckets);
}

std::string keys_starting_with(std::string_view literal) {
  std::string pattern;
  pattern.reserve(literal.size() + 1);
  for (const char c : literal) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') pattern += '\\';
    pattern += c;
  }
  pattern += '*';
  return pattern;
}

std::string timer_member(std::string_view timer_id, std::string_view applicant_id) {
  std::string member;
  member.reserve(timer_id.size() + 1 + applicant_id.size());
  const auto slash = timer_id.rfind('/');
  const auto kind =
      slash == std::string_view::npos ? std::nullopt : clock_kind_from(timer_id.substr(slash + 1));
  if (kind) {
    member.append(timer_id.substr(0, slash + 1))
        .push_back(static_cast<char>('0' + static_cast<int>(*kind)));
  } else {
    member.append(timer_id);
  }
  member.append("|").append(applicant_id);
  return member;
}

std::optional<std::string> legacy_timer_member(std::string_view member) {
  const auto bar = member.rfind('|');
  if (bar == std::string_view::npos || bar < 2 || member[bar - 2] != '/') return std::nullopt;
  const char digit = member[bar - 1];
  if (digit < '0' || digit > '0' + static_cast<int>(clock_kind::verification)) return std::nullopt;
  std::string legacy;
  legacy.reserve(member.size() + 16);
  legacy.append(member.substr(0, bar - 1))
      .append(to_string(static_cast<clock_kind>(digit - '0')))
      .append(member.substr(bar));
  return legacy;
}

std::string partition_keys::applied_day(std::chrono::sys_days day) const {
  const std::chrono::year_month_day date(day);
  char digits[16];
  std::snprintf(digits, sizeof digits, "%04d%02u%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return base_ + "applied:" + digits;
}

}  // namespace xyp::redis
