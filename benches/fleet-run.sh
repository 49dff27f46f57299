#!/usr/bin/env bash
# The fleet run: kubesim's fleet scenario (20 clusters x 100 nodes; kubelet, cadvisor and
# node-exporter jobs through each API server's proxy = 6,000 targets, 100 ms to first byte,
# payloads of 100 KB to 1 MB, 1% of the cadvisor endpoints at 20 MB), probed by
# `prom-preflight check --format json` under `/usr/bin/time -v`.
#
# Prints: targets, wall time, the ideal, their ratio, peak RSS, and the CPU time of both
# processes; then the same with ~1 KB payloads (FLEET_SMALL=1 scenario), to show peak RSS does
# not depend on payload size.
#
# The ideal: every probe waits its 100 ms latency and at most `concurrency` (64) probes run at
# once, and at most `per_host` (8) per host:port. Through the API server proxy a cluster's 300
# targets share one host, so the latency part is
#     max(targets x latency / concurrency, max over hosts(targets_on_host x latency / per_host))
#   = max(6000 x 0.1 / 64, 300 x 0.1 / 8) = max(9.38 s, 3.75 s) = 9.38 s
# (20 hosts x 8 = 160 > 64: the global cap binds, not the per-host one). Added to it: every
# payload byte once at loopback speed (measured here: one TCP stream over 127.0.0.1).
# TLS, gzip and kubesim's own work are not in the ideal; they show in the CPU columns.
#
# Usage: benches/fleet-run.sh [--skip-small] [--concurrency N]
# Needs: jq, python3 (loopback measurement), /usr/bin/time (Debian `time`).
# FLEET_PROM_PREFLIGHT=BIN runs another build of prom-preflight (a baseline) against the same scenario;
# FLEET_KUBESIM=BIN likewise serves the scenario with another build of kubesim.
# FLEET_PERF=1 also records flat CPU profiles of both processes with `perf` (kept with FLEET_KEEP=1);
# the wall and RSS figures of such a run include perf's overhead on prom-preflight.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
concurrency=64
per_host=8
latency_ms=${FLEET_LATENCY_MS:-100}
small_run=1
while [ $# -gt 0 ]; do
  case "$1" in
    --skip-small) small_run=0 ;;
    --concurrency) concurrency=$2; shift ;;
    *) echo "usage: benches/fleet-run.sh [--skip-small] [--concurrency N]" >&2; exit 2 ;;
  esac
  shift
done
for tool in jq python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "fleet-run: $tool is not installed" >&2; exit 2; }
done

if [ -z "${FLEET_NO_BUILD:-}" ]; then
  (cd "$root" && cargo build --quiet --release -p kubesim --bin kubesim && cargo build --quiet --release --bin prom-preflight)
