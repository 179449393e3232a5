#!/usr/bin/env bash
# benches/memory.sh: peak memory (RSS) of `cbscan scan` on inputs where most lines hold hits.
#
# Target (from the issue): peak RSS <= 64 MiB for `cbscan scan --format jsonl` on a 256 MiB
# file where most lines hold hits, from a file and from stdin, with output to /dev/null and
# to a reader slower than the scan, at -j2 and -j16.
#
# It builds cbscan and the corpus generator (examples/gen_corpus.rs), generates under
# bench-data/ (gitignored; reused while the size and generator fingerprint match):
#   hits.log  256 MiB, 90% of lines with a code (some with three)    (gen_corpus hits)
#   wide.log   32 MiB, ~30 KB lines with ~500 hits each              (gen_corpus wide)
# then runs each case once under GNU time and prints a Markdown table of cbscan's peak RSS
# (not cat's, not the reader's) and wall time:
#   hits: source file | stdin (`cat FILE | cbscan ... -`)
#         x sink /dev/null | slow reader (BENCH_SLOW_RATE bytes/s for BENCH_SLOW_SECONDS,
#           then it drains at full speed so the run ends)
#         x -j2 | -j16  x  --format jsonl (the target) | human --color never (information)
#   wide: jsonl to /dev/null, file | stdin, -j2 | -j16 (excerpt amplification)
# Correctness, cheaply: every jsonl run through the slow reader (file and stdin, -j2 and
# -j16) must print hits + 1 lines whose last is a summary with the generator's hit count,
# and one unmeasured jsonl run on wide.log (-j16, full-speed reader) likewise.
#
# Run from the repository root:
#   benches/memory.sh                                  # about 5 minutes on 2 cores
#   BENCH_FORMATS=jsonl benches/memory.sh              # only the target cases, about 3 minutes
#   CBSCAN=path/to/cbscan benches/memory.sh            # measure another binary (no cbscan build)
#   BENCH_SCALE=0.05 BENCH_SLOW_SECONDS=2 benches/memory.sh   # quick smoke run
# Environment:
#   CBSCAN              binary to measure (default: build target/release/cbscan)
#   BENCH_SCALE         multiplies both corpus sizes (default 1)
#   BENCH_SLOW_SECONDS  how long the slow reader stays slow (default 15)
#   BENCH_SLOW_RATE     the slow reader's pace in bytes/s (default 4000000)
#   BENCH_FORMATS       formats for the hits cases (default "jsonl human")
#   BENCH_CI_FORMATS    0 leaves out the CI-format cases (sarif, gitlab, junit, markdown,
#                       github: one run each, file → /dev/null, -j16; default 1)
#   BENCH_VMEM_CAP_MIB  address-space cap (ulimit -v) for cbscan, so a runaway case cannot
#                       take the machine down; 0 = none (default 12288). A case that dies
#                       on it is reported as "over cap" and counts as MISSED.
# Needs: cargo, python3, GNU time at /usr/bin/time (apt-get install -y time).
# Exits non-zero if cbscan or a helper fails (cbscan exit status >= 2) or a correctness
# check fails; a missed memory target only prints MISSED in the table.
set -euo pipefail

# Resolve CBSCAN before changing directory, so a path relative to the caller works.
if [[ -n ${CBSCAN:-} ]]; then
    [[ -x $CBSCAN ]] || { echo "memory.sh: CBSCAN=$CBSCAN is not an executable" >&2; exit 1; }
    CBSCAN=$(realpath "$CBSCAN")
    BUILD_CBSCAN=0
else
    BUILD_CBSCAN=1
fi

cd "$(dirname "${BASH_SOURCE[0]}")/.."

SCALE=${BENCH_SCALE:-1}
SLOW_SECONDS=${BENCH_SLOW_SECONDS:-15}
SLOW_RATE=${BENCH_SLOW_RATE:-4000000}
FORMATS=${BENCH_FORMATS:-jsonl human}
VMEM_CAP_MIB=${BENCH_VMEM_CAP_MIB:-12288}
TARGET_MIB=64
DATA=bench-data
GEN=target/release/examples/gen_corpus
TIME=/usr/bin/time

die() {
    echo "" >&2
    echo "memory.sh: ERROR: $*" >&2
    exit 1
}

