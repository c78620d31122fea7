#include "engine/domain/case_codec.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "engine/domain/policy.hpp"

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
      escalation_record{escalation_level::warning, clock_kind::decision_warning,
                        at("2026-12-01T23:59:59+08:00"), at("2026-12-02T00:00:00+08:00"), false},
      escalation_record{escalation_level::overdue, clock_kind::correction_notice,
                        at("2026-12-03T23:59:59+08:00"), at("2026-12-04T09:00:00+08:00"), true,
                        true},
  };
  r.history = {
      history_entry{"evt-000004", "case.apply", at("2026-11-23T08:36:27+08:00"), std::nullopt,
                    case_state::applied, 0xfedcba9876543210ULL},
      history_entry{"ZZ-2026-000037/t1/supplement", "clock.supplement",
                    at("2026-11-30T23:59:59+08:00"), case_state::accepted_deficient,
                    case_state::supplement_overdue},
      history_entry{"x", "an unknown type", at("1970-01-01T00:00:00Z"), case_state::accepted,
                    case_state::denied},
  };
  r.applied_at = at("2026-11-23T08:36:27+08:00");
  r.accepted_at = at("2026-11-23T09:00:00+08:00");
  r.decided_at = at("2026-11-24T10:00:00.5+08:00");
  r.ledger_no = 0;  // present, though zero
  r.register_level = "AAA";
  r.satisfaction = rating::very_unsatisfied;
  r.result = case_state::revoked;
  r.version = 300;
  r.timer_seq = 4000000000u;
  return r;
}

// full_record() as the build before version 3 wrote it (version 2: every word as text), bytes
// taken from that build's encode_case. Its second escalation's level, its last history entry's
// states and its result were other words then, in the text form that this encoding still shows
// them in: the words (and the escalation's length) are replaced by names that the enums hold.
const std::string full_record_v2(
    "\x02\x01\x0e\x5a\x5a\x2d\x32\x30\x32\x36\x2d\x30\x30\x30\x30\x33\x37\x02\x12\x39\x32\x34\x31"
    "\x30"
    "\x34\x30\x34\x58\x38\x59\x33\x35\x30\x4a\x54\x4e\x35\x03\x35\x01\x01\x02\x24\xe6\xad\xa3\xe5"
    "\x85"
    "\x83\xe4\xba\xba\xe5\x8a\x9b\xe8\xb5\x84\xe6\xba\x90\xe6\x9c\x8d\xe5\x8a\xa1\xe6\x9c\x89\xe9"
    "\x99"
    "\x90\xe5\x85\xac\xe5\x8f\xb8\x03\x0b\x31\x38\x32\x36\x37\x36\x31\x36\x33\x32\x39\x04\x0a\x48"
    "\x52"
    "\x2d\x53\x45\x52\x56\x49\x43\x45\x05\x27\xe7\x9f\xb3\xe9\xbe\x99\xe5\x8c\xba\xe4\xba\xba\xe5"
    "\x8a"
    "\x9b\xe8\xb5\x84\xe6\xba\x90\xe5\x92\x8c\xe7\xa4\xbe\xe4\xbc\x9a\xe4\xbf\x9d\xe9\x9a\x9c\xe5"
    "\xb1"
    "\x80\x06\x0c\x07\x02\x08\x09\x0a\x0b\x01\x41\x0d\x16\x6e\x6f\x74\x20\x65\x6c\x69\x67\x69\x62"
    "\x6c"
    "\x65\x20\x22\x71\x75\x6f\x74\x65\x64\x22\x0a\x0e\x2a\x01\x02\x01\x03\x05\x04\x05\x06\x07\x18"
    "\xe5"
    "\x85\xac\xe5\x85\xb1\xe4\xbf\xa1\xe7\x94\xa8\xe4\xbf\xa1\xe6\x81\xaf\xe5\xb9\xb3\xe5\x8f\xb0"
    "\x08"
    "\xf5\x92\xac\xba\x81\xd1\x01\x0f\x02\x0a\x66\x61\x73\x74\x5f\x74\x72\x61\x63\x6b\x0f\x66\x65"
    "\x77"
    "\x65\x72\x5f\x6d\x61\x74\x65\x72\x69\x61\x6c\x73\x10\x02\x10\x61\x70\x70\x6c\x69\x63\x61\x74"
    "\x69"
    "\x6f\x6e\x5f\x66\x6f\x72\x6d\x10\x62\x75\x73\x69\x6e\x65\x73\x73\x5f\x6c\x69\x63\x65\x6e\x73"
    "\x65"
    "\x11\x01\x0e\x70\x72\x65\x6d\x69\x73\x65\x73\x5f\x6c\x65\x61\x73\x65\x12\x02\x14\x73\x74\x61"
    "\x66"
    "\x66\x5f\x71\x75\x61\x6c\x69\x66\x69\x63\x61\x74\x69\x6f\x6e\x73\x00\x13\x02\x14\x01\x01\x02"
    "\x01"
    "\x04\xed\xad\xc7\xeb\x09\x05\x01\x06\xce\x97\xa1\x01\x07\x0a\x08\x2e\x01\x05\x03\x1a\x61\x20"
    "\x74"
    "\x69\x6d\x65\x72\x20\x69\x64\x20\x6f\x66\x20\x61\x6e\x6f\x74\x68\x65\x72\x20\x66\x6f\x72\x6d"
    "\x04"
    "\xdb\xf7\x9d\xd9\x44\x05\x02\x06\x83\xc0\xec\xcf\x26\x07\x03\x14\x02\x0c\x01\x00\x03\x03\x04"
    "\xfc"
    "\xcf\x94\x0f\x05\x04\x06\x14\x02\x07\x6f\x76\x65\x72\x64\x75\x65\x03\x00\x04\xfc\x97\x2a\x05"
    "\xc4"
    "\xf4\x07\x07\x15\x03\x20\x02"
    "\x0a"
    "\x65\x76\x74\x2d\x30\x30\x30\x30\x30\x34\x03\x01\x05\x92\xb0\xe8\x01\x08\x00\x0a\x90\xe4\xd0"
    "\xb2"
    "\x87\xd3\xae\xee\xfe\x01\x0d\x01\x00\x03\x0b\x05\xd0\x97\xa1\x01\x06\x03\x08\x04\x26\x02\x01"
    "\x78"
    "\x04\x0f\x61\x6e\x20\x75\x6e\x6b\x6e\x6f\x77\x6e\x20\x74\x79\x70\x65\x07\x08\x61\x63\x63\x65"
    "\x70"
    "\x74\x65\x64\x09\x06\x64\x65\x6e\x69\x65\x64\x16\xce\x97\xa1\x01\x17\x94\x2c\x18\xd1\xe3\xd4"
    "\xab"
    "\x01\x19\x00\x1a\x04\x1c\x07\x72\x65\x76\x6f\x6b\x65\x64\x1d\xac\x02\x1e\x80\xd0\xac\xf3\x0e"
    "\x1f"
    "\x03\x41\x41\x41\x00",
    565);

