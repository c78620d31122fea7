#pragma once
// The one reader of the engine's JSON configuration (policy profiles, calendar years): a field of a
// type read from a DOM, or a config_error "<source>: <path>: <what is wrong>" whose path names the
// field as a person would look for it (matters[3].deferrable[0]).
//
// The inbound envelope is not read here: it is the hot path, read by simdjson through its own
// field_reader in event.cpp, and its complaints are dead letters with contract codes, not
// exceptions.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/domain/config_error.hpp"
#include "engine/domain/enum_names.hpp"

namespace xyp {

class json_reader {
 public:
  using json = nlohmann::json;

  explicit json_reader(std::string source) : source_(std::move(source)) {}
  const std::string& source() const { return source_; }

  // "<source>: <path>: <what>".
  [[noreturn]] void fail(const std::string& path, const std::string& what) const;

  // Parses text, refusing a key given twice in one object (nlohmann would keep the last one
  // silently); a syntax error is "<source>: not JSON: <where>".
  json parse(const std::string& text) const;

  // Paths: "a.b", "a[3]"; the top level is "".
  static std::string child(const std::string& path, std::string_view key);
  static std::string element(const std::string& path, std::size_t index);
  // "an array", "a string", "12": what a value is, for "must be X, not <that>".
  static std::string describe(const json& value);

  void object(const json& value, const std::string& path) const;
  const json& array(const json& value, const std::string& path) const;
  // Every key of `object` is one of `keys`, or "<path.key>: unknown key (known here: ...)".
  void known_keys(const json& object, const std::string& path,
                  std::initializer_list<std::string_view> keys) const;
  // object[key], or "<path.key>: missing".
  const json& member(const json& object, const std::string& path, std::string_view key) const;

  // A non-empty string.
  std::string text(const json& value, const std::string& path) const;
  bool flag(const json& value, const std::string& path) const;
  std::int64_t integer(const json& value, const std::string& path) const;

  // One of E's names (engine/domain/enum_names.hpp): "'x' is not <what> (a, b, c)".
  template <named_enum E>
  E name_of(const json& value, const std::string& path, std::string_view what) const {
    const auto name = text(value, path);
    const auto chosen = from_name<E>(name);
    if (!chosen)
      fail(path, "'" + name + "' is not " + std::string(what) + " (" + names_list<E>() + ")");
    return *chosen;
  }

 private:
  std::string source_;
};

}  // namespace xyp
