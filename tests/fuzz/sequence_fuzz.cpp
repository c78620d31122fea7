// libFuzzer: random sequences of well-formed events over a few applicants and cases, through the
// in-memory runtime under the Shilong profile. After every event: each case is in exactly one
// known state, no clock stays armed on a closed case, every outbound event has a cause.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/domain/calendar.hpp"
#include "engine/domain/policy.hpp"
#include "engine/runtime/memory_runtime.hpp"

namespace {

using nlohmann::json;

struct world {
  xyp::jurisdiction_policy policy = xyp::load_policy(XYP_CONFIG_DIR "/profiles/shilong.json");
  xyp::working_calendar calendar =
      xyp::working_calendar::load_directory(XYP_CONFIG_DIR "/calendars");
  std::vector<std::string> matters;
  std::vector<std::string> materials;
  world() {
    for (const auto& [code, m] : policy.matters) {
      matters.push_back(code);
      for (const auto& x : m.main_materials) materials.push_back(x);
      for (const auto& x : m.auxiliary_materials) materials.push_back(x);
    }
  }
};

const world& the_world() {
  static const world w;
  return w;
}

// Reads the fuzzer's bytes one choice at a time; zeros once they run out.
class choices {
 public:
  choices(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool more() const { return pos_ < size_; }
  unsigned next(unsigned n) { return pos_ < size_ ? data_[pos_++] % n : 0; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

const char* applicants[] = {"11010519491231002X", "440524188001010014", "91350100M000100Y43"};
const char* grades[] = {"AAA", "AA", "A", "A-", "B", "C"};

json materials_of(choices& c, const world& w) {
  json list = json::array();
  const unsigned n = c.next(6);
  for (unsigned i = 0; i < n; ++i)
    list.push_back(w.materials[c.next(static_cast<unsigned>(w.materials.size()))]);
  return list;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const world& w = the_world();
  const xyp::case_processor processor(w.policy, w.calendar, xyp::clock_mode::simulated);
  xyp::memory_runtime runtime(processor, 2);
  runtime.set_listener([](std::uint32_t, const xyp::commit_unit& unit) {
    for (const auto& o : unit.outbound) {
      if (o.cause.empty() || o.id.empty()) std::abort();
    }
  });
  choices c(data, size);
  int minutes = 0;
  for (int n = 0; c.more() && n < 64; ++n) {
    minutes += static_cast<int>(c.next(4)) * 600;  // up to 30 hours between events
    const auto at = xyp::format_rfc3339(*xyp::parse_rfc3339("2026-11-23T09:00:00+08:00") +
                                        std::chrono::minutes(minutes));
    const unsigned who = c.next(3);
    const std::string applicant = applicants[who];
    const std::string case_id = "C-" + std::to_string(c.next(4));
    json e = {{"id", "e" + std::to_string(n)},
              {"applicant_id", applicant},
              {"at", at},
              {"case_id", case_id}};
    switch (c.next(11)) {
      case 0:
        e["type"] = "credit.update";
        e.erase("case_id");
        e["data"] = {{"grade", grades[c.next(6)]}, {"blacklisted", c.next(5) == 0}};
        break;
      case 1:
        e["type"] = "case.apply";
        e["data"] = {{"matter", w.matters[c.next(static_cast<unsigned>(w.matters.size()))]},
                     {"applicant", {{"kind", who == 2 ? "enterprise" : "person"}, {"name", "x"}}},
                     {"channel", c.next(2) ? "window" : "online"},
                     {"credit_track", c.next(4) != 0},
                     {"commitment_signed", c.next(4) != 0},
                     {"materials", materials_of(c, w)}};
        break;
      case 2:
        e["type"] = "case.accept";
        e["data"] = {{"materials", materials_of(c, w)},
                     {"verdict", c.next(8) ? "accept" : "reject"}};
        break;
      case 3:
        e["type"] = "case.supplement";
        e["data"] = {{"materials", materials_of(c, w)}};
        if (e["data"]["materials"].empty()) e["data"]["materials"].push_back(w.materials[0]);
        break;
      case 4:
        e["type"] = "case.decide";
        e["data"] = {{"outcome", c.next(4) ? "approve" : "deny"}};
        break;
      case 5:
        e["type"] = "case.withdraw";
        e["data"] = {{"scope", c.next(2) ? "credit_track" : "application"}};
        break;
      case 6:
        e["type"] = "case.terminate";
        e["data"] = {{"reason", "fuzz"}};
        break;
      case 7:
        e["type"] = "case.verify";
        e["data"] = {{"result", c.next(3) ? "fulfilled" : "breached"}};
        break;
      case 8:
        e["type"] = "case.feedback";
        e["data"] = {{"rating", "basic"}};
        break;
      default:
        e = {{"id", "e" + std::to_string(n)},
             {"type", "clock.advance"},
             {"at", at},
             {"data", {{"to", at}}}};
        break;
    }
    runtime.submit(e.dump());
    for (std::uint32_t p = 0; p < runtime.partitions(); ++p) {
      for (const auto& [id, record] : runtime.partition(p).cases()) {
        if (const auto broken = xyp::invariant_violation(record)) {
          std::cerr << "invariant broken on " << id << ": " << *broken << "\n"
                    << json(record).dump(2) << "\n";
          std::abort();
        }
      }
    }
  }
  return 0;
}
