#pragma once
// The contract's partitioning rule and key layout: crc32(applicant_id) mod N, keys tagged {n}.
#include <cstdint>
#include <string>
#include <string_view>

namespace xyp {

// CRC-32 as in zlib over the UTF-8 bytes of the applicant id, modulo the partition count.
std::uint32_t partition_of(std::string_view applicant_id, std::uint32_t partitions);

// "xyp:{3}:" : every key of partition n starts with this, so a partition is one Cluster slot.
std::string partition_key_prefix(std::string_view prefix, std::uint32_t partition);

}  // namespace xyp
