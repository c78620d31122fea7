#pragma once
// Responses: the message types, JSON bodies and the API's error shape, and the renderer that
// turns what the ports answer into the API's JSON.
#include <map>
#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <nlohmann/json.hpp>

#include "adapters/http/ports.hpp"

namespace xyp::http {

using request = boost::beast::http::request<boost::beast::http::string_body>;
using response = boost::beast::http::response<boost::beast::http::string_body>;

inline constexpr std::string_view json_type = "application/json; charset=utf-8";
inline constexpr std::string_view csv_type = "text/csv; charset=utf-8";

// Cache-Control: no-store and nosniff: every answer that holds data.
void no_store(response& res);
response json_response(unsigned status, const nlohmann::json& body, unsigned version);
// A JSON error body {"error": code, "detail": detail} with the given status.
response error_response(unsigned status, std::string_view code, std::string_view detail,
                        unsigned version = 11);
response bad_request(std::string_view detail, unsigned version);
// 405 with Allow.
response method_not_allowed(std::string_view allow, unsigned version);

std::string time_text(instant t);

// The ports' answers as the API's JSON (CONTRACT.md, docs/openapi.json): a viewer's with
// contacts and personal id numbers masked, matters named from the profile.
class renderer {
 public:
  renderer(bool mask, const std::map<std::string, std::string>& matter_names)
      : mask_(mask), matter_names_(matter_names) {}

  std::string matter_name(const std::string& code) const;
  void mask_applicant(nlohmann::json& applicant_id, nlohmann::json& applicant,
                      applicant_kind kind) const;
  nlohmann::json full_case(const case_record& r) const;
  nlohmann::json case_line(const case_record& r) const;
  nlohmann::json escalation(const open_escalation& e) const;
  nlohmann::json summary(const dashboard_summary& s) const;

  // `no` is the row's number in this export; the partition's own number stays beside it.
  nlohmann::json ledger_line(const ledger_row& row, std::size_t export_no) const;

  bool masks() const { return mask_; }

 private:
  nlohmann::json brief(const case_record& r) const;

  bool mask_;
  const std::map<std::string, std::string>& matter_names_;
};

}  // namespace xyp::http
