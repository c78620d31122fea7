#include "adapters/redis/reply.hpp"

#include <hiredis/hiredis.h>

#include <ostream>
#include <utility>

namespace xyp::redis {
namespace {

class redis_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "xyp.redis"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::connection_lost:
        return "connection to redis lost";
      case errc::connect_failed:
        return "cannot connect to redis";
      case errc::timeout:
        return "redis did not answer in time";
      case errc::protocol:
        return "redis protocol error";
      case errc::unexpected_reply:
        return "unexpected redis reply";
    }
    return "unknown redis error";
  }
};

const char* type_name(reply::type t) {
  switch (t) {
    case reply::type::nil:
      return "nil";
    case reply::type::string:
      return "string";
    case reply::type::integer:
      return "integer";
    case reply::type::array:
      return "array";
    case reply::type::status:
      return "status";
    case reply::type::error:
      return "error";
  }
  return "unknown";
}

}  // namespace

const std::error_category& error_category() noexcept {
  static const redis_category category;
  return category;
}

std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

error::error(errc code, const std::string& message) : std::runtime_error(message), code_(code) {}

reply reply::make_string(std::string value) {
  reply r;
  r.kind_ = type::string;
  r.text_ = std::move(value);
  return r;
}

reply reply::make_status(std::string value) {
  reply r;
  r.kind_ = type::status;
  r.text_ = std::move(value);
  return r;
}

reply reply::make_error(std::string message) {
  reply r;
  r.kind_ = type::error;
  r.text_ = std::move(message);
  return r;
}

reply reply::make_integer(std::int64_t value) {
  reply r;
  r.kind_ = type::integer;
  r.integer_ = value;
  return r;
}

reply reply::make_array(std::vector<reply> elements) {
  reply r;
  r.kind_ = type::array;
  r.elements_ = std::move(elements);
  return r;
}

const std::string& reply::as_string() const {
  if (kind_ != type::string && kind_ != type::status) throw_unexpected("a string");
  return text_;
}

std::int64_t reply::as_integer() const {
  if (kind_ != type::integer) throw_unexpected("an integer");
  return integer_;
}

const std::vector<reply>& reply::elements() const {
  if (kind_ != type::array) throw_unexpected("an array");
  return elements_;
}

const std::string& reply::error_message() const {
  if (kind_ != type::error) throw_unexpected("an error");
  return text_;
}

std::string reply::describe() const {
  switch (kind_) {
    case type::nil:
      return "(nil)";
    case type::string:
      return '"' + text_ + '"';
    case type::integer:
      return "(integer) " + std::to_string(integer_);
    case type::status:
      return text_;
    case type::error:
      return "(error) " + text_;
    case type::array: {
      std::string out = "[";
      for (std::size_t i = 0; i < elements_.size(); ++i) {
        if (i > 0) out += ", ";
        out += elements_[i].describe();
      }
      return out + "]";
    }
  }
  return "(unknown)";
}

void reply::throw_unexpected(const char* wanted) const {
  throw error(errc::unexpected_reply, std::string("expected ") + wanted +
                                          " reply from redis, got " + type_name(kind_) + ": " +
                                          describe());
}

std::ostream& operator<<(std::ostream& out, const reply& r) {
  return out << r.describe();
}

reply to_reply(const ::redisReply& r) {
  switch (r.type) {
    case REDIS_REPLY_STRING:
      return reply::make_string(std::string(r.str, r.len));
    case REDIS_REPLY_STATUS:
      return reply::make_status(std::string(r.str, r.len));
    case REDIS_REPLY_ERROR:
      return reply::make_error(std::string(r.str, r.len));
    case REDIS_REPLY_INTEGER:
      return reply::make_integer(r.integer);
    case REDIS_REPLY_ARRAY: {
      std::vector<reply> elements;
      elements.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i) elements.push_back(to_reply(*r.element[i]));
      return reply::make_array(std::move(elements));
    }
    case REDIS_REPLY_NIL:
    default:
      return reply{};
  }
}

}  // namespace xyp::redis
