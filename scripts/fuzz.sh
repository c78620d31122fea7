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
cmake --build "$build" -j2 --target envelope_fuzz case_codec_fuzz applicant_record_fuzz \
  ledger_record_fuzz sequence_fuzz
mkdir -p "$build/corpus/envelope" "$build/corpus/case_codec" "$build/corpus/applicant_record" \
  "$build/corpus/ledger_record" "$build/corpus/sequence"
# Seed the envelope corpus with the sample day's lines, one file each.
if [[ -f config/samples/day.jsonl ]]; then
  split -l 1 -a 4 config/samples/day.jsonl "$build/corpus/envelope/line-"
fi
# The decoders start from nothing: their inputs are small and libFuzzer finds the format.
for target in envelope case_codec applicant_record ledger_record sequence; do
  echo "fuzzing ${target} for ${seconds}s"
  "$build/tests/fuzz/${target}_fuzz" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$build/" "$build/corpus/${target}" 2>&1 | tail -n 4
done
echo "fuzz: 5 passed, 0 failed"
