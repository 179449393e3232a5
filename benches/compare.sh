#!/usr/bin/env bash
# benches/compare.sh: reproducible benchmark of cbscan against ripgrep (rg).
#
# It builds cbscan and the corpus generator (examples/gen_corpus.rs), generates
# deterministic CloudBase log corpora under bench-data/ (gitignored; reused when the size
# marker matches), checks that cbscan and rg find exactly the same error codes, then
# times both tools alternately and prints a Markdown table of medians and speed ratios,
# plus cbscan's peak memory on 4 GiB of stdin.
#
# Run from the repository root:
#   benches/compare.sh                                    # full run, about 2.3 GB of data
#   BENCH_SCALE=0.01 BENCH_RUNS=1 benches/compare.sh      # quick smoke run
# Environment:
#   BENCH_SCALE  multiplies every corpus size and the folder's file count (default 1)
#   BENCH_RUNS   timed repetitions per tool and case (default 5)
#   BENCH_CASES  only these timing cases, comma-separated letters (e.g. f,g)
#   CBSCAN_BASELINE  another cbscan binary (e.g. a build of the previous commit) timed in the
#                same alternation, so before/after ratios against rg come from one run
# Needs: cargo, python3, ripgrep (`cargo install ripgrep`), GNU time (/usr/bin/time) if
# available. Exits non-zero if a correctness check fails; a missed speed target only
# prints MISSED in the table.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

SCALE=${BENCH_SCALE:-1}
RUNS=${BENCH_RUNS:-5}
DATA=bench-data
CBSCAN=target/release/cbscan
GEN=target/release/examples/gen_corpus

die() {
    echo "" >&2
    echo "compare.sh: ERROR: $*" >&2
    exit 1
}

python3 -c 'import sys; s = float(sys.argv[1]); assert s > 0' "$SCALE" 2>/dev/null \
    || die "BENCH_SCALE must be a positive number, got '$SCALE'"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, got '$RUNS'"

# --- tools ---------------------------------------------------------------------------
if command -v rg >/dev/null 2>&1; then
    RG=$(command -v rg)
elif [[ -x $HOME/.cargo/bin/rg ]]; then
    RG=$HOME/.cargo/bin/rg
else
    echo "compare.sh: ripgrep (rg) not found in PATH or ~/.cargo/bin." >&2
    echo "Install it with:  cargo install ripgrep" >&2
    exit 1
fi

echo "== build"
cargo build --release --bin cbscan --example gen_corpus

echo
echo "== machine"
echo "ripgrep: $("$RG" --version | head -n1) ($RG)"
echo "cbscan:  $("$CBSCAN" --version 2>/dev/null | head -n1 || echo unknown)"
echo "nproc:   $(nproc)"
echo "cpu:     $(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)"
echo "kernel:  $(uname -sr)"
echo "scale:   BENCH_SCALE=$SCALE BENCH_RUNS=$RUNS"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/cbscan-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# --- corpora -------------------------------------------------------------------------

# shellcheck source=benches/corpus.sh
source benches/corpus.sh

REAL_SIZE=$(scaled 1073741824)   # 1 GiB
ADV_SIZE=$(scaled 268435456)     # 256 MiB
DENSE_SIZE=$(scaled 536870912)   # 512 MiB
FOLDER_SIZE=$(scaled 524288000)  # 500 MiB
FOLDER_FILES=$(scaled 20000)

REAL=$DATA/realistic.log
ADV=$DATA/adversarial.log
DENSE=$DATA/dense.log
FOLDER=$DATA/folder
PAT=$DATA/patterns.txt


echo
echo "== corpora (bench-data/)"
"$GEN" patterns --catalog src/catalog.toml >"$PAT"
gen realistic "$REAL" realistic --size "$REAL_SIZE"
gen adversarial "$ADV" adversarial --size "$ADV_SIZE"
gen folder "$FOLDER" folder --files "$FOLDER_FILES" --total-size "$FOLDER_SIZE"
gen dense "$DENSE" dense --size "$DENSE_SIZE"

echo
echo "== warming the page cache"
cat "$REAL" "$ADV" "$DENSE" >/dev/null
find "$FOLDER" -type f -exec cat {} + >/dev/null

