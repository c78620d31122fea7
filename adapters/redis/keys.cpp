#include "adapters/redis/keys.hpp"

#include <zlib.h>

#include <cstdio>

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

std::string partition_keys::applied_day(std::chrono::sys_days day) const {
  const std::chrono::year_month_day date(day);
  char digits[16];
  std::snprintf(digits, sizeof digits, "%04d%02u%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return base_ + "applied:" + digits;
}

}  // namespace xyp::redis
