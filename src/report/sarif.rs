//! SARIF 2.1.0 output, for GitHub code scanning and other SARIF viewers: one run, one rule per
//! code seen, one result per kept hit (at most [`MAX_RESULTS`], GitHub's limit per run).
//!
//! Built from `serde-sarif`'s typed model, except the top level and the results: the log's
//! `version` and the run's results are written by this file's own small structs, so that the
//! results are made one at a time while they are written instead of all at once.
//!
//! Choices a reader of the output should know:
//! - Paths are relative to `--base-dir` (`uriBaseId` `%SRCROOT%`, which `originalUriBaseIds`
//!   points at the folder), percent-encoded; an input outside it gets an absolute `file://`
//!   URI; standard input is the relative URI `stdin` with no base, described as standard input.
//! - Columns count Unicode code points (`columnKind`); a hit far into a long line, whose line
//!   start was not at hand, has a line and no columns.
//! - `partialFingerprints."cbscanLineHash/v1"` hashes the path, the code, the line's text with
//!   its numbers blanked, and how many such hits came before: lines added above do not change
//!   it, another timestamp on the same message does not either.
//! - `baselineState` (with `--baseline`) is per code, as the baseline counts lines per code:
//!   `new` (code not in the baseline), `updated` (on more lines), `unchanged`.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::PathBuf;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Serialize, Serializer};
use serde_sarif::sarif;

use super::escape::json_to_writer;
use super::findings::{self, Spot};
use super::gathered::{EndOfScan, Gathered};
use super::{group, Context};
use crate::advice;
use crate::baseline::Change;
use crate::catalog::{Catalog, CodeEntry, CodeId};
use crate::input::STDIN_NAME;
use crate::limits::MAX_RESULTS;
use crate::policy::Level;
use crate::sink::{InputInfo, ScanDone};
use crate::summary::Counts;

/// The JSON schema the log names.
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Where the tool's codes are documented (the project has no home page of its own).
const INFORMATION_URI: &str = "https://docs.cloudbase.net/error-code/basic";

/// The base id relative URIs are resolved against.
const SRCROOT: &str = "%SRCROOT%";

/// The partial fingerprint's name: versioned, so a change of the hash is a new name.
pub const FINGERPRINT_KEY: &str = "cbscanLineHash/v1";

/// Bytes a URI path may hold as they are: the unreserved characters (RFC 3986) and `/`.
/// Everything else is percent-encoded, including `:` (a relative URI whose first segment has
/// one would read as a scheme), `%`, `#`, `?`, space and every byte of a non-ASCII char.
const URI_PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// SARIF, written at the end of the scan by a
/// [`GatheredReport`](super::gathered::GatheredReport).
pub struct Sarif;

impl EndOfScan for Sarif {
    fn write(&self, mut scan: Gathered<'_>, done: &ScanDone<'_>) -> io::Result<()> {
        let counts: &Counts = done.summary;
        let codes = CodeFacts::of_scan(scan.context, counts);
        let run = self.run(&scan, counts, &codes);
        let places: Vec<Place> = scan
            .findings
            .inputs
            .iter()
            .map(|input| Place::of(&input.info, scan.context))
            .collect();
        let log = Log {
            schema: SCHEMA,
            version: "2.1.0",
            runs: [RunOut {
                run,
                results: ResultsOut {
                    catalog: scan.context.catalog,
                    codes: &codes,
                    places: &places,
                    spots: scan.findings.by_level(|code| codes.level(code)),
                },
            }],
        };
        json_to_writer(&mut scan.out, &log)?;
        scan.out.write_all(b"\n")
    }
}

impl Sarif {
    /// The run, without its results.
    fn run(&self, scan: &Gathered<'_>, counts: &Counts, codes: &CodeFacts) -> sarif::Run {
        let catalog = scan.context.catalog;
        let rules: Vec<sarif::ReportingDescriptor> = codes
            .seen
            .iter()
            .map(|(&code, fact)| rule(catalog, code, fact.level))
            .collect();
        let driver = sarif::ToolComponent::builder()
            .name("cbscan")
            .full_name(concat!("cbscan ", env!("CARGO_PKG_VERSION")))
            .version(env!("CARGO_PKG_VERSION"))
            .information_uri(INFORMATION_URI)
            .rules(rules)
            .build();
        let base = base_uri(scan.context);
        sarif::Run::builder()
            .tool(sarif::Tool::builder().driver(driver).build())
            .invocations(vec![self.invocation(scan, counts)])
            .column_kind("unicodeCodePoints")
            .original_uri_base_ids(BTreeMap::from([(
                SRCROOT.to_string(),
                sarif::ArtifactLocation::builder().uri(base).build(),
            )]))
            .properties(
                sarif::PropertyBag::builder()
                    .additional_properties(BTreeMap::from([
                        ("files".to_string(), counts.files().into()),
                        ("lines".to_string(), counts.lines().into()),
                        ("hits".to_string(), counts.hits().into()),
                        ("linesWithHits".to_string(), counts.lines_with_hits().into()),
                        ("errors".to_string(), counts.errors().into()),
                        (
                            "resultsLeftOut".to_string(),
                            (counts.hits() - scan.findings.kept().count() as u64).into(),
                        ),
                    ]))
                    .build(),
            )
            .build()
    }

