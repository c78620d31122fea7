// Every line the engine logs is JSON, during a Redis outage too: the operators' log shipper
// parses each line, and a plain-text one is lost or breaks the pipeline.
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "adapters/common/log.hpp"
#include "adapters/redis/connection.hpp"
#include "support/redis_server.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Sends what is written to stderr (file descriptor 2) to a file while alive.
class stderr_capture {
 public:
  explicit stderr_capture(std::filesystem::path file) : file_(std::move(file)) {
    std::fflush(stderr);
    saved_ = ::dup(2);
    std::FILE* f = std::fopen(file_.c_str(), "w");
    REQUIRE(f != nullptr);
    ::dup2(::fileno(f), 2);
    std::fclose(f);
  }
  ~stderr_capture() { restore(); }
  stderr_capture(const stderr_capture&) = delete;
  stderr_capture& operator=(const stderr_capture&) = delete;

  // Puts stderr back and returns what was written meanwhile.
  std::string restore() {
    if (saved_ >= 0) {
      std::fflush(stderr);
      ::dup2(saved_, 2);
      ::close(saved_);
      saved_ = -1;
    }
    std::ifstream in(file_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  std::filesystem::path file_;
  int saved_ = -1;
};

}  // namespace

TEST_CASE("every line logged while redis is unreachable and when it is back is JSON", "[log]") {
  xyp::test::redis_server server;
  server.stop();
  xyp::log::set_level("info");
  std::string text;
  {
    stderr_capture capture(server.dir() / "captured-stderr.log");
    asio::io_context io;
    xyp::redis::connection redis(io.get_executor());
    bool done = false;
    asio::co_spawn(
        io, redis.connect_with_backoff(server.endpoint(), 500ms, xyp::redis::backoff(1ms, 2ms)),
        [&](std::exception_ptr) { done = true; });
    // A few failed attempts against the stopped server, then it comes back.
    for (int i = 0; i < 5; ++i) io.run_one();
    server.start();
    while (!done && io.run_one() > 0) {
    }
    text = capture.restore();
  }
  xyp::log::set_level("error");

  std::istringstream lines(text);
  std::string line;
  int seen = 0;
  bool told_unreachable = false;
  bool told_back = false;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    ++seen;
    INFO(line);
    const auto doc = nlohmann::json::parse(line, nullptr, false);
    REQUIRE(doc.is_object());
    CHECK(doc.contains("ts"));
    CHECK(doc.contains("level"));
    const auto msg = doc.value("msg", std::string());
    told_unreachable = told_unreachable || msg.find("unreachable") != std::string::npos;
    told_back = told_back || msg.find("reachable again") != std::string::npos;
  }
  CHECK(seen >= 2);
  CHECK(told_unreachable);
  CHECK(told_back);
}
