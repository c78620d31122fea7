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
#include <optional>
#include <set>
#include <utility>

#include "adapters/redis/keys.hpp"
#include "adapters/redis/read_model.hpp"
#include "adapters/redis/runtime.hpp"
#include "engine/domain/calendar.hpp"
#include "engine/domain/ledger_record.hpp"
#include "engine/domain/policy.hpp"
#include "engine/runtime/processor.hpp"
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

  // In Redis: per partition, numbers 1..count, every row in the compact form (the partition and
  // number are its key's and its field's).
  std::set<std::uint64_t> numbers_seen_in_two;
  std::map<std::uint64_t, int> partitions_per_number;
  std::size_t total = 0;
  for (std::uint32_t n = 0; n < partitions; ++n) {
    const redis::partition_keys keys(o.prefix, n);
    const auto rows = server.command({"HKEYS", keys.ledger()});
    std::set<std::uint64_t> nos;
    for (const auto& r : rows.elements()) {
      const auto value = server.command({"HGET", keys.ledger(), r.as_string()}).as_string();
      REQUIRE(static_cast<unsigned char>(value.front()) == ledger_codec_version);
      CHECK_FALSE(decode_ledger(value).case_id.empty());
      nos.insert(std::stoull(r.as_string()));
      ++partitions_per_number[std::stoull(r.as_string())];
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
  redis::read_link link(io.get_executor(), server.endpoint());
  redis::read_options read;
  read.prefix = o.prefix;
  read.partitions = partitions;
  redis::read_model queries(link, read);
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

  // Each row read back from its compact form says what the latest `ledger.entry` of its number
  // on the outbound stream said, value for value.
  std::map<std::pair<std::uint32_t, std::uint64_t>, json> published;
  for (std::uint32_t n = 0; n < partitions; ++n) {
    const auto out = server.command({"XRANGE", redis::partition_keys(o.prefix, n).out(), "-", "+"});
    for (const auto& entry : out.elements()) {
      const auto& kv = entry.elements().at(1).elements();
      for (std::size_t i = 0; i + 1 < kv.size(); i += 2) {
        if (kv[i].as_string() != "event") continue;
        const auto e = json::parse(kv[i + 1].as_string());
        if (e["type"] == "ledger.entry")
          published[{n, e["data"]["no"].get<std::uint64_t>()}] = e["data"];
      }
    }
  }
  REQUIRE(published.size() == total);
  auto text = [](const json& v) { return v.is_null() ? std::string() : v.get<std::string>(); };
  for (const auto& row : ledger.rows) {
    INFO("partition " << row.partition << " row " << row.no);
    const auto& data = published.at({row.partition, row.no});
    CHECK(data["partition"] == row.partition);
    CHECK(data["case_id"] == row.case_id);
    CHECK(data["date"] == row.date);
    CHECK(data["name"] == row.name);
    CHECK(data["credit_level"] == row.credit_level);
    CHECK(data["contact"] == row.contact);
    CHECK(data["matter"] == row.matter);
    CHECK(data["matter_code"] == row.matter_code);
    CHECK(data["department"] == row.department);
    CHECK(text(data["result"]) == row.result);
    CHECK((data["satisfaction"].is_null() ? std::optional<std::string>()
                                          : text(data["satisfaction"])) == row.satisfaction);
  }
}
