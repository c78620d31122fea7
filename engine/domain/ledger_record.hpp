#pragma once
// One row of the 信易批 register as a store keeps it, and its stored form: the only way a store
// writes a row and the HTTP read model reads it back.
//
// Format (version 1): one version byte (1; a row written before this format is JSON and begins
// with `{`, which is how a reader tells the two apart); one flags byte (1 a result, 2 a
// satisfaction, 4 the day kept as text, 8 the matter's name is its code, 16 the matter's code as
// a number, 32 the department as a number); the day as a varint of days since 1970-01-01 (or,
// with flag 4, length-prefixed text); then length-prefixed the case id, the applicant's name, the
// credit level, the contact, the matter's name (absent with flag 8), the matter's code (with
// flag 16 its number in engine/domain/stored_words' list, a varint), the department (likewise with
// flag 32), the result (with flag 1) and the satisfaction (with flag 2). Rows written before flags
// 16 and 32 have neither, and are read as they were. Nothing may follow. The row's number and
// partition are not written: the hash field and the key say them. Field names are not written
// either: a row is ~100 bytes where its JSON was ~260.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace xyp {

struct ledger_record {
  std::string case_id;
  std::string date;  // yyyy-mm-dd, the day the applicant was served
  std::string name;
  std::string credit_level;
  std::string contact;
  std::string matter;  // the matter's name as the policy gave it when the row was written
  std::string matter_code;
  std::string department;
  std::optional<std::string> result;        // nothing: the case has no result yet
  std::optional<std::string> satisfaction;  // nothing: no feedback yet

  bool operator==(const ledger_record&) const = default;
};

inline constexpr unsigned char ledger_codec_version = 1;

// An encoding that cannot be read: truncated, corrupt, or of an unknown version.
class ledger_codec_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string encode_ledger(const ledger_record& record);

// Throws ledger_codec_error on any input that is not a complete encoding.
ledger_record decode_ledger(std::string_view bytes);

}  // namespace xyp
