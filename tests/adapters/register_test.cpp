// The 信易批 register end to end with several partitions: the sample day through the Redis
// runtime, then the ledger export read back through the HTTP layer's Redis queries.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "adapters/http/redis_queries.hpp"
#include "adapters/redis/keys.hpp"
#include "adapters/redis/runtime.hpp"
#include "engine/calendar.hpp"
#include "engine/policy.hpp"
#include "engine/processor.hpp"
#include "support/redis_server.hpp"
#include "support/runtime_helpers.hpp"

using namespace xyp;
using nlohmann::json;

namespace {

namespace asio = boost::asio;

constexpr std::uint32_t partitions = 3;

using test::sample_day;

}  // namespace

TEST_CASE(
    "with three partitions register numbers repeat only across partitions, each row names "
    "its own, and the export numbers them 1, 2, 3",
    "[register]") {
  const test::simulated_engine shilong;
  const auto& processor = shilong.processor;
  test::redis_server server;
  const auto o =
      test::runtime_options_for(server, "reg" + std::to_string(server.port()), partitions);

  const auto lines = sample_day();
  const auto count = xyp::test::submit(o, lines);
  REQUIRE(count > 0);
  xyp::test::run_until_committed(processor, o, count);

  // In Redis: per partition, numbers 1..count, every row saying which partition it is in.
  std::set<std::uint64_t> numbers_seen_in_two;
  std::map<std::uint64_t, int> partitions_per_number;
  std::size_t total = 0;
  for (std::uint32_t n = 0; n < partitions; ++n) {
    const redis::partition_keys keys(o.prefix, n);
    const auto rows = server.command({"HVALS", keys.ledger()});
    std::set<std::uint64_t> nos;
    for (const auto& r : rows.elements()) {
      const auto row = json::parse(r.as_string());
      CHECK(row["partition"] == n);
      nos.insert(row["no"].get<std::uint64_t>());
      ++partitions_per_number[row["no"].get<std::uint64_t>()];
    }
    CHECK(nos.size() == rows.elements().size());
    if (!nos.empty()) CHECK(*nos.rbegin() == nos.size());
    total += nos.size();
  }
  REQUIRE(total > 3);
  // The sample day has register cases in several partitions: some number repeats across them.
  CHECK(std::any_of(partitions_per_number.begin(), partitions_per_number.end(),
                    [](const auto& e) { return e.second > 1; }));

  // The export: 1..total in (date, case id) order.
  asio::io_context io;
  http::redis_link link(io.get_executor(), server.endpoint());
  http::redis_read_options read;
  read.prefix = o.prefix;
  read.partitions = partitions;
  http::redis_case_queries queries(link, read);
  auto done = asio::co_spawn(io, queries.ledger(http::ledger_query{}), asio::use_future);
  // The link stays connected after the query: run until the answer is there, not until idle.
  while (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) io.run_one();
  const auto ledger = done.get();
  REQUIRE(ledger.rows.size() == total);
  for (std::size_t i = 1; i < ledger.rows.size(); ++i) {
    const auto& a = ledger.rows[i - 1];
    const auto& b = ledger.rows[i];
    CHECK(std::tie(a.date, a.case_id) < std::tie(b.date, b.case_id));
  }
}
