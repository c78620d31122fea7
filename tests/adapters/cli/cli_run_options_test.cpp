// `xinyipi run` refuses options that would serve the back office insecurely, before it talks to
// Redis: each with its exit code and a message naming what to do.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

struct outcome {
  int exit_code = -1;
  std::string stderr_text;
};

// Runs the engine binary with these arguments; no Redis is listening on port 1, so any run that
// got past its options would fail with the Redis exit code (5) instead.
outcome run_engine(const std::string& arguments) {
  const auto err = std::filesystem::temp_directory_path() /
                   ("xyp-cli-" + std::to_string(::getpid()) + ".stderr");
  const std::string command = std::string(XYP_BINARY) +
                              " run --redis redis://127.0.0.1:1 --log-level error " + arguments +
                              " >/dev/null 2>" + err.string();
  const int status = std::system(command.c_str());
  outcome out;
  if (WIFEXITED(status)) out.exit_code = WEXITSTATUS(status);
  std::ifstream in(err);
  std::ostringstream text;
  text << in.rdbuf();
  out.stderr_text = text.str();
  std::filesystem::remove(err);
  return out;
}

const std::string example_tokens = std::string(XYP_CONFIG_DIR) + "/tokens.example.json";

}  // namespace

TEST_CASE("run refuses to serve HTTP without an explicit tokens file", "[cli][roles]") {
  const auto r = run_engine("--http 127.0.0.1:0");
  CHECK(r.exit_code == 2);
  CHECK(r.stderr_text.find("--http needs --tokens FILE") != std::string::npos);
}

TEST_CASE("run refuses the example's published tokens without --demo-tokens", "[cli][roles]") {
  const auto r = run_engine("--http 127.0.0.1:0 --tokens " + example_tokens);
  CHECK(r.exit_code == 3);
  CHECK(r.stderr_text.find("a demonstration or placeholder token") != std::string::npos);
}

TEST_CASE("demo tokens are served on loopback only", "[cli][roles]") {
  const auto outside = run_engine("--http 0.0.0.0:0 --tokens " + example_tokens + " --demo-tokens");
  CHECK(outside.exit_code == 2);
  CHECK(outside.stderr_text.find("loopback address only") != std::string::npos);
  // On loopback the options pass, and the run stops at the missing Redis instead.
  const auto loopback =
      run_engine("--http 127.0.0.1:0 --tokens " + example_tokens + " --demo-tokens");
  CHECK(loopback.exit_code == 5);
}

TEST_CASE("run takes the limits and health thresholds as options, each in its range",
          "[cli][limits][hardening]") {
  // Within range: the options pass and the run stops at the missing Redis.
  const auto fine = run_engine(
      "--max-entry-bytes 2048 --future-margin 60 --header-timeout 2000 --max-connections 64 "
      "--max-connections-per-address 4 --max-store-requests 16 --health-max-lag 500 "
      "--health-max-commit-failures 5 --store-queue-wait 100 --read-cache 250 --http-nice 5");
  CHECK(fine.exit_code == 5);
  for (const std::string wrong :
       {"--max-entry-bytes 10", "--future-margin -2", "--header-timeout 0", "--max-connections 0",
        "--health-max-lag 0", "--health-max-commit-failures 0", "--store-queue-wait -1",
        "--read-cache -1", "--http-nice 20"}) {
    INFO(wrong);
    const auto r = run_engine(wrong);
    CHECK(r.exit_code == 2);
    CHECK(r.stderr_text.find(wrong.substr(0, wrong.find(' '))) != std::string::npos);
  }
}
