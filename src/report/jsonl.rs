//! JSON lines, schema 2: one object per line, a public interface (documented in the README).
//!
//! ```text
//! {"type":"begin","schema":2,"path":{"text":"app.log"},"catalog":"<fingerprint>"}
//! {"type":"hit","path":{"text":…},"line":…,"column":…,"byte_offset":…,"code":…,"matched":…,"category":…,"generic":…,"meaning":{"zh":…,"en":…},"text":…,"timestamp":…,"time_zone_known":…,"time_inherited":…,"request_id":…}
//! {"type":"notice","path":{…},"kind":"changed","message":…}
//! {"type":"error","path":{…},"message":…}
//! {"type":"unknown","path":{…},"line":…,"column":…,"code":…,"count":…,"text":…}
//! {"type":"end","path":{…},"complete":…,"bytes":…,"lines":…,"hits":…,"lines_with_hits":…,"by_code":{…}}
//! {"type":"request","request_id":…,"first_time":…,"codes":[…],"hits":[{"path":…,"line":…,"code":…}…],"hit_count":…,"more_hits":…}
//! {"type":"summary","schema":2,"files":…,…,"by_code":{…},"together":{…},"by_category":{…},"generic":[…]}
//! ```
//!
//! A hit record also carries, only where the rest of it does not imply them, what rebuilding
//! the exact hit needs ([`exact_json`]: `event`, `hit_at`, `chars_before`, `cut_before`,
//! `cut_after`); `begin` and `summary` records carry the catalog's fingerprint, and `begin`
//! says `"file":false` for an input without a path. `cbscan report` reads all of it back
//! ([`super::read`]).
//!
//! Paths are `{"text":…}`, or `{"bytes":base64}` when not UTF-8. A hit's `text` is its
//! excerpt made readable (lossy UTF-8, `…` where the line was cut); when the excerpt is not
//! UTF-8, `raw` holds its exact bytes as `{"bytes":base64}`. Everything in a hit record that
//! depends only on the code is serialised once up front: with dense hits, writing is the
//! bottleneck, not searching.

use std::io::{self, Write};
use std::sync::Arc;

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::escape::{excerpt_text, json_str, json_to_writer};
use super::requests::{request_value, requests_note};
use super::{Context, ReportOptions, Show};
use crate::advice::{generic_seen, Basis};
use crate::catalog::{Catalog, CodeId};
use crate::error::Error;
use crate::scan::{Hit, Notice};
use crate::sink::{
    format_now, FormatHits, Formatted, Hits, InputEnd, InputInfo, Report, ScanDone, Sink,
};
use crate::summary::wire::{Data, WireInput, SCHEMA};
use crate::summary::{InputSummary, Summary};

/// Formats a hit as a JSON object: the `hit` record of JSON lines, or an element of the JSON
/// report's `hits` array.
pub struct HitJson {
    /// Per code: `,"code":"X","matched":`.
    code_head: Vec<Vec<u8>>,
    /// Per code: `,"category":…,"generic":…,"meaning":{…},"text":`.
    code_tail: Vec<Vec<u8>>,
    /// Bytes before the path (`{"type":"hit","path":` or `,\n{"path":`).
    open: &'static [u8],
    /// Bytes after the object.
    close: &'static [u8],
}

impl HitJson {
    /// The formatter for `catalog`; `document` for elements of a JSON array (each after a
    /// comma), else JSON-lines records.
    pub fn new(catalog: &Catalog, document: bool) -> HitJson {
        let mut code_head = Vec::new();
        let mut code_tail = Vec::new();
        for entry in catalog.codes() {
            let mut head = b",\"code\":".to_vec();
            json_str(&entry.code, &mut head);
            head.extend_from_slice(b",\"matched\":");
            code_head.push(head);
            let mut tail = b",\"category\":".to_vec();
            json_str(&catalog.category(entry.category).id, &mut tail);
            tail.extend_from_slice(if entry.is_generic() {
                b",\"generic\":true"
            } else {
                b",\"generic\":false"
            });
            tail.extend_from_slice(b",\"meaning\":{\"zh\":");
            json_str(&entry.zh, &mut tail);
            tail.extend_from_slice(b",\"en\":");
            json_str(&entry.en, &mut tail);
            tail.extend_from_slice(b"},\"text\":");
            code_tail.push(tail);
        }
        let (open, close): (&'static [u8], &'static [u8]) = if document {
            (b",\n{\"path\":", b"}")
        } else {
            (b"{\"type\":\"hit\",\"path\":", b"}\n")
        };
        HitJson {
            code_head,
            code_tail,
            open,
            close,
        }
    }
}

