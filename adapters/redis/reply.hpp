#pragma once
// What comes back from Redis: an owned reply value, the few ways a call can fail (errc), and the
// exception that carries one of them.
#include <cstdint>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

struct redisReply;  // hiredis's reply tree; only the adapter's sources look inside it

namespace xyp::redis {

// Every way a Redis call fails, as a caller needs to tell them apart. hiredis's own error codes
// become one of the first four in one function (connection.cpp, `to_error`).
enum class errc {
  connection_lost = 1,  // the connection dropped or was closed; commands on it went unanswered
  connect_failed,       // no connection could be established
  timeout,              // the caller's deadline passed first
  protocol,             // the server sent bytes hiredis cannot parse; the connection is gone
  unexpected_reply,     // the reply is not of the type the caller asked for (e.g. an error)
};

const std::error_category& error_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

// A failed Redis call: what() names the server and the cause, code() says which kind it was.
class error : public std::runtime_error {
 public:
  error(errc code, const std::string& message);
  std::error_code code() const noexcept { return make_error_code(code_); }

 private:
  errc code_;
};

// One Redis reply, copied out of hiredis's tree so it outlives the callback that delivered it.
// An error reply is a value like any other; only the accessors throw, when asked for a type the
// reply does not have.
class reply {
 public:
  enum class type { nil, string, integer, array, status, error };

  reply() = default;  // nil
  static reply make_string(std::string value);
  static reply make_status(std::string value);
  static reply make_error(std::string message);
  static reply make_integer(std::int64_t value);
  static reply make_array(std::vector<reply> elements);

  type kind() const noexcept { return kind_; }
  bool is_nil() const noexcept { return kind_ == type::nil; }
  bool is_string() const noexcept { return kind_ == type::string; }
  bool is_integer() const noexcept { return kind_ == type::integer; }
  bool is_array() const noexcept { return kind_ == type::array; }
  bool is_status() const noexcept { return kind_ == type::status; }
  bool is_error() const noexcept { return kind_ == type::error; }

  // The bytes of a string or status reply ("OK", "PONG"); binary-safe.
  const std::string& as_string() const;
  std::int64_t as_integer() const;
  const std::vector<reply>& elements() const;
  // The text of an error reply, e.g. "NOSCRIPT No matching script. Please use EVAL."
  const std::string& error_message() const;

  // A short human-readable rendering for messages and test output; bytes are not escaped.
  std::string describe() const;

  friend bool operator==(const reply&, const reply&) = default;

 private:
  [[noreturn]] void throw_unexpected(const char* wanted) const;

  type kind_ = type::nil;
  std::string text_;  // string, status or error
  std::int64_t integer_ = 0;
  std::vector<reply> elements_;
};

std::ostream& operator<<(std::ostream& out, const reply& r);

// A deep copy of a hiredis reply tree.
reply to_reply(const ::redisReply& r);

}  // namespace xyp::redis

template <>
struct std::is_error_code_enum<xyp::redis::errc> : std::true_type {};
