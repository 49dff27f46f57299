#!/usr/bin/env bash
# Side-by-side figures against promtool, whole-process, same input, same machine:
#   1. payload analysis: `prom-preflight payload FILE` vs `promtool check metrics < FILE` on a
#      generated cadvisor-like exposition (100 MiB by default);
#   2. resolving a 10,000-target file_sd job: `prom-preflight targets CFG --job J` vs
#      `promtool check service-discovery CFG J --timeout 1s`, compared in CPU seconds because
#      promtool always waits out its timeout.
# Inputs are generated in a temporary directory, removed on exit. Needs hyperfine and promtool.
# Fails if `prom-preflight payload` fails, or if the two tools resolve a different number of targets.
# Usage: benches/compare-promtool.sh [PAYLOAD_MIB] [TARGETS] [RUNS]
set -euo pipefail

mib=${1:-100}
targets=${2:-10000}
runs=${3:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
promtool=${PROMTOOL:-promtool}
for tool in hyperfine "$promtool" /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "compare-promtool: $tool is not installed" >&2; exit 2; }
done

(cd "$root" && cargo build --quiet --release --bin prom-preflight --example generate)
ours="$root/target/release/prom-preflight"
generate="$root/target/release/examples/generate"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "promtool: $("$promtool" --version 2>&1 | head -1)"
echo

# --- 1. payload analysis ---------------------------------------------------------------------
"$generate" cadvisor $((mib * 1024 * 1024)) > "$work/cadvisor.prom"
bytes=$(stat -c %s "$work/cadvisor.prom")
echo "== payload: $(awk -v b="$bytes" 'BEGIN{printf "%.1f MiB", b/1048576}'), $(wc -l < "$work/cadvisor.prom") lines"
hyperfine --style basic --warmup 1 --runs "$runs" -i --export-csv "$work/payload.csv" \
  -n prom-preflight "$ours payload $work/cadvisor.prom" \
  -n promtool "$promtool check metrics < $work/cadvisor.prom" >/dev/null
# CSV columns: command,mean,stddev,median,user,system,min,max
read -r ours_s ours_user ours_sys < <(awk -F, '$1=="prom-preflight"{print $2, $5, $6}' "$work/payload.csv")
read -r tool_s tool_user tool_sys < <(awk -F, '$1=="promtool"{print $2, $5, $6}' "$work/payload.csv")
peak_rss() { # KB; returns the command's exit status
  local status=0
  /usr/bin/time -f %M -o "$work/rss" "$@" >/dev/null 2>&1 || status=$?
  tail -1 "$work/rss"
  return "$status"
}
# hyperfine -i above ignores exit codes, for promtool's: `check metrics` exits 3 when it has lint
# findings, and only its resource figures matter. Ours must succeed on its own input.
ours_rss=$(peak_rss "$ours" payload "$work/cadvisor.prom") ||
  { echo "compare-promtool: prom-preflight payload failed" >&2; exit 1; }
tool_rss=$(peak_rss sh -c "$promtool check metrics < $work/cadvisor.prom" || true)
# A small input can finish under the clocks' resolution: such a ratio is printed as "n/a".
awk -v b="$bytes" -v o="$ours_s" -v ou="$ours_user" -v os="$ours_sys" -v t="$tool_s" \
    -v tu="$tool_user" -v ts="$tool_sys" -v orss="$ours_rss" -v trss="$tool_rss" '
  function per(a, b) { return b > 0 ? a / b : 0 }
  function ratio(a, b) { return b > 0 ? sprintf("%.1fx", a / b) : "n/a" }
  BEGIN {
  printf "%-16s %9s %10s %10s %12s %10s\n", "", "wall s", "cpu s", "MB/s wall", "MB/s cpu", "peak RSS"
  printf "%-16s %9.3f %10.3f %10.0f %12.0f %8.1f MB\n", "prom-preflight", o, ou+os, per(b/1e6, o), per(b/1e6, ou+os), orss/1024
  printf "%-16s %9.3f %10.3f %10.0f %12.0f %8.1f MB\n", "promtool", t, tu+ts, per(b/1e6, t), per(b/1e6, tu+ts), trss/1024
  printf "ratio (promtool / prom-preflight): wall %s, cpu %s, peak RSS %s\n", ratio(t, o), ratio(tu+ts, ou+os), ratio(trss, orss)
}'
echo

# --- 2. resolving a file_sd job -----------------------------------------------------------------
"$generate" file-sd "$targets" "$work"
echo "== file_sd job: $targets targets, 5 relabel rules"
cpu() { # median over $runs of user+sys CPU seconds, wall seconds and peak RSS
  for _ in $(seq "$runs"); do
    { /usr/bin/time -f "%U %S %e %M" "$@" 2>&1 >/dev/null || true; } | tail -1
  done | awk '{print $1+$2, $3, $4}' | sort -n | awk '{a[NR]=$0} END{print a[int((NR+1)/2)]}'
}
read -r ours_cpu ours_wall ours_rss < <(cpu "$ours" targets "$work/prometheus.yml" --job file-sd-nodes)
read -r tool_cpu tool_wall tool_rss < <(cpu "$promtool" check service-discovery "$work/prometheus.yml" file-sd-nodes --timeout 1s)
ours_n=$("$ours" targets "$work/prometheus.yml" --job file-sd-nodes | grep -c '"discoveredLabels"')
tool_n=$("$promtool" check service-discovery "$work/prometheus.yml" file-sd-nodes --timeout 1s 2>/dev/null | grep -c '"discoveredLabels"' || true)
awk -v oc="$ours_cpu" -v ow="$ours_wall" -v orss="$ours_rss" -v tc="$tool_cpu" -v tw="$tool_wall" \
    -v trss="$tool_rss" -v on="$ours_n" -v tn="$tool_n" 'BEGIN {
  printf "%-16s %9s %9s %10s %9s\n", "", "cpu s", "wall s", "peak RSS", "entries"
  printf "%-16s %9.3f %9.3f %7.1f MB %9d\n", "prom-preflight", oc, ow, orss/1024, on
  printf "%-16s %9.3f %9.3f %7.1f MB %9d\n", "promtool", tc, tw, trss/1024, tn
  printf "ratio (promtool / prom-preflight): cpu %s (promtool wall includes its 1s timeout)\n", (oc > 0 ? sprintf("%.1fx", tc/oc) : "n/a")
}'
if [ "$ours_n" != "$targets" ] || [ "$tool_n" != "$targets" ]; then
  echo "compare-promtool: $targets targets generated; prom-preflight resolved $ours_n, promtool $tool_n" >&2
  exit 1
fi