impl FormatHits for HitJson {
    fn format(&self, input: &InputInfo, hit: &Hit<'_>, out: &mut Formatted) {
        if out.scratch_input != Some(input.index) {
            out.scratch.clear();
            path_json(input, &mut out.scratch);
            out.scratch_input = Some(input.index);
        }
        let path = std::mem::take(&mut out.scratch);
        let mut text = std::mem::take(&mut out.text);
        let buf = out.buf();
        buf.extend_from_slice(self.open);
        buf.extend_from_slice(&path);
        buf.extend_from_slice(b",\"line\":");
        out.scratch = path;
        out.line_here();
        let buf = out.buf();
        let mut numbers = itoa::Buffer::new();
        buf.extend_from_slice(b",\"column\":");
        buf.extend_from_slice(numbers.format(hit.column).as_bytes());
        buf.extend_from_slice(b",\"byte_offset\":");
        buf.extend_from_slice(numbers.format(hit.byte_offset).as_bytes());
        let code = hit.code.min(self.code_head.len().saturating_sub(1));
        buf.extend_from_slice(&self.code_head[code]);
        let excerpt = &hit.excerpt;
        json_str(
            &String::from_utf8_lossy(&excerpt.bytes[excerpt.hit.clone()]),
            buf,
        );
        buf.extend_from_slice(&self.code_tail[code]);
        match std::str::from_utf8(excerpt.bytes) {
            // Most excerpts are text: escaped straight from the input, the cut marks spliced
            // inside the quotes, without a copy (printing every hit is bound by this).
            Ok(line) => {
                let open = buf.len() + 1;
                json_str(line, buf);
                if excerpt.cut_after {
                    buf.pop();
                    buf.extend_from_slice("…\"".as_bytes());
                }
                if excerpt.cut_before {
                    buf.splice(open..open, "…".bytes());
                }
            }
            Err(_) => {
                text.clear();
                excerpt_text(
                    excerpt.bytes,
                    excerpt.cut_before,
                    excerpt.cut_after,
                    &mut text,
                );
                json_str(&text, buf);
                // The exact bytes beside the readable text. Serialising a string map cannot
                // fail.
                buf.extend_from_slice(b",\"raw\":");
                let _ = json_to_writer(&mut *buf, &Data::from_bytes(excerpt.bytes));
            }
        }
        fields_json(hit, buf);
        exact_json(hit, buf);
        buf.extend_from_slice(self.close);
        out.text = text;
    }
}

/// A hit's fields: `,"timestamp":…,"time_zone_known":…,"time_inherited":…,"request_id":…`
/// (`null` each when absent; ids are `[0-9A-Za-z_-]`, times digits and `-:.TZ`, so neither
/// needs escaping beyond what `json_str` does).
pub fn fields_json(hit: &Hit<'_>, buf: &mut Vec<u8>) {
    match hit.time {
        Some(time) => {
            buf.extend_from_slice(b",\"timestamp\":\"");
            // Writing to a Vec cannot fail.
            let _ = write!(buf, "{}", time.at);
            buf.extend_from_slice(if time.at.is_zoned() {
                b"\",\"time_zone_known\":true"
            } else {
                b"\",\"time_zone_known\":false"
            });
            buf.extend_from_slice(if time.inherited {
                b",\"time_inherited\":true"
            } else {
                b",\"time_inherited\":false"
            });
        }
        None => buf.extend_from_slice(
            b",\"timestamp\":null,\"time_zone_known\":null,\"time_inherited\":null",
        ),
    }
    buf.extend_from_slice(b",\"request_id\":");
    match hit.request {
        Some(id) => json_str(id, buf),
        None => buf.extend_from_slice(b"null"),
    }
}

