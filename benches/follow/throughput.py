#!/usr/bin/env python3
"""benches/follow/throughput.py: CPU per GB of `cbscan follow` against `tail -F | rg`.

One file is appended at full speed (BENCH_CHUNK-byte writes) with BENCH_REPEAT copies of a
realistic log corpus (about 0.5% of its lines hold a code). Two followers read the same
stream in the same run, side by side:
  cbscan follow --from-start --format jsonl --no-summary FILE       > out
  tail -F -n +1 FILE | rg --no-config --line-buffered -f PATTERNS   > out
(the file is empty when both start, so `--from-start` and `-n +1` only remove the start-up
race; PATTERNS is every catalog code, from `gen_corpus patterns`, which compare.sh checks
matches exactly what cbscan matches). When the writer is done, the script waits until each
follower has printed every hit it should (cbscan: every hit; rg: every line with a hit),
then stops them with SIGTERM and reads their CPU time (user + sys) and peak RSS from wait4.

Targets (issue 9, section 3): cbscan keeps up (every hit reported) and spends less CPU per
GB than tail + rg (the ratio cbscan / (tail + rg) below 1). Exits 1 if missed, 2 on error.

Run from anywhere (the corpus is generated under bench-data/ if missing, as compare.sh does):
  benches/follow/throughput.py
  BENCH_CORPUS=path/to/realistic.log benches/follow/throughput.py   # reuse a corpus
Environment:
  CBSCAN          binary to measure (default: build target/release/cbscan)
  BENCH_CORPUS    the log appended (default bench-data/realistic.log, 1 GiB, generated)
  BENCH_REPEAT    how many times the corpus is appended (default 2)
  BENCH_RUNS      rounds, each with both followers side by side (default 1)
  BENCH_CHUNK     bytes per write(2) of the writer (default 65536)
  BENCH_CATCHUP   seconds the followers get to finish after the writer (default 300)
  BENCH_PACE_MBS  write at this many MB/s instead of full speed (default 0: full speed); with
                  BENCH_CHUNK=8192 it looks like a busy service, where the cost per wake-up
                  matters more than the cost per byte
  BENCH_LIMIT_MB  stop after this many MB of the corpus (default: all of it, BENCH_REPEAT
                  times); the counts expected are then taken from the part written
"""

import atexit
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

SCRIPT = "throughput.py"


class Counter:
    """Counts complete lines (optionally only those starting with a prefix) of a growing file."""

    def __init__(self, path, prefix=None):
        self.path, self.prefix = path, prefix
        self.offset, self.count, self.rest = 0, 0, b""

    def update(self):
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        if not data:
            return self.count
        self.offset += len(data)
        data = self.rest + data
        cut = data.rfind(b"\n") + 1
        whole, self.rest = data[:cut], data[cut:]
        if self.prefix is None:
            self.count += whole.count(b"\n")
        else:
            self.count += whole.count(b"\n" + self.prefix) + (1 if whole.startswith(self.prefix) else 0)
        return self.count


def corpus_path(script):
    given = os.environ.get("BENCH_CORPUS")
    if given:
        if not os.path.isfile(given):
            common.die(script, f"BENCH_CORPUS={given} is not a file")
        return os.path.realpath(given)
    path = os.path.join(common.ROOT, "bench-data", "realistic.log")
    # Same generator call and marker as compare.sh at BENCH_SCALE=1, so the corpus is shared.
    sh = ('set -euo pipefail; DATA=bench-data GEN=target/release/examples/gen_corpus SCALE=1; '
          'source benches/corpus.sh; gen realistic bench-data/realistic.log realistic --size 1073741824')
    rc = subprocess.run(["bash", "-c", sh], cwd=common.ROOT).returncode
    if rc != 0:
        common.die(script, "generating the corpus failed")
    return path


def expected_counts(cb, rg, pat, corpus):
    p = subprocess.run([cb, "scan", "--summary-only", "--format", "jsonl", corpus], capture_output=True, text=True)
    if p.returncode > 1:
        common.die(SCRIPT, f"cbscan scan failed ({p.returncode}): {p.stderr[-500:]}")
    hits = json.loads(p.stdout.strip().splitlines()[-1])["hits"]
    p = subprocess.run([rg, "--no-config", "--count", "-f", pat, corpus], capture_output=True, text=True)
    if p.returncode > 1:
        common.die(SCRIPT, f"rg failed ({p.returncode}): {p.stderr[-500:]}")
    lines = int(p.stdout.strip() or 0)
    return hits, lines


