#pragma once
// A JSON writer that appends to one std::string: no DOM, no allocation beyond the buffer's
// growth. The caller writes keys in the order it wants them (nlohmann/json's dump sorts an
// object's keys; a writer meant to give the same text must write them sorted). Strings are
// escaped as nlohmann/json's dump escapes them; bytes that are not UTF-8 become U+FFFD.
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

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

struct outbound_event;

// Appends the outbound envelope as one line of JSON, the text to_json(e).dump() gives (keys in
// the same sorted order), without building its head as a DOM. Its data is still a DOM.
void append_outbound(std::string& out, const outbound_event& e);

}  // namespace xyp
