#pragma once
// The contract's partitioning rule and key layout: crc32(applicant_id) mod N, keys tagged {n}.
#include <cstdint>
#include <ranges>
#include <string>
#include <string_view>

#include "engine/domain/event.hpp"

namespace xyp {

// CRC-32 as in zlib over the UTF-8 bytes of the applicant id, modulo the partition count.
std::uint32_t partition_of(std::string_view applicant_id, std::uint32_t partitions);

// The partition of an envelope that is not a valid event: its "applicant_id" when it has one as
// a string, so that the dead letter is written where its producer meant it; 0 when nothing says.
std::uint32_t partition_for_raw(std::string_view raw, std::uint32_t partitions);

// The partitions [first, last) one envelope goes to.
using partition_range = std::ranges::iota_view<std::uint32_t, std::uint32_t>;

// The whole rule, in the one place every writer of a partition's stream asks: a clock.advance
// goes to every partition, any other event to partition_of(its applicant), an envelope that is
// not a valid event to partition_for_raw(raw). `parsed` is parse_envelope(raw).
partition_range partitions_for(const parse_result& parsed, std::string_view raw,
                               std::uint32_t partitions);

// "xyp:{3}:" : every key of partition n starts with this, so a partition is one Cluster slot.
std::string partition_key_prefix(std::string_view prefix, std::uint32_t partition);

}  // namespace xyp
