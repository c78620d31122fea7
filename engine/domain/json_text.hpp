#pragma once
// JSON text of one value, written once and carried as it is: what an outbound event holds as its
// data, so that the hot path neither builds nor dumps a DOM (issue 7). The store copies the text
// into the envelope verbatim; a reader off the hot path (tests, tools) parses it when it wants a
// DOM.
#include <string>
#include <utility>

#include <nlohmann/json_fwd.hpp>

namespace xyp {

class json_text {
 public:
  json_text() = default;  // null, as a default nlohmann::json dumps
  // Takes text that is one JSON value as nlohmann/json's dump() writes it: the writer's promise,
  // not checked here.
  explicit json_text(std::string text) : text_(std::move(text)) {}
  // A DOM as its dump() writes it (bytes that are not UTF-8 become U+FFFD), for callers off the
  // hot path: tests, tools.
  static json_text of(const nlohmann::json& dom);

  const std::string& str() const { return text_; }
  // The text parsed: for readers off the hot path. Throws nlohmann::json::parse_error.
  nlohmann::json parsed() const;

  friend bool operator==(const json_text&, const json_text&) = default;

 private:
  std::string text_ = "null";
};

}  // namespace xyp