// full_record() with no history fingerprints as version 1 wrote it (version 2's fields without
// the fingerprints), bytes taken from the build before version 3, with the same words replaced as
// in full_record_v2.
const std::string full_record_v1(
    "\x01\x01\x0e\x5a\x5a\x2d\x32\x30\x32\x36\x2d\x30\x30\x30\x30\x33\x37\x02\x12\x39\x32\x34\x31"
    "\x30"
    "\x34\x30\x34\x58\x38\x59\x33\x35\x30\x4a\x54\x4e\x35\x03\x35\x01\x01\x02\x24\xe6\xad\xa3\xe5"
    "\x85"
    "\x83\xe4\xba\xba\xe5\x8a\x9b\xe8\xb5\x84\xe6\xba\x90\xe6\x9c\x8d\xe5\x8a\xa1\xe6\x9c\x89\xe9"
    "\x99"
    "\x90\xe5\x85\xac\xe5\x8f\xb8\x03\x0b\x31\x38\x32\x36\x37\x36\x31\x36\x33\x32\x39\x04\x0a\x48"
    "\x52"
    "\x2d\x53\x45\x52\x56\x49\x43\x45\x05\x27\xe7\x9f\xb3\xe9\xbe\x99\xe5\x8c\xba\xe4\xba\xba\xe5"
    "\x8a"
    "\x9b\xe8\xb5\x84\xe6\xba\x90\xe5\x92\x8c\xe7\xa4\xbe\xe4\xbc\x9a\xe4\xbf\x9d\xe9\x9a\x9c\xe5"
    "\xb1"
    "\x80\x06\x0c\x07\x02\x08\x09\x0a\x0b\x01\x41\x0d\x16\x6e\x6f\x74\x20\x65\x6c\x69\x67\x69\x62"
    "\x6c"
    "\x65\x20\x22\x71\x75\x6f\x74\x65\x64\x22\x0a\x0e\x2a\x01\x02\x01\x03\x05\x04\x05\x06\x07\x18"
    "\xe5"
    "\x85\xac\xe5\x85\xb1\xe4\xbf\xa1\xe7\x94\xa8\xe4\xbf\xa1\xe6\x81\xaf\xe5\xb9\xb3\xe5\x8f\xb0"
    "\x08"
    "\xf5\x92\xac\xba\x81\xd1\x01\x0f\x02\x0a\x66\x61\x73\x74\x5f\x74\x72\x61\x63\x6b\x0f\x66\x65"
    "\x77"
    "\x65\x72\x5f\x6d\x61\x74\x65\x72\x69\x61\x6c\x73\x10\x02\x10\x61\x70\x70\x6c\x69\x63\x61\x74"
    "\x69"
    "\x6f\x6e\x5f\x66\x6f\x72\x6d\x10\x62\x75\x73\x69\x6e\x65\x73\x73\x5f\x6c\x69\x63\x65\x6e\x73"
    "\x65"
    "\x11\x01\x0e\x70\x72\x65\x6d\x69\x73\x65\x73\x5f\x6c\x65\x61\x73\x65\x12\x02\x14\x73\x74\x61"
    "\x66"
    "\x66\x5f\x71\x75\x61\x6c\x69\x66\x69\x63\x61\x74\x69\x6f\x6e\x73\x00\x13\x02\x14\x01\x01\x02"
    "\x01"
    "\x04\xed\xad\xc7\xeb\x09\x05\x01\x06\xce\x97\xa1\x01\x07\x0a\x08\x2e\x01\x05\x03\x1a\x61\x20"
    "\x74"
    "\x69\x6d\x65\x72\x20\x69\x64\x20\x6f\x66\x20\x61\x6e\x6f\x74\x68\x65\x72\x20\x66\x6f\x72\x6d"
    "\x04"
    "\xdb\xf7\x9d\xd9\x44\x05\x02\x06\x83\xc0\xec\xcf\x26\x07\x03\x14\x02\x0c\x01\x00\x03\x03\x04"
    "\xfc"
    "\xcf\x94\x0f\x05\x04\x06\x14\x02\x07\x6f\x76\x65\x72\x64\x75\x65\x03\x00\x04\xfc\x97\x2a\x05"
    "\xc4"
    "\xf4\x07\x07\x15\x03\x15\x02"
    "\x0a"
    "\x65\x76\x74\x2d\x30\x30\x30\x30\x30\x34\x03\x01\x05\x92\xb0\xe8\x01\x08\x00\x0d\x01\x00\x03"
    "\x0b"
    "\x05\xd0\x97\xa1\x01\x06\x03\x08\x04\x26\x02\x01\x78\x04\x0f\x61\x6e\x20\x75\x6e\x6b\x6e\x6f"
    "\x77"
    "\x6e\x20\x74\x79\x70\x65\x07\x08\x61\x63\x63\x65\x70\x74\x65\x64\x09\x06\x64\x65\x6e\x69\x65"
    "\x64"
    "\x16\xce\x97\xa1\x01\x17\x94\x2c\x18\xd1\xe3\xd4\xab\x01\x19\x00\x1a\x04\x1c\x07\x72\x65\x76"
    "\x6f"
    "\x6b\x65\x64\x1d\xac\x02\x1e\x80\xd0\xac\xf3\x0e\x1f\x03\x41\x41\x41\x00",
    554);