/// What `cbscan report` needs, beyond the rest of the record, to give writers back exactly
/// the hit the scan gave them; each only where it is not what the rest implies, so the
/// common record does not grow: `,"event":N` when the hit's event starts on another line than
/// its own; `,"hit_at":K` when the hit is not at `column - 1` in the excerpt (the line was cut
/// before it); `,"chars_before":C` (or `null`: not counted) when the excerpt does not start
/// its line; `,"cut_before":true` and `,"cut_after":true` when the line goes on before or
/// after the excerpt (then `text` has the `…` that says so).
pub fn exact_json(hit: &Hit<'_>, buf: &mut Vec<u8>) {
    let mut numbers = itoa::Buffer::new();
    let line_start = hit.byte_offset.saturating_sub(hit.column.saturating_sub(1));
    if hit.event != line_start {
        buf.extend_from_slice(b",\"event\":");
        buf.extend_from_slice(numbers.format(hit.event).as_bytes());
    }
    let excerpt = &hit.excerpt;
    if excerpt.hit.start as u64 != hit.column.saturating_sub(1) {
        buf.extend_from_slice(b",\"hit_at\":");
        buf.extend_from_slice(numbers.format(excerpt.hit.start).as_bytes());
    }
    if excerpt.cut_before || excerpt.chars_before != Some(0) {
        buf.extend_from_slice(b",\"chars_before\":");
        match excerpt.chars_before {
            Some(chars) => buf.extend_from_slice(numbers.format(chars).as_bytes()),
            None => buf.extend_from_slice(b"null"),
        }
    }
    if excerpt.cut_before {
        buf.extend_from_slice(b",\"cut_before\":true");
    }
    if excerpt.cut_after {
        buf.extend_from_slice(b",\"cut_after\":true");
    }
}

/// `{"text":…}` or `{"bytes":…}` for the input's path.
pub fn path_json(input: &InputInfo, out: &mut Vec<u8>) {
    let bytes = input.path_bytes();
    match std::str::from_utf8(&bytes) {
        Ok(text) => {
            out.extend_from_slice(b"{\"text\":");
            json_str(text, out);
            out.push(b'}');
        }
        Err(_) => {
            let _ = json_to_writer(&mut *out, &Data::from_bytes(&bytes));
        }
    }
}

/// The path of `input` as a JSON value.
pub fn path_value(input: &InputInfo) -> Value {
    serde_json::to_value(Data::from_bytes(&input.path_bytes())).unwrap_or(Value::Null)
}

/// Writes a hit on the writing thread, or copies what the workers formatted.
pub(crate) struct HitWriter {
    format: Arc<HitJson>,
    slot: Option<usize>,
    scratch: Formatted,
    on_workers: bool,
}

impl HitWriter {
    pub(crate) fn new(format: HitJson, on_workers: bool) -> HitWriter {
        HitWriter {
            format: Arc::new(format),
            slot: None,
            scratch: Formatted::default(),
            on_workers,
        }
    }

    /// The formatter for the workers, if hits are shown and may be formatted there.
    pub(crate) fn formatters(&mut self, first_slot: usize, show: Show) -> Vec<Arc<dyn FormatHits>> {
        if !self.on_workers || !show.hits {
            return Vec::new();
        }
        self.slot = Some(first_slot);
        vec![self.format.clone()]
    }

    /// Writes `hits`, skipping the first `skip` bytes of the first one.
    pub(crate) fn write(
        &mut self,
        out: &mut dyn Write,
        input: &InputInfo,
        hits: &Hits<'_>,
        mut skip: usize,
    ) -> io::Result<()> {
        if let Some(pre) = self.slot.and_then(|slot| hits.preformatted(slot)) {
            return pre.write_to(out, skip);
        }
        for hit in hits.iter() {
            let mut first = Vec::new();
            if skip > 0 {
                format_now(&*self.format, input, &hit, &mut self.scratch, &mut first)?;
                out.write_all(first.get(skip..).unwrap_or_default())?;
                skip = 0;
            } else {
                format_now(&*self.format, input, &hit, &mut self.scratch, out)?;
            }
        }
        Ok(())
    }
}

