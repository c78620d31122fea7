#include "adapters/redis/redis_url.hpp"

#include <charconv>

namespace xyp::redis {

std::optional<endpoint> parse_redis_url(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  if (url.starts_with(scheme)) url.remove_prefix(scheme.size());
  if (!url.empty() && url.back() == '/') url.remove_suffix(1);
  if (url.empty()) return std::nullopt;
  endpoint ep;
  const auto colon = url.rfind(':');
  if (colon == std::string_view::npos) {
    ep.host = std::string(url);
    return ep;
  }
  ep.host = std::string(url.substr(0, colon));
  const auto digits = url.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ep.host.empty() || ec != std::errc{} || end != digits.data() + digits.size() || port == 0 ||
      port > 65535) {
    return std::nullopt;
  }
  ep.port = static_cast<std::uint16_t>(port);
  return ep;
}

}  // namespace xyp::redis
