// xyp_partition_owned against a real redis-server: the gauge the partition alerts read
// (docs/monitoring/alerts.yml) is 1 while this engine holds a partition's lease, turns 0 when
// another owner takes the lease, and 1 again when this engine takes it back.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "adapters/http/metrics.hpp"
#include "adapters/metrics/runtime_metrics.hpp"
#include "adapters/redis/keys.hpp"
#include "adapters/redis/runtime.hpp"
#include "engine/domain/calendar.hpp"
#include "engine/domain/policy.hpp"
#include "support/redis_server.hpp"
#include "support/runtime_helpers.hpp"

using namespace xyp;

namespace {

namespace asio = boost::asio;

// The value /metrics shows for the partition's gauge, or nothing when it has no series.
std::optional<std::string> owned(const metrics::registry& registry, std::uint32_t partition) {
  const std::string text = registry.expose();
  const std::string series =
      "xyp_partition_owned{partition=\"" + std::to_string(partition) + "\"} ";
  const auto at = text.find(series);
  if (at == std::string::npos) return std::nullopt;
  const auto start = at + series.size();
  return text.substr(start, text.find('\n', start) - start);
}

// Forwards to the metrics observer and, at each lease event, reads the gauge and plays the
// other engine: on the first acquisition it takes the lease over (and sends an event, so that
// the next commit meets the fence); once fenced it lets the lease go; on the second acquisition
// it stops the runtime.
class lease_script final : public redis::runtime_observer {
 public:
  lease_script(http::runtime_metrics& metrics, metrics::registry& registry,
               const test::redis_server& server, const redis::partition_keys& keys,
               redis::runtime*& engine)
      : metrics_(metrics), registry_(registry), server_(server), keys_(keys), engine_(engine) {}

  void acquired(std::uint32_t partition, const std::string& token) override {
    metrics_.acquired(partition, token);
    seen.push_back("acquired " + owned(registry_, partition).value_or("none"));
    if (seen.size() == 1) {
      server_.command({"SET", keys_.lease(), "other-engine-1 999999", "PX", "600000"});
      server_.command({"XADD", keys_.events(), "*", "event", test::sample_day().front()});
    } else if (engine_) {
      engine_->stop();
    }
  }
  void fenced(std::uint32_t partition) override {
    metrics_.fenced(partition);
    seen.push_back("fenced " + owned(registry_, partition).value_or("none"));
    server_.command({"DEL", keys_.lease()});
  }
  void reconnected(std::uint32_t partition) override { metrics_.reconnected(partition); }

  std::vector<std::string> seen;

 private:
  http::runtime_metrics& metrics_;
  metrics::registry& registry_;
  const test::redis_server& server_;
  const redis::partition_keys& keys_;
  redis::runtime*& engine_;
};

}  // namespace

TEST_CASE("a partition reads as owned while this engine holds its lease and not once it is lost",
          "[runtime][metrics]") {
  const auto policy = load_policy(XYP_CONFIG_DIR "/profiles/shilong.json");
  const auto calendar = working_calendar::load_directory(XYP_CONFIG_DIR "/calendars");
  const case_processor processor{policy, calendar, clock_mode::simulated};
  test::redis_server server;
  redis::runtime_options o;
  o.server = server.endpoint();
  o.prefix = "t" + std::to_string(server.port());
  o.partitions = 1;
  o.block = std::chrono::milliseconds(20);
  o.lease_ttl = std::chrono::milliseconds(600);  // tried again every 120 ms while another holds it
  const redis::partition_keys keys(o.prefix, 0);

  metrics::registry registry;
  http::runtime_metrics metrics(registry);
  metrics.expect_partitions(1);
  CHECK(owned(registry, 0) == "0");

  asio::io_context io;
  redis::runtime* handle = nullptr;
  lease_script script(metrics, registry, server, keys, handle);
  redis::runtime engine(io.get_executor(), processor, o, script);
  handle = &engine;
  asio::co_spawn(io, engine.run(), asio::detached);
  io.run();

  CHECK(script.seen == std::vector<std::string>{"acquired 1", "fenced 0", "acquired 1"});
}

TEST_CASE("every partition an engine may serve is exported as not owned before any lease",
          "[metrics]") {
  metrics::registry registry;
  http::runtime_metrics metrics(registry);
  CHECK_FALSE(owned(registry, 2));
  metrics.expect_partitions(3);
  for (std::uint32_t n = 0; n < 3; ++n) CHECK(owned(registry, n) == "0");
  metrics.acquired(1, "engine-1 4");
  CHECK(owned(registry, 1) == "1");
  metrics.reconnected(1);  // a Redis failure drops what the partition held
  CHECK(owned(registry, 1) == "0");
}

TEST_CASE("the epoch of each partition's lease, the hand-over and the share are exported",
          "[metrics]") {
  metrics::registry registry;
  http::runtime_metrics metrics(registry);
  metrics.expect_partitions(2);
  auto shows = [&](const std::string& series) {
    return registry.expose().find(series + "\n") != std::string::npos;
  };
  CHECK(shows("xyp_partition_epoch{partition=\"0\"} 0"));
  metrics.identify("engine-1-42-0badcafe");
  CHECK(shows("xyp_engine_info{engine=\"engine-1-42-0badcafe\"} 1"));
  metrics.acquired(1, "engine-1-42-0badcafe 17");
  CHECK(owned(registry, 1) == "1");
  CHECK(shows("xyp_partition_epoch{partition=\"1\"} 17"));
  metrics.released(1);  // handed over to another engine
  CHECK(owned(registry, 1) == "0");
  metrics.membership(3, 2);
  CHECK(shows("xyp_engines_live 3"));
  CHECK(shows("xyp_partition_share 2"));
}
