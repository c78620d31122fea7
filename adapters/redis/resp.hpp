#pragma once
// Commands in the Redis protocol, written one after another into one buffer: arrays of bulk
// strings, for a batch of hundreds of commands (the commit's transaction) that would otherwise be
// thousands of separate strings for hiredis to format again. Send them with
// connection::send_formatted.
#include <cassert>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace xyp::redis {

class resp_commands {
 public:
  explicit resp_commands(std::size_t reserve = 0) { buffer_.reserve(reserve); }

  // Starts a command of `argc` arguments; the one before must have all of its own.
  void begin(std::size_t argc) {
    assert(args_left_ == 0);
    starts_.push_back(buffer_.size());
    buffer_ += '*';
    append_number(argc);
    buffer_ += "\r\n";
    args_left_ = argc;
  }
  void arg(std::string_view value) {
    assert(args_left_ > 0);
    --args_left_;
    // The header in one append: five appends, each checking the room left, were ~220
    // instructions an argument in a commit of 200,000 of them.
    char head[24] = {'$'};
    char* end = std::to_chars(head + 1, head + sizeof head - 2, value.size()).ptr;
    *end++ = '\r';
    *end++ = '\n';
    buffer_.append(head, static_cast<std::size_t>(end - head));
    buffer_.append(value);
    buffer_.append("\r\n", 2);
  }
  // An integer argument, in decimal.
  void arg(std::int64_t value) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    arg(std::string_view(digits, static_cast<std::size_t>(end - digits)));
  }
  // A whole command of these arguments.
  template <class... Args>
  void command(const Args&... args) {
    begin(sizeof...(Args));
    (arg(std::string_view(args)), ...);
  }

  std::size_t size() const { return starts_.size(); }
  bool empty() const { return starts_.empty(); }
  const std::string& text() const { return buffer_; }
  // Each command's bytes, in order; valid while this object lives and is not changed.
  std::vector<std::string_view> commands() const {
    assert(args_left_ == 0);
    std::vector<std::string_view> out;
    out.reserve(starts_.size());
    for (std::size_t i = 0; i < starts_.size(); ++i) {
      const std::size_t end = i + 1 < starts_.size() ? starts_[i + 1] : buffer_.size();
      out.emplace_back(buffer_.data() + starts_[i], end - starts_[i]);
    }
    return out;
  }

 private:
  void append_number(std::size_t n) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
    buffer_.append(digits, end);
  }

  std::string buffer_;
  std::vector<std::size_t> starts_;
  std::size_t args_left_ = 0;
};

}  // namespace xyp::redis
