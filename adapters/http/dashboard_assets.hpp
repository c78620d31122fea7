#pragma once
// The dashboard's files (adapters/http/dashboard/) and the API's description (docs/openapi.json),
// embedded at build time by embed_assets.cmake.
#include <span>
#include <string_view>

namespace xyp::http {

struct static_asset {
  std::string_view name;  // file name, e.g. "index.html"
  std::string_view content_type;
  std::string_view body;
};

std::span<const static_asset> embedded_assets();

// docs/openapi.json, embedded the same way: one entry.
std::span<const static_asset> api_description_assets();

}  // namespace xyp::http