// A case whose every word is one of the shipped profiles'.
case_record profile_words_record() {
  case_record r;
  r.matter = "HR-SERVICE";
  r.department = "石龙区人力资源和社会保障局";
  r.credit.source = "公共信用信息平台";
  r.privileges = {"appointment", "green_channel", "at_most_one_trip"};
  r.materials = {"application_form", "id_card", "safety_evaluation_report"};
  r.missing = {"premises_lease"};
  r.replaced_by_commitment = {"staff_qualifications", "floor_plan"};
  return r;
}

TEST_CASE("A fully populated case survives encoding and decoding unchanged", "[codec]") {
  // Sizes on x86-64 with libstdc++: a changed size means a field was added or removed.
  CHECK(sizeof(case_record) == 648);
  CHECK(sizeof(case_clock) == 72);
  CHECK(sizeof(escalation_record) == 32);  // provisional fits in the padding after open
  CHECK(sizeof(history_entry) == 96);      // with the envelope's fingerprint
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
  CHECK(bytes == std::string("\x03\x00", 2));
  CHECK(decode_case(bytes) == r);
}

TEST_CASE("An escalation closed by default and open when stored is read back open", "[codec]") {
  case_record r;
  r.escalations.push_back(escalation_record{});
  r.escalations.push_back(
      escalation_record{escalation_level::overdue, clock_kind::supplement, {}, {}, false});
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
  r.result = case_state::approved;
  r.history.push_back(history_entry{"evt-1", "case.apply", {}, std::nullopt, case_state::applied});
  r.escalations.push_back(
      escalation_record{escalation_level::overdue, clock_kind::supplement, {}, {}, true});
  const auto bytes = encode_case(r);
  for (const char* word : {"channel_not_allowed", "approved", "case.apply", "applied", "overdue"}) {
    CHECK(bytes.find(word) == std::string::npos);
  }
  CHECK(decode_case(bytes) == r);
}

