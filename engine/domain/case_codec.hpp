#pragma once
// The stored form of a case: a compact binary encoding of case_record, the only way a store
// writes and reads cases. The HTTP API and `xinyipi status` decode through decode_case and render
// with to_json(case_record).
//
// Format (version 3; versions 1 and 2 are still read: version 2 stored every word below as text,
// version 1 also lacked the history entries' fingerprints): one version
// byte, then the record's fields in ascending tag order, each as a varint tag and a value, and only
// the fields that differ from their default (no empty strings, no empty lists, no false flags, no
// absent optionals). Values: strings length-prefixed, integers and enums as (zigzag) varints,
// instants as varint deltas from the instant written before them (in seconds when whole, else in
// milliseconds), lists as a count and their elements, nested records length-prefixed. Timer ids are
// stored as their sequence number when they have the form the machine gives them (case
// id/t<n>/<kind>), escalation levels, history states and the result as their enum's number (their
// names as text are still read; a name no enum holds makes the record corrupt), history types as
// small numbers when they are known words, and so are matter codes, departments, materials,
// privileges and credit sources when they are words of the shipped profiles (any other word as
// text); a 0 byte ends the record. See
// docs/architecture.md.
#include <stdexcept>
#include <string>
#include <string_view>

#include "engine/domain/case_record.hpp"

namespace xyp {

// The version byte that every encoding starts with.
inline constexpr unsigned char case_codec_version = 3;

// An encoding that cannot be read: truncated, corrupt, or of an unknown version.
class case_codec_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string encode_case(const case_record& record);

// Throws case_codec_error on any input that is not a complete encoding; never reads out of bounds.
case_record decode_case(std::string_view bytes);

// The same, appending to out (no allocation when out has the capacity).
void encode_case_to(const case_record& record, std::string& out);

}  // namespace xyp
