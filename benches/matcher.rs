//! Criterion benchmarks of matcher throughput (bytes per second) for each strategy: the word
//! engine with its default SIMD word-start finder, the word engine with Teddy, and the general
//! Aho-Corasick DFA, on realistic and adversarial text. Run with `cargo bench --bench matcher`.
//!
//! The inputs are built here from the fixtures and the catalog, so the benchmark needs no
//! generated data; `benches/compare.sh` is the end-to-end comparison with ripgrep.

use std::hint::black_box;

use cbscan::{Catalog, EngineChoice, Matcher};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const SIZE: usize = 16 << 20;

/// The bundled sample logs, repeated to `SIZE` bytes.
fn realistic() -> Vec<u8> {
    let mut sample = Vec::new();
    for name in [
        "cloudfunction-runtime.log",
        "miniprogram-client.log",
        "ci-deploy-ansi.log",
        "cli-deploy.log",
        "http-api-responses.jsonl",
    ] {
        let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        sample.extend(std::fs::read(path).expect("fixtures are part of the repository"));
    }
    // Mostly ordinary lines, as in real logs: the fixtures are dense with codes.
    let quiet = b"2026-11-20T08:15:02.118Z INFO  [order-service] handling getOrderList for openid=oAbc123_x9 in 12ms\n";
    let mut text = Vec::with_capacity(SIZE + sample.len());
    while text.len() < SIZE {
        text.extend_from_slice(&sample);
        for _ in 0..200 {
            text.extend_from_slice(quiet);
        }
    }
    text.truncate(SIZE);
    text
}

/// Lines full of identifiers that share long prefixes with codes but are not codes.
fn adversarial(catalog: &Catalog) -> Vec<u8> {
    let suffixes = ["_KEY", "_MODE", "_NAME", "S", "_ID", "_MS", "X"];
    let mut text = Vec::with_capacity(SIZE + 256);
    let mut i = 0usize;
    while text.len() < SIZE {
        let code = &catalog.codes()[i % catalog.codes().len()].code;
        let cut = code.len() * 2 / 3;
        text.extend_from_slice(&code.as_bytes()[..cut]);
        text.extend_from_slice(suffixes[i % suffixes.len()].as_bytes());
        text.push(if i % 9 == 8 { b'\n' } else { b' ' });
        i += 1;
    }
    text.truncate(SIZE);
    text
}

fn matchers(c: &mut Criterion) {
    let catalog = Catalog::builtin().expect("built-in catalog parses");
    let inputs = [
        ("realistic", realistic()),
        ("adversarial", adversarial(&catalog)),
    ];
    let strategies = [
        ("words-default", EngineChoice::Words),
        ("words-teddy", EngineChoice::WordsTeddy),
        ("aho-corasick-dfa", EngineChoice::General),
    ];
    for (input_name, text) in &inputs {
        let mut group = c.benchmark_group(format!("matcher/{input_name}"));
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.sample_size(10);
        for (name, choice) in strategies {
            let matcher =
                Matcher::with_engine(&catalog, choice).expect("built-in catalog fits every engine");
            group.bench_function(format!("{name} ({})", matcher.engine_name()), |b| {
                b.iter(|| {
                    let mut hits = 0u64;
                    matcher.find(black_box(text), 0, text.len(), |_| hits += 1);
                    hits
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, matchers);
criterion_main!(benches);
