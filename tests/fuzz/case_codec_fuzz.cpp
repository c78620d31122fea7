// libFuzzer: any bytes through the case decoder. It either refuses them with case_codec_error or
// returns a record that encodes and decodes to itself and renders as JSON; nothing else.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "engine/domain/case_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  xyp::case_record record;
  try {
    record = xyp::decode_case(bytes);
  } catch (const xyp::case_codec_error&) {
    return 0;
  }
  if (!(xyp::decode_case(xyp::encode_case(record)) == record)) std::abort();
  const nlohmann::json rendered = record;
  if (!rendered.is_object()) std::abort();
  return 0;
}
