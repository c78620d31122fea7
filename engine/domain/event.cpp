#include "engine/domain/event.hpp"

#include <simdjson.h>
#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstring>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_set>
#include <utility>

#include "engine/domain/identity.hpp"

namespace xyp {
namespace {

using json = nlohmann::json;

// Ids and case ids are counted in Unicode code points, as the contract says "characters"; the
// JSON parser has already checked that the text is UTF-8.
constexpr std::size_t max_id_chars = 128;

std::size_t code_points(std::string_view utf8) {
  std::size_t count = 0;
  for (const char c : utf8) {
    if ((static_cast<unsigned char>(c) & 0xC0u) != 0x80u) ++count;
  }
  return count;
}

enum class presence { required, optional };

// What a string field must hold beyond being a string.
enum class text_rule { any, non_empty, id };

bool meets(text_rule rule, std::string_view text) {
  switch (rule) {
    case text_rule::any:
      return true;
    case text_rule::non_empty:
      return !text.empty();
    case text_rule::id: {
      const std::size_t length = code_points(text);
      return length >= 1 && length <= max_id_chars;
    }
  }
  return false;
}

std::string_view requirement(text_rule rule) {
  switch (rule) {
    case text_rule::any:
      return "must be a string";
    case text_rule::non_empty:
      return "must be a non-empty string";
    case text_rule::id:
      return "must be a string of 1 to 128 characters";
  }
  return {};
}

// What a list of material codes must hold beyond being non-empty strings.
enum class list_rule { may_be_empty, non_empty };

// The two JSON readers behind the field rules: nlohmann/json's DOM (the reference, and the reader
// of whatever the fast one refuses) and simdjson's DOM (the hot path). Each presents one JSON
// value with the few questions the rules ask; an object member that appears twice counts as its
// last appearance in both, as nlohmann/json keeps it.
class reference_value {
 public:
  explicit reference_value(const json& value) : value_(&value) {}

  bool is_string() const { return value_->is_string(); }
  std::string_view string() const { return value_->get_ref<const std::string&>(); }
  bool is_bool() const { return value_->is_boolean(); }
  bool boolean() const { return value_->get<bool>(); }
  bool is_array() const { return value_->is_array(); }
  bool is_object() const { return value_->is_object(); }
  bool empty() const { return value_->empty(); }

  // The value when it is an integer from 0 to 2^63 - 1; floats and larger numbers are not.
  std::optional<std::int64_t> non_negative_integer() const {
    const auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (value_->is_number_unsigned() && value_->get<std::uint64_t>() <= max) {
      return static_cast<std::int64_t>(value_->get<std::uint64_t>());
    }
    if (value_->is_number_integer() && !value_->is_number_unsigned() &&
        value_->get<std::int64_t>() >= 0) {
      return value_->get<std::int64_t>();
    }
    return std::nullopt;
  }

  // Calls f with each element of an array until it returns false.
  template <class F>
  void each_element(F f) const {
    for (const auto& element : *value_) {
      if (!f(reference_value{element})) return;
    }
  }

  std::optional<reference_value> member(std::string_view key) const {
    const auto it = value_->find(key);
    if (it == value_->end()) return std::nullopt;
    return reference_value{*it};
  }

 private:
  const json* value_;
};

class fast_value {
 public:
  explicit fast_value(simdjson::dom::element value) : value_(value) {}

  bool is_string() const { return value_.type() == simdjson::dom::element_type::STRING; }
  std::string_view string() const {
    std::string_view text;
    if (value_.get_string().get(text) != simdjson::SUCCESS) return {};
    return text;
  }
  bool is_bool() const { return value_.type() == simdjson::dom::element_type::BOOL; }
  bool boolean() const {
    bool flag = false;
    if (value_.get_bool().get(flag) != simdjson::SUCCESS) return false;
    return flag;
  }
  bool is_array() const { return value_.type() == simdjson::dom::element_type::ARRAY; }
  bool is_object() const { return value_.type() == simdjson::dom::element_type::OBJECT; }
  bool empty() const {
    simdjson::dom::array array;
    if (value_.get_array().get(array) != simdjson::SUCCESS) return true;
    return array.begin() == array.end();
  }

