#include "engine/json_writer.hpp"

#include <cassert>
#include <charconv>
#include <nlohmann/json.hpp>

#include "engine/commit_unit.hpp"
#include "engine/time.hpp"

namespace xyp {
namespace {

// The length of the well-formed UTF-8 sequence starting at s[i] (RFC 3629: no overlongs, no
// surrogates, nothing beyond U+10FFFF), or 0 when it is not one.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  const std::size_t left = s.size() - i;
  auto continuation = [&](std::size_t k, unsigned char low = 0x80, unsigned char high = 0xBF) {
    return k < left && byte(i + k) >= low && byte(i + k) <= high;
  };
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    const unsigned char low = lead == 0xE0 ? 0xA0 : 0x80;
    const unsigned char high = lead == 0xED ? 0x9F : 0xBF;
    return continuation(1, low, high) && continuation(2) ? 3 : 0;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    const unsigned char low = lead == 0xF0 ? 0x90 : 0x80;
    const unsigned char high = lead == 0xF4 ? 0x8F : 0xBF;
    return continuation(1, low, high) && continuation(2) && continuation(3) ? 4 : 0;
  }
  return 0;
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;  // start of the bytes not yet copied
  std::size_t i = 0;
  auto flush = [&] { out.append(text.data() + run, i - run); };
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const std::size_t n = utf8_sequence(text, i);
      if (n != 0) {
        i += n;
        continue;
      }
      flush();
      out.append("\xEF\xBF\xBD");  // U+FFFD for a byte that is not UTF-8
      run = ++i;
      continue;
    }
    flush();
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default: {
        const char escaped[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
        out.append(escaped, sizeof escaped);
      }
    }
    run = ++i;
  }
  flush();
  out.push_back('"');
}

void json_writer::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (nonempty_ & 1u) out_.push_back(',');
  nonempty_ |= 1u;
}

json_writer& json_writer::begin_object() {
  separate();
  out_.push_back('{');
  assert((nonempty_ >> 63) == 0 && "at most 63 levels of nesting");
  nonempty_ <<= 1;
  return *this;
}

json_writer& json_writer::end_object() {
  out_.push_back('}');
  nonempty_ >>= 1;
  return *this;
}

json_writer& json_writer::begin_array() {
  separate();
  out_.push_back('[');
  assert((nonempty_ >> 63) == 0 && "at most 63 levels of nesting");
  nonempty_ <<= 1;
  return *this;
}

json_writer& json_writer::end_array() {
  out_.push_back(']');
  nonempty_ >>= 1;
  return *this;
}

json_writer& json_writer::key(std::string_view name) {
  separate();
  append_json_string(out_, name);
  out_.push_back(':');
  after_key_ = true;
  return *this;
}

json_writer& json_writer::value(std::string_view text) {
  separate();
  append_json_string(out_, text);
  return *this;
}

json_writer& json_writer::value(bool flag) {
  separate();
  out_.append(flag ? "true" : "false");
  return *this;
}

json_writer& json_writer::value(std::int64_t number) {
  separate();
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, number).ptr;
  out_.append(digits, end);
  return *this;
}

json_writer& json_writer::value(std::uint64_t number) {
  separate();
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, number).ptr;
  out_.append(digits, end);
  return *this;
}

json_writer& json_writer::null() {
  separate();
  out_.append("null");
  return *this;
}

json_writer& json_writer::value(const nlohmann::json& dom) {
  separate();
  out_.append(dom.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  return *this;
}

void append_outbound(std::string& out, const outbound_event& e) {
  json_writer w{out};
  w.begin_object()
      .field("applicant_id", e.applicant_id)
      .field("at", format_rfc3339(e.at))
      .field("case_id", e.case_id)
      .field("cause", e.cause)
      .field("data", e.data)
      .field("id", e.id)
      .field("type", e.type)
      .end_object();
}

}  // namespace xyp
