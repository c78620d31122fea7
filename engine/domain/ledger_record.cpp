#include "engine/domain/ledger_record.hpp"

#include <chrono>

#include "engine/domain/byte_codec.hpp"
#include "engine/domain/stored_words.hpp"

namespace xyp {
namespace {

enum flag : unsigned char {
  has_result = 1,
  has_satisfaction = 2,
  date_as_text = 4,
  matter_is_code = 8,
  matter_code_as_number = 16,  // engine/domain/stored_words; 16 and 32 since 1 December 2026
  department_as_number = 32,
};
constexpr unsigned char all_flags = 63;
// A string longer than this is corrupt input, not a field of a register row.
constexpr std::uint64_t max_string = 1 << 16;
// Days since 1970-01-01 kept as a number: years 1970 to ~2149, which covers every register.
constexpr std::uint64_t max_days = 65'535;

int digits(std::string_view s) {
  int v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

// The day as days since 1970-01-01 when it is a valid yyyy-mm-dd that writes back the same.
std::optional<std::uint64_t> day_number(std::string_view date) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return std::nullopt;
  const int y = digits(date.substr(0, 4)), m = digits(date.substr(5, 2)),
            d = digits(date.substr(8, 2));
  if (y < 1970 || m < 1 || d < 1) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{y},
                                        std::chrono::month{static_cast<unsigned>(m)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  const auto days = std::chrono::sys_days(ymd).time_since_epoch().count();
  if (days < 0 || static_cast<std::uint64_t>(days) > max_days) return std::nullopt;
  return static_cast<std::uint64_t>(days);
}

std::string day_text(std::uint64_t days) {
  const std::chrono::year_month_day ymd{
      std::chrono::sys_days{std::chrono::days{static_cast<std::int64_t>(days)}}};
  char text[11];
  const int y = static_cast<int>(ymd.year());
  const unsigned m = static_cast<unsigned>(ymd.month()), d = static_cast<unsigned>(ymd.day());
  text[0] = static_cast<char>('0' + y / 1000);
  text[1] = static_cast<char>('0' + y / 100 % 10);
  text[2] = static_cast<char>('0' + y / 10 % 10);
  text[3] = static_cast<char>('0' + y % 10);
  text[4] = '-';
  text[5] = static_cast<char>('0' + m / 10);
  text[6] = static_cast<char>('0' + m % 10);
  text[7] = '-';
  text[8] = static_cast<char>('0' + d / 10);
  text[9] = static_cast<char>('0' + d % 10);
  text[10] = '\0';
  return std::string(text, 10);
}

struct ledger_form {
  using error = ledger_codec_error;
  static constexpr std::string_view what = "stored ledger row";
};
using reader = byte_reader<ledger_form>;

// A length-prefixed field.
std::string text(reader& in) {
  const auto n = in.varint();
  if (n > max_string) reader::fail("a field too long");
  return std::string(in.bytes(n));
}

// A word of a stored_words list by its number.
std::string word(reader& in, const word_list& words) {
  const auto i = in.varint();
  if (i >= words.size()) reader::fail("an unknown word");
  return words[static_cast<std::size_t>(i)];
}

}  // namespace

std::string encode_ledger(const ledger_record& r) {
  const auto day = day_number(r.date);
  unsigned char flags = 0;
  if (r.result) flags |= has_result;
  if (r.satisfaction) flags |= has_satisfaction;
  if (!day) flags |= date_as_text;
  if (r.matter == r.matter_code) flags |= matter_is_code;
  const auto matter_code = matter_code_words().find(r.matter_code);
  const auto department = department_words().find(r.department);
  if (matter_code) flags |= matter_code_as_number;
  if (department) flags |= department_as_number;
  std::string out;
  out.reserve(128);
  out.push_back(static_cast<char>(ledger_codec_version));
  out.push_back(static_cast<char>(flags));
  if (day) {
    put_varint(out, *day);
  } else {
    put_string(out, r.date);
  }
  put_string(out, r.case_id);
  put_string(out, r.name);
  put_string(out, r.credit_level);
  put_string(out, r.contact);
  if (!(flags & matter_is_code)) put_string(out, r.matter);
  if (matter_code) {
    put_varint(out, *matter_code);
  } else {
    put_string(out, r.matter_code);
  }
  if (department) {
    put_varint(out, *department);
  } else {
    put_string(out, r.department);
  }
  if (r.result) put_string(out, *r.result);
  if (r.satisfaction) put_string(out, *r.satisfaction);
  return out;
}

ledger_record decode_ledger(std::string_view bytes) {
  reader in(bytes);
  const auto version = in.byte();
  if (version != ledger_codec_version) reader::fail("unknown version " + std::to_string(version));
  const auto flags = in.byte();
  if (flags & ~all_flags) reader::fail("unknown flags");
  ledger_record r;
  if (flags & date_as_text) {
    r.date = text(in);
  } else {
    const auto days = in.varint();
    if (days > max_days) reader::fail("a day out of range");
    r.date = day_text(days);
  }
  r.case_id = text(in);
  r.name = text(in);
  r.credit_level = text(in);
  r.contact = text(in);
  if (!(flags & matter_is_code)) r.matter = text(in);
  r.matter_code = (flags & matter_code_as_number) ? word(in, matter_code_words()) : text(in);
  if (flags & matter_is_code) r.matter = r.matter_code;
  r.department = (flags & department_as_number) ? word(in, department_words()) : text(in);
  if (flags & has_result) r.result = text(in);
  if (flags & has_satisfaction) r.satisfaction = text(in);
  if (!in.done()) reader::fail("bytes after the row");
  return r;
}

}  // namespace xyp
