#!/usr/bin/env bash
# The service's benchmark: suites created through `switchyard serve` per
# second, then status reads per second and their p50/p99 latency with
# SUITES suites running (each plans one device and waits for an approval
# nobody gives), all through the service's HTTP API with an API key.
#
#   bench/service.sh [SUITES] [READS] [CONCURRENCY]     e.g. bench/service.sh 100 5000 16
#
# Needs root (the lab) and a free 198.18/16 (stop lab/demo.sh and bench/run.sh first).
# Prints one JSON line.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
source lab/stack.sh
SUITES=${1:-100}
READS=${2:-5000}
C=${3:-16}
DEVICES=20
WORK=$(mktemp -d /tmp/switchyard-bench-service.XXXXXX)
chmod 755 "$WORK"
export LAB_DIR=$WORK/lab LAB_PREFIX=syb LAB_SUBNET=198.18 LAB_PROFILES=${LAB_PROFILES:-bgpcfgd}
# The lab's health daemon reads every device each second: its load would
# be measured with the orchestrator's, and no benchmark suite reads checks.
export LAB_HEALTH=${LAB_HEALTH:-0}
PORT=7255
TEMPORAL_PID= WORKER_PID= SERVE_PID=
cleanup() {
    stop_pid "$SERVE_PID"
    stop_pid "$WORKER_PID"
    stop_pid "$TEMPORAL_PID"
    lab/lab.sh down >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM
log() { echo "bench: $*" >&2; }

build_release
log "lab: $DEVICES devices"
lab/lab.sh up "$DEVICES" >&2
log "Temporal dev server (in memory) on :$PORT"
start_temporal "$PORT" 8255 "" "$WORK/temporal.log"
log "worker (release)"
"$ROOT/target/release/switchyard-worker" --temporal-address "http://127.0.0.1:$PORT" --task-queue switchyard-bench \
    --inventory "$LAB_DIR/inventory.yaml" --policy "$LAB_DIR/policy-unsigned.yaml" --log warn >"$WORK/worker.log" 2>&1 &
WORKER_PID=$!
KEY=$("$ROOT/target/release/switchyard" keys create --keys "$WORK/keys.json" --principal bench --scopes write 2>/dev/null)
log "service (release)"
"$ROOT/target/release/switchyard" --temporal-address "http://127.0.0.1:$PORT" --task-queue switchyard-bench serve \
    --listen 127.0.0.1:0 --keys "$WORK/keys.json" --inventory "$LAB_DIR/inventory.yaml" --rate-limit 1000000 --max-running $((SUITES + 10)) \
    >"$WORK/serve.out" 2>"$WORK/serve.log" &
SERVE_PID=$!
for _ in $(seq 1 100); do
    grep -q '^serving on ' "$WORK/serve.out" 2>/dev/null && break
    sleep 0.1
done
API=$(sed -n 's/^serving on //p' "$WORK/serve.out")
[ -n "$API" ] || { cat "$WORK/serve.log" >&2; exit 1; }
log "$SUITES suites, $READS status reads, $C in flight, through $API"
SWITCHYARD_API_KEY=$KEY "$ROOT/target/release/switchyard-bench" service --api "$API" --suites "$SUITES" --devices "$DEVICES" \
    --reads "$READS" --concurrency "$C"
