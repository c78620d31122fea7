// xyp_codec_bench: the engine's hot path without Redis, in figures (docs/benchmarks.md, "The
// engine's own path"). A program, not a test. It replays an events file through the in-memory
// runtime, keeps every case as the store would write it, and times, per item:
//   - reading an inbound envelope: nlohmann/json's DOM (the old path) and simdjson (the new);
//   - a case: the old JSON document (to_json + dump, parse + from_json) and the binary codec;
//   - an outbound envelope: to_json(e).dump() and the writer.
// Usage: xyp_codec_bench [events.jsonl] [--rounds N]
#include <zlib.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/domain/calendar.hpp"
#include "engine/domain/case_codec.hpp"
#include "engine/domain/json_writer.hpp"
#include "engine/domain/policy.hpp"
#include "engine/runtime/memory_runtime.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

// Calls f(i) for every item, rounds times, and returns ns per item (the best round).
template <class F>
double ns_per_item(std::size_t items, int rounds, F f) {
  double best = 1e300;
  for (int r = 0; r < rounds; ++r) {
    const auto start = clock_type::now();
    for (std::size_t i = 0; i < items; ++i) f(i);
    const double ns = std::chrono::duration<double, std::nano>(clock_type::now() - start).count();
    best = std::min(best, ns / static_cast<double>(items));
  }
  return best;
}

volatile std::size_t sink = 0;

// The size of text compressed on its own with zlib (deflate, level 6, no header, no
// dictionary), as a per-case compression of the stored form would give.
std::size_t deflated_size(const std::string& text) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, text.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  const std::size_t size = z.total_out;
  deflateEnd(&z);
  return size;
}  // keeps the optimiser from dropping the work

