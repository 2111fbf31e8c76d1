#!/usr/bin/env python3
"""Runs a test command with a wall-clock limit and says what was stuck when it hits it.

Usage: scripts/lib/watchdog.py MINUTES COMMAND [ARGS...]

The command's output passes through unchanged. Swift Testing prints "◇ Test NAME started." and
"✔/✘ Test NAME passed/failed …" for every test; the watchdog keeps the set of tests started and
not yet finished. When the command is still running after MINUTES, it prints those tests, the
stacks of every thread of the test processes (gdb, when installed), kills the command's process
group and exits 124 — so a hung run fails in minutes with a diagnosis instead of using up CI's
90-minute limit without one (scripts/test sets the limits; TESSERA_TEST_WATCHDOG_MINUTES).
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

STARTED = re.compile(r"^◇ Test (?!case |run )(.+?) started\.$")
FINISHED = re.compile(r"^[✔✘] Test (?!case |run )(.+?) (passed|failed|recorded|skipped)")


def descendants(pid):
    """Every live process below `pid`, from /proc (no psutil on a fresh machine)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def command_line(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def list_running(running):
    print(f"\n== watchdog: still running; {len(running)} test(s) started and not finished:", flush=True)
    for name in sorted(running):
        print(f"   {name}", flush=True)


def diagnose(root, running):
    """Thread stacks first, then the processes and the unfinished tests: a CI log is often read from its
    tail, and the stacks would push anything printed before them out of it."""
    processes = descendants(root)
    gdb = shutil.which("gdb")
    if gdb is None:
        print("== (gdb not installed: no thread stacks)", flush=True)
    for pid in processes if gdb else []:
        if ".xctest" in command_line(pid) or "PackageTests" in command_line(pid):
            print(f"== thread stacks of {pid}:", flush=True)
            subprocess.run(
                [gdb, "-p", str(pid), "-batch", "-ex", "thread apply all bt 25"],
                stdout=sys.stdout,
                stderr=subprocess.DEVNULL,
                timeout=120,
                check=False,
            )
    print("== processes below the command:", flush=True)
    for pid in processes:
        print(f"   {pid} {command_line(pid)[:200]}", flush=True)
    list_running(running)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    limit = float(sys.argv[1]) * 60
    process = subprocess.Popen(sys.argv[2:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    running = set()
    lock = threading.Lock()

    def pump():
        for raw in process.stdout:
            sys.stdout.buffer.write(raw)
            sys.stdout.buffer.flush()
            line = raw.decode(errors="replace").rstrip("\n")
            with lock:
                if match := STARTED.match(line):
                    running.add(match.group(1))
                elif match := FINISHED.match(line):
                    running.discard(match.group(1))

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    deadline = time.monotonic() + limit
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(1)
    if process.poll() is None:
        with lock:
            stuck = set(running)
        diagnose(process.pid, stuck)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        print(f"== watchdog: killed after {sys.argv[1]} minutes", flush=True)
        sys.exit(124)
    reader.join(timeout=10)
    sys.exit(process.returncode)


if __name__ == "__main__":
    main()
