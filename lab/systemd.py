#!/usr/bin/env python3
"""The lab device's transient timers and services: `systemd-run
--on-active` and `systemctl stop | is-active`, as much of systemd as a
dead-man timer needs, and `systemctl stop | reset-failed | start |
restart | is-active` of a SONiC service (dhcp_relay, snmp...), which the
lab only records.

`systemd-run --on-active=SECONDS --unit=NAME COMMAND...` starts a timer on
the device itself that runs COMMAND after SECONDS unless stopped first
(`systemctl stop NAME.timer`), as systemd's transient timer units do on a
SONiC switch. The lab runs it as a detached process inside the device's
namespace, so it fires even when the device cannot be reached, and keeps
its state in the device's run/ folder: NAME.timer holds the waiting pid,
NAME.fired records that it ran and what COMMAND answered.

A unit that is a timer (NAME.timer, or a NAME with a waiting timer) is
the timer; any other is a service: its state is kept in run/NAME.service
("active" unless stopped) and every call is appended to
run/NAME.service.log as one line ("stop", "reset-failed", "start"), so a
test reads whether and how often it was restarted.

Installed twice on the device's PATH: as systemd-run and as systemctl.
"""

import os
import signal
import subprocess
import sys
import time


def run_dir():
    device = os.environ.get("SWITCHYARD_LAB_DEVICE")
    if not device:
        sys.exit("systemd: not on a lab device (SWITCHYARD_LAB_DEVICE is not set)")
    path = os.path.join(device, "run")
    os.makedirs(path, exist_ok=True)
    return path


def unit_name(name):
    name = name.removesuffix(".timer").removesuffix(".service")
    if not name or "/" in name or name.startswith("."):
        sys.exit("systemd: %r is not a unit name" % name)
    return name


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def waiting_pid(name):
    try:
        with open(os.path.join(run_dir(), name + ".timer")) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return None
    return pid if alive(pid) else None


def systemd_run(args):
    seconds, name, command = None, None, []
    for i, a in enumerate(args):
        if a.startswith("--on-active="):
            seconds = int(a.split("=", 1)[1].rstrip("s"))
        elif a.startswith("--unit="):
            name = unit_name(a.split("=", 1)[1])
        elif a == "--":
            command = args[i + 1:]
            break
        elif not a.startswith("--"):
            command = args[i:]
            break
    if seconds is None or name is None or not command:
        sys.exit("usage: systemd-run --on-active=SECONDS --unit=NAME COMMAND... (the lab's timers)")
    if waiting_pid(name):
        sys.exit("Failed to start transient timer unit: Unit %s.timer already exists." % name)
    folder = run_dir()
    fired = os.path.join(folder, name + ".fired")
    if os.path.exists(fired):
        os.remove(fired)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() != 0:
            os._exit(0)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        with open(os.path.join(folder, name + ".timer"), "w") as f:
            f.write(str(os.getpid()))
        time.sleep(seconds)
        done = subprocess.run(command, capture_output=True, text=True)
        with open(fired, "w") as f:
            f.write("exit %d\n%s%s" % (done.returncode, done.stdout, done.stderr))
        os.remove(os.path.join(folder, name + ".timer"))
        os._exit(0)
    os.waitpid(pid, 0)
    for _ in range(100):
        if waiting_pid(name):
            break
        time.sleep(0.01)
    print("Running timer as unit: %s.timer" % name)
    print("Will run service as unit: %s.service" % name)


SERVICE_VERBS = ("stop", "reset-failed", "start", "restart", "is-active")


def service(verb, name):
    state_file = os.path.join(run_dir(), name + ".service")
    try:
        with open(state_file) as f:
            state = f.read().strip()
    except FileNotFoundError:
        state = "active"
    if verb == "is-active":
        print(state)
        sys.exit(0 if state == "active" else 3)
    with open(os.path.join(run_dir(), name + ".service.log"), "a") as f:
        f.write(verb + "\n")
    if verb in ("stop", "start", "restart"):
        with open(state_file, "w") as f:
            f.write("inactive\n" if verb == "stop" else "active\n")


def systemctl(args):
    if len(args) != 2 or args[0] not in SERVICE_VERBS:
        sys.exit("usage: systemctl stop|reset-failed|start|restart|is-active UNIT (the lab's timers and services)")
    is_timer = args[1].endswith(".timer") or waiting_pid(unit_name(args[1])) is not None
    name = unit_name(args[1])
    if not is_timer:
        service(args[0], name)
        return
    if args[0] not in ("stop", "is-active"):
        sys.exit("systemctl: the lab's timers only stop or say whether they are active")
    pid = waiting_pid(name)
    if args[0] == "is-active":
        print("active" if pid else "inactive")
        sys.exit(0 if pid else 3)
    if pid:
        os.kill(pid, signal.SIGTERM)
        try:
            os.remove(os.path.join(run_dir(), name + ".timer"))
        except FileNotFoundError:
            pass


def main(argv):
    if os.path.basename(argv[0]) == "systemctl":
        systemctl(argv[1:])
    else:
        systemd_run(argv[1:])


if __name__ == "__main__":
    main(sys.argv)
