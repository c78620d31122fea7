#!/usr/bin/env bash
# Bounded libFuzzer runs over the envelope parser, the case, applicant and ledger row decoders and
# random event sequences, with ASan and UBSan. Usage: scripts/fuzz.sh [seconds per target, default 30]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
scripts/install-deps.sh
build=build/fuzz
CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXYP_FUZZ=ON \
  -DXYP_SANITIZE=ON -DXYP_WERROR=ON >/dev/null
targets=(envelope case_codec applicant_record ledger_record sequence)
cmake --build "$build" -j2 --target "${targets[@]/%/_fuzz}"
for target in "${targets[@]}"; do mkdir -p "$build/corpus/${target}"; done
# Seed the envelope corpus with the sample day's lines, one file each.
if [[ -f config/samples/day.jsonl ]]; then
  split -l 1 -a 4 config/samples/day.jsonl "$build/corpus/envelope/line-"
fi
# The decoders start from nothing: their inputs are small and libFuzzer finds the format. Each
# target's output goes to a log; a passing target shows its last lines, a failing one its whole
# report (the crash, the stack, the input written under $build/), and every target runs.
passed=0
failed=()
for target in "${targets[@]}"; do
  echo "fuzzing ${target} for ${seconds}s"
  log="$build/${target}.log"
  if "$build/tests/fuzz/${target}_fuzz" -max_total_time="$seconds" -max_len=4096 \
    -print_final_stats=1 -artifact_prefix="$build/${target}-" "$build/corpus/${target}" \
    >"$log" 2>&1; then
    tail -n 4 "$log"
    passed=$((passed + 1))
  else
    cat "$log"
    failed+=("$target")
  fi
done
echo "fuzz: ${passed} passed, ${#failed[@]} failed${failed:+ (${failed[*]})}"
[[ ${#failed[@]} -eq 0 ]]
