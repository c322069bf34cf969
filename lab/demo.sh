#!/usr/bin/env bash
# The main job on the embedded default, from a fresh machine:
# Temporal dev server + device lab (8 switches) + worker, then
#   1. a tenant VLAN suite: fleet plan, alice's self-approval refused, bob's
#      signed approval, apply, verify;
#   2. a storage VLAN suite that drifts on one device after approval and is
#      rolled back everywhere, with its compensation log;
#   3. the audit of the first suite, exported and verified offline.
# Everything keeps running afterwards so the suites can be explored in the
# Web UI; `lab/demo.sh stop` tears it all down.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
source lab/stack.sh
RUN=$ROOT/.run
export LAB_DIR=/tmp/switchyard-lab
SY=$ROOT/target/debug/switchyard

stop() {
    [ -f "$RUN/worker.pid" ] && stop_pid "$(cat "$RUN/worker.pid")"
    [ -f "$RUN/temporal.pid" ] && stop_pid "$(cat "$RUN/temporal.pid")"
    rm -f "$RUN/worker.pid" "$RUN/temporal.pid"
    lab/lab.sh down >/dev/null 2>&1 || true
}

if [ "${1:-}" = stop ]; then stop; echo "demo stopped"; exit 0; fi
[ "$(id -u)" = 0 ] || { echo "the device lab needs root" >&2; exit 1; }

step() { if [ -t 1 ]; then printf '\n\033[1m== %s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi; }

step "install: lab packages, Temporal CLI; build"
lab/lab.sh install
cargo build --workspace --bins --locked 2>&1 | tail -n 1

step "start: Temporal dev server (:7233, Web UI :8233), 8 lab switches, worker"
stop
mkdir -p "$RUN"
rm -f "$RUN/temporal.db"
start_temporal 7233 8233 "$RUN/temporal.db" "$RUN/temporal.log"
echo "$TEMPORAL_PID" > "$RUN/temporal.pid"
lab/lab.sh up 8
start_worker "$ROOT/target/debug/switchyard-worker" http://127.0.0.1:7233 switchyard "$LAB_DIR/inventory.yaml" "$LAB_DIR/policy.yaml" "$RUN/worker.log"

# Everyone signs with their own SSH key; the worker's policy
# ($LAB_DIR/policy.yaml) says alice may request, bob and carol review.
as() { local who=$1; shift; $SY --signing-key "$LAB_DIR/people/$who" "$@"; }
echo "$WORKER_PID" > "$RUN/worker.pid"

# Launches a suite as alice, prints what the CLI says, waits until it awaits
# a reviewer, and leaves its id in $launched.
launch() {
    local out
    out=$(as alice run "$1")
    echo "$out"
    launched=$(awk '/^suite /{print $2}' <<<"$out")
    $SY watch "$launched" --until awaiting_approval >/dev/null
}

step "1a. dry run: what would the tenant VLAN suite change? (nothing is written)"
as alice plan lab/suites/vlan-tenant.yaml

step "1b. alice launches it; it plans again and waits for a reviewer"
launch lab/suites/vlan-tenant.yaml
id=$launched
echo "alice tries to approve her own change, with her key, typing bob's name:"
as alice approve "$id" --reviewer bob || true
echo "bob approves, signed with his key:"
as bob approve "$id" --comment "reviewed the diff"
$SY watch "$id" || true

step "2. the storage VLAN suite; after approval someone edits sonic-d005 by hand"
launch lab/suites/vlan-storage.yaml
id2=$launched
echo "hand edit on sonic-d005: Ethernet4 becomes an access port of VLAN 300"
redis-cli -s "$LAB_DIR/dev/5/redis.sock" -n 4 hset 'VLAN|Vlan300' vlanid 300 >/dev/null
redis-cli -s "$LAB_DIR/dev/5/redis.sock" -n 4 hset 'VLAN_MEMBER|Vlan300|Ethernet4' tagging_mode untagged >/dev/null
as carol approve "$id2" --comment "ok for tonight"
$SY watch "$id2" || true

step "3. the audit: who decided what, with which key; re-checked offline"
$SY audit "$id"
$SY audit "$id" --json > "$RUN/audit-tenant.json"
$SY --policy "$LAB_DIR/policy.yaml" audit verify "$RUN/audit-tenant.json"

step "done"
echo "Web UI: http://127.0.0.1:8233/namespaces/default/workflows"
echo "  tenant suite:  http://127.0.0.1:8233/namespaces/default/workflows/$id"
echo "  storage suite: http://127.0.0.1:8233/namespaces/default/workflows/$id2"
echo "Worker metrics (Prometheus): http://127.0.0.1:9464/metrics (health: /livez, /readyz)"
echo "The server, the lab and the worker keep running; stop them with: lab/demo.sh stop"
