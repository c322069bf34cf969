#!/usr/bin/env bash
# A real Nautobot on this machine, for the end-to-end tests of switchyard's
# Nautobot inventory source: Nautobot from PyPI with its own PostgreSQL
# cluster and its own redis-server, seeded through Nautobot's REST API with
# the devices of a lab inventory (lab/lab.sh's inventory.yaml).
#
#   nautobot.sh install          install what lab/tools.txt lists in group
#                                `nautobot` when missing: Debian's postgresql
#                                and redis-server, the pinned Nautobot in a
#                                venv (/opt/switchyard-nautobot/venv), and a
#                                migrated database beside it (a migrate from
#                                scratch takes minutes; restoring it, a second)
#   nautobot.sh up DIR PORT      start PostgreSQL (unix socket in DIR/run, no
#                                TCP), redis-server on 127.0.0.1:PORT+1 and
#                                Nautobot on 127.0.0.1:PORT, all kept in DIR;
#                                migrate, make user `admin` with an API token;
#                                write DIR/url, DIR/token (mode 600) and
#                                DIR/password (admin's, mode 600)
#   nautobot.sh seed DIR INVENTORY [--with-broken]
#                                create the inventory's devices through the
#                                REST API (see lab/nautobot/seed.py);
#                                --with-broken adds `no-ip-1`, a device with
#                                no primary IP
#   nautobot.sh down DIR         stop what `up` started in DIR (idempotent);
#                                DIR keeps its logs
#
# Environment: NAUTOBOT_SERVER (uwsgi: `nautobot-server start`, uWSGI with
# 2 processes; runserver: Django's single-process server), NAUTOBOT_WAIT
# (seconds `up` waits for the API, default 180).
#
# `up` needs root: PostgreSQL runs as the `postgres` user (initdb refuses
# root), so DIR and its parents must be searchable by that user (/tmp/...
# is; /root/... is not). Everything `up` starts is in DIR/*.pid.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOLS=$HERE/tools.txt
NAUTOBOT_SERVER=${NAUTOBOT_SERVER:-uwsgi}
NAUTOBOT_WAIT=${NAUTOBOT_WAIT:-180}
PG_PORT=5432 # only names the socket file in DIR/run: PostgreSQL listens on no TCP port
MIGRATE_S=0

log() { echo "nautobot: $*" >&2; }
die() { echo "nautobot: error: $*" >&2; exit 1; }

# die_log LOG MESSAGE: the message and the log's last lines.
die_log() {
    local file=$1
    shift
    echo "nautobot: error: $*" >&2
    if [ -f "$file" ]; then
        echo "---- last lines of $file ----" >&2
        tail -n 40 "$file" >&2 || true
        echo "----" >&2
    fi
    exit 1
}

need_root() { [ "$(id -u)" = 0 ] || die "needs root (apt-get, and runuser to run PostgreSQL as postgres)"; }

# The `nautobot` lines of lab/tools.txt, one per line: "program source".
tools() {
    local group program source
    while read -r group program source; do
        [ "$group" = nautobot ] && echo "$program $source"
    done < "$TOOLS"
    return 0
}

# The venv's nautobot-server, as lab/tools.txt names it (its line says where the venv is).
nautobot_server() { tools | awk '$2 ~ /^venv:/ { print $1; exit }'; }
venv_dir() { dirname "$(dirname "$(nautobot_server)")"; }

