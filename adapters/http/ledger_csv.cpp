#include "adapters/http/ledger_csv.hpp"

#include <map>

#include "adapters/http/auth.hpp"
#include "adapters/http/csv.hpp"

namespace xyp::http {

std::string_view result_label(std::string_view result) {
  static const std::map<std::string_view, std::string_view> labels{
      {"approved", "准予许可"},  {"denied", "不予许可"},     {"rejected", "不予受理"},
      {"withdrawn", "撤回申请"}, {"terminated", "终止办理"}, {"defaulted", "容缺未补正"},
      {"revoked", "违诺撤销"},   {"verified", "核查履诺"}};
  const auto it = labels.find(result);
  return it == labels.end() ? result : it->second;
}

std::string_view satisfaction_label(const std::optional<std::string>& rating) {
  static const std::map<std::string_view, std::string_view> labels{
      {"very_satisfied", "非常满意"},
      {"satisfied", "满意"},
      {"basic", "基本满意"},
      {"unsatisfied", "不满意"},
      {"very_unsatisfied", "非常不满意"}};
  if (!rating) return "";
  const auto it = labels.find(*rating);
  return it == labels.end() ? std::string_view(*rating) : it->second;
}

// 编号 numbers the rows of this export 1, 2, 3..., as a paper register does (contract 1.1).
std::string ledger_csv(const ledger_result& ledger, bool mask_contacts) {
  std::string out(utf8_bom);
  out += "编号,日期,诚信个人姓名,诚信级别,联系方式,办理事项,承办部门,办理结果,满意度\r\n";
  std::size_t export_no = 0;
  for (const auto& row : ledger.rows) {
    const std::string no = std::to_string(++export_no);
    const std::string contact = mask_contacts ? mask_contact(row.contact) : row.contact;
    const std::string_view cells[] = {no,
                                      row.date,
                                      row.name,
                                      row.credit_level,
                                      contact,
                                      row.matter,
                                      row.department,
                                      result_label(row.result),
                                      satisfaction_label(row.satisfaction)};
    bool first = true;
    for (const auto cell : cells) {
      if (!first) out += ',';
      first = false;
      out += csv_cell(cell);
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace xyp::http
