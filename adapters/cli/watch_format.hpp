#pragma once
// `xinyipi watch --pretty`: one readable line per outbound event, in full (never cut at the
// terminal's edge), coloured by type when the output is a terminal.
#include <string>
#include <string_view>

namespace xyp::cli {

// "2026-11-23T09:30:00+08:00  ZZ-2026-000001  case.transitioned  applied -> accepted  track
// commitment". Text that is not an outbound envelope comes back as it is.
std::string pretty_event(std::string_view envelope, bool colour);

}  // namespace xyp::cli
