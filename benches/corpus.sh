# benches/corpus.sh: sourced by the benchmark scripts. Generates deterministic corpora under
# $DATA with $GEN (examples/gen_corpus.rs), scaled by $SCALE, and reuses them while the
# generator, the catalog and the arguments are unchanged.

scaled() { python3 -c 'import sys; print(max(1, int(float(sys.argv[1]) * float(sys.argv[2]))))' "$1" "$SCALE"; }

mkdir -p "$DATA"
# Regenerate when the generator or the catalog changes, not only when sizes change.
FP=$(cat examples/gen_corpus.rs src/catalog.toml | sha256sum | cut -c1-16)

# gen NAME PATH GENERATOR-ARGS...: generate unless PATH exists with a matching marker.
gen() {
    local name=$1 path=$2
    shift 2
    local marker=$DATA/$name.marker key="$* fp=$FP"
    if [[ -e $path && -f $marker && "$(head -n1 "$marker")" == "$key" ]]; then
        echo "  $name: up to date ($path)"
        return
    fi
    rm -rf "$path" "$marker" "$DATA/$name.stats.json"
    "$GEN" "$@" --out "$path" --stats "$DATA/$name.stats.json"
    printf '%s\n' "$key" >"$marker"
}
