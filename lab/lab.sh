#!/usr/bin/env bash
# The device lab: N SONiC-like switches on one machine.
#
# Each device is a network namespace with its own address on eth0, a real
# OpenSSH server on port 22 and a real redis-server at the device's own
# 127.0.0.1:6379 holding a seeded CONFIG_DB (db 4) and STATE_DB (db 6).
# The host reaches devices over a bridge, exactly as an orchestrator reaches
# switches over a management network.
#
#   lab.sh install [tests]  install what lab/tools.txt lists for the lab (and,
#                           with `tests`, what the tests start) when missing
#   lab.sh up N             bring up N devices, write inventory.yaml + known_hosts
#   lab.sh down             stop only what `up` started and remove it
#   lab.sh status           list devices and whether their daemons run
#   lab.sh reseed I...      reset devices' CONFIG_DB/STATE_DB to the seed
#   lab.sh reboot I...      reboot devices: transient timers gone, CONFIG_DB
#                           loaded from the saved config_db.json
#   lab.sh ssh I [cmd]      open a shell (or run cmd) on device I
#   lab.sh fault I KIND     break device I: link-down, freeze-sshd, stop-redis,
#                           rekey, revoke, refuse-writes, refuse-all, no-save,
#                           port-down, bgp-down, blackhole (see cmd_fault)
#   lab.sh heal I           undo device I's fault
#
# Environment: LAB_DIR (state folder, default /tmp/switchyard-lab),
# LAB_PREFIX (name prefix for namespaces and links, default "sy"),
# LAB_SUBNET (first two octets of the lab network, default 198.18),
# LAB_PAR (devices started in parallel, default 8), LAB_NPORTS (32),
# LAB_PORT_STEP (4), LAB_USER (admin), LAB_PASSWORD (also enable password login),
# LAB_PROFILES (mixed: odd devices SONiC 202305 with bgpcfgd, even ones
# SONiC 202411 (I % 4 = 2) or 202511 (I % 4 = 0) with frrcfgd; or one
# release for all: 202305, 202411, 202511; bgpcfgd and frrcfgd name 202305
# and 202411),
# LAB_HEALTH (1: run lab/health.py, which reports port and BGP neighbor
# state as SONiC's daemons would; 0: leave the seeded state alone).
#
# Each device is a SONiC switch as far as switchyard can tell: DEVICE_METADATA,
# PORT, Loopback0, MGMT_*, FEATURE and (where frrcfgd runs) BGP_GLOBALS|default
# as a real switch of its profile carries them, STATE_DB PORT_TABLE with the
# ports' supported speeds, APPL_DB PORT_TABLE with each port admin and oper
# up, and `sudo config save -y`, which writes the device's CONFIG_DB to its
# own etc/sonic/config_db.json as SONiC does. lab/health.py keeps port and
# BGP neighbor state following CONFIG_DB (see its header for what it does
# and does not simulate).
set -euo pipefail

LAB_DIR=${LAB_DIR:-/tmp/switchyard-lab}
LAB_PREFIX=${LAB_PREFIX:-sy}
LAB_PAR=${LAB_PAR:-8}
LAB_NPORTS=${LAB_NPORTS:-32}
LAB_PORT_STEP=${LAB_PORT_STEP:-4}
LAB_USER=${LAB_USER:-admin}
LAB_PROFILES=${LAB_PROFILES:-mixed}
LAB_PASSWORD=${LAB_PASSWORD:-}
LAB_HEALTH=${LAB_HEALTH:-1}
# Two labs on one machine need their own subnets: 198.18 and 198.19 (RFC 2544).
LAB_SUBNET=${LAB_SUBNET:-198.18}
BRIDGE="${LAB_PREFIX}br0"
BRIDGE_MAC=52:54:00:ff:ff:fe
BRIDGE_IP=$LAB_SUBNET.0.1

log() { echo "lab: $*" >&2; }
die() { echo "lab: error: $*" >&2; exit 1; }

need_root() { [ "$(id -u)" = 0 ] || die "the lab needs root (network namespaces, port 22, useradd)"; }

# Device I -> <subnet>.(1+(I-1)/250).(1+(I-1)%250); 250 per /24 keeps .0 and .255 unused.
dev_ip() { local i=$1; echo "$LAB_SUBNET.$((1 + (i - 1) / 250)).$((1 + (i - 1) % 250))"; }
dev_mac() { local i=$1; printf '52:54:00:%02x:%02x:%02x' $(((i >> 16) & 255)) $(((i >> 8) & 255)) $((i & 255)); }
dev_name() { printf 'sonic-d%03d' "$1"; }
dev_ns() { echo "${LAB_PREFIX}d$1"; }
dev_veth() { echo "${LAB_PREFIX}v$1"; }
dev_dir() { echo "$LAB_DIR/dev/$1"; }

# The device's profile, a SONiC release: what a real fleet mixes (release,
# BGP daemon, hardware).
dev_profile() {
    case "$LAB_PROFILES" in
        mixed) if [ $(($1 % 2)) = 1 ]; then echo 202305; elif [ $(($1 % 4)) = 2 ]; then echo 202411; else echo 202511; fi ;;
        202305 | bgpcfgd) echo 202305 ;;
        202411 | frrcfgd) echo 202411 ;;
        202511) echo 202511 ;;
        *) die "LAB_PROFILES=$LAB_PROFILES: expected mixed, 202305, 202411, 202511 (or bgpcfgd, frrcfgd)" ;;
    esac
}