# --- correctness ---------------------------------------------------------------------
# Run a command, tolerating exit status 1 (grep-style "no match"); fail on anything else.
run_ok() {
    local rc=0
    "$@" || rc=$?
    ((rc <= 1)) || die "command failed with exit status $rc: $*"
}

# cb_summary PATH OUT: cbscan's jsonl summary for PATH into OUT.
cb_summary() {
    # --all-codes: ripgrep counts every occurrence, shared names (which need CloudBase context
    # on their line) included.
    run_ok "$CBSCAN" scan --all-codes --summary-only --format jsonl "$1" >"$2"
}

# rg_total PATH [RG-ARGS...]: total number of matches (sums per-file path:count lines).
rg_total() {
    local path=$1
    shift
    run_ok "$RG" --no-config --count-matches "$@" -f "$PAT" "$path" >"$TMP/rg.count"
    awk -F: '{ s += $NF } END { print s + 0 }' "$TMP/rg.count"
}

# check_summary NAME PATH SUMMARY RG_TOTAL: compares hits, files, bytes, errors.
check_summary() {
    python3 - "$@" "$DATA/$1.stats.json" <<'PY'
import json, os, sys
name, path, summary_file, rg_total, stats_file = sys.argv[1:6]
rg_total = int(rg_total)
lines = [l for l in open(summary_file, encoding="utf-8") if l.strip()]
if len(lines) != 1:
    sys.exit(f"{name}: expected exactly one summary line from cbscan, got {len(lines)}:\n" + "".join(lines[:5]))
s = json.loads(lines[0])
if s.get("type") != "summary":
    sys.exit(f"{name}: cbscan output is not a summary: {lines[0]}")
if os.path.isdir(path):
    files = sum(len(fs) for _, _, fs in os.walk(path))
    size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(path) for f in fs)
else:
    files, size = 1, os.path.getsize(path)
problems = []
if s["hits"] != rg_total:
    problems.append(f"hits: cbscan {s['hits']} != ripgrep {rg_total}")
if s["files"] != files:
    problems.append(f"files: cbscan {s['files']} != {files} on disk")
if s["bytes"] != size:
    problems.append(f"bytes: cbscan {s['bytes']} != {size} on disk")
if s["errors"] != 0:
    problems.append(f"errors: cbscan reported {s['errors']}")
per_code = sum(c["hits"] for c in s["by_code"].values())
if per_code != s["hits"]:
    problems.append(f"by_code sums to {per_code}, hits is {s['hits']}")
expected = json.load(open(stats_file))["hits"] if os.path.exists(stats_file) else None
note = ""
if expected is not None and expected != rg_total:
    note = f"  (WARNING: generator planted {expected} hits; the catalog may have changed)"
if problems:
    sys.exit(f"  {name}: MISMATCH\n    " + "\n    ".join(problems))
print(f"  {name:<12} ok: {rg_total} hits in {files} files, {size} bytes{note}")
PY
}

echo
echo "== correctness (cbscan total hits must equal ripgrep's)"
fail=0
for name in realistic adversarial folder dense; do
    case $name in
        realistic) path=$REAL extra=() ;;
        adversarial) path=$ADV extra=() ;;
        folder) path=$FOLDER extra=(--no-ignore --hidden) ;;
        dense) path=$DENSE extra=() ;;
    esac
    cb_summary "$path" "$TMP/$name.summary.json"
    total=$(rg_total "$path" ${extra[@]+"${extra[@]}"})
    check_summary "$name" "$path" "$TMP/$name.summary.json" "$total" || fail=1
done

echo "  per-code counts on realistic:"
run_ok "$RG" --no-config --no-filename --no-line-number -o -f "$PAT" "$REAL" | sort | uniq -c >"$TMP/rg.by_code"
run_ok "$CBSCAN" codes --format jsonl >"$TMP/codes.jsonl"
python3 - "$TMP/realistic.summary.json" "$TMP/rg.by_code" "$TMP/codes.jsonl" <<'PY' || fail=1
import json, sys
summary = json.loads(open(sys.argv[1], encoding="utf-8").read())
alias = {}
for line in open(sys.argv[3], encoding="utf-8"):
    if line.strip():
        c = json.loads(line)
        for n in c.get("numeric") or []:
            alias[str(n)] = c["code"]
