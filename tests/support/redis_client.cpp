#include "support/redis_client.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace xyp::test {
namespace {

struct reply_free {
  void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using reply_ptr = std::unique_ptr<redisReply, reply_free>;

timeval to_timeval(std::chrono::milliseconds t) {
  return timeval{static_cast<decltype(timeval::tv_sec)>(t.count() / 1000),
                 static_cast<decltype(timeval::tv_usec)>((t.count() % 1000) * 1000)};
}

}  // namespace

void redis_client::context_free::operator()(redisContext* c) const noexcept {
  redisFree(c);
}

redis_client::redis_client(std::uint16_t port, std::chrono::milliseconds io_timeout)
    : context_(redisConnectWithTimeout(
          "127.0.0.1", port,
          to_timeval(io_timeout > std::chrono::milliseconds::zero()
                         ? std::min<std::chrono::milliseconds>(io_timeout, std::chrono::seconds(2))
                         : std::chrono::seconds(2)))),
      port_(port) {
  if (!context_) throw std::runtime_error(where() + ": cannot allocate a hiredis context");
  if (context_->err != 0) {
    throw std::runtime_error("cannot connect to " + where() + ": " + context_->errstr);
  }
  if (io_timeout > std::chrono::milliseconds::zero()) {
    redisSetTimeout(context_.get(), to_timeval(io_timeout));
  }
}

redis_client::~redis_client() = default;
redis_client::redis_client(redis_client&&) noexcept = default;
redis_client& redis_client::operator=(redis_client&&) noexcept = default;

std::string redis_client::where() const {
  return "redis 127.0.0.1:" + std::to_string(port_);
}

void redis_client::append(const std::vector<std::string>& args) {
  if (args.empty()) throw std::invalid_argument("redis_client: no command given");
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  if (redisAppendCommandArgv(context_.get(), static_cast<int>(argv.size()), argv.data(),
                             lengths.data()) != REDIS_OK) {
    throw std::runtime_error(where() + ": cannot queue " + args.front() + ": " + context_->errstr);
  }
}

void redis_client::flush() {
  int done = 0;
  while (!done) {
    if (redisBufferWrite(context_.get(), &done) != REDIS_OK) {
      throw std::runtime_error(where() + ": write failed: " + context_->errstr);
    }
  }
}

redis::reply redis_client::read_reply() {
  void* raw = nullptr;
  if (redisGetReply(context_.get(), &raw) != REDIS_OK || raw == nullptr) {
    throw std::runtime_error(where() + ": read failed: " + context_->errstr);
  }
  reply_ptr r(static_cast<redisReply*>(raw));
  return redis::to_reply(*r);
}

redis::reply redis_client::command(const std::vector<std::string>& args) {
  append(args);
  return read_reply();
}

std::vector<redis::reply> redis_client::pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  for (const auto& c : commands) append(c);
  std::vector<redis::reply> replies;
  replies.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) replies.push_back(read_reply());
  return replies;
}

std::int64_t redis_client::info_number(const std::string& section, const std::string& field) {
  const auto text = command({"INFO", section}).as_string();
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1));
  }
  throw std::runtime_error("INFO " + section + " has no field " + field);
}

}  // namespace xyp::test
