#include "adapters/redis/read_model.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>
#include <utility>

#include "adapters/redis/keys.hpp"
#include "adapters/redis/layout.hpp"
#include "engine/domain/case_codec.hpp"
#include "engine/domain/ledger_record.hpp"
#include "engine/domain/partition.hpp"

namespace xyp::redis {

// The ports this implements, and the shapes they answer in.
using namespace xyp::http;

namespace {

namespace asio = boost::asio;
using command_list = std::vector<std::vector<std::string>>;

constexpr std::size_t max_escalations_read = 10'000;  // per partition, for counts by level
constexpr std::size_t recent_out_entries = 256;       // per partition, searched for credit hooks

// An error reply where data was expected means the layout is not what this code reads.
const reply& checked(const reply& r) {
  if (r.is_error()) throw redis::error(redis::errc::unexpected_reply, r.error_message());
  return r;
}

std::int64_t parse_score(const std::string& text) {
  return time_from_score(text).time_since_epoch().count();
}

std::optional<std::int64_t> parse_integer(const std::string& text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// A WITHSCORES reply (RESP2: member, score, member, score, ...).
std::vector<page_position> scored_members(const reply& r) {
  const auto& e = checked(r).elements();
  std::vector<page_position> out;
  out.reserve(e.size() / 2);
  for (std::size_t i = 0; i + 1 < e.size(); i += 2) {
    out.push_back(page_position{parse_score(e[i + 1].as_string()), e[i].as_string()});
  }
  return out;
}

std::vector<std::string> members(const reply& r) {
  std::vector<std::string> out;
  for (const auto& m : checked(r).elements()) out.push_back(m.as_string());
  return out;
}

std::uint64_t count_of(const reply& r) {
  return static_cast<std::uint64_t>(std::max<std::int64_t>(0, checked(r).as_integer()));
}

// Listing order: newest application first, then case id descending, as ZREVRANGEBYSCORE gives.
bool comes_before(const page_position& a, const page_position& b) {
  return std::tie(a.applied_ms, a.case_id) > std::tie(b.applied_ms, b.case_id);
}

instant from_ms(std::int64_t ms) {
  return instant{std::chrono::milliseconds(ms)};
}

// An escalation set's member and score (layout.hpp), as the port gives it out.
std::optional<open_escalation> parse_escalation_member(std::string_view member, std::int64_t score,
                                                       std::uint32_t partition) {
  auto entry = escalation_from_member(member);
  if (!entry) return std::nullopt;
  open_escalation e;
  e.case_id = std::move(entry->case_id);
  e.clock = std::move(entry->clock);
  e.level = entry->level;
  e.raised_at = from_ms(score);
  e.partition = partition;
  return e;
}

std::string text_field(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

// A row as the engine writes it now (engine/domain/ledger_record, first byte its version), or as a
// previous build wrote it (JSON, first byte `{`): rows are kept for years, both are read. A
// compact row that cannot be read throws (the request answers 500); a JSON one that cannot is
// left out, as before.
std::optional<ledger_row> decode_ledger_row(std::string_view field, const std::string& text,
                                            std::uint32_t partition) {
  if (!text.empty() && text.front() != '{') {
    std::uint64_t number = 0;
    const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), number);
    if (ec != std::errc() || end != field.data() + field.size()) return std::nullopt;
    auto r = decode_ledger(text);
    ledger_row row;
    row.partition = partition;
    row.no = number;
    row.case_id = std::move(r.case_id);
    row.date = std::move(r.date);
    row.name = std::move(r.name);
    row.credit_level = std::move(r.credit_level);
    row.contact = std::move(r.contact);
    row.matter = std::move(r.matter);
    row.matter_code = std::move(r.matter_code);
    row.department = std::move(r.department);
    row.result = r.result.value_or(std::string());
    row.satisfaction = std::move(r.satisfaction);
    return row;
  }
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  ledger_row row;
  row.partition = partition;
  const auto no = j.find("no");
  if (no == j.end() || !no->is_number_unsigned()) return std::nullopt;
  row.no = no->get<std::uint64_t>();
  row.case_id = text_field(j, "case_id");
  row.date = text_field(j, "date");
  row.name = text_field(j, "name");
  row.credit_level = text_field(j, "credit_level");
  row.contact = text_field(j, "contact");
  row.matter = text_field(j, "matter");
  row.matter_code = text_field(j, "matter_code");
  row.department = text_field(j, "department");
  row.result = text_field(j, "result");
  if (const auto s = j.find("satisfaction"); s != j.end() && s->is_string()) {
    row.satisfaction = s->get<std::string>();
  }
  return row;
}

// The replies of these commands run as one transaction (MULTI ... EXEC): a commit moving a case
// from one state index to another lands before or after them all, so a read across several
// indexes sees the case once, never twice or not at all.
asio::awaitable<std::vector<reply>> atomically(router& c, command_list commands,
                                               std::chrono::milliseconds timeout) {
  commands.insert(commands.begin(), cmd("MULTI"));
  commands.push_back(cmd("EXEC"));
  auto replies = co_await c.pipeline(std::move(commands), timeout);
  const auto& exec = checked(replies.back());
  if (!exec.is_array()) {
    throw redis::error(redis::errc::unexpected_reply, "EXEC answered " + exec.describe());
  }
  co_return exec.elements();
}

// Reads the case docs of these ids from one partition, in order; ids without a readable doc
// are left out.
asio::awaitable<std::vector<case_record>> read_cases(router& c, const partition_keys& k,
                                                     std::vector<std::string> ids,
                                                     std::chrono::milliseconds timeout) {
  std::vector<case_record> out;
  if (ids.empty()) co_return out;
  command_list commands;
  for (const auto& id : ids) commands.push_back(cmd("HGET", k.case_key(id), id));
  const auto replies = co_await c.pipeline(std::move(commands), timeout);
  for (const auto& r : replies) {
    if (!checked(r).is_string()) continue;
    if (auto record = decode_case_doc(r.as_string())) out.push_back(std::move(*record));
  }
  co_return out;
}

// A listing filter as one partition's indexes: a case passes when it is in any of them. No filter
// is the union of the state indexes, a department the union of its matters' indexes; each union
// is disjoint (a case has one state and one matter), so its size is the sum of its indexes'.
using index_union = std::vector<std::string>;

std::vector<std::string> state_indexes(const partition_keys& k) {
  std::vector<std::string> out;
  for (int i = 0; i < case_state_count; ++i) {
    out.push_back(k.by_state(to_string(static_cast<case_state>(i))));
  }
  return out;
}

index_union department_indexes(const read_options& options, const partition_keys& k,
                               std::string_view department) {
  index_union out;
  for (const auto& d : options.departments) {
    if (d.name != department) continue;
    for (const auto& m : d.matters) out.push_back(k.by_matter(m));
  }
  return out;
}

// One partition's walk down a listing's primary filter, keeping the members that pass every other
// filter too.
struct walk_result {
  enum class stop { full, exhausted, budget };
  std::vector<page_position> items;
  stop why = stop::exhausted;
  page_position frontier;  // the last member examined, when the budget ran out
};

// The primary's indexes are read in one transaction, each from the position on, and merged. An
// index that filled its chunk may hold more below its last member, so the merge is exact only
// down to the first, in listing order, of those last members: what lies past it is dropped and
// read again from there.
asio::awaitable<walk_result> walk_index(router& c, index_union primary,
                                        std::vector<index_union> others,
                                        std::optional<page_position> after, std::size_t want,
                                        std::size_t budget, std::chrono::milliseconds timeout) {
  walk_result out;
  // Without other filters every member read is kept: want + 1 from each index says whether more
  // follow.
  const std::size_t chunk = others.empty() ? want + 1 : std::clamp<std::size_t>(want * 2, 32, 512);
  std::optional<page_position> position = std::move(after);
  std::size_t examined = 0;
  for (;;) {
    command_list commands;
    for (const auto& index : primary) {
      if (position) {
        const auto score = std::to_string(position->applied_ms);
        // Members sharing the position's score come in descending id order, as the listing runs.
        commands.push_back(cmd("ZREVRANGEBYSCORE", index, score, score, "WITHSCORES"));
        commands.push_back(cmd("ZREVRANGEBYSCORE", index, "(" + score, "-inf", "WITHSCORES",
                               "LIMIT", "0", std::to_string(chunk)));
      } else {
        commands.push_back(cmd("ZREVRANGEBYSCORE", index, "+inf", "-inf", "WITHSCORES", "LIMIT",
                               "0", std::to_string(chunk)));
      }
    }
    const std::size_t per_index = position ? 2 : 1;
    const auto replies = co_await atomically(c, std::move(commands), timeout);
    std::vector<page_position> candidates;
    std::optional<page_position> reach;  // how far every index has been read
    for (std::size_t i = 0; i < primary.size(); ++i) {
      if (position) {
        for (auto& m : scored_members(replies[i * per_index])) {
          if (m.case_id < position->case_id) candidates.push_back(std::move(m));
        }
      }
      auto lower = scored_members(replies[i * per_index + per_index - 1]);
      if (lower.size() == chunk && (!reach || comes_before(lower.back(), *reach))) {
        reach = lower.back();
      }
      for (auto& m : lower) candidates.push_back(std::move(m));
    }
    std::sort(candidates.begin(), candidates.end(), comes_before);
    if (reach) {
      std::erase_if(candidates, [&](const page_position& m) { return comes_before(*reach, m); });
    }
    const bool more = reach.has_value();
    if (candidates.empty()) {
      out.why = walk_result::stop::exhausted;
      co_return out;
    }

    std::vector<bool> keep(candidates.size(), true);
    if (!others.empty()) {
      command_list checks;
      for (const auto& other : others) {
        for (const auto& index : other) {
          std::vector<std::string> args{"ZMSCORE", index};
          for (const auto& m : candidates) args.push_back(m.case_id);
          checks.push_back(std::move(args));
        }
      }
      const auto scores = co_await c.pipeline(std::move(checks), timeout);
      std::size_t at = 0;
      for (const auto& other : others) {
        std::vector<bool> in_any(candidates.size(), false);
        for (std::size_t n = 0; n < other.size(); ++n) {
          const auto& e = checked(scores[at++]).elements();
          for (std::size_t i = 0; i < candidates.size() && i < e.size(); ++i) {
            if (!e[i].is_nil()) in_any[i] = true;
          }
        }
        for (std::size_t i = 0; i < candidates.size(); ++i) {
          if (!in_any[i]) keep[i] = false;
        }
      }
    }
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      ++examined;
      position = candidates[i];
      if (!keep[i]) continue;
      out.items.push_back(candidates[i]);
      if (out.items.size() == want) {
        // Nothing after it, read or unread: the last page says so rather than leading to an
        // empty one.
        const bool rest_kept = std::find(keep.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                         keep.end(), true) != keep.end();
        out.why = more || rest_kept ? walk_result::stop::full : walk_result::stop::exhausted;
        co_return out;
      }
    }
    if (!more) {
      out.why = walk_result::stop::exhausted;
      co_return out;
    }
    if (examined >= budget) {
      out.why = walk_result::stop::budget;
      out.frontier = *position;
      co_return out;
    }
  }
}

asio::awaitable<case_page> list_on(router& c, const read_options& options, case_filter filter,
                                   std::chrono::milliseconds timeout) {
  case_page page;
  const std::size_t want = std::max<std::size_t>(filter.limit, 1);
  std::vector<walk_result> walks;
  std::optional<std::uint64_t> total = 0;
  std::size_t filter_count = 0;
  for (std::uint32_t n = 0; n < options.partitions; ++n) {
    const partition_keys k(options.prefix, n);
    std::vector<index_union> filters;
    if (filter.overdue_only) filters.push_back({k.overdue()});
    if (filter.state) filters.push_back({k.by_state(to_string(*filter.state))});
    if (filter.matter) filters.push_back({k.by_matter(*filter.matter)});
    if (filter.department) filters.push_back(department_indexes(options, k, *filter.department));
    filter_count = filters.size();
    if (filters.empty()) filters.push_back(state_indexes(k));

    // Empty indexes are left out; the smallest filter leads, the others are checked by member.
    command_list cards;
    for (const auto& f : filters) {
      for (const auto& index : f) cards.push_back(cmd("ZCARD", index));
    }
    const auto counts = co_await atomically(c, std::move(cards), timeout);
    std::vector<std::uint64_t> sizes;
    std::size_t at = 0;
    for (auto& f : filters) {
      std::uint64_t size = 0;
      index_union kept;
      for (auto& index : f) {
        const auto count = count_of(counts[at++]);
        size += count;
        if (count > 0) kept.push_back(std::move(index));
      }
      f = std::move(kept);
      sizes.push_back(size);
    }
    const auto smallest =
        static_cast<std::size_t>(std::min_element(sizes.begin(), sizes.end()) - sizes.begin());
    if (filters.size() == 1 && total) *total += sizes[0];
    if (sizes[smallest] == 0) {
      walks.push_back(walk_result{});
      continue;
    }
    index_union primary = std::move(filters[smallest]);
    filters.erase(filters.begin() + static_cast<std::ptrdiff_t>(smallest));
    walks.push_back(co_await walk_index(c, std::move(primary), std::move(filters), filter.after,
                                        want, options.scan_budget, timeout));
  }
  if (filter_count > 1) total.reset();
  page.total = total;

  // Merge: a partition that ran out of budget bounds how far this page may reach.
  std::optional<page_position> bound;
  bool more_somewhere = false;
  struct ranked {
    page_position at;
    std::uint32_t partition;
  };
  std::vector<ranked> merged;
  for (std::uint32_t n = 0; n < walks.size(); ++n) {
    const auto& w = walks[n];
    if (w.why == walk_result::stop::budget) {
      if (!bound || comes_before(w.frontier, *bound)) bound = w.frontier;
    }
    if (w.why != walk_result::stop::exhausted) more_somewhere = true;
    for (const auto& item : w.items) merged.push_back(ranked{item, n});
  }
  std::sort(merged.begin(), merged.end(),
            [](const ranked& a, const ranked& b) { return comes_before(a.at, b.at); });
  if (bound) {
    std::erase_if(merged, [&](const ranked& r) { return comes_before(*bound, r.at); });
  }
  if (merged.size() > want) {
    more_somewhere = true;
    merged.resize(want);
  }
  if (merged.size() == want && more_somewhere) {
    page.next = merged.back().at;
  } else if (bound) {
    page.next = bound;
  }

  // Docs, partition by partition, then back into listing order. Keyed by partition too: the same
  // case id under two applicants lives in two partitions, and each row is its own case.
  std::map<std::pair<std::uint32_t, std::string>, case_record> found;
  for (std::uint32_t n = 0; n < options.partitions; ++n) {
    std::vector<std::string> ids;
    for (const auto& r : merged) {
      if (r.partition == n) ids.push_back(r.at.case_id);
    }
    auto records = co_await read_cases(c, partition_keys(options.prefix, n), ids, timeout);
    for (auto& record : records) {
      auto key = std::make_pair(n, record.case_id);
      found.emplace(std::move(key), std::move(record));
    }
  }
  for (const auto& r : merged) {
    if (auto it = found.find(std::make_pair(r.partition, r.at.case_id)); it != found.end()) {
      page.cases.push_back(std::move(it->second));
    }
  }
  co_return page;
}

// Open escalations of one partition, oldest first, at most `want` of the level.
asio::awaitable<std::vector<open_escalation>> escalations_of(router& c, const partition_keys& k,
                                                             std::optional<escalation_level> level,
                                                             std::size_t want,
                                                             std::chrono::milliseconds timeout) {
  std::vector<open_escalation> out;
  constexpr std::size_t chunk = 512;
  for (std::size_t start = 0;; start += chunk) {
    const auto r = co_await c.command(cmd("ZRANGE", k.escalations(), std::to_string(start),
                                          std::to_string(start + chunk - 1), "WITHSCORES"),
                                      timeout);
    const auto page = scored_members(r);
    for (const auto& m : page) {
      auto e = parse_escalation_member(m.case_id, m.applied_ms, k.partition());
      if (!e || (level && e->level != *level)) continue;
      out.push_back(std::move(*e));
      if (out.size() == want) co_return out;
    }
    if (page.size() < chunk) co_return out;
  }
}

bool raised_earlier(const open_escalation& a, const open_escalation& b) {
  return std::tie(a.raised_at, a.case_id, a.clock, a.level) <
         std::tie(b.raised_at, b.case_id, b.clock, b.level);
}

// Attaches each escalation's case record, read from its partition.
asio::awaitable<void> attach_cases(router& c, const std::string& prefix, std::uint32_t partitions,
                                   std::vector<open_escalation>& list,
                                   std::chrono::milliseconds timeout) {
  for (std::uint32_t n = 0; n < partitions; ++n) {
    std::vector<std::string> ids;
    for (const auto& e : list) {
      if (e.partition == n && std::find(ids.begin(), ids.end(), e.case_id) == ids.end()) {
        ids.push_back(e.case_id);
      }
    }
    const auto records = co_await read_cases(c, partition_keys(prefix, n), ids, timeout);
    for (auto& e : list) {
      if (e.partition != n) continue;
      for (const auto& r : records) {
        if (r.case_id == e.case_id) e.record = r;
      }
    }
  }
}

asio::awaitable<std::vector<open_escalation>> all_escalations(router& c,
                                                              const read_options& options,
                                                              std::optional<escalation_level> level,
                                                              std::size_t limit,
                                                              std::chrono::milliseconds timeout) {
  std::vector<open_escalation> merged;
  for (std::uint32_t n = 0; n < options.partitions; ++n) {
    auto part =
        co_await escalations_of(c, partition_keys(options.prefix, n), level, limit, timeout);
    for (auto& e : part) merged.push_back(std::move(e));
  }
  std::sort(merged.begin(), merged.end(), raised_earlier);
  if (merged.size() > limit) merged.resize(limit);
  co_await attach_cases(c, options.prefix, options.partitions, merged, timeout);
  co_return merged;
}

asio::awaitable<ledger_result> ledger_on(router& c, const read_options& options, ledger_query query,
                                         std::chrono::milliseconds timeout) {
  ledger_result out;
  const std::string from = query.from ? date_score(*query.from) : "-inf";
  const std::string to = query.to ? date_score(*query.to) : "+inf";
  for (std::uint32_t n = 0; n < options.partitions; ++n) {
    const partition_keys k(options.prefix, n);
    const auto nos =
        members(co_await c.command(cmd("ZRANGEBYSCORE", k.ledger_by_date(), from, to, "LIMIT", "0",
                                       std::to_string(query.max_rows + 1)),
                                   timeout));
    if (nos.empty()) continue;
    std::vector<std::string> args{"HMGET", k.ledger()};
    args.insert(args.end(), nos.begin(), nos.end());
    const auto rows = co_await c.command(std::move(args), timeout);
    const auto& values = checked(rows).elements();
    for (std::size_t i = 0; i < values.size() && i < nos.size(); ++i) {
      if (!values[i].is_string()) continue;
      if (auto row = decode_ledger_row(nos[i], values[i].as_string(), n)) {
        out.rows.push_back(std::move(*row));
      }
    }
  }
  // A paper register's order: by date, then case id; the export numbers the rows in it.
  std::sort(out.rows.begin(), out.rows.end(), [](const ledger_row& a, const ledger_row& b) {
    return std::tie(a.date, a.case_id, a.partition, a.no) <
           std::tie(b.date, b.case_id, b.partition, b.no);
  });
  if (out.rows.size() > query.max_rows) {
    out.rows.resize(query.max_rows);
    out.truncated = true;
  }
  co_return out;
}

// How many of a partition's cases were applied with scores in [from, upto]: every case is in
// one state index.
asio::awaitable<std::uint64_t> applied_count(router& c, const partition_keys& k,
                                             const std::string& from, const std::string& upto,
                                             std::chrono::milliseconds timeout) {
  command_list commands;
  for (const auto& index : state_indexes(k)) commands.push_back(cmd("ZCOUNT", index, from, upto));
  std::uint64_t total = 0;
  for (const auto& r : co_await atomically(c, std::move(commands), timeout)) total += count_of(r);
  co_return total;
}

// Walks each partition's cases by application time over the window: the state indexes read in
// one transaction and merged in (score, id) order, as one index of all cases would give them.
// When the window holds more cases than there is room for, the read stops at the first score by
// which `room` cases were applied (found by halving with ZCOUNT), so it reads about `room`
// members however they spread over the states. Cases never leave the state indexes and keep
// their score, so a count never shrinks between one read and the next.
asio::awaitable<applied_cases> applied_on(router& c, const read_options& options,
                                          applied_window window,
                                          std::chrono::milliseconds timeout) {
  applied_cases out;
  const auto ms = [](instant t) { return std::to_string(t.time_since_epoch().count()); };
  const std::string from = window.from ? ms(*window.from) : "-inf";
  const std::string to = window.to ? ms(*window.to) : "+inf";
  for (std::uint32_t n = 0; n < options.partitions && !out.truncated; ++n) {
    const partition_keys k(options.prefix, n);
    const std::size_t room = window.max_cases - out.cases.size();
    std::string upto = to;
    const bool over = co_await applied_count(c, k, from, to, timeout) > room;
    if (over && room > 0) {
      // The window's first and last scores, then the smallest score reaching `room` cases.
      command_list ends;
      for (const auto& index : state_indexes(k)) {
        ends.push_back(cmd("ZRANGEBYSCORE", index, from, to, "WITHSCORES", "LIMIT", "0", "1"));
        ends.push_back(cmd("ZREVRANGEBYSCORE", index, to, from, "WITHSCORES", "LIMIT", "0", "1"));
      }
      std::optional<std::int64_t> low, high;
      for (const auto& r : co_await atomically(c, std::move(ends), timeout)) {
        for (const auto& m : scored_members(r)) {
          low = std::min(low.value_or(m.applied_ms), m.applied_ms);
          high = std::max(high.value_or(m.applied_ms), m.applied_ms);
        }
      }
      std::int64_t lo = low.value_or(0), hi = high.value_or(0);
      while (lo < hi) {
        const std::int64_t mid = lo + (hi - lo) / 2;
        if (co_await applied_count(c, k, from, std::to_string(mid), timeout) >= room) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
      upto = std::to_string(hi);
    }
    command_list commands;
    for (const auto& index : state_indexes(k)) {
      commands.push_back(cmd("ZRANGEBYSCORE", index, from, upto, "WITHSCORES", "LIMIT", "0",
                             std::to_string(room + 1)));
    }
    std::vector<page_position> found;
    for (const auto& r : co_await atomically(c, std::move(commands), timeout)) {
      for (auto& m : scored_members(r)) found.push_back(std::move(m));
    }
    std::sort(found.begin(), found.end(),
              [](const page_position& a, const page_position& b) { return comes_before(b, a); });
    if (over || found.size() > room) {
      if (found.size() > room) found.resize(room);
      out.truncated = true;
    }
    std::vector<std::string> ids;
    ids.reserve(found.size());
    for (auto& m : found) ids.push_back(std::move(m.case_id));
    auto records = co_await read_cases(c, k, std::move(ids), timeout);
    std::move(records.begin(), records.end(), std::back_inserter(out.cases));
  }
  co_return out;
}

const escalation_record* open_escalation_of(const case_record& r, escalation_level level,
                                            std::string_view clock) {
  const escalation_record* found = nullptr;
  for (const auto& e : r.escalations) {
    if (e.open && e.level == level && (clock.empty() || contract_clock_name(e.clock) == clock)) {
      if (!found || e.due < found->due) found = &e;
    }
  }
  return found;
}

// When the materials of a deficiency case are due: the armed supplement clock, else the grace.
std::optional<instant> materials_due(const case_record& r) {
  if (const auto* c = r.armed_clock(clock_kind::supplement)) return c->due;
  if (const auto* c = r.armed_clock(clock_kind::supplement_grace)) return c->due;
  return std::nullopt;
}

std::vector<credit_hook_item> credit_hooks_in(const reply& stream) {
  std::vector<credit_hook_item> out;
  for (const auto& entry : checked(stream).elements()) {
    const auto& parts = entry.elements();
    if (parts.size() < 2) continue;
    const auto& fields = parts[1].elements();
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].as_string() != "event") continue;
      const auto j = nlohmann::json::parse(fields[i + 1].as_string(), nullptr, false);
      if (j.is_discarded() || !j.is_object() || text_field(j, "type") != "credit.hook") continue;
      const auto at = parse_rfc3339(text_field(j, "at"));
      if (!at) continue;
      credit_hook_item item;
      item.event_id = text_field(j, "id");
      item.case_id = text_field(j, "case_id");
      item.at = *at;
      if (const auto d = j.find("data"); d != j.end() && d->is_object()) {
        item.kind = text_field(*d, "kind");
        item.detail = text_field(*d, "detail");
        item.matter = text_field(*d, "matter");
      }
      out.push_back(std::move(item));
    }
  }
  return out;
}