  // simdjson reads an integer from 0 to 2^63 - 1 as INT64, larger ones as UINT64 or refuses them.
  std::optional<std::int64_t> non_negative_integer() const {
    if (value_.type() != simdjson::dom::element_type::INT64) return std::nullopt;
    std::int64_t v = 0;
    if (value_.get_int64().get(v) != simdjson::SUCCESS) return std::nullopt;
    if (v < 0) return std::nullopt;
    return v;
  }

  template <class F>
  void each_element(F f) const {
    simdjson::dom::array array;
    if (value_.get_array().get(array) != simdjson::SUCCESS) return;
    for (const simdjson::dom::element element : array) {
      if (!f(fast_value{element})) return;
    }
  }

  std::optional<fast_value> member(std::string_view key) const {
    std::optional<fast_value> found;
    simdjson::dom::object object;
    if (value_.get_object().get(object) != simdjson::SUCCESS) return found;
    for (const auto field : object) {
      if (field.key == key) found = fast_value{field.value};
    }
    return found;
  }

 private:
  simdjson::dom::element value_;
};

// Reads the fields of one JSON object into typed values. The first failure goes into a slot
// shared with the readers of nested objects, and later reads then do nothing, so a parser reads
// every field in contract order and looks at the slot once.
template <class Value>
class field_reader {
 public:
  field_reader(Value object, std::string path, std::optional<rejection>& failure)
      : object_(object), path_(std::move(path)), failure_(failure) {}

  bool failed() const { return failure_.has_value(); }

  void fail_field(std::string_view key, std::string_view must) {
    if (failure_) return;
    failure_ = rejection{dead_letter_code::schema_violation,
                         "field " + name(key) + " " + std::string(must)};
  }

  void text(std::string_view key, std::string& out, presence p, text_rule rule) {
    const auto value = find(key, p);
    if (!value) return;
    if (!value->is_string() || !meets(rule, value->string())) {
      return fail_field(key, requirement(rule));
    }
    out = value->string();
  }

  void flag(std::string_view key, bool& out, presence p) {
    const auto value = find(key, p);
    if (!value) return;
    if (!value->is_bool()) return fail_field(key, "must be true or false");
    out = value->boolean();
  }

  template <named_enum E>
  void choice(std::string_view key, E& out) {
    const auto value = find(key, presence::required);
    if (!value) return;
    std::optional<E> chosen;
    if (value->is_string()) chosen = from_name<E>(value->string());
    if (!chosen) return fail_field(key, "must be one of " + names_list<E>());
    out = *chosen;
  }

  // An optional integer >= 0; floats and values beyond int64 are refused.
  void count(std::string_view key, std::optional<std::int64_t>& out) {
    const auto value = find(key, presence::optional);
    if (!value) return;
    if (const auto number = value->non_negative_integer()) {
      out = *number;
    } else {
      fail_field(key, "must be an integer from 0 to 9223372036854775807");
    }
  }

  void time(std::string_view key, instant& out) {
    const auto value = find(key, presence::required);
    if (!value) return;
    std::optional<instant> parsed;
    if (value->is_string()) parsed = parse_rfc3339(value->string());
    if (!parsed) {
      return fail_field(key,
                        "must be an RFC 3339 date-time with an offset, such as "
                        "2026-11-23T09:30:00+08:00");
    }
    out = *parsed;
  }

  // Material codes: non-empty strings, kept in first-seen order without repeats.
  void codes(std::string_view key, std::vector<std::string>& out, list_rule rule) {
    const auto value = find(key, presence::required);
    if (!value) return;
    const bool at_least_one = rule == list_rule::non_empty;
    if (!value->is_array() || (at_least_one && value->empty())) {
      return fail_field(key, at_least_one ? "must be a non-empty array of material codes"
                                          : "must be an array of material codes");
    }
    std::vector<std::string> codes;
    // A list holds a handful of codes: they are compared with those kept so far, and a hash set
    // is built only for a long list (an envelope may carry thousands). The views point into the
    // document read, which outlives this call.
    std::array<std::string_view, 16> few;
    std::size_t kept = 0;
    std::unordered_set<std::string_view> seen;
    auto first_seen = [&](std::string_view code) {
      if (kept < few.size()) {
        const auto end = few.begin() + static_cast<std::ptrdiff_t>(kept);
        if (std::find(few.begin(), end, code) != end) return false;
        few[kept++] = code;
        return true;
      }
      if (seen.empty()) seen.insert(few.begin(), few.end());
      return seen.insert(code).second;
    };
    bool all_codes = true;
    value->each_element([&](const Value& element) {
      if (!element.is_string() || element.string().empty()) {
        all_codes = false;
        return false;
      }
      const auto code = element.string();
      if (first_seen(code)) codes.emplace_back(code);
      return true;
    });
    if (!all_codes) return fail_field(key, "must hold only non-empty strings");
    out = std::move(codes);
  }

