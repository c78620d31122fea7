#include "engine/domain/json_text.hpp"

#include <nlohmann/json.hpp>

namespace xyp {

json_text json_text::of(const nlohmann::json& dom) {
  return json_text(dom.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

nlohmann::json json_text::parsed() const {
  return nlohmann::json::parse(text_);
}

}  // namespace xyp
