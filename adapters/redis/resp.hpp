#pragma once
// A command in the Redis protocol, built in one buffer: an array of bulk strings, for a command
// too long to be worth thousands of separate strings (the batch commit). Send it with
// connection::send_formatted.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace xyp::redis {

class resp_command {
 public:
  explicit resp_command(std::size_t reserve = 0) { body_.reserve(reserve); }

  void arg(std::string_view value) {
    body_ += '$';
    append_number(value.size());
    body_ += "\r\n";
    body_.append(value);
    body_ += "\r\n";
    ++count_;
  }
  // An integer argument, in decimal.
  void arg(std::int64_t value) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    arg(std::string_view(digits, static_cast<std::size_t>(end - digits)));
  }

  std::size_t count() const { return count_; }
  const std::string& body() const { return body_; }

  // The whole command: the array's header, then the arguments added so far.
  std::string finish() const { return finish_with(resp_command()); }
  // The whole command of these arguments followed by `rest`'s.
  std::string finish_with(const resp_command& rest) const {
    std::string out = "*";
    out.reserve(body_.size() + rest.body_.size() + 24);
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, count_ + rest.count_).ptr;
    out.append(digits, end);
    out += "\r\n";
    out += body_;
    out += rest.body_;
    return out;
  }

 private:
  void append_number(std::size_t n) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
    body_.append(digits, end);
  }

  std::string body_;
  std::size_t count_ = 0;
};

}  // namespace xyp::redis
