#pragma once
// How a case is stored: the one encoder and decoder every writer and reader of a stored case goes
// through (the runtime's commits, the HTTP API, `status`).
#include <string>
#include <string_view>

#include "engine/case_record.hpp"

namespace xyp {

// The stored form of a case, version included.
std::string encode_case(const case_record& record);

// Reads a stored case back; throws std::runtime_error (or a json error) on corrupt input.
case_record decode_case(std::string_view stored);

}  // namespace xyp
