#include "engine/domain/json_writer.hpp"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>

#include "engine/domain/outbound.hpp"
#include "engine/domain/time.hpp"

namespace xyp {
namespace {

// The UTF-8 sequence starting at s[i] (RFC 3629: no overlongs, no surrogates, nothing beyond
// U+10FFFF): its length when it is well formed, else the length of its ill-formed start (the lead
// and the continuations that fit, at least 1), which becomes one U+FFFD, as nlohmann/json's dump
// with error_handler_t::replace does; the byte that broke the sequence is read again.
struct utf8_scan {
  std::size_t length;
  bool well_formed;
};

utf8_scan utf8_sequence(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  const std::size_t left = s.size() - i;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the first continuation
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return {1, false};
  }
  for (std::size_t k = 1; k < length; ++k) {
    if (k >= left || byte(i + k) < low || byte(i + k) > high) return {k, false};
    low = 0x80;
    high = 0xBF;
  }
  return {length, true};
}

// Whether any of the eight bytes of w needs more than copying: a control character, '"', '\\'
// or a byte of a multi-byte sequence (checked for UTF-8 one by one). Exact as a yes or no: the
// word tricks for "has a zero byte" and "has a byte below n" may misplace which byte, never
// whether there is one (a byte of 0x80 or more, which would upset the second, is caught first).
bool needs_escape_check(std::uint64_t w) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  auto has_zero = [](std::uint64_t x) { return (x - ones) & ~x & highs; };
  const std::uint64_t below_space = (w - ones * 0x20) & ~w & highs;
  return ((w & highs) | below_space | has_zero(w ^ (ones * '"')) | has_zero(w ^ (ones * '\\'))) !=
         0;
}

// Where the first eight bytes holding one that needs more than copying start: text.size() when
// none does. The last few bytes are padded with spaces, which need nothing.
std::size_t first_to_check(std::string_view text) {
  std::size_t i = 0;
  std::uint64_t w = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::memcpy(&w, text.data() + i, 8);
    if (needs_escape_check(w)) return i;
  }
  if (i == text.size()) return i;
  w = 0x2020202020202020ULL;
  std::memcpy(&w, text.data() + i, text.size() - i);
  return needs_escape_check(w) ? i : text.size();
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  // Ids, codes, keys and times need no escaping: copied whole, without the byte-by-byte walk of
  // their last bytes below (which was ~190 instructions a string on the engine's path).
  std::size_t i = first_to_check(text);
  if (i == text.size()) {
    out.reserve(out.size() + text.size() + 2);
    out.push_back('"');
    out.append(text);
    out.push_back('"');
    return;
  }
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;  // start of the bytes not yet copied
  auto flush = [&] { out.append(text.data() + run, i - run); };
  while (i < text.size()) {
    // Plain ASCII eight bytes at a time: ids, codes and keys are nearly all of it.
    for (std::uint64_t w = 0; i + 8 <= text.size(); i += 8) {
      std::memcpy(&w, text.data() + i, 8);
      if (needs_escape_check(w)) break;
    }
    if (i >= text.size()) break;
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const auto sequence = utf8_sequence(text, i);
      if (sequence.well_formed) {
        i += sequence.length;
        continue;
      }
      flush();
      out.append("\xEF\xBF\xBD");  // U+FFFD for bytes that are not UTF-8
      i += sequence.length;
      run = i;
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

json_writer& json_writer::value(const json_text& text) {
  separate();
  out_.append(text.str());
  return *this;
}

bool json_members::contains(std::string_view key) const {
  for (std::size_t i = 0; i < size_; ++i) {
    if (members_[i].key == key) return true;
  }
  return false;
}

json_members& json_members::put(std::string_view key, value v) {
  for (std::size_t i = 0; i < size_; ++i) {
    if (members_[i].key == key) {
      members_[i].v = std::move(v);
      return *this;
    }
  }
  assert(size_ < capacity && "an outbound object has at most 16 members");
  members_[size_++] = member{key, std::move(v)};
  return *this;
}

void json_members::write(json_writer& w) const {
  std::array<const member*, capacity> sorted;
  for (std::size_t i = 0; i < size_; ++i) sorted[i] = &members_[i];
  std::sort(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(size_),
            [](const member* a, const member* b) { return a->key < b->key; });
  auto write_value = [&w](const auto& v) {
    using T = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<T, std::nullptr_t>) {
      w.null();
    } else if constexpr (std::is_same_v<T, const std::vector<std::string>*>) {
      w.begin_array();
      for (const auto& item : *v) w.value(item);
      w.end_array();
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      w.begin_array();
      for (const auto& item : v) w.value(item);
      w.end_array();
    } else {
      w.value(v);
    }
  };
  w.begin_object();
  for (std::size_t i = 0; i < size_; ++i) {
    w.key(sorted[i]->key);
    std::visit(write_value, sorted[i]->v);
  }
  w.end_object();
}

json_text json_members::text() const {
  std::string out;
  out.reserve(256);  // most outbound objects fit: one allocation
  json_writer w{out};
  write(w);
  return json_text(std::move(out));
}

void append_outbound(std::string& out, const outbound_event& e) {
  // Room for the whole line at once: the keys, quotes and time take under 128 bytes, and a line
  // grown from empty would be copied five or six times on its way to ~400 bytes.
  out.reserve(out.size() + 128 + e.applicant_id.size() + e.case_id.size() + e.cause.size() +
              e.data.str().size() + e.id.size() + e.type.size());
  // The keys are fixed and need no escaping: written as they are, with their punctuation.
  out.append(R"({"applicant_id":)");
  append_json_string(out, e.applicant_id);
  out.append(R"(,"at":)");
  append_json_string(out, format_rfc3339(e.at));
  out.append(R"(,"case_id":)");
  append_json_string(out, e.case_id);
  out.append(R"(,"cause":)");
  append_json_string(out, e.cause);
  out.append(R"(,"data":)");
  out.append(e.data.str());
  out.append(R"(,"id":)");
  append_json_string(out, e.id);
  out.append(R"(,"type":)");
  append_json_string(out, e.type);
  out.push_back('}');
}

}  // namespace xyp