    /// The invocation: whether every input was read, and why not.
    fn invocation(&self, scan: &Gathered<'_>, counts: &Counts) -> sarif::Invocation {
        let mut notifications = Vec::new();
        for input in &scan.findings.inputs {
            if let Some(error) = &input.error {
                let place = Place::of(&input.info, scan.context);
                notifications.push(
                    sarif::Notification::builder()
                        .level("error")
                        .message(message(format!("{}: {error}", input.info.name)))
                        .locations(vec![sarif::Location::builder()
                            .physical_location(
                                sarif::PhysicalLocation::builder()
                                    .artifact_location(place.artifact)
                                    .build(),
                            )
                            .build()])
                        .build(),
                );
            }
        }
        let left_out = scan.findings.left_out();
        if left_out > 0 {
            notifications.push(
                sarif::Notification::builder()
                    .level("note")
                    .message(message(format!(
                        "{} of {} hits are not listed as results: a SARIF run holds at most {} \
                         (GitHub code scanning's limit). Hits of codes that may fail the scan \
                         were kept first, then specific codes, then generic ones; the counts in \
                         the run's properties include every hit.",
                        group(left_out),
                        group(counts.hits()),
                        group(MAX_RESULTS as u64),
                    )))
                    .build(),
            );
        }
        let held_back = counts.hits().saturating_sub(scan.findings.received());
        if held_back > 0 {
            notifications.push(
                sarif::Notification::builder()
                    .level("note")
                    .message(message(format!(
                        "{} of {} hits are not listed as results: --max-hits held them back; \
                         the counts in the run's properties include every hit.",
                        group(held_back),
                        group(counts.hits()),
                    )))
                    .build(),
            );
        }
        let successful = counts.errors() == 0
            && scan
                .findings
                .inputs
                .iter()
                .all(|input| input.error.is_none());
        let invocation = sarif::Invocation::builder().execution_successful(successful);
        if notifications.is_empty() {
            invocation.build()
        } else {
            invocation
                .tool_execution_notifications(notifications)
                .build()
        }
    }
}

/// What the end-of-scan formats say about each code the scan saw.
pub(super) struct CodeFacts {
    /// Each code with hits, in catalog order.
    pub seen: BTreeMap<CodeId, CodeFact>,
}

/// One code's level, baseline comparison and lines in a scan.
pub(super) struct CodeFact {
    pub level: Level,
    pub change: Option<Change>,
    pub lines: u64,
    /// Its index among the codes seen (a SARIF rule's index).
    pub index: usize,
}

impl CodeFacts {
    /// The facts of every code `counts` has hits of.
    pub fn of_scan(context: Context<'_>, counts: &Counts) -> CodeFacts {
        let mut codes: Vec<CodeId> = counts
            .codes_by_count()
            .into_iter()
            .filter(|(_, c)| c.hits > 0)
            .map(|(code, _)| code)
            .collect();
        codes.sort_unstable();
        let seen = codes
            .into_iter()
            .enumerate()
            .map(|(index, code)| {
                let fact = CodeFact {
                    level: context.policy.level(context.catalog, counts, code),
                    change: context.policy.change(context.catalog, counts, code),
                    lines: counts.code(code).lines,
                    index,
                };
                (code, fact)
            })
            .collect();
        CodeFacts { seen }
    }

    /// `code`'s level (a note for a code without hits, which no kept hit can have).
    pub fn level(&self, code: CodeId) -> Level {
        self.seen.get(&code).map_or(Level::Note, |fact| fact.level)
    }