# The BGP daemon a profile runs.
profile_daemon() { if [ "$1" = 202305 ]; then echo bgpcfgd; else echo frrcfgd; fi; }

# The programs of lab/tools.txt in GROUPS (lab always), one per line:
# "program source".
tools_of() {
    local want=" lab $* " group program source
    while read -r group program source; do
        case "$group" in '' | '#'*) continue ;; esac
        [[ "$want" == *" $group "* ]] && echo "$program $source"
    done < "$(dirname "${BASH_SOURCE[0]}")/tools.txt"
}

# Finds a program on PATH, or for the Temporal CLI where pip puts it.
have_tool() {
    case "$1" in
        temporal) (source "$(dirname "${BASH_SOURCE[0]}")/stack.sh" && find_temporal >/dev/null 2>&1) ;;
        *) command -v "$1" >/dev/null ;;
    esac
}

cmd_install() {
    local extra known
    for extra in "$@"; do
        # `prometheus` and `chromium` are older names for what `tests` installs.
        case "$extra" in
            tests | prometheus | chromium) ;;
            *) die "install: unknown group $extra (known: tests)" ;;
        esac
    done
    local groups=" $* "
    [[ "$groups" == *" prometheus "* || "$groups" == *" chromium "* ]] && groups+=" tests "
    local apt=() pip=() program source
    while read -r program source; do
        have_tool "$program" && continue
        case "$source" in
            apt:*) [[ " ${apt[*]} " == *" ${source#apt:} "* ]] || apt+=("${source#apt:}") ;;
            pip:*) [[ " ${pip[*]} " == *" ${source#pip:} "* ]] || pip+=("${source#pip:}") ;;
            toolchain) die "$program is missing: install the Rust toolchain (rustup)" ;;
        esac
    done < <(tools_of $groups)
    [ ${#apt[@]} -eq 0 ] && [ ${#pip[@]} -eq 0 ] && return 0
    if [ ${#apt[@]} -gt 0 ]; then
        [ "$(id -u)" = 0 ] || die "cannot install ${apt[*]}: apt-get needs root"
        log "installing ${apt[*]}"
        # Keep apt from starting the packaged services: a host sshd on *:22 and a
        # host redis on 127.0.0.1:6379 are not wanted, and there is no systemd.
        local made_policy=0
        if [ ! -e /usr/sbin/policy-rc.d ]; then
            printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
            chmod +x /usr/sbin/policy-rc.d
            made_policy=1
        fi
        DEBIAN_FRONTEND=noninteractive apt-get update -qq || die "cannot install ${apt[*]}: apt-get update failed"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt[@]}" >/dev/null \
            || { [ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d; die "cannot install ${apt[*]}: apt-get install failed"; }
        [ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
    fi
    if [ ${#pip[@]} -gt 0 ]; then
        log "installing ${pip[*]} (PyPI)"
        python3 -m pip install --quiet --disable-pip-version-check "${pip[@]}" || die "cannot install ${pip[*]}: pip install failed"
    fi
    # What is still missing after the install is named, not discovered later.
    local missing=()
    while read -r program source; do have_tool "$program" || missing+=("$program ($source)"); done < <(tools_of $groups)
    [ ${#missing[@]} -eq 0 ] || die "still missing after install: ${missing[*]}"
    return 0
}

# The Force10-S6000's lanes, port by port (sonic-buildimage
# device/dell/x86_64-dell_s6000_s1220-r0/Force10-S6000/port_config.ini, the
# same on 202305..202511; the VS image copies it): the first of each port's
# four lanes.
S6000_LANES=(25 29 33 37 45 41 1 5 13 9 17 21 53 49 57 61 69 65 73 77 109 105 113 117 125 121 81 85 93 89 101 97)

# A release's FEATURE table, as a switch of it carries after boot
# (sonic-buildimage files/build_templates/init_cfg.json.j2 with the default
# build flags, as featured and sonic-package-manager resolve it) for a
# ToRRouter on one ASIC: name state delayed has_global_scope
# has_per_asic_scope, then `pkg` for features installed as packages and
# `up` for those whose start is checked (check_up_status false).
features_of() {
    local release=$1 platform=$2
    cat <<'EOF'
bgp enabled False False True up
database always_enabled False True True
dhcp_relay enabled False True False pkg
eventd enabled False True False
lldp enabled True True True
macsec disabled False False True pkg
mgmt-framework enabled True True False
mux always_disabled False True False
nat disabled False True False
pmon enabled True True False up
radv enabled False True False
sflow disabled True True False
snmp enabled True True False
swss enabled False False True up
syncd enabled False False True
teamd enabled False False True
EOF
    if [ "$release" = 202305 ]; then echo "telemetry enabled True True False"; else echo "gnmi enabled True True False"; fi
    if [ "$release" = 202511 ]; then echo "otel disabled False True False"; fi
    # The virtual switch image runs its gearbox daemon too.
    if [ "$platform" = x86_64-kvm_x86_64-r0 ]; then echo "gbsyncd enabled False False True"; fi
}

# Seed one device's databases through its unix socket (no namespace switch),
# as a switch of its release comes up:
#   202305  the SONiC VS image (Force10-S6000, 32 x 40G, the S6000's lanes);
#           bgpcfgd runs BGP on DEVICE_METADATA's bgp_asn; IPv4 DHCP relay
#           in the VLAN's dhcp_servers@ (isc-dhcp-relay).
#   202411  a Mellanox SN2700 (32 x 100G from platform.json's default
#           breakout); frrcfgd (frr_mgmt_framework_config=true) runs BGP from
#           BGP_GLOBALS|default; IPv4 DHCP relay still in dhcp_servers@.
#   202511  the SN2700 again, with SONiC's own DHCPv4 relay
#           (has_sonic_dhcpv4_relay=True, DHCPV4_RELAY).
# VERSIONS|DATABASE is what each release's db_migrator leaves at boot.
seed_device() {
    local i=$1 dir sock ip mac name profile
    dir=$(dev_dir "$i"); sock="$dir/redis.sock"; ip=$(dev_ip "$i"); mac=$(dev_mac "$i"); name=$(dev_name "$i"); profile=$(dev_profile "$i")
    local platform hwsku speed speeds fec dbversion metadata loopback
    loopback="10.1.$((i / 250)).$((i % 250))"
    case "$profile" in
        202305)
            platform=x86_64-kvm_x86_64-r0; hwsku=Force10-S6000; speed=40000; speeds=10000,40000
            fec=none; dbversion=version_202305_01
            metadata="docker_routing_config_mode split" ;;
        *)
            platform=x86_64-mlnx_msn2700-r0; hwsku=Mellanox-SN2700; speed=100000; speeds=10000,25000,40000,50000,100000
            fec=rs; dbversion=version_202411_02
            metadata="docker_routing_config_mode unified frr_mgmt_framework_config true"
            if [ "$profile" = 202511 ]; then dbversion=version_202511_01; metadata="$metadata has_sonic_dhcpv4_relay True"; fi ;;
    esac
    {
        echo "SELECT 4"
        echo "FLUSHDB"
        echo "HSET DEVICE_METADATA|localhost hostname $name platform $platform hwsku $hwsku mac $mac type ToRRouter bgp_asn $((65000 + i)) deployment_id 1 $metadata buffer_model traditional synchronous_mode enable default_bgp_status up default_pfcwd_status disable timezone UTC"
        local p port lanes first
        for ((p = 0; p < LAB_NPORTS; p++)); do
            port=$((p * LAB_PORT_STEP))
            if [ "$profile" = 202305 ]; then
                # Past the S6000's 32 ports (a larger lab), lanes continue in order.
                first=${S6000_LANES[$p]:-$((p * 4 + 1))}
                lanes="$first,$((first + 1)),$((first + 2)),$((first + 3))"
                echo "HSET PORT|Ethernet$port alias fortyGigE0/$port lanes $lanes index $p speed $speed mtu 9100 admin_status up fec $fec autoneg off"
            else
                lanes="$((p * 4)),$((p * 4 + 1)),$((p * 4 + 2)),$((p * 4 + 3))"
                echo "HSET PORT|Ethernet$port alias etp$((p + 1)) lanes $lanes index $((p + 1)) speed $speed subport 0 mtu 9100 admin_status up fec $fec autoneg off"
                echo "HSET BREAKOUT_CFG|Ethernet$port brkout_mode 1x100G[50G,40G,25G,10G]"
            fi
        done
        echo "HSET LOOPBACK_INTERFACE|Loopback0 NULL NULL"
        echo "HSET LOOPBACK_INTERFACE|Loopback0|$loopback/32 NULL NULL"
        echo "HSET MGMT_PORT|eth0 alias eth0 admin_status up"
        echo "HSET MGMT_INTERFACE|eth0|$ip/16 gwaddr $BRIDGE_IP"
        local feature state delayed global per_asic extra fields
        while read -r feature state delayed global per_asic extra; do
            fields="state $state auto_restart enabled delayed $delayed has_global_scope $global has_per_asic_scope $per_asic high_mem_alert disabled"
            [ "$feature" = database ] && fields="${fields/auto_restart enabled/auto_restart always_enabled}"
            case "$extra" in
                pkg) fields="$fields support_syslog_rate_limit True check_up_status False set_owner local" ;;
                up) fields="$fields support_syslog_rate_limit true check_up_status false" ;;
                *) fields="$fields support_syslog_rate_limit true" ;;
            esac
            echo "HSET FEATURE|$feature $fields"
        done < <(features_of "$profile" "$platform")
        if [ "$profile" != 202305 ]; then echo "HSET BGP_GLOBALS|default local_asn $((65000 + i)) router_id $loopback"; fi
        echo "HSET VERSIONS|DATABASE VERSION $dbversion"
        echo "SET CONFIG_DB_INITIALIZED 1"
        echo "SELECT 6"
        echo "FLUSHDB"
        for ((p = 0; p < LAB_NPORTS; p++)); do
            echo "HSET PORT_TABLE|Ethernet$((p * LAB_PORT_STEP)) state ok supported_speeds $speeds"
        done
        echo "SELECT 0"
        echo "FLUSHDB"
        for ((p = 0; p < LAB_NPORTS; p++)); do
            echo "HSET PORT_TABLE:Ethernet$((p * LAB_PORT_STEP)) admin_status up oper_status up"
        done
    } | redis-cli -s "$sock" >/dev/null
    # The startup configuration matches the running one, as after boot.
    SWITCHYARD_LAB_DEVICE=$dir SWITCHYARD_LAB_REDIS=$sock "$LAB_DIR/bin/config" save -y >/dev/null
}

# The switch's own commands, as the lab user finds them on its PATH:
# `config save` (CONFIG_DB to the device's etc/sonic/config_db.json, in the
# JSON SONiC's `config save` writes), GCU's `config checkpoint`/`rollback`,
# transient timers (`systemd-run --on-active`, `systemctl stop`) and
# `sudo`: the lab user is the device's admin.
write_device_commands() {
    mkdir -p "$LAB_DIR/bin"
    # The lab user is the device's admin (as `NOPASSWD: ALL`): `-n` never
    # prompts anyway, `-l CMD` prints CMD's path as sudo does when allowed.
    cat > "$LAB_DIR/bin/sudo" <<'SUDO'
#!/bin/sh
while [ $# -gt 0 ]; do
    case $1 in
        -n) shift ;;
        -l) shift
            [ $# -eq 0 ] && { echo "    (ALL) NOPASSWD: ALL"; exit 0; }
            command -v "$1" || { echo "sudo: $1: command not found" >&2; exit 1; }
            exit 0 ;;
        *) break ;;
    esac
done
exec "$@"
SUDO
    cp "$(dirname "$(readlink -f "$0")")/config.py" "$LAB_DIR/bin/config"
    # Transient timers, as systemd-run and systemctl (lab/systemd.py).
    cp "$(dirname "$(readlink -f "$0")")/systemd.py" "$LAB_DIR/bin/systemd-run"
    cp "$(dirname "$(readlink -f "$0")")/systemd.py" "$LAB_DIR/bin/systemctl"
    chmod 755 "$LAB_DIR/bin" "$LAB_DIR/bin/sudo" "$LAB_DIR/bin/config" "$LAB_DIR/bin/systemd-run" "$LAB_DIR/bin/systemctl"
}

start_device() {
    local i=$1 dir ns ip
    dir=$(dev_dir "$i"); ns=$(dev_ns "$i"); ip=$(dev_ip "$i")
    mkdir -p "$dir"
    ssh-keygen -q -t ed25519 -N '' -C "$(dev_name "$i")" -f "$dir/ssh_host_ed25519_key"
    cat > "$dir/sshd_config" <<EOF
Port 22
ListenAddress 0.0.0.0
HostKey $dir/ssh_host_ed25519_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PasswordAuthentication $([ -n "$LAB_PASSWORD" ] && echo yes || echo no)
KbdInteractiveAuthentication no
PubkeyAuthentication yes
UsePAM no
StrictModes no
AllowUsers $LAB_USER
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
PermitOpen any
UseDNS no
SetEnv PATH=$LAB_DIR/bin:/usr/local/bin:/usr/bin:/bin SWITCHYARD_LAB_DEVICE=$dir
ClientAliveInterval 300
ClientAliveCountMax 0
MaxAuthTries 3
LogLevel VERBOSE
EOF
    cat > "$dir/redis.conf" <<EOF
bind 127.0.0.1
port 6379
unixsocket $dir/redis.sock
unixsocketperm 777
daemonize yes
pidfile $dir/redis.pid
logfile $dir/redis.log
dir $dir
save ""
appendonly no
databases 16
EOF
    # nsenter rather than `ip netns exec`: the latter clones the mount table,
    # which holds one /run/netns mount per device, for every daemon.
    # Each device its own copy of the lab key, so one device's access can be revoked.
    cp "$LAB_DIR/authorized_keys" "$dir/authorized_keys"
    # The device's startup configuration and GCU's checkpoint folder, which
    # its admin may write, and its run/ folder, where the lab's transient
    # timers keep their state.
    mkdir -p "$dir/etc/sonic/checkpoints" "$dir/run"
    chown "$LAB_USER" "$dir/etc/sonic" "$dir/etc/sonic/checkpoints" "$dir/run"
    nsenter --net="/run/netns/$ns" redis-server "$dir/redis.conf"
    start_sshd "$i"
    local t
    for t in $(seq 1 100); do
        [ -s "$dir/sshd.pid" ] && redis-cli -s "$dir/redis.sock" ping >/dev/null 2>&1 && break
        sleep 0.05
    done
    [ -s "$dir/sshd.pid" ] || die "device $i: sshd did not start (see $dir/sshd.log)"
    redis-cli -s "$dir/redis.sock" ping >/dev/null 2>&1 || die "device $i: redis did not start (see $dir/redis.log)"
    seed_device "$i"
    echo "$ip $(cut -d' ' -f1-2 "$dir/ssh_host_ed25519_key.pub")" > "$dir/known_hosts"
}

# Waits until every device answers on its management address with an SSH
# banner, as the orchestrator will reach it: a pid file says sshd started,
# not that the host can reach it over the bridge yet.
wait_reachable() {
    local n=$1 ips=() i
    for ((i = 1; i <= n; i++)); do ips+=("$(dev_ip "$i")"); done
    python3 - "${ips[@]}" <<'PY' || die "devices not reachable on port 22: see their sshd.log under $LAB_DIR"
import socket, sys, time
pending = set(sys.argv[1:])
deadline = time.monotonic() + 20
while pending and time.monotonic() < deadline:
    for ip in sorted(pending):
        try:
            with socket.create_connection((ip, 22), timeout=2) as s:
                s.settimeout(2)
                if s.recv(8).startswith(b"SSH-"):
                    pending.discard(ip)
        except OSError:
            pass
    if pending:
        time.sleep(0.1)
if pending:
    print("lab: not answering on port 22: " + " ".join(sorted(pending)), file=sys.stderr)
    sys.exit(1)
PY
}

start_sshd() {
    local i=$1 dir ns; shift
    dir=$(dev_dir "$i"); ns=$(dev_ns "$i")
    rm -f "$dir/sshd.pid"
    nsenter --net="/run/netns/$ns" unshare --uts sh -c "hostname $(dev_name "$i") && exec /usr/sbin/sshd -f $dir/sshd_config -E $dir/sshd.log $*"
}

# Every sshd of device I: the listener and one per open connection.
device_sshd_pids() {
    local pid
    for pid in $(ip netns pids "$(dev_ns "$1")" 2>/dev/null); do
        case "$(cat "/proc/$pid/comm" 2>/dev/null)" in sshd | sshd-session) echo "$pid" ;; esac
    done
}