def one_round(n, cb, rg, pat, corpus, repeat, chunk, catchup, want_hits, want_lines, tmp, pace):
    log = os.path.join(tmp, f"app{n}.log")
    open(log, "wb").close()
    cb_out, rg_out = os.path.join(tmp, f"cbscan{n}.out"), os.path.join(tmp, f"rg{n}.out")
    cb_err, rg_err = os.path.join(tmp, f"cbscan{n}.err"), os.path.join(tmp, f"rg{n}.err")
    with open(cb_out, "wb") as o, open(cb_err, "wb") as e:
        cbp = subprocess.Popen([cb, "follow", "--from-start", "--format", "jsonl", "--no-summary", log],
                               stdout=o, stderr=e)
    with open(rg_out, "wb") as o, open(rg_err, "wb") as e:
        tailp = subprocess.Popen(["tail", "-F", "-n", "+1", log], stdout=subprocess.PIPE, stderr=e)
        rgp = subprocess.Popen([rg, "--no-config", "--line-buffered", "-f", pat], stdin=tailp.stdout,
                               stdout=o, stderr=e)
    tailp.stdout.close()

    begin = Counter(cb_out, b'{"type":"begin"')
    deadline = time.monotonic() + 15
    while begin.update() == 0:
        if time.monotonic() > deadline or common.exited(cbp):
            common.stop(cbp), common.stop(tailp), common.stop(rgp)
            common.die(SCRIPT, f"cbscan follow printed no begin record: {open(cb_err).read()[-500:]}")
        time.sleep(0.01)

    with open(corpus, "rb") as f:
        f.seek(-1, os.SEEK_END)
        newline_at_end = f.read(1) == b"\n"
    total = 0
    t0 = time.monotonic()
    fd = os.open(log, os.O_WRONLY | os.O_APPEND)
    buf = bytearray(chunk)
    for _ in range(repeat):
        with open(corpus, "rb", buffering=0) as f:
            while True:
                k = f.readinto(buf)
                if not k:
                    break
                os.write(fd, memoryview(buf)[:k])
                total += k
                if pace:
                    ahead = t0 + total / pace - time.monotonic()
                    if ahead > 0:
                        time.sleep(ahead)
        if not newline_at_end:
            total += os.write(fd, b"\n")
    os.close(fd)
    t_written = time.monotonic() - t0

    hits, lines = Counter(cb_out, b'{"type":"hit"'), Counter(rg_out)
    done = {}
    deadline = time.monotonic() + catchup
    while len(done) < 2 and time.monotonic() < deadline:
        now = time.monotonic() - t0
        if "cbscan" not in done and (hits.update() >= want_hits or common.exited(cbp)):
            done["cbscan"] = now
        if "rg" not in done and (lines.update() >= want_lines or common.exited(rgp)):
            done["rg"] = now
        time.sleep(0.05)
    cb_stat = common.stop(cbp)
    rg_hwm = common.peak_rss_kib(rgp.pid)  # before tail stops and rg ends
    tail_stat = common.stop(tailp)
    rg_stat = common.stop(rgp)
    hits.update(), lines.update()
    for name, st, err in (("cbscan", cb_stat, cb_err), ("tail", tail_stat, rg_err), ("rg", rg_stat, rg_err)):
        ok = {"cbscan": (0, 1), "tail": (0, -15, 143), "rg": (0, 1)}[name]
        if st[0] not in ok:
            common.die(SCRIPT, f"{name} ended with status {st[0]}: {open(err, errors='replace').read()[-500:]}")
    gb = total / 1e9
    return {
        "bytes": total,
        "write_s": t_written,
        "cb_hits": hits.count,
        "rg_lines": lines.count,
        "cb_done": done.get("cbscan"),
        "rg_done": done.get("rg"),
        "cb_cpu": cb_stat[1] + cb_stat[2],
        "cb_user": cb_stat[1],
        "cb_sys": cb_stat[2],
        "tail_cpu": tail_stat[1] + tail_stat[2],
        "rg_cpu": rg_stat[1] + rg_stat[2],
        "cb_rss": cb_stat[3] / 1024,
        "rg_rss": rg_hwm / 1024,
        "gb": gb,
    }


