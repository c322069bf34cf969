#!/usr/bin/env bash
# The benchmark: one standard change (bench/tenant.yaml, twelve CONFIG_DB rows
# per device) applied to N lab devices three ways, in turn, in one run, with
# the devices reset in between:
#   switchyard  the suite through Temporal (release worker, tuned pollers);
#               plan time and apply time (from approval to done) apart
#   baseline    the same SSH + redis sessions writing the same rows with the
#               same parallelism and no orchestration: the floor; and warm
#               (sessions opened before the clock starts, as switchyard's
#               apply finds them after planning)
#   ansible     ansible-core (forks = the same parallelism), raw module piping
#               the same rows to redis-cli on each device: Ansible's best case
#   playbook    ansible-core as SONiC playbooks are written: one command task
#               looping over the rows (facts off, pipelining on)
#   floor       no devices: the same number of devices as workflows (one per
#               device, then one per batch of 8, then one per device started
#               ahead of its slot and held by a signal) whose steps do
#               nothing, on the same server: what the orchestration alone costs
# Each way must leave every device's CONFIG_DB identical to switchyard's.
# Then a full rollback: the last device drifts, every other one rolls back.
#
#   bench/run.sh N [ROUNDS] [PARALLELISM]      e.g. bench/run.sh 200 3 16
#   BENCH_WORKERS=3 bench/run.sh 200 3 16      three workers on the queue
#   BENCH_WORKER_ARGS="--grpc-compression none" bench/run.sh ...
#                                              more worker options
#   BENCH_WAYS=switchyard bench/run.sh ...     only some ways (switchyard,
#                                              baseline, ansible, playbook, floor, rollback)
#   BENCH_LIMITS=tenth bench/run.sh ...        Temporal's per-workflow limits a tenth
#                                              of their defaults (history events and
#                                              bytes, payload, pending children)
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
# The lab's health daemon reads every device each second: its load would
# be measured with the orchestrator's, and no benchmark suite reads checks.
export LAB_HEALTH=${LAB_HEALTH:-0}
PORT=7255
# Temporal's defaults: errors at 51,200 events and 50 MB of history, 2 MB a
# payload, 2,000 pending children; warnings at 10,240 events and 10 MB.
case "${BENCH_LIMITS:-}" in
    "") ;;
    tenth) export TEMPORAL_EXTRA_ARGS="--dynamic-config-value limit.historyCount.error=5120 --dynamic-config-value limit.historyCount.warn=1024
        --dynamic-config-value limit.historySize.error=5242880 --dynamic-config-value limit.historySize.warn=1048576
        --dynamic-config-value limit.blobSize.error=209715 --dynamic-config-value limit.blobSize.warn=52428
        --dynamic-config-value limit.numPendingChildExecutions.error=200" ;;
    *) echo "BENCH_LIMITS is tenth or unset" >&2; exit 2 ;;
