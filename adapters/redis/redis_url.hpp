#pragma once
// Where a Redis server is: parsed from "redis://host:port".
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace xyp::redis {

struct endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
};

// Accepts "redis://host:port", "redis://host" (port 6379) and "host:port". Nothing else.
std::optional<endpoint> parse_redis_url(std::string_view url);

}  // namespace xyp::redis
