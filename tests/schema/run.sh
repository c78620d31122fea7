#!/usr/bin/env bash
# The contract's JSON Schemas (docs/schema/) against what the engine really reads and writes:
#   - every line `xinyipi generate` writes for a small generated day, every line of the sample
#     day and of edge.jsonl (the edges of the envelope check: lengths in characters, time
#     formats, clock.advance's applicant, check characters, nested fields), sorted by what
#     `xinyipi replay` did with it: accepted lines must pass the inbound schema; lines
#     dead-lettered for a reason a schema can see (malformed_json, unknown_type, the envelope
#     check's schema_violation) must fail it; lines refused for the engine's state (unknown_case,
#     duplicate_case, unknown_matter, invalid_transition) or for an applicant id's check character
#     must pass it. split.mjs's mustFail() holds the rule.
#   - every outbound event of the sample day's replay under each profile in config/profiles/
#     must pass the outbound schema.
# Prints "N passed, M failed" last and exits non-zero on any failure.
#
# Needs node and npm (scripts/install-deps.sh --browser); ajv-cli and ajv-formats come from the
# npm registry at the versions package-lock.json pins. Environment:
#   XINYIPI   the engine binary (default: build/release/adapters/cli/xinyipi)
set -Eeuo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
xinyipi="${XINYIPI:-$repo/build/release/adapters/cli/xinyipi}"
schemas="${XYP_SCHEMA_DIR:-$repo/docs/schema}"

for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing (scripts/install-deps.sh --browser)" >&2; exit 1; }
done
[[ -x "$xinyipi" ]] || { echo "run.sh: no engine binary at $xinyipi (scripts/build.sh release)" >&2; exit 1; }
if [[ ! -x "$here/node_modules/.bin/ajv" || ! -d "$here/node_modules/ajv-formats" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund >/dev/null)
fi
ajv=("$here/node_modules/.bin/ajv")

work="$(mktemp -d "${TMPDIR:-/tmp}/xyp-schema-XXXXXX")"
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
# A step that breaks (a binary missing, a script error) still ends with the closing line.
trap 'echo "$passed passed, $((failed + 1)) failed (stopped: a step of run.sh failed)"' ERR
# Adds the counts "split: <pass files> <fail files> <passed> <failed>" of split.mjs.
count_split() {
  local line
  line=$(grep '^split: ' "$1")
  read -r _ _ _ p f <<<"$line"
  passed=$((passed + p))
  failed=$((failed + f))
}

# ajv-cli's `test` over directories of single-event files, in one run (node's start-up is most
# of the time); counts each file's verdict.
check() {
  local schema="$1" expect="$2" label="$3"
  shift 3
  local dirs=() args=() files=0 n
  for dir in "$@"; do
    n=$(find "$dir" -name '*.json' | wc -l)
    if ((n > 0)); then
      files=$((files + n))
      args+=(-d "$dir/*.json")
    fi
  done
  ((files > 0)) || return 0
  local log="$work/ajv-$label.log"
  "${ajv[@]}" test --spec=draft2020 --strict=true -c ajv-formats --errors=line \
    -s "$schemas/$schema.schema.json" -r "$schemas/common.schema.json" \
    "${args[@]}" "--$expect" >"$log" 2>&1 || true
  local ok bad
  ok=$(grep -c ' passed test$' "$log" || true)
  bad=$(grep -c ' failed test$' "$log" || true)
  passed=$((passed + ok))
  failed=$((failed + bad))
  local must
  must=$([[ $expect == valid ]] && echo pass || echo fail)
  if ((ok + bad != files)); then
    echo "FAIL $label: ajv-cli judged $((ok + bad)) of $files files:" >&2
    tail -n 20 "$log" >&2
    failed=$((failed + files - ok - bad))
  elif ((bad > 0)); then
    echo "FAIL $label: $bad of $files lines do not $must the $schema schema (file: source-line):" >&2
    local file
    grep ' failed test$' "$log" | sed 's/ failed test$//' | head -n 10 | while read -r file; do
      echo "  $(basename "$file"): $(head -c 300 "$file")" >&2
      if [[ $expect == valid ]]; then
        grep -A1 -F "$file failed test" "$log" | tail -n 1 | head -c 600 >&2 || true
        echo >&2
      fi
    done
  fi
  echo "  $label: $ok of $files $must the $schema schema as they must"
}

# Sorts one day's lines by what the engine did with each (split.mjs).
inbound_day() {
  local events="$1" label="$2" profile="$3"
  "$xinyipi" replay --profile "$profile" --events "$events" --summary-only >"$work/$label.replay"
  node "$here/split.mjs" inbound "$events" "$work/$label.replay" "$work/$label" >"$work/$label.split"
  count_split "$work/$label.split"
}

"$xinyipi" generate --cases 300 --seed 12 --bad-share 0.1 --out "$work/generated.jsonl" 2>/dev/null
inbound_day "$work/generated.jsonl" generated "$repo/config/profiles/shilong.json"
inbound_day "$repo/config/samples/day.jsonl" sample "$repo/config/profiles/shilong.json"
inbound_day "$here/edge.jsonl" edge "$repo/config/profiles/shilong.json"
outbound_dirs=()
for profile in "$repo"/config/profiles/*.json; do
  name=$(basename "$profile" .json)
  "$xinyipi" replay --profile "$profile" --events "$repo/config/samples/day.jsonl" >"$work/out-$name.replay"
  node "$here/split.mjs" outbound "$work/out-$name.replay" "$work/out-$name" >"$work/out-$name.split"
  count_split "$work/out-$name.split"
  outbound_dirs+=("$work/out-$name/pass")
done

echo "== inbound: a generated day (300 cases, 10% bad input), the sample day, edge.jsonl"
check inbound valid inbound-accepted "$work/generated/pass" "$work/sample/pass" "$work/edge/pass"
check inbound invalid inbound-refused "$work/generated/fail" "$work/sample/fail" "$work/edge/fail"
echo "== outbound: the sample day under each profile ($(cd "$repo/config/profiles" && ls | tr '\n' ' '))"
check outbound valid outbound "${outbound_dirs[@]}"

echo "$passed passed, $failed failed"
((failed == 0))