/// The summary as a JSON object: the serialised [`Summary`] totals, plus hits per category
/// and the generic-code advice (derived, so readers may ignore them).
pub fn summary_value(context: Context<'_>, summary: &Summary) -> Map<String, Value> {
    let catalog = context.catalog;
    let wire = summary.to_wire(catalog, false);
    let mut map = match serde_json::to_value(&wire) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let mut by_category = Map::new();
    for (category, count) in summary.categories_by_count(catalog) {
        by_category.insert(catalog.category(category).id.clone(), count.into());
    }
    map.insert("by_category".into(), by_category.into());
    map.insert("generic_hits".into(), summary.generic_hits(catalog).into());
    let generic: Vec<Value> = generic_seen(catalog, summary)
        .into_iter()
        .map(|seen| {
            let alongside: Map<String, Value> = seen
                .alongside
                .iter()
                .map(|(code, lines)| (catalog.code(*code).code.clone(), (*lines).into()))
                .collect();
            let mut value = json!({
                "code": catalog.code(seen.code).code,
                "hits": seen.hits,
                "lines": seen.lines,
                "alongside": alongside,
                "paired_in": seen.basis.name(),
            });
            // What the generic code was hiding per request or event, when hits were grouped.
            if let (Basis::Groups { groups, alone }, Some(object)) =
                (seen.basis, value.as_object_mut())
            {
                let with: Map<String, Value> = seen
                    .hiding
                    .iter()
                    .map(|(code, n)| (catalog.code(*code).code.clone(), (*n).into()))
                    .collect();
                object.insert("groups".into(), groups.into());
                object.insert("alone".into(), alone.into());
                object.insert("with".into(), with.into());
            }
            value
        })
        .collect();
    map.insert("generic".into(), generic.into());
    if summary.requests().listed {
        map.insert("requests".into(), requests_note(summary.requests()));
    }
    // Each code's level, and with a baseline how it compares: what the exit status was
    // decided on, for tools that gate on the JSON instead of the status.
    let policy = context.policy;
    let mut levels = Map::new();
    let mut baseline = Map::new();
    // In the order of `by_code`: by name.
    let mut codes: Vec<CodeId> = summary
        .codes_by_count()
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    codes.sort_by(|&a, &b| catalog.code(a).code.cmp(&catalog.code(b).code));
    for code in codes {
        let name = catalog.code(code).code.clone();
        if let Some(change) = policy.change(catalog, summary, code) {
            baseline.insert(name.clone(), change.word().into());
        }
        levels.insert(name, policy.level(catalog, summary, code).word().into());
    }
    map.insert("levels".into(), levels.into());
    if policy.baseline.is_some() {
        map.insert("baseline".into(), baseline.into());
    }
    map.insert("fails".into(), policy.fails(catalog, summary).into());
    // Which catalog made it (JSON lines' `begin` records carry it too): `cbscan report` notes
    // output from another.
    map.insert("catalog".into(), catalog.fingerprint().into());
    map
}

/// One input's row, serialised.
pub(crate) fn input_row(catalog: &Catalog, input: &InputInfo, end: &InputEnd<'_>) -> WireInput {
    let mut row =
        InputSummary::from_counts(input.name.clone(), input.distinct_path_bytes(), end.counts);
    row.error = end.error.map(Error::detail);
    WireInput::from_input(catalog, &row)
}

/// Writes one JSON value and a line break.
fn line(out: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
    json_to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

/// The JSON-lines report.
pub struct JsonlReport<'a> {
    out: Box<dyn Write + 'a>,
    destination: String,
    context: Context<'a>,
    show: Show,
    hits: HitWriter,
    /// [`Catalog::fingerprint`], in `begin` and `summary` records.
    fingerprint: String,
}

impl<'a> JsonlReport<'a> {
    /// A report writing to `out`.
    pub fn new(
        out: Box<dyn Write + 'a>,
        destination: String,
        context: Context<'a>,
        options: ReportOptions,
    ) -> JsonlReport<'a> {
        JsonlReport {
            out,
            destination,
            context,
            show: options.show,
            hits: HitWriter::new(HitJson::new(context.catalog, false), options.on_workers),
            fingerprint: context.catalog.fingerprint(),
        }
    }
}