  // A reader for the nested object, or nothing when it is absent or not an object.
  std::optional<field_reader> object(std::string_view key, presence p) {
    const auto value = find(key, p);
    if (!value) return std::nullopt;
    if (!value->is_object()) {
      fail_field(key, "must be an object");
      return std::nullopt;
    }
    return field_reader{*value, name(key), failure_};
  }

 private:
  std::string name(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  // The member, or nothing when it is absent (a failure if required) or a failure is already
  // kept. A JSON null is a value of the wrong type, not an absent field.
  std::optional<Value> find(std::string_view key, presence p) {
    if (failed()) return std::nullopt;
    auto value = object_.member(key);
    if (!value && p == presence::required) fail_field(key, "is required");
    return value;
  }

  Value object_;
  std::string path_;
  std::optional<rejection>& failure_;
};

template <class Value>
credit_update_data read_credit_update(field_reader<Value>& data) {
  credit_update_data out;
  data.choice("grade", out.grade);
  data.count("score", out.score);
  data.flag("tax_incentive_card", out.tax_incentive_card, presence::optional);
  data.flag("blacklisted", out.blacklisted, presence::optional);
  data.flag("key_review", out.key_review, presence::optional);
  data.text("source", out.source, presence::optional, text_rule::any);
  return out;
}

template <class Value>
apply_data read_apply(field_reader<Value>& data) {
  apply_data out;
  data.text("matter", out.matter, presence::required, text_rule::non_empty);
  if (auto applicant = data.object("applicant", presence::required)) {
    applicant->choice("kind", out.applicant.kind);
    applicant->text("name", out.applicant.name, presence::required, text_rule::non_empty);
    applicant->text("contact", out.applicant.contact, presence::optional, text_rule::any);
  }
  data.choice("channel", out.via);
  data.flag("credit_track", out.credit_track, presence::required);
  data.flag("commitment_signed", out.commitment_signed, presence::required);
  data.codes("materials", out.materials, list_rule::may_be_empty);
  return out;
}

template <class Value>
accept_data read_accept(field_reader<Value>& data) {
  accept_data out;
  data.codes("materials", out.materials, list_rule::may_be_empty);
  data.choice("verdict", out.decision);
  data.text("reason", out.reason, presence::optional, text_rule::any);
  return out;
}

template <class Value>
supplement_data read_supplement(field_reader<Value>& data) {
  supplement_data out;
  data.codes("materials", out.materials, list_rule::non_empty);
  return out;
}

template <class Value>
decide_data read_decide(field_reader<Value>& data) {
  decide_data out;
  data.choice("outcome", out.result);
  data.text("reason", out.reason, presence::optional, text_rule::any);
  return out;
}

template <class Value>
withdraw_data read_withdraw(field_reader<Value>& data) {
  withdraw_data out;
  data.choice("scope", out.scope);
  data.text("reason", out.reason, presence::optional, text_rule::any);
  return out;
}

template <class Value>
terminate_data read_terminate(field_reader<Value>& data) {
  terminate_data out;
  data.text("reason", out.reason, presence::required, text_rule::non_empty);
  return out;
}

template <class Value>
verify_data read_verify(field_reader<Value>& data) {
  verify_data out;
  data.choice("result", out.result);
  data.text("note", out.note, presence::optional, text_rule::any);
  return out;
}

template <class Value>
feedback_data read_feedback(field_reader<Value>& data) {
  feedback_data out;
  data.choice("rating", out.value);
  data.text("comment", out.comment, presence::optional, text_rule::any);
  return out;
}

template <class Value>
clock_advance_data read_clock_advance(field_reader<Value>& data) {
  clock_advance_data out;
  data.time("to", out.to);
  return out;
}

template <class Value>
event_data read_data(event_type type, field_reader<Value>& data) {
  switch (type) {
    case event_type::credit_update:
      return read_credit_update(data);
    case event_type::case_apply:
      return read_apply(data);
    case event_type::case_accept:
      return read_accept(data);
    case event_type::case_supplement:
      return read_supplement(data);
    case event_type::case_decide:
      return read_decide(data);
    case event_type::case_withdraw:
      return read_withdraw(data);
    case event_type::case_terminate:
      return read_terminate(data);
    case event_type::case_verify:
      return read_verify(data);
    case event_type::case_feedback:
      return read_feedback(data);
    case event_type::clock_advance:
      return read_clock_advance(data);
  }
  assert(false && "every event type has a data reader");
  return {};
}

bool is_case_event(event_type type) {
  return type != event_type::credit_update && type != event_type::clock_advance;
}

// clock.advance belongs to every partition and names no applicant; every other event names one
// by a resident id or a unified social credit code.
template <class Value>
void read_applicant_id(field_reader<Value>& envelope, event_type type, std::string& out) {
  if (type == event_type::clock_advance) {
    envelope.text("applicant_id", out, presence::optional, text_rule::any);
    if (!out.empty())
      envelope.fail_field("applicant_id", "must be absent or empty for clock.advance");
    return;
  }
  envelope.text("applicant_id", out, presence::required, text_rule::any);
  if (!envelope.failed() && !valid_applicant_id(out)) {
    envelope.fail_field("applicant_id",
                        "must be an 18-character resident id (GB 11643) or unified social credit "
                        "code (GB 32100) with a valid check character");
  }
}

// Credit updates and clock advances concern no one case: a case_id there is type-checked and
// otherwise ignored, so the struct keeps it empty as event.hpp promises.
template <class Value>
void read_case_id(field_reader<Value>& envelope, event_type type, std::string& out) {
  if (is_case_event(type)) {
    envelope.text("case_id", out, presence::required, text_rule::id);
    return;
  }
  std::string ignored;
  envelope.text("case_id", ignored, presence::optional, text_rule::any);
}

template <class Value>
void read_actor(field_reader<Value>& envelope, std::optional<actor>& out) {
  auto by = envelope.object("actor", presence::optional);
  if (!by) return;
  actor who;
  by->text("id", who.id, presence::required, text_rule::non_empty);
  by->choice("role", who.role);
  if (!by->failed()) out = std::move(who);
}

// A person applies under a resident id, an enterprise under a unified social credit code.
template <class Value>
void check_applicant_kind(field_reader<Value>& envelope, const inbound_event& event) {
  const auto* apply = std::get_if<apply_data>(&event.data);
  if (apply == nullptr) return;
  if (apply->applicant.kind == applicant_kind::person && !valid_resident_id(event.applicant_id)) {
    envelope.fail_field("applicant_id",
                        "must be a resident id (GB 11643) when data.applicant.kind is person");
  } else if (apply->applicant.kind == applicant_kind::enterprise &&
             !valid_social_credit_code(event.applicant_id)) {
    envelope.fail_field("applicant_id",
                        "must be a unified social credit code (GB 32100) when "
                        "data.applicant.kind is enterprise");
  }
}

}  // namespace

std::uint64_t envelope_fingerprint(std::string_view raw) {
  // Eight bytes at a time, each mixed by a multiply and a shift, then splitmix64's finaliser:
  // about a tenth of a microsecond for a 400-byte envelope.
  constexpr std::uint64_t k1 = 0x9e3779b97f4a7c15ULL;
  constexpr std::uint64_t k2 = 0xbf58476d1ce4e5b9ULL;
  std::uint64_t h = k1 ^ (raw.size() * k2);
  std::size_t i = 0;
  auto mix = [&](std::uint64_t w) {
    w *= k2;
    w ^= w >> 31;
    h = (h ^ w) * k1;
    h = (h << 27) | (h >> 37);
  };
  for (; i + 8 <= raw.size(); i += 8) {
    // The eight bytes as a little-endian word: one load where the machine is little-endian (the
    // compiler did not merge the byte-by-byte form, ~60 instructions a word).
    std::uint64_t w = 0;
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(&w, raw.data() + i, 8);
    } else {
      for (std::size_t b = 0; b < 8; ++b) {
        w |= static_cast<std::uint64_t>(static_cast<unsigned char>(raw[i + b])) << (8 * b);
      }
    }
    mix(w);
  }
  if (i < raw.size()) {
    std::uint64_t w = 0;
    for (std::size_t b = 0; i + b < raw.size(); ++b) {
      w |= static_cast<std::uint64_t>(static_cast<unsigned char>(raw[i + b])) << (8 * b);
    }
    mix(w);
  }
  h ^= h >> 30;
  h *= k2;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h == 0 ? 1 : h;  // 0 means "not known" where it is stored
}

std::optional<event_type> event_type_from(std::string_view text) {
  return from_name<event_type>(text);
}

std::optional<credit_grade> credit_grade_from(std::string_view text) {
  return from_name<credit_grade>(text);
}

namespace {

// The envelope rules, over either reader.
template <class Value>
parse_result read_envelope(Value document) {
  if (!document.is_object()) {
    return rejection{dead_letter_code::schema_violation, "the envelope must be a JSON object"};
  }

  std::optional<rejection> failure;
  field_reader<Value> envelope{document, "", failure};
  inbound_event event;
  envelope.text("id", event.id, presence::required, text_rule::id);

  std::string type_text;
  envelope.text("type", type_text, presence::required, text_rule::any);
  if (failure) return *failure;
  const auto type = from_name<event_type>(type_text);
  if (!type) {
    return rejection{dead_letter_code::unknown_type,
                     "field type must be one of " + names_list<event_type>()};
  }
  event.type = *type;

  envelope.time("at", event.at);
  read_applicant_id(envelope, event.type, event.applicant_id);
  read_case_id(envelope, event.type, event.case_id);
  read_actor(envelope, event.by);
  if (auto data = envelope.object("data", presence::required)) {
    event.data = read_data(event.type, *data);
  }
  if (!failure) check_applicant_kind(envelope, event);
  if (failure) return *failure;
  return event;
}

std::optional<rejection> too_large(std::string_view raw, std::size_t max_bytes) {
  if (raw.size() <= max_bytes) return std::nullopt;
  return rejection{dead_letter_code::schema_violation,
                   "the envelope is " + std::to_string(raw.size()) + " bytes, larger than " +
                       std::to_string(max_bytes)};
}

// One simdjson parser and one padded input buffer per thread, reused for every envelope.
struct fast_parser {
  simdjson::dom::parser parser;
  std::unique_ptr<char[]> buffer;
  std::size_t capacity = 0;

