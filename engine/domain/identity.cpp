#include "engine/domain/identity.hpp"

#include <array>
#include <chrono>
#include <cstddef>

namespace xyp {
namespace {

constexpr std::size_t id_length = 18;
constexpr std::size_t body_length = 17;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// 2^(17-i) mod 11 for position i, as GB 11643 derives them.
constexpr std::array<int, body_length> resident_weights{7, 9, 10, 5,  8, 4, 2, 1, 6,
                                                        3, 7, 9,  10, 5, 8, 4, 2};
// Indexed by the weighted sum mod 11: (12 - sum mod 11) mod 11, with 10 written X.
constexpr std::string_view resident_check_chars = "10X98765432";

// GB 32100's code alphabet: the digits and the capitals without I, O, Z, S, V.
constexpr std::string_view credit_code_alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
// 3^i mod 31 for position i.
constexpr std::array<int, body_length> credit_code_weights{1,  3,  9,  27, 19, 26, 16, 17, 20,
                                                           29, 25, 13, 8,  24, 10, 30, 28};

int digits_value(std::string_view text) {
  int value = 0;
  for (const char c : text) value = value * 10 + (c - '0');
  return value;
}

}  // namespace

char resident_id_check_char(std::string_view first17) {
  if (first17.size() < body_length) return '\0';
  int sum = 0;
  for (std::size_t i = 0; i < body_length; ++i) {
    if (!is_digit(first17[i])) return '\0';
    sum += (first17[i] - '0') * resident_weights[i];
  }
  return resident_check_chars[static_cast<std::size_t>(sum % 11)];
}

char social_credit_check_char(std::string_view first17) {
  if (first17.size() < body_length) return '\0';
  int sum = 0;
  for (std::size_t i = 0; i < body_length; ++i) {
    const auto value = credit_code_alphabet.find(first17[i]);
    if (value == std::string_view::npos) return '\0';
    sum += static_cast<int>(value) * credit_code_weights[i];
  }
  const int check = (31 - sum % 31) % 31;
  return credit_code_alphabet[static_cast<std::size_t>(check)];
}

bool valid_resident_id(std::string_view id) {
  if (id.size() != id_length) return false;
  const char check = resident_id_check_char(id);
  if (check == '\0' || id[body_length] != check) return false;
  using namespace std::chrono;
  const year_month_day birth{year{digits_value(id.substr(6, 4))},
                             month{static_cast<unsigned>(digits_value(id.substr(10, 2)))},
                             day{static_cast<unsigned>(digits_value(id.substr(12, 2)))}};
  return birth.ok();
}

bool valid_social_credit_code(std::string_view code) {
  if (code.size() != id_length) return false;
  for (std::size_t i = 2; i < 8; ++i) {
    if (!is_digit(code[i])) return false;
  }
  const char check = social_credit_check_char(code);
  return check != '\0' && code[body_length] == check;
}

bool valid_applicant_id(std::string_view id) {
  return valid_resident_id(id) || valid_social_credit_code(id);
}

}  // namespace xyp
