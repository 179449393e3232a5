//! What the end-of-scan formats (SARIF, GitHub annotations, GitLab Code Quality, JUnit,
//! Markdown) keep of a scan's hits, in bounded memory: per input and code, the first few
//! places ([`FIRST_SPOTS`]); and across the scan, at most [`MAX_RESULTS`] places, the most
//! severe first — the hits a one-result-per-hit format (SARIF, GitLab) lists.
//!
//! Counts are not kept here: they are the summary's ([`crate::summary::Summary::inputs`]
//! has hits and lines per code per input), which is exact whatever was left out.
//!
//! Severity is only known at the end (a threshold is passed, or not, by the last line), so
//! which hits to keep is decided by what *may* fail: hits of codes a `--fail-on` rule covers
//! are kept before specific codes, and those before generic ones, then in scan order.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use crate::catalog::{Catalog, CodeId};
use crate::limits::{FIRST_SPOTS, MAX_RESULTS};
use crate::policy::{Level, Policy};
use crate::scan::Hit;
use crate::sink::{InputEnd, InputInfo};
use crate::summary::CodeCounts;
use crate::text::count_chars;

/// One hit, as the end-of-scan formats keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spot {
    /// The input's index in [`Findings::inputs`].
    pub input: usize,
    /// The code.
    pub code: CodeId,
    /// 1-based line.
    pub line: u64,
    /// 1-based column in bytes.
    pub column: u64,
    /// 1-based column in characters (Unicode code points; a byte that is not UTF-8 counts as
    /// one): [`Hit::char_column`], which the scanner knows however long the line.
    pub char_column: Option<u64>,
    /// The matched text's length in characters (a code or a numeric alias), so a format that
    /// counts columns in characters can say where the hit ends.
    pub char_len: u64,
    /// A hash of the line's text with every run of digits made one `0`: the same log line in
    /// another run (another timestamp, another request id) hashes the same, wherever it is.
    pub text_hash: u64,
}

/// One code in one input: its counts and its first hits.
#[derive(Debug, Clone, Default)]
pub struct CodeSpots {
    /// Its hits and lines in the input (every hit, also those `--max-hits` did not show).
    pub counts: CodeCounts,
    /// The first [`FIRST_SPOTS`] hits shown, in order.
    pub first: Vec<Spot>,
}

/// One input, as the end-of-scan formats keep it.
#[derive(Debug, Clone)]
pub struct InputFindings {
    /// The input.
    pub info: InputInfo,
    /// Its codes, in catalog order.
    pub codes: BTreeMap<CodeId, CodeSpots>,
    /// Whether it was read to its end.
    pub complete: bool,
    /// Its lines with at least one hit.
    pub lines_with_hits: u64,
    /// Why it was not, if an error stopped it.
    pub error: Option<String>,
}

/// Hits kept for the end of the scan.
#[derive(Debug, Default)]
pub struct Findings {
    /// Every input begun, in scan order.
    pub inputs: Vec<InputFindings>,
    /// Kept hits by tier: 0 codes that may fail, 1 other specific codes, 2 other generic
    /// codes. Together at most [`MAX_RESULTS`].
    tiers: [Vec<Spot>; 3],
    /// Hits not kept in `tiers`.
    left_out: u64,
}

impl Findings {
    /// An input begins.
    pub fn begin_input(&mut self, info: &InputInfo) {
        self.inputs.push(InputFindings {
            info: info.clone(),
            codes: BTreeMap::new(),
            complete: false,
            lines_with_hits: 0,
            error: None,
        });
    }

    /// Where `info` is in `inputs`: inputs end in the order they began in a scan, but a
    /// follow interleaves them, so the last one begun is looked at first, then the others.
    fn position(&self, info: &InputInfo) -> Option<usize> {
        self.inputs.iter().rposition(|i| i.info.index == info.index)
    }

    /// An input ended.
    pub fn end_input(&mut self, info: &InputInfo, end: &InputEnd<'_>) {
        let Some(at) = self.position(info) else {
            return;
        };
        let input = &mut self.inputs[at];
        input.complete = end.counts.files() > 0;
        input.lines_with_hits = end.counts.lines_with_hits();
        input.error = end.error.map(|e| e.detail());
        for (code, counts) in end.counts.codes_by_count() {
            input.codes.entry(code).or_default().counts = counts;
        }
    }

