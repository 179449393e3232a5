//! Whatever a log holds and whatever its file is called, every report is valid for its
//! consumer: SARIF against the official schema, GitLab and JSON by a JSON parser, JUnit by an
//! XML parser, GitHub annotations by the runner's rules; and no output line is a workflow
//! command other than cbscan's own. Reports run in process on random hostile names and text.

mod support;

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cbscan::catalog::Catalog;
use cbscan::input::{resolve_inputs, WalkOptions};
use cbscan::policy::Policy;
use cbscan::report::{new_report, Context, Format, ReportOptions};
use cbscan::scan::{ScanOptions, Scanner};
use proptest::prelude::*;
use serde_json::Value;
use support::read;

fn sarif_schema() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let schema: Value = serde_json::from_slice(&read("tests/data/sarif-schema-2.1.0.json"))
            .expect("the schema is JSON");
        jsonschema::options()
            .should_validate_formats(true)
            .with_draft(jsonschema::Draft::Draft7)
            .build(&schema)
            .expect("the schema compiles")
    })
}

/// Pieces that break formats: markup, escapes, commands, controls, bidi, bad UTF-8.
const HOSTILE: [&[u8]; 22] = [
    b"DATABASE_TIMEOUT",
    b"FUNCTIONS_EXECUTE_FAIL",
    b"-502005",
    b"::add-mask::",
    b"##[error]",
    b"%0A",
    b"\r",
    b"\t",
    b"\x1b[31m",
    b"\x00",
    b"\"",
    b"\\",
    b"<script>",
    b"]]>",
    b"&amp;",
    b"|",
    b"`",
    b"\xe2\x80\xae",
    b"\xff\xfe",
    "错误码".as_bytes(),
    b" ",
    b"x",
];

fn hostile_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(HOSTILE.to_vec()), 0..max)
        .prop_map(|parts| parts.concat())
}

/// A file name: hostile pieces without `/` or NUL, never empty, never `.` or `..`.
fn file_name() -> impl Strategy<Value = Vec<u8>> {
    hostile_bytes(6).prop_map(|mut name| {
        name.retain(|&b| b != b'/' && b != 0 && b != b'\n');
        name.extend_from_slice(b".log");
        name
    })
}

/// Runs every format over the file `path` and returns each output.
fn outputs(
    catalog: &Catalog,
    policy: &Policy,
    base: &Path,
    path: PathBuf,
) -> Vec<(Format, Vec<u8>)> {
    let context = Context {
        catalog,
        policy,
        base_dir: base,
    };
    let scanner = Scanner::for_catalog(catalog, ScanOptions::default());
    [
        Format::Jsonl,
        Format::Json,
        Format::Sarif,
        Format::Gitlab,
        Format::Junit,
        Format::Github,
        Format::Markdown,
    ]
    .into_iter()
    .map(|format| {
        let sources = resolve_inputs(std::slice::from_ref(&path), &WalkOptions::default())
            .expect("the file is listed");
        let mut out = Vec::new();
        {
            let mut report = new_report(
                format,
                Box::new(&mut out),
                "memory".into(),
                context,
                ReportOptions::default(),
            );
            let _ = scanner.scan(sources, &mut *report);
        }
        (format, out)
    })
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_format_stays_valid_for_its_consumer(
        name in file_name(),
        lines in prop::collection::vec(hostile_bytes(12), 1..6),
        fail_on_generic in any::<bool>(),
    ) {
        let catalog = Catalog::builtin().expect("the built-in catalog");
        let rules: Vec<String> = if fail_on_generic { vec!["generic".into()] } else { vec![] };
        let policy = Policy::parse(&catalog, &rules).expect("valid rules");
        let dir = tempfile::TempDir::new().expect("a temp dir");
        let path = dir.path().join(std::ffi::OsStr::from_bytes(&name));
        let mut text = lines.join(&b"\n"[..]);
        text.push(b'\n');
        std::fs::write(&path, &text).expect("writing the log");

        for (format, out) in outputs(&catalog, &policy, dir.path(), path) {
            let what = format.name();
            match format {
                Format::Jsonl => {
                    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                        prop_assert!(serde_json::from_slice::<Value>(line).is_ok(), "{what}");
                    }
                }
                Format::Json | Format::Gitlab => {
                    prop_assert!(serde_json::from_slice::<Value>(&out).is_ok(), "{what}");
                }
                Format::Sarif => {
                    let log: Value = serde_json::from_slice(&out).expect("SARIF is JSON");
                    let errors: Vec<String> =
                        sarif_schema().iter_errors(&log).map(|e| e.to_string()).collect();
                    prop_assert!(errors.is_empty(), "{errors:?}");
                }
                Format::Junit => {
                    let xml = String::from_utf8(out.clone()).expect("JUnit is UTF-8");
                    prop_assert!(roxmltree::Document::parse(&xml).is_ok(), "{xml}");
                }
                Format::Github => {
                    let text = String::from_utf8(out.clone()).expect("annotations are UTF-8");
                    for line in text.lines() {
                        prop_assert!(
                            ["::error ", "::warning ", "::notice ", "::error::", "::notice::"]
                                .iter()
                                .any(|p| line.starts_with(p)),
                            "{line:?}"
                        );
                        prop_assert!(!line.contains('\r'), "{line:?}");
                    }
                }
                _ => {}
            }
            // No format (but GitHub's own commands) holds a runner command: `##[` anywhere.
            // (Line-leading `::` in people's formats is the binary's job in GitHub Actions.)
            if matches!(format, Format::Jsonl | Format::Json | Format::Sarif | Format::Gitlab) {
                let raw = String::from_utf8_lossy(&out);
                prop_assert!(!raw.contains("##["), "{what}: {raw}");
                prop_assert!(
                    raw.lines().all(|l| !l.trim_start().starts_with("::")),
                    "{what}: {raw}"
                );
            }
        }
    }
}
