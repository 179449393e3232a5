//! Report writers: they turn scan events (see [`crate::sink`]) into text and never search.
//!
//! - [`human`]: what a person reads in a terminal, optionally coloured.
//! - [`jsonl`]: JSON lines, the versioned machine-readable public interface.
//! - [`json`]: one JSON document for the whole scan.
//! - [`list`]: per-input lines: hit counts (`-c`) or names of inputs with hits (`-l`).
//! - [`sarif`]: SARIF 2.1.0, for code scanning (GitHub) and SARIF viewers.
//! - [`github`]: GitHub Actions workflow commands: one annotation per input and code.
//! - [`gitlab`]: GitLab Code Quality JSON.
//! - [`junit`]: JUnit XML, for CI test-report views.
//! - [`markdown`]: a summary people read (a GitHub job summary, a merge-request note).
//! - [`html`]: one self-contained HTML page with charts ([`svg`]), for after an incident.
//! - [`requests`]: `--by-request`'s listing as records and text.
//! - [`findings`]: what those end-of-scan formats keep of the hits, in bounded memory.
//! - [`gathered`]: the one report that keeps them and has the format write at the end.
//! - [`escape`]: the one text pipeline and an escaper per consumer.
//! - [`read`]: saved JSON lines played back into any writer (`cbscan report`).
//!
//! Every writer is a [`Report`]; [`crate::sink::Tee`] feeds several from one scan.

pub mod escape;
pub mod findings;
pub mod gathered;
pub mod github;
pub mod gitlab;
pub mod html;
pub mod human;
pub mod json;
pub mod jsonl;
pub mod junit;
pub mod list;
pub mod markdown;
pub mod read;
pub mod requests;
pub mod sarif;
pub mod svg;

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::catalog::Catalog;
use crate::policy::Policy;
pub use crate::sink::Report;
use gathered::GatheredReport;
use github::Github;
use gitlab::Gitlab;
use junit::Junit;
use markdown::Markdown;
use sarif::Sarif;

/// `1234567` → `1,234,567`: counts as people read them.
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For people: each hit with its meaning, then a summary.
    Human,
    /// JSON lines (schema 2): `begin`, `hit`, `error`, `notice`, `end`, `summary` records.
    Jsonl,
    /// One JSON document: `{"schema":…,"hits":[…],"inputs":[…],"summary":{…}}`.
    Json,
    /// `PATH:HITS` for each input with hits (`-c`).
    Count,
    /// The name of each input with hits (`-l`).
    Files,
    /// SARIF 2.1.0.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// GitLab Code Quality JSON.
    Gitlab,
    /// JUnit XML.
    Junit,
    /// Markdown.
    Markdown,
    /// One self-contained HTML page with charts.
    Html,
}

impl Format {
    /// Every format, with its name, for help and errors.
    pub const ALL: [(Format, &'static str); 11] = [
        (Format::Human, "human"),
        (Format::Jsonl, "jsonl"),
        (Format::Json, "json"),
        (Format::Count, "count"),
        (Format::Files, "files"),
        (Format::Sarif, "sarif"),
        (Format::Github, "github"),
        (Format::Gitlab, "gitlab"),
        (Format::Junit, "junit"),
        (Format::Markdown, "markdown"),
        (Format::Html, "html"),
    ];

    /// The format's name.
    pub fn name(self) -> &'static str {
        Format::ALL
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("human", |(_, name)| name)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        Format::ALL
            .iter()
            .find(|(_, name)| name.eq_ignore_ascii_case(s))
            .map(|(format, _)| *format)
            .ok_or_else(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|(_, n)| *n).collect();
                format!("unknown format {s:?} (known: {})", names.join(", "))
            })
    }
}

/// `FORMAT=PATH`: a report written to a file beside the one on standard output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSpec {
    /// The format.
    pub format: Format,
    /// The file to write (created or truncated).
    pub path: PathBuf,
}

