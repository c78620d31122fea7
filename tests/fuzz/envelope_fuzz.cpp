// libFuzzer: any bytes through the envelope parser and the processor. Nothing may throw or
// crash; a rejection must carry a sentence.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/domain/event.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  const auto parsed = xyp::parse_envelope(raw);
  if (const auto* refused = std::get_if<xyp::rejection>(&parsed)) {
    if (refused->detail.empty()) std::abort();
  } else {
    const auto& event = std::get<xyp::inbound_event>(parsed);
    if (event.id.empty() || event.id.size() > 128 * 4) std::abort();
  }
  return 0;
}
