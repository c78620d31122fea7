#include "adapters/http/query.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <sstream>

namespace xyp::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr std::string_view b64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

}  // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

target_parts split_target(std::string_view target) {
  target_parts out;
  const auto question = target.find('?');
  out.path = std::string(target.substr(0, question));
  if (question == std::string_view::npos) return out;
  std::string_view rest = target.substr(question + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    const auto key = percent_decode(pair.substr(0, eq), true);
    const auto value = percent_decode(
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!key || !value) {
      out.error = "the query string has a bad percent-encoding";
      return out;
    }
    if (out.query.contains(*key)) {
      out.error = *key + ": given more than once";
      return out;
    }
    out.query.emplace(*key, *value);
  }
  return out;
}

query_reader::query_reader(const std::map<std::string, std::string>& query,
                           std::initializer_list<std::string_view> allowed)
    : query_(query) {
  for (const auto& [key, value] : query) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      fail(key, "is not a parameter of this route");
      break;
    }
  }
}

void query_reader::fail(std::string_view key, std::string_view must) {
  if (!error_) error_ = std::string(key) + ": " + std::string(must);
}

std::optional<std::string> query_reader::text(std::string_view key) {
  const auto it = query_.find(std::string(key));
  if (it == query_.end() || error_) return std::nullopt;
  if (it->second.empty()) {
    fail(key, "must not be empty");
    return std::nullopt;
  }
  return it->second;
}

std::size_t query_reader::count(std::string_view key, std::size_t fallback, std::size_t low,
                                std::size_t high) {
  const auto value = text(key);
  if (!value) return fallback;
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
  if (ec != std::errc() || end != value->data() + value->size() || n < low || n > high) {
    fail(key, "must be an integer from " + std::to_string(low) + " to " + std::to_string(high));
    return fallback;
  }
  return n;
}

bool query_reader::flag(std::string_view key) {
  const auto value = text(key);
  if (!value || *value == "false") return false;
  if (*value == "true") return true;
  fail(key, "must be true or false");
  return false;
}

std::optional<std::chrono::year_month_day> query_reader::date(std::string_view key) {
  const auto value = text(key);
  if (!value) return std::nullopt;
  int y = 0;
  unsigned m = 0, d = 0;
  char dash1 = 0, dash2 = 0;
  std::istringstream in(*value);
  in >> y >> dash1 >> m >> dash2 >> d;
  const std::chrono::year_month_day day{std::chrono::year(y), std::chrono::month(m),
                                        std::chrono::day(d)};
  if (value->size() != 10 || !in || !in.eof() || dash1 != '-' || dash2 != '-' || !day.ok()) {
    fail(key, "must be a date such as 2026-11-23");
    return std::nullopt;
  }
  return day;
}

std::string base64url_encode(std::string_view in) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const unsigned char c : in) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += b64_alphabet[(buffer >> bits) & 0x3F];
    }
  }
  if (bits > 0) out += b64_alphabet[(buffer << (6 - bits)) & 0x3F];
  return out;
}

std::optional<std::string> base64url_decode(std::string_view in) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : in) {
    const auto pos = b64_alphabet.find(c);
    if (pos == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  if (bits >= 6) return std::nullopt;  // a length no encoder produces
  return out;
}

std::string encode_cursor(const page_position& p) {
  return base64url_encode(std::to_string(p.applied_ms) + ":" + p.case_id);
}

std::optional<page_position> decode_cursor(std::string_view text) {
  const auto raw = base64url_decode(text);
  if (!raw) return std::nullopt;
  const auto colon = raw->find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == raw->size()) return std::nullopt;
  std::int64_t ms = 0;
  const auto [end, ec] = std::from_chars(raw->data(), raw->data() + colon, ms);
  if (ec != std::errc() || end != raw->data() + colon) return std::nullopt;
  return page_position{ms, raw->substr(colon + 1)};
}

}  // namespace xyp::http