def main():
    repeat = common.env_int("BENCH_REPEAT", 2, SCRIPT)
    runs = common.env_int("BENCH_RUNS", 1, SCRIPT)
    chunk = common.env_int("BENCH_CHUNK", 65536, SCRIPT)
    catchup = common.env_float("BENCH_CATCHUP", 300, SCRIPT)
    pace = float(os.environ.get("BENCH_PACE_MBS") or 0) * 1e6
    limit = int(float(os.environ.get("BENCH_LIMIT_MB") or 0) * 1e6)
    cb = common.cbscan(SCRIPT, examples=["gen_corpus"])
    rg = common.ripgrep(SCRIPT)
    corpus = corpus_path(SCRIPT)
    if limit and limit < os.path.getsize(corpus):
        # The first LIMIT bytes, cut after a newline, so the counts expected stay exact.
        part = os.path.join(tempfile.gettempdir(), f"cbscan-follow-throughput-part.{os.getpid()}.log")
        with open(corpus, "rb") as f:
            data = f.read(limit)
        with open(part, "wb") as f:
            f.write(data[:data.rfind(b"\n") + 1])
        atexit.register(os.remove, part)
        corpus = part
    rg_ver = subprocess.run([rg, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    common.machine(cb, [f"ripgrep: {rg_ver} ({rg})",
                        f"tail:    {subprocess.run(['tail', '--version'], capture_output=True, text=True).stdout.splitlines()[0]}",
                        f"corpus:  {corpus} ({os.path.getsize(corpus)} bytes) x {repeat}",
                        f"scale:   BENCH_REPEAT={repeat} BENCH_RUNS={runs} BENCH_CHUNK={chunk} "
                        f"BENCH_PACE_MBS={pace / 1e6:g} BENCH_LIMIT_MB={limit / 1e6:g}"])

    with tempfile.TemporaryDirectory(prefix="cbscan-follow-throughput.") as tmp:
        pat = os.path.join(tmp, "patterns.txt")
        gen = os.path.join(common.ROOT, "target", "release", "examples", "gen_corpus")
        with open(pat, "w") as f:
            subprocess.run([gen, "patterns", "--catalog", os.path.join(common.ROOT, "src", "catalog.toml")],
                           stdout=f, check=True)
        print("\n== expected counts (cbscan scan and rg --count on the corpus)", flush=True)
        hits1, lines1 = expected_counts(cb, rg, pat, corpus)
        want_hits, want_lines = hits1 * repeat, lines1 * repeat
        print(f"  per copy: {hits1} hits on {lines1} lines; in all: {want_hits} hits, {want_lines} lines")
        subprocess.run(["cat", corpus], stdout=subprocess.DEVNULL)  # warm the page cache

        results = []
        for n in range(1, runs + 1):
            print(f"\n== round {n}/{runs}: both followers side by side", flush=True)
            r = one_round(n, cb, rg, pat, corpus, repeat, chunk, catchup, want_hits, want_lines, tmp, pace)
            fmt = lambda t: "not done" if t is None else f"{t:.1f} s"  # noqa: E731
            print(f"  writer: {r['bytes']} bytes in {r['write_s']:.1f} s ({r['bytes'] / r['write_s'] / 1e6:.0f} MB/s)")
            print(f"  cbscan: {r['cb_hits']}/{want_hits} hits, all printed at {fmt(r['cb_done'])}, "
                  f"CPU user {r['cb_user']:.2f} s + sys {r['cb_sys']:.2f} s, peak RSS {r['cb_rss']:.1f} MiB")
            print(f"  tail|rg: {r['rg_lines']}/{want_lines} lines, all printed at {fmt(r['rg_done'])}, "
                  f"CPU tail {r['tail_cpu']:.2f} s + rg {r['rg_cpu']:.2f} s, rg peak RSS {r['rg_rss']:.1f} MiB")
            results.append(r)

    print()
    rows, failed = [], False
    for n, r in enumerate(results, 1):
        cb_gb = r["cb_cpu"] / r["gb"]
        pipe_gb = (r["tail_cpu"] + r["rg_cpu"]) / r["gb"]
        ratio = cb_gb / pipe_gb if pipe_gb > 0 else float("inf")
        kept_up = r["cb_hits"] == want_hits and r["cb_done"] is not None
        rg_kept_up = r["rg_lines"] == want_lines and r["rg_done"] is not None
        verdict = "met" if kept_up and ratio < 1 else "MISSED"
        failed |= verdict != "met"
        rows.append([f"round {n}, {r['gb']:.2f} GB", f"{cb_gb:.2f}", f"{pipe_gb:.2f}",
                     f"{r['tail_cpu'] / r['gb']:.2f} + {r['rg_cpu'] / r['gb']:.2f}", f"{ratio:.2f}",
                     f"{r['cb_hits']}/{want_hits}" + ("" if kept_up else " (behind)"),
                     f"{r['rg_lines']}/{want_lines}" + ("" if rg_kept_up else " (behind)"),
                     f"{r['cb_done']:.1f}" if r["cb_done"] is not None else "-",
                     f"{r['rg_done']:.1f}" if r["rg_done"] is not None else "-",
                     "hits all seen, ratio < 1", verdict])
    common.table(["run", "cbscan CPU s/GB", "tail+rg CPU s/GB", "(tail + rg)", "ratio cbscan/(tail+rg)",
                  "cbscan hits", "rg lines", "cbscan done s", "rg done s", "target", "result"], rows)
    if runs > 1:
        med = statistics.median(r["cb_cpu"] / (r["tail_cpu"] + r["rg_cpu"]) for r in results)
        print(f"\nmedian ratio over {runs} rounds: {med:.2f}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
