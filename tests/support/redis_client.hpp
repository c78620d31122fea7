#pragma once
// The one blocking Redis client of the tests and the benchmark: a hiredis connection to
// 127.0.0.1:port of its own, kept open across commands, owned by one thread. Throws
// std::runtime_error when the server cannot be reached or a read or write fails; an error reply is
// returned as a reply.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "adapters/redis/reply.hpp"

struct redisContext;

namespace xyp::test {

class redis_client {
 public:
  // io_timeout bounds every read and write (zero: wait as long as the server takes).
  explicit redis_client(std::uint16_t port,
                        std::chrono::milliseconds io_timeout = std::chrono::milliseconds::zero());
  ~redis_client();
  redis_client(const redis_client&) = delete;
  redis_client& operator=(const redis_client&) = delete;
  redis_client(redis_client&&) noexcept;
  redis_client& operator=(redis_client&&) noexcept;

  redis::reply command(const std::vector<std::string>& args);
  // Sends every command in one write, then reads the replies in order.
  std::vector<redis::reply> pipeline(const std::vector<std::vector<std::string>>& commands);

  // For paced writers: queue commands, flush them in one write, read their replies later.
  void append(const std::vector<std::string>& args);
  void flush();
  redis::reply read_reply();

  // An INFO field ("used_memory") as a number.
  std::int64_t info_number(const std::string& section, const std::string& field);

 private:
  std::string where() const;

  struct context_free {
    void operator()(redisContext* c) const noexcept;
  };
  std::unique_ptr<redisContext, context_free> context_;
  std::uint16_t port_;
};

}  // namespace xyp::test