    /// The text every result of `code` carries: the code, its meaning, and how it compares
    /// with the baseline when it is new or grew.
    pub fn message(&self, catalog: &Catalog, code: CodeId) -> String {
        let entry = catalog.code(code);
        let mut text = format!("{}: {}", entry.code, meaning(entry));
        match self
            .seen
            .get(&code)
            .and_then(|fact| fact.change.map(|c| (c, fact.lines)))
        {
            Some((Change::New, _)) => text.push_str(" (new since the baseline)"),
            Some((Change::Grew { was }, lines)) => text.push_str(&format!(
                " (on more lines than in the baseline: {} now, {} then)",
                group(lines),
                group(was)
            )),
            Some((Change::Known { .. }, _)) | None => {}
        }
        text
    }
}

/// `zh · en`, or whichever of the two the catalog has.
pub(super) fn meaning(entry: &CodeEntry) -> String {
    match (entry.zh.is_empty(), entry.en.is_empty()) {
        (false, false) => format!("{} · {}", entry.zh, entry.en),
        (false, true) => entry.zh.clone(),
        (true, false) => entry.en.clone(),
        (true, true) => entry.code.clone(),
    }
}

/// `info`'s path relative to the base folder (absolute when outside it); `None` for standard
/// input. An input without a path that is not standard input (one that could not even be
/// listed, named as the user typed it) is taken to be at its name.
pub(super) fn input_path(info: &InputInfo, context: Context<'_>) -> Option<String> {
    if info.path.is_some() {
        return findings::relative_path(info, context.base_dir);
    }
    if info.name == STDIN_NAME {
        return None;
    }
    let named = InputInfo {
        path: Some(PathBuf::from(&info.name)),
        ..info.clone()
    };
    findings::relative_path(&named, context.base_dir)
}

/// The path a format shows for `info` and puts into its fingerprints: [`input_path`], or the
/// input's name (`<stdin>`) for standard input.
pub(super) fn shown_path(info: &InputInfo, context: Context<'_>) -> String {
    input_path(info, context).unwrap_or_else(|| info.name.clone())
}

/// Where an input's results are: its artifact location, and the path its fingerprints hash.
struct Place {
    artifact: sarif::ArtifactLocation,
    path: String,
}

impl Place {
    fn of(info: &InputInfo, context: Context<'_>) -> Place {
        let path = shown_path(info, context);
        let artifact = match input_path(info, context) {
            // Standard input is no file: a relative URI with no base, which no viewer will
            // resolve to a file of the repository, described as what it is.
            None => sarif::ArtifactLocation::builder()
                .uri("stdin")
                .description(message("standard input".to_string()))
                .build(),
            Some(absolute) if absolute.starts_with('/') => sarif::ArtifactLocation::builder()
                .uri(format!("file://{}", encode_path(&absolute)))
                .build(),
            Some(relative) => sarif::ArtifactLocation::builder()
                .uri(encode_path(&relative))
                .uri_base_id(SRCROOT)
                .build(),
        };
        Place { artifact, path }
    }
}

/// `path` with every byte but the unreserved ones and `/` percent-encoded.
pub fn encode_path(path: &str) -> String {
    utf8_percent_encode(path, URI_PATH).to_string()
}

/// The base folder as an absolute `file://` URI ending in `/`, as `originalUriBaseIds` wants.
fn base_uri(context: Context<'_>) -> String {
    let base = findings::absolute(context.base_dir);
    let parts: Vec<String> = base
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    let mut uri = format!("file:///{}", encode_path(&parts.join("/")));
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// A plain-text message.
fn message(text: String) -> sarif::Message {
    sarif::Message::builder().text(text).build()
}

/// A plain-text message string (a rule's descriptions and help).
fn text(text: String) -> sarif::MultiformatMessageString {
    sarif::MultiformatMessageString::builder()
        .text(text)
        .build()
}

/// `DATABASE_TIMEOUT` → `DatabaseTimeout`: the rule's name, an identifier as SARIF asks.
fn camel(code: &str) -> String {
    let mut name = String::with_capacity(code.len());
    for word in code.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.push(first.to_ascii_uppercase());
            name.extend(chars.map(|c| c.to_ascii_lowercase()));
        }
    }
    if name.is_empty() {
        code.to_string()
    } else {
        name
    }
}