rg = {}
for line in open(sys.argv[2], encoding="utf-8"):
    count, text = line.split()
    code = alias.get(text, text)
    rg[code] = rg.get(code, 0) + int(count)
cb = {code: c["hits"] for code, c in summary["by_code"].items()}
bad = [(c, cb.get(c, 0), rg.get(c, 0)) for c in sorted(set(cb) | set(rg)) if cb.get(c, 0) != rg.get(c, 0)]
if bad:
    print("  per-code MISMATCH (code: cbscan vs ripgrep):")
    for c, a, b in bad:
        print(f"    {c}: {a} vs {b}")
    sys.exit(1)
print(f"  {'':<12} ok: {len(rg)} distinct codes, {sum(rg.values())} hits, counts identical")
PY

((fail == 0)) || die "correctness check failed: cbscan and ripgrep disagree (see above)"

# --- timing --------------------------------------------------------------------------
echo
echo "== timing (median of $RUNS alternating runs, warm page cache)"
BENCH_CASES=${BENCH_CASES:-} CBSCAN_BASELINE=${CBSCAN_BASELINE:-} CBSCAN=$CBSCAN RG=$RG PAT=$PAT REAL=$REAL ADV=$ADV FOLDER=$FOLDER DENSE=$DENSE RUNS=$RUNS \
    TMP=$TMP SCALE=$SCALE python3 - <<'PY'
import os, statistics, subprocess, sys, time

E = os.environ
cb, rg, pat, runs, tmp = E["CBSCAN"], E["RG"], E["PAT"], int(E["RUNS"]), E["TMP"]
base = E.get("CBSCAN_BASELINE") or None
scale = float(E["SCALE"])

def size(label):
    return label if scale == 1 else f"{label} x{scale:g}"

cases = [
    ("a", f"realistic {size('1 GiB')}, default threads",
     [cb, "scan", "--summary-only", E["REAL"]],
     [rg, "--no-config", "--count-matches", "-f", pat, E["REAL"]], 2.5),
    ("b", f"realistic {size('1 GiB')}, 1 thread",
     [cb, "scan", "-j", "1", "--summary-only", E["REAL"]],
     [rg, "--no-config", "-j1", "--count-matches", "-f", pat, E["REAL"]], 1.4),
    ("c", f"adversarial {size('256 MiB')}, default threads",
     [cb, "scan", "--summary-only", E["ADV"]],
     [rg, "--no-config", "--count-matches", "-f", pat, E["ADV"]], 5.0),
    ("d", f"folder {size('20,000 files')}, default threads",
     [cb, "scan", "--summary-only", E["FOLDER"]],
     [rg, "--no-config", "--no-ignore", "--hidden", "--count-matches", "-f", pat, E["FOLDER"]], 1.0),
    ("e", f"dense {size('512 MiB')}, every hit printed",
     [cb, "scan", "--format", "jsonl", "--no-summary", E["DENSE"]],
     [rg, "--no-config", "-o", "-n", "--column", "-f", pat, E["DENSE"]], 1.0),
    # Printing every hit of the realistic log, against rg printing every line with one.
    ("f", f"realistic {size('1 GiB')}, every hit printed as JSON lines",
     [cb, "scan", "--format", "jsonl", "--no-summary", E["REAL"]],
     [rg, "--no-config", "-n", "--column", "-f", pat, E["REAL"]], 1.5),
    ("g", f"realistic {size('1 GiB')}, every hit printed for people",
     [cb, "scan", "--color", "never", "--no-summary", E["REAL"]],
     [rg, "--no-config", "-n", "--column", "-f", pat, E["REAL"]], 1.5),
]
only = E.get("BENCH_CASES")
if only:
    cases = [c for c in cases if c[0] in only.split(",")]

def timed(cmd, out_path):
    # stdout goes to a real file: ripgrep quits at the first match when it is /dev/null.
    with open(out_path, "wb") as out:
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE)
        dt = time.perf_counter() - t0
    if p.returncode > 1:
        sys.exit(f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr.decode(errors='replace')}")
    return dt

