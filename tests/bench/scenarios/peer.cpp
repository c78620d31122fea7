// peer: a Node.js worker on BullMQ and XState (tests/bench/peer), against the same Redis in the
// same run: apply, accept and decide per case, each a GET, one transition and one MULTI.
#include "bench/scenario_support.hpp"

#include <unistd.h>
#include <algorithm>
#include <cmath>
#include <filesystem>
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

void bench_peer(const bench_context& ctx, std::optional<double> drained) {
  const auto& o = ctx.options;
  const fs::path dir = XYP_PEER_DIR;
  if (!fs::exists(dir / "node_modules")) {
    std::cout << "peer: not run (" << (dir / "node_modules").string()
              << " missing: scripts/bench.sh installs it with npm)\n";
    return;
  }
  flush_all(ctx);
  const auto cases = std::max<std::uint64_t>(1000, o.scaled(o.drain_events) / 3);
  note("the peer drains " + std::to_string(cases * 3) + " jobs");
  auto c = ctx.client();
  c.command({"CONFIG", "RESETSTAT"});
  const double before = cpu_seconds(ctx.redis_pid).value_or(0);
  const auto text =
      run_and_capture({"node", (dir / "worker.mjs").string(), "--port",
                       std::to_string(ctx.server.port()), "--cases", std::to_string(cases)});
  const double after = cpu_seconds(ctx.redis_pid).value_or(0);
  const auto line = text.substr(text.rfind('{'));
  const auto peer = nlohmann::json::parse(line);
  const double rate = peer.at("peer_events_per_s").get<double>();
  const double events = peer.at("peer_events").get<double>();
  std::cout << "peer: " << std::llround(rate) << " events/s (BullMQ + XState, "
            << peer.at("peer_events").get<std::uint64_t>() << " jobs in "
            << fixed(peer.at("peer_seconds").get<double>(), 2) << " s); node CPU "
            << std::llround(peer.at("peer_cpu_us_per_event").get<double>())
            << " us/event, Redis CPU " << std::llround(1e6 * (after - before) / events)
            << " us/event (whole run, queueing included)\n";
  if (drained) {
    std::cout << "  our drain / the peer's: " << fixed(*drained / rate, 1) << "x\n";
  }
  std::cout << reproduce(o, "drain") << " --only peer\n";
}

}  // namespace xyp::bench
