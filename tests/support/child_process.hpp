#pragma once
// What the tests' child processes share (redis-server, redis-cli, `xinyipi run`): finding a
// program, starting it with its output appended to a file and dying with the test, and reading
// back how it ended and what it last wrote.
#include <sys/types.h>

#include <cstddef>
#include <deque>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace xyp::test {

// The program's path, from PATH or /usr/bin; std::runtime_error naming the package to install
// (`package`) when it is in neither.
std::filesystem::path find_program(std::string_view name, std::string_view package);

// Starts args[0] with args, stdin from /dev/null, stdout and stderr appended to `output`, no
// descriptor of ours inherited (hiredis does not set CLOEXEC), and SIGKILL when the thread that
// started it ends, even if the test process crashes. Returns its pid; throws std::system_error
// when the file cannot be opened or fork fails. A failed exec is exit status 127, with a line in
// `output`.
pid_t spawn(const std::vector<std::string>& args, const std::filesystem::path& output);

// "exited with status 1", "was killed by signal 9": a wait status in words.
std::string describe_status(int status);

// The last `count` lines of a file (fewer when it is shorter, none when it is missing).
std::deque<std::string> last_lines(const std::filesystem::path& file, std::size_t count);

}  // namespace xyp::test
