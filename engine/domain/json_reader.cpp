#include "engine/domain/json_reader.hpp"

#include <algorithm>
#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <vector>

namespace xyp {
namespace {

using json = nlohmann::json;

// nlohmann keeps the last of two equal keys without a word; a profile with two "clocks" or two
// "deferrable" is a mistake to report, so the parse watches keys and remembers the first repeat.
class repeated_key_watch {
 public:
  bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        count_element();
        frames_.push_back({event == json::parse_event_t::object_start, {}, {}, 0});
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!frames_.empty()) frames_.pop_back();
        break;
      case json::parse_event_t::key: {
        auto& top = frames_.back();
        top.key = parsed.get<std::string>();
        if (!top.keys.insert(top.key).second && !first_repeat_) first_repeat_ = path_to_key();
        break;
      }
      case json::parse_event_t::value:
        count_element();
        break;
    }
    return true;
  }

  const std::optional<std::string>& first_repeat() const { return first_repeat_; }

 private:
  struct frame {
    bool object;
    std::set<std::string> keys;
    std::string key;         // an object's current key
    std::size_t length = 0;  // an array's elements so far
  };

  void count_element() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().length;
  }

  std::string path_to_key() const {
    std::string path;
    for (const auto& f : frames_)
      path = f.object ? json_reader::child(path, f.key) : json_reader::element(path, f.length - 1);
    return path;
  }

  std::vector<frame> frames_;
  std::optional<std::string> first_repeat_;
};

}  // namespace

void json_reader::fail(const std::string& path, const std::string& what) const {
  throw config_error(source_ + ": " + path + ": " + what);
}

json json_reader::parse(const std::string& text) const {
  repeated_key_watch watch;
  json root;
  try {
    root = json::parse(text, std::ref(watch));
  } catch (const json::parse_error& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, ..."
    std::string_view what = e.what();
    if (const auto end = what.find("] "); end != std::string_view::npos) {
      what.remove_prefix(end + 2);
    }
    // "; last read: '...'" may quote bytes that are not UTF-8; the position says enough.
    if (const auto tail = what.find("; last read"); tail != std::string_view::npos) {
      what = what.substr(0, tail);
    }
    throw config_error(source_ + ": not JSON: " + std::string(what));
  }
  if (const auto& repeat = watch.first_repeat()) fail(*repeat, "appears twice in one object");
  return root;
}

std::string json_reader::child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string json_reader::element(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

std::string json_reader::describe(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    default:
      return value.is_number() ? value.dump() : "something else";
  }
}

void json_reader::object(const json& value, const std::string& path) const {
  if (!value.is_object()) fail(path, "must be an object, not " + describe(value));
}

const json& json_reader::array(const json& value, const std::string& path) const {
  if (!value.is_array()) fail(path, "must be an array, not " + describe(value));
  return value;
}

void json_reader::known_keys(const json& object, const std::string& path,
                             std::initializer_list<std::string_view> keys) const {
  for (const auto& [key, value] : object.items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      std::string known;
      for (const auto k : keys) known += (known.empty() ? "" : ", ") + std::string(k);
      fail(child(path, key), "unknown key (known here: " + known + ")");
    }
  }
}

const json& json_reader::member(const json& object, const std::string& path,
                                std::string_view key) const {
  const auto it = object.find(key);
  if (it == object.end()) fail(child(path, key), "missing");
  return *it;
}

std::string json_reader::text(const json& value, const std::string& path) const {
  if (!value.is_string()) fail(path, "must be a string, not " + describe(value));
  auto s = value.get<std::string>();
  if (s.empty()) fail(path, "must not be empty");
  return s;
}

bool json_reader::flag(const json& value, const std::string& path) const {
  if (!value.is_boolean()) fail(path, "must be true or false, not " + describe(value));
  return value.get<bool>();
}

std::int64_t json_reader::integer(const json& value, const std::string& path) const {
  if (!value.is_number_integer()) fail(path, "must be an integer, not " + describe(value));
  if (value.is_number_unsigned() &&
      value.get<std::uint64_t>() >
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    fail(path, value.dump() + " is too large");
  }
  return value.get<std::int64_t>();
}

}  // namespace xyp
