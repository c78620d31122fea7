#pragma once
// A JSON writer that appends to one std::string: no DOM, no allocation beyond the buffer's
// growth. The caller writes keys in the order it wants them (nlohmann/json's dump sorts an
// object's keys; a writer meant to give the same text must write them sorted). Strings are
// escaped as nlohmann/json's dump escapes them; bytes that are not UTF-8 become U+FFFD.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/domain/json_text.hpp"

namespace xyp {

class json_writer {
 public:
  explicit json_writer(std::string& out) : out_(out) {}

  json_writer& begin_object();
  json_writer& end_object();
  json_writer& begin_array();
  json_writer& end_array();
  json_writer& key(std::string_view name);

  json_writer& value(std::string_view text);
  json_writer& value(const char* text) { return value(std::string_view(text)); }
  json_writer& value(const std::string& text) { return value(std::string_view(text)); }
  json_writer& value(bool flag);
  json_writer& value(std::int64_t number);
  json_writer& value(std::uint64_t number);
  json_writer& value(int number) { return value(static_cast<std::int64_t>(number)); }
  json_writer& value(std::uint32_t number) { return value(static_cast<std::uint64_t>(number)); }
  json_writer& null();
  // A value held in a DOM, written as its dump() writes it.
  json_writer& value(const nlohmann::json& dom);
  // A value already written: its text, verbatim.
  json_writer& value(const json_text& text);

  // key(name).value(v)
  template <class T>
  json_writer& field(std::string_view name, const T& v) {
    return key(name).value(v);
  }

 private:
  void separate();

  std::string& out_;
  // One bit per open container, innermost lowest: set once the container holds a member.
  std::uint64_t nonempty_ = 0;
  bool after_key_ = false;
};

// Appends text to out as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view text);

// The members of one JSON object, set in any order and written sorted by key, as nlohmann/json's
// dump writes an object (its std::map order, bytewise): a builder sets members in the order the
// policy reads them and still writes the text a DOM gave. Setting a key again replaces its value,
// as json[key] = v did. Keys are string literals; strings and lists given as lvalues are held by
// reference, so write the members before those change. At most 16 members, no allocation but the
// values the builder hands over.
class json_members {
 public:
  json_members& set(std::string_view key, std::nullptr_t) { return put(key, nullptr); }
  json_members& set(std::string_view key, bool flag) { return put(key, flag); }
  json_members& set(std::string_view key, int number) { return put(key, std::int64_t{number}); }
  json_members& set(std::string_view key, std::int64_t number) { return put(key, number); }
  json_members& set(std::string_view key, std::uint32_t number) {
    return put(key, std::uint64_t{number});
  }
  json_members& set(std::string_view key, std::uint64_t number) { return put(key, number); }
  json_members& set(std::string_view key, const char* text) {
    return put(key, std::string_view(text));
  }
  json_members& set(std::string_view key, std::string_view text) { return put(key, text); }
  json_members& set(std::string_view key, const std::string& text) {
    return put(key, std::string_view(text));
  }
  json_members& set(std::string_view key, std::string&& text) { return put(key, std::move(text)); }
  json_members& set(std::string_view key, const std::vector<std::string>& items) {
    return put(key, &items);
  }
  json_members& set(std::string_view key, std::vector<std::string>&& items) {
    return put(key, std::move(items));
  }

  bool contains(std::string_view key) const;

  // Writes the object as the writer's next value.
  void write(json_writer& w) const;
  // The object alone, as text.
  json_text text() const;

 private:
  using value =
      std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, std::string_view, std::string,
                   const std::vector<std::string>*, std::vector<std::string>>;
  struct member {
    std::string_view key;
    value v;
  };
  static constexpr std::size_t capacity = 16;

  json_members& put(std::string_view key, value v);

  std::array<member, capacity> members_{};
  std::size_t size_ = 0;
};

struct outbound_event;

// Appends the outbound envelope as one line of JSON, the text to_json(e).dump() gives (keys in
// the same sorted order), without a DOM: its data is copied in as the builder wrote it.
void append_outbound(std::string& out, const outbound_event& e);

}  // namespace xyp
