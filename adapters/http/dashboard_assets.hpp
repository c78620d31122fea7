#pragma once
// The dashboard's files (adapters/http/dashboard/), embedded at build time by embed_assets.cmake.
#include <span>
#include <string_view>

namespace xyp::http {

struct static_asset {
  std::string_view name;  // file name, e.g. "index.html"
  std::string_view content_type;
  std::string_view body;
};

std::span<const static_asset> embedded_assets();

}  // namespace xyp::http
