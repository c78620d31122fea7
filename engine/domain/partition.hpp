#pragma once
// The contract's partitioning rule and key layout: crc32(applicant_id) mod N, keys tagged {n}.
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

#include "engine/domain/event.hpp"

namespace xyp {

// CRC-32 as in zlib over the UTF-8 bytes of the applicant id, modulo the partition count.
std::uint32_t partition_of(std::string_view applicant_id, std::uint32_t partitions);

// The partition of an envelope that is not a valid event: its "applicant_id" when it has one as
// a string, so that the dead letter is written where its producer meant it; 0 when nothing says.
std::uint32_t partition_for_raw(std::string_view raw, std::uint32_t partitions);

// The partitions [first, last) one envelope goes to. A plain counting range rather than
// std::views::iota: the fuzz build's clang 14 cannot instantiate libstdc++ 12's iota_view.
class partition_range {
 public:
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = std::uint32_t;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = std::uint32_t;
    constexpr iterator() = default;
    constexpr explicit iterator(std::uint32_t n) : n_(n) {}
    constexpr std::uint32_t operator*() const { return n_; }
    constexpr iterator& operator++() {
      ++n_;
      return *this;
    }
    constexpr iterator operator++(int) {
      auto before = *this;
      ++n_;
      return before;
    }
    constexpr bool operator==(const iterator&) const = default;

   private:
    std::uint32_t n_ = 0;
  };

  constexpr partition_range() = default;
  constexpr partition_range(std::uint32_t first, std::uint32_t last)
      : first_(first), last_(last < first ? first : last) {}
  constexpr iterator begin() const { return iterator(first_); }
  constexpr iterator end() const { return iterator(last_); }
  constexpr std::size_t size() const { return last_ - first_; }

 private:
  std::uint32_t first_ = 0;
  std::uint32_t last_ = 0;
};

// The partitions a valid event goes to: every one for a clock.advance, otherwise its applicant's.
partition_range partitions_for(const inbound_event& event, std::uint32_t partitions);

// The whole rule, in the one place every writer of a partition's stream asks: a valid event as
// above, an envelope that is not a valid event to partition_for_raw(raw). `parsed` is
// parse_envelope(raw).
partition_range partitions_for(const parse_result& parsed, std::string_view raw,
                               std::uint32_t partitions);

// "xyp:{3}:" : every key of partition n starts with this, so a partition is one Cluster slot.
std::string partition_key_prefix(std::string_view prefix, std::uint32_t partition);

}  // namespace xyp
