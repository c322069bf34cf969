#!/usr/bin/env bash
# Checks the lab's promise: `down` leaves no namespace, daemon, link or user
# behind, after a clean bring-up and after one killed half-way.
# Uses its own prefix, subnet and folder; run it while no other lab uses 198.18.
set -euo pipefail
cd "$(dirname "$0")"
export LAB_PREFIX=syk LAB_SUBNET=${SELFTEST_SUBNET:-198.18} LAB_DIR=/tmp/switchyard-lab-selftest
user_existed=0; id admin >/dev/null 2>&1 && user_existed=1

fail() { echo "lab selftest: FAIL: $*" >&2; exit 1; }

leftovers() {
    local ns daemons
    ns=$(ip netns list | awk '{print $1}' | grep -c "^${LAB_PREFIX}d" || true)
    daemons=$(ps -e -o stat=,comm=,args= | awk -v d="$LAB_DIR" '$1 !~ /^Z/ && ($2 == "sshd" || $2 == "redis-server") && index($0, d)' | wc -l)
    [ "$ns" = 0 ] || fail "$ns namespaces left"
    [ "$daemons" = 0 ] || fail "$daemons daemons left"
    ! ip link show "${LAB_PREFIX}br0" >/dev/null 2>&1 || fail "bridge left"
    [ ! -e "$LAB_DIR" ] || fail "$LAB_DIR left"
    if [ $user_existed = 0 ] && id admin >/dev/null 2>&1; then fail "user admin left"; fi
    return 0
}

./lab.sh down >/dev/null 2>&1 || true
./lab.sh up 3 2>/dev/null
./lab.sh status >/dev/null || fail "status after up 3"
hostname=$(ssh -i "$LAB_DIR/id_ed25519" -o UserKnownHostsFile="$LAB_DIR/known_hosts" -o StrictHostKeyChecking=yes -o BatchMode=yes \
    "admin@$LAB_SUBNET.1.2" "redis-cli -n 4 hget 'DEVICE_METADATA|localhost' hostname" 2>&1) || true
if [ "$hostname" != sonic-d002 ]; then
    echo "ssh answered: $hostname" >&2
    ./lab.sh status >&2 || true
    tail -n 20 "$LAB_DIR/dev/2/sshd.log" >&2 2>/dev/null || true
    ./lab.sh down >/dev/null 2>&1 || true
    fail "ssh + redis on device 2"
fi
./lab.sh down 2>/dev/null
sleep 1
leftovers
echo "lab selftest: clean up + down: ok"

./lab.sh up 40 2>/dev/null &
pid=$!
sleep 1
kill -TERM $pid
wait $pid && fail "up survived SIGTERM" || true
sleep 1
leftovers
echo "lab selftest: killed half-way: ok"