# Stops every sshd of device I (dropping its open connections) and starts
# the listener again with extra options.
restart_sshd() {
    local i=$1 pids t; shift
    pids=$(device_sshd_pids "$i" | tr '\n' ' ')
    # shellcheck disable=SC2086
    [ -n "${pids// /}" ] && kill -TERM $pids 2>/dev/null || true
    for t in $(seq 1 50); do
        # shellcheck disable=SC2086
        [ -z "${pids// /}" ] || ! alive $pids && break
        sleep 0.1
    done
    start_sshd "$i" "$@"
    for t in $(seq 1 100); do [ -s "$(dev_dir "$i")/sshd.pid" ] && break; sleep 0.05; done
}

# Faults, one device at a time, each undone by `heal`:
#   link-down    the device's link to the management network goes down
#   freeze-sshd  every sshd of the device stops (SIGSTOP): connections hang
#   stop-redis   redis shuts down (saving its data, restored by heal)
#   rekey        the device gets a new host key (as after a reinstall)
#   revoke       the lab key is no longer authorised and passwords are off
#   refuse-writes  redis refuses every write but to switchyard's device lock
#                  (an ACL): the device locks, then refuses the steps
#   refuse-all     redis refuses every command but on the device lock
#   no-save      the startup configuration cannot be written: `config save` fails
#   blackhole    the device drops what it sends to the other lab devices (its
#                forwarding is broken, its management path is not): pings to
#                them fail, and lab/health.py reports its BGP sessions Idle
# rekey and revoke restart sshd, which drops the device's open connections.
# Changes the permissions of device I's redis user (every client, the lab's
# side door included, is the default user).
redis_acl() {
    local i=$1; shift
    redis-cli -s "$(dev_dir "$i")/redis.sock" ACL SETUSER default "$@" | grep -qx OK || die "device $i: ACL SETUSER failed"
}

