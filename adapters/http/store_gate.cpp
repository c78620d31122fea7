#include "adapters/http/store_gate.hpp"

#include <algorithm>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace xyp::http {

boost::asio::awaitable<bool> store_gate::enter() {
  if (slots_ == 0) co_return true;
  if (busy_ < slots_) {
    ++busy_;
    co_return true;
  }
  if (line_.size() >= max_waiting_ || max_wait_ <= std::chrono::milliseconds::zero()) {
    co_return false;
  }
  auto w = std::make_shared<waiter>(co_await boost::asio::this_coro::executor);
  w->timer.expires_after(max_wait_);
  line_.push_back(w);
  boost::system::error_code ignored;
  co_await w->timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
  // Granted means leave() passed its slot on (even if the deadline came in the same turn).
  if (w->granted) co_return true;
  line_.erase(std::remove(line_.begin(), line_.end(), w), line_.end());
  co_return false;
}

void store_gate::leave() {
  if (slots_ == 0) return;
  if (!line_.empty()) {
    auto next = line_.front();
    line_.pop_front();
    next->granted = true;
    next->timer.cancel();
    return;
  }
  --busy_;
}

}  // namespace xyp::http
