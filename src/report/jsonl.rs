//! The JSON-lines report: one object per line, documented in the README as a public interface.
//!
//! ```text
//! {"type":"hit","path":…,"line":…,"column":…,"byte_offset":…,"code":…,"matched":…,"category":…,"generic":…,"meaning":{"zh":…,"en":…},"text":…}
//! {"type":"error","path":…,"message":…}
//! {"type":"notice","path":…,"kind":"changed","message":…}
//! {"type":"summary","files":…,"bytes":…,"lines":…,"hits":…,"by_category":{…},"by_code":{…},"generic_hits":…,"errors":…,"elapsed_ms":…}
//! ```
//!
//! Everything in a hit record that depends only on the pattern is serialised once up front:
//! with dense hits, writing is the bottleneck, not searching.

use std::io::{self, Write};
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::catalog::{Catalog, CodeId};
use crate::error::Error;
use crate::matcher::Matcher;
use crate::scan::{Excerpt, Hit, Notice, Sink};
use crate::summary::Summary;

/// Writes hits and errors as JSON lines.
pub struct JsonlWriter<W: Write> {
    out: W,
    /// Per pattern: `,"code":…,"matched":…,"category":…,"generic":…,"meaning":{…},"text":`.
    pattern_fields: Vec<Vec<u8>>,
    /// `{"type":"hit","path":"<current input>"`, rebuilt when the input changes.
    hit_head: Vec<u8>,
    head_for: String,
    text: String,
    /// Whether hits and errors are written (false: only the summary).
    records: bool,
}

impl<W: Write> JsonlWriter<W> {
    /// A writer for hits found by `matcher` over `catalog`. With `records` false, only the
    /// summary is written.
    pub fn new(out: W, catalog: &Catalog, matcher: &Matcher, records: bool) -> JsonlWriter<W> {
        let pattern_fields = matcher
            .patterns()
            .iter()
            .map(|pattern| {
                let entry = catalog.code(pattern.code);
                let mut fields = serde_json::to_vec(&json!({
                    "code": entry.code,
                    "matched": pattern.text,
                    "category": catalog.category(entry.category).id,
                    "generic": entry.is_generic(),
                    "meaning": {"zh": entry.zh, "en": entry.en},
                }))
                .expect("serialising strings and booleans cannot fail");
                // Turn `{…}` into `,…,"text":` to splice between the location and the text.
                fields[0] = b',';
                fields.pop();
                fields.extend_from_slice(b",\"text\":");
                fields
            })
            .collect();
        JsonlWriter {
            out,
            pattern_fields,
            hit_head: Vec::new(),
            head_for: String::new(),
            text: String::new(),
            records,
        }
    }

    /// Writes the summary record and flushes.
    pub fn finish(
        &mut self,
        catalog: &Catalog,
        summary: &Summary,
        elapsed: Duration,
    ) -> io::Result<()> {
        let record = summary_record(catalog, summary, elapsed);
        serde_json::to_writer(&mut self.out, &record)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}

impl<W: Write> Sink for JsonlWriter<W> {
    fn hit(&mut self, input: &str, hit: &Hit<'_>) -> io::Result<()> {
        if !self.records {
            return Ok(());
        }
        if self.head_for != input || self.hit_head.is_empty() {
            self.hit_head.clear();
            self.hit_head
                .extend_from_slice(b"{\"type\":\"hit\",\"path\":");
            serde_json::to_writer(&mut self.hit_head, input)?;
            self.head_for = input.to_string();
        }
        let mut numbers = itoa::Buffer::new();
        self.out.write_all(&self.hit_head)?;
        self.out.write_all(b",\"line\":")?;
        self.out.write_all(numbers.format(hit.line).as_bytes())?;
        self.out.write_all(b",\"column\":")?;
        self.out.write_all(numbers.format(hit.column).as_bytes())?;
        self.out.write_all(b",\"byte_offset\":")?;
        self.out
            .write_all(numbers.format(hit.byte_offset).as_bytes())?;
        self.out
            .write_all(&self.pattern_fields[hit.pattern as usize])?;
        excerpt_text(&hit.excerpt, &mut self.text);
        serde_json::to_writer(&mut self.out, &self.text)?;
        self.out.write_all(b"}\n")
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn error(&mut self, error: &Error) -> io::Result<()> {
        if !self.records {
            return Ok(());
        }
        let record = json!({
            "type": "error",
            "path": error.input_path(),
            "message": error.detail(),
        });
        serde_json::to_writer(&mut self.out, &record)?;
        self.out.write_all(b"\n")
    }

    fn notice(&mut self, input: &str, notice: &Notice) -> io::Result<()> {
        if !self.records {
            return Ok(());
        }
        let record = json!({
            "type": "notice",
            "path": input,
            "kind": notice.kind(),
            "message": notice.to_string(),
        });
        serde_json::to_writer(&mut self.out, &record)?;
        self.out.write_all(b"\n")
    }
}

/// The excerpt as text: lossy UTF-8, with `…` where the line was shortened.
fn excerpt_text(excerpt: &Excerpt<'_>, text: &mut String) {
    text.clear();
    if excerpt.cut_before {
        text.push('…');
    }
    text.push_str(&String::from_utf8_lossy(excerpt.bytes));
    if excerpt.cut_after {
        text.push('…');
    }
}

/// The summary as a JSON object (also used by other writers that embed it).
pub fn summary_record(catalog: &Catalog, summary: &Summary, elapsed: Duration) -> Value {
    let mut by_category = Map::new();
    for (category, count) in summary.categories_by_count(catalog) {
        by_category.insert(catalog.category(category).id.clone(), count.into());
    }
    let mut by_code = Map::new();
    for (code, count) in summary.codes_by_count() {
        by_code.insert(catalog.code(code).code.clone(), count.into());
    }
    json!({
        "type": "summary",
        "files": summary.files,
        "bytes": summary.bytes,
        "lines": summary.lines,
        "hits": summary.hits,
        "by_category": by_category,
        "by_code": by_code,
        "generic_hits": summary.generic_hits(catalog),
        "errors": summary.errors,
        "elapsed_ms": elapsed.as_millis() as u64,
    })
}

/// One catalog entry as JSON, for `cbscan codes --format jsonl`.
pub fn code_record(catalog: &Catalog, code: CodeId) -> Value {
    let entry = catalog.code(code);
    json!({
        "code": entry.code,
        "category": catalog.category(entry.category).id,
        "zh": entry.zh,
        "en": entry.en,
        "generic": entry.is_generic(),
        "generic_reason": entry.generic_reason,
        "numeric": entry.numeric,
        "notes": entry.notes,
    })
}