asio::awaitable<dashboard_summary> summary_on(router& c, const read_options& options,
                                              std::size_t limit,
                                              std::chrono::milliseconds timeout) {
  dashboard_summary s;
  for (int i = 0; i < case_state_count; ++i) {
    s.by_state[std::string(to_string(static_cast<case_state>(i)))] = 0;
  }
  for (const auto& d : options.departments) s.by_department[d.name] = 0;
  for (const auto& level : enum_names<escalation_level>) {
    s.escalations_open[std::string(level.text)] = 0;
  }
  std::optional<std::int64_t> clock_ms;
  std::vector<open_escalation> warnings;
  std::set<std::pair<std::uint32_t, std::string>> overdue_decisions;
  const std::string last = std::to_string(std::max<std::size_t>(limit, 1) - 1);

  for (std::uint32_t n = 0; n < options.partitions; ++n) {
    const partition_keys k(options.prefix, n);
    command_list commands;
    for (int i = 0; i < case_state_count; ++i) {
      commands.push_back(cmd("ZCARD", k.by_state(to_string(static_cast<case_state>(i)))));
    }
    for (const auto& d : options.departments) {
      for (const auto& m : d.matters) commands.push_back(cmd("ZCARD", k.by_matter(m)));
    }
    commands.push_back(cmd("ZCARD", k.overdue()));
    commands.push_back(cmd("HGET", k.state(), "clock"));
    commands.push_back(cmd("ZRANGE", k.escalations(), "0", std::to_string(max_escalations_read - 1),
                           "WITHSCORES"));
    commands.push_back(cmd("ZRANGE", k.overdue(), "0", last));
    commands.push_back(cmd("ZRANGE", k.by_state("accepted_deficient"), "0", last));
    commands.push_back(cmd("ZRANGE", k.by_state("supplement_overdue"), "0", last));
    commands.push_back(
        cmd("XREVRANGE", k.out(), "+", "-", "COUNT", std::to_string(recent_out_entries)));
    const auto r = co_await c.pipeline(std::move(commands), timeout);

    std::size_t i = 0;
    // Every case is in one state index and one matter index: the state counts add up to the
    // total, a department's matters' counts to the department's.
    for (int st = 0; st < case_state_count; ++st) {
      const auto count = count_of(r[i++]);
      s.by_state[std::string(to_string(static_cast<case_state>(st)))] += count;
      s.total_cases += count;
    }
    for (const auto& d : options.departments) {
      for (std::size_t m = 0; m < d.matters.size(); ++m)
        s.by_department[d.name] += count_of(r[i++]);
    }
    s.overdue_cases += count_of(r[i++]);
    if (const auto& clock = checked(r[i++]); clock.is_string()) {
      if (const auto ms = parse_integer(clock.as_string())) {
        clock_ms = std::max(clock_ms.value_or(*ms), *ms);
      }
    }
    for (const auto& m : scored_members(r[i++])) {
      auto e = parse_escalation_member(m.case_id, m.applied_ms, n);
      if (!e) continue;
      ++s.escalations_open[std::string(to_string(e->level))];
      if (e->clock != contract_clock_name(clock_kind::decision)) continue;
      if (e->level == escalation_level::overdue) overdue_decisions.emplace(n, e->case_id);
      if (e->level == escalation_level::warning) warnings.push_back(std::move(*e));
    }
    auto overdue_ids = members(r[i++]);
    auto deficient_ids = members(r[i++]);
    for (auto& id : members(r[i++])) deficient_ids.push_back(std::move(id));
    for (auto& hook : credit_hooks_in(r[i++])) s.credit_hooks.push_back(std::move(hook));

    auto overdue = co_await read_cases(c, k, std::move(overdue_ids), timeout);
    for (auto& record : overdue) s.overdue.push_back(std::move(record));
    auto deficient = co_await read_cases(c, k, std::move(deficient_ids), timeout);
    for (auto& record : deficient) s.awaiting_materials.push_back(std::move(record));
  }
  s.as_of = clock_ms ? from_ms(*clock_ms)
                     : std::chrono::time_point_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now());

  // Nearing the decision limit: warned, not yet overdue.
  std::erase_if(warnings, [&](const open_escalation& e) {
    return overdue_decisions.contains({e.partition, e.case_id});
  });
  std::sort(warnings.begin(), warnings.end(), raised_earlier);
  if (warnings.size() > limit) warnings.resize(limit);
  co_await attach_cases(c, options.prefix, options.partitions, warnings, timeout);
  s.nearing_decision = std::move(warnings);

  // The latest first: the one whose overdue deadline passed longest ago.
  auto overdue_since = [](const case_record& r) {
    const auto* e = open_escalation_of(r, escalation_level::overdue, "");
    return e ? e->due : instant::max();
  };
  std::sort(s.overdue.begin(), s.overdue.end(), [&](const case_record& a, const case_record& b) {
    return std::pair(overdue_since(a), a.case_id) < std::pair(overdue_since(b), b.case_id);
  });
  if (s.overdue.size() > limit) s.overdue.resize(limit);
  std::sort(s.awaiting_materials.begin(), s.awaiting_materials.end(),
            [](const case_record& a, const case_record& b) {
              return std::pair(materials_due(a).value_or(instant::max()), a.case_id) <
                     std::pair(materials_due(b).value_or(instant::max()), b.case_id);
            });
  if (s.awaiting_materials.size() > limit) s.awaiting_materials.resize(limit);
  std::sort(s.credit_hooks.begin(), s.credit_hooks.end(),
            [](const credit_hook_item& a, const credit_hook_item& b) {
              return std::tie(a.at, a.event_id) > std::tie(b.at, b.event_id);
            });
  if (s.credit_hooks.size() > limit) s.credit_hooks.resize(limit);
  co_return s;
}