# Adds or deletes (ACTION) device I's blackhole routes: the lab's /16 in
# two halves, and a host route to the bridge, the management side.
blackhole_routes() {
    local i=$1 action=$2
    printf 'route %s blackhole %s\nroute %s blackhole %s\nroute %s %s/32 dev eth0\n' \
        "$action" "$LAB_SUBNET.0.0/17" "$action" "$LAB_SUBNET.128.0/17" "$action" "$BRIDGE_IP" \
        | nsenter --net="/run/netns/$(dev_ns "$i")" ip -batch -
}

cmd_fault() {
    local i=${1:?usage: lab.sh fault I KIND} kind=${2:?usage: lab.sh fault I KIND} dir
    dir=$(dev_dir "$i")
    [ -d "$dir" ] || die "no device $i in $LAB_DIR"
    [ -e "$dir/fault" ] && die "device $i already has fault $(cat "$dir/fault"); heal it first"
    case "$kind" in
        link-down) ip link set "$(dev_veth "$i")" down ;;
        freeze-sshd) device_sshd_pids "$i" | xargs -r kill -STOP ;;
        stop-redis) redis-cli -s "$dir/redis.sock" shutdown save >/dev/null 2>&1 || true ;;
        rekey)
            mv "$dir/ssh_host_ed25519_key" "$dir/ssh_host_ed25519_key.orig"
            mv "$dir/ssh_host_ed25519_key.pub" "$dir/ssh_host_ed25519_key.pub.orig"
            ssh-keygen -q -t ed25519 -N '' -C "$(dev_name "$i")-new" -f "$dir/ssh_host_ed25519_key"
            restart_sshd "$i" ;;
        revoke)
            : > "$dir/authorized_keys"
            restart_sshd "$i" -o PasswordAuthentication=no ;;
        refuse-writes) redis_acl "$i" resetkeys '%R~*' '~SWITCHYARD_LOCK' ;;
        refuse-all) redis_acl "$i" resetkeys '~SWITCHYARD_LOCK' ;;
        # Only the startup configuration: GCU's checkpoint folder (made when
        # the device started) stays writable.
        no-save) chmod 555 "$dir/etc/sonic"; chmod 444 "$dir/etc/sonic/config_db.json" ;;
        # Two halves of the lab's /16, more specific than its connected
        # route, and the host (the management side) kept reachable.
        blackhole) blackhole_routes "$i" add ;;
        # lab/health.py reads the fault: every port oper down; every BGP
        # neighbor Idle.
        port-down | bgp-down) [ -s "$LAB_DIR/health.pid" ] || die "$kind needs lab/health.py (LAB_HEALTH=1)" ;;
        *) die "unknown fault $kind (link-down, freeze-sshd, stop-redis, rekey, revoke, refuse-writes, refuse-all, no-save, port-down, bgp-down, blackhole)" ;;
    esac
    echo "$kind" > "$dir/fault"
}

