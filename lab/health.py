#!/usr/bin/env python3
"""The lab's stand-in for SONiC's daemons, as far as health goes.

Every second, for each lab device, it reads CONFIG_DB and writes what a
switch's daemons would report about it:

- APPL_DB (db 0) PORT_TABLE:<port> admin_status and oper_status: a port that
  is admin up is oper up (every lab port has a link), unless the device has
  the `port-down` fault; as portmgrd and orchagent report it.
- STATE_DB (db 6) NEIGH_STATE_TABLE|<address> state, for each BGP neighbor of
  the default VRF (both key forms: bgpcfgd's BGP_NEIGHBOR|<address>, frrcfgd's
  BGP_NEIGHBOR|default|<address>): Established two seconds after the neighbor
  is configured when another lab device holds its address on an interface,
  loopback, SVI or PortChannel, Active otherwise, Idle under the `bgp-down`
  and `blackhole` faults (a switch's sessions drop once their hold time
  passes; here at once); as bgpmon reports it. A neighbor removed loses its
  row.

What only a real switch can show (a session's real FSM, routes learned,
counters, optics) is not simulated.

    health.py LAB_DIR   (runs until killed; lab.sh up starts it, down stops it)
"""
import os
import socket
import sys
import time

ESTABLISH_AFTER = 2.0
ROUND = 1.0
ADDRESS_TABLES = ("INTERFACE", "VLAN_INTERFACE", "LOOPBACK_INTERFACE", "PORTCHANNEL_INTERFACE")


class Redis:
    """A minimal RESP client over a device's unix socket."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect(path)
        self.buf = b""

    def close(self):
        self.sock.close()

    def call(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self._reply()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b":"):
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("redis closed the connection")
                self.buf += chunk
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise RuntimeError("unexpected reply %r" % line)


def put(r, key, fields):
    """Writes the fields that differ, and nothing when none does: a switch
    at rest is quiet. HMSET, not the HSET switchyard sends, so the tests that
    count a device's HSETs count switchyard's writes alone."""
    reply = r.call("HGETALL", key) or []
    current = dict(zip(reply[::2], reply[1::2]))
    changed = [x for k, v in fields.items() if current.get(k) != v for x in (k, v)]
    if changed:
        r.call("HMSET", key, *changed)


def fault(dev_dir):
    try:
        with open(os.path.join(dev_dir, "fault")) as f:
            return f.read().strip()
    except OSError:
        return ""


def held_addresses(r):
    """Addresses a device holds, from its CONFIG_DB (db 4)."""
    held = set()
    for table in ADDRESS_TABLES:
        for key in r.call("KEYS", table + "|*|*") or []:
            held.add(key.rsplit("|", 1)[1].split("/")[0])
    return held


def neighbors(r):
    """Default-VRF BGP neighbor addresses configured on a device."""
    out = set()
    for key in r.call("KEYS", "BGP_NEIGHBOR|*") or []:
        parts = key.split("|")
        if len(parts) == 2:
            out.add(parts[1])
        elif len(parts) == 3 and parts[1] == "default":
            out.add(parts[2])
    return out


def one_round(lab_dir, first_seen):
    devices = []
    for name in sorted(os.listdir(os.path.join(lab_dir, "dev")), key=lambda n: int(n) if n.isdigit() else 0):
        dev_dir = os.path.join(lab_dir, "dev", name)
        try:
            r = Redis(os.path.join(dev_dir, "redis.sock"))
        except OSError:
            continue  # a stopped redis (its fault) reports nothing
        devices.append((name, dev_dir, r))
    try:
        held = {}
        configured = {}
        for name, _, r in devices:
            r.call("SELECT", 4)
            held[name] = held_addresses(r)
            configured[name] = neighbors(r)
        now = time.monotonic()
        for name, dev_dir, r in devices:
            broken = fault(dev_dir)
            # Ports: admin up is oper up, but for a port-down fault.
            r.call("SELECT", 4)
            ports = {}
            for key in r.call("KEYS", "PORT|Ethernet*") or []:
                ports[key.split("|", 1)[1]] = r.call("HGET", key, "admin_status") or "down"
            r.call("SELECT", 0)
            for port, admin in ports.items():
                oper = "up" if admin == "up" and broken != "port-down" else "down"
                put(r, "PORT_TABLE:" + port, {"admin_status": admin, "oper_status": oper})
            # BGP neighbors of the default VRF.
            r.call("SELECT", 6)
            others = set().union(*(a for n, a in held.items() if n != name)) if len(held) > 1 else set()
            for address in configured[name]:
                since = first_seen.setdefault((name, address), now)
                if broken in ("bgp-down", "blackhole"):
                    state = "Idle"
                elif address in others and now - since >= ESTABLISH_AFTER:
                    state = "Established"
                else:
                    state = "Active"
                put(r, "NEIGH_STATE_TABLE|" + address, {"state": state})
            for key in r.call("KEYS", "NEIGH_STATE_TABLE|*") or []:
                if key.split("|", 1)[1] not in configured[name]:
                    r.call("DEL", key)
        # A neighbor removed (or reseeded away) starts its delay again.
        for seen in [s for s in first_seen if s[1] not in configured.get(s[0], ())]:
            del first_seen[seen]
    finally:
        for _, _, r in devices:
            r.close()


def main():
    lab_dir = sys.argv[1]
    first_seen = {}
    while True:
        try:
            one_round(lab_dir, first_seen)
        except (OSError, RuntimeError, ConnectionError) as e:
            print("health: %s" % e, file=sys.stderr, flush=True)
        time.sleep(ROUND)


if __name__ == "__main__":
    main()
