//! Reading JSON lines v2 back into a [`WireSummary`], so that the output of earlier scans (one
//! file per host, per day, per rotated log) can be added up without scanning again.
//!
//! The totals come from `summary` records: several runs written one after another add up with
//! `+=`. The per-input rows come from `end` records, rows of the same path joined as `+=` joins
//! them. Everything else is skipped: `begin`, `hit`, `notice` and `error` records (an input's
//! error is also in its `end` record), record types a later cbscan adds, and unknown fields,
//! so newer output still reads. Blank lines are skipped too.
//!
//! What is refused, with the 1-based line number: a line that is not JSON (or not UTF-8), a
//! record without a `type`, a record naming a schema other than [`SCHEMA`], a `begin` or
//! `summary` record without a schema (JSON lines v1 wrote none: its counts meant other things,
//! so they are refused rather than misread), and a `summary` or `end` record missing a field
//! it must carry.

use std::io::BufRead;

use serde::Deserialize;

use super::wire::{WireInput, WireSummary, SCHEMA};
use crate::error::{Error, Result};

/// What every record is first read as: its type and schema, the rest skipped.
#[derive(Deserialize)]
struct Head {
    #[serde(rename = "type")]
    kind: Option<String>,
    schema: Option<u64>,
}

fn at(line: u64, message: impl Into<String>) -> Error {
    Error::Read {
        line,
        message: message.into(),
    }
}

/// A serde_json error without its position in the one-line document (always line 1): the
/// column is what helps.
fn json_error(what: &str, error: &serde_json::Error) -> String {
    let text = error.to_string();
    let text = match text.rfind(" at line ") {
        Some(cut) => &text[..cut],
        None => &text,
    };
    match error.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            format!("not JSON: {text} at column {}", error.column())
        }
        _ => format!("{what}: {text}"),
    }
}

