#include "engine/case_codec.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace {

using namespace xyp;
using namespace std::chrono_literals;

instant at(const char* text) {
  return *parse_rfc3339(text);
}

// Every field differs from its default, nested records included. When case_record or a record
// it holds gains a field, the size check below fails until the field is set here too, and the
// round trip then fails until the codec stores it.
case_record full_record() {
  case_record r;
  r.case_id = "ZZ-2026-000037";
  r.applicant_id = "92410404X8Y350JTN5";
  r.applicant =
      applicant_info{applicant_kind::enterprise, "正元人力资源服务有限公司", "18267616329"};
  r.matter = "HR-SERVICE";
  r.department = "石龙区人力资源和社会保障局";
  r.state = case_state::verified;
  r.track_used = track::commitment;
  r.credit_track = true;
  r.commitment_signed = true;
  r.needs_verification = true;
  r.tier = "A";
  r.eligibility_reason = "not eligible \"quoted\"\n";
  r.credit = credit_snapshot{true,
                             credit_grade::AA,
                             -3,
                             true,
                             true,
                             true,
                             "公共信用信息平台",
                             at("2026-11-23T08:33:48.125+08:00")};
  r.privileges = {"fast_track", "fewer_materials"};
  r.materials = {"application_form", "business_license"};
  r.missing = {"premises_lease"};
  r.replaced_by_commitment = {"staff_qualifications", ""};
  r.clocks = {
      case_clock{"ZZ-2026-000037/t1/supplement", clock_kind::supplement,
                 at("2026-11-30T23:59:59+08:00"), clock_status::fired,
                 at("2026-11-23T08:36:27+08:00"), 5, true},
      case_clock{"a timer id of another form", clock_kind::verification,
                 at("2026-10-01T00:00:00.001+08:00"), clock_status::cancelled,
                 at("2026-09-01T00:00:00+08:00"), -2, false},
  };
  r.escalations = {
      escalation_record{"warning", clock_kind::decision_warning, at("2026-12-01T23:59:59+08:00"),
                        at("2026-12-02T00:00:00+08:00"), false},
      escalation_record{"a level of another name", clock_kind::correction_notice,
                        at("2026-12-03T23:59:59+08:00"), at("2026-12-04T09:00:00+08:00"), true,
                        true},
  };
  r.history = {
      history_entry{"evt-000004", "case.apply", at("2026-11-23T08:36:27+08:00"), "", "applied",
                    0xfedcba9876543210ULL},
      history_entry{"ZZ-2026-000037/t1/supplement", "clock.supplement",
                    at("2026-11-30T23:59:59+08:00"), "accepted_deficient", "supplement_overdue"},
      history_entry{"x", "an unknown type", at("1970-01-01T00:00:00Z"), "odd from", "odd to"},
  };
  r.applied_at = at("2026-11-23T08:36:27+08:00");
  r.accepted_at = at("2026-11-23T09:00:00+08:00");
  r.decided_at = at("2026-11-24T10:00:00.5+08:00");
  r.ledger_no = 0;  // present, though zero
  r.register_level = "AAA";
  r.satisfaction = rating::very_unsatisfied;
  r.result = "approve";
  r.version = 300;
  r.timer_seq = 4000000000u;
  return r;
}

TEST_CASE("A fully populated case survives encoding and decoding unchanged", "[codec]") {
  // Sizes on x86-64 with libstdc++: a changed size means a field was added or removed.
  CHECK(sizeof(case_record) == 672);
  CHECK(sizeof(case_clock) == 72);
  CHECK(sizeof(escalation_record) == 64);  // provisional fits in the padding after open
  CHECK(sizeof(history_entry) == 144);     // with the envelope's fingerprint
  CHECK(sizeof(credit_snapshot) == 72);
  CHECK(sizeof(applicant_info) == 72);
  const case_record r = full_record();
  CHECK(decode_case(encode_case(r)) == r);
}

TEST_CASE("Each field of a fully populated case is one the round trip checks", "[codec]") {
  // Setting any one field back to its default changes the record: the comparison sees it.
  const case_record full = full_record();
  case_record r = full;
  r.clocks[0].provisional = false;
  CHECK_FALSE(r == full);
  r = full;
  r.clocks[0].counted_from = instant{};
  CHECK_FALSE(r == full);
  r = full;
  r.escalations[1].provisional = false;
  CHECK_FALSE(r == full);
  r = full;
  r.register_level.clear();
  CHECK_FALSE(r == full);
  r = full;
  r.escalations[1].open = false;
  CHECK_FALSE(decode_case(encode_case(r)) == full);
  CHECK(decode_case(encode_case(r)) == r);
}

TEST_CASE("A default case encodes as a version byte and an end byte", "[codec]") {
  const case_record r;
  const std::string bytes = encode_case(r);
  CHECK(bytes == std::string("\x02\x00", 2));
  CHECK(decode_case(bytes) == r);
}

