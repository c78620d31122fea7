#include "engine/domain/applicant_record.hpp"

#include <cstdint>

#include "engine/domain/byte_codec.hpp"

namespace xyp {
namespace {

enum flag : unsigned char {
  has_credit = 1,
  known = 2,
  has_score = 4,
  tax_incentive_card = 8,
  blacklisted = 16,
  key_review = 32,
};
constexpr unsigned char all_flags = 63;
constexpr std::uint64_t grades = 8;
// A string longer than this is corrupt input, not a case id or a source.
constexpr std::uint64_t max_string = 1 << 20;

struct applicant_form {
  using error = applicant_codec_error;
  static constexpr std::string_view what = "stored applicant record";
};
using reader = byte_reader<applicant_form>;

}  // namespace

std::string encode_applicant(const applicant_record& record) {
  std::string out;
  out.reserve(48);
  out.push_back(static_cast<char>(applicant_codec_version));
  unsigned char flags = 0;
  if (const auto& c = record.credit) {
    flags |= has_credit;
    if (c->known) flags |= known;
    if (c->score) flags |= has_score;
    if (c->tax_incentive_card) flags |= tax_incentive_card;
    if (c->blacklisted) flags |= blacklisted;
    if (c->key_review) flags |= key_review;
  }
  out.push_back(static_cast<char>(flags));
  if (const auto& c = record.credit) {
    out.push_back(static_cast<char>(c->grade));
    if (c->score) put_varint(out, zigzag(*c->score));
    put_string(out, c->source);
    const std::int64_t ms = c->as_of.time_since_epoch().count();
    if (ms % 1000 == 0) {
      put_varint(out, zigzag(ms / 1000) << 1);
    } else {
      put_varint(out, (zigzag(ms) << 1) | 1);
    }
  }
  put_varint(out, record.case_ids.size());
  std::string_view previous;
  for (const auto& id : record.case_ids) {
    std::size_t shared = 0;
    while (shared < previous.size() && shared < id.size() && previous[shared] == id[shared]) {
      ++shared;
    }
    put_varint(out, shared);
    put_string(out, std::string_view(id).substr(shared));
    previous = id;
  }
  return out;
}

applicant_record decode_applicant(std::string_view bytes) {
  reader in(bytes);
  const auto version = in.byte();
  if (version != applicant_codec_version) {
    reader::fail("unknown version " + std::to_string(version));
  }
  const auto flags = in.byte();
  if (flags & ~all_flags) reader::fail("unknown flags");
  applicant_record record;
  if (flags & has_credit) {
    auto& c = record.credit.emplace();
    c.known = flags & known;
    c.tax_incentive_card = flags & tax_incentive_card;
    c.blacklisted = flags & blacklisted;
    c.key_review = flags & key_review;
    const auto grade = in.byte();
    if (grade >= grades) reader::fail("unknown grade");
    c.grade = static_cast<credit_grade>(grade);
    if (flags & has_score) c.score = unzigzag(in.varint());
    const auto source_size = in.varint();
    if (source_size > max_string) reader::fail("a source too long");
    c.source = std::string(in.bytes(source_size));
    const auto as_of = in.varint();
    const std::int64_t value = unzigzag(as_of >> 1);
    // Within what an instant can hold in milliseconds (the years RFC 3339 can write and more).
    constexpr std::int64_t max_seconds = 1LL << 40;
    // The same bound in either unit, so that what is read writes back and reads again.
    const std::int64_t limit = (as_of & 1) ? max_seconds * 1000 : max_seconds;
    if (value > limit || value < -limit) reader::fail("an instant out of range");
    c.as_of = instant{std::chrono::milliseconds{(as_of & 1) ? value : value * 1000}};
  } else if (flags != 0) {
    reader::fail("credit flags without a credit");
  }
  const auto count = in.varint();
  if (count > bytes.size()) reader::fail("more case ids than bytes");
  record.case_ids.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto shared = in.varint();
    const std::string_view previous =
        record.case_ids.empty() ? std::string_view() : std::string_view(record.case_ids.back());
    if (shared > previous.size()) reader::fail("a case id sharing more than the one before it");
    const auto rest_size = in.varint();
    if (rest_size > max_string) reader::fail("a case id too long");
    std::string id(previous.substr(0, shared));
    id.append(in.bytes(rest_size));
    record.case_ids.push_back(std::move(id));
  }
  if (!in.done()) reader::fail("bytes after the record");
  return record;
}

}  // namespace xyp