cmd_heal() {
    local i=${1:?usage: lab.sh heal I} dir kind ns t
    dir=$(dev_dir "$i"); ns=$(dev_ns "$i")
    [ -e "$dir/fault" ] || return 0
    kind=$(cat "$dir/fault")
    case "$kind" in
        link-down) ip link set "$(dev_veth "$i")" up ;;
        freeze-sshd) device_sshd_pids "$i" | xargs -r kill -CONT ;;
        stop-redis)
            nsenter --net="/run/netns/$ns" redis-server "$dir/redis.conf"
            for t in $(seq 1 100); do redis-cli -s "$dir/redis.sock" ping >/dev/null 2>&1 && break; sleep 0.05; done ;;
        rekey)
            mv "$dir/ssh_host_ed25519_key.orig" "$dir/ssh_host_ed25519_key"
            mv "$dir/ssh_host_ed25519_key.pub.orig" "$dir/ssh_host_ed25519_key.pub"
            restart_sshd "$i" ;;
        revoke)
            cp "$LAB_DIR/authorized_keys" "$dir/authorized_keys"
            restart_sshd "$i" ;;
        refuse-writes | refuse-all) redis_acl "$i" reset on nopass '~*' '&*' '+@all' ;;
        no-save) chmod 755 "$dir/etc/sonic"; chmod 644 "$dir/etc/sonic/config_db.json" ;;
        blackhole) blackhole_routes "$i" del ;;
        port-down | bgp-down) : ;;
    esac
    rm -f "$dir/fault"
}