have() {
    case "$1" in
        /*) [ -x "$1" ] ;;
        *) command -v "$1" >/dev/null ;;
    esac
}

# The venv is complete when its marker names the requirement it was made for.
have_venv() { # PROGRAM REQUIREMENT
    local venv
    venv=$(dirname "$(dirname "$1")")
    [ -x "$1" ] && [ "$(cat "$venv/.switchyard-requirement" 2>/dev/null)" = "$2" ]
}

# Fail unless every `nautobot` line of lab/tools.txt is installed.
need_installed() {
    local program source
    while read -r program source; do
        case "$source" in
            venv:*) have_venv "$program" "${source#venv:}" ;;
            *) have "$program" ;;
        esac || die "$program is missing ($source): run 'lab/nautobot.sh install'"
    done < <(tools)
}

# PostgreSQL's server programs (initdb, pg_ctl): the newest installed major.
pg_bindir() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -n 1)
    [ -n "$d" ] && [ -x "$d/pg_ctl" ] || die "PostgreSQL is missing: run 'lab/nautobot.sh install'"
    echo "$d"
}

# The migrated database of this Nautobot on this PostgreSQL, kept beside the
# venv: a fresh `migrate` takes minutes, restoring it about a second.
db_cache() {
    local requirement major
    requirement=$(cat "$(venv_dir)/.switchyard-requirement")
    major=$(basename "$(dirname "$(pg_bindir)")")
    echo "$(dirname "$(venv_dir)")/db-${requirement//[^A-Za-z0-9.]/_}-pg$major.dump"
}

cmd_install() {
    [ $# -eq 0 ] || die "install takes no arguments"
    local apt=() venvs=() program source
    while read -r program source; do
        case "$source" in
            apt:*) have "$program" || [[ " ${apt[*]} " == *" ${source#apt:} "* ]] || apt+=("${source#apt:}") ;;
            venv:*) have_venv "$program" "${source#venv:}" || venvs+=("$program ${source#venv:}") ;;
            *) die "lab/tools.txt: $program: unknown source $source" ;;
        esac
    done < <(tools)
    # Debian's own python3 makes venvs only with python3-venv (ensurepip).
    if [ ${#venvs[@]} -gt 0 ] && ! python3 -c 'import ensurepip, venv' 2> /dev/null; then
        apt+=(python3-venv)
    fi
    if [ ${#apt[@]} -gt 0 ]; then
        need_root
        log "installing ${apt[*]}"
        # Keep apt from starting the packaged services (a host PostgreSQL on
        # :5432, a host redis on :6379): each `up` starts its own.
        local made_policy=0
        if [ ! -e /usr/sbin/policy-rc.d ]; then
            printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
            chmod +x /usr/sbin/policy-rc.d
            made_policy=1
        fi
        DEBIAN_FRONTEND=noninteractive apt-get update -qq || die "cannot install ${apt[*]}: apt-get update failed"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt[@]}" > /dev/null \
            || { [ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d; die "cannot install ${apt[*]}: apt-get install failed"; }
        [ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
    fi
    local entry venv requirement
    for entry in "${venvs[@]}"; do
        program=${entry%% *}
        requirement=${entry#* }
        venv=$(dirname "$(dirname "$program")")
        log "installing $requirement (PyPI) into $venv"
        rm -f "$venv/.switchyard-requirement"
        [ -x "$venv/bin/python" ] || python3 -m venv "$venv" || die "cannot make the venv $venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$requirement" \
            || die "cannot install $requirement: pip install failed"
        echo "$requirement" > "$venv/.switchyard-requirement"
    done
    # What is still missing after the install is named, not discovered later.
    local missing=()
    while read -r program source; do
        case "$source" in
            venv:*) have_venv "$program" "${source#venv:}" || missing+=("$program ($source)") ;;
            *) have "$program" || missing+=("$program ($source)") ;;
        esac
    done < <(tools)
    [ ${#missing[@]} -eq 0 ] || die "still missing after install: ${missing[*]}"
    build_db_cache
}

# nb DIR ARGS...: nautobot-server with DIR's configuration.
nb() {
    local dir=$1
    shift
    NAUTOBOT_ROOT=$dir/root "$(nautobot_server)" --config "$dir/nautobot_config.py" "$@"
}

# Whether nothing listens on 127.0.0.1:PORT (connections of an earlier run
# left in TIME_WAIT do not count: the servers bind with SO_REUSEADDR too).
port_free() {
    python3 - "$1" << 'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
}

# A free loopback TCP port.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2> /dev/null; }

# start_postgres DIR: a cluster in DIR/pg, run as postgres, listening only on
# its socket in DIR/run; superuser and database `nautobot`, trust auth.
start_postgres() {
    local dir=$1 bindir
    bindir=$(pg_bindir)
    install -d -o postgres -g postgres -m 700 "$dir/pg"
    install -d -o postgres -g postgres -m 755 "$dir/run"
    runuser -u postgres -- "$bindir/initdb" -D "$dir/pg" -U nautobot --auth=trust -E UTF8 --no-locale \
        > "$dir/initdb.log" 2>&1 || die_log "$dir/initdb.log" "initdb failed"
    # A throwaway database: durability traded for speed.
    {
        echo "listen_addresses = ''"
        echo "port = $PG_PORT"
        echo "unix_socket_directories = '$dir/run'"
        echo "max_connections = 50"
        echo "fsync = off"
        echo "synchronous_commit = off"
        echo "full_page_writes = off"
    } >> "$dir/pg/postgresql.conf"
    install -o postgres -g postgres -m 644 /dev/null "$dir/postgres.log"
    runuser -u postgres -- "$bindir/pg_ctl" -D "$dir/pg" -l "$dir/postgres.log" -w -t 60 start > /dev/null \
        || die_log "$dir/postgres.log" "PostgreSQL did not start"
    head -n 1 "$dir/pg/postmaster.pid" > "$dir/postgres.pid"
    runuser -u postgres -- "$bindir/createdb" -h "$dir/run" -p "$PG_PORT" -U nautobot nautobot \
        || die_log "$dir/postgres.log" "createdb failed"
}

# start_redis DIR PORT: redis-server on 127.0.0.1:PORT, nothing saved.
start_redis() {
    local dir=$1 rport=$2 t
    mkdir -p "$dir/redis"
    setsid redis-server --bind 127.0.0.1 --port "$rport" --dir "$dir/redis" --save '' --appendonly no \
        --daemonize no > "$dir/redis.log" 2>&1 < /dev/null &
    echo $! > "$dir/redis.pid"
    for ((t = 0; ; t++)); do
        # PING over bash's /dev/tcp: no redis-cli needed.
        if (exec 3<> "/dev/tcp/127.0.0.1/$rport" && printf 'PING\r\n' >&3 && read -r -t 2 reply <&3 && [[ "$reply" == +PONG* ]]) 2> /dev/null; then return 0; fi
        alive "$dir/redis.pid" || die_log "$dir/redis.log" "redis-server exited"
        [ $t -lt 100 ] || die_log "$dir/redis.log" "redis-server did not answer within 10s"
        sleep 0.1
    done
}

# write_config DIR REDIS_PORT: DIR/nautobot_config.py.
write_config() {
    local dir=$1 rport=$2 secret
    secret=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')
    mkdir -p "$dir/root"
    cat > "$dir/nautobot_config.py" << CONFIG
# Written by lab/nautobot.sh: a throwaway Nautobot for the tests.
from nautobot.core.settings import *  # noqa: F401,F403

ALLOWED_HOSTS = ["*"]
DEBUG = False
SECRET_KEY = "$secret"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "nautobot",
        "USER": "nautobot",
        "PASSWORD": "",
        "HOST": "$dir/run",
        "PORT": "$PG_PORT",
        "CONN_MAX_AGE": 300,
    }
}
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:$rport/0",
        "TIMEOUT": 300,
        "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
    }
}
# No Celery worker runs: nothing here queues jobs.
CELERY_BROKER_URL = "redis://127.0.0.1:$rport/1"
INSTALLATION_METRICS_ENABLED = False
CONFIG
}

# migrate DIR: the schema, from the cached migrated database when there is
# one (then `migrate` only checks it and applies what is newer), otherwise
# from scratch, then cached. Sets MIGRATE_S.
migrate() {
    local dir=$1 cache bindir m0=$SECONDS
    cache=$(db_cache)
    bindir=$(pg_bindir)
    if [ -s "$cache" ]; then
        log "restoring the migrated database ($cache)"
        runuser -u postgres -- "$bindir/pg_restore" -h "$dir/run" -p "$PG_PORT" -U nautobot -d nautobot \
            --no-owner --exit-on-error < "$cache" > "$dir/restore.log" 2>&1 \
            || die_log "$dir/restore.log" "cannot restore $cache (delete it to migrate from scratch)"
    else
        log "nautobot-server migrate from scratch (minutes; then cached in $cache)"
    fi
    nb "$dir" migrate --no-input > "$dir/migrate.log" 2>&1 || die_log "$dir/migrate.log" "nautobot-server migrate failed"
    if [ ! -s "$cache" ]; then
        if runuser -u postgres -- "$bindir/pg_dump" -h "$dir/run" -p "$PG_PORT" -U nautobot -Fc nautobot > "$cache.tmp.$$"; then
            mv "$cache.tmp.$$" "$cache"
        else
            rm -f "$cache.tmp.$$"
            die "cannot write $cache"
        fi
    fi
    MIGRATE_S=$((SECONDS - m0))
}

# The migrated database, made by `install` so that the first `up` is quick too.
build_db_cache() {
    [ -s "$(db_cache)" ] && return 0
    need_root
    local dir
    dir=$(mktemp -d /tmp/switchyard-nautobot.XXXXXX)
    chmod 755 "$dir"
    trap 'cmd_down "$dir" > /dev/null 2>&1 || true; rm -rf "$dir"' EXIT
    local rport
    rport=$(free_port)
    start_postgres "$dir"
    start_redis "$dir" "$rport"
    write_config "$dir" "$rport"
    migrate "$dir"
    log "migrated database cached in $(db_cache) (${MIGRATE_S}s)"
    cmd_down "$dir" > /dev/null
    rm -rf "$dir"
    trap - EXIT
}

# GET DIR/url's /api/ with the token until it answers 200, the server exits
# or time runs out.
wait_api() { # DIR PIDFILE
    local dir=$1 pidfile=$2 t
    for ((t = 0; t < NAUTOBOT_WAIT * 2; t++)); do
        if python3 - "$(cat "$dir/url")/api/" "$(cat "$dir/token")" << 'PY'; then return 0; fi
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], headers={"Authorization": "Token " + sys.argv[2], "Accept": "application/json"})
try:
    sys.exit(0 if urllib.request.urlopen(req, timeout=5).status == 200 else 1)
except Exception:
    sys.exit(1)
PY
        alive "$pidfile" || die_log "$dir/nautobot.log" "Nautobot exited before its API answered"
        sleep 0.5
    done
    die_log "$dir/nautobot.log" "Nautobot's API did not answer 200 within ${NAUTOBOT_WAIT}s"
}

# The user `admin`: a superuser with the given password and API token.
make_admin() { # DIR TOKEN PASSWORD
    NB_TOKEN=$2 NB_PASSWORD=$3 nb "$1" nbshell --command '
import os
from django.contrib.auth import get_user_model
from nautobot.users.models import Token
user, _ = get_user_model().objects.get_or_create(username="admin")
user.is_superuser = True
user.is_staff = True
user.email = "admin@switchyard.invalid"
user.set_password(os.environ["NB_PASSWORD"])
user.save()
Token.objects.get_or_create(user=user, key=os.environ["NB_TOKEN"])
' > "$1/user.log" 2>&1 || die_log "$1/user.log" "cannot make the admin user and its token"
}

cmd_up() {
    [ $# -eq 2 ] || die "usage: nautobot.sh up DIR PORT"
    need_root
    local dir port rport
    dir=$(realpath -m "$1")
    port=$2
    [[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1024 ] && [ "$port" -le 65534 ] || die "PORT must be 1024..65534"
    rport=$((port + 1))
    # A unix socket path holds at most 107 bytes: DIR/run/.s.PGSQL.5432 must fit.
    [ ${#dir} -le 80 ] || die "DIR is too long for PostgreSQL's socket path (at most 80 characters): $dir"
    case "$NAUTOBOT_SERVER" in
        uwsgi | runserver) ;;
        *) die "NAUTOBOT_SERVER=$NAUTOBOT_SERVER: expected uwsgi or runserver" ;;
    esac
    need_installed
    if alive "$dir/nautobot.pid" || alive "$dir/redis.pid" || alive "$dir/postgres.pid"; then
        die "a Nautobot is already up in $dir: run 'lab/nautobot.sh down $dir' first"
    fi
    port_free "$port" || die "port $port is in use"
    port_free "$rport" || die "port $rport (redis, PORT+1) is in use"

    # Whatever fails from here on leaves nothing running.
    trap 'cmd_down "$dir" > /dev/null 2>&1 || true' EXIT
    local t0=$SECONDS
    mkdir -p "$dir"
    chmod 755 "$dir"
    rm -rf "$dir/pg" "$dir/run" "$dir/redis" "$dir/root" "$dir"/*.log "$dir/url" "$dir/token" "$dir/password" "$dir/timings"
    runuser -u postgres -- test -x "$dir" || die "the postgres user cannot reach $dir: pick a DIR under a searchable path (e.g. /tmp)"

    log "PostgreSQL in $dir/pg, socket in $dir/run"
    start_postgres "$dir"
    log "redis-server on 127.0.0.1:$rport"
    start_redis "$dir" "$rport"
    write_config "$dir" "$rport"
    migrate "$dir"

    log "user admin and its API token"
    local token password
    token=$(python3 -c 'import secrets; print(secrets.token_hex(20))')
    password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
    make_admin "$dir" "$token" "$password"
    (umask 077 && echo "$token" > "$dir/token" && echo "$password" > "$dir/password")
    echo "http://127.0.0.1:$port" > "$dir/url"

    log "Nautobot ($NAUTOBOT_SERVER) on 127.0.0.1:$port"
    local s0=$SECONDS
    case "$NAUTOBOT_SERVER" in
        uwsgi)
            # Its own session, so `down` stops the master, its workers and the
            # HTTP router together.
            NAUTOBOT_ROOT=$dir/root setsid "$(nautobot_server)" --config "$dir/nautobot_config.py" start \
                --http "127.0.0.1:$port" --master --processes 2 --threads 2 --enable-threads \
                --die-on-term --need-app --buffer-size 16384 --harakiri 120 \
                > "$dir/nautobot.log" 2>&1 < /dev/null &
            ;;
        runserver)
            NAUTOBOT_ROOT=$dir/root setsid "$(nautobot_server)" --config "$dir/nautobot_config.py" runserver \
                --noreload --insecure "127.0.0.1:$port" > "$dir/nautobot.log" 2>&1 < /dev/null &
            ;;
    esac
    echo $! > "$dir/nautobot.pid"
    wait_api "$dir" "$dir/nautobot.pid"
    printf 'migrate %ss\nserver %ss\nup %ss\n' "$MIGRATE_S" "$((SECONDS - s0))" "$((SECONDS - t0))" > "$dir/timings"
    trap - EXIT
    log "up in $((SECONDS - t0))s (migrate ${MIGRATE_S}s): $(cat "$dir/url"), token in $dir/token"
}

cmd_seed() {
    local dir inventory broken=()
    [ $# -ge 2 ] && [ $# -le 3 ] || die "usage: nautobot.sh seed DIR INVENTORY [--with-broken]"
    dir=$(realpath -m "$1")
    inventory=$2
    if [ $# -eq 3 ]; then
        [ "$3" = --with-broken ] || die "seed: unknown option $3 (known: --with-broken)"
        broken=(--with-broken)
    fi
    [ -s "$dir/url" ] && [ -s "$dir/token" ] || die "no Nautobot is up in $dir: run 'lab/nautobot.sh up $dir PORT'"
    [ -f "$inventory" ] || die "no inventory at $inventory"
    need_installed
    # The venv's python: it has PyYAML (a Nautobot dependency) for the inventory.
    "$(venv_dir)/bin/python" "$HERE/nautobot/seed.py" "$(cat "$dir/url")" "$dir/token" "$inventory" "${broken[@]}"
}

# stop_group PIDFILE: TERM the process group the pid leads (setsid), wait
# up to 10 s, then KILL.
stop_group() {
    local pidfile=$1 pid t
    [ -s "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2> /dev/null; then
        kill -TERM -- "-$pid" 2> /dev/null || kill -TERM "$pid" 2> /dev/null || true
        for ((t = 0; t < 100; t++)); do
            kill -0 -- "-$pid" 2> /dev/null || kill -0 "$pid" 2> /dev/null || break
            sleep 0.1
        done
        kill -KILL -- "-$pid" 2> /dev/null || true
        kill -KILL "$pid" 2> /dev/null || true
    fi
    rm -f "$pidfile"
}

cmd_down() {
    [ $# -eq 1 ] || die "usage: nautobot.sh down DIR"
    local dir
    dir=$(realpath -m "$1")
    [ -d "$dir" ] || return 0
    stop_group "$dir/nautobot.pid"
    stop_group "$dir/redis.pid"
    if [ -s "$dir/postgres.pid" ]; then
        local pid t
        pid=$(cat "$dir/postgres.pid")
        if kill -0 "$pid" 2> /dev/null; then
            runuser -u postgres -- "$(pg_bindir)/pg_ctl" -D "$dir/pg" -m fast -w -t 20 stop > /dev/null 2>&1 || true
            for ((t = 0; t < 100; t++)); do
                kill -0 "$pid" 2> /dev/null || break
                sleep 0.1
            done
            kill -KILL "$pid" 2> /dev/null || true
        fi
        rm -f "$dir/postgres.pid"
    fi
    rm -f "$dir/url" "$dir/token" "$dir/password"
    return 0
}

case "${1:-}" in
    install) shift; cmd_install "$@" ;;
    up) shift; cmd_up "$@" ;;
    seed) shift; cmd_seed "$@" ;;
    down) shift; cmd_down "$@" ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