/// The rule of `code`.
fn rule(catalog: &Catalog, code: CodeId, level: Level) -> sarif::ReportingDescriptor {
    let entry = catalog.code(code);
    let category = catalog.category(entry.category);
    let short = if entry.en.is_empty() {
        &entry.zh
    } else {
        &entry.en
    };
    let mut tags = vec![category.id.clone()];
    if entry.is_generic() {
        tags.push("generic".to_string());
    }
    let properties = sarif::PropertyBag::builder()
        .tags(tags)
        .additional_properties(BTreeMap::from([
            ("category".to_string(), category.id.clone().into()),
            ("generic".to_string(), entry.is_generic().into()),
        ]))
        .build();
    let configuration = sarif::ReportingConfiguration::builder()
        .level(level.word())
        .build();
    let descriptor = sarif::ReportingDescriptor::builder()
        .id(entry.code.clone())
        .name(camel(&entry.code))
        .short_description(text(if short.is_empty() {
            entry.code.clone()
        } else {
            short.clone()
        }))
        .full_description(text(meaning(entry)))
        .help(text(advice::explain(catalog, code).join("\n")))
        .default_configuration(configuration)
        .properties(properties);
    match catalog.doc_url(code) {
        Some(url) => descriptor.help_uri(url).build(),
        None => descriptor.build(),
    }
}

/// The log: `version` is a plain string here (serde-sarif's is an untyped JSON value).
#[derive(Serialize)]
struct Log<'r> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [RunOut<'r>; 1],
}

/// The run, with its results made as they are written.
#[derive(Serialize)]
struct RunOut<'r> {
    #[serde(flatten)]
    run: sarif::Run,
    results: ResultsOut<'r>,
}

/// The kept hits, turned into results one at a time while they are written.
struct ResultsOut<'r> {
    catalog: &'r Catalog,
    codes: &'r CodeFacts,
    places: &'r [Place],
    spots: Vec<(&'r Spot, u64)>,
}

impl Serialize for ResultsOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The message is the same for every hit of a code: made once per code.
        let mut messages: HashMap<CodeId, String> = HashMap::new();
        serializer.collect_seq(self.spots.iter().filter_map(|&(spot, occurrence)| {
            let text = messages
                .entry(spot.code)
                .or_insert_with(|| self.codes.message(self.catalog, spot.code))
                .clone();
            self.result(spot, occurrence, text)
        }))
    }
}

impl ResultsOut<'_> {
    /// The result of one kept hit (`None` only if its input is unknown, which cannot be).
    fn result(&self, spot: &Spot, occurrence: u64, text: String) -> Option<sarif::Result> {
        let place = self.places.get(spot.input)?;
        let fact = self.codes.seen.get(&spot.code)?;
        let entry = self.catalog.code(spot.code);
        let region = match spot.char_column {
            Some(column) => sarif::Region::builder()
                .start_line(spot.line as i64)
                .start_column(column as i64)
                .end_column((column + spot.char_len) as i64)
                .build(),
            None => sarif::Region::builder()
                .start_line(spot.line as i64)
                .build(),
        };
        let location = sarif::Location::builder()
            .physical_location(
                sarif::PhysicalLocation::builder()
                    .artifact_location(place.artifact.clone())
                    .region(region)
                    .build(),
            )
            .build();
        let fingerprint =
            findings::fingerprint(&place.path, &entry.code, spot.text_hash, occurrence);
        let level = match fact.level {
            Level::Error => sarif::ResultLevel::Error,
            Level::Warning => sarif::ResultLevel::Warning,
            Level::Note => sarif::ResultLevel::Note,
        };
        let result = sarif::Result::builder()
            .rule_id(entry.code.clone())
            .rule_index(fact.index as i64)
            .level(level)
            .message(message(text))
            .locations(vec![location])
            .partial_fingerprints(BTreeMap::from([(FINGERPRINT_KEY.to_string(), fingerprint)]));
        Some(match fact.change {
            Some(change) => result.baseline_state(baseline_state(change)).build(),
            None => result.build(),
        })
    }
}

/// SARIF's word for how a code compares with the baseline.
fn baseline_state(change: Change) -> &'static str {
    match change {
        Change::New => "new",
        Change::Grew { .. } => "updated",
        Change::Known { .. } => "unchanged",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_paths_keep_slashes_and_encode_the_rest() {
        assert_eq!(encode_path("logs/a b#1?%.log"), "logs/a%20b%231%3F%25.log");
        assert_eq!(encode_path("日志/x:y.log"), "%E6%97%A5%E5%BF%97/x%3Ay.log");
        assert_eq!(encode_path("a-b_c.d~e"), "a-b_c.d~e");
    }

    #[test]
    fn rule_names_are_upper_camel_case() {
        assert_eq!(camel("DATABASE_TIMEOUT"), "DatabaseTimeout");
        assert_eq!(camel("SYS_ERR"), "SysErr");
    }
}
