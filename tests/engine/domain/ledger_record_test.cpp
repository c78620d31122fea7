#include "engine/domain/ledger_record.hpp"

#include <catch2/catch.hpp>
#include <string>

namespace {

using namespace xyp;

// Every field set, names in Chinese, a contact with a plus sign.
ledger_record full_row() {
  ledger_record r;
  r.case_id = "ZZ-2026-000037";
  r.date = "2026-11-20";
  r.name = "张三";
  r.credit_level = "AA";
  r.contact = "+8613812345678";
  r.matter = "食品经营许可";
  r.matter_code = "food_license";
  r.department = "市场监管局";
  r.result = "approved";
  r.satisfaction = "very_satisfied";
  return r;
}

// A row whose matter and department are the shipped profiles' words.
ledger_record profile_row() {
  ledger_record r = full_row();
  r.matter_code = "FOOD-OPERATION";
  r.department = "石龙区市场监督管理局";
  r.satisfaction.reset();
  return r;
}

// profile_row() as the build before the word numbers wrote it (bytes from its encode_ledger).
const std::string profile_row_before(
    "\x01\x01\xa9\xa2\x01\x0e\x5a\x5a\x2d\x32\x30\x32\x36\x2d\x30\x30\x30\x30\x33\x37\x06\xe5\xbc"
    "\xa0"
    "\xe4\xb8\x89\x02\x41\x41\x0e\x2b\x38\x36\x31\x33\x38\x31\x32\x33\x34\x35\x36\x37\x38\x12\xe9"
    "\xa3"
    "\x9f\xe5\x93\x81\xe7\xbb\x8f\xe8\x90\xa5\xe8\xae\xb8\xe5\x8f\xaf\x0e\x46\x4f\x4f\x44\x2d\x4f"
    "\x50"
    "\x45\x52\x41\x54\x49\x4f\x4e\x1e\xe7\x9f\xb3\xe9\xbe\x99\xe5\x8c\xba\xe5\xb8\x82\xe5\x9c\xba"
    "\xe7"
    "\x9b\x91\xe7\x9d\xa3\xe7\xae\xa1\xe7\x90\x86\xe5\xb1\x80\x08\x61\x70\x70\x72\x6f\x76\x65\x64",
    119);

}  // namespace

TEST_CASE("a ledger row with every field set reads back as written", "[ledger_record]") {
  const auto r = full_row();
  CHECK(decode_ledger(encode_ledger(r)) == r);
}

TEST_CASE("a ledger row without a result or satisfaction reads back without them",
          "[ledger_record]") {
  auto r = full_row();
  r.result.reset();
  r.satisfaction.reset();
  CHECK(decode_ledger(encode_ledger(r)) == r);
  r.result = "";  // an empty result is a result, not none
  CHECK(decode_ledger(encode_ledger(r)) == r);
}

TEST_CASE("a ledger row whose matter is named by its code keeps the code once", "[ledger_record]") {
  auto r = full_row();
  r.matter = r.matter_code;
  const auto stored = encode_ledger(r);
  CHECK(decode_ledger(stored) == r);
  CHECK(stored.size() < encode_ledger(full_row()).size());
}

TEST_CASE("a ledger row's day is kept as a number, and a day that is not one as its text",
          "[ledger_record]") {
  for (const char* day : {"1970-01-01", "2024-02-29", "2026-12-31", "2149-06-06"}) {
    auto r = full_row();
    r.date = day;
    CHECK(decode_ledger(encode_ledger(r)) == r);
    CHECK(encode_ledger(r).find(day) == std::string::npos);
  }
  for (const char* day : {"", "2026-02-30", "1969-12-31", "2026-1-5", "2149-06-07", "天"}) {
    auto r = full_row();
    r.date = day;
    CHECK(decode_ledger(encode_ledger(r)) == r);
  }
}

TEST_CASE("a ledger row is stored in less than half of its JSON and begins with its version",
          "[ledger_record]") {
  const auto stored = encode_ledger(full_row());
  // The JSON row the engine wrote before: field names, number and partition included.
  const std::string json =
      R"({"case_id":"ZZ-2026-000037","contact":"+8613812345678","credit_level":"AA",)"
      R"("date":"2026-11-20","department":"市场监管局","matter":"食品经营许可",)"
      R"("matter_code":"food_license","name":"张三","no":12345,"partition":3,)"
      R"("result":"approved","satisfaction":"very_satisfied"})";
  CHECK(stored.size() * 2 < json.size());
  CHECK(static_cast<unsigned char>(stored.front()) == ledger_codec_version);
  CHECK(stored.front() != '{');
}

TEST_CASE("every truncation of a stored ledger row is refused", "[ledger_record]") {
  const auto stored = encode_ledger(full_row());
  for (std::size_t n = 0; n < stored.size(); ++n) {
    CHECK_THROWS_AS(decode_ledger(std::string_view(stored).substr(0, n)), ledger_codec_error);
  }
}

TEST_CASE("a ledger row's matter code and department of the shipped profiles are stored as numbers",
          "[ledger_record]") {
  const auto r = profile_row();
  const auto stored = encode_ledger(r);
  CHECK(stored.find("FOOD-OPERATION") == std::string::npos);
  CHECK(stored.find("市场监督管理局") == std::string::npos);
  CHECK(stored.size() + 40 < profile_row_before.size());
  CHECK(decode_ledger(stored) == r);
}

TEST_CASE("a ledger row written before the word numbers is read as it was", "[ledger_record]") {
  CHECK(decode_ledger(profile_row_before) == profile_row());
}

TEST_CASE("a ledger row naming a word number beyond its list is refused", "[ledger_record]") {
  auto stored = encode_ledger(profile_row());
  // The department is the last number before the result: "approved", 8 bytes after a length.
  const auto at = stored.size() - 1 - 1 - 8;
  REQUIRE(stored[at] == '\x00');  // 石龙区市场监督管理局, the first department
  stored[at] = '\x7f';
  CHECK_THROWS_AS(decode_ledger(stored), ledger_codec_error);
}

TEST_CASE("a stored ledger row with bytes after it, unknown flags or version is refused",
          "[ledger_record]") {
  const auto stored = encode_ledger(full_row());
  CHECK_THROWS_AS(decode_ledger(stored + "x"), ledger_codec_error);
  auto flags = stored;
  flags[1] = static_cast<char>(flags[1] | 0x40);
  CHECK_THROWS_AS(decode_ledger(flags), ledger_codec_error);
  auto version = stored;
  version[0] = 2;
  CHECK_THROWS_AS(decode_ledger(version), ledger_codec_error);
  CHECK_THROWS_AS(decode_ledger(R"({"no":1})"), ledger_codec_error);
}

TEST_CASE("a stored ledger row claiming a field longer than itself is refused", "[ledger_record]") {
  // Version, no flags, day 0, then a case id of 2^62 bytes.
  const std::string huge = std::string("\x01\x00\x00", 3) + "\x80\x80\x80\x80\x80\x80\x80\x80\x40";
  CHECK_THROWS_AS(decode_ledger(huge), ledger_codec_error);
  // A day past what the format keeps.
  const std::string far = std::string("\x01\x00\xff\xff\x7f", 5);
  CHECK_THROWS_AS(decode_ledger(far), ledger_codec_error);
}
