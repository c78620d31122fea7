// ceiling: redis-benchmark against the same server.
#include "bench/scenario_support.hpp"

#include <unistd.h>
#include <cmath>
#include <iostream>
#include "adapters/redis/keys.hpp"
#include "bench/bench_support.hpp"
#include "bench/engine_child.hpp"
#include "bench/histogram.hpp"
#include "engine/domain/calendar.hpp"
#include "engine/domain/policy.hpp"
#include "engine/runtime/processor.hpp"
#include "support/redis_server.hpp"

namespace xyp::bench {

namespace {

double requests_per_second(const std::string& output) {
  const auto at = output.rfind(" requests per second");
  if (at == std::string::npos) throw std::runtime_error("redis-benchmark said: " + output);
  auto begin = output.rfind(' ', at - 1);
  return std::stod(output.substr(begin + 1, at - begin - 1));
}

}  // namespace

void bench_ceiling(const bench_context& ctx, std::optional<double> drained) {
  const auto& o = ctx.options;
  flush_all(ctx);
  auto c = ctx.client();
  const auto n = std::to_string(o.scaled(o.ceiling_requests));
  const auto port = std::to_string(ctx.server.port());
  // A typical inbound envelope as the payload.
  const auto sample = realistic_lines(ctx.policy, ctx.calendar, 200);
  std::string payload = sample.front();
  for (const auto& line : sample) {
    if (field_of(line, "type") == "case.apply") {
      payload = line;
      break;
    }
  }
  const std::vector<std::string> xadd{
      "redis-benchmark", "-p", port,    "-P",   "64", "-n", n, "-q", "XADD",
      "bench:ceiling",   "*",  "event", payload};
  const double xadd_rps = requests_per_second(run_and_capture(xadd));
  c.command({"DEL", "bench:ceiling"});
  const auto sha = c.command({"SCRIPT", "LOAD", "return 1"}).as_string();
  const std::vector<std::string> evalsha{"redis-benchmark", "-p", port, "-P", "64", "-n", n, "-q",
                                         "EVALSHA",         sha,  "0"};
  const double evalsha_rps = requests_per_second(run_and_capture(evalsha));
  std::cout << "ceiling: pipelined XADD " << std::llround(xadd_rps) << " req/s (" << payload.size()
            << "-byte event), EVALSHA of an empty script " << std::llround(evalsha_rps)
            << " req/s\n";
  if (drained) {
    std::cout << "  drain at " << std::llround(*drained) << " events/s is "
              << fixed(100.0 * *drained / xadd_rps, 1) << " % of pipelined XADD and "
              << fixed(100.0 * *drained / evalsha_rps, 1) << " % of empty EVALSHA\n";
  }
  std::cout << "  redis-benchmark -p " << port << " -P 64 -n " << n
            << " -q XADD bench:ceiling '*' event '<the event>'; redis-benchmark -p " << port
            << " -P 64 -n " << n << " -q EVALSHA " << sha << " 0\n";
  std::cout << reproduce(o, "ceiling") << "\n";
}

}  // namespace xyp::bench
