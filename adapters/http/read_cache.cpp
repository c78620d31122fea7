#include "adapters/http/read_cache.hpp"

namespace xyp::http {
namespace {

// Keys are a read's arguments, each written as its length and its bytes, so that no two
// argument lists give the same key whatever bytes a query holds; an absent one is "-".
std::string text_field(std::string_view v) {
  return std::to_string(v.size()) + ':' + std::string(v);
}

std::string optional_field(const std::optional<std::string>& v) {
  return v ? text_field(std::string_view(*v)) : std::string("-");
}

std::string number_field(std::int64_t v) {
  return text_field(std::to_string(v));
}

}  // namespace

cached_case_queries::cached_case_queries(case_queries& store, read_cache_options options,
                                         steady_now now)
    : store_(store), options_(options), now_(std::move(now)) {}

boost::asio::awaitable<std::vector<case_record>> cached_case_queries::get_case(
    std::string case_id) {
  auto key = case_id;
  co_return co_await cases_.get(std::move(key), store_.get_case(std::move(case_id)));
}

boost::asio::awaitable<case_page> cached_case_queries::list_cases(case_filter filter) {
  std::string key =
      optional_field(filter.state
                         ? std::optional<std::string>(std::string(to_string(*filter.state)))
                         : std::nullopt) +
      optional_field(filter.department) + optional_field(filter.matter) +
      number_field(filter.overdue_only ? 1 : 0) +
      number_field(static_cast<std::int64_t>(filter.limit));
  key += filter.after ? number_field(filter.after->applied_ms) + text_field(filter.after->case_id)
                      : std::string("-");
  co_return co_await pages_.get(std::move(key), store_.list_cases(std::move(filter)));
}

boost::asio::awaitable<std::vector<open_escalation>> cached_case_queries::escalations(
    std::optional<escalation_level> level, std::size_t limit) {
  std::string key = text_field(level ? to_string(*level) : std::string_view{}) +
                    number_field(static_cast<std::int64_t>(limit));
  co_return co_await escalations_.get(std::move(key), store_.escalations(level, limit));
}

boost::asio::awaitable<ledger_result> cached_case_queries::ledger(ledger_query query) {
  co_return co_await store_.ledger(query);
}

boost::asio::awaitable<dashboard_summary> cached_case_queries::summary(std::size_t list_limit) {
  co_return co_await summaries_.get(number_field(static_cast<std::int64_t>(list_limit)),
                                    store_.summary(list_limit));
}

boost::asio::awaitable<applied_cases> cached_case_queries::cases_applied(applied_window window) {
  co_return co_await store_.cases_applied(window);
}

}  // namespace xyp::http
