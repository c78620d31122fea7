#pragma once
// CSV as the back office's exports write it: RFC 4180 cells, a UTF-8 byte order mark so that a
// spreadsheet reads the Chinese headers, CRLF line ends.
#include <string>
#include <string_view>

namespace xyp::http {

inline constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

// One CSV cell (RFC 4180). A cell a spreadsheet would read as a formula (starting with =, +, -,
// @, tab or CR) gets a leading quote mark.
inline std::string csv_cell(std::string_view text) {
  std::string value(text);
  if (!value.empty()) {
    const char first = value.front();
    // Every such cell, a leading sign before a digit included: "-2+3+cmd|..." is a formula too.
    if (first == '=' || first == '+' || first == '-' || first == '@' || first == '\t' ||
        first == '\r') {
      value.insert(value.begin(), '\'');
    }
  }
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace xyp::http
