#include "engine/domain/applicant_record.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace {

using namespace xyp;

instant at(const char* text) {
  return *parse_rfc3339(text);
}

// Every credit field differs from its default; ids that share a prefix and ids that do not.
applicant_record full_record() {
  applicant_record r;
  r.credit = credit_snapshot{true,
                             credit_grade::A_minus,
                             -3,
                             true,
                             true,
                             true,
                             "公共信用信息平台",
                             at("2026-11-23T08:33:48.125+08:00")};
  r.case_ids = {"ZZ-2026-000037", "ZZ-2026-000040", "ZZ-2026-0000401", "other", ""};
  return r;
}

}  // namespace

TEST_CASE("an applicant record with every credit field set reads back as written",
          "[applicant_record]") {
  const auto r = full_record();
  CHECK(decode_applicant(encode_applicant(r)) == r);
  // The same compared field by field as the API would render the credit.
  CHECK(nlohmann::json(*decode_applicant(encode_applicant(r)).credit) == nlohmann::json(*r.credit));
}

TEST_CASE("an applicant with no credit report and no case reads back as one",
          "[applicant_record]") {
  const applicant_record none;
  CHECK(encode_applicant(none).size() == 3);
  CHECK(decode_applicant(encode_applicant(none)) == none);
  applicant_record unknown;
  unknown.credit = credit_snapshot{};  // a report that said nothing is still a report
  CHECK(decode_applicant(encode_applicant(unknown)) == unknown);
}

TEST_CASE("a credit reported at a whole second and one with no score read back as written",
          "[applicant_record]") {
  applicant_record r;
  r.credit = credit_snapshot{true,         credit_grade::AAA,
                             std::nullopt, false,
                             false,        false,
                             "",           at("2026-11-23T09:00:00+08:00")};
  r.case_ids = {"ZZ-2026-000001"};
  CHECK(decode_applicant(encode_applicant(r)) == r);
}

TEST_CASE("an applicant with one case and a credit fits a listpack value of Redis's default",
          "[applicant_record]") {
  applicant_record r;
  r.credit = credit_snapshot{true,
                             credit_grade::AA,
                             812,
                             false,
                             false,
                             false,
                             "公共信用信息平台",
                             at("2026-11-23T09:30:00+08:00")};
  r.case_ids = {"ZZ-2026-000001"};
  // hash-max-listpack-value is 64: a bucket of such records stays a listpack.
  CHECK(encode_applicant(r).size() <= 64);
  // The same credit as JSON with its names, as earlier builds stored it.
  CHECK(encode_applicant(r).size() * 3 < nlohmann::json(*r.credit).dump().size());
}

TEST_CASE("every truncated applicant record is refused, never read as a shorter one",
          "[applicant_record]") {
  const auto bytes = encode_applicant(full_record());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    INFO("first " << n << " bytes");
    CHECK_THROWS_AS(decode_applicant(std::string_view(bytes).substr(0, n)), applicant_codec_error);
  }
}

TEST_CASE("an applicant record with bytes after it, another version or unknown flags is refused",
          "[applicant_record]") {
  const auto bytes = encode_applicant(full_record());
  CHECK_THROWS_AS(decode_applicant(bytes + '\0'), applicant_codec_error);
  auto other_version = bytes;
  other_version[0] = 2;
  CHECK_THROWS_AS(decode_applicant(other_version), applicant_codec_error);
  auto unknown_flag = bytes;
  unknown_flag[1] = static_cast<char>(unknown_flag[1] | 64);
  CHECK_THROWS_AS(decode_applicant(unknown_flag), applicant_codec_error);
  auto bad_grade = bytes;
  bad_grade[2] = 8;
  CHECK_THROWS_AS(decode_applicant(bad_grade), applicant_codec_error);
}

TEST_CASE("a credit's instant past the range is refused in milliseconds as in seconds",
          "[applicant_record]") {
  // Found by the fuzzer: read as milliseconds, this instant wrote back as whole seconds past the
  // bound, and the record it gave did not read again.
  const std::string bytes("\x01\x01\x00\x02\x01\xff\xff\xff\xff\xff\xff\xff\xff\x9f\x9f\x00\x00",
                          17);
  CHECK_THROWS_AS(decode_applicant(bytes), applicant_codec_error);
}

TEST_CASE("an applicant record whose id shares more than the id before it is refused",
          "[applicant_record]") {
  // No credit, two ids: "ab", then one claiming to share 5 bytes of it.
  const std::string bytes{'\x01', '\x00', '\x02', '\x00', '\x02', 'a', 'b', '\x05', '\x00'};
  CHECK_THROWS_AS(decode_applicant(bytes), applicant_codec_error);
  std::string fine = bytes;
  fine[7] = 1;  // shares "a"
  CHECK(decode_applicant(fine).case_ids == std::vector<std::string>{"ab", "a"});
}

TEST_CASE("random bytes are refused as an applicant record or read back as themselves",
          "[applicant_record]") {
  std::mt19937_64 rng(20261201);
  const auto valid = encode_applicant(full_record());
  std::size_t decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    // Mostly a valid record with a few bytes changed, so that the decoder gets past its header.
    std::string bytes = valid;
    for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k) {
      bytes[rng() % bytes.size()] = static_cast<char>(rng());
    }
    if (rng() % 4 == 0) bytes.resize(rng() % bytes.size());
    try {
      const auto record = decode_applicant(bytes);
      ++decoded;
      REQUIRE(decode_applicant(encode_applicant(record)) == record);
    } catch (const applicant_codec_error&) {
    }
  }
  CHECK(decoded > 0);
}