/// Reads JSON lines v2 (the output of `cbscan scan --format jsonl`, or of
/// [`crate::report::jsonl::JsonlReport`]) back: the totals of its `summary` records and the
/// per-input rows of its `end` records. See the module documentation for what is skipped and
/// what is an error ([`Error::Read`], naming the line).
pub fn read_jsonl(mut reader: impl BufRead) -> Result<WireSummary> {
    let mut total = WireSummary {
        schema: SCHEMA,
        ..WireSummary::default()
    };
    let mut rows = Vec::new();
    let mut buf = Vec::new();
    let mut line = 0u64;
    loop {
        buf.clear();
        line += 1;
        let read = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| at(line, format!("cannot read: {e}")))?;
        if read == 0 {
            break;
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let record = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let record = record.strip_suffix(b"\r").unwrap_or(record);
        let text = std::str::from_utf8(record).map_err(|e| {
            at(
                line,
                format!("not JSON: not UTF-8 at column {}", e.valid_up_to() + 1),
            )
        })?;
        let head: Head = serde_json::from_str(text)
            .map_err(|e| at(line, json_error("not a JSON lines record", &e)))?;
        let Some(kind) = head.kind else {
            return Err(at(line, "a record without a \"type\""));
        };
        match head.schema {
            Some(schema) if schema != u64::from(SCHEMA) => {
                return Err(at(
                    line,
                    format!(
                        "a {kind} record of schema {schema}; this cbscan reads schema {SCHEMA}"
                    ),
                ));
            }
            None if kind == "begin" || kind == "summary" => {
                return Err(at(
                    line,
                    format!(
                        "a {kind} record without a schema (JSON lines v1?); this cbscan reads \
                         schema {SCHEMA}"
                    ),
                ));
            }
            _ => {}
        }
        match kind.as_str() {
            "summary" => {
                let mut summary: WireSummary = serde_json::from_str(text)
                    .map_err(|e| at(line, json_error("a summary record", &e)))?;
                // Rows come from `end` records only, whatever a summary may carry one day.
                summary.inputs.clear();
                total += &summary;
            }
            "end" => {
                let row: WireInput = serde_json::from_str(text)
                    .map_err(|e| at(line, json_error("an end record", &e)))?;
                rows.push(row);
            }
            _ => {}
        }
    }
    total += &WireSummary {
        inputs: rows,
        ..WireSummary::default()
    };
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::wire::Data;

    const RUN: &str = concat!(
        r#"{"type":"begin","schema":2,"path":{"text":"a.log"}}"#,
        "\n",
        r#"{"type":"hit","path":{"text":"a.log"},"line":1,"column":1,"byte_offset":0,"code":"DATABASE_TIMEOUT"}"#,
        "\n",
        r#"{"type":"end","path":{"text":"a.log"},"complete":true,"bytes":17,"lines":1,"hits":1,"lines_with_hits":1,"by_code":{"DATABASE_TIMEOUT":{"category":"database","generic":false,"hits":1,"lines":1}}}"#,
        "\n",
        r#"{"type":"begin","schema":2,"path":{"bytes":"YmFk/25hbWU="}}"#,
        "\n",
        r#"{"type":"error","path":{"bytes":"YmFk/25hbWU="},"message":"Permission denied"}"#,
        "\n",
        r#"{"type":"end","path":{"bytes":"YmFk/25hbWU="},"complete":false,"bytes":0,"lines":0,"hits":0,"lines_with_hits":0,"by_code":{},"error":"Permission denied"}"#,
        "\n",
        r#"{"type":"summary","schema":2,"files":1,"bytes":17,"lines":1,"hits":1,"lines_with_hits":1,"errors":1,"by_code":{"DATABASE_TIMEOUT":{"category":"database","generic":false,"hits":1,"lines":1}},"together":{},"by_category":{"database":1},"generic_hits":0,"generic":[]}"#,
        "\n",
    );

    #[test]
    fn reads_totals_from_summaries_and_rows_from_ends() {
        let wire = read_jsonl(RUN.as_bytes()).unwrap();
        assert_eq!(wire.schema, SCHEMA);
        assert_eq!(
            (
                wire.files,
                wire.bytes,
                wire.lines,
                wire.hits,
                wire.lines_with_hits,
                wire.errors
            ),
            (1, 17, 1, 1, 1, 1)
        );
        assert_eq!(wire.by_code["DATABASE_TIMEOUT"].lines, 1);
        assert_eq!(wire.inputs.len(), 2);
        assert_eq!(
            wire.inputs[0].path,
            Data::Text {
                text: "a.log".into()
            }
        );
        assert_eq!(wire.inputs[0].by_code["DATABASE_TIMEOUT"].hits, 1);
        assert_eq!(wire.inputs[1].path.to_bytes().unwrap(), b"bad\xffname");
        assert!(!wire.inputs[1].complete);
        assert_eq!(wire.inputs[1].error.as_deref(), Some("Permission denied"));
    }

    #[test]
    fn concatenated_runs_add_up_and_join_rows_of_the_same_path() {
        let twice = format!("{RUN}{RUN}");
        let wire = read_jsonl(twice.as_bytes()).unwrap();
        let once = read_jsonl(RUN.as_bytes()).unwrap();
        let mut expected = once.clone();
        expected += &once;
        assert_eq!(wire, expected);
        assert_eq!((wire.files, wire.hits, wire.errors), (2, 2, 2));
        assert_eq!(wire.inputs.len(), 2);
        assert_eq!(wire.inputs[0].hits, 2);
        assert_eq!(wire.inputs[0].by_code["DATABASE_TIMEOUT"].lines, 2);
    }

    #[test]
    fn unknown_records_fields_and_blank_lines_are_skipped() {
        let newer = RUN
            .replace(r#""complete":true,"#, r#""complete":true,"elapsed_ms":3,"#)
            .replace(r#""files":1,"#, r#""files":1,"host":{"name":"h1"},"#)
            // Rows are taken from `end` records only, not from a summary that carries some.
            .replace(
                r#""together":{},"#,
                r#""together":{},"inputs":[{"path":{"text":"a.log"},"complete":true,"bytes":17,"lines":1,"hits":1,"lines_with_hits":1}],"#,
            );
        let text = format!(
            "\n{newer}  \r\n{}\n",
            r#"{"type":"progress","done":[1,2],"schema":2}"#
        );
        assert_eq!(
            read_jsonl(text.as_bytes()).unwrap(),
            read_jsonl(RUN.as_bytes()).unwrap()
        );
    }

    #[test]
    fn nothing_to_read_is_an_empty_summary() {
        let wire = read_jsonl(&b""[..]).unwrap();
        assert_eq!(
            wire,
            WireSummary {
                schema: SCHEMA,
                ..WireSummary::default()
            }
        );
    }

    fn error_of(text: impl AsRef<[u8]>) -> (u64, String) {
        match read_jsonl(text.as_ref()) {
            Err(Error::Read { line, message }) => (line, message),
            other => panic!("expected a read error, got {other:?}"),
        }
    }

    #[test]
    fn a_bad_line_is_an_error_naming_it() {
        let (line, message) = error_of(format!("{RUN}{{\"type\":\"hit\",\"line\":\n"));
        assert_eq!(line, 8);
        assert_eq!(message, "not JSON: EOF while parsing a value at column 21");
        let error = read_jsonl(format!("{RUN}not json\n").as_bytes()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "line 8: not JSON: expected ident at column 2"
        );
        let (line, message) = error_of("\n{\"type\":\"hit\"} trailing\n");
        assert_eq!(line, 2);
        assert!(
            message.starts_with("not JSON: trailing characters"),
            "{message}"
        );
        let (line, message) = error_of(b"{\"type\":\"hit\",\"text\":\"\xff\"}\n");
        assert_eq!(
            (line, message.as_str()),
            (1, "not JSON: not UTF-8 at column 23")
        );
    }

    #[test]
    fn records_that_are_not_v2_records_are_errors() {
        let (line, message) = error_of("[1,2]\n");
        assert_eq!(line, 1);
        assert!(
            message.starts_with("not a JSON lines record: "),
            "{message}"
        );
        // What `cbscan codes --format jsonl` writes: JSON, but no record type.
        assert_eq!(
            error_of("{\"code\":\"DATABASE_TIMEOUT\"}\n"),
            (1, "a record without a \"type\"".to_string())
        );
        // A later schema, and JSON lines v1 (no schema; by_code held bare numbers).
        let later = RUN.replacen("\"schema\":2", "\"schema\":3", 1);
        let (line, message) = error_of(later);
        assert_eq!(line, 1);
        assert_eq!(
            message,
            "a begin record of schema 3; this cbscan reads schema 2"
        );
        let v1 = r#"{"type":"summary","files":1,"bytes":5,"lines":1,"hits":1,"by_code":{"DATABASE_TIMEOUT":1}}"#;
        let (line, message) = error_of(format!("{RUN}{v1}\n"));
        assert_eq!(line, 8);
        assert!(
            message.contains("without a schema (JSON lines v1?)"),
            "{message}"
        );
        // A v2 end record missing a field it must carry.
        let (line, message) =
            error_of("{\"type\":\"end\",\"path\":{\"text\":\"a\"},\"bytes\":1}\n");
        assert_eq!(line, 1);
        assert!(
            message.starts_with("an end record: missing field `complete`"),
            "{message}"
        );
    }

    #[test]
    fn a_failed_read_is_an_error_naming_the_line() {
        struct Broken(usize);
        impl std::io::Read for Broken {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                if self.0 == 0 {
                    return Err(std::io::Error::other("disk on fire"));
                }
                self.0 -= 1;
                out[0] = b'\n';
                Ok(1)
            }
        }
        let reader = std::io::BufReader::with_capacity(1, Broken(2));
        let (line, message) = match read_jsonl(reader) {
            Err(Error::Read { line, message }) => (line, message),
            other => panic!("expected a read error, got {other:?}"),
        };
        assert_eq!((line, message.as_str()), (3, "cannot read: disk on fire"));
    }
}
