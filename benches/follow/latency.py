#!/usr/bin/env python3
"""benches/follow/latency.py: time from appending a line to `cbscan follow` printing its hit.

A writer appends lines holding a code, one line per write, at BENCH_RATE lines/s for
BENCH_SECONDS with random gaps (uniform between 0 and twice the mean), to a file that
`cbscan follow --format jsonl` follows. A reader thread reads cbscan's stdout unbuffered and
stamps each hit record when it arrives; each line carries a sequence number, so every line's
latency is its arrival time minus the time just before its write(2). Run twice: with
filesystem events (the default, inotify on Linux) and with `--no-watch --poll-interval P`.

Targets (issue 9, section 3): inotify p50 <= 50 ms and p99 <= 250 ms; polling p99 <= P + 50 ms.
Every line must be reported exactly once. Exits 1 if a target is missed, 2 on an error.

Run from anywhere:
  benches/follow/latency.py
  BENCH_SECONDS=3 benches/follow/latency.py          # quick run
Environment:
  CBSCAN          binary to measure (default: build target/release/cbscan)
  BENCH_RATE      lines per second (default 20)
  BENCH_SECONDS   how long the writer writes (default 10)
  BENCH_POLL_MS   poll interval of the polling run, in ms (default 250)
"""

import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

SCRIPT = "latency.py"
SEQ = re.compile(r"\bseq=(\d+)\b")


class Reader(threading.Thread):
    """Reads cbscan's stdout as bytes arrive and stamps every complete record."""

    def __init__(self, fd):
        super().__init__(daemon=True)
        self.fd = fd
        self.begun = threading.Event()
        self.arrived = {}  # seq -> monotonic time of the first hit
        self.duplicates = 0
        self.bad = []  # hit records whose text or code is not what was written
        self.other = []  # notices etc., for the report
        self.lock = threading.Lock()

    def run(self):
        pending = b""
        while True:
            chunk = os.read(self.fd, 65536)
            now = time.monotonic()
            if not chunk:
                return
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for raw in lines:
                self.record(raw, now)

    def record(self, raw, now):
        try:
            rec = json.loads(raw)
        except ValueError:
            self.bad.append(raw[:200])
            return
        kind = rec.get("type")
        if kind == "begin":
            self.begun.set()
        elif kind == "hit":
            m = SEQ.search(rec.get("text", ""))
            if not m:
                self.bad.append(raw[:200])
                return
            seq = int(m.group(1))
            with self.lock:
                if seq in self.arrived:
                    self.duplicates += 1
                else:
                    self.arrived[seq] = now
        elif kind not in ("end", "summary"):
            self.other.append(rec)


def measure(cb, label, extra, rate, seconds, codes, tmp):
    path = os.path.join(tmp, f"{label.split()[0]}.log")
    open(path, "wb").close()
    err = open(os.path.join(tmp, f"{label.split()[0]}.stderr"), "wb")
    cmd = [cb, "follow", "--format", "jsonl", "--no-summary", *extra, path]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, bufsize=0)
    reader = Reader(proc.stdout.fileno())
    reader.start()
    if not reader.begun.wait(15):
        common.stop(proc)
        common.die(SCRIPT, f"{label}: no begin record within 15 s from: {' '.join(cmd)}")

    rng = random.Random(9)
    n = max(1, int(rate * seconds))
    sent = {}
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    for seq in range(n):
        time.sleep(rng.uniform(0, 2.0 / rate))
        code = codes[seq % len(codes)]
        line = (f"2026-11-30T12:00:{seq % 60:02d}.000Z ERROR [api-gateway] request failed "
                f"seq={seq} errCode={code} traceId=trace{seq:08x}\n").encode()
        t = time.monotonic()
        os.write(fd, line)
        sent[seq] = t
    os.close(fd)

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with reader.lock:
            if len(reader.arrived) >= n:
                break
        time.sleep(0.01)
    status, user, system, _ = common.stop(proc)
    reader.join(5)
    err.close()
    if isinstance(status, str) or status not in (0, 1):
        sys.stderr.write(open(err.name, encoding="utf-8", errors="replace").read()[-2000:])
        common.die(SCRIPT, f"{label}: cbscan follow ended with status {status}")

    lat = sorted((reader.arrived[s] - sent[s]) * 1000 for s in sent if s in reader.arrived)
    return {
        "label": label,
        "cmd": " ".join(["cbscan", *cmd[1:-1], "FILE"]),
        "sent": n,
        "seen": len(lat),
        "missing": n - len(lat),
        "duplicates": reader.duplicates,
        "bad": len(reader.bad),
        "p50": common.percentile(lat, 50),
        "p90": common.percentile(lat, 90),
        "p99": common.percentile(lat, 99),
        "max": lat[-1] if lat else float("nan"),
        "cpu": user + system,
    }


def main():
    rate = common.env_float("BENCH_RATE", 20, SCRIPT)
    seconds = common.env_float("BENCH_SECONDS", 10, SCRIPT)
    poll_ms = common.env_int("BENCH_POLL_MS", 250, SCRIPT)
    cb = common.cbscan(SCRIPT)
    common.machine(cb, [f"scale:   BENCH_RATE={rate:g} BENCH_SECONDS={seconds:g} BENCH_POLL_MS={poll_ms}"])
    codes = common.catalog_codes(cb)[:16]

    runs = [
        ("inotify (default)", [], 50.0, 250.0),
        (f"polling {poll_ms} ms", ["--no-watch", "--poll-interval", f"{poll_ms}ms"], None, poll_ms + 50.0),
    ]
    results = []
    with tempfile.TemporaryDirectory(prefix="cbscan-follow-latency.") as tmp:
        for label, extra, p50_target, p99_target in runs:
            print(f"\n== {label}: {rate:g} lines/s for {seconds:g} s", flush=True)
            r = measure(cb, label, extra, rate, seconds, codes, tmp)
            r["p50_target"], r["p99_target"] = p50_target, p99_target
            print(f"  {r['cmd']}")
            print(f"  {r['seen']}/{r['sent']} lines seen, {r['duplicates']} duplicated, "
                  f"cbscan CPU {r['cpu']:.2f} s")
            results.append(r)

    print()
    rows, failed = [], False
    for r in results:
        ok50 = r["p50_target"] is None or r["p50"] <= r["p50_target"]
        ok99 = r["p99"] <= r["p99_target"]
        complete = r["missing"] == 0 and r["duplicates"] == 0 and r["bad"] == 0
        verdict = "met" if ok50 and ok99 and complete else "MISSED"
        failed |= verdict != "met"
        goal = (f"p50 ≤ {r['p50_target']:g}, " if r["p50_target"] is not None else "") + f"p99 ≤ {r['p99_target']:g}"
        rows.append([r["label"], f"{r['seen']}/{r['sent']}", r["duplicates"], f"{r['p50']:.1f}",
                     f"{r['p90']:.1f}", f"{r['p99']:.1f}", f"{r['max']:.1f}", goal, verdict])
    common.table(["follow mode", "lines seen", "dups", "p50 ms", "p90 ms", "p99 ms", "max ms",
                  "target ms", "result"], rows)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
