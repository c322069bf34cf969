#!/usr/bin/env python3
"""The lab device's `config` command: `config save [-y]`, and the checkpoint
commands of SONiC's Generic Config Updater, as SONiC's.

SONiC's `config save` runs `sonic-cfggen -d --print-data` into
/etc/sonic/config_db.json: every CONFIG_DB row `TABLE|key` becomes
data[TABLE][key], a field `name@` becomes the list `name` (its
comma-separated items), the placeholder field NULL is left out, and keys
that are not rows (CONFIG_DB_INITIALIZED) are skipped. This writes the same
JSON for the lab device whose session runs it: its CONFIG_DB (redis db 4 at
127.0.0.1:6379 in the device's namespace, or SWITCHYARD_LAB_REDIS's socket)
into its own etc/sonic/config_db.json (SWITCHYARD_LAB_DEVICE, set by the
device's sshd), replaced atomically.

`config checkpoint NAME` writes the same JSON to the device's
etc/sonic/checkpoints/NAME.cp.json (GCU's checkpoint folder);
`config rollback NAME` makes CONFIG_DB equal to that checkpoint in one
transaction (rows the checkpoint lacks deleted, every other row set to its
fields); `config list-checkpoints` prints the names as a JSON list and
`config delete-checkpoint NAME` removes one. GCU reaches the same end state
through a YANG-validated JSON patch; the lab writes it directly.

`config reload -y` does what SONiC's `config reload` and a boot's
config-setup do with the saved configuration: CONFIG_DB emptied, loaded
from etc/sonic/config_db.json, and marked initialized.
"""

import json
import os
import socket
import sys

CONFIG_DB = 4


class Redis:
    """Just enough of the redis protocol for SELECT, KEYS, TYPE and HGETALL."""

    def __init__(self):
        path = os.environ.get("SWITCHYARD_LAB_REDIS")
        if path:
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.connect(path)
        else:
            self.sock = socket.create_connection(("127.0.0.1", 6379), timeout=10)
        self.buf = self.sock.makefile("rb")

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self.reply()

    def reply(self):
        line = self.buf.readline().rstrip(b"\r\n")
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.buf.read(n + 2)[:-2]
            return data.decode()
        if kind == b"*":
            return [self.reply() for _ in range(int(rest))]
        raise RuntimeError("unexpected redis reply %r" % line)


def dump(redis):
    redis.call("SELECT", str(CONFIG_DB))
    data = {}
    for key in sorted(redis.call("KEYS", "*")):
        if "|" not in key or redis.call("TYPE", key) != "hash":
            continue
        table, row = key.split("|", 1)
        flat = redis.call("HGETALL", key)
        fields = {}
        for name, value in zip(flat[0::2], flat[1::2]):
            if name == "NULL":
                continue
            if name.endswith("@"):
                fields[name[:-1]] = [v for v in value.split(",") if v]
            else:
                fields[name] = value
        data.setdefault(table, {})[row] = fields
    return data


def device_dir():
    device = os.environ.get("SWITCHYARD_LAB_DEVICE")
    if not device:
        sys.exit("config: not on a lab device (SWITCHYARD_LAB_DEVICE is not set)")
    return device


def checkpoint_path(name):
    if not name or "/" in name or name.startswith("."):
        sys.exit("config: %r is not a checkpoint name" % name)
    return os.path.join(device_dir(), "etc", "sonic", "checkpoints", name + ".cp.json")


def write_json(target, data):
    temporary = target + ".tmp"
    with open(temporary, "w") as f:
        f.write(json.dumps(data, indent=4, sort_keys=True) + "\n")
    os.replace(temporary, target)


def checkpoint(name):
    target = checkpoint_path(name)
    print("Config Checkpoint: %s" % name)
    try:
        data = dump(Redis())
    except (OSError, RuntimeError) as e:
        sys.exit("config checkpoint: cannot read CONFIG_DB: %s" % e)
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        write_json(target, data)
    except OSError as e:
        sys.exit("config checkpoint: cannot write %s: %s" % (target, e.strerror))
    print("Checkpoint created successfully.")