TEST_CASE("An escalation closed by default and open when stored is read back open", "[codec]") {
  case_record r;
  r.escalations.push_back(escalation_record{});
  r.escalations.push_back(escalation_record{"overdue", clock_kind::supplement, {}, {}, false});
  CHECK(decode_case(encode_case(r)) == r);
}

TEST_CASE("A timer id of the machine's form is stored as its sequence number", "[codec]") {
  case_record r;
  r.case_id = "ZZ-2026-000037";
  r.clocks.push_back(
      case_clock{"ZZ-2026-000037/t12/decision", clock_kind::decision, {}, clock_status::armed});
  case_record verbatim = r;
  verbatim.clocks[0].timer_id = "ZZ-2026-000037/t012/decision";  // not the machine's form
  const auto short_form = encode_case(r);
  const auto long_form = encode_case(verbatim);
  CHECK(short_form.size() + 20 < long_form.size());
  CHECK(decode_case(short_form) == r);
  CHECK(decode_case(long_form) == verbatim);
}

TEST_CASE("Known words are stored as numbers and read back as the words", "[codec]") {
  case_record r;
  r.eligibility_reason = "channel_not_allowed";
  r.result = "approved";
  r.history.push_back(history_entry{"evt-1", "case.apply", {}, "", "applied"});
  r.escalations.push_back(escalation_record{"overdue", clock_kind::supplement, {}, {}, true});
  const auto bytes = encode_case(r);
  for (const char* word : {"channel_not_allowed", "approved", "case.apply", "applied", "overdue"}) {
    CHECK(bytes.find(word) == std::string::npos);
  }
  CHECK(decode_case(bytes) == r);
}

TEST_CASE("Every truncation of a valid encoding is refused", "[codec]") {
  const std::string bytes = encode_case(full_record());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    INFO("truncated to " << n << " of " << bytes.size() << " bytes");
    CHECK_THROWS_AS(decode_case(bytes.substr(0, n)), case_codec_error);
  }
}

TEST_CASE("Bytes after the end of a record are refused", "[codec]") {
  CHECK_THROWS_AS(decode_case(encode_case(full_record()) + "x"), case_codec_error);
}

TEST_CASE("An encoding of an unknown version is refused, naming the version", "[codec]") {
  for (const char version : {'\x00', '\x03', '{'}) {
    std::string bytes = encode_case(full_record());
    bytes[0] = version;
    CHECK_THROWS_WITH(decode_case(bytes),
                      Catch::Contains("unknown format version " +
                                      std::to_string(static_cast<unsigned char>(version))));
  }
}

TEST_CASE("A record of version 1, without history fingerprints, is still read", "[codec]") {
  case_record r = full_record();
  for (auto& h : r.history) h.fingerprint = 0;
  std::string bytes = encode_case(r);
  REQUIRE(bytes[0] == '\x02');
  bytes[0] = '\x01';  // what version 1 wrote: the same fields, none with a fingerprint
  CHECK(decode_case(bytes) == r);
}

TEST_CASE("A case document in the old JSON form is refused, not misread", "[codec]") {
  CHECK_THROWS_AS(decode_case(R"({"case_id":"ZZ-2026-000037"})"), case_codec_error);
}

TEST_CASE("An enum value beyond its range is refused", "[codec]") {
  // Version, tag 6 (state) = 13, end.
  CHECK_THROWS_AS(decode_case(std::string("\x01\x06\x0d\x00", 4)), case_codec_error);
  CHECK(decode_case(std::string("\x01\x06\x0c\x00", 4)).state == case_state::verified);
}

TEST_CASE("A list claiming more elements than there are bytes is refused", "[codec]") {
  // Version, tag 15 (privileges), count 2^62, end.
  CHECK_THROWS_AS(decode_case(std::string("\x01\x0f\x80\x80\x80\x80\x80\x80\x80\x80\x40\x00", 12)),
                  case_codec_error);
}

TEST_CASE("Random and mutated bytes never crash the decoder", "[codec]") {
  std::mt19937 random(20261130);  // fixed: the same inputs on every run
  const std::string valid = encode_case(full_record());
  std::size_t decoded = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string bytes;
    if (round % 2 == 0) {
      bytes.resize(random() % 64);
      for (auto& b : bytes) b = static_cast<char>(random());
      if (!bytes.empty() && round % 4 == 0) bytes[0] = '\x01';
    } else {
      bytes = valid;
      const int flips = 1 + static_cast<int>(random() % 4);
      for (int f = 0; f < flips; ++f) bytes[random() % bytes.size()] = static_cast<char>(random());
    }
    try {
      const case_record r = decode_case(bytes);
      // What decodes re-encodes and renders.
      CHECK(decode_case(encode_case(r)) == r);
      nlohmann::json rendered = r;
      ++decoded;
    } catch (const case_codec_error&) {
    }
  }
  CHECK(decoded > 0);  // some mutations are still valid records
}

}  // namespace
