#pragma once
// What the stored forms share (engine/domain/case_codec, applicant_record, ledger_record): varints,
// zigzag for signed values, length-prefixed strings, and a reader over stored bytes that refuses
// what it cannot read with the form's own error.
#include <cstdint>
#include <string>
#include <string_view>

namespace xyp {

inline std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

inline std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

inline void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

inline void put_string(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

// Reads stored bytes in order. `Form` names the error to throw (Form::error, constructible from a
// string) and what is read (Form::what, the message's prefix).
template <class Form>
class byte_reader {
 public:
  explicit byte_reader(std::string_view bytes) : bytes_(bytes) {}

  unsigned char byte() {
    if (at_ >= bytes_.size()) fail("truncated");
    return static_cast<unsigned char>(bytes_[at_++]);
  }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const unsigned char b = byte();
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    fail("a varint longer than 64 bits");
  }
  std::string_view bytes(std::uint64_t n) {
    if (n > bytes_.size() - at_) fail("truncated");
    const auto s = bytes_.substr(at_, n);
    at_ += n;
    return s;
  }
  bool done() const { return at_ == bytes_.size(); }

  [[noreturn]] static void fail(const std::string& why) {
    throw typename Form::error(std::string(Form::what) + ": " + why);
  }

 private:
  std::string_view bytes_;
  std::size_t at_ = 0;
};

}  // namespace xyp