python3 -c 'import sys; s = float(sys.argv[1]); assert s > 0' "$SCALE" 2>/dev/null \
    || die "BENCH_SCALE must be a positive number, got '$SCALE'"
python3 -c 'import sys; s = float(sys.argv[1]); assert s >= 0' "$SLOW_SECONDS" 2>/dev/null \
    || die "BENCH_SLOW_SECONDS must be a number >= 0, got '$SLOW_SECONDS'"
[[ $SLOW_RATE =~ ^[1-9][0-9]*$ ]] || die "BENCH_SLOW_RATE must be a positive integer, got '$SLOW_RATE'"
[[ $VMEM_CAP_MIB =~ ^[0-9]+$ ]] || die "BENCH_VMEM_CAP_MIB must be a non-negative integer, got '$VMEM_CAP_MIB'"
for f in $FORMATS; do
    [[ $f == jsonl || $f == human ]] || die "BENCH_FORMATS may hold jsonl and human, got '$f'"
done
[[ -x $TIME ]] || die "GNU time not found at $TIME (apt-get install -y time)"

# --- build ---------------------------------------------------------------------------
echo "== build"
if ((BUILD_CBSCAN)); then
    cargo build --release --bin cbscan --example gen_corpus
    CBSCAN=target/release/cbscan
else
    cargo build --release --example gen_corpus
fi

echo
echo "== machine"
echo "cbscan:  $("$CBSCAN" --version 2>/dev/null | head -n1 || echo unknown) ($(if ((BUILD_CBSCAN)); then echo "built from this tree"; else echo "CBSCAN=$(basename "$CBSCAN")"; fi))"
echo "nproc:   $(nproc)"
echo "memory:  $(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null || echo unknown)"
echo "cpu:     $(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)"
echo "kernel:  $(uname -sr)"
echo "scale:   BENCH_SCALE=$SCALE BENCH_SLOW_SECONDS=$SLOW_SECONDS BENCH_SLOW_RATE=$SLOW_RATE BENCH_VMEM_CAP_MIB=$VMEM_CAP_MIB"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/cbscan-memory.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# --- corpora -------------------------------------------------------------------------

# shellcheck source=benches/corpus.sh
source benches/corpus.sh

HITS_SIZE=$(scaled 268435456)   # 256 MiB
WIDE_SIZE=$(scaled 33554432)    # 32 MiB
HITS=$DATA/hits.log
WIDE=$DATA/wide.log


echo
echo "== corpora (bench-data/)"
gen hits "$HITS" hits --size "$HITS_SIZE"
gen wide "$WIDE" wide --size "$WIDE_SIZE"
planted() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["hits"])' "$DATA/$1.stats.json"; }
HITS_PLANTED=$(planted hits)
WIDE_PLANTED=$(planted wide)

echo
echo "== warming the page cache"
cat "$HITS" "$WIDE" >/dev/null

# --- helpers -------------------------------------------------------------------------
# The slow reader: reads stdin in 64 KiB pieces at RATE bytes/s for SECONDS (RATE 0: at
# full speed), then drains at full speed; writes "bytes lines" and the last line to REPORT.
READER=$TMP/reader.py
cat >"$READER" <<'PY'
import os, sys, time
rate, slow_s, report = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
fd = sys.stdin.fileno()
t0 = time.monotonic()
total = lines = 0
tail_bytes = b""
while True:
    b = os.read(fd, 65536)
    if not b:
        break
    total += len(b)
    lines += b.count(b"\n")
    # Keep enough of the end for the last line, however small the pieces it arrived in.
    tail_bytes = (tail_bytes + b)[-(1 << 20):]
    if rate > 0:
        el = time.monotonic() - t0
        if el < slow_s:
            due = min(total / rate, slow_s)
            if due > el:
                time.sleep(due - el)
tail = tail_bytes.rstrip(b"\n").rsplit(b"\n", 1)[-1]
with open(report, "w", encoding="utf-8") as f:
    f.write(f"{total} {lines}\n{tail.decode('utf-8', 'replace')}\n")
PY

# capped CMD...: CMD under the address-space cap (in a subshell, so the cap stays there).
capped() (
    if ((VMEM_CAP_MIB > 0)); then
        ulimit -v $((VMEM_CAP_MIB * 1024))
    fi
    exec "$@"
)