asio::awaitable<submission> submit_on(router& c, std::string prefix, std::uint32_t partitions,
                                      inbound_event event, std::string raw,
                                      std::chrono::milliseconds timeout) {
  submission out;
  for (const auto n : partitions_for(event, partitions)) out.partitions.push_back(n);
  command_list commands;
  for (const auto n : out.partitions) {
    commands.push_back(cmd("XADD", partition_keys(prefix, n).events(), "*", "event", raw));
  }
  const auto replies = co_await c.pipeline(std::move(commands), timeout);
  for (const auto& r : replies) checked(r);
  co_return out;
}

asio::awaitable<store_status> status_on(router& c, std::string prefix, std::uint32_t partitions,
                                        std::chrono::milliseconds timeout) {
  store_status s;
  const auto pong = co_await c.command(cmd("PING"), timeout);
  if (!pong.is_status()) {
    s.detail = "redis answered PING with " + pong.describe();
    co_return s;
  }
  s.reachable = true;
  for (const auto& level : enum_names<escalation_level>) {
    s.escalations_open[std::string(level.text)] = 0;
  }
  for (int i = 0; i < case_state_count; ++i) {
    s.cases_by_state[std::string(to_string(static_cast<case_state>(i)))] = 0;
  }
  for (std::uint32_t n = 0; n < partitions; ++n) {
    const partition_keys k(prefix, n);
    command_list commands;
    commands.push_back(cmd("XINFO", "GROUPS", k.events()));
    commands.push_back(cmd("ZCARD", k.timers()));
    commands.push_back(
        cmd("ZRANGE", k.escalations(), "0", std::to_string(max_escalations_read - 1)));
    for (int i = 0; i < case_state_count; ++i) {
      commands.push_back(cmd("ZCARD", k.by_state(to_string(static_cast<case_state>(i)))));
    }
    const auto r = co_await c.pipeline(std::move(commands), timeout);
    partition_status p;
    p.partition = n;
    // No stream yet is an error reply: the lag is then unknown, not a failure.
    if (r[0].is_array()) {
      for (const auto& group : r[0].elements()) {
        const auto& f = group.elements();
        std::map<std::string, const reply*> fields;
        for (std::size_t i = 0; i + 1 < f.size(); i += 2) fields[f[i].as_string()] = &f[i + 1];
        if (!fields.contains("name") || fields["name"]->as_string() != redis::consumer_group) {
          continue;
        }
        if (fields.contains("pending") && fields["pending"]->is_integer()) {
          p.pending = fields["pending"]->as_integer();
        }
        if (fields.contains("lag") && fields["lag"]->is_integer())
          p.lag = fields["lag"]->as_integer();
      }
    }
    p.timers_pending = r[1].is_integer() ? r[1].as_integer() : 0;
    if (r[2].is_array()) {
      for (const auto& m : r[2].elements()) {
        if (auto e = parse_escalation_member(m.as_string(), 0, n)) {
          ++s.escalations_open[std::string(to_string(e->level))];
        }
      }
    }
    for (int i = 0; i < case_state_count; ++i) {
      const auto& count = r[3 + static_cast<std::size_t>(i)];
      if (count.is_integer()) {
        s.cases_by_state[std::string(to_string(static_cast<case_state>(i)))] += count.as_integer();
      }
    }
    s.partitions.push_back(p);
  }
  co_return s;
}

