#!/usr/bin/env bash
# benches/report.sh: peak memory (RSS) and wall time of `cbscan report` merging saved JSON
# lines of at least 1 GiB: reading is streaming, so memory must not grow with the input.
#
# It builds cbscan and the corpus generator (examples/gen_corpus.rs), generates under
# bench-data/ (gitignored; reused while the size and generator fingerprint match)
#   hits.log   256 MiB, 90% of lines with a code (gen_corpus hits, as benches/memory.sh)
# scans it twice, as two hosts would, into report-a.jsonl and report-b.jsonl (together about
# 2.6 GiB at scale 1), then runs `cbscan report` over both once per format under GNU time and
# prints a Markdown table of cbscan's peak RSS and wall time:
#   jsonl, human --color never, json (hits streamed), sarif, markdown and html (gathering formats,
#   bounded by their caps), count, and --summary-only.
# Correctness, cheaply: the merged jsonl's last record is a summary counting the hits of both
# saved summaries, and no report exits with an error (status 2).
#
# Run from the repository root:
#   benches/report.sh                       # about 10 minutes on 2 cores
#   CBSCAN=path/to/cbscan benches/report.sh # measure another binary (no cbscan build)
#   BENCH_SCALE=0.05 benches/report.sh      # quick smoke run
# Environment:
#   CBSCAN       binary to measure (default: build target/release/cbscan)
#   BENCH_SCALE  multiplies the corpus size (default 1)
#   BENCH_KEEP   1 keeps the saved JSON lines in bench-data/ (default: removed at exit)
# Needs: cargo, python3, GNU time at /usr/bin/time (apt-get install -y time).
set -euo pipefail

if [[ -n ${CBSCAN:-} ]]; then
    [[ -x $CBSCAN ]] || { echo "report.sh: CBSCAN=$CBSCAN is not an executable" >&2; exit 1; }
    CBSCAN=$(realpath "$CBSCAN")
    BUILD_CBSCAN=0
else
    BUILD_CBSCAN=1
fi

cd "$(dirname "${BASH_SOURCE[0]}")/.."

SCALE=${BENCH_SCALE:-1}
DATA=bench-data
GEN=target/release/examples/gen_corpus

[[ -x /usr/bin/time ]] || { echo "report.sh: needs GNU time at /usr/bin/time" >&2; exit 1; }

echo "== build"
if [[ $BUILD_CBSCAN == 1 ]]; then
    cargo build --release --bin cbscan --example gen_corpus
    CBSCAN=target/release/cbscan
else
    cargo build --release --example gen_corpus
fi

# shellcheck source=benches/corpus.sh
source benches/corpus.sh

HITS_SIZE=$(scaled 268435456) # 256 MiB
HITS=$DATA/hits.log
echo
echo "== corpus (bench-data/)"
gen hits "$HITS" hits --size "$HITS_SIZE"

A=$DATA/report-a.jsonl
B=$DATA/report-b.jsonl
if [[ ${BENCH_KEEP:-0} != 1 ]]; then
    trap 'rm -f "$A" "$B"' EXIT
fi
echo
echo "== saving two hosts' JSON lines"
# The same log under two names, as two hosts' logs: the merge sums them.
ln -sf hits.log "$DATA/host-a.log"
ln -sf hits.log "$DATA/host-b.log"
# --all-codes: the generator plants shared names without CloudBase context; counted, every
# planted hit is a hit record (as benches/memory.sh counts them).
for pair in "host-a.log $A" "host-b.log $B"; do
    read -r log saved <<<"$pair"
    # Kept from an earlier run (BENCH_KEEP=1) while newer than the corpus and the binary.
    if [[ -s $saved && $saved -nt $HITS && $saved -nt $CBSCAN ]]; then
        echo "  $saved: up to date"
        continue
    fi
    status=0
    "$CBSCAN" scan --all-codes --format jsonl "$DATA/$log" >"$saved" 2>/dev/null || status=$?
    [[ $status == 1 ]] || { echo "report.sh: scan of $log exited $status" >&2; exit 1; }
done
# What the two summaries count together: what the merged one must count.
SAVED_HITS=$(for f in "$A" "$B"; do tail -n 1 "$f"; done |
    python3 -c 'import json, sys; print(sum(json.loads(l)["hits"] for l in sys.stdin))')
SAVED=$(($(stat -c %s "$A") + $(stat -c %s "$B")))
# Every hit has its record (and the page cache is warm for the runs below).
RECORDS=$(cat "$A" "$B" | grep -c '^{"type":"hit"')
echo "  $(python3 -c "print(f'{$SAVED / 2**30:.2f}')") GiB of JSON lines, $SAVED_HITS hits, $RECORDS hit records"
[[ $RECORDS == "$SAVED_HITS" ]] || { echo "report.sh: hit records missing" >&2; exit 1; }

measure() { # name args...: one run under GNU time; prints a table row. The output goes to
    # /dev/null, but for jsonl its last line is kept for the check below.
    local name=$1
    shift
    local status=0
    if [[ $name == "--format jsonl" ]]; then
        /usr/bin/time -f '%M %e' -o "$DATA/report.time" "$CBSCAN" report "$@" "$A" "$B" \
            2>/dev/null | tail -n 1 >"$DATA/report.out" || status=$?
    else
        /usr/bin/time -f '%M %e' -o "$DATA/report.time" "$CBSCAN" report "$@" "$A" "$B" \
            >/dev/null 2>/dev/null || status=$?
    fi
    if [[ $status -ge 2 ]]; then
        echo "report.sh: report $* exited $status" >&2
        exit 1
    fi
    # GNU time writes "Command exited with non-zero status 1" first when hits fail the run.
    read -r kib secs < <(tail -n 1 "$DATA/report.time")
    printf '| %-28s | %8s MiB | %7s s |\n' "$name" "$((kib / 1024))" "$secs"
}

echo
echo "| report over $(python3 -c "print(f'{$SAVED / 2**30:.2f}')") GiB | peak RSS | wall |"
echo "|---|---:|---:|"
measure "--format jsonl" --format jsonl
# Correctness: the merged summary counts every hit of both files' summaries.
python3 - "$DATA/report.out" "$SAVED_HITS" <<'EOF'
import json, sys
summary = json.load(open(sys.argv[1]))
assert summary["type"] == "summary", summary["type"]
assert summary["hits"] == int(sys.argv[2]), (summary["hits"], sys.argv[2])
EOF
measure "--format human --color never" --format human --color never
measure "--format json" --format json
measure "--format sarif" --format sarif
measure "--format markdown" --format markdown
measure "--format html" --format html
measure "--format count" --format count
measure "--summary-only" --summary-only
rm -f "$DATA/report.out" "$DATA/report.time" "$DATA/host-a.log" "$DATA/host-b.log"
