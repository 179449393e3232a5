#!/usr/bin/env python3
"""benches/fields/run.py: what extracting hits' times and request ids costs.

Runs the release binary on one log (default bench-data/realistic.log, 1 GiB) with field
extraction on and off (the hidden --no-fields flag), interleaved, N runs each, for the
jsonl and human formats, output to /dev/null, and prints the median wall time, the median
CPU time (user + system, of the process and its threads), and the throughput ratio
on/off for each. The target (issue 10) is a ratio of at least 0.80.

Run from the repository root after `cargo build --release`:
    python3 benches/fields/run.py                       # 5 runs each, realistic.log
    python3 benches/fields/run.py --runs 9 --log other.log --formats jsonl
Standard library only.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time


def one_run(binary, log, fmt, fields):
    args = [binary, "scan", "--format", fmt, "--color", "never"]
    if not fields:
        args.append("--no-fields")
    args.append(log)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # Exit status 1 means "hits found": expected on a log with errors.
    status = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if status not in (0, 1):
        sys.exit(f"run.py: {' '.join(args)} exited with {status}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="target/release/cbscan")
    parser.add_argument("--log", default="bench-data/realistic.log")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--formats", default="jsonl,human")
    options = parser.parse_args()
    if options.runs < 1:
        sys.exit("run.py: --runs must be at least 1")
    for path in (options.binary, options.log):
        if not os.path.exists(path):
            sys.exit(f"run.py: {path} does not exist (build with cargo build --release; "
                     "generate bench-data with benches/compare.sh)")
    size = os.path.getsize(options.log)
    # One untimed run puts the log in the page cache for both sides alike.
    one_run(options.binary, options.log, "count", False)
    print(f"{options.log}: {size / 2**20:.0f} MiB, {options.runs} runs each, interleaved")
    print()
    print("| format | fields | median wall s | MiB/s | median CPU s | ratio (wall) | ratio (CPU) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    worst = None
    for fmt in options.formats.split(","):
        times = {True: [], False: []}
        for _ in range(options.runs):
            for fields in (True, False):
                times[fields].append(one_run(options.binary, options.log, fmt, fields))
        median = {f: (statistics.median(w for w, _ in times[f]),
                      statistics.median(c for _, c in times[f])) for f in times}
        # Throughput on / throughput off = time off / time on.
        ratio_wall = median[False][0] / median[True][0]
        ratio_cpu = median[False][1] / median[True][1]
        for fields in (True, False):
            wall, cpu = median[fields]
            ratios = (f"{ratio_wall:.2f}", f"{ratio_cpu:.2f}") if fields else ("", "")
            print(f"| {fmt} | {'on' if fields else 'off'} | {wall:.3f} | "
                  f"{size / 2**20 / wall:.0f} | {cpu:.3f} | {ratios[0]} | {ratios[1]} |")
        worst = ratio_wall if worst is None else min(worst, ratio_wall)
    print()
    verdict = "met" if worst >= 0.80 else "MISSED"
    print(f"lowest throughput ratio (wall) {worst:.2f}: target 0.80 {verdict}")


if __name__ == "__main__":
    main()