std::string stage_of(const xyp::case_record& r) {
  using xyp::case_state;
  switch (r.state) {
    case case_state::applied:
    case case_state::correction_required:
      return "1 applied";
    case case_state::accepted:
    case case_state::accepted_deficient:
    case case_state::supplement_overdue:
      return "2 accepted";
    default:
      return "3 decided or closed";
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string events_file = XYP_CONFIG_DIR "/samples/day.jsonl";
  int rounds = 5;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else if (std::strcmp(argv[i], "--help") == 0) {
      std::cout << "usage: xyp_codec_bench [events.jsonl] [--rounds N]\n";
      return 0;
    } else {
      events_file = argv[i];
    }
  }
  const auto policy = xyp::load_policy(XYP_CONFIG_DIR "/profiles/shilong.json");
  const auto calendar = xyp::working_calendar::load_directory(XYP_CONFIG_DIR "/calendars");
  const xyp::case_processor processor(policy, calendar, xyp::clock_mode::simulated);

  std::vector<std::string> lines;
  {
    std::ifstream in(events_file);
    if (!in) {
      std::cerr << "xyp_codec_bench: cannot read " << events_file << "\n";
      return 2;
    }
    for (std::string line; std::getline(in, line);) lines.push_back(line);
  }

  // Every case write and outbound envelope of the replay, as a store would receive them.
  std::vector<xyp::case_record> writes;
  std::vector<xyp::outbound_event> outbound;
  xyp::memory_runtime runtime(processor, 1);
  runtime.set_listener([&](std::uint32_t, const xyp::commit_unit& unit) {
    for (const auto& w : unit.cases) writes.push_back(w.record);
    for (const auto& o : unit.outbound) outbound.push_back(o);
  });
  const auto replay_start = clock_type::now();
  for (const auto& line : lines) runtime.submit(line);
  const double replay_s = std::chrono::duration<double>(clock_type::now() - replay_start).count();

  std::printf("events file: %s (%zu lines)\n", events_file.c_str(), lines.size());
  std::printf(
      "replay in memory: %.3f s, %.1f us per line (one run, includes the first-time "
      "allocations)\n",
      replay_s, replay_s * 1e6 / static_cast<double>(lines.size()));
  std::printf("case writes: %zu, outbound envelopes: %zu\n\n", writes.size(), outbound.size());

  // Envelopes.
  std::size_t agree = 0;
  for (const auto& line : lines) {
    const auto a = xyp::parse_envelope(line);
    const auto b = xyp::parse_envelope_reference(line);
    agree += a.index() == b.index() ? 1 : 0;
  }
  const double env_old = ns_per_item(lines.size(), rounds, [&](std::size_t i) {
    sink = sink + xyp::parse_envelope_reference(lines[i]).index();
  });
  const double env_new = ns_per_item(lines.size(), rounds, [&](std::size_t i) {
    sink = sink + xyp::parse_envelope(lines[i]).index();
  });
  std::printf(
      "inbound envelope, ns per line: nlohmann DOM %.0f, simdjson %.0f (x%.1f); "
      "same outcome on %zu of %zu lines\n",
      env_old, env_new, env_old / env_new, agree, lines.size());

  // Cases: sizes by stage.
  struct sizes {
    std::size_t n = 0, json = 0, binary = 0, binary_max = 0, binary_deflated = 0;
  };
  std::map<std::string, sizes> by_stage;
  std::vector<std::string> encoded, documents;
  encoded.reserve(writes.size());
  documents.reserve(writes.size());
  for (const auto& r : writes) {
    encoded.push_back(xyp::encode_case(r));
    documents.push_back(nlohmann::json(r).dump());
    const std::size_t deflated = deflated_size(encoded.back());
    for (const auto& key : {stage_of(r), std::string("all")}) {
      auto& s = by_stage[key];
      ++s.n;
      s.json += documents.back().size();
      s.binary += encoded.back().size();
      s.binary_max = std::max(s.binary_max, encoded.back().size());
      s.binary_deflated += deflated;
    }
  }
  std::size_t round_trips = 0;
  for (std::size_t i = 0; i < writes.size(); ++i) {
    round_trips += xyp::decode_case(encoded[i]) == writes[i] ? 1 : 0;
  }
  std::printf("case bytes as written (mean; binary max; binary deflated), by stage:\n");
  for (const auto& [stage, s] : by_stage) {
    if (s.n == 0) continue;
    const auto mean = [&](std::size_t total) {
      return static_cast<double>(total) / static_cast<double>(s.n);
    };
    std::printf("  %-22s %7zu writes   JSON %6.0f B   binary %5.0f B (max %zu; deflated %.0f B)\n",
                stage.c_str(), s.n, mean(s.json), mean(s.binary), s.binary_max,
                mean(s.binary_deflated));
  }
  std::printf("  round trips exact: %zu of %zu\n", round_trips, writes.size());

  const std::size_t n = writes.size();
  const double enc_old = ns_per_item(
      n, rounds, [&](std::size_t i) { sink = sink + nlohmann::json(writes[i]).dump().size(); });
  const double enc_new = ns_per_item(
      n, rounds, [&](std::size_t i) { sink = sink + xyp::encode_case(writes[i]).size(); });
  const double dec_old = ns_per_item(n, rounds, [&](std::size_t i) {
    sink = sink + nlohmann::json::parse(documents[i]).get<xyp::case_record>().version;
  });
  const double dec_new = ns_per_item(
      n, rounds, [&](std::size_t i) { sink = sink + xyp::decode_case(encoded[i]).version; });
  std::printf(
      "case, ns per case: encode JSON %.0f, binary %.0f (x%.1f); decode JSON %.0f, "
      "binary %.0f (x%.1f)\n",
      enc_old, enc_new, enc_old / enc_new, dec_old, dec_new, dec_old / dec_new);

  // Outbound envelopes.
  std::size_t identical = 0;
  for (const auto& o : outbound) {
    std::string text;
    xyp::append_outbound(text, o);
    identical += text == xyp::to_json(o).dump() ? 1 : 0;
  }
  const double out_old = ns_per_item(outbound.size(), rounds, [&](std::size_t i) {
    sink = sink + xyp::to_json(outbound[i]).dump().size();
  });
  std::string buffer;
  const double out_new = ns_per_item(outbound.size(), rounds, [&](std::size_t i) {
    buffer.clear();
    xyp::append_outbound(buffer, outbound[i]);
    sink = sink + buffer.size();
  });
  // The data is text the builders wrote: what a reader off the hot path pays for a DOM of it.
  const double out_data = ns_per_item(outbound.size(), rounds, [&](std::size_t i) {
    sink = sink + outbound[i].data.parsed().size();
  });
  std::printf(
      "outbound envelope, ns per envelope: to_json+dump (parses the data) %.0f, writer %.0f "
      "(x%.1f); parsing the data text %.0f; identical text on %zu of %zu\n",
      out_old, out_new, out_old / out_new, out_data, identical, outbound.size());
  return round_trips == writes.size() && identical == outbound.size() ? 0 : 1;
}