def load(wanted, everything):
    """Makes CONFIG_DB hold the rows of `wanted` (config_db.json's form) in
    one transaction: every other row goes; with `everything`, every other key
    too, and CONFIG_DB_INITIALIZED is set again, as after a boot."""
    redis = Redis()
    redis.call("SELECT", str(CONFIG_DB))
    keys = [k for k in redis.call("KEYS", "*") if everything or ("|" in k and redis.call("TYPE", k) == "hash")]
    redis.call("MULTI")
    for key in keys:
        redis.call("DEL", key)
    for table, entries in sorted(wanted.items()):
        for row, fields in sorted(entries.items()):
            flat = []
            for field, value in sorted(fields.items()):
                if isinstance(value, list):
                    flat += [field + "@", ",".join(value)]
                else:
                    flat += [field, value]
            redis.call("HSET", "%s|%s" % (table, row), *(flat or ["NULL", "NULL"]))
    if everything:
        redis.call("SET", "CONFIG_DB_INITIALIZED", "1")
    redis.call("EXEC")


def read_config(path, what):
    """A configuration in config_db.json's form, or exit saying which."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        sys.exit("%s cannot be read: %s" % (what, e))


def rollback(name):
    print("Config Rollback: %s" % name)
    load(read_config(checkpoint_path(name), "config rollback: checkpoint %s" % name), everything=False)
    print("Config rolled back successfully.")


def reload():
    source = os.path.join(device_dir(), "etc", "sonic", "config_db.json")
    print("Running command: /usr/local/bin/sonic-cfggen -j /etc/sonic/config_db.json --write-to-db")
    load(read_config(source, "config reload: %s" % source), everything=True)


def list_checkpoints():
    folder = os.path.join(device_dir(), "etc", "sonic", "checkpoints")
    names = sorted(n[:-len(".cp.json")] for n in os.listdir(folder) if n.endswith(".cp.json")) if os.path.isdir(folder) else []
    print(json.dumps(names, indent=4))


def delete_checkpoint(name):
    target = checkpoint_path(name)
    try:
        os.remove(target)
    except FileNotFoundError:
        sys.exit("config delete-checkpoint: no checkpoint %s" % name)
    print("Checkpoint deleted successfully.")


def save():
    device = device_dir()
    target = os.path.join(device, "etc", "sonic", "config_db.json")
    print("Running command: /usr/local/bin/sonic-cfggen -d --print-data > /etc/sonic/config_db.json")
    try:
        data = dump(Redis())
    except (OSError, RuntimeError) as e:
        sys.exit("config save: cannot read CONFIG_DB: %s" % e)
    text = json.dumps(data, indent=4, sort_keys=True) + "\n"
    temporary = target + ".tmp"
    try:
        with open(temporary, "w") as f:
            f.write(text)
        os.replace(temporary, target)
    except OSError as e:
        sys.exit("config save: cannot write %s: %s" % (target, e.strerror))


USAGE = "usage: config save -y | reload -y | checkpoint NAME | rollback NAME | list-checkpoints | delete-checkpoint NAME"


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    name = argv[2] if len(argv) > 2 else ""
    if command == "save":
        if "-y" not in argv[2:]:
            sys.exit("config save: confirm with -y (the lab has no terminal to ask)")
        save()
    elif command == "reload":
        if "-y" not in argv[2:]:
            sys.exit("config reload: confirm with -y (the lab has no terminal to ask)")
        reload()
    elif command == "checkpoint" and name:
        checkpoint(name)
    elif command == "rollback" and name:
        rollback(name)
    elif command == "list-checkpoints":
        list_checkpoints()
    elif command == "delete-checkpoint" and name:
        delete_checkpoint(name)
    else:
        sys.exit(USAGE)


if __name__ == "__main__":
    main(sys.argv)