esac
WORKERS=${BENCH_WORKERS:-1}
# More worker options, e.g. BENCH_WORKER_ARGS="--grpc-compression none".
WORKER_ARGS=${BENCH_WORKER_ARGS:-}
WAYS=${BENCH_WAYS:-switchyard baseline ansible playbook floor rollback}
TEMPORAL_PID= WORKER_PIDS=()
cleanup() {
    local pid
    for pid in "${WORKER_PIDS[@]}"; do stop_pid "$pid"; done
    stop_pid "$TEMPORAL_PID"
    lab/lab.sh down >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM
log() { echo "bench: $*" >&2; }

build_release
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
log "$WORKERS worker(s) (release)"
for w in $(seq 1 "$WORKERS"); do
    "$ROOT/target/release/switchyard-worker" --temporal-address "http://127.0.0.1:$PORT" --task-queue switchyard-bench \
        --inventory "$INV" --policy "$LAB_DIR/policy-unsigned.yaml" --workflow-pollers 20 --activity-pollers 20 --max-activities 400 --max-workflow-tasks 400 \
        --max-handshakes 32 --metrics-address "127.0.0.1:0" --log warn $WORKER_ARGS >"$WORK/worker-$w.log" 2>&1 &
    WORKER_PIDS+=($!)
done
sleep 1
for w in $(seq 1 "$WORKERS"); do
    kill -0 "${WORKER_PIDS[$((w - 1))]}" || { cat "$WORK/worker-$w.log"; exit 1; }
done
cpu_ticks() { local pid t=0; for pid in "${WORKER_PIDS[@]}"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done; echo $t; }
# The dev server's CPU (every process of it), to set against the worker's.
server_ticks() { local pid t=0; for pid in $(pgrep -f "server start-dev --ip 127.0.0.1 --port $PORT"); do t=$((t + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done; echo $t; }
CPU0=$(cpu_ticks)
SCPU0=$(server_ticks)
wants() { case " $WAYS " in *" $1 "*) true ;; *) false ;; esac; }

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
# The playbook operators write: one task, looping over the rows, each a
# command on the device (no MULTI/EXEC: one redis-cli per row).
{
    echo "- hosts: lab"
    echo "  gather_facts: false"
    echo "  vars:"
    echo "    rows:"
    grep -v -x -e MULTI -e EXEC "$WORK/rows.txt" | python3 -c 'import json, sys; [print("      - " + json.dumps(l.rstrip("\n"))) for l in sys.stdin]'
    echo "  tasks:"
    echo "    - name: tenant rows, one per task iteration"
    echo "      ansible.builtin.command: \"redis-cli -n 4 {{ item }}\""
    echo "      loop: \"{{ rows }}\""
} > "$WORK/playbook.yml"
echo "ansible_python_interpreter=/usr/bin/python3" >> "$WORK/hosts.ini"

reset_lab() { lab/lab.sh reseed $(seq 1 "$N"); }
now() { date +%s.%N; }
RESULTS=$WORK/results.jsonl
: > "$RESULTS"

for round in $(seq 1 "$ROUNDS"); do
    # Every way is compared with switchyard's result (or the baseline's
    # when switchyard is not run).
    ref=$WORK/switchyard.json
    if wants switchyard; then
        log "round $round: switchyard"
        reset_lab
        "$BENCH" switchyard --suite bench/tenant.yaml --inventory "$INV" --parallelism "$P" --temporal "http://127.0.0.1:$PORT" \
            | sed "s/^{/{\"round\":$round,\"workers\":$WORKERS,/" | tee -a "$RESULTS"
        "$BENCH" snapshot --lab-dir "$LAB_DIR" --out "$WORK/switchyard.json"
    fi

    if wants baseline; then
        for mode in cold warm; do
            log "round $round: baseline ($mode)"
            reset_lab
            flag=; [ $mode = warm ] && flag=--warm
            "$BENCH" baseline --suite bench/tenant.yaml --inventory "$INV" --parallelism "$P" $flag | sed "s/^{/{\"round\":$round,/" | tee -a "$RESULTS"
            "$BENCH" snapshot --lab-dir "$LAB_DIR" --out "$WORK/baseline.json"
            [ -e "$ref" ] || cp "$WORK/baseline.json" "$ref"
            cmp -s "$ref" "$WORK/baseline.json" || { log "baseline ($mode) left different CONFIG_DB contents"; exit 1; }
        done
    fi

    for way in ansible playbook; do
        wants $way || continue
        log "round $round: $way"
        reset_lab
        book=$WORK/tenant.yml; [ $way = playbook ] && book=$WORK/playbook.yml
        t0=$(now)
        ANSIBLE_CONFIG=$WORK/ansible.cfg "$VENV/bin/ansible-playbook" "$book" > "$WORK/$way.log" 2>&1 \
            || { tail -20 "$WORK/$way.log" >&2; exit 1; }
        t1=$(now)
        echo "{\"round\":$round,\"way\":\"$way\",\"devices\":$N,\"parallelism\":$P,\"apply_s\":$(python3 -c "print($t1 - $t0)")}" | tee -a "$RESULTS"
        "$BENCH" snapshot --lab-dir "$LAB_DIR" --out "$WORK/$way.json"
        cmp -s "$ref" "$WORK/$way.json" || { log "$way left different CONFIG_DB contents"; exit 1; }
    done

    if wants floor; then
        for batch in 1 8; do
            log "round $round: floor (batch $batch)"
            "$BENCH" floor --temporal "http://127.0.0.1:$PORT" --devices "$N" --parallelism "$P" --batch $batch --rounds 1 \
                | sed "s/\"round\":1/\"round\":$round/" | tee -a "$RESULTS"
        done
        log "round $round: floor (started ahead)"
        "$BENCH" floor --temporal "http://127.0.0.1:$PORT" --devices "$N" --parallelism "$P" --ahead --rounds 1 \
            | sed "s/\"round\":1/\"round\":$round/" | tee -a "$RESULTS"
    fi

    if wants rollback; then
        log "round $round: switchyard full rollback"
        reset_lab
        "$BENCH" snapshot --lab-dir "$LAB_DIR" --out "$WORK/seed.json"
        "$BENCH" switchyard --suite bench/tenant.yaml --inventory "$INV" --parallelism "$P" --temporal "http://127.0.0.1:$PORT" \
            --rollback-via-last "$LAB_DIR" | sed "s/^{/{\"round\":$round,\"rollback\":true,/" | tee -a "$RESULTS"
    fi
done
CPU1=$(cpu_ticks)
SCPU1=$(server_ticks)
# The largest worker's peak (each worker's own sessions and cache).
HWM=0
for pid in "${WORKER_PIDS[@]}"; do
    h=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status"); [ "$h" -gt "$HWM" ] && HWM=$h
done
echo "{\"way\":\"worker\",\"workers\":$WORKERS,\"peak_rss_kib\":$HWM,\"cpu_s\":$(python3 -c "print(($CPU1 - $CPU0) / $(getconf CLK_TCK))"),\"server_cpu_s\":$(python3 -c "print(($SCPU1 - $SCPU0) / $(getconf CLK_TCK))")}" | tee -a "$RESULTS"

python3 - "$RESULTS" "$N" "$P" "$ROUNDS" "$WORKERS" <<'PY'
import json, statistics, sys, platform, os
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
n, p, rounds, workers = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
nan = float("nan")
def med(way, key, rollback=False):
    v = [r[key] for r in rows if r.get("way") == way and r.get(key) is not None and bool(r.get("rollback")) == rollback]
    return statistics.median(v) if v else nan
def first(way, key, rollback=False):
    v = [r[key] for r in rows if r.get("way") == way and r.get("round") == 1 and bool(r.get("rollback")) == rollback]
    return v[0] if v else nan
def ratio(a, b):
    return a / b if b == b and b else nan
sy_apply, sy_plan = med("switchyard", "apply_s"), med("switchyard", "plan_s")
base, warm = med("baseline", "apply_s"), med("baseline_warm", "apply_s")
ans, book = med("ansible", "apply_s"), med("playbook", "apply_s")
rb = med("switchyard", "rollback_s", True)
def med_floor(batch, ahead=False):
    v = [r["apply_s"] for r in rows if r.get("way") == "floor" and r.get("batch") == batch and bool(r.get("ahead")) == ahead]
    return statistics.median(v) if v else nan
floor1, floor8, floor_ahead = med_floor(1), med_floor(8), med_floor(1, True)
worker = [r for r in rows if r.get("way") == "worker"][0]
cold_sy = first("switchyard", "plan_s") + first("switchyard", "apply_s")
ev = med("switchyard", "history_events_per_device")
sev = med("switchyard", "suite_history_events")
sby = med("switchyard", "suite_history_bytes")
print(f"""
| {n} devices, parallelism {p}, {workers} worker(s), median of {rounds} | seconds |
|---|---|
| switchyard plan (fleet dry run) | {sy_plan:.2f} |
| switchyard apply (approval to done) | {sy_apply:.2f} |
| switchyard plan + apply | {sy_plan + sy_apply:.2f} |
| direct baseline (connect, read, write) | {base:.2f} |
| direct baseline, warm (sessions open; read, write) | {warm:.2f} |
| Ansible best case (raw + redis-cli, one MULTI/EXEC) | {ans:.2f} |
| Ansible playbook (a command task looping over the rows) | {book:.2f} |
| switchyard full rollback of {int(n) - 1} devices | {rb:.2f} |
| orchestration floor: {n} no-op device workflows | {floor1:.2f} |
| orchestration floor: no-op devices in workflows of 8 | {floor8:.2f} |
| orchestration floor: no-op device workflows started ahead, held by a signal | {floor_ahead:.2f} |

| ratio | value |
|---|---|
| switchyard apply / baseline | {ratio(sy_apply, base):.2f} |
| switchyard plan + apply / baseline | {ratio(sy_plan + sy_apply, base):.2f} |
| switchyard apply / warm baseline | {ratio(sy_apply, warm):.2f} |
| switchyard apply / floor (one workflow per device) | {ratio(sy_apply, floor1):.2f} |
| floor, one workflow per device / per batch of 8 | {ratio(floor1, floor8):.2f} |
| floor, started ahead / started in its slot | {ratio(floor_ahead, floor1):.2f} |
| Ansible best case / switchyard apply | {ratio(ans, sy_apply):.2f} |
| Ansible playbook / switchyard apply | {ratio(book, sy_apply):.2f} |
| Ansible playbook / switchyard plan + apply | {ratio(book, sy_plan + sy_apply):.2f} |

Cold (round 1): switchyard plan + apply {cold_sy:.2f} s, Ansible best case {first("ansible", "apply_s"):.2f} s, playbook {first("playbook", "apply_s"):.2f} s, baseline {first("baseline", "apply_s"):.2f} s.
Worker: largest peak RSS {worker['peak_rss_kib'] / 1024:.1f} MiB, CPU {worker['cpu_s']:.1f} s over the whole run (all workers); the dev server {worker.get('server_cpu_s', nan):.1f} s.
Temporal: suite history {sev:.0f} events, {sby / 1e6:.2f} MB; {ev:.1f} history events per device (suite + its device workflows); {1 + int(n)} workflows per apply.
Machine: {platform.platform()}, {os.cpu_count()} CPUs.
""")
# Where a device's apply time goes (server timestamps; p50 over devices,
# median over rounds).
ph = [r["phases"] for r in rows if r.get("way") == "switchyard" and not r.get("rollback") and r.get("phases")]
if ph:
    names = ["child_start", "first_task_wait", "device_work", "history_signal", "close", "suite_notified", "lifetime", "suite_next_start"]
    cells = [f"{k} {statistics.median(p[k]['p50'] for p in ph if k in p) * 1000:.0f} ms" for k in names if any(k in p for p in ph)]
    print("Per device, apply (p50 over devices): " + ", ".join(cells) + ".")
PY
