#include "engine/case_codec.hpp"

#include <nlohmann/json.hpp>

namespace xyp {

std::string encode_case(const case_record& record) {
  return nlohmann::json(record).dump();
}

case_record decode_case(std::string_view stored) {
  return nlohmann::json::parse(stored).get<case_record>();
}

}  // namespace xyp