# Device start-ups still running in the background must end before teardown,
# or one could start a daemon after `down` looked.
stop_starters() {
    local pids
    pids=$(jobs -p)
    [ -n "$pids" ] || return 0
    # shellcheck disable=SC2086
    kill $pids 2>/dev/null || true
    wait 2>/dev/null || true
}

cmd_up() {
    need_root
    local n=${1:-}
    [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 2000 ] || die "usage: lab.sh up N (1..2000)"
    [ -e "$LAB_DIR/state" ] && die "a lab already runs in $LAB_DIR; run 'lab.sh down' first"
    local tool source
    while read -r tool source; do
        [ "$tool" = temporal ] || have_tool "$tool" || die "$tool is missing ($source): run 'lab.sh install'"
    done < <(tools_of)
    mkdir -p "$LAB_DIR/dev"
    # sshd reads authorized_keys as the lab user: the folder must be traversable.
    chmod 755 "$LAB_DIR"
    : > "$LAB_DIR/state"
    echo "n=$n" >> "$LAB_DIR/state"
    # Any failure from here on (a command, a `die`, a signal) tears down what
    # was built so far: no namespace, process or user is left behind.
    trap 'rc=$?; if [ $rc -ne 0 ]; then log "bring-up failed; tearing down"; stop_starters; cmd_down; fi; exit $rc' EXIT
    trap 'exit 130' INT TERM

    if ! id "$LAB_USER" >/dev/null 2>&1; then
        useradd -m -s /bin/bash "$LAB_USER"
        echo "created_user=$LAB_USER" >> "$LAB_DIR/state"
    fi
    # A locked account ('!' in shadow) is refused by sshd without PAM, even for keys.
    if [ -n "$LAB_PASSWORD" ]; then
        echo "$LAB_USER:$LAB_PASSWORD" | chpasswd
    else
        usermod -p '*' "$LAB_USER"
    fi
    if [ ! -d /run/sshd ]; then
        mkdir -p /run/sshd && chmod 755 /run/sshd
        echo "created_run_sshd=1" >> "$LAB_DIR/state"
    fi
    local parent=$LAB_DIR
    while [ "$parent" != / ]; do
        parent=$(dirname "$parent")
        case "$(stat -c %A "$parent" | cut -c10)" in x | t) true ;; *) false ;; esac || die "$parent is not traversable by others; sshd cannot read the lab's authorized_keys below it"
    done
    write_device_commands
    ssh-keygen -q -t ed25519 -N '' -C switchyard-lab -f "$LAB_DIR/id_ed25519"
    cp "$LAB_DIR/id_ed25519.pub" "$LAB_DIR/authorized_keys"
    chmod 644 "$LAB_DIR/authorized_keys"

    ip link add "$BRIDGE" type bridge
    echo "bridge=$BRIDGE" >> "$LAB_DIR/state"
    ip link set "$BRIDGE" address "$BRIDGE_MAC"
    ip addr add "$BRIDGE_IP/16" dev "$BRIDGE"
    ip link set "$BRIDGE" up

    # Namespaces, veths and static ARP in two ip -batch runs: one fork, not N.
    local i host_batch ns_batch
    host_batch=$(mktemp); ns_batch=$(mktemp)
    for ((i = 1; i <= n; i++)); do
        echo "netns add $(dev_ns "$i")" >> "$host_batch"
    done
    ip -batch "$host_batch"
    echo "netns=$n" >> "$LAB_DIR/state"
    : > "$host_batch"
    for ((i = 1; i <= n; i++)); do
        local ns veth
        ns=$(dev_ns "$i"); veth=$(dev_veth "$i")
        cat >> "$host_batch" <<EOF
link add $veth type veth peer name eth0 netns $ns
link set $veth master $BRIDGE
link set $veth up
neigh replace $(dev_ip "$i") lladdr $(dev_mac "$i") dev $BRIDGE nud permanent
EOF
    done
    ip -batch "$host_batch"
    for ((i = 1; i <= n; i++)); do
        local ns
        ns=$(dev_ns "$i")
        cat > "$ns_batch" <<EOF