// Levels, history states and results as enums store what their names stored: the bytes below
// are the build's before they were enums (strings then: "warning", "", "applied", "approved").
TEST_CASE("Escalation levels, history states and results are stored as their names were",
          "[codec]") {
  case_record r;
  r.case_id = "C-1";
  r.state = case_state::approved;
  r.escalations = {
      escalation_record{escalation_level::warning, clock_kind::decision_warning,
                        at("2026-12-01T17:00:00+08:00"), at("2026-12-01T09:00:00+08:00"), false},
      escalation_record{escalation_level::overdue, clock_kind::decision,
                        at("2026-12-03T17:00:00+08:00"), at("2026-12-03T17:00:00+08:00"), true},
  };
  r.history = {
      history_entry{"evt-1", "case.apply", at("2026-11-23T09:00:00+08:00"), std::nullopt,
                    case_state::applied},
      history_entry{"evt-2", "case.decide", at("2026-12-04T10:00:00+08:00"), case_state::accepted,
                    case_state::approved},
  };
  r.result = case_state::approved;
  const std::string stored(
      "\x03\x01\x03\x43\x2d\x31\x06\x05\x14\x02\x0f\x01\x00\x03\x03\x04\xc0\xe4\xe8\xe1\x1a\x05\xfe"
      "\x83\x07\x06\x08\x01\x01\x04\x80\x9c\x31\x05\x00\x15\x02\x10\x02\x05\x65\x76\x74\x2d\x31\x03"
      "\x01\x05\xfe\xfb\xd9\x01\x08\x00\x12\x02\x05\x65\x76\x74\x2d\x32\x03\x04\x05\xc0\xf4\xe8\x01"
      "\x06\x02\x08\x05\x1b\x05\x00",
      76);
  CHECK(encode_case(r) == stored);
  CHECK(decode_case(stored) == r);
}

