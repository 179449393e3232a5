"""Shared helpers for the `cbscan follow` benchmarks in benches/follow/ (stdlib only).

Finds or builds the cbscan binary, finds ripgrep, reads CPU time and peak memory of
processes, and prints the result tables. Each script imports this module from its own
folder, so they run from any working directory.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TICK = os.sysconf("SC_CLK_TCK")


def die(script, msg):
    print(f"\n{script}: ERROR: {msg}", file=sys.stderr)
    sys.exit(2)


def env_float(name, default, script):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return float(default)
    try:
        v = float(raw)
    except ValueError:
        die(script, f"{name} must be a number, got '{raw}'")
    if v <= 0:
        die(script, f"{name} must be positive, got '{raw}'")
    return v


def env_int(name, default, script, minimum=1):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return int(default)
    if not raw.isdigit() or int(raw) < minimum:
        die(script, f"{name} must be an integer >= {minimum}, got '{raw}'")
    return int(raw)


def cbscan(script, examples=()):
    """The binary to measure: $CBSCAN, else a release build of this tree (built now)."""
    path = os.environ.get("CBSCAN")
    if path:
        path = os.path.realpath(path)
        if not os.access(path, os.X_OK):
            die(script, f"CBSCAN={path} is not an executable")
        if examples:
            build(script, [a for e in examples for a in ("--example", e)])
        return path
    build(script, ["--bin", "cbscan"] + [a for e in examples for a in ("--example", e)])
    return os.path.join(ROOT, "target", "release", "cbscan")


def build(script, what):
    print("== build", flush=True)
    rc = subprocess.run(["cargo", "build", "--release", *what], cwd=ROOT).returncode
    if rc != 0:
        die(script, f"cargo build failed with exit status {rc}")


def ripgrep(script):
    found = shutil.which("rg")
    if found:
        return found
    home = os.path.expanduser("~/.cargo/bin/rg")
    if os.access(home, os.X_OK):
        return home
    die(script, "ripgrep (rg) not found in PATH or ~/.cargo/bin; install it with: cargo install ripgrep")


def machine(cb, extra=()):
    ver = subprocess.run([cb, "--version"], capture_output=True, text=True).stdout.strip() or "unknown"
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    print("\n== machine")
    print(f"cbscan:  {ver} ({cb})")
    for line in extra:
        print(line)
    print(f"nproc:   {os.cpu_count()}")
    print(f"cpu:     {cpu}")
    print(f"kernel:  {os.uname().sysname} {os.uname().release}")
    print(f"load:    {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min; the machine is shared)")


def catalog_codes(cb):
    """Non-generic string codes of the catalog, as `cbscan codes` lists them."""
    out = subprocess.run([cb, "codes", "--format", "jsonl"], capture_output=True, text=True, check=True).stdout
    codes = []
    for line in out.splitlines():
        if line.strip():
            c = json.loads(line)
            if not c.get("generic"):
                codes.append(c["code"])
    return codes


def cpu_seconds(pid):
    """user + system CPU time of a live process (all its threads), from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime 14 and stime 15 (1-based, proc(5)).
    return (int(fields[11]) + int(fields[12])) / TICK


def reap(proc):
    """Waits for a Popen child and returns (status, user s, sys s, max RSS KiB) from wait4."""
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, ru.ru_utime, ru.ru_stime, ru.ru_maxrss


def peak_rss_kib(pid):
    """VmHWM of a live process. Not wait4's ru_maxrss: a child forked from this Python
    process starts with the parent's high-water mark, which hides a smaller peak."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def stop(proc, timeout=30.0):
    """SIGTERM, then wait4 with a deadline (SIGKILL after it). Returns (status, user s,
    sys s, peak RSS KiB read just before the signal).

    Never calls Popen.poll()/wait(): they would reap the child and lose its rusage.
    """
    hwm = peak_rss_kib(proc.pid) if proc.returncode is None else 0
    if proc.returncode is None:
        try:
            os.kill(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    status, user, system, _ = reap_or_kill(proc, time.monotonic() + timeout)
    return status, user, system, hwm


def exited(proc):
    """True once the child has exited (a zombie waiting for reap()), without reaping it."""
    try:
        with open(f"/proc/{proc.pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def reap_or_kill(proc, deadline):
    while time.monotonic() < deadline:
        if exited(proc):
            return reap(proc)
        time.sleep(0.02)
    proc.kill()
    rc, u, s, rss = reap(proc)
    return ("killed after timeout", u, s, rss)


def percentile(sorted_values, p):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(-(-p * len(sorted_values) // 100)) - 1))
    return sorted_values[k]


def table(header, rows):
    """Prints a Markdown table; the first column left-aligned, the others right-aligned."""
    print("| " + " | ".join(header) + " |")
    print("|---|" + "---:|" * (len(header) - 2) + "---|")
    for r in rows:
        print("| " + " | ".join(str(c) for c in r) + " |")
