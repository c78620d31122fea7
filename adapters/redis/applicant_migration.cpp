#include "adapters/redis/applicant_migration.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapters/common/log.hpp"
#include "engine/domain/applicant_record.hpp"

namespace xyp::redis {
namespace {

constexpr std::string_view done_field = "applicant_records";

const reply& checked(const reply& r) {
  if (r.is_error())
    throw error(errc::unexpected_reply, "applicant migration: " + r.error_message());
  return r;
}

}  // namespace

boost::asio::awaitable<std::size_t> migrate_applicant_keys(
    connection& conn, const partition_keys& keys,
    const std::function<boost::asio::awaitable<void>()>& between_pages) {
  const auto done = checked(co_await conn.command(cmd("HGET", keys.state(), done_field)));
  if (done.is_string()) co_return 0;
  // The old keys' names: "<base>credit:<applicant>" and "<base>applicant:<applicant>".
  const std::string credit_prefix = keys.old_credit(""),
                    cases_prefix = keys.old_applicant_cases("");
  const std::string pattern = keys_starting_with(keys.base());
  std::size_t moved = 0;
  std::string cursor = "0";
  do {
    const auto page =
        checked(co_await conn.command(cmd("SCAN", cursor, "MATCH", pattern, "COUNT", "1000")));
    cursor = page.elements().at(0).as_string();
    std::set<std::string> applicants;
    for (const auto& key : page.elements().at(1).elements()) {
      const std::string& k = key.as_string();
      for (const auto* prefix : {&credit_prefix, &cases_prefix}) {
        if (k.size() > prefix->size() && k.compare(0, prefix->size(), *prefix) == 0) {
          applicants.insert(k.substr(prefix->size()));
        }
      }
    }
    if (!applicants.empty()) {
      std::vector<std::vector<std::string>> reads;
      for (const auto& a : applicants) {
        reads.push_back(cmd("GET", keys.old_credit(a)));
        reads.push_back(cmd("SMEMBERS", keys.old_applicant_cases(a)));
      }
      const auto old = co_await conn.pipeline(std::move(reads));
      std::vector<std::vector<std::string>> writes{cmd("MULTI")};
      std::size_t r = 0;
      for (const auto& a : applicants) {
        const auto& credit = checked(old[r++]);
        const auto& ids = checked(old[r++]);
        // Both gone: a key the scan returned twice, moved already.
        if (credit.is_nil() && ids.elements().empty()) continue;
        applicant_record record;
        if (credit.is_string()) {
          try {
            record.credit = nlohmann::json::parse(credit.as_string()).get<credit_snapshot>();
          } catch (const nlohmann::json::exception& e) {
            // Left in place, never misread: the partition is not served until it is mended.
            throw std::runtime_error("applicant migration: " + keys.old_credit(a) +
                                     " holds no credit this engine reads: " + e.what());
          }
        }
        for (const auto& id : ids.elements()) record.case_ids.push_back(id.as_string());
        std::sort(record.case_ids.begin(), record.case_ids.end());  // as the store keeps them
        writes.push_back(cmd("HSETNX", keys.applicant_key(a), a, encode_applicant(record)));
        writes.push_back(cmd("DEL", keys.old_credit(a), keys.old_applicant_cases(a)));
        ++moved;
      }
      if (writes.size() > 1) {
        writes.push_back(cmd("EXEC"));
        const auto written = co_await conn.pipeline(std::move(writes));
        for (const auto& w : written) checked(w);
        if (!written.back().is_array()) {
          throw error(errc::unexpected_reply, "applicant migration: the transaction did not run");
        }
      }
    }
    co_await between_pages();
  } while (cursor != "0");
  checked(co_await conn.command(cmd("HSET", keys.state(), done_field, "1")));
  if (moved > 0) {
    log::info("applicants moved to records",
              {{"partition", keys.partition()}, {"applicants", moved}});
  }
  co_return moved;
}

}  // namespace xyp::redis
