#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, checks the formatting, then the
# Catch2 tests (and the walls between the layers, tests/walls) through
# ctest in a release build and in an ASan+UBSan build (the Redis tests start their own
# redis-server), the contract's JSON Schemas against the engine's real input and output, the
# alert rules with promtool, a bounded libFuzzer run, and the dashboard in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --browser --promtool

echo "== formatting (clang-format 14, .clang-format): any difference fails"
format=$(command -v clang-format-14 || command -v clang-format)
git ls-files -z -- '*.cpp' '*.hpp' | xargs -0 "$format" --dry-run --Werror

echo "== release build and tests"
scripts/build.sh release
ctest --test-dir build/release --output-on-failure -j2

echo "== Debian package (cpack) unpacked into a scratch root and run from there"
BUILD_DIR=build/release tests/package/run.sh

echo "== contract schemas (docs/schema) against generated, sample and outbound lines"
XINYIPI=build/release/adapters/cli/xinyipi tests/schema/run.sh

echo "== alert rules and dashboard (docs/monitoring) with promtool"
tests/monitoring/run.sh

echo "== ASan+UBSan build and tests"
scripts/build.sh asan
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan --output-on-failure -j2

echo "== fuzzing (bounded)"
scripts/fuzz.sh "${XYP_FUZZ_SECONDS:-20}"

if [[ -x tests/browser/run.sh ]]; then
  echo "== dashboard in headless Chromium"
  BUILD_DIR=build/release tests/browser/run.sh
fi
