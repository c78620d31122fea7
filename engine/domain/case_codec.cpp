#include "engine/domain/case_codec.hpp"

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>
#include <vector>

#include "engine/domain/byte_codec.hpp"
#include "engine/domain/stored_words.hpp"

namespace xyp {
namespace {

// ---------------------------------------------------------------------------------------------
// The fields of each stored record, by tag. A field is one line here, read by the encoder and
// the decoder alike: to add one, give it the next free tag of its record (tags only ever grow;
// a removed field's tag is never reused). A record's fields are written in the order of its
// list, which is the order the decoder expects them in. `case_id` is tag 1 and `clocks` precede
// `history`, because timer ids and history entries are stored relative to them.
//
// Version 3 stores the words of the shipped profiles (matter codes, departments, materials,
// privileges, credit sources) as numbers, under tags of their own; the earlier tags of those
// fields (their text) are still read, and still written for a word no list holds.
// ---------------------------------------------------------------------------------------------

template <class V, class A>
void fields_of_applicant(V& v, A& a) {
  v(1, a.kind);
  v(2, a.name);
  v(3, a.contact);
}

template <class V, class C>
void fields_of_credit(V& v, C& c) {
  v(1, c.known);
  v(2, c.grade);
  v(3, c.score);
  v(4, c.tax_incentive_card);
  v(5, c.blacklisted);
  v(6, c.key_review);
  v.word(9, 7, c.source, credit_source_words());  // 9 since version 3
  v(8, c.as_of);
}

template <class V, class C>
void fields_of_clock(V& v, C& c) {
  v(1, c.kind);
  v.timer_id(2, 3, c.timer_id, c.kind);  // 2: its sequence number, 3: any other id verbatim
  v(4, c.due);
  v(5, c.status);
  v(6, c.counted_from);
  v(7, c.working_days);
  v(8, c.provisional);
}

template <class V, class E>
void fields_of_escalation(V& v, E& e) {
  v.name(1, 2, e.level);
  v(3, e.clock);
  v(4, e.due);
  v(5, e.raised_at);
  v(6, e.open);
  v(7, e.provisional);
}

template <class V, class H>
void fields_of_history(V& v, H& h) {
  v.event_ref(1, 2, h.event_id);  // 1: the clock whose timer caused it, 2: an event id verbatim
  v.word(3, 4, h.type, v.history_types());
  v(5, h.at);
  v.name(6, 7, h.from);
  v.name(8, 9, h.to);
  v(10, h.fingerprint);  // version 2
}

template <class V, class R>
void fields_of_case(V& v, R& r) {
  v(1, r.case_id);
  v(2, r.applicant_id);
  v(3, r.applicant);
  v.word(32, 4, r.matter, matter_code_words());  // 32 to 37 since version 3
  v.word(33, 5, r.department, department_words());
  v(6, r.state);
  v(7, r.track_used);
  v(8, r.credit_track);
  v(9, r.commitment_signed);
  v(10, r.needs_verification);
  v(11, r.tier);
  v.word(12, 13, r.eligibility_reason, v.eligibility_reasons());
  v(14, r.credit);
  v.words(34, 15, r.privileges, privilege_words());
  v.words(35, 16, r.materials, material_words());
  v.words(36, 17, r.missing, material_words());
  v.words(37, 18, r.replaced_by_commitment, material_words());
  v(19, r.clocks);
  v(20, r.escalations);
  v(21, r.history);
  v(22, r.applied_at);
  v(23, r.accepted_at);
  v(24, r.decided_at);
  v(25, r.ledger_no);
  v(26, r.satisfaction);
  v.name(27, 28, r.result);  // the state the case ended in
  v(29, r.version);
  v(30, r.timer_seq);
  v(31, r.register_level);
}

// Dispatches a record to its field list.
template <class V>
void fields(V& v, case_record& x) {
  fields_of_case(v, x);
}
template <class V>
void fields(V& v, const case_record& x) {
  fields_of_case(v, x);
}
template <class V>
void fields(V& v, applicant_info& x) {
  fields_of_applicant(v, x);
}
template <class V>
void fields(V& v, const applicant_info& x) {
  fields_of_applicant(v, x);
}
template <class V>
void fields(V& v, credit_snapshot& x) {
  fields_of_credit(v, x);
}
template <class V>
void fields(V& v, const credit_snapshot& x) {
  fields_of_credit(v, x);
}
template <class V>
void fields(V& v, case_clock& x) {
  fields_of_clock(v, x);
}
template <class V>
void fields(V& v, const case_clock& x) {
  fields_of_clock(v, x);
}
template <class V>
void fields(V& v, escalation_record& x) {
  fields_of_escalation(v, x);
}
template <class V>
void fields(V& v, const escalation_record& x) {
  fields_of_escalation(v, x);
}
template <class V>
void fields(V& v, history_entry& x) {
  fields_of_history(v, x);
}
template <class V>
void fields(V& v, const history_entry& x) {
  fields_of_history(v, x);
}

template <class T>
inline constexpr bool is_record_v =
    std::is_same_v<T, applicant_info> || std::is_same_v<T, credit_snapshot> ||
    std::is_same_v<T, case_clock> || std::is_same_v<T, escalation_record> ||
    std::is_same_v<T, history_entry>;

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};

const word_list& history_type_words() {
  static const word_list words{[] {
    std::vector<std::string> w;
    for (const auto& type : enum_names<event_type>) w.emplace_back(type.text);
    for (const auto& kind : enum_names<clock_kind>) w.push_back("clock." + std::string(kind.text));
    return w;
  }()};
  return words;
}

// The reasons engine/domain/eligibility gives.
const word_list& eligibility_reason_words() {
  static const word_list words{{"not_opted_in", "commitment_not_signed", "channel_not_allowed",
                                "matter_excluded", "blacklisted", "key_review", "below_tier",
                                "no_privilege"}};
  return words;
}

// Instants are kept within the years RFC 3339 can write, 0000-01-01 to 9999-12-31 UTC, so that
// deltas never overflow and every decoded record can be rendered.
constexpr std::int64_t min_instant_ms = -62167219200000LL;
constexpr std::int64_t max_instant_ms = 253402300799999LL;
constexpr std::int64_t max_delta_ms = max_instant_ms - min_instant_ms;

// Tag 0 ends the record, so that a truncated encoding can never read as a shorter valid one.
constexpr std::uint32_t end_tag = 0;

// The sequence number n when id is "<case_id>/t<n>/<kind>" exactly as the machine writes it.
std::optional<std::uint64_t> timer_seq_of(std::string_view id, std::string_view case_id,
                                          clock_kind kind) {
  if (id.size() <= case_id.size() + 2 || id.substr(0, case_id.size()) != case_id) return {};
  id.remove_prefix(case_id.size());
  if (id.substr(0, 2) != "/t") return {};
  id.remove_prefix(2);
  const std::string_view name = to_string(kind);
  if (id.size() < name.size() + 2 || id.substr(id.size() - name.size()) != name ||
      id[id.size() - name.size() - 1] != '/') {
    return {};
  }
  const std::string_view digits = id.substr(0, id.size() - name.size() - 1);
  if (digits.empty() || digits.size() > 9 || (digits[0] == '0' && digits.size() > 1)) return {};
  std::uint64_t n = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return {};
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

std::string timer_id_from(std::string_view case_id, std::uint64_t seq, clock_kind kind) {
  std::string id;
  id.reserve(case_id.size() + 24);
  id.append(case_id).append("/t").append(std::to_string(seq)).append("/").append(to_string(kind));
  return id;
}

// ---------------------------------------------------------------------------------------------
// Defaults: a field is stored only when it differs from the value a default-constructed record
// holds (grade D, kind decision, an open escalation, ...). The list of a record type's default
// values, in the order its field list visits them.
// ---------------------------------------------------------------------------------------------

class default_collector {
 public:
  explicit default_collector(std::vector<const void*>& out) : out_(out) {}
  const word_list& history_types() const { return history_type_words(); }
  const word_list& eligibility_reasons() const { return eligibility_reason_words(); }

  template <class T>
  void operator()(std::uint32_t, const T& value) {
    out_.push_back(&value);
  }
  // These store nothing for an empty string, the default of every field they serve.
  void word(std::uint32_t, std::uint32_t, const std::string&, const word_list&) {}
  void timer_id(std::uint32_t, std::uint32_t, const std::string&, clock_kind) {}
  void event_ref(std::uint32_t, std::uint32_t, const std::string&) {}
  void words(std::uint32_t, std::uint32_t, const std::vector<std::string>&, const word_list&) {}
  template <class T>
  void name(std::uint32_t, std::uint32_t, const T&) {}

 private:
  std::vector<const void*>& out_;
};

template <class T>
const std::vector<const void*>& defaults_of() {
  static const T instance{};
  static const std::vector<const void*> values = [] {
    std::vector<const void*> v;
    default_collector collect{v};
    fields(collect, instance);
    return v;
  }();
  return values;
}

// ---------------------------------------------------------------------------------------------
// Encoder
// ---------------------------------------------------------------------------------------------

class encoder {
 public:
  encoder(std::string& out, const case_record& record) : out_(out), record_(record) {}

  const word_list& history_types() const { return history_type_words(); }
  const word_list& eligibility_reasons() const { return eligibility_reason_words(); }

  template <class R>
  void record(const R& value) {
    const auto* outer_defaults = defaults_;
    const std::size_t outer_next = next_;
    defaults_ = &defaults_of<R>();
    next_ = 0;
    fields(*this, value);
    defaults_ = outer_defaults;
    next_ = outer_next;
  }

  // A field: written only when it differs from the default record's.
  template <class T>
  void operator()(std::uint32_t tag, const T& value) {
    const T& by_default = *static_cast<const T*>((*defaults_)[next_++]);
    if (value == by_default) return;
    varint(tag);
    if constexpr (std::is_same_v<T, bool>) {
      // Presence is the value: the opposite of the default.
    } else if constexpr (is_optional<T>::value) {
      put(*value);  // the default of every optional field is nothing
    } else if constexpr (is_vector<T>::value) {
      varint(value.size());  // the default of every list is empty
      for (const auto& element : value) put(element);
    } else {
      put(value);
    }
  }

  // A known word as its index in words, anything else verbatim; nothing when empty.
  void word(std::uint32_t code_tag, std::uint32_t text_tag, const std::string& value,
            const word_list& words) {
    if (value.empty()) return;
    if (const auto i = words.find(value)) {
      varint(code_tag);
      varint(*i);
      return;
    }
    varint(text_tag);
    put(value);
  }

  // An enum stored by its name's number (its place in enum_names, which versions 1 and 2 wrote as
  // the word's number too): always, when the field is an enum, and when present, when it is an
  // optional one. The name's text form (text_tag) is read, never written.
  template <named_enum E>
  void name(std::uint32_t code_tag, std::uint32_t, E value) {
    varint(code_tag);
    varint(static_cast<std::uint64_t>(value));
  }
  template <named_enum E>
  void name(std::uint32_t code_tag, std::uint32_t text_tag, const std::optional<E>& value) {
    if (value) name(code_tag, text_tag, *value);
  }

  // A list of words, each a known word's number or the word itself: element 2n is the nth word
  // of `words`, 2n + 1 a text of n bytes that follows. Nothing when the list is empty; the
  // list's text form (text_tag, the form before version 3) is read, never written.
  void words(std::uint32_t code_tag, std::uint32_t, const std::vector<std::string>& list,
             const word_list& known) {
    if (list.empty()) return;
    varint(code_tag);
    varint(list.size());
    for (const auto& w : list) {
      if (const auto i = known.find(w)) {
        varint(*i << 1);
      } else {
        varint((w.size() << 1) | 1);
        out_.append(w);
      }
    }
  }

  void timer_id(std::uint32_t seq_tag, std::uint32_t text_tag, const std::string& id,
                clock_kind kind) {
    if (id.empty()) return;
    if (const auto seq = timer_seq_of(id, record_.case_id, kind)) {
      varint(seq_tag);
      varint(*seq);
    } else {
      varint(text_tag);
      put(id);
    }
  }

  void event_ref(std::uint32_t clock_tag, std::uint32_t text_tag, const std::string& id) {
    if (id.empty()) return;
    for (std::size_t i = 0; i < record_.clocks.size(); ++i) {
      if (record_.clocks[i].timer_id == id) {
        varint(clock_tag);
        varint(i);
        return;
      }
    }
    varint(text_tag);
    put(id);
  }

  // One value; a nested record's body length-prefixed.
  template <class T>
  void put(const T& value) {
    if constexpr (is_record_v<T>) {
      const std::size_t start = out_.size();
      record(value);
      const std::size_t length = out_.size() - start;
      char prefix[10];
      const std::size_t n = varint_bytes(length, prefix);
      out_.insert(start, prefix, n);
    } else if constexpr (std::is_same_v<T, std::string>) {
      varint(value.size());
      out_.append(value);
    } else if constexpr (std::is_same_v<T, instant>) {
      const std::int64_t ms = value.time_since_epoch().count();
      if (ms > max_instant_ms || ms < min_instant_ms) {
        throw case_codec_error("case record: an instant is beyond the years the codec stores");
      }
      const std::int64_t delta = ms - base_ms_;
      base_ms_ = ms;
      varint(delta % 1000 == 0 ? zigzag(delta / 1000) << 1 : (zigzag(delta) << 1) | 1);
    } else if constexpr (std::is_enum_v<T>) {
      varint(static_cast<std::uint64_t>(value));
    } else if constexpr (std::is_signed_v<T>) {
      varint(zigzag(value));
    } else {
      varint(value);
    }
  }

 private:
  static std::size_t varint_bytes(std::uint64_t v, char* out) {
    std::size_t n = 0;
    while (v >= 0x80) {
      out[n++] = static_cast<char>((v & 0x7F) | 0x80);
      v >>= 7;
    }
    out[n++] = static_cast<char>(v);
    return n;
  }

  void varint(std::uint64_t v) {
    if (v < 0x80) {  // most tags, lengths and codes: one byte
      out_.push_back(static_cast<char>(v));
      return;
    }
    char bytes[10];
    out_.append(bytes, varint_bytes(v, bytes));
  }

  std::string& out_;
  const case_record& record_;
  std::int64_t base_ms_ = 0;
  const std::vector<const void*>* defaults_ = nullptr;
  std::size_t next_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Decoder: reads the fields in the order of the lists above; a tag that no field of the record
// takes at its place (unknown, repeated or out of order) makes the input corrupt.
// ---------------------------------------------------------------------------------------------

[[noreturn]] void corrupt(const std::string& why) {
  throw case_codec_error("case record is corrupt: " + why);
}

class decoder {
 public:
  decoder(const unsigned char* begin, const unsigned char* end, case_record& record)
      : p_(begin), end_(end), record_(record) {}

  const word_list& history_types() const { return history_type_words(); }
  const word_list& eligibility_reasons() const { return eligibility_reason_words(); }

  // Reads one scope through its field list: the whole record, which ends with the end tag, or
  // a nested record's body, which its length bounds.
  template <class T>
  void scope(T& value, bool terminated) {
    peek();
    fields(*this, value);
    if (terminated) {
      if (!has_tag_) corrupt("truncated");
      if (tag_ != end_tag) corrupt("unexpected field " + std::to_string(tag_));
      has_tag_ = false;
    }
    if (has_tag_) corrupt("unexpected field " + std::to_string(tag_));
    if (p_ != end_) corrupt("trailing bytes");
  }

  template <class T>
  void operator()(std::uint32_t tag, T& value) {
    if (!take(tag)) return;
    if constexpr (std::is_same_v<T, bool>) {
      value = !value;  // presence is the opposite of the default the record starts with
    } else if constexpr (is_optional<T>::value) {
      typename T::value_type inner{};
      get(inner);
      value = std::move(inner);
    } else if constexpr (is_vector<T>::value) {
      const std::uint64_t count = varint();
      // Every element takes at least one byte: a larger count is a lie, refused before it
      // allocates anything.
      if (count == 0 || count > remaining()) corrupt("bad list length");
      value.clear();
      value.reserve(static_cast<std::size_t>(count));
      for (std::uint64_t i = 0; i < count; ++i) {
        value.emplace_back();
        get(value.back());
      }
    } else {
      get(value);
    }
    peek();
  }

  void word(std::uint32_t code_tag, std::uint32_t text_tag, std::string& value,
            const word_list& words) {
    if (take(code_tag)) {
      const std::uint64_t i = varint();
      if (i >= words.size()) corrupt("unknown word " + std::to_string(i));
      value = words[static_cast<std::size_t>(i)];
      peek();
    }
    (*this)(text_tag, value);
  }

  // An enum's number or its name; an enum field (not an optional one) must have one of them.
  template <named_enum E>
  void name(std::uint32_t code_tag, std::uint32_t text_tag, E& value) {
    std::optional<E> read;
    name(code_tag, text_tag, read);
    if (!read) corrupt("field " + std::to_string(code_tag) + " is missing");
    value = *read;
  }
  template <named_enum E>
  void name(std::uint32_t code_tag, std::uint32_t text_tag, std::optional<E>& value) {
    if (take(code_tag)) {
      const std::uint64_t i = varint();
      if (i >= enum_count<E>) corrupt("unknown name " + std::to_string(i));
      value = static_cast<E>(i);
      peek();
    }
    if (take(text_tag)) {
      std::string text;
      get(text);
      value = from_name<E>(text);
      if (!value) corrupt("unknown name \"" + text + "\"");
      peek();
    }
  }

  void words(std::uint32_t code_tag, std::uint32_t text_tag, std::vector<std::string>& list,
             const word_list& known) {
    if (take(code_tag)) {
      const std::uint64_t count = varint();
      if (count == 0 || count > remaining()) corrupt("bad list length");
      list.clear();
      list.reserve(static_cast<std::size_t>(count));
      for (std::uint64_t n = 0; n < count; ++n) {
        const std::uint64_t element = varint();
        if (element & 1) {
          const std::uint64_t length = element >> 1;
          if (length > remaining()) corrupt("truncated");
          list.emplace_back(reinterpret_cast<const char*>(p_), static_cast<std::size_t>(length));
          p_ += length;
        } else {
          const std::uint64_t i = element >> 1;
          if (i >= known.size()) corrupt("unknown word " + std::to_string(i));
          list.push_back(known[static_cast<std::size_t>(i)]);
        }
      }
      peek();
    }
    (*this)(text_tag, list);
  }

  void timer_id(std::uint32_t seq_tag, std::uint32_t text_tag, std::string& id, clock_kind kind) {
    if (take(seq_tag)) {
      id = timer_id_from(record_.case_id, varint(), kind);
      peek();
    }
    (*this)(text_tag, id);
  }

  void event_ref(std::uint32_t clock_tag, std::uint32_t text_tag, std::string& id) {
    if (take(clock_tag)) {
      const std::uint64_t i = varint();
      if (i >= record_.clocks.size()) corrupt("history names an unknown clock");
      id = record_.clocks[static_cast<std::size_t>(i)].timer_id;
      peek();
    }
    (*this)(text_tag, id);
  }

 private:
  std::size_t remaining() const { return static_cast<std::size_t>(end_ - p_); }

  void peek() {
    has_tag_ = p_ != end_;
    if (has_tag_) tag_ = varint();
  }

  bool take(std::uint32_t tag) { return has_tag_ && tag_ == tag; }

  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) corrupt("truncated");
      const unsigned char byte = *p_++;
      if (shift == 63 && byte > 1) corrupt("number too large");
      v |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return v;
    }
    corrupt("number too long");
  }

