#include "engine/partition.hpp"

#include <zlib.h>

#include <cassert>

namespace xyp {

std::uint32_t partition_of(std::string_view applicant_id, std::uint32_t partitions) {
  assert(partitions > 0);
  const auto crc = crc32(0L, reinterpret_cast<const Bytef*>(applicant_id.data()),
                         static_cast<uInt>(applicant_id.size()));
  return static_cast<std::uint32_t>(crc % partitions);
}

std::string partition_key_prefix(std::string_view prefix, std::uint32_t partition) {
  std::string key(prefix);
  key += ":{";
  key += std::to_string(partition);
  key += "}:";
  return key;
}

}  // namespace xyp
