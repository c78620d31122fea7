#pragma once
// A latency histogram of fixed size, whatever the number of samples: log-linear buckets (128 per
// power of two, so a percentile is off by under 1 %), in integer units the caller chooses.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace xyp::bench {

class histogram {
 public:
  histogram() : counts_(bucket_count, 0) {}

  void record(std::int64_t value) {
    const auto v = static_cast<std::uint64_t>(std::max<std::int64_t>(value, 0));
    ++counts_[index_of(v)];
    ++count_;
    sum_ += static_cast<double>(v);
    max_ = std::max(max_, v);
  }

  void merge(const histogram& other) {
    for (std::size_t i = 0; i < bucket_count; ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    max_ = std::max(max_, other.max_);
  }

  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_); }

  // The smallest recorded value v such that a share p (0..1) of the samples is <= v, to within
  // the bucket's width (the bucket's midpoint is returned); 0 when empty.
  std::uint64_t percentile(double p) const {
    if (count_ == 0) return 0;
    const auto rank =
        static_cast<std::uint64_t>(std::max(1.0, std::ceil(p * static_cast<double>(count_))));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bucket_count; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(midpoint_of(i), max_);
    }
    return max_;
  }

  // Sparse [[bucket, count], ...] plus the totals: how the engine process hands its histograms
  // to the bench.
  nlohmann::json to_json() const {
    nlohmann::json buckets = nlohmann::json::array();
    for (std::size_t i = 0; i < bucket_count; ++i) {
      if (counts_[i] != 0) buckets.push_back({i, counts_[i]});
    }
    return {{"buckets", buckets}, {"count", count_}, {"sum", sum_}, {"max", max_}};
  }

  static histogram from_json(const nlohmann::json& j) {
    histogram h;
    for (const auto& b : j.at("buckets")) {
      h.counts_.at(b.at(0).get<std::size_t>()) = b.at(1).get<std::uint64_t>();
    }
    h.count_ = j.at("count").get<std::uint64_t>();
    h.sum_ = j.at("sum").get<double>();
    h.max_ = j.at("max").get<std::uint64_t>();
    return h;
  }

 private:
  static constexpr unsigned sub_bits = 7;
  static constexpr std::uint64_t sub = 1u << sub_bits;
  static constexpr std::size_t bucket_count = (64 - sub_bits + 1) * sub;

  // Values below 128 have a bucket each; above, the top 8 significant bits choose the bucket.
  static std::size_t index_of(std::uint64_t v) {
    if (v < sub) return static_cast<std::size_t>(v);
    const unsigned shift = static_cast<unsigned>(std::bit_width(v)) - (sub_bits + 1);
    return static_cast<std::size_t>((shift + 1) * sub + ((v >> shift) - sub));
  }

  static std::uint64_t midpoint_of(std::size_t i) {
    if (i < sub) return i;
    const std::size_t shift = i / sub - 1;
    const std::uint64_t low = (sub + i % sub) << shift;
    return low + ((std::uint64_t{1} << shift) >> 1);
  }

  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  double sum_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace xyp::bench
