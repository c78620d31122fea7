#pragma once
// What the Redis runtime's tests share: the sample day's lines, and an observer that counts what
// the runtime commits and stops it once every stream entry written has been committed.
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "adapters/redis/runtime.hpp"

namespace xyp::test {

// config/samples/day.jsonl, one envelope a line.
inline std::vector<std::string> sample_day() {
  std::ifstream in(XYP_CONFIG_DIR "/samples/day.jsonl");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// Stops the runtime once it has committed as many stream entries as were written.
class counting_observer : public redis::runtime_observer {
 public:
  counting_observer(redis::runtime*& engine, std::uint64_t expected)
      : engine_(engine), expected_(expected) {}
  void committed(std::uint32_t, const commit_unit& unit, redis::commit_status status) override {
    if (unit.consumed_timer.empty()) ++entries;
    // A repeat in the same batch is caught by the overlay, one in a later batch by the script.
    if (unit.ignored || status == redis::commit_status::duplicate) ++duplicates;
    if (entries >= expected_ && engine_) engine_->stop();
  }
  void conflict(std::uint32_t) override { ++conflicts; }
  std::uint64_t entries = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t conflicts = 0;

 private:
  redis::runtime*& engine_;
  std::uint64_t expected_;
};

}  // namespace xyp::test
