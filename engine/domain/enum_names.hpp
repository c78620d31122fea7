#pragma once
// The one way an enum gets its names: beside the enum, one constexpr table of its enumerators and
// their names, in declaration order,
//
//   template <>
//   inline constexpr std::array<enum_name<rating>, 5> enum_names<rating>{{
//       {rating::very_satisfied, "very_satisfied"}, ...}};
//
// and everything else generated from it: to_string(value), from_name<E>(text), enum_count<E>, and
// the list of the names for an error message. The order is checked at compile time, so to_string
// is an index and a table cannot drop or swap an enumerator silently.
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace xyp {

template <class E>
struct enum_name {
  E value;
  std::string_view text;
};

// Specialised for every named enum, beside its declaration.
template <class E>
inline constexpr std::array<enum_name<E>, 0> enum_names{};

template <class E>
concept named_enum = std::is_enum_v<E> &&(enum_names<E>.size() > 0);

namespace detail {
template <class E>
consteval bool in_declaration_order() {
  for (std::size_t i = 0; i < enum_names<E>.size(); ++i) {
    if (static_cast<std::size_t>(enum_names<E>[i].value) != i) return false;
    if (enum_names<E>[i].text.empty()) return false;
  }
  return true;
}
}  // namespace detail

// How many values E has: a stored number at or beyond it is corrupt.
template <named_enum E>
inline constexpr std::size_t enum_count = enum_names<E>.size();

template <named_enum E>
constexpr std::string_view to_string(E value) {
  static_assert(detail::in_declaration_order<E>(),
                "an enum_names table lists every enumerator once, in declaration order");
  const auto i = static_cast<std::size_t>(value);
  return i < enum_names<E>.size() ? enum_names<E>[i].text : std::string_view{};
}

template <named_enum E>
constexpr std::optional<E> from_name(std::string_view text) {
  for (const auto& name : enum_names<E>) {
    if (name.text == text) return name.value;
  }
  return std::nullopt;
}

// "a, b, c": the accepted names, for a sentence that says what was expected.
template <named_enum E>
std::string names_list(std::string_view separator = ", ") {
  std::string list;
  for (const auto& name : enum_names<E>) {
    if (!list.empty()) list += separator;
    list += name.text;
  }
  return list;
}

}  // namespace xyp
