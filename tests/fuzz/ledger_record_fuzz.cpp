// libFuzzer: any bytes through the ledger row decoder. It either refuses them with
// ledger_codec_error or returns a row that encodes and decodes to itself; nothing else.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/domain/ledger_record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  xyp::ledger_record row;
  try {
    row = xyp::decode_ledger(bytes);
  } catch (const xyp::ledger_codec_error&) {
    return 0;
  }
  if (!(xyp::decode_ledger(xyp::encode_ledger(row)) == row)) std::abort();
  return 0;
}