  template <class T>
  void get(T& value) {
    if constexpr (is_record_v<T>) {
      const std::uint64_t length = varint();
      if (length > remaining()) corrupt("truncated");
      const unsigned char* outer_end = end_;
      end_ = p_ + length;
      scope(value, false);
      end_ = outer_end;
    } else if constexpr (std::is_same_v<T, std::string>) {
      const std::uint64_t length = varint();
      if (length > remaining()) corrupt("truncated");
      value.assign(reinterpret_cast<const char*>(p_), static_cast<std::size_t>(length));
      p_ += length;
    } else if constexpr (std::is_same_v<T, instant>) {
      const std::uint64_t raw = varint();
      const std::int64_t v = unzigzag(raw >> 1);
      // Whole seconds (low bit clear) or milliseconds; a delta spans at most twice the range.
      const std::int64_t unit = (raw & 1) ? 1 : 1000;
      if (v > max_delta_ms / unit || v < -max_delta_ms / unit) {
        corrupt("instant out of range");
      }
      std::int64_t ms = v * unit;
      ms += base_ms_;
      if (ms > max_instant_ms || ms < min_instant_ms) corrupt("instant out of range");
      base_ms_ = ms;
      value = instant{std::chrono::milliseconds{ms}};
    } else if constexpr (std::is_enum_v<T>) {
      const std::uint64_t v = varint();
      if (v >= enum_count<T>) corrupt("enum value out of range");
      value = static_cast<T>(v);
    } else if constexpr (std::is_signed_v<T>) {
      const std::int64_t v = unzigzag(varint());
      if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) {
        corrupt("number out of range");
      }
      value = static_cast<T>(v);
    } else {
      const std::uint64_t v = varint();
      if (v > std::numeric_limits<T>::max()) corrupt("number out of range");
      value = static_cast<T>(v);
    }
  }

  const unsigned char* p_;
  const unsigned char* end_;
  case_record& record_;
  std::int64_t base_ms_ = 0;
  bool has_tag_ = false;
  std::uint64_t tag_ = 0;
};

}  // namespace

void encode_case_to(const case_record& record, std::string& out) {
  out.push_back(static_cast<char>(case_codec_version));
  encoder e{out, record};
  e.record(record);
  out.push_back(static_cast<char>(end_tag));
}

std::string encode_case(const case_record& record) {
  std::string out;
  out.reserve(384);
  encode_case_to(record, out);
  return out;
}

case_record decode_case(std::string_view bytes) {
  if (bytes.empty()) throw case_codec_error("case record is corrupt: empty");
  const auto* begin = reinterpret_cast<const unsigned char*>(bytes.data());
  // Version 1 is version 2 without history fingerprints; version 2 is version 3 with every word
  // as text. All three are read.
  if (begin[0] < 1 || begin[0] > case_codec_version) {
    throw case_codec_error("case record has unknown format version " + std::to_string(begin[0]) +
                           " (this engine reads version " + std::to_string(case_codec_version) +
                           ")");
  }
  case_record record;
  decoder d{begin + 1, begin + bytes.size(), record};
  d.scope(record, true);
  return record;
}

}  // namespace xyp