/// A record naming an input: `{"type":…,"path":…,<more>}`.
fn input_record(kind: &str, input: &InputInfo, more: Value) -> Value {
    let mut map = Map::new();
    map.insert("type".into(), kind.into());
    if kind == "begin" {
        map.insert("schema".into(), SCHEMA.into());
    }
    map.insert("path".into(), path_value(input));
    if let Value::Object(more) = more {
        map.extend(more);
    }
    Value::Object(map)
}

impl Sink for JsonlReport<'_> {
    fn wants_hits(&self) -> bool {
        self.show.hits
    }
    fn formatters(&mut self, first_slot: usize) -> Vec<Arc<dyn FormatHits>> {
        self.hits.formatters(first_slot, self.show)
    }
    fn begin_input(&mut self, input: &InputInfo) -> io::Result<()> {
        if !self.show.hits {
            return Ok(());
        }
        let mut more = json!({"catalog": self.fingerprint});
        // An input without a path that is not standard input (one that could not be opened
        // or listed, a library's bytes): said, so that `cbscan report` shows it as the scan did.
        if input.path.is_none() && input.name != crate::input::STDIN_NAME {
            more["file"] = false.into();
        }
        line(&mut self.out, &input_record("begin", input, more))
    }
    fn hits(&mut self, input: &InputInfo, hits: &Hits<'_>) -> io::Result<()> {
        if !self.show.hits {
            return Ok(());
        }
        self.hits.write(&mut self.out, input, hits, 0)
    }
    fn notice(&mut self, input: &InputInfo, notice: &Notice) -> io::Result<()> {
        if !self.show.hits {
            return Ok(());
        }
        let more = json!({"kind": notice.kind(), "message": notice.to_string()});
        line(&mut self.out, &input_record("notice", input, more))
    }
    fn end_input(&mut self, input: &InputInfo, end: &InputEnd<'_>) -> io::Result<()> {
        if !self.show.hits {
            return Ok(());
        }
        if let Some(error) = end.error {
            let more = json!({"message": error.detail()});
            line(&mut self.out, &input_record("error", input, more))?;
        }
        // Codes not in the catalog: one record per code and input, at the input's end, for its
        // first occurrence with the count (a new code repeated 100,000 times is one record).
        for (code, seen) in end.counts.unknown().codes() {
            let more = json!({
                "line": seen.first.line,
                "column": seen.first.column,
                "code": code,
                "count": seen.count,
                "text": seen.first.text,
            });
            line(&mut self.out, &input_record("unknown", input, more))?;
        }
        let row = input_row(self.context.catalog, input, end);
        let value = match serde_json::to_value(&row).map_err(io::Error::other)? {
            Value::Object(map) => {
                Value::Object(map.into_iter().filter(|(k, _)| k != "path").collect())
            }
            other => other,
        };
        line(&mut self.out, &input_record("end", input, value))
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
    fn interim(&mut self, done: &ScanDone<'_>) -> io::Result<()> {
        if self.show.summary {
            self.summary_record(done, false)?;
        }
        self.out.flush()
    }
    fn finish(&mut self, done: &ScanDone<'_>) -> io::Result<()> {
        // `--by-request`: a `request` record per request, most affected first, before the
        // summary.
        for entry in &done.summary.requests().entries {
            let mut record = Map::new();
            record.insert("type".into(), "request".into());
            record.extend(request_value(self.context.catalog, entry));
            line(&mut self.out, &record)?;
        }
        if self.show.summary {
            self.summary_record(done, true)?;
        }
        self.out.flush()
    }
}

impl JsonlReport<'_> {
    /// A `summary` record; a running one (`follow --summary-interval`) says `"final":false`.
    fn summary_record(&mut self, done: &ScanDone<'_>, last: bool) -> io::Result<()> {
        let mut record = Map::new();
        record.insert("type".into(), "summary".into());
        if !last {
            record.insert("final".into(), false.into());
        }
        record.extend(summary_value(self.context, done.summary));
        line(&mut self.out, &record)
    }
}

impl Report for JsonlReport<'_> {
    fn destination(&self) -> String {
        self.destination.clone()
    }
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
        // Issue 10: numeric-only entries, shared names, meanings inferred from logs.
        "number": entry.number(),
        "shared": entry.shared,
        "basis": if entry.inferred { "logs" } else { "table" },
        "doc": catalog.doc_url(code),
    })
}
