#include "adapters/redis/cluster.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>

namespace xyp::redis {

namespace {

// The table of CRC16-CCITT by byte, computed at compile time from the polynomial.
constexpr std::array<std::uint16_t, 256> crc16_table() {
  std::array<std::uint16_t, 256> table{};
  for (unsigned byte = 0; byte < 256; ++byte) {
    auto crc = static_cast<std::uint16_t>(byte << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = static_cast<std::uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
    }
    table[byte] = crc;
  }
  return table;
}

constexpr auto crc16_by_byte = crc16_table();

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

bool starts_with(std::string_view text, std::string_view head) {
  return text.substr(0, head.size()) == head;
}

// "<host>:<port>" of a redirection (the host may be an IPv6 address with colons: the port is
// after the last one).
std::optional<endpoint> parse_address(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == text.size()) return std::nullopt;
  unsigned port = 0;
  const auto digits = text.substr(colon + 1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc{} || end != digits.data() + digits.size() || port == 0 || port > 65535) {
    return std::nullopt;
  }
  return endpoint{std::string(text.substr(0, colon)), static_cast<std::uint16_t>(port)};
}

}  // namespace

std::uint16_t crc16(std::string_view bytes) noexcept {
  std::uint16_t crc = 0;
  for (const char c : bytes) {
    const auto index = static_cast<std::uint8_t>((crc >> 8) ^ static_cast<std::uint8_t>(c));
    crc = static_cast<std::uint16_t>((crc << 8) ^ crc16_by_byte[index]);
  }
  return crc;
}

std::uint16_t key_slot(std::string_view key) noexcept {
  if (const auto open = key.find('{'); open != std::string_view::npos) {
    const auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return static_cast<std::uint16_t>(crc16(key) % cluster_slots);
}

std::optional<std::string_view> routing_key(const std::vector<std::string>& args) {
  if (args.size() < 2) return std::nullopt;
  const std::string_view name = args[0];
  for (const char* keyless :
       {"PING",     "INFO",    "CONFIG", "CLUSTER", "FUNCTION", "SCAN",    "MULTI",
        "EXEC",     "DISCARD", "TIME",   "DBSIZE",  "FLUSHALL", "FLUSHDB", "ASKING",
        "READONLY", "CLIENT",  "WAIT",   "SCRIPT",  "COMMAND",  "HELLO"}) {
    if (equals_ignoring_case(name, keyless)) return std::nullopt;
  }
  for (const char* scripted : {"FCALL", "FCALL_RO", "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO"}) {
    if (!equals_ignoring_case(name, scripted)) continue;
    if (args.size() < 4 || args[2] == "0") return std::nullopt;
    return std::string_view(args[3]);
  }
  if (equals_ignoring_case(name, "XREAD") || equals_ignoring_case(name, "XREADGROUP")) {
    for (std::size_t i = 1; i + 1 < args.size(); ++i) {
      if (equals_ignoring_case(args[i], "STREAMS")) return std::string_view(args[i + 1]);
    }
    return std::nullopt;
  }
  for (const char* sub : {"XINFO", "XGROUP", "OBJECT", "MEMORY"}) {
    if (!equals_ignoring_case(name, sub)) continue;
    if (args.size() < 3) return std::nullopt;
    return std::string_view(args[2]);
  }
  return std::string_view(args[1]);
}

slot_map slot_map::from_cluster_slots(const reply& slots, std::string_view seed_host) {
  const auto malformed = [&](const char* what) {
    return error(errc::unexpected_reply,
                 std::string("CLUSTER SLOTS answered what is not a slot map (") + what +
                     "): " + slots.describe());
  };
  if (!slots.is_array()) throw malformed("not an array");
  slot_map map;
  for (const auto& range : slots.elements()) {
    if (!range.is_array() || range.elements().size() < 3) throw malformed("a short range");
    const auto& fields = range.elements();
    if (!fields[0].is_integer() || !fields[1].is_integer() || !fields[2].is_array()) {
      throw malformed("a range without bounds or master");
    }
    const auto first = fields[0].as_integer(), last = fields[1].as_integer();
    if (first < 0 || last < first || last >= cluster_slots) throw malformed("bounds out of range");
    const auto& master = fields[2].elements();
    if (master.size() < 2 || !master[0].is_string() || !master[1].is_integer()) {
      throw malformed("a master without address");
    }
    std::string host = master[0].as_string();
    if (host.empty() || host == "?") host = std::string(seed_host);
    const auto port = master[1].as_integer();
    if (port <= 0 || port > 65535) throw malformed("a port out of range");
    const endpoint where{host, static_cast<std::uint16_t>(port)};
    const auto index = map.node_index(where);
    std::fill(map.owner_.begin() + first, map.owner_.begin() + last + 1, index);
  }
  return map;
}

std::uint16_t slot_map::node_index(const endpoint& where) {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].host == where.host && nodes_[i].port == where.port) {
      return static_cast<std::uint16_t>(i);
    }
  }
  nodes_.push_back(where);
  return static_cast<std::uint16_t>(nodes_.size() - 1);
}

std::optional<endpoint> slot_map::master_of(std::uint16_t slot) const {
  if (slot >= cluster_slots || owner_[slot] == none) return std::nullopt;
  return nodes_[owner_[slot]];
}

std::vector<endpoint> slot_map::masters() const {
  std::vector<bool> seen(nodes_.size());
  std::vector<endpoint> out;
  for (const auto index : owner_) {
    if (index == none || seen[index]) continue;
    seen[index] = true;
    out.push_back(nodes_[index]);
  }
  return out;
}

bool slot_map::complete() const {
  return std::none_of(owner_.begin(), owner_.end(), [](std::uint16_t i) { return i == none; });
}

void slot_map::assign(std::uint16_t slot, const endpoint& master) {
  if (slot >= cluster_slots) return;
  owner_[slot] = node_index(master);
}

std::optional<redirection> redirection_of(const reply& r) {
  if (!r.is_error()) return std::nullopt;
  const std::string_view text = r.error_message();
  redirection out{};
  std::string_view rest;
  if (starts_with(text, "MOVED ")) {
    out.how = redirection::kind::moved;
    rest = text.substr(6);
  } else if (starts_with(text, "ASK ")) {
    out.how = redirection::kind::ask;
    rest = text.substr(4);
  } else {
    return std::nullopt;
  }
  const auto space = rest.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  unsigned slot = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + space, slot);
  if (ec != std::errc{} || end != rest.data() + space || slot >= cluster_slots) return std::nullopt;
  const auto to = parse_address(rest.substr(space + 1));
  if (!to) return std::nullopt;
  out.slot = static_cast<std::uint16_t>(slot);
  out.to = *to;
  return out;
}

bool retry_later(const reply& r) {
  if (!r.is_error()) return false;
  const std::string_view text = r.error_message();
  return starts_with(text, "TRYAGAIN") || starts_with(text, "CLUSTERDOWN");
}

bool cluster_enabled(std::string_view info_text) {
  return info_text.find("cluster_enabled:1") != std::string_view::npos;
}

}  // namespace xyp::redis