ROWS=$TMP/rows.tsv
CHECKS=$TMP/checks.tsv
: >"$ROWS"
: >"$CHECKS"
FAILED=0
CASE=0

# measure LABEL SOURCE(file|stdin) SINK(null|slow|count) THREADS FORMAT PATH EXPECTED_HITS
# Runs one case; appends "label rss_kib wall format verdict" to ROWS (unless SINK is count:
# an unmeasured correctness run) and, for jsonl through a reader, a check line to CHECKS.
measure() {
    local label=$1 src=$2 sink=$3 threads=$4 fmt=$5 path=$6 expected=$7
    # --all-codes: the generator plants shared names (PERMISSION_DENIED, ...) without
    # CloudBase context too, and the check below counts every planted hit.
    local args=(scan --all-codes --format "$fmt" -j "$threads")
    [[ $fmt == human ]] && args+=(--color never)
    if [[ $src == file ]]; then args+=("$path"); else args+=(-); fi
    CASE=$((CASE + 1))
    local timef=$TMP/time err=$TMP/err report=$TMP/report.$CASE rate=0 slow=0
    [[ $sink == slow ]] && rate=$SLOW_RATE slow=$SLOW_SECONDS
    rm -f "$timef"
    local -a st
    local cb_rc reader_rc=0 cat_rc=0
    set +e
    case $src/$sink in
        file/null)
            capped "$TIME" -o "$timef" -f '%M %e' "$CBSCAN" "${args[@]}" >/dev/null 2>"$err"
            cb_rc=$?
            ;;
        file/*)
            capped "$TIME" -o "$timef" -f '%M %e' "$CBSCAN" "${args[@]}" 2>"$err" \
                | python3 "$READER" "$rate" "$slow" "$report"
            st=("${PIPESTATUS[@]}") && cb_rc=${st[0]} reader_rc=${st[1]}
            ;;
        stdin/null)
            cat "$path" | capped "$TIME" -o "$timef" -f '%M %e' "$CBSCAN" "${args[@]}" >/dev/null 2>"$err"
            st=("${PIPESTATUS[@]}") && cat_rc=${st[0]} cb_rc=${st[1]}
            ;;
        stdin/*)
            cat "$path" | capped "$TIME" -o "$timef" -f '%M %e' "$CBSCAN" "${args[@]}" 2>"$err" \
                | python3 "$READER" "$rate" "$slow" "$report"
            st=("${PIPESTATUS[@]}") && cat_rc=${st[0]} cb_rc=${st[1]} reader_rc=${st[2]}
            ;;
    esac
    set -e
    local rss wall verdict
    read -r rss wall < <(tail -n1 "$timef" 2>/dev/null || echo "? ?")
    if ((cb_rc <= 1)); then
        if ((reader_rc != 0)); then
            echo "  $label: the reader failed with exit status $reader_rc" >&2
            FAILED=1 verdict=failed
        elif ((cat_rc != 0)); then
            echo "  $label: cat failed with exit status $cat_rc" >&2
            FAILED=1 verdict=failed
        else
            verdict=done
        fi
    elif ((VMEM_CAP_MIB > 0)) && grep -qE 'memory allocation of [0-9]+ bytes failed|out of memory|Cannot allocate memory' "$err"; then
        verdict="over cap"
    else
        echo "  $label: cbscan failed with exit status $cb_rc:" >&2
        sed -n '1,5s/^/    /p' "$err" >&2
        FAILED=1 verdict=failed
    fi
    if [[ $sink == count ]]; then
        echo "  check: $label: $verdict"
    else
        printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$rss" "$wall" "$fmt" "$verdict" >>"$ROWS"
        python3 -c 'import sys; r, w = sys.argv[2], sys.argv[3]
mib = f"{int(r) / 1024:.1f} MiB" if r.isdigit() else "?"
print(f"  {sys.argv[1]}: {mib}, {w} s ({sys.argv[4]})")' "$label" "$rss" "$wall" "$verdict"
    fi
    if [[ $fmt == jsonl && $sink != null && $verdict == done ]]; then
        printf '%s\t%s\t%s\n' "$label" "$report" "$expected" >>"$CHECKS"
    fi
}

size_label() {
    local label=$1
    python3 -c 'import sys; s = float(sys.argv[2]); print(sys.argv[1] if s == 1 else f"{sys.argv[1]} x{s:g}")' "$label" "$SCALE"
}
HITS_LABEL="hits $(size_label '256 MiB')"
WIDE_LABEL="wide $(size_label '32 MiB')"
SLOW_LABEL="slow reader"

# --- cases ---------------------------------------------------------------------------
echo
echo "== cases (one run each; peak RSS of cbscan alone)"
for fmt in $FORMATS; do
    for sink in null slow; do
        for src in file stdin; do
            for j in 2 16; do
                if [[ $sink == null ]]; then s="/dev/null"; else s=$SLOW_LABEL; fi
                if [[ $src == file ]]; then from="file"; else from="stdin"; fi
                measure "$HITS_LABEL, $fmt, $from → $s, -j$j" "$src" "$sink" "$j" "$fmt" "$HITS" "$HITS_PLANTED"
            done
        done
    done
done
for src in file stdin; do
    for j in 2 16; do
        measure "$WIDE_LABEL, jsonl, $src → /dev/null, -j$j" "$src" null "$j" jsonl "$WIDE" "$WIDE_PLANTED"
    done
done
measure "$WIDE_LABEL, jsonl, file → full-speed reader, -j16" file count 16 jsonl "$WIDE" "$WIDE_PLANTED"
# The CI formats and the HTML report write at the end from what they kept of 2 M hits:
# bounded by their caps.
if [[ ${BENCH_CI_FORMATS:-1} == 1 ]]; then
    for fmt in sarif gitlab junit markdown github html; do
        measure "$HITS_LABEL, $fmt, file → /dev/null, -j16" file null 16 "$fmt" "$HITS" "$HITS_PLANTED"
    done
fi

# --- correctness ---------------------------------------------------------------------
echo
echo "== correctness (jsonl through a reader: begin + hits + end + summary lines, summary hits = planted hits)"
python3 - "$CHECKS" <<'PY' || FAILED=1
import json, sys
bad = 0
for row in open(sys.argv[1], encoding="utf-8"):
    label, report, expected = row.rstrip("\n").split("\t")
    expected = int(expected)
    with open(report, encoding="utf-8") as f:
        total, lines = map(int, f.readline().split())
        last = f.readline().strip()
    try:
        s = json.loads(last)
    except ValueError:
        s = {}
    problems = []
    if s.get("type") != "summary":
        problems.append(f"last line is not a summary: {last[:120]}")
    else:
        if s["hits"] != expected:
            problems.append(f"summary hits {s['hits']} != {expected} planted")
        if s.get("errors", 0) != 0:
            problems.append(f"summary reports {s['errors']} errors")
    # JSON lines v2: a begin and an end record per input (one input here), the hits, a summary.
    if lines != expected + 3:
        problems.append(f"{lines} output lines, expected begin + {expected} hits + end + summary")
    if problems:
        bad = 1
        print(f"  {label}: MISMATCH: " + "; ".join(problems))
    else:
        print(f"  {label}: ok, {expected} hits, {total} bytes of jsonl")
sys.exit(bad)
PY

# --- table ---------------------------------------------------------------------------
echo
python3 - "$ROWS" "$TARGET_MIB" "$VMEM_CAP_MIB" <<'PY'
import sys
target, cap = int(sys.argv[2]), int(sys.argv[3])
print(f"| case | peak RSS MiB | wall s | target | result |")
print("|---|---:|---:|---|---|")
for row in open(sys.argv[1], encoding="utf-8"):
    label, rss, wall, fmt, verdict = row.rstrip("\n").split("\t")
    bounded = fmt in ("jsonl", "sarif", "gitlab", "junit", "markdown", "github", "html")
    goal = f"≤ {target} MiB" if bounded else "(info)"
    if verdict == "over cap":
        mib, result = f"> cap ({cap} MiB address space)", "MISSED"
    elif verdict == "failed" or not rss.isdigit():
        mib, result = "?", "FAILED"
    else:
        v = int(rss) / 1024
        mib = f"{v:.1f}"
        result = "ok" if v <= target else "MISSED"
    if not bounded and result in ("ok", "MISSED"):
        result = "(within)" if result == "ok" else "(over)"
    print(f"| {label} | {mib} | {wall} | {goal} | {result} |")
PY

((FAILED == 0)) || die "a run failed or a correctness check failed (see above)"
