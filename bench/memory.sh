#!/usr/bin/env bash
# Where the worker's memory goes: runs the benchmark's suite (bench/tenant.yaml)
# ROUNDS times on N lab devices with one release worker and prints the worker's
# peak RSS after each round, and the most file descriptors and device
# sessions it held at once during the round (sampled twice a second). With BENCH_HEAPTRACK=1 the worker runs under
# heaptrack (Debian: heaptrack) and the run ends with the heap's peak split by
# what holds it (device sessions, cached workflows, the SDK's core, ...).
#
#   bench/memory.sh N [ROUNDS] [worker options...]
#   e.g. bench/memory.sh 1000 2 --max-cached-workflows 1000
#
# Needs root (the lab) and a free 198.18/16, as bench/run.sh. Keeps no files:
# the heaptrack recording is summarised, then removed with the work folder.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
source lab/stack.sh
N=${1:-200}
ROUNDS=${2:-2}
shift $(($# < 2 ? $# : 2))
WORK=$(mktemp -d /tmp/switchyard-memory.XXXXXX)
chmod 755 "$WORK"
export LAB_DIR=$WORK/lab LAB_PREFIX=syb LAB_SUBNET=198.18
export LAB_PROFILES=${LAB_PROFILES:-bgpcfgd}
# The lab's health daemon reads every device each second: its load would
# be measured with the orchestrator's, and no benchmark suite reads checks.
export LAB_HEALTH=${LAB_HEALTH:-0}
PORT=7255
TEMPORAL_PID= WRAPPER=
log() { echo "memory: $*" >&2; }
worker_pid() { pgrep -f "^$ROOT/target/release/switchyard-worker .*--task-queue switchyard-bench" | head -1; }
cleanup() {
    local pid
    pid=$(worker_pid || true)
    stop_pid "$pid"
    [ -n "$WRAPPER" ] && wait "$WRAPPER" 2>/dev/null || true
    stop_pid "$TEMPORAL_PID"
    lab/lab.sh down >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
if [ "${BENCH_HEAPTRACK:-0}" = 1 ]; then
    command -v heaptrack >/dev/null || { log "heaptrack not found (Debian: apt-get install heaptrack)"; exit 1; }
fi

build_release
BENCH=$ROOT/target/release/switchyard-bench
log "lab: $N devices"
lab/lab.sh up "$N" 2>&2
INV=$LAB_DIR/inventory.yaml
start_temporal "$PORT" 8255 "" "$WORK/temporal.log"
# The worker as bench/run.sh starts it, plus the options given here.
args=(--temporal-address "http://127.0.0.1:$PORT" --task-queue switchyard-bench --inventory "$INV"
    --policy "$LAB_DIR/policy-unsigned.yaml" --workflow-pollers 20 --activity-pollers 20 --max-activities 400
    --max-workflow-tasks 400 --max-handshakes 32 --metrics-address 127.0.0.1:0 --log warn "$@")
if [ "${BENCH_HEAPTRACK:-0}" = 1 ]; then
    heaptrack -o "$WORK/heap" "$ROOT/target/release/switchyard-worker" "${args[@]}" >"$WORK/worker.log" 2>&1 &
else
    "$ROOT/target/release/switchyard-worker" "${args[@]}" >"$WORK/worker.log" 2>&1 &
fi
WRAPPER=$!
for t in $(seq 1 100); do [ -n "$(worker_pid)" ] && break; sleep 0.1; done
PID=$(worker_pid)
[ -n "$PID" ] || { cat "$WORK/worker.log" >&2; exit 1; }
sleep 2
kill -0 "$PID" || { cat "$WORK/worker.log" >&2; exit 1; }

# Descriptors the worker holds, and its established TCP connections to the
# lab's sshd (port 22: one per device session), twice a second.
sample() {
    local fds ssh
    while kill -0 "$PID" 2>/dev/null; do
        fds=$(ls "/proc/$PID/fd" 2>/dev/null | wc -l)
        ssh=$(ss -Htnp state established '( dport = :22 )' 2>/dev/null | grep -c "pid=$PID," || true)
        echo "$fds $ssh" >>"$WORK/samples"
        sleep 0.5
    done
}
sample &
SAMPLER=$!
peak() { awk -v col="$1" 'BEGIN {m = 0} $col > m {m = $col} END {print m}' "$WORK/samples"; }

for round in $(seq 1 "$ROUNDS"); do
    lab/lab.sh reseed $(seq 1 "$N") >/dev/null
    : >"$WORK/samples"
    result=$("$BENCH" switchyard --suite bench/tenant.yaml --inventory "$INV" --parallelism 16 --temporal "http://127.0.0.1:$PORT")
    hwm=$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
    python3 -c 'import json, sys; r = json.loads(sys.argv[1]); print(json.dumps({"round": int(sys.argv[2]), "devices": r["devices"], "plan_s": r.get("plan_s"), "apply_s": r.get("apply_s"), "peak_rss_mib": round(int(sys.argv[3]) / 1024, 1), "rss_mib": round(int(sys.argv[4]) / 1024, 1), "peak_fds": int(sys.argv[6]), "peak_device_sessions": int(sys.argv[7]), "worker_options": sys.argv[5]}))' \
        "$result" "$round" "$hwm" "$rss" "$*" "$(peak 1)" "$(peak 2)"
done
kill "$SAMPLER" 2>/dev/null || true

if [ "${BENCH_HEAPTRACK:-0}" = 1 ]; then
    stop_pid "$PID"
    wait "$WRAPPER" 2>/dev/null || true
    WRAPPER=
    heaptrack_print -f "$WORK/heap.zst" --print-peaks 0 --print-allocators 0 --print-temporary 0 --print-leaks 0 \
        -F "$WORK/stacks.txt" --flamegraph-cost-type peak >"$WORK/summary.txt" 2>/dev/null
    grep -E "peak heap memory|peak RSS" "$WORK/summary.txt"
    # Each allocation stack's share of the peak, by the first of these frames
    # it passes through (heaptrack's folded stacks, the peak's cost).
    python3 - "$WORK/stacks.txt" <<'PY'
import collections, sys
holders = [
    ("session.rs", "device SSH sessions (russh client, its channels and tasks)"),
    ("ring", "device SSH sessions' ciphers (ring)"),
    ("redis", "redis connections over SSH channels"),
    ("history.rs", "cached device-history workflows"),
    ("workflow_future", "cached workflows (the SDK's workflow futures and their state)"),
    ("history_update", "workflow histories being fetched (the SDK's core)"),
    ("temporalio_sdk_core", "the SDK's core (workflow machines, pollers)"),
    ("temporal", "the SDK, elsewhere"),
]
by = collections.Counter()
for line in open(sys.argv[1]):
    stack, _, cost = line.rstrip().rpartition(" ")
    holder = next((name for key, name in holders if key in stack), "everything else")
    by[holder] += int(cost)
for holder, cost in by.most_common():
    print(f"{cost / 1e6:8.1f} MB  {holder}")
PY
fi
