#include "engine/partition.hpp"

#include <catch2/catch.hpp>

using namespace xyp;

TEST_CASE("an applicant's partition is zlib's crc32 of the id modulo the partition count") {
  // crc32("123456789") is the standard check value 0xCBF43926.
  CHECK(partition_of("123456789", 0xFFFFFFFFu) == 0xCBF43926u % 0xFFFFFFFFu);
  CHECK(partition_of("123456789", 7) == 0xCBF43926u % 7);
  CHECK(partition_of("91370400MA3C1234X5", 1) == 0);
}

TEST_CASE("every key of a partition carries the partition's hash tag") {
  CHECK(partition_key_prefix("xyp", 3) == "xyp:{3}:");
}
