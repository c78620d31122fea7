#pragma once
// What a Redis Cluster client needs to know and nothing more: the slot of a key (CRC16 and hash
// tags, as the Cluster specification defines them), which master serves a slot (from CLUSTER
// SLOTS), what a redirection says (MOVED, ASK) and which errors mean "try again shortly"
// (TRYAGAIN, CLUSTERDOWN). Pure functions and values; adapters/redis/router sends the commands.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/redis/redis_url.hpp"
#include "adapters/redis/reply.hpp"

namespace xyp::redis {

inline constexpr std::uint16_t cluster_slots = 16384;

// CRC16-CCITT (XMODEM: polynomial 0x1021, initial 0, no reflection), the Cluster's key hash.
std::uint16_t crc16(std::string_view bytes) noexcept;

// The slot of a key: CRC16 of the key mod 16384, or of its hash tag, the bytes between the first
// `{` and the first `}` after it when there is at least one byte between them. Every key of
// partition n ("P:{n}:...") is in the slot of "n".
std::uint16_t key_slot(std::string_view key) noexcept;

// The key a command acts on, by which the command is routed: the first key of FCALL/EVAL (none
// when numkeys is 0), the first stream after STREAMS of XREAD/XREADGROUP, the third argument of
// XINFO, XGROUP, OBJECT and MEMORY; nothing for commands without a key (PING, INFO, CONFIG,
// CLUSTER, FUNCTION, SCAN, MULTI, EXEC, ...); otherwise the second argument.
std::optional<std::string_view> routing_key(const std::vector<std::string>& args);

// Which master serves each slot. Built from a CLUSTER SLOTS reply; a MOVED redirection updates one
// slot until the next full refresh.
class slot_map {
 public:
  // Throws redis::error(unexpected_reply) when the reply is not a CLUSTER SLOTS reply. A node
  // announced without an address ("" or "?") is taken to be on `seed_host`, the host asked.
  static slot_map from_cluster_slots(const reply& slots, std::string_view seed_host);

  // The master serving the slot, or nothing when no node serves it.
  std::optional<endpoint> master_of(std::uint16_t slot) const;
  // Every master serving at least one slot, once each, in the order of their first slot.
  std::vector<endpoint> masters() const;
  // Whether every slot has a master.
  bool complete() const;
  void assign(std::uint16_t slot, const endpoint& master);

 private:
  std::uint16_t node_index(const endpoint& where);
  static constexpr std::uint16_t none = 0xffff;
  std::vector<endpoint> nodes_;
  std::vector<std::uint16_t> owner_ = std::vector<std::uint16_t>(cluster_slots, none);
};

// An error reply that sends the command elsewhere: "MOVED <slot> <host>:<port>" (the slot has a
// new master: refresh the map) or "ASK <slot> <host>:<port>" (the slot is being migrated and this
// key is already there: send ASKING then the command to that node, once, and keep the map).
struct redirection {
  enum class kind { moved, ask };
  kind how;
  std::uint16_t slot;
  endpoint to;
};
std::optional<redirection> redirection_of(const reply& r);

// TRYAGAIN (a multi-key command on a slot being migrated, some keys moved) and CLUSTERDOWN (the
// cluster cannot serve the slot now, e.g. during a failover): neither ran the command; wait a
// little and send it again.
bool retry_later(const reply& r);

// Whether a server's INFO cluster text says cluster mode is on ("cluster_enabled:1").
bool cluster_enabled(std::string_view info_text);

}  // namespace xyp::redis
