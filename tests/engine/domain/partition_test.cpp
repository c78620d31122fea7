#include "engine/domain/partition.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <variant>
#include <vector>

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

TEST_CASE("an envelope goes to its applicant's partition, a clock.advance to every partition") {
  const std::uint32_t n = 5;
  const std::string apply =
      R"({"id":"e1","type":"credit.update","applicant_id":"91350100M000100Y43",)"
      R"("at":"2026-11-24T09:00:00+08:00","data":{"grade":"A"}})";
  const auto parsed = parse_envelope(apply);
  REQUIRE(std::holds_alternative<inbound_event>(parsed));
  const auto one = partitions_for(parsed, apply, n);
  REQUIRE(one.size() == 1);
  CHECK(*one.begin() == partition_of("91350100M000100Y43", n));

  const std::string advance =
      R"({"id":"t1","type":"clock.advance","at":"2026-11-24T09:00:00+08:00",)"
      R"("data":{"to":"2026-11-24T18:00:00+08:00"}})";
  const auto tick = parse_envelope(advance);
  REQUIRE(std::holds_alternative<inbound_event>(tick));
  const auto all = partitions_for(tick, advance, n);
  CHECK(std::vector<std::uint32_t>(all.begin(), all.end()) ==
        std::vector<std::uint32_t>{0, 1, 2, 3, 4});

  // The same rule asked with a valid event alone (the producers: submit and POST /events).
  const auto& event = std::get<inbound_event>(parsed);
  const auto alone = partitions_for(event, n);
  REQUIRE(alone.size() == 1);
  CHECK(*alone.begin() == partition_of("91350100M000100Y43", n));
  const auto every = partitions_for(std::get<inbound_event>(tick), n);
  CHECK(std::vector<std::uint32_t>(every.begin(), every.end()) ==
        std::vector<std::uint32_t>{0, 1, 2, 3, 4});
}

TEST_CASE("an envelope that is not a valid event goes where its applicant_id says, else to 0") {
  const std::uint32_t n = 7;
  const std::string unknown = R"({"type":"case.nothing","applicant_id":"123456789"})";
  const auto bad = parse_envelope(unknown);
  REQUIRE(std::holds_alternative<rejection>(bad));
  const auto there = partitions_for(bad, unknown, n);
  REQUIRE(there.size() == 1);
  CHECK(*there.begin() == 0xCBF43926u % n);

  for (const std::string& raw : {std::string("not json"), std::string(R"({"applicant_id":7})")}) {
    INFO(raw);
    const auto range = partitions_for(parse_envelope(raw), raw, n);
    REQUIRE(range.size() == 1);
    CHECK(*range.begin() == 0);
  }
}
