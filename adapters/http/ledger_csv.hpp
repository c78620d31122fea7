#pragma once
// The registration ledger as a spreadsheet (000 attachment 1, plus satisfaction): GET
// /api/v1/ledger?format=csv. Chinese headers and labels, rows numbered as a paper register is.
#include <string>
#include <string_view>

#include "adapters/http/ports.hpp"

namespace xyp::http {

// The register's wording for a result and a satisfaction rating; an unknown value as it is.
std::string_view result_label(std::string_view result);
std::string_view satisfaction_label(const std::optional<std::string>& rating);

// 编号 numbers the rows of this export 1, 2, 3..., as a paper register does (contract 1.1).
// Contacts masked for a viewer.
std::string ledger_csv(const ledger_result& ledger, bool mask_contacts);

}  // namespace xyp::http
