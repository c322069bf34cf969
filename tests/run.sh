#!/usr/bin/env bash
# Runs every test: unit, replay and architecture tests, and the end-to-end
# tests against a real Temporal dev server, a real worker and the device
# lab, all started here and torn down on exit (also on failure). First it
# installs, when missing, every program the lab and the tests start
# (lab/tools.txt), so a fresh machine needs no other step.
#
#   tests/run.sh [cargo test args...]
#   tests/run.sh --test NAME [FILTER]   one end-to-end module (tests/tests/e2e/NAME.rs)
#
# SWITCHYARD_RECORD_HISTORIES=1 also rewrites tests/histories/ from the run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
source lab/stack.sh

WORK=$(mktemp -d /tmp/switchyard-test.XXXXXX)
chmod 755 "$WORK"
export LAB_DIR=$WORK/lab LAB_PREFIX=syt LAB_SUBNET=198.19
# The lab also accepts a password, for the credential tests.
export LAB_PASSWORD=sy-lab-$RANDOM$RANDOM
PORT=${SWITCHYARD_TEST_PORT:-7244}
UI_PORT=${SWITCHYARD_TEST_UI_PORT:-8244}
TEMPORAL_PID= WORKER_PID=

cleanup() {
    local rc=$?
    stop_pid "$WORKER_PID"
    stop_pid "$TEMPORAL_PID"
    lab/lab.sh down >/dev/null 2>&1 || true
    if [ $rc -ne 0 ] && [ -f "$WORK/worker.log" ]; then
        echo "---- last worker log lines ($WORK/worker.log) ----" >&2
        tail -n 40 "$WORK/worker.log" >&2 || true
    fi
    [ $rc -eq 0 ] && rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT INT TERM

echo "== install: what lab/tools.txt lists for the lab and the tests"
# An install that cannot run (not root, no network) is said here; the lab
# or the test that needs what is missing then fails naming it.
lab/lab.sh install tests || echo "tests/run.sh: the install did not complete (see above); what needs the missing programs will fail" >&2
# Nautobot (from PyPI, with Debian's PostgreSQL) for the inventory-source
# test; a migrated database is kept beside it, so a later `up` takes seconds.
lab/nautobot.sh install || echo "tests/run.sh: the Nautobot install did not complete (see above); the Nautobot test will fail" >&2
echo "== build"
cargo build --workspace --bins --locked
echo "== lab self-test: teardown leaves nothing behind"
SELFTEST_SUBNET=$LAB_SUBNET LAB_DIR= LAB_PREFIX= LAB_PASSWORD= lab/selftest.sh
echo "== lab: 20 devices"
lab/lab.sh up 20
echo "== Temporal dev server on :$PORT (UI :$UI_PORT)"
start_temporal "$PORT" "$UI_PORT" "$WORK/temporal.db" "$WORK/temporal.log"
echo "== worker"
start_worker "$ROOT/target/debug/switchyard-worker" "http://127.0.0.1:$PORT" switchyard-test "$LAB_DIR/inventory.yaml" "$LAB_DIR/policy-unsigned.yaml" "$WORK/worker.log"

export SWITCHYARD_TEST_TEMPORAL="http://127.0.0.1:$PORT"
export SWITCHYARD_TEST_UI="http://127.0.0.1:$UI_PORT"
export SWITCHYARD_TEST_LAB_DIR=$LAB_DIR
export SWITCHYARD_TEST_BIN_DIR=$ROOT/target/debug
export SWITCHYARD_TEST_TASK_QUEUE=switchyard-test
export SWITCHYARD_TEST_LAB_PASSWORD=$LAB_PASSWORD
TEMPORAL_CLI=$(find_temporal)
export TEMPORAL_CLI
# The end-to-end tests are one binary (tests/tests/e2e/), so `--test NAME`
# naming one of its modules becomes that binary with the filter `NAME::`
# (and `--test NAME FILTER` the filter `NAME::FILTER`); libtest runs what
# any of the filters selects.
args=() filters=() separated=
while [ $# -gt 0 ]; do
    if [ -z "$separated" ] && [ "$1" = --test ] && [ $# -ge 2 ] && [ "$2" != main ] && [ -f "tests/tests/e2e/$2.rs" ]; then
        filter=$2::
        shift 2
        if [ $# -gt 0 ] && [[ $1 != -* ]]; then
            filter=$filter$1
            shift
        fi
        filters+=("$filter")
        continue
    fi
    [ "$1" = -- ] && separated=1
    args+=("$1")
    shift
done
if [ ${#filters[@]} -gt 0 ]; then
    args=(--test e2e "${args[@]}")
    [ -z "$separated" ] && args+=(--)
    args+=("${filters[@]}")
fi
echo "== cargo test ${args[*]}"
cargo test --workspace --locked --no-fail-fast --features switchyard-tests/e2e "${args[@]}"
