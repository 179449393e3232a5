//! Criterion benchmark of the JSON string escaper against serde_json, on log lines: the
//! escaper runs once per hit in `--format jsonl`, so it must not be slower than the
//! `serde_json::to_writer` it replaces although it also escapes C1, bidi and invisible
//! characters. Run with `cargo bench --bench escape`.
//!
//! Inputs: the lines of the bundled fixtures (the lines hits come from: ASCII with ANSI
//! colours, quotes of JSON responses, some Chinese), a plain ASCII line, and a line mostly in
//! Chinese, each repeated to about 1 MiB and escaped line by line into one reused buffer.

use std::hint::black_box;

use cbscan::report::escape::json_str;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const SIZE: usize = 1 << 20;

/// `lines` repeated until they add up to about `SIZE` bytes.
fn repeated(lines: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut total = 0;
    while total < SIZE {
        for line in lines {
            total += line.len();
            out.push(line.clone());
        }
    }
    out
}

fn fixture_lines() -> Vec<String> {
    let mut lines = Vec::new();
    for name in [
        "cloudfunction-runtime.log",
        "miniprogram-client.log",
        "ci-deploy-ansi.log",
        "cli-deploy.log",
        "http-api-responses.jsonl",
    ] {
        let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read(path).expect("fixtures are part of the repository");
        lines.extend(String::from_utf8_lossy(&text).lines().map(str::to_owned));
    }
    lines
}

fn json_escaping(c: &mut Criterion) {
    let inputs = [
        ("fixture-lines", repeated(&fixture_lines())),
        (
            "ascii",
            repeated(&["2026-11-20T08:15:02.118Z INFO  [order-service] handling getOrderList for openid=oAbc123_x9 in 12ms".to_owned()]),
        ),
        (
            "chinese",
            repeated(&["2026-11-20T08:15:12.216Z ERROR 云函数执行失败，错误码DATABASE_TIMEOUT，请稍后重试，更多错误信息请访问文档".to_owned()]),
        ),
    ];
    for (name, lines) in &inputs {
        let bytes: usize = lines.iter().map(String::len).sum();
        let mut group = c.benchmark_group(format!("json/{name}"));
        group.throughput(Throughput::Bytes(bytes as u64));
        let mut out = Vec::with_capacity(bytes * 2);
        group.bench_function("escape::json_str", |b| {
            b.iter(|| {
                out.clear();
                for line in lines {
                    json_str(black_box(line), &mut out);
                }
                out.len()
            })
        });
        group.bench_function("serde_json::to_writer", |b| {
            b.iter(|| {
                out.clear();
                for line in lines {
                    serde_json::to_writer(&mut out, black_box(line.as_str()))
                        .expect("writing to a Vec cannot fail");
                }
                out.len()
            })
        });
        group.finish();
    }
}

criterion_group!(benches, json_escaping);
criterion_main!(benches);