impl FromStr for ReportSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<ReportSpec, String> {
        let Some((format, path)) = s.split_once('=') else {
            return Err(format!(
                "{s:?}: expected FORMAT=PATH, as in json=report.json"
            ));
        };
        if path.is_empty() {
            return Err(format!("{s:?}: the path after `=` is empty"));
        }
        if path == "-" {
            return Err(format!(
                "{s:?}: a report goes to a file; for standard output use --format {format}"
            ));
        }
        Ok(ReportSpec {
            format: format.parse()?,
            path: PathBuf::from(path),
        })
    }
}

/// What a report shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Show {
    /// Hits (and, in machine formats, the per-input records).
    pub hits: bool,
    /// The summary.
    pub summary: bool,
}

impl Show {
    /// Everything.
    pub const ALL: Show = Show {
        hits: true,
        summary: true,
    };
}

/// How a report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportOptions {
    /// What it shows.
    pub show: Show,
    /// Whether to colour (human output).
    pub color: bool,
    /// Terminal width to keep each hit's first line within, if the output is a terminal.
    pub width: Option<usize>,
    /// Whether the output is a terminal (names are then made safe to show; elsewhere they are
    /// written as their bytes, for other programs to use).
    pub terminal: bool,
    /// Whether hits may be formatted on the scan's worker threads.
    pub on_workers: bool,
    /// Whether hits are listed per request (`--by-request`): a human report then shows the
    /// requests instead of each hit.
    pub by_request: bool,
}

impl Default for ReportOptions {
    fn default() -> ReportOptions {
        ReportOptions {
            show: Show::ALL,
            color: false,
            width: None,
            terminal: false,
            on_workers: true,
            by_request: false,
        }
    }
}

/// What every report writes from besides the scan's events: the catalog (what codes mean),
/// the policy (each code's level, the baseline), and the folder paths are shown relative to.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The catalog.
    pub catalog: &'a Catalog,
    /// The policy.
    pub policy: &'a Policy,
    /// Paths in CI formats are relative to this folder (`--base-dir`; the current folder).
    pub base_dir: &'a Path,
}

/// A report in `format` writing to `out`, which `destination` names in messages.
pub fn new_report<'a>(
    format: Format,
    out: Box<dyn Write + 'a>,
    destination: String,
    context: Context<'a>,
    options: ReportOptions,
) -> Box<dyn Report + 'a> {
    match format {
        Format::Human => Box::new(human::HumanReport::new(out, destination, context, options)),
        Format::Jsonl => Box::new(jsonl::JsonlReport::new(out, destination, context, options)),
        Format::Json => Box::new(json::JsonReport::new(out, destination, context, options)),
        Format::Count => Box::new(list::ListReport::new(
            out,
            destination,
            true,
            options.terminal,
        )),
        Format::Files => Box::new(list::ListReport::new(
            out,
            destination,
            false,
            options.terminal,
        )),
        Format::Sarif => Box::new(GatheredReport::new(out, destination, context, Sarif)),
        Format::Github => Box::new(GatheredReport::new(out, destination, context, Github)),
        Format::Gitlab => Box::new(GatheredReport::new(out, destination, context, Gitlab)),
        Format::Junit => Box::new(GatheredReport::new(out, destination, context, Junit)),
        Format::Markdown => Box::new(GatheredReport::new(out, destination, context, Markdown)),
        Format::Html => Box::new(html::HtmlReport::new(out, destination, context)),
    }
}

/// `2024-05-15T21:58:47Z – 2024-05-15T21:58:49.646Z (2.646s)`: a time span for people. A
/// span with a time local to the log (zone unknown) says so, and gives no length when only one
/// end is local (their difference is off by the unknown offset).
pub fn time_span_text(span: &crate::summary::Seen) -> String {
    let (first, last) = (span.first.time, span.last.time);
    let mut text = format!("{first} – {last}");
    if first.is_zoned() == last.is_zoned() {
        let (a, b) = (first.sort_key(), last.sort_key());
        let nanos = (i128::from(b.0) - i128::from(a.0)) * 1_000_000_000 + i128::from(b.1 - a.1);
        if let Ok(nanos) = u64::try_from(nanos) {
            let length = crate::text::duration(std::time::Duration::from_nanos(nanos));
            text.push_str(&format!(" ({length})"));
        }
    }
    if !(first.is_zoned() && last.is_zoned()) {
        text.push_str(", times without a zone as the log wrote them");
    }
    text
}