  simdjson::simdjson_result<simdjson::dom::element> parse(std::string_view raw) {
    if (!buffer || capacity < raw.size()) {
      capacity = std::max<std::size_t>(raw.size(), 4096);
      buffer = std::make_unique<char[]>(capacity + simdjson::SIMDJSON_PADDING);
    }
    // An empty view may have no data pointer at all: nothing to copy then.
    if (!raw.empty()) std::memcpy(buffer.get(), raw.data(), raw.size());
    std::memset(buffer.get() + raw.size(), 0, simdjson::SIMDJSON_PADDING);
    return parser.parse(buffer.get(), raw.size(), /*realloc_if_needed=*/false);
  }
};

}  // namespace

parse_result parse_envelope_reference(std::string_view raw, std::size_t max_bytes) {
  if (auto refused = too_large(raw, max_bytes)) return *refused;
  const json document = json::parse(raw, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return rejection{dead_letter_code::malformed_json, "the envelope is not valid JSON"};
  }
  return read_envelope(reference_value{document});
}

parse_result parse_envelope(std::string_view raw, std::size_t max_bytes) {
  if (auto refused = too_large(raw, max_bytes)) return *refused;
  thread_local fast_parser fast;
  simdjson::dom::element document;
  if (fast.parse(raw).get(document) != simdjson::SUCCESS) {
    // Whatever simdjson refuses (broken JSON, but also integers beyond 64 bits, a byte order
    // mark, nesting beyond its depth), nlohmann/json decides, as it always has: the outcome and
    // the sentence stay those of the reference reader.
    return parse_envelope_reference(raw, max_bytes);
  }
  return read_envelope(fast_value{document});
}

}  // namespace xyp
