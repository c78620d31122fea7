#pragma once
// What a store keeps of one applicant: the credit last reported for it and the ids of its cases,
// and the stored form of both, the only way a store writes and reads them (the Redis store keeps
// one per applicant as a field of a bucket hash; the footprint bench reads them back the same way).
//
// Format (version 1): one version byte; one flags byte (1 a credit is kept, 2 known, 4 a score,
// 8 tax incentive card, 16 blacklisted, 32 key review); with a credit, its grade as one byte, the
// score as a zigzag varint when there is one, the source length-prefixed, the as-of instant as a
// varint (whole seconds, or milliseconds, since the Unix epoch, the low bit saying which, zigzag);
// then the number of case ids and each id as the length it shares with the id before it and the
// rest length-prefixed (ids of one applicant mostly share their prefix). Nothing may follow.
// Names and defaults are not written: a record is ~45 bytes for one case with a credit, within
// Redis's `hash-max-listpack-value` (64) for most applicants.
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "engine/domain/case_record.hpp"

namespace xyp {

struct applicant_record {
  std::optional<credit_snapshot> credit;  // nothing: no credit report has arrived
  // In the order the store keeps them. The Redis store keeps the cases not closed: a case leaves
  // its applicant's list when it reaches a final state.
  std::vector<std::string> case_ids;

  bool operator==(const applicant_record&) const = default;
};

inline constexpr unsigned char applicant_codec_version = 1;

// An encoding that cannot be read: truncated, corrupt, or of an unknown version.
class applicant_codec_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string encode_applicant(const applicant_record& record);

// Throws applicant_codec_error on any input that is not a complete encoding.
applicant_record decode_applicant(std::string_view bytes);

}  // namespace xyp