rows = []
for key, desc, cbcmd, rgcmd, target in cases:
    cbt, rgt, bt = [], [], []
    cb_out, rg_out = f"{tmp}/{key}.cbscan.out", f"{tmp}/{key}.rg.out"
    for _ in range(runs):
        cbt.append(timed(cbcmd, cb_out))
        rgt.append(timed(rgcmd, rg_out))
        if base:
            bt.append(timed([base] + cbcmd[1:], f"{tmp}/{key}.baseline.out"))
    cbm, rgm = statistics.median(cbt), statistics.median(rgt)
    ratio = rgm / cbm if cbm > 0 else float("inf")
    print(f"  {key}) {desc}: cbscan " + " ".join(f"{t:.3f}" for t in cbt)
          + " | rg " + " ".join(f"{t:.3f}" for t in rgt)
          + ("" if not base else " | baseline " + " ".join(f"{t:.3f}" for t in bt)), file=sys.stderr)
    if key == "e":
        n_cb = sum(1 for line in open(cb_out, "rb") if line.startswith(b'{"type":"hit"'))
        n_rg = sum(1 for _ in open(rg_out, "rb"))
        flag = "" if n_cb == n_rg else "  (WARNING: line counts differ)"
        print(f"     output lines: cbscan {n_cb} hits, rg {n_rg}{flag}", file=sys.stderr)
    if key in "fg":
        n_cb = sum(1 for _ in open(cb_out, "rb"))
        n_rg = sum(1 for _ in open(rg_out, "rb"))
        print(f"     output: cbscan {n_cb} lines, rg {n_rg} lines", file=sys.stderr)
    status = "met" if ratio >= target else "MISSED"
    extra = ""
    if base:
        bm = statistics.median(bt)
        extra = f" {bm:.3f} | {rgm / bm:.2f}x |"
    rows.append(f"| {key}) {desc} | {cbm:.3f} | {rgm:.3f} | {ratio:.2f}x | >= {target:g}x {status} |{extra}")

print()
head = "| case | cbscan median s | rg median s | ratio (rg/cbscan, higher = cbscan faster) | target |"
rule = "|---|---:|---:|---:|---|"
if base:
    head += " baseline median s | baseline ratio |"
    rule += "---:|---:|"
print(head)
print(rule)
print("\n".join(rows))
PY

# --- memory --------------------------------------------------------------------------
echo
echo "== memory (4 x realistic through stdin)"
mem_rc=0
if [[ -x /usr/bin/time ]]; then
    cat "$REAL" "$REAL" "$REAL" "$REAL" \
        | /usr/bin/time -v "$CBSCAN" scan --all-codes -s --format jsonl - >"$TMP/mem.out" 2>"$TMP/mem.err" || mem_rc=$?
    rss_kb=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes):[[:space:]]*//p' "$TMP/mem.err")
else
    echo "  (/usr/bin/time not found, using python getrusage; apt-get install -y time for GNU time)"
    cat "$REAL" "$REAL" "$REAL" "$REAL" \
        | python3 -c 'import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:]).returncode
print("Maximum resident set size (kbytes): %d" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
sys.exit(rc)' "$CBSCAN" scan --all-codes -s --format jsonl - >"$TMP/mem.out" 2>"$TMP/mem.err" || mem_rc=$?
    rss_kb=$(sed -n 's/^Maximum resident set size (kbytes): //p' "$TMP/mem.err")
fi
((mem_rc <= 1)) || { cat "$TMP/mem.err" >&2; die "cbscan on stdin failed with exit status $mem_rc"; }
[[ -n $rss_kb ]] || { cat "$TMP/mem.err" >&2; die "could not read the maximum resident set size"; }
python3 - "$TMP/mem.out" "$TMP/realistic.summary.json" "$rss_kb" <<'PY' || die "stdin scan disagrees with the file scan"
import json, sys
lines = [l for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
stdin_hits = json.loads(lines[-1])["hits"]
file_hits = json.loads(open(sys.argv[2], encoding="utf-8").read())["hits"]
mib = int(sys.argv[3]) / 1024
status = "met" if mib <= 64 else "MISSED"
print()
print("| case | max RSS MiB | target |")
print("|---|---:|---|")
print(f"| 4 x realistic via stdin | {mib:.1f} | <= 64 MiB {status} |")
if stdin_hits != 4 * file_hits:
    sys.exit(f"stdin hits {stdin_hits} != 4 x {file_hits}")
PY

echo
echo "All correctness checks passed."
