#include "adapters/cli/watch_format.hpp"

#include <nlohmann/json.hpp>

#include "engine/domain/case_record.hpp"

namespace xyp::cli {
namespace {

using json = nlohmann::json;

constexpr std::string_view reset = "\x1b[0m";
constexpr std::string_view dim = "\x1b[2m";
constexpr std::string_view bold = "\x1b[1m";
constexpr std::string_view red = "\x1b[31m";
constexpr std::string_view green = "\x1b[32m";
constexpr std::string_view yellow = "\x1b[33m";
constexpr std::string_view magenta = "\x1b[35m";
constexpr std::string_view cyan = "\x1b[36m";

std::string text_of(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// " due <time>", marked when it was counted over a year without a notice (contract 1.1).
std::string due(const json& data, const char* key, const char* label) {
  const std::string at = text_of(data, key);
  if (at.empty()) return {};
  std::string out = std::string("  ") + label + " " + at;
  if (data.value("provisional", false)) out += " (provisional)";
  return out;
}

std::string list_of(const json& data, const char* key) {
  const auto it = data.find(key);
  if (it == data.end() || !it->is_array() || it->empty()) return {};
  std::string out;
  for (const auto& item : *it) {
    if (!out.empty()) out += ",";
    out += item.is_string() ? item.get<std::string>() : item.dump();
  }
  return out;
}

// What the line says after the type, per type of the contract's outbound table.
std::string details(const std::string& type, const json& data) {
  if (type == "case.transitioned") {
    const std::string from = text_of(data, "from");
    std::string out = (from.empty() ? std::string("(new)") : from) + " -> " + text_of(data, "to");
    out += "  track " + text_of(data, "track");
    if (const auto p = list_of(data, "privileges"); !p.empty()) out += "  privileges " + p;
    return out;
  }
  if (type == "case.notice") {
    std::string out = text_of(data, "kind");
    if (const auto d = text_of(data, "detail"); !d.empty()) out += ": " + d;
    if (const auto m = list_of(data, "missing"); !m.empty()) out += "  missing " + m;
    if (const auto c = text_of(data, "clock"); !c.empty()) out += "  clock " + c;
    if (const auto p = text_of(data, "previous_due_at"); !p.empty()) out += "  was " + p;
    return out + due(data, "due_at", "due");
  }
  if (type == "escalation.raised") {
    return text_of(data, "level") + " " + text_of(data, "clock") + "  " +
           text_of(data, "department") + due(data, "due_at", "due");
  }
  if (type == "credit.hook") {
    std::string out = text_of(data, "kind");
    if (const auto d = text_of(data, "detail"); !d.empty()) out += ": " + d;
    return out + due(data, "due_at", "due");
  }
  if (type == "publicity.report") {
    std::string out = text_of(data, "decision");
    if (const auto s = text_of(data, "scheme"); !s.empty()) out += " (" + s + ")";
    return out + due(data, "due_by", "report by");
  }
  if (type == "ledger.entry") {
    return "no " + text_of(data, "no") + "  " + text_of(data, "matter") + "  " +
           text_of(data, "result");
  }
  return data.is_null() ? std::string() : data.dump();
}

std::string_view colour_of(const std::string& type, const json& data) {
  if (type == "case.transitioned") return green;
  if (type == "escalation.raised") {
    const auto level = from_name<escalation_level>(text_of(data, "level"));
    return level == escalation_level::overdue ? red : yellow;
  }
  if (type == "case.notice") return cyan;
  if (type == "credit.hook") return magenta;
  return bold;
}

}  // namespace

std::string pretty_event(std::string_view envelope, bool colour) {
  const auto doc = json::parse(envelope, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::string(envelope);
  const std::string type = text_of(doc, "type");
  const json data = doc.contains("data") ? doc["data"] : json();
  const auto paint = [&](std::string_view code, const std::string& text) {
    return colour ? std::string(code) + text + std::string(reset) : text;
  };
  const std::string case_id = text_of(doc, "case_id");
  return paint(dim, text_of(doc, "at")) + "  " + (case_id.empty() ? "-" : case_id) + "  " +
         paint(colour_of(type, data), type) + "  " + details(type, data);
}

}  // namespace xyp::cli
