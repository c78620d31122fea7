#pragma once
// A bound on the requests that reach the store at once, with a line in front of it: a request
// past the bound waits for a slot rather than being refused at once, but only so long and only
// so many, so that a wait never becomes a queue on the store the engine commits to.
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

namespace xyp::http {

// Used from one thread (the HTTP side's): no lock.
class store_gate {
 public:
  // slots 0: no bound, every enter() succeeds at once.
  store_gate(std::size_t slots, std::size_t max_waiting, std::chrono::milliseconds max_wait)
      : slots_(slots), max_waiting_(max_waiting), max_wait_(max_wait) {}

  // True with a slot held (give it back with leave()), false when refused: the line is full, or
  // no slot came free within max_wait.
  boost::asio::awaitable<bool> enter();
  void leave();

  std::size_t busy() const { return busy_; }
  std::size_t waiting() const { return line_.size(); }

 private:
  struct waiter {
    explicit waiter(boost::asio::any_io_executor executor) : timer(std::move(executor)) {}
    boost::asio::steady_timer timer;
    bool granted = false;  // leave() handed its slot over
  };

  std::size_t slots_;
  std::size_t max_waiting_;
  std::chrono::milliseconds max_wait_;
  std::size_t busy_ = 0;
  std::deque<std::shared_ptr<waiter>> line_;
};

}  // namespace xyp::http
