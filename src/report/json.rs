//! The JSON report: one document for the whole scan, for tools that read a file at once.
//!
//! ```text
//! {"schema":2,"hits":[
//! {"path":{"text":…},"line":…,…},
//! …
//! ],"inputs":[{"path":…,"complete":…,"bytes":…,…}],"notices":[…],"requests":[…],"summary":{…}}
//! ```
//!
//! Hits stream out as they are found (memory stays bounded); the per-input rows and notices,
//! one per input at most, are kept until the end. Hits are the same objects as JSON lines'
//! `hit` records without `type`; `summary` is the JSON-lines `summary` record without `type`; `requests`
//! (with `--by-request` only) holds the JSON-lines `request` records without `type`.

use std::io::{self, Write};
use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::escape::json_to_writer;
use super::jsonl::{input_row, path_value, summary_value, HitJson, HitWriter};
use super::requests::request_value;
use super::{Context, ReportOptions, Show};
use crate::scan::Notice;
use crate::sink::{FormatHits, Hits, InputEnd, InputInfo, Report, ScanDone, Sink};
use crate::summary::wire::{WireInput, SCHEMA};

/// The JSON report.
pub struct JsonReport<'a> {
    out: Box<dyn Write + 'a>,
    destination: String,
    context: Context<'a>,
    show: Show,
    hits: HitWriter,
    started: bool,
    any_hit: bool,
    inputs: Vec<WireInput>,
    notices: Vec<Value>,
}

impl<'a> JsonReport<'a> {
    /// A report writing to `out`.
    pub fn new(
        out: Box<dyn Write + 'a>,
        destination: String,
        context: Context<'a>,
        options: ReportOptions,
    ) -> JsonReport<'a> {
        JsonReport {
            out,
            destination,
            context,
            show: options.show,
            hits: HitWriter::new(HitJson::new(context.catalog, true), options.on_workers),
            started: false,
            any_hit: false,
            inputs: Vec::new(),
            notices: Vec::new(),
        }
    }

    fn start(&mut self) -> io::Result<()> {
        if !self.started {
            self.started = true;
            write!(self.out, "{{\"schema\":{SCHEMA},\"hits\":[")?;
        }
        Ok(())
    }
}

impl Sink for JsonReport<'_> {
    fn wants_hits(&self) -> bool {
        self.show.hits
    }
    fn formatters(&mut self, first_slot: usize) -> Vec<Arc<dyn FormatHits>> {
        self.hits.formatters(first_slot, self.show)
    }
    fn begin_input(&mut self, _input: &InputInfo) -> io::Result<()> {
        self.start()
    }
    fn hits(&mut self, input: &InputInfo, hits: &Hits<'_>) -> io::Result<()> {
        if !self.show.hits || hits.is_empty() {
            return Ok(());
        }
        self.start()?;
        // Each hit starts with the comma that separates it from the one before.
        let skip = usize::from(!self.any_hit);
        self.any_hit = true;
        self.hits.write(&mut self.out, input, hits, skip)
    }
    fn notice(&mut self, input: &InputInfo, notice: &Notice) -> io::Result<()> {
        self.notices.push(json!({
            "path": path_value(input),
            "kind": notice.kind(),
            "message": notice.to_string(),
        }));
        Ok(())
    }
    fn end_input(&mut self, input: &InputInfo, end: &InputEnd<'_>) -> io::Result<()> {
        self.inputs
            .push(input_row(self.context.catalog, input, end));
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
    fn finish(&mut self, done: &ScanDone<'_>) -> io::Result<()> {
        self.start()?;
        if self.any_hit {
            self.out.write_all(b"\n")?;
        }
        self.out.write_all(b"],\"inputs\":")?;
        json_to_writer(&mut self.out, &self.inputs)?;
        self.out.write_all(b",\"notices\":")?;
        json_to_writer(&mut self.out, &self.notices)?;
        let requests = done.summary.requests();
        if requests.listed {
            let values: Vec<Map<String, Value>> = requests
                .entries
                .iter()
                .map(|entry| request_value(self.context.catalog, entry))
                .collect();
            self.out.write_all(b",\"requests\":")?;
            json_to_writer(&mut self.out, &values)?;
        }
        if self.show.summary {
            self.out.write_all(b",\"summary\":")?;
            let summary: Map<String, Value> = summary_value(self.context, done.summary);
            json_to_writer(&mut self.out, &summary)?;
        }
        self.out.write_all(b"}\n")?;
        self.out.flush()
    }
}

impl Report for JsonReport<'_> {
    fn destination(&self) -> String {
        self.destination.clone()
    }
}