fi
ours=${FLEET_PROM_PREFLIGHT:-$root/target/release/prom-preflight}
kubesim=${FLEET_KUBESIM:-$root/target/release/kubesim}
work=$(mktemp -d)
sim_pid=""
cleanup() {
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
  if [ -n "${FLEET_KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

ticks=$(getconf CLK_TCK)
cpu_of() { # user+system CPU seconds of a live process
  awk -v t="$ticks" '{ print ($14 + $15) / t }' "/proc/$1/stat"
}
load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(load)"

# --- loopback transfer speed: one TCP stream over 127.0.0.1, 1 GiB in 1 MiB writes ---------------
loopback=$(python3 - <<'PY'
import socket, threading, time
total, chunk = 1 << 30, 1 << 20
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
def send():
    c, _ = srv.accept(); buf = b"\0" * chunk; sent = 0
    while sent < total:
        c.sendall(buf); sent += chunk
    c.close()
threading.Thread(target=send, daemon=True).start()
s = socket.create_connection(srv.getsockname()); buf = bytearray(chunk); got = 0
start = time.perf_counter()
while got < total:
    n = s.recv_into(buf)
    if n == 0: break
    got += n
print(got / (time.perf_counter() - start))
PY
)
echo "loopback: $(awk -v b="$loopback" 'BEGIN{printf "%.2f GB/s", b/1e9}') (one TCP stream, 1 GiB), load $(load)"
echo

# Renders a prometheus.yml from kubesim's ready line: per cluster a kubelet, a cadvisor and a
# node-exporter job, node-role discovery, every scrape through the API server proxy.
render() { # ready.json > prometheus.yml
  jq -r '
    "global:\n  scrape_interval: 30s\n  scrape_timeout: 20s\nscrape_configs:",
    (.clusters[] as $c
     | ($c.api_server | sub("^https://"; "")) as $addr
     | $c.tokens["monitoring/prometheus"] as $tok
     | (["kubelet", "/api/v1/nodes/${1}/proxy/metrics"],
        ["cadvisor", "/api/v1/nodes/${1}/proxy/metrics/cadvisor"],
        ["node-exporter", "/api/v1/nodes/${1}:9100/proxy/metrics"])
     | "- job_name: \($c.name)-\(.[0])
  scheme: https
  bearer_token_file: \($tok)
  tls_config: {ca_file: \($c.ca_file)}
  kubernetes_sd_configs:
  - api_server: \($c.api_server)
    role: node
    bearer_token_file: \($tok)
    tls_config: {ca_file: \($c.ca_file)}
  relabel_configs:
  - {target_label: __address__, replacement: \"\($addr)\"}
  - {source_labels: [__meta_kubernetes_node_name], regex: (.+), target_label: __metrics_path__, replacement: \"\(.[1])\"}
  - {target_label: cluster, replacement: \($c.name)}")' "$1"
}

run() { # id label scenario-file
  local label=$2 scenario=$3 out="$work/$1"
  mkdir -p "$out"
  mkfifo "$out/stdin"
  # kubesim stops when its stdin closes: hold the fifo open from this shell (fd 9).
  "$kubesim" --scenario "$scenario" --out "$out/sim" --ephemeral-ports --quiet \
    <"$out/stdin" >"$out/ready.json" 2>"$out/kubesim.err" &
  sim_pid=$!
  exec 9>"$out/stdin"
  for _ in $(seq 600); do
    [ -s "$out/ready.json" ] && break
    kill -0 "$sim_pid" 2>/dev/null || { cat "$out/kubesim.err" >&2; exit 1; }
    sleep 0.1
  done
  render "$out/ready.json" >"$out/prometheus.yml"
  local sim_cpu0 load0
  sim_cpu0=$(cpu_of "$sim_pid")
  load0=$(load)
  local perf_pid=""
  if [ -n "${FLEET_PERF:-}" ]; then
    # Opt-in CPU profiles of both processes (flat, cpu-clock): `perf report -i FILE`.
    perf record -q -e cpu-clock -F 499 -p "$sim_pid" -o "$out/perf.kubesim" 2>/dev/null &
    perf_pid=$!
    set -- perf record -q -e cpu-clock -F 499 -o "$out/perf.prom-preflight" --
  else
    set --
  fi
  /usr/bin/time -v -o "$out/time.txt" "$@" "$ours" check "$out/prometheus.yml" \
    --concurrency "$concurrency" --format json --fail-on never >"$out/report.json" 2>"$out/stderr" || true
  if [ -n "$perf_pid" ]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
  local sim_cpu1 load1
  sim_cpu1=$(cpu_of "$sim_pid")
  load1=$(load)
  exec 9>&-
  kill "$sim_pid" 2>/dev/null || true
  wait "$sim_pid" 2>/dev/null || true
  sim_pid=""

  local wall rss user sys
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$out/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$out/time.txt")
  user=$(awk -F': ' '/User time/ { print $2 }' "$out/time.txt")
  sys=$(awk -F': ' '/System time/ { print $2 }' "$out/time.txt")
  # Probe facts: one entry per probed target in `.targets` (`.clusters` repeats them per job).
  jq -r '[.targets[] | select(has("scrape_url") and has("health"))] as $p
    | [($p | length),
       ($p | map(select(.health == "up")) | length),
       ($p | map(.fetch.outcome.Ok.body.compressed_bytes // .fetch.outcome.body.compressed_bytes // 0) | add // 0),
       ($p | map(.fetch.outcome.Ok.body.uncompressed_bytes // .fetch.outcome.body.uncompressed_bytes // 0) | add // 0),
       ([$p[] | .scrape_url | capture("//(?<h>[^/]+)/").h] | group_by(.) | map(length) | max // 0),
       ([$p[] | .scrape_url | capture("//(?<h>[^/]+)/").h] | unique | length)]
    | @tsv' "$out/report.json" >"$out/facts.tsv"
  if [ ! -s "$out/report.json" ]; then echo "fleet-run: prom-preflight wrote no report:" >&2; tail -5 "$out/stderr" >&2; return 1; fi
  local targets up wire bytes per_host_max hosts
  read -r targets up wire bytes per_host_max hosts <"$out/facts.tsv"
  awk -v label="$label" -v t="$targets" -v up="$up" -v wire="$wire" -v bytes="$bytes" \
      -v hmax="$per_host_max" -v hosts="$hosts" -v lat="$latency_ms" -v c="$concurrency" \
      -v ph="$per_host" -v lb="$loopback" -v wall="$wall" -v rss="$rss" -v u="$user" -v s="$sys" \
      -v sim="$(awk -v a="$sim_cpu0" -v b="$sim_cpu1" 'BEGIN{print b - a}')" \
      -v load0="$load0" -v load1="$load1" -v cpus="$(nproc)" 'BEGIN {
    l = lat / 1000
    global = t * l / c; host = hmax * l / ph
    waits = (global > host ? global : host)
    transfer = wire / lb
    ideal = waits + transfer
    printf "== %s\n", label
    printf "targets            %d (%d up) on %d hosts, at most %d per host\n", t, up, hosts, hmax
    printf "payload            %.2f GB on the wire, %.2f GB uncompressed\n", wire / 1e9, bytes / 1e9
    printf "wall               %.2f s\n", wall
    printf "ideal              %.2f s = max(%d x %.1f s / %d, %d x %.1f s / %d) + %.2f GB / %.2f GB/s\n", ideal, t, l, c, hmax, l, ph, wire / 1e9, lb / 1e9
    printf "                   = max(%.2f, %.2f) + %.2f\n", global, host, transfer
    printf "ratio              %.2fx the ideal (target <= 1.5x)\n", wall / ideal
    printf "peak RSS           %.1f MB (target < 200 MB)\n", rss / 1024
    printf "CPU                prom-preflight %.2f s (user %.2f, sys %.2f), kubesim %.2f s, together %.2f s on %d CPUs\n", u + s, u, s, sim, u + s + sim, cpus
    printf "load               %s before, %s after\n", load0, load1
    print ""
  }'
  if [ "$up" != "$targets" ]; then
    echo "note: $((targets - up)) targets were not up; first errors:"
    jq -r '[.targets[] | select(.health != "up") | .error] | group_by(.) | map("  \(length) x \(.[0])") | .[:5][]' "$out/report.json"
    echo
  fi
}

run full "fleet: 100 KB-1 MB payloads, 1% of cadvisor at 20 MB" "$root/fixtures/scenarios/fleet.yaml"
if [ "$small_run" = 1 ]; then
  FLEET_SMALL=1 FLEET_LATENCY_MS="$latency_ms" "$root/benches/support/fleet-scenario.sh" >"$work/fleet-small.yaml"
  run small "fleet: ~1 KB payloads" "$work/fleet-small.yaml"
fi
