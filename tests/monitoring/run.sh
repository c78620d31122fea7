#!/usr/bin/env bash
# The monitoring files (docs/monitoring/) against promtool and the engine's metric names:
#   - promtool check rules on the alert rules, promtool test rules on their unit tests;
#   - every query of the Grafana dashboard parses (each becomes a recording rule for promtool);
#   - every xyp_ series the rules and the dashboard name is one the engine registers (the names in
#     adapters/; histograms with their _bucket suffix).
# Needs promtool (scripts/install-deps.sh --promtool) and node. Exits non-zero on any failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
monitoring="$repo/docs/monitoring"

command -v promtool >/dev/null || { echo "run.sh: promtool is missing (scripts/install-deps.sh --promtool)" >&2; exit 1; }
command -v node >/dev/null || { echo "run.sh: node is missing (scripts/install-deps.sh --browser)" >&2; exit 1; }
work="$(mktemp -d "${TMPDIR:-/tmp}/xyp-monitoring-XXXXXX")"
trap 'rm -rf "$work"' EXIT
failed=0

promtool check rules "$monitoring/alerts.yml"
promtool test rules "$monitoring/alerts.test.yml" || failed=1

# The dashboard's queries as recording rules, $job as a regex that matches anything.
node -e '
  const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const exprs = d.panels.flatMap((p) => (p.targets || []).map((t) => t.expr));
  const rules = exprs.map((e, i) => "      - record: dashboard:query_" + i + "\n        expr: " +
    JSON.stringify(e.replaceAll("$job", ".*")));
  console.log("groups:\n  - name: dashboard\n    rules:\n" + rules.join("\n"));
' "$monitoring/grafana-dashboard.json" >"$work/dashboard-queries.yml"
echo "Checking the dashboard's queries"
promtool check rules "$work/dashboard-queries.yml" || failed=1

# Metric names: used in the rules and the dashboard, registered by the engine.
grep -rhoE '"xyp_[a-z_]+"' "$repo/adapters" | tr -d '"' | sort -u >"$work/registered"
for m in $(grep -E '^xyp_.*_(seconds|size)$' "$work/registered"); do echo "${m}_bucket"; done >>"$work/registered"
sort -u -o "$work/registered" "$work/registered"
grep -hoE 'xyp_[a-z_]+' "$monitoring/alerts.yml" "$monitoring/grafana-dashboard.json" | sort -u >"$work/used"
unknown=$(comm -23 "$work/used" "$work/registered")
if [[ -n "$unknown" ]]; then
  echo "FAIL: the monitoring files name series the engine does not export: $unknown" >&2
  failed=1
else
  echo "  all $(wc -l <"$work/used") xyp_ series named by the rules and the dashboard are exported"
fi
exit "$failed"
