#pragma once
// Moves what earlier builds of layout 2 kept per applicant, a credit string (JSON) and a set of
// case ids (partition_keys::old_credit, old_applicant_cases), into the applicant records this
// build reads (engine/domain/applicant_record, in the partition's applicant buckets), and deletes
// the old keys. Run by the owner when it takes a partition, under the lease, until the partition's
// state says it is done (`applicant_records` in P:{n}:state): then it costs one HGET.
#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <functional>

#include "adapters/redis/connection.hpp"
#include "adapters/redis/keys.hpp"

namespace xyp::redis {

// Returns the number of applicants moved. `between_pages` runs after each page of the keyspace
// scan (the runtime renews its lease there: a large Redis takes longer than one lease period).
// An applicant that already has a record keeps it (HSETNX); its old keys are deleted all the
// same, in the same transaction.
boost::asio::awaitable<std::size_t> migrate_applicant_keys(
    connection& conn, const partition_keys& keys,
    const std::function<boost::asio::awaitable<void>()>& between_pages);

}  // namespace xyp::redis
