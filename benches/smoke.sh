#!/usr/bin/env bash
# Keeps the whole-process benchmark scripts working: runs benches/fleet-run.sh and
# benches/compare-promtool.sh at a tiny scale and checks that each succeeds and prints every
# figure it promises, as a number. No timing is asserted: figures of so small a run say nothing
# about speed. What is checked beyond the format: every target of the 2-cluster fleet was probed
# and up (fleet-run.sh fails otherwise), and promtool resolves as many file_sd targets as
# prom-preflight (compare-promtool.sh fails otherwise). And the committed fleet scenario is what
# its generator writes.
#
# Needs what the scripts need: jq, python3, /usr/bin/time, hyperfine, promtool. A missing tool
# skips the run loudly, or fails it when PREFLIGHT_REQUIRE_ORACLES=1 (as .ci/run sets).
# Usage: benches/smoke.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
missing=()
for tool in jq python3 /usr/bin/time hyperfine "${PROMTOOL:-promtool}"; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "${PREFLIGHT_REQUIRE_ORACLES:-}" = 1 ]; then
    echo "benches/smoke.sh: FAILED: not installed: ${missing[*]} (PREFLIGHT_REQUIRE_ORACLES=1)" >&2
    exit 1
  fi
  echo "benches/smoke.sh: SKIPPED: not installed: ${missing[*]}" >&2
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

# The committed scenario is the generator's output at its defaults; fleet-run.sh generates its own.
if ! "$root/benches/support/fleet-scenario.sh" | cmp -s - "$root/fixtures/scenarios/fleet.yaml"; then
  echo "benches/smoke.sh: fixtures/scenarios/fleet.yaml differs from benches/support/fleet-scenario.sh's output" >&2
  failures=$((failures + 1))
fi

# expect FILE COUNT DESCRIPTION REGEX: exactly COUNT lines of FILE match the extended REGEX.
expect() {
  local found
  found=$(grep -cE "$4" "$1" || true)
  if [ "$found" != "$2" ]; then
    echo "benches/smoke.sh: $(basename "$1"): expected $2 line(s) of $3, found $found" >&2
    failures=$((failures + 1))
  fi
}

number='[0-9]+(\.[0-9]+)?'
ratio="($number""x|n/a)"

# 2 clusters x (3 groups x 2 nodes + 1 big node) x 3 jobs = 42 targets, 20 ms each.
FLEET_LATENCY_MS=20 "$root/benches/fleet-run.sh" --clusters 2 --group-nodes 2 | tee "$work/fleet.txt"
fleet=$work/fleet.txt
expect "$fleet" 2 "section" '^== fleet: '
expect "$fleet" 2 "targets" '^targets +42 \(42 up\) on 2 hosts, at most 21 per host$'
expect "$fleet" 2 "payload" "^payload +$number GB on the wire, $number GB uncompressed$"
expect "$fleet" 2 "wall" "^wall +$number s$"
expect "$fleet" 2 "ideal" "^ideal +$number s = max\(42 x 0.02 s / 64, 21 x 0.02 s / 8\) \+ $number GB / $number GB/s$"
expect "$fleet" 2 "ratio" "^ratio +$number""x the ideal"
expect "$fleet" 2 "peak RSS" "^peak RSS +$number MB"
expect "$fleet" 2 "CPU" "^CPU +prom-preflight $number s \(user $number, sys $number\), kubesim $number s, together $number s"

# A 4 MiB payload, a 100-target file_sd job, one run each.
"$root/benches/compare-promtool.sh" 4 100 1 | tee "$work/compare.txt"
compare=$work/compare.txt
row="( +$number){4} +$number MB"
expect "$compare" 1 "payload section" '^== payload: 4.0 MiB, [0-9]+ lines$'
expect "$compare" 1 "payload row of prom-preflight" "^prom-preflight$row$"
expect "$compare" 1 "payload row of promtool" "^promtool$row$"
expect "$compare" 1 "payload ratio" "^ratio \(promtool / prom-preflight\): wall $ratio, cpu $ratio, peak RSS $ratio$"
expect "$compare" 1 "file_sd section" '^== file_sd job: 100 targets, 5 relabel rules$'
expect "$compare" 1 "file_sd row of prom-preflight" "^prom-preflight( +$number){2} +$number MB +100$"
expect "$compare" 1 "file_sd row of promtool" "^promtool( +$number){2} +$number MB +100$"
expect "$compare" 1 "file_sd ratio" "^ratio \(promtool / prom-preflight\): cpu $ratio "

if [ "$failures" -gt 0 ]; then
  echo "benches/smoke.sh: FAILED: $failures figure line(s) missing or malformed" >&2
  exit 1
fi
echo "benches/smoke.sh: both scripts ran and printed every figure"
