#!/usr/bin/env python3
"""Runs a test command with a wall-clock limit and says what was stuck when it hits it.

Usage: scripts/lib/watchdog.py [--rerun-failed N] MINUTES COMMAND [ARGS...]

The command's output passes through unchanged. Swift Testing prints "◇ Test NAME started." and
"✔/✘ Test NAME passed/failed …" for every test; the watchdog keeps the set of tests started and
not yet finished. When the command is still running after MINUTES, it prints those tests, the
stacks of every thread of the test processes (gdb, when installed), kills the command's process
group and exits 124 — so a hung run fails in minutes with a diagnosis instead of using up CI's
90-minute limit without one (scripts/test sets the limits; TESSERA_TEST_WATCHDOG_MINUTES).

With --rerun-failed N (a `swift test` command), when the run fails and at most N tests failed or hung, those
tests run once more on their own (`--filter`); the result is that second run's, and the log names them FLAKY.
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


def run_once(command, limit):
    """Runs `command` under the limit; returns its exit status, the tests that failed, and those still
    running when it was killed (exit 124)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    running, failed = set(), set()
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
                    if match.group(2) == "failed":
                        failed.add(match.group(1))

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
        print(f"== watchdog: killed after {limit / 60:g} minutes", flush=True)
        return 124, failed, stuck
    reader.join(timeout=10)
    return process.returncode, failed, set()


def main():
    arguments = sys.argv[1:]
    rerun = 0
    if arguments[:1] == ["--rerun-failed"]:
        rerun, arguments = int(arguments[1]), arguments[2:]
    if len(arguments) < 2:
        sys.exit(__doc__)
    limit, command = float(arguments[0]) * 60, arguments[1:]
    status, failed, stuck = run_once(command, limit)
    suspects = failed | stuck
    if status == 0 or not suspects or len(suspects) > rerun:
        sys.exit(status)
    # A few tests that failed or hung beside ~900 others on two cores: run them once more, alone. They must pass
    # then, and the log names them as flaky either way, so the flake is seen and fixed, not hidden.
    print(f"\n== watchdog: {len(suspects)} test(s) failed or hung; running them once more on their own:", flush=True)
    for name in sorted(suspects):
        print(f"   {name}", flush=True)
    filters = [part for name in sorted(suspects) for part in ("--filter", re.escape(name))]
    again, _, _ = run_once(command + filters, limit)
    if again == 0:
        print(f"== watchdog: FLAKY (failed or hung in the full run, passed alone): {', '.join(sorted(suspects))}", flush=True)
    sys.exit(again)


if __name__ == "__main__":
    main()