    /// A hit of `info`.
    pub fn hit(&mut self, catalog: &Catalog, policy: &Policy, info: &InputInfo, hit: &Hit<'_>) {
        let Some(input) = self.position(info) else {
            return;
        };
        let excerpt = &hit.excerpt;
        let char_column = hit.char_column();
        let spot = Spot {
            input,
            code: hit.code,
            line: hit.line,
            column: hit.column,
            char_column,
            char_len: count_chars(excerpt.bytes.get(excerpt.hit.clone()).unwrap_or_default()),
            text_hash: text_hash(excerpt.bytes),
        };
        let first = &mut self.inputs[input].codes.entry(hit.code).or_default().first;
        if first.len() < FIRST_SPOTS {
            first.push(spot);
        }
        let tier = if policy.may_fail(catalog, hit.code) {
            0
        } else if catalog.code(hit.code).is_generic() {
            2
        } else {
            1
        };
        self.keep(tier, spot);
    }

    /// Keeps `spot` in `tier`, making room by leaving out the last hit of a lower tier.
    fn keep(&mut self, tier: usize, spot: Spot) {
        let kept: usize = self.tiers.iter().map(Vec::len).sum();
        if kept >= MAX_RESULTS {
            let Some(lower) = (tier + 1..self.tiers.len())
                .rev()
                .find(|&t| !self.tiers[t].is_empty())
            else {
                self.left_out += 1;
                return;
            };
            self.tiers[lower].pop();
            self.left_out += 1;
        }
        self.tiers[tier].push(spot);
    }

    /// The kept hits: codes that may fail first, then specific, then generic codes, each in
    /// scan order. Callers sort by the final level if they need to.
    pub fn kept(&self) -> impl Iterator<Item = &Spot> {
        self.tiers.iter().flatten()
    }

    /// The kept hits in the order a one-result-per-hit format lists them: by `level` (errors
    /// first), then in scan order; each with its occurrence number for [`fingerprint`].
    pub fn by_level(&self, level: impl Fn(CodeId) -> Level) -> Vec<(&Spot, u64)> {
        let mut spots: Vec<&Spot> = self.kept().collect();
        spots.sort_by_key(|spot| (level(spot.code), spot.input, spot.line, spot.column));
        occurrences(spots)
    }

    /// How many hits were not kept (past [`MAX_RESULTS`]).
    pub fn left_out(&self) -> u64 {
        self.left_out
    }

    /// How many hits were handed over: all those found, but for what `--max-hits` held back
    /// (the summary's count minus this).
    pub fn received(&self) -> u64 {
        self.kept().count() as u64 + self.left_out
    }
}

/// FNV-1a, 64 bits: stable across runs, platforms and Rust versions (the standard library's
/// hashers promise none of that), which fingerprints that tools compare across runs need.
pub fn fnv1a(seed: u64, bytes: &[u8]) -> u64 {
    let mut hash = seed;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// FNV-1a's offset basis: the seed of a fresh hash.
pub const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// The hash of a line with every number made one `0` and surrounding white space left out:
/// timestamps, durations and ids change from run to run; the message does not. A number is a
/// run that starts with a digit and goes on over digits, hex letters and `.:-`
/// (`2026-11-30T10:00:01.5`, `7f3a9c`, `1.25`).
pub fn text_hash(line: &[u8]) -> u64 {
    let line = line.trim_ascii();
    let mut hash = FNV_START;
    let mut in_number = false;
    for &b in line {
        let continues = b.is_ascii_hexdigit() || matches!(b, b'.' | b':' | b'-');
        if in_number && continues {
            continue;
        }
        in_number = b.is_ascii_digit();
        hash = fnv1a(
            hash,
            if in_number {
                b"0"
            } else {
                std::slice::from_ref(&b)
            },
        );
    }
    hash
}

/// A fingerprint for a hit: its input's relative path, its code, its line's [`text_hash`] and
/// how many kept hits before it had all three the same (so each hit's is unique), as 16 hex
/// digits. Line numbers are left out, so lines added above do not change it.
pub fn fingerprint(path: &str, code: &str, text_hash: u64, occurrence: u64) -> String {
    let mut hash = fnv1a(FNV_START, path.as_bytes());
    hash = fnv1a(hash, &[0]);
    hash = fnv1a(hash, code.as_bytes());
    hash = fnv1a(hash, &text_hash.to_le_bytes());
    hash = fnv1a(hash, &occurrence.to_le_bytes());
    format!("{hash:016x}")
}

/// Numbers each spot of `spots` by how many before it share its input, code and text hash,
/// for [`fingerprint`].
pub fn occurrences<'a>(spots: impl IntoIterator<Item = &'a Spot>) -> Vec<(&'a Spot, u64)> {
    let mut seen: std::collections::HashMap<(usize, CodeId, u64), u64> =
        std::collections::HashMap::new();
    spots
        .into_iter()
        .map(|spot| {
            let n = seen
                .entry((spot.input, spot.code, spot.text_hash))
                .or_insert(0);
            let occurrence = *n;
            *n += 1;
            (spot, occurrence)
        })
        .collect()
}

