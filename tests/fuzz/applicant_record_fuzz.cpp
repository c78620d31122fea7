// libFuzzer: any bytes through the applicant record decoder. It either refuses them with
// applicant_codec_error or returns a record that encodes and decodes to itself; nothing else.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/domain/applicant_record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  xyp::applicant_record record;
  try {
    record = xyp::decode_applicant(bytes);
  } catch (const xyp::applicant_codec_error&) {
    return 0;
  }
  if (!(xyp::decode_applicant(xyp::encode_applicant(record)) == record)) std::abort();
  return 0;
}
