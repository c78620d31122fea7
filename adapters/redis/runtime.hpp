#pragma once
// The engine as its users run it: each partition is served by the engine holding its lease. The
// owner reads the inbound stream through the consumer group, keeps the partition's cases and
// timers in memory, runs engine/runtime/partition_loop over them, and commits each batch with one
// Function call that checks the lease's fencing token and writes, publishes and acknowledges the
// whole batch. A crash of the engine or of Redis loses nothing and doubles nothing: what was not
// committed is still pending and is applied again, by this owner or the next.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "adapters/redis/functions.hpp"
#include "adapters/redis/redis_url.hpp"
#include "adapters/redis/store.hpp"
#include "engine/runtime/processor.hpp"

namespace xyp::redis {

struct runtime_options {
  endpoint server;
  std::string prefix = "xyp";
  std::uint32_t partitions = 1;
  std::string consumer = "engine-1";
  std::size_t batch_size = 256;                // entries per XREADGROUP
  std::size_t units_per_commit = 512;          // units per FCALL at most (a timer storm is cut)
  std::chrono::milliseconds block{100};        // XREADGROUP BLOCK when no timer is due sooner
  std::chrono::milliseconds lease_ttl{8'000};  // renewed every third of it
  std::string owner;                           // the lease's owner id; empty: consumer-pid-random
  // How often the engine renews its membership (the engines key, with lease_ttl as its expiry),
  // reads the leases and takes or hands over partitions towards its fair share; 0: lease_ttl / 5
  // within [50 ms, 1 s].
  std::chrono::milliseconds share_every{0};
  store_limits cache;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::hours dedupe_window{24 * 7};  // applied event ids kept this long
  // The clock applied ids are committed, found and aged by (their day buckets); empty: the
  // system clock. Tests move their own.
  std::function<instant()> commit_clock;
  std::uint64_t trim_every = 10'000;  // inbound entries between two trims (streams, applied ids)
  // An entry larger than this is a schema_violation dead letter, refused before it is parsed.
  std::size_t max_entry_bytes = default_max_envelope_bytes;
  // A read returns at most this many bytes of entries (at least one entry), cut inside Redis
  // (xyp_read); an entry over max_entry_bytes is dead-lettered there and never sent.
  std::size_t read_budget_bytes = 8 << 20;
  commit_limits limits;
  // With the system clock, while the loop has nothing to apply: the cases of the timers due
  // within this look-ahead are fetched before they are due (one pipelined round trip) and held
  // until they fire, so that at the due instant the loop only applies and commits. 0: none.
  std::chrono::milliseconds prefetch_ahead{1000};
  // Timers whose cases are held so at most (each case beyond store_limits::cases at worst).
  std::size_t prefetch_timers = 4096;
  // How late Redis may time a blocked read out (its event loop's tick, 1000 / hz ms): a blocked
  // read that could end less than this before a timer is due is shortened to end before it.
  std::chrono::milliseconds server_tick{100};
  // The wall clock of a runtime on the system clock; empty: std::chrono::system_clock. Tests
  // move their own.
  std::function<instant()> wall_clock;
};

// Refuses a Redis holding the engine's keys in a layout other than this engine's (layout 1 had
// `P:{n}:meta`, `P:{n}:case:*`, `P:{n}:timer`), and marks an empty one with this layout.
// Throws std::runtime_error with what to do.
boost::asio::awaitable<void> check_layout(const runtime_options& options);

// What the runtime reports as it goes: the metrics adapter listens; every method may be ignored.
class runtime_observer {
 public:
  virtual ~runtime_observer() = default;
  virtual void committed(std::uint32_t /*partition*/, const commit_unit& /*unit*/,
                         commit_status /*status*/) {}
  virtual void batch(std::uint32_t /*partition*/, std::size_t /*entries*/) {}
  virtual void commit_latency(std::chrono::microseconds /*took*/) {}
  // How many times the partition's loop waited for Redis (connection::waits) from the commit
  // before this one landing, or from taking the partition, to this one landing: the round trips
  // on the way of the batch's entries, an idle wait for them included.
  virtual void round_trips(std::uint32_t /*partition*/, std::uint64_t /*waits*/) {}
  // How late a timer fired against the clock it runs on.
  virtual void timer_lag(std::chrono::milliseconds /*lag*/) {}
  // Entries over the size limit, dead-lettered inside Redis by the read (xyp_read) and never
  // seen by the loop: schema_violation dead letters beside those of committed units.
  virtual void refused_unread(std::uint32_t /*partition*/, std::uint64_t /*entries*/) {}
  virtual void reconnected(std::uint32_t /*partition*/) {}
  // A commit's EXEC was refused (a watched key changed) while the partition stayed this
  // owner's: it is sent again.
  virtual void conflict(std::uint32_t /*partition*/) {}
  // The partition was taken (serving starts) or lost (another owner fenced this one).
  virtual void acquired(std::uint32_t /*partition*/, const std::string& /*token*/) {}
  virtual void fenced(std::uint32_t /*partition*/) {}
  // The partition was handed over: its batch landed and its lease was released, so that another
  // engine takes it (the fair share moved, or the engine stops).
  virtual void released(std::uint32_t /*partition*/) {}
  // What the last membership round saw: live engines (this one included) and this engine's fair
  // share of the partitions.
  virtual void membership(std::size_t /*live_engines*/, std::uint32_t /*share*/) {}
  // Cases fetched before their timers were due (the system clock's look-ahead), and any case
  // fetched because a step read it while the store did not hold it.
  virtual void prefetched(std::uint32_t /*partition*/, std::size_t /*cases*/) {}
  virtual void fetched(std::uint32_t /*partition*/, const store_needs& /*needs*/) {}
};

// Refuses a Redis that can evict keys (an evicted case is a lost case) and warns when AOF is
// off. Returns the warnings; throws redis::error or std::runtime_error with a message to show.
boost::asio::awaitable<std::vector<std::string>> check_server(const runtime_options& options);

class runtime {
 public:
  runtime(boost::asio::any_io_executor executor, const case_processor& processor,
          runtime_options options, runtime_observer& observer);
  ~runtime();