link set lo up
link set eth0 address $(dev_mac "$i")
addr add $(dev_ip "$i")/16 dev eth0
link set eth0 up
neigh replace $BRIDGE_IP lladdr $BRIDGE_MAC dev eth0 nud permanent
EOF
        nsenter --net="/run/netns/$ns" ip -batch "$ns_batch"
        # The device's admin may ping (ICMP sockets), as on a switch, for
        # command checks; a new namespace allows no group.
        nsenter --net="/run/netns/$ns" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
    done
    rm -f "$host_batch" "$ns_batch"

    local running=0
    for ((i = 1; i <= n; i++)); do
        start_device "$i" &
        running=$((running + 1))
        if [ "$running" -ge "$LAB_PAR" ]; then wait -n; running=$((running - 1)); fi
    done
    wait
    for ((i = 1; i <= n; i++)); do
        [ -s "$(dev_dir "$i")/known_hosts" ] || die "device $i did not come up"
    done
    wait_reachable "$n"

    write_inventory "$n"
    write_policies
    if [ "$LAB_HEALTH" = 1 ]; then
        setsid python3 "$(dirname "$(readlink -f "$0")")/health.py" "$LAB_DIR" > "$LAB_DIR/health.log" 2>&1 < /dev/null &
        echo $! > "$LAB_DIR/health.pid"
    fi
    trap - EXIT INT TERM
    log "up: $n devices; inventory $LAB_DIR/inventory.yaml"
}

