#!/usr/bin/env bash
# The benchmark: one standard change (bench/tenant.yaml, twelve CONFIG_DB rows
# per device) applied to N lab devices three ways, in turn, in one run, with
# the devices reset in between:
#   switchyard  the suite through Temporal (release worker, tuned pollers);
#               plan time and apply time (from approval to done) apart
#   baseline    the same SSH + redis sessions writing the same rows with the
#               same parallelism and no orchestration: the floor
#   ansible     ansible-core (forks = the same parallelism), raw module piping
#               the same rows to redis-cli on each device: Ansible's best case
# Each way must leave every device's CONFIG_DB identical to switchyard's.
# Then a full rollback: the last device drifts, every other one rolls back.
#
#   bench/run.sh N [ROUNDS] [PARALLELISM]      e.g. bench/run.sh 200 3 16
#
# Needs root (the lab) and a free 198.18/16 (stop lab/demo.sh first).
# Prints one JSON line per measurement and a markdown summary at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
source lab/stack.sh
N=${1:-50}
ROUNDS=${2:-3}
P=${3:-16}
WORK=$(mktemp -d /tmp/switchyard-bench.XXXXXX)
chmod 755 "$WORK"
export LAB_DIR=$WORK/lab LAB_PREFIX=syb LAB_SUBNET=198.18
# One profile for every device, so every round writes the same rows and the
# figures stay comparable with earlier runs.
export LAB_PROFILES=${LAB_PROFILES:-bgpcfgd}
PORT=7255
TEMPORAL_PID= WORKER_PID=
cleanup() {
    stop_pid "$WORKER_PID"
    stop_pid "$TEMPORAL_PID"
    lab/lab.sh down >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM
log() { echo "bench: $*" >&2; }

log "build (release)"
cargo build --release --locked -p switchyard-worker -p switchyard-starter -p switchyard-bench 2>&1 | tail -n 1 >&2
BENCH=$ROOT/target/release/switchyard-bench

VENV=${BENCH_VENV:-$HOME/.cache/switchyard-bench-venv}
if [ ! -x "$VENV/bin/ansible-playbook" ]; then
    log "install ansible-core into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check ansible-core==2.17.14
fi

log "lab: $N devices"
lab/lab.sh up "$N" 2>&2
INV=$LAB_DIR/inventory.yaml
log "Temporal dev server (in memory) on :$PORT"
start_temporal "$PORT" 8255 "" "$WORK/temporal.log"
# In memory: the dev server's SQLite file is the bottleneck otherwise, and
# production clusters run PostgreSQL or Cassandra, not the dev server's file.
log "worker (release)"
"$ROOT/target/release/switchyard-worker" --temporal-address "http://127.0.0.1:$PORT" --task-queue switchyard-bench \
    --inventory "$INV" --policy "$LAB_DIR/policy-unsigned.yaml" --workflow-pollers 20 --activity-pollers 20 --max-activities 400 --max-workflow-tasks 400 \
    --max-handshakes 32 --log warn >"$WORK/worker.log" 2>&1 &
WORKER_PID=$!
sleep 1
kill -0 "$WORKER_PID" || { cat "$WORK/worker.log"; exit 1; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$WORKER_PID/stat"; }
CPU0=$(cpu_ticks)

# Ansible: inventory, config and playbook for the same rows.
"$BENCH" rows --suite bench/tenant.yaml --inventory "$INV" --parallelism "$P" > "$WORK/rows.txt"
{
    echo "[lab]"
    for i in $(seq 1 "$N"); do
        printf 'sonic-d%03d ansible_host=%s\n' "$i" "$(awk '{print $1; exit}' "$LAB_DIR/dev/$i/known_hosts")"
    done
    echo
    echo "[lab:vars]"
    echo "ansible_user=admin"
    echo "ansible_ssh_private_key_file=$LAB_DIR/id_ed25519"
} > "$WORK/hosts.ini"
cat > "$WORK/ansible.cfg" <<CFG
[defaults]
inventory = $WORK/hosts.ini
forks = $P
host_key_checking = True
gathering = explicit
stdout_callback = minimal
[ssh_connection]
pipelining = True
ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=$LAB_DIR/known_hosts -o StrictHostKeyChecking=yes
CFG
{
    echo "- hosts: lab"
    echo "  gather_facts: false"
    echo "  tasks:"
    echo "    - name: tenant rows"
    echo "      raw: |"
    echo "        redis-cli -n 4 <<'ROWS'"
    sed 's/^/        /' "$WORK/rows.txt"
    echo "        ROWS"
} > "$WORK/tenant.yml"

reset_lab() { lab/lab.sh reseed $(seq 1 "$N"); }
now() { date +%s.%N; }
RESULTS=$WORK/results.jsonl
: > "$RESULTS"

for round in $(seq 1 "$ROUNDS"); do
    log "round $round: switchyard"
    reset_lab
    "$BENCH" switchyard --suite bench/tenant.yaml --inventory "$INV" --parallelism "$P" --temporal "http://127.0.0.1:$PORT" \
        | sed "s/^{/{\"round\":$round,/" | tee -a "$RESULTS"
    "$BENCH" snapshot --lab-dir "$LAB_DIR" --out "$WORK/switchyard.json"

    log "round $round: baseline"
    reset_lab
    "$BENCH" baseline --suite bench/tenant.yaml --inventory "$INV" --parallelism "$P" | sed "s/^{/{\"round\":$round,/" | tee -a "$RESULTS"
    "$BENCH" snapshot --lab-dir "$LAB_DIR" --out "$WORK/baseline.json"
    cmp -s "$WORK/switchyard.json" "$WORK/baseline.json" || { log "baseline left different CONFIG_DB contents"; exit 1; }

    log "round $round: ansible"
    reset_lab
    t0=$(now)
    ANSIBLE_CONFIG=$WORK/ansible.cfg "$VENV/bin/ansible-playbook" "$WORK/tenant.yml" > "$WORK/ansible.log" 2>&1 \
        || { tail -20 "$WORK/ansible.log" >&2; exit 1; }
    t1=$(now)
    echo "{\"round\":$round,\"way\":\"ansible\",\"devices\":$N,\"parallelism\":$P,\"apply_s\":$(python3 -c "print($t1 - $t0)")}" | tee -a "$RESULTS"
    "$BENCH" snapshot --lab-dir "$LAB_DIR" --out "$WORK/ansible.json"
    cmp -s "$WORK/switchyard.json" "$WORK/ansible.json" || { log "ansible left different CONFIG_DB contents"; exit 1; }

    log "round $round: switchyard full rollback"
    reset_lab
    "$BENCH" snapshot --lab-dir "$LAB_DIR" --out "$WORK/seed.json"
    "$BENCH" switchyard --suite bench/tenant.yaml --inventory "$INV" --parallelism "$P" --temporal "http://127.0.0.1:$PORT" \
        --rollback-via-last "$LAB_DIR" | sed "s/^{/{\"round\":$round,\"rollback\":true,/" | tee -a "$RESULTS"
done
CPU1=$(cpu_ticks)
HWM=$(awk '/VmHWM/ {print $2}' "/proc/$WORKER_PID/status")
echo "{\"way\":\"worker\",\"peak_rss_kib\":$HWM,\"cpu_s\":$(python3 -c "print(($CPU1 - $CPU0) / $(getconf CLK_TCK))")}" | tee -a "$RESULTS"

python3 - "$RESULTS" "$N" "$P" "$ROUNDS" <<'PY'
import json, statistics, sys, platform, os
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
n, p, rounds = sys.argv[2], sys.argv[3], sys.argv[4]
def med(way, key, rollback=False):
    v = [r[key] for r in rows if r.get("way") == way and r.get(key) is not None and bool(r.get("rollback")) == rollback]
    return statistics.median(v) if v else float("nan")
sy_apply, sy_plan = med("switchyard", "apply_s"), med("switchyard", "plan_s")
base, ans = med("baseline", "apply_s"), med("ansible", "apply_s")
rb = med("switchyard", "rollback_s", True)
worker = [r for r in rows if r.get("way") == "worker"][0]
def first(way, key, rollback=False):
    v = [r[key] for r in rows if r.get("way") == way and r.get("round") == 1 and bool(r.get("rollback")) == rollback]
    return v[0] if v else float("nan")
cold_sy = first("switchyard", "plan_s") + first("switchyard", "apply_s")
cold_ans = first("ansible", "apply_s")
ev = med("switchyard", "history_events_per_device")
sev = med("switchyard", "suite_history_events")
cpu = os.cpu_count()
print(f"""
| {n} devices, parallelism {p}, median of {rounds} | seconds |
|---|---|
| switchyard plan (fleet dry run) | {sy_plan:.2f} |
| switchyard apply (approval to done) | {sy_apply:.2f} |
| switchyard plan + apply | {sy_plan + sy_apply:.2f} |
| direct baseline (connect, read, write) | {base:.2f} |
| Ansible (raw + redis-cli, forks={p}) | {ans:.2f} |
| switchyard full rollback of {int(n) - 1} devices | {rb:.2f} |

| ratio | value |
|---|---|
| switchyard apply / baseline | {sy_apply / base:.2f} |
| switchyard plan+apply / baseline | {(sy_plan + sy_apply) / base:.2f} |
| Ansible / switchyard apply | {ans / sy_apply:.2f} |
| Ansible / switchyard plan+apply | {ans / (sy_plan + sy_apply):.2f} |

Cold (round 1: a fresh worker opens its SSH sessions while planning; Ansible has no ControlPersist sockets yet):
switchyard plan + apply {cold_sy:.2f} s, Ansible {cold_ans:.2f} s, baseline {first("baseline", "apply_s"):.2f} s; Ansible / switchyard {cold_ans / cold_sy:.2f}.
Later rounds are warm for switchyard (the worker keeps its sessions) and for Ansible (ControlPersist=60s); the baseline always connects.

Worker: peak RSS {worker['peak_rss_kib'] / 1024:.1f} MiB, CPU {worker['cpu_s']:.1f} s over the whole run ({rounds} rounds of apply + rollback).
Temporal: suite history {sev:.0f} events; {ev:.1f} history events per device (suite + its device workflows); {1 + int(n)} workflows per apply.
Machine: {platform.platform()}, {cpu} CPUs.
""")
PY
