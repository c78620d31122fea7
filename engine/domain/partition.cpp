#include "engine/domain/partition.hpp"

#include <zlib.h>

#include <cassert>
#include <nlohmann/json.hpp>

namespace xyp {

std::uint32_t partition_of(std::string_view applicant_id, std::uint32_t partitions) {
  assert(partitions > 0);
  const auto crc = crc32(0L, reinterpret_cast<const Bytef*>(applicant_id.data()),
                         static_cast<uInt>(applicant_id.size()));
  return static_cast<std::uint32_t>(crc % partitions);
}

std::uint32_t partition_for_raw(std::string_view raw, std::uint32_t partitions) {
  const auto doc = nlohmann::json::parse(raw, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return 0;
  const auto it = doc.find("applicant_id");
  if (it == doc.end() || !it->is_string()) return 0;
  return partition_of(it->get<std::string>(), partitions);
}

partition_range partitions_for(const inbound_event& event, std::uint32_t partitions) {
  if (event.type == event_type::clock_advance) return partition_range(0, partitions);
  const auto n = partition_of(event.applicant_id, partitions);
  return partition_range(n, n + 1);
}

partition_range partitions_for(const parse_result& parsed, std::string_view raw,
                               std::uint32_t partitions) {
  if (const auto* event = std::get_if<inbound_event>(&parsed)) {
    return partitions_for(*event, partitions);
  }
  const auto n = partition_for_raw(raw, partitions);
  return partition_range(n, n + 1);
}

std::string partition_key_prefix(std::string_view prefix, std::uint32_t partition) {
  std::string key(prefix);
  key += ":{";
  key += std::to_string(partition);
  key += "}:";
  return key;
}

}  // namespace xyp