write_inventory() {
    local n=$1 i
    cat "$LAB_DIR"/dev/*/known_hosts > "$LAB_DIR/known_hosts"
    {
        echo "# Written by lab/lab.sh: the lab's $n devices."
        echo "defaults:"
        echo "  user: $LAB_USER"
        echo "  ssh_port: 22"
        echo "  credential: { key_file: $LAB_DIR/id_ed25519 }"
        echo "  known_hosts: $LAB_DIR/known_hosts"
        echo "devices:"
        for ((i = 1; i <= n; i++)); do
            local profile
            profile=$(dev_profile "$i")
            echo "  - name: $(dev_name "$i")"
            echo "    address: $(dev_ip "$i")"
            echo "    role: $([ $((i % 4)) = 0 ] && echo spine || echo leaf)"
            echo "    site: lab$(((i - 1) / 100 + 1))"
            if [ "$profile" = 202305 ]; then
                echo "    platform: x86_64-kvm_x86_64-r0"
                echo "    hwsku: Force10-S6000"
            else
                echo "    platform: x86_64-mlnx_msn2700-r0"
                echo "    hwsku: Mellanox-SN2700"
            fi
            echo "    sonic_version: \"$profile\""
            echo "    tags: [lab, $(profile_daemon "$profile")]"
            echo "    vars: { index: \"$i\", uplink: Ethernet0 }"
        done
    } > "$LAB_DIR/inventory.yaml"
}

# The lab's people (alice, bob, carol: an SSH key each, in people/) and two
# policies: policy.yaml, as an organisation writes one (signed decisions,
# a reviewer's approval for every change), and policy-unsigned.yaml, for
# tests and benchmarks that decide by typed name.
write_policies() {
    local who
    mkdir -p "$LAB_DIR/people"
    for who in alice bob carol; do
        ssh-keygen -q -t ed25519 -N '' -C "$who@switchyard-lab" -f "$LAB_DIR/people/$who"
    done
    key() { cut -d' ' -f1-3 < "$LAB_DIR/people/$1.pub"; }
    cat > "$LAB_DIR/policy.yaml" <<EOF
# Written by lab/lab.sh: the lab's people, and who may change its switches.
principals:
  - name: alice
    groups: [neteng]
    keys: ["$(key alice)"]
  - name: bob
    groups: [neteng, reviewers]
    keys: ["$(key bob)"]
  - name: carol
    groups: [neteng, reviewers]
    keys: ["$(key carol)"]
rules:
  - name: lab-switches
    devices: { tags: [lab] }
    request: [neteng]
    approvals:
      - { count: 1, from: [reviewers] }
    max_parallelism: 16
EOF
    cat > "$LAB_DIR/policy-unsigned.yaml" <<'EOF'
# Written by lab/lab.sh, for tests and benchmarks only: any name may
# request, approve and operate, unsigned. Never use this for real devices.
unsigned: allow
rules:
  - name: everything
    devices: { names: ["*"] }
    request: ["*"]
    operate: ["*"]
    # Benchmarks compare switchyard with baselines that arm no revert.
    confirm: optional
EOF
}

# Pids of the daemons this lab started, checked against their command name
# so a stale pid file never makes us signal an unrelated process.
lab_pids() {
    local f pid comm
    for f in "$LAB_DIR"/dev/*/sshd.pid "$LAB_DIR"/dev/*/redis.pid "$LAB_DIR/health.pid"; do
        [ -s "$f" ] || continue
        pid=$(cat "$f")
        comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
        case "$comm" in sshd | redis-server | python3) echo "$pid" ;; esac
    done
}

# Every process left: listeners, their descendants (per-connection sshd,
# shells), and anything else still inside a lab namespace.
all_lab_pids() {
    local roots ns
    roots=$(lab_pids | tr '\n' ' ')
    if [ -n "$roots" ]; then
        ps -e -o pid=,ppid= | awk -v roots="$roots" '
            BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1 }
            { parent[$1] = $2; pids[NR] = $1 }
            END {
                changed = 1
                while (changed) { changed = 0
                    for (i in pids) { p = pids[i]; if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; changed = 1 } } }
                for (p in keep) print p
            }'
    fi
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${LAB_PREFIX}d[0-9]+$" || true); do
        ip netns pids "$ns" 2>/dev/null || true
    done
}

alive() {
    local pid state
    for pid in "$@"; do
        state=$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
        # Zombies count as gone: pid 1 on some VMs reaps orphans late.
        [ -n "$state" ] && [ "$state" != Z ] && return 0
    done
    return 1
}

cmd_down() {
    trap - EXIT INT TERM
    [ -d "$LAB_DIR" ] || { log "nothing to tear down in $LAB_DIR"; return 0; }
    local pids t
    pids=$(all_lab_pids | sort -u | tr '\n' ' ')
    if [ -n "${pids// /}" ]; then
        # shellcheck disable=SC2086
        kill -TERM $pids 2>/dev/null || true
        for t in $(seq 1 50); do
            # shellcheck disable=SC2086
            alive $pids || break
            sleep 0.1
        done
        # shellcheck disable=SC2086
        alive $pids && kill -KILL $pids 2>/dev/null || true
    fi
    local batch
    batch=$(mktemp)
    ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${LAB_PREFIX}d[0-9]+$" | sed 's/^/netns delete /' > "$batch" || true
    [ -s "$batch" ] && ip -batch "$batch" 2>/dev/null || true
    # A namespace some stray process still holds outlives its name, and its
    # device's veth with it (the next `up` would fail "File exists"):
    # deleting the host's end deletes the pair.
    ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E "^$(dev_veth '[0-9]+')$" | sed 's/^/link delete /' > "$batch" || true
    [ -s "$batch" ] && ip -batch "$batch" 2>/dev/null || true
    rm -f "$batch"
    ip link show "$BRIDGE" >/dev/null 2>&1 && ip link del "$BRIDGE"
    if [ -f "$LAB_DIR/state" ]; then
        local user
        user=$(sed -n 's/^created_user=//p' "$LAB_DIR/state")
        [ -n "$user" ] && userdel -r "$user" >/dev/null 2>&1 || true
        grep -q '^created_run_sshd=1' "$LAB_DIR/state" && rm -rf /run/sshd
    fi
    rm -rf "$LAB_DIR"
    log "down"
}

cmd_status() {
    [ -f "$LAB_DIR/state" ] || { echo "no lab in $LAB_DIR"; return 1; }
    local n i dir ok=0
    n=$(sed -n 's/^n=//p' "$LAB_DIR/state")
    for ((i = 1; i <= n; i++)); do
        dir=$(dev_dir "$i")
        if redis-cli -s "$dir/redis.sock" ping >/dev/null 2>&1 && [ -s "$dir/sshd.pid" ] && kill -0 "$(cat "$dir/sshd.pid")" 2>/dev/null; then
            ok=$((ok + 1))
        else
            echo "$(dev_name "$i") $(dev_ip "$i") DOWN"
        fi
    done
    echo "$ok/$n devices up in $LAB_DIR"
    [ "$ok" = "$n" ]
}

cmd_reseed() {
    [ -f "$LAB_DIR/state" ] || die "no lab in $LAB_DIR"
    # LAB_PAR devices at a time: a thousand devices one after another take
    # minutes. Every seed's exit status is checked, so one that failed fails
    # the reseed.
    local i pid pids=() failed=0
    for i in "$@"; do
        seed_device "$i" &
        pids+=($!)
        if [ "${#pids[@]}" -ge "$LAB_PAR" ]; then
            for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
            pids=()
        fi
    done
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    [ "$failed" = 0 ] || die "reseed: a device's CONFIG_DB could not be reset (see above)"
}

# A reboot, as far as CONFIG_DB can tell: the transient timers die with the
# running system, and config-setup loads the saved etc/sonic/config_db.json
# into an empty CONFIG_DB (what was never saved is gone). The daemons'
# tables (APPL_DB, STATE_DB) stay as they were: the lab's daemons rebuild
# the same rows.
cmd_reboot() {
    [ -f "$LAB_DIR/state" ] || die "no lab in $LAB_DIR"
    [ $# -gt 0 ] || die "usage: lab.sh reboot I..."
    local i dir timer
    for i in "$@"; do
        dir=$(dev_dir "$i")
        [ -d "$dir" ] || die "no device $i in $LAB_DIR"
        for timer in "$dir"/run/*.timer; do
            [ -e "$timer" ] || continue
            kill "$(cat "$timer")" 2>/dev/null || true
            rm -f "$timer"
        done
        SWITCHYARD_LAB_DEVICE=$dir SWITCHYARD_LAB_REDIS=$dir/redis.sock "$LAB_DIR/bin/config" reload -y >/dev/null \
            || die "reboot: device $i's saved configuration could not be loaded"
    done
}

cmd_ssh() {
    local i=${1:?usage: lab.sh ssh I [cmd]}; shift
    exec ssh -i "$LAB_DIR/id_ed25519" -o UserKnownHostsFile="$LAB_DIR/known_hosts" \
        -o StrictHostKeyChecking=yes "$LAB_USER@$(dev_ip "$i")" "$@"
}

case "${1:-}" in
    install) shift; cmd_install "$@" ;;
    up) shift; cmd_up "$@" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    reseed) shift; cmd_reseed "$@" ;;
    reboot) shift; cmd_reboot "$@" ;;
    fault) shift; cmd_fault "$@" ;;
    heal) shift; cmd_heal "$@" ;;
    ssh) shift; cmd_ssh "$@" ;;
    *) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 2 ;;
esac