asio::awaitable<std::vector<case_record>> get_on(router& c, const read_options& options,
                                                 std::string case_id,
                                                 std::chrono::milliseconds timeout) {
  // The case id does not say its partition; with several, each is asked, and every one that
  // holds it answers (two applicants in two partitions may each have applied under the id).
  std::vector<case_record> all;
  for (std::uint32_t n = 0; n < options.partitions; ++n) {
    std::vector<std::string> ids(1, case_id);
    auto found = co_await read_cases(c, partition_keys(options.prefix, n), ids, timeout);
    for (auto& r : found) all.push_back(std::move(r));
  }
  co_return all;
}

}  // namespace

// Never throws: an unreachable store is a status.
asio::awaitable<store_status> probe_status(read_link& link, std::string prefix,
                                           std::uint32_t partitions) {
  std::string failure;
  try {
    co_return co_await link.run(status_on(link.nodes(), prefix, partitions, link.timeout()));
  } catch (const std::exception& e) {
    failure = e.what();
  }
  store_status down;
  down.detail = failure;
  co_return down;
}

std::optional<case_record> decode_case_doc(std::string_view doc) {
  try {
    return decode_case(doc);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

read_link::read_link(boost::asio::any_io_executor executor, endpoint where,
                     std::chrono::milliseconds timeout)
    : strand_(asio::make_strand(std::move(executor))),
      where_(std::move(where)),
      timeout_(timeout),
      nodes_(strand_, where_, timeout_) {}

asio::awaitable<void> read_link::ensure_connected() {
  if (nodes_.connected()) co_return;
  if (connecting_) {
    throw redis::error(redis::errc::connection_lost, "redis is being reconnected");
  }
  connecting_ = true;
  try {
    co_await nodes_.connect();
  } catch (...) {
    connecting_ = false;
    throw;
  }
  connecting_ = false;
  if (ever_connected_ && on_reconnect_) on_reconnect_();
  ever_connected_ = true;
}

void read_link::close() {
  asio::post(strand_, [this] { nodes_.close(); });
}

read_model::read_model(read_link& link, read_options options)
    : link_(link), options_(std::move(options)) {}

asio::awaitable<std::vector<case_record>> read_model::get_case(std::string case_id) {
  co_return co_await link_.run(
      get_on(link_.nodes(), options_, std::move(case_id), link_.timeout()));
}

asio::awaitable<case_page> read_model::list_cases(case_filter filter) {
  co_return co_await link_.run(
      list_on(link_.nodes(), options_, std::move(filter), link_.timeout()));
}

asio::awaitable<std::vector<open_escalation>> read_model::escalations(
    std::optional<escalation_level> level, std::size_t limit) {
  co_return co_await link_.run(
      all_escalations(link_.nodes(), options_, level, limit, link_.timeout()));
}

asio::awaitable<ledger_result> read_model::ledger(ledger_query query) {
  co_return co_await link_.run(ledger_on(link_.nodes(), options_, query, link_.timeout()));
}

asio::awaitable<dashboard_summary> read_model::summary(std::size_t list_limit) {
  co_return co_await link_.run(summary_on(link_.nodes(), options_, list_limit, link_.timeout()));
}

asio::awaitable<applied_cases> read_model::cases_applied(applied_window window) {
  co_return co_await link_.run(applied_on(link_.nodes(), options_, window, link_.timeout()));
}

stream_sink::stream_sink(read_link& link, std::string prefix, std::uint32_t partitions)
    : link_(link), prefix_(std::move(prefix)), partitions_(partitions) {}

asio::awaitable<submission> stream_sink::submit(inbound_event event, std::string raw) {
  co_return co_await link_.run(submit_on(link_.nodes(), prefix_, partitions_, std::move(event),
                                         std::move(raw), link_.timeout()));
}

status_probe make_status_probe(read_link& link, std::string prefix, std::uint32_t partitions) {
  return [&link, prefix = std::move(prefix), partitions] {
    return probe_status(link, prefix, partitions);
  };
}

}  // namespace xyp::redis
