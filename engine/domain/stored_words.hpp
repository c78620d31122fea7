#pragma once
// Words the stored forms (engine/domain/case_codec, engine/domain/ledger_record) keep as numbers: a
// word's number is its place in its list. Appending to a list is compatible; reordering or removing
// is not, since stored records hold the numbers.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xyp {

// A list of words and a lookup of a word's number.
class word_list {
 public:
  explicit word_list(std::vector<std::string> words) : words_(std::move(words)) {
    // Every encode looks several words up: an open-addressed table on a hash of a few of the
    // word's bytes, a quarter full at most, is ~4x cheaper than std::unordered_map here.
    while (slots_.size() < 4 * words_.size()) slots_.resize(slots_.size() * 2);
    for (std::size_t i = 0; i < words_.size(); ++i) {
      std::size_t at = slot_of(words_[i]);
      while (slots_[at] != 0) at = (at + 1) & (slots_.size() - 1);
      slots_[at] = static_cast<std::uint32_t>(i + 1);
    }
  }

  std::size_t size() const { return words_.size(); }
  const std::string& operator[](std::size_t i) const { return words_[i]; }
  std::optional<std::size_t> find(std::string_view word) const {
    for (std::size_t at = slot_of(word); slots_[at] != 0; at = (at + 1) & (slots_.size() - 1)) {
      if (words_[slots_[at] - 1] == word) return slots_[at] - 1;
    }
    return std::nullopt;
  }

 private:
  std::size_t slot_of(std::string_view w) const {
    std::size_t h = w.size() * 0x9E3779B1u;
    if (!w.empty()) {
      h ^= static_cast<unsigned char>(w.front()) * 31u +
           static_cast<unsigned char>(w.back()) * 131u +
           static_cast<unsigned char>(w[w.size() / 2]) * 1031u +
           static_cast<unsigned char>(w[w.size() / 3]) * 7919u;
    }
    h ^= h >> 7;
    return h & (slots_.size() - 1);
  }

  std::vector<std::string> words_;
  std::vector<std::uint32_t> slots_ = std::vector<std::uint32_t>(8, 0);  // word number + 1; 0 free
};

// The words of the jurisdiction profiles shipped in config/profiles when case codec version 3 was
// made. They are a table for compression, not a rule: a profile with a word not listed here has
// it stored as text, which costs bytes and nothing else. Append a profile's new words at the end
// of their list (tests/engine/domain/case_codec_test checks that the shipped profiles' words are
// all here).
const word_list& matter_code_words();
const word_list& department_words();
const word_list& material_words();
const word_list& privilege_words();
// Where credit reports come from (the `source` of credit.update).
const word_list& credit_source_words();

}  // namespace xyp
