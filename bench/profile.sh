#!/usr/bin/env bash
# Where the CPU goes during switchyard's apply: samples the worker and the
# Temporal dev server with perf while the benchmark runs its second (warm)
# switchyard round, then writes both flat profiles (self time per symbol).
#
#   bench/profile.sh [DEVICES]     (default 200; root, as bench/run.sh)
#
# Writes bench/results/profile-<N>-worker.txt and profile-<N>-server.txt
# (self time by binary, then by symbol). The profiled round is
# slower than an unprofiled one (perf's sampling costs a little): its
# timings are not benchmark figures. Needs perf (Debian: linux-perf).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200}
command -v perf >/dev/null || { echo "profile: perf not found (Debian: apt-get install linux-perf)" >&2; exit 1; }
OUT=bench/results
WORK=$(mktemp -d /tmp/switchyard-profile.XXXXXX)
LOG=$WORK/bench.log
BENCH_WAYS=switchyard bench/run.sh "$N" 2 16 >"$LOG" 2>&1 &
RUN=$!
PERFS=()
stop() {
    local pid
    for pid in "${PERFS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
    for pid in "${PERFS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap 'stop; kill "$RUN" 2>/dev/null || true' EXIT INT TERM

# Wait for round 2 (sessions warm, device histories exist), then attach.
until grep -q "round 2: switchyard" "$LOG"; do
    kill -0 "$RUN" 2>/dev/null || { cat "$LOG" >&2; echo "profile: the benchmark ended before round 2" >&2; exit 1; }
    sleep 0.2
done
WORKER=$(pgrep -f "target/release/switchyard-worker .*--task-queue switchyard-bench" | head -1)
SERVER=$(pgrep -f "server start-dev --ip 127.0.0.1 --port 7255" | tail -1)
[ -n "$WORKER" ] && [ -n "$SERVER" ] || { echo "profile: worker or dev server not found" >&2; exit 1; }
perf record -F 499 -g -p "$WORKER" -o "$WORK/worker.data" >/dev/null 2>&1 & PERFS+=($!)
perf record -F 499 -g -p "$SERVER" -o "$WORK/server.data" >/dev/null 2>&1 & PERFS+=($!)
until grep -q '"round":2,' "$LOG"; do
    kill -0 "$RUN" 2>/dev/null || break
    sleep 0.2
done
stop
PERFS=()
wait "$RUN" || { cat "$LOG" >&2; exit 1; }
trap - EXIT INT TERM

# Self time only (no call chains), by binary, then by symbol. The dev
# server is a stripped Go binary: its own symbols show as addresses.
report() { perf report -i "$1" --stdio --no-children -g none --sort "$2" --fields overhead,"$2" --percent-limit "$3" 2>/dev/null | grep -v -e '^$' -e '^#' | sed -E 's/[[:space:]]+-[[:space:]]+-$//; s/[[:space:]]+$//' | sort -rn; }
for who in worker server; do
    {
        echo "# perf flat profile of the $who, round 2 of BENCH_WAYS=switchyard bench/run.sh $N 2 16 (bench/profile.sh $N)"
        echo "## by binary"
        report "$WORK/$who.data" dso 0.5
        echo "## by symbol (at least 0.5 %)"
        report "$WORK/$who.data" dso,symbol 0.5 | head -60
    } >"$OUT/profile-$N-$who.txt"
    echo "profile: $OUT/profile-$N-$who.txt"
done
grep '"round":2,' "$LOG" | cut -c1-200
rm -rf "$WORK"