  // Serves its fair share of the partitions until stop(), sharing them with every engine on the
  // same prefix (see `share`); each partition's loop finishes the batch in hand, commits it and
  // releases the lease, then returns.
  boost::asio::awaitable<void> run();
  void stop();
  // This engine's id: its leases' owner and its member of the engines key.
  const std::string& owner() const { return owner_; }

  // A year's notice was loaded into the processor's calendar (SIGHUP): each partition, at its
  // next turn, counts every open clock computed provisionally again and commits what moved
  // (case_processor::recalendar). Call on the runtime's executor, between batches.
  void request_recalendar();

 private:
  struct partition_worker;
  // Membership and fair share, every share_every: see runtime.cpp.
  boost::asio::awaitable<void> share(std::vector<std::unique_ptr<partition_worker>>& workers);
  std::chrono::milliseconds share_period() const;
  boost::asio::any_io_executor executor_;
  const case_processor& processor_;
  runtime_options options_;
  runtime_observer& observer_;
  std::string owner_;  // the lease owner id of this engine
  std::shared_ptr<std::atomic<bool>> stopping_;
  std::uint64_t recalendar_requests_ = 0;
  // Found at the start of run(): whether options_.server is a Redis Cluster node, and its masters
  // then (where a partition loop asks for its slot's master, beside the seed).
  bool clustered_ = false;
  std::vector<endpoint> cluster_nodes_;
};

// Writes JSONL envelopes to their partitions' inbound streams (clock.advance to every one),
// pipelined. Returns how many stream entries were written.
boost::asio::awaitable<std::uint64_t> submit_lines(const runtime_options& options,
                                                   const std::vector<std::string>& lines);

}  // namespace xyp::redis