// A stored level, state or result that no enum names was never written by the engine: the record
// is corrupt, and so is an escalation or a history entry without its level or its state.
TEST_CASE("A stored name that is no escalation level or state is refused", "[codec]") {
  using namespace std::string_literals;
  for (const std::string& bytes :
       {"\x03\x14\x01\x06\x02\x04late\x00"s,      // escalation level "late"
        "\x03\x14\x01\x02\x01\x02\x00"s,          // escalation level number 2
        "\x03\x14\x01\x02\x03\x01\x00"s,          // an escalation without a level
        "\x03\x15\x01\x08\x09\x06odd to\x00"s,    // history to-state "odd to"
        "\x03\x15\x01\x04\x06\x00\x08\x0d\x00"s,  // history to-state number 13
        "\x03\x15\x01\x02\x06\x00\x00"s,          // a history entry without its state
        "\x03\x1c\x07"
        "approve\x00"s}) {  // result "approve"
    INFO(bytes);
    CHECK_THROWS_AS(decode_case(bytes), case_codec_error);
  }
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
  for (const char version : {'\x00', '\x04', '{'}) {
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
  REQUIRE(full_record_v1[0] == '\x01');
  CHECK(decode_case(full_record_v1) == r);
}

TEST_CASE("A record of version 2, every word as text, is still read", "[codec]") {
  REQUIRE(full_record_v2[0] == '\x02');
  const case_record r = decode_case(full_record_v2);
  CHECK(r == full_record());
  // Written again it takes the numbers of version 3: shorter, the same record.
  const std::string again = encode_case(r);
  CHECK(again[0] == '\x03');
  CHECK(again.size() + 80 < full_record_v2.size());
  CHECK(decode_case(again) == r);
}

TEST_CASE("The shipped profiles' words are stored as numbers and read back as the words",
          "[codec]") {
  const case_record r = profile_words_record();
  const std::string bytes = encode_case(r);
  for (const char* word :
       {"HR-SERVICE", "人力资源", "公共信用", "appointment", "green_channel", "at_most_one_trip",
        "application_form", "id_card", "safety_evaluation_report", "premises_lease",
        "staff_qualifications", "floor_plan"}) {
    INFO(word);
    CHECK(bytes.find(word) == std::string::npos);
  }
  CHECK(bytes.size() < 40);
  CHECK(decode_case(bytes) == r);
}

TEST_CASE("A word no profile had is stored as text beside the known words of its list", "[codec]") {
  case_record r = profile_words_record();
  r.matter = "A-MATTER-OF-ANOTHER-PROFILE";
  r.department = "另一个部门";
  r.credit.source = "信用中国";
  r.privileges = {"appointment", "a_new_privilege", ""};
  r.materials = {"a_new_material", "id_card"};
  const std::string bytes = encode_case(r);
  for (const char* word : {"A-MATTER-OF-ANOTHER-PROFILE", "另一个部门", "信用中国",
                           "a_new_privilege", "a_new_material"}) {
    INFO(word);
    CHECK(bytes.find(word) != std::string::npos);
  }
  CHECK(bytes.find("id_card") == std::string::npos);
  CHECK(decode_case(bytes) == r);
}

TEST_CASE("Every word of the shipped profiles has a number in the stored form", "[codec]") {
  // A profile that brings a new word still works (the word is stored as text); this keeps the
  // shipped ones compact: append the word to its list in engine/domain/case_codec.cpp.
  for (const char* name : {"shilong", "zaozhuang", "zalantun", "qingzhou"}) {
    const auto policy = load_policy(std::string(XYP_CONFIG_DIR "/profiles/") + name + ".json");
    for (const auto& tier : policy.tiers) {
      for (const auto& privilege : tier.privileges) {
        case_record r;
        r.privileges = {privilege};
        INFO(name << ": privilege " << privilege);
        CHECK(encode_case(r).find(privilege) == std::string::npos);
      }
    }
    for (const auto& [code, m] : policy.matters) {
      case_record r;
      r.matter = code;
      r.department = m.department;
      for (const auto* list :
           {&m.main_materials, &m.auxiliary_materials, &m.deferrable, &m.commitment_replaces}) {
        r.materials.insert(r.materials.end(), list->begin(), list->end());
      }
      const std::string bytes = encode_case(r);
      INFO(name << ": matter " << code);
      CHECK(bytes.find(code) == std::string::npos);
      CHECK(bytes.find(m.department) == std::string::npos);
      for (const auto& material : r.materials) {
        INFO(material);
        CHECK(bytes.find(material) == std::string::npos);
      }
    }
  }
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

TEST_CASE("A word's number beyond its list is refused", "[codec]") {
  // Version, tag 35 (materials by number), one element: word 40, the last material; then 41.
  CHECK(decode_case(std::string("\x03\x23\x01\x50\x00", 5)).materials ==
        std::vector<std::string>{"safety_evaluation_report"});
  CHECK_THROWS_AS(decode_case(std::string("\x03\x23\x01\x52\x00", 5)), case_codec_error);
  // Tag 32 (the matter by number): 12 is the last matter code, 13 is none.
  CHECK(decode_case(std::string("\x03\x20\x0c\x00", 4)).matter == "HAZCHEM-OPERATION");
  CHECK_THROWS_AS(decode_case(std::string("\x03\x20\x0d\x00", 4)), case_codec_error);
}

TEST_CASE("A word's text longer than the bytes left is refused", "[codec]") {
  // Version, tag 34 (privileges by number), one element: a text of 3 bytes, of which 2 follow.
  CHECK(decode_case(std::string("\x03\x22\x01\x07"
                                "abc\x00",
                                8))
            .privileges == std::vector<std::string>{"abc"});
  CHECK_THROWS_AS(decode_case(std::string("\x03\x22\x01\x07"
                                          "ab",
                                          6)),
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
