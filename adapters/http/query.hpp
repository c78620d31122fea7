#pragma once
// What a request's target says: the path, the query parameters read and checked one by one, and
// the listing cursors handed out in them. Text in, values or the first problem out; nothing here
// knows a route.
#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/http/ports.hpp"

namespace xyp::http {

// %XX sequences decoded (and '+' as a space in a query); nothing for a bad sequence.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

struct target_parts {
  std::string path;  // still percent-encoded; segments are decoded where they are read
  std::map<std::string, std::string> query;
  std::string error;  // the query string's first problem, when it has one
};
target_parts split_target(std::string_view target);

// Reads query parameters; the first problem is kept and later reads do nothing, so a handler
// reads every parameter and then looks once (as event.cpp's field_reader does).
class query_reader {
 public:
  // A parameter not in `allowed` is the first problem.
  query_reader(const std::map<std::string, std::string>& query,
               std::initializer_list<std::string_view> allowed);

  const std::optional<std::string>& error() const { return error_; }
  void fail(std::string_view key, std::string_view must);

  // Absent: nothing. Present and empty: a problem.
  std::optional<std::string> text(std::string_view key);
  // An integer from low to high; fallback when absent.
  std::size_t count(std::string_view key, std::size_t fallback, std::size_t low, std::size_t high);
  // true or false; false when absent.
  bool flag(std::string_view key);
  // yyyy-mm-dd.
  std::optional<std::chrono::year_month_day> date(std::string_view key);

 private:
  const std::map<std::string, std::string>& query_;
  std::optional<std::string> error_;
};

// Base64url without padding.
std::string base64url_encode(std::string_view in);
std::optional<std::string> base64url_decode(std::string_view in);

// Opaque listing cursors: base64url of "<applied ms>:<case id>".
std::string encode_cursor(const page_position& p);
std::optional<page_position> decode_cursor(std::string_view text);

}  // namespace xyp::http