/// `input`'s path relative to `base` (both made absolute against the current folder, `.` and
/// `..` resolved by their names), with `/` between components, as CI tools want it; the
/// absolute path when it is not under `base`; `None` for standard input.
///
/// Paths that are not UTF-8 are made lossy: every CI format wants text.
pub fn relative_path(input: &InputInfo, base: &Path) -> Option<String> {
    let path = input.path.as_ref()?;
    let cwd = std::env::current_dir().unwrap_or_default();
    let absolute = lexical(&cwd.join(path));
    let base = lexical(&cwd.join(base));
    let relative = |path: &Path, base: &Path| {
        path.strip_prefix(base)
            .ok()
            .filter(|r| !r.as_os_str().is_empty())
            .map(Path::to_path_buf)
    };
    // By name first; then with symbolic links resolved, for a base or a path reached through
    // a link (a workspace under a linked /tmp, as on macOS runners).
    let resolved = || {
        let path = std::fs::canonicalize(&absolute).ok()?;
        let base = std::fs::canonicalize(&base).ok()?;
        relative(&path, &base)
    };
    let shown = relative(&absolute, &base)
        .or_else(resolved)
        .unwrap_or(absolute);
    let parts: Vec<String> = shown
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    let joined = parts.join("/");
    Some(if shown.is_absolute() {
        format!("/{joined}")
    } else {
        joined
    })
}

/// `path` made absolute against the current folder, `.` and `..` resolved by their names
/// (what [`relative_path`] makes its paths relative to), for a format that also records the
/// folder itself (SARIF's `originalUriBaseIds`).
pub fn absolute(path: &Path) -> PathBuf {
    lexical(&std::env::current_dir().unwrap_or_default().join(path))
}

/// `path` with `.` left out and `..` taking off the component before it, without looking at
/// the file system (a log's folder may be gone by the time the report is read).
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_hash_ignores_numbers_and_edges() {
        assert_eq!(
            text_hash(b"2026-11-30 10:00:01 DATABASE_TIMEOUT req=42 id=7f3a"),
            text_hash(b"  2026-12-01 09:13:59.123 DATABASE_TIMEOUT req=7 id=9c0b1 ")
        );
        assert_ne!(
            text_hash(b"DATABASE_TIMEOUT in orders"),
            text_hash(b"DATABASE_TIMEOUT in users")
        );
    }

    #[test]
    fn relative_paths_use_the_base() {
        let info = |p: &str| InputInfo {
            index: 0,
            name: p.into(),
            path: Some(PathBuf::from(p)),
        };
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            relative_path(&info("./logs/../logs/app.log"), Path::new(".")).as_deref(),
            Some("logs/app.log")
        );
        assert_eq!(
            relative_path(&info("logs/app.log"), Path::new("logs")).as_deref(),
            Some("app.log")
        );
        let absolute = cwd.join("x.log");
        let shown = relative_path(&info(absolute.to_str().unwrap()), Path::new("/nonexistent"));
        assert!(shown.unwrap().starts_with('/'));
    }

    #[test]
    fn keeps_the_most_severe_when_full() {
        let mut findings = Findings::default();
        let spot = |line| Spot {
            input: 0,
            code: 0,
            line,
            column: 1,
            char_column: Some(1),
            char_len: 1,
            text_hash: 0,
        };
        for line in 0..MAX_RESULTS as u64 {
            findings.keep(2, spot(line));
        }
        findings.keep(0, spot(u64::MAX));
        findings.keep(2, spot(u64::MAX - 1));
        assert_eq!(findings.kept().count(), MAX_RESULTS);
        assert_eq!(findings.kept().next().unwrap().line, u64::MAX);
        assert_eq!(findings.left_out(), 2);
    }
}
