//! Finding catalog codes in bytes: the exact matching semantics and the engines that
//! implement them.
//!
//! # Semantics
//! A *hit* is an occurrence of a pattern (a code, or a numeric alias in decimal) such that
//! - the byte before it is not an ASCII identifier byte `[A-Za-z0-9_]`, or it is the start of
//!   the input, or it directly follows a complete ANSI control sequence (CSI): `ESC [`, then
//!   parameter bytes `0x30..=0x3F`, then intermediate bytes `0x20..=0x2F`, then one final byte
//!   `0x40..=0x7E`, with at most [`MAX_CSI_PARAMS`] parameter and intermediate bytes together.
//!   That covers colours (`ESC [ 1 ; 31 m`) and what spinners and progress lines in CI logs
//!   write before their text (`\r ESC [ K`, `ESC [ 2 K ESC [ 1 G`, `ESC [ ? 25 h`);
//! - the byte after it is not an identifier byte, or it is the end of the input.
//!
//! The final byte may be a letter or `_`: in `ESC [ 2 K DATABASE_TIMEOUT` the code is a hit
//! although `K` comes right before it, because `ESC [ 2 K` is complete. Without the whole
//! sequence (`x[2KDATABASE_TIMEOUT`, `ESC [ 2DATABASE_TIMEOUT`, whose `ESC [ 2 D` leaves
//! `ATABASE_TIMEOUT`) there is no boundary.
//!
//! Scanning goes left to right; at each position the longest pattern that is a hit there is
//! taken, and the scan resumes after it, so hits never overlap.
//!
//! # Search windows
//! [`Matcher::find`] reports the hits that *start* in `from..to` of a haystack. Bytes before
//! `from` are only read as look-behind (at most [`MAX_LOOK_BEHIND`] of them), bytes after `to`
//! only to finish a hit and look at the byte after it. The end of the haystack is treated as
//! the end of the input, so a caller that holds only part of a stream must keep at least
//! [`Matcher::max_len`]` + 1` bytes after `to` (see `scanner`). Because no pattern contains a
//! line break (a catalog invariant), windows cut at line starts can be searched independently
//! and in any order: that is what makes the parallel scan equal to the sequential one.
//!
//! # Engines
//! - `words`: for catalogs whose patterns are all identifier-shaped (or `-` and digits), as
//!   the built-in one is. A hit is then always one whole "word", which allows a much faster
//!   search: find candidate prefixes with a SIMD searcher, then check whole words in a table.
//! - `general`: one Aho-Corasick DFA over every pattern, correct for any catalog.
//!
//! [`Matcher::new`] picks the fast engine whenever the catalog allows it; the property tests
//! check that both engines agree with a naive reference on random inputs.

mod general;
mod words;

pub use words::WordFinder;

use crate::catalog::{Catalog, CodeId, Pattern};

pub use crate::limits::MAX_CSI_PARAMS;
/// Most bytes before a hit the boundary rules ever read: `ESC [`, the parameter and
/// intermediate bytes, the final byte.
pub const MAX_LOOK_BEHIND: usize = MAX_CSI_PARAMS + 3;

/// Index of a pattern in [`Matcher::patterns`].
pub type PatternId = u32;

/// One hit as the engines report it: where it is and which pattern it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawMatch {
    /// Offset of the first byte, in the haystack given to [`Matcher::find`].
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
    /// Which pattern was found.
    pub pattern: PatternId,
}

/// Which engine to use; [`EngineChoice::Auto`] is right unless you are measuring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EngineChoice {
    /// The fast word engine when the catalog allows it, else the general one.
    #[default]
    Auto,
    /// The fast word engine with its default candidate finder; unavailable if the catalog does
    /// not allow it.
    Words,
    /// The word engine with the Teddy prefix finder (for comparison).
    WordsTeddy,
    /// The Aho-Corasick DFA.
    General,
}

enum Engine {
    Words(words::WordMatcher),
    General(general::GeneralMatcher),
    Nothing,
}

/// Searches bytes for every pattern of a catalog at once.
pub struct Matcher {
    engine: Engine,
    patterns: Vec<Pattern>,
    max_len: usize,
}

impl Matcher {
    /// A matcher over every code and numeric alias of `catalog`, on the best engine for it.
    pub fn new(catalog: &Catalog) -> Matcher {
        Self::build(catalog.patterns(), EngineChoice::Auto)
            .expect("the automatic choice always finds an engine")
    }

    /// A matcher on a chosen engine; `None` if the word engine was asked for and the catalog
    /// has patterns it cannot handle.
    pub fn with_engine(catalog: &Catalog, choice: EngineChoice) -> Option<Matcher> {
        Self::build(catalog.patterns(), choice)
    }

    fn build(patterns: Vec<Pattern>, choice: EngineChoice) -> Option<Matcher> {
        let max_len = patterns.iter().map(|p| p.text.len()).max().unwrap_or(0);
        let engine = if patterns.is_empty() {
            Engine::Nothing
        } else {
            match choice {
                EngineChoice::Auto => {
                    match words::WordMatcher::new(&patterns, WordFinder::WordStarts) {
                        Some(w) => Engine::Words(w),
                        None => Engine::General(general::GeneralMatcher::new(&patterns)),
                    }
                }
                EngineChoice::Words => {
                    Engine::Words(words::WordMatcher::new(&patterns, WordFinder::WordStarts)?)
                }
                EngineChoice::WordsTeddy => {
                    Engine::Words(words::WordMatcher::new(&patterns, WordFinder::Teddy)?)
                }
                EngineChoice::General => Engine::General(general::GeneralMatcher::new(&patterns)),
            }
        };
        Some(Matcher {
            engine,
            patterns,
            max_len,
        })
    }

    /// The engine in use, for diagnostics and benchmarks.
    pub fn engine_name(&self) -> &'static str {
        match &self.engine {
            Engine::Words(w) => w.finder_name(),
            Engine::General(_) => "aho-corasick-dfa",
            Engine::Nothing => "empty",
        }
    }

    /// Length in bytes of the longest pattern.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// All patterns; a [`PatternId`] indexes this slice.
    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// The code a pattern stands for.
    pub fn code_of(&self, pattern: PatternId) -> CodeId {
        self.patterns[pattern as usize].code
    }

    /// Calls `on_hit` for every hit starting in `from..to` of `haystack`, in order, and
    /// returns the offset where the search stopped: `to`, or the end of the last hit if that
    /// lies beyond `to` (the next window must not start before it).
    pub fn find<F: FnMut(RawMatch)>(
        &self,
        haystack: &[u8],
        from: usize,
        to: usize,
        mut on_hit: F,
    ) -> usize {
        let to = to.min(haystack.len());
        if from >= to {
            return from;
        }
        let mut last_end = to;
        let mut track = |m: RawMatch| {
            if m.end > last_end {
                last_end = m.end;
            }
            on_hit(m)
        };
        match &self.engine {
            Engine::Words(w) => w.find(haystack, from, to, &mut track),
            Engine::General(g) => g.find(haystack, from, to, &mut track),
            Engine::Nothing => {}
        }
        last_end
    }
}

/// Identifier bytes `[A-Za-z0-9_]`, as a table: the inner loops test one byte at a time.
static WORD_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'_';
        b += 1;
    }
    table
};

/// Whether `b` is an ASCII identifier byte `[A-Za-z0-9_]`.
#[inline(always)]
pub fn is_word_byte(b: u8) -> bool {
    WORD_BYTE[b as usize]
}

/// Whether a hit may start at `pos`: start of input, a non-identifier byte before it, or a
/// complete ANSI control sequence right before it.
#[inline]
pub fn boundary_before(haystack: &[u8], pos: usize) -> bool {
    pos == 0 || !is_word_byte(haystack[pos - 1]) || follows_csi(haystack, pos)
}

/// Whether a hit may end at `end`: end of input or a non-identifier byte after it.
#[inline]
pub fn boundary_after(haystack: &[u8], end: usize) -> bool {
    end >= haystack.len() || !is_word_byte(haystack[end])
}

/// The escape byte that starts every ANSI control sequence.
const ESC: u8 = 0x1b;

/// CSI parameter bytes: digits and `:;<=>?`.
#[inline(always)]
fn is_csi_param(b: u8) -> bool {
    (0x30..=0x3f).contains(&b)
}

/// CSI intermediate bytes: space and ``!"#$%&'()*+,-./``.
#[inline(always)]
fn is_csi_intermediate(b: u8) -> bool {
    (0x20..=0x2f).contains(&b)
}

/// CSI final bytes: `@`, letters, `[\]^_` and `` `{|}~ ``.
#[inline(always)]
fn is_csi_final(b: u8) -> bool {
    (0x40..=0x7e).contains(&b)
}

/// Whether `haystack[..pos]` ends with a complete CSI sequence `ESC [ P I F`: `P` parameter
/// bytes, `I` intermediate bytes, at most [`MAX_CSI_PARAMS`] of them together, and one final
/// byte `F`.
#[cold]
fn follows_csi(haystack: &[u8], pos: usize) -> bool {
    if pos < 3 || !is_csi_final(haystack[pos - 1]) {
        return false;
    }
    let mut i = pos - 1; // index of the final byte
    let floor = i.saturating_sub(MAX_CSI_PARAMS);
    while i > floor && is_csi_intermediate(haystack[i - 1]) {
        i -= 1;
    }
    while i > floor && is_csi_param(haystack[i - 1]) {
        i -= 1;
    }
    // haystack[i..pos-1] are the parameters and intermediates; `ESC [` must stand right
    // before them.
    i >= 2 && haystack[i - 1] == b'[' && haystack[i - 2] == ESC
}

/// If a complete CSI sequence starts at `esc` (the offset of an ESC byte), the offset just
/// past its final byte: the position [`follows_csi`] accepts. The forward reading, for
/// engines that find sequences by their ESC byte.
fn csi_end(haystack: &[u8], esc: usize) -> Option<usize> {
    if haystack.get(esc + 1) != Some(&b'[') {
        return None;
    }
    let limit = esc + 2 + MAX_CSI_PARAMS;
    let mut i = esc + 2;
    while i < limit && haystack.get(i).is_some_and(|&b| is_csi_param(b)) {
        i += 1;
    }
    while i < limit && haystack.get(i).is_some_and(|&b| is_csi_intermediate(b)) {
        i += 1;
    }
    match haystack.get(i) {
        Some(&b) if is_csi_final(b) => Some(i + 1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    fn hits(matcher: &Matcher, text: &[u8]) -> Vec<(usize, String)> {
        let mut found = Vec::new();
        matcher.find(text, 0, text.len(), |m| {
            found.push((m.start, matcher.patterns()[m.pattern as usize].text.clone()))
        });
        found
    }

    fn both_engines() -> Vec<Matcher> {
        let catalog = Catalog::builtin().expect("built-in catalog parses");
        vec![
            Matcher::with_engine(&catalog, EngineChoice::Words)
                .expect("built-in catalog is word-shaped"),
            Matcher::with_engine(&catalog, EngineChoice::WordsTeddy)
                .expect("built-in catalog is word-shaped"),
            Matcher::with_engine(&catalog, EngineChoice::General).expect("general always builds"),
        ]
    }

    #[test]
    fn issue_boundary_examples_are_hits() {
        let cases: &[(&str, &str)] = &[
            ("错误码DATABASE_TIMEOUT，", "DATABASE_TIMEOUT"),
            ("[FUNCTIONS_EXECUTE_FAIL] Error", "FUNCTIONS_EXECUTE_FAIL"),
            ("code=STORAGE_FILE_NONEXIST,", "STORAGE_FILE_NONEXIST"),
            ("\"AUTH_LOGIN_FAILED\"", "AUTH_LOGIN_FAILED"),
            (
                "https://docs.cloudbase.net/error-code/basic/SERVICE_TIMEOUT",
                "SERVICE_TIMEOUT",
            ),
            ("\x1b[1;31mDATABASE_TIMEOUT\x1b[0m", "DATABASE_TIMEOUT"),
            ("\x1b[mDATABASE_TIMEOUT", "DATABASE_TIMEOUT"),
            ("\x1b[38;5;196mDATABASE_TIMEOUT", "DATABASE_TIMEOUT"),
            // Spinners and progress lines: any complete control sequence is a boundary.
            ("\r\x1b[KDATABASE_TIMEOUT", "DATABASE_TIMEOUT"),
            ("\x1b[2K\x1b[1GDATABASE_TIMEOUT", "DATABASE_TIMEOUT"),
            ("\x1b[GDATABASE_TIMEOUT", "DATABASE_TIMEOUT"),
            ("\x1b[?25hDATABASE_TIMEOUT", "DATABASE_TIMEOUT"),
            ("\x1b[1 qDATABASE_TIMEOUT", "DATABASE_TIMEOUT"),
            ("\x1b[_DATABASE_TIMEOUT", "DATABASE_TIMEOUT"),
            ("\x1b[K-502005", "-502005"),
            ("\x1b[2~DATABASE_TIMEOUT", "DATABASE_TIMEOUT"), // a final byte that ends no word
            // `x` is a final byte too, so this is a complete sequence.
            ("\x1b[1;31xDATABASE_TIMEOUT", "DATABASE_TIMEOUT"),
            // `DA` begins codes (`DATABASE_…`): the word `DAUTH_…` is rejected, and the
            // code one byte on must still be found.
            ("\x1b[DAUTH_LOGIN_FAILED", "AUTH_LOGIN_FAILED"),
            ("\x1b[2DAUTH_LOGIN_FAILED", "AUTH_LOGIN_FAILED"),
            ("\x1b[2DDATABASE_TIMEOUT", "DATABASE_TIMEOUT"),
            // `FUN` begins codes too, and Teddy finds it at the final byte `F`.
            ("\x1b[FUNSUPPORTED_AUTH_TYPE", "UNSUPPORTED_AUTH_TYPE"),
            ("\x1b[2FUNSUPPORTED_AUTH_TYPE", "UNSUPPORTED_AUTH_TYPE"),
            // The byte before `D` is `[`: the code starts at the final byte itself.
            ("\x1b[DATABASE_TIMEOUT", "DATABASE_TIMEOUT"),
            ("errCode: -502005 database", "-502005"),
            ("DATABASE_TIMEOUT", "DATABASE_TIMEOUT"),
        ];
        // Padded too, so the 16- and 32-byte SIMD loops see them, not only the scalar tail.
        let pad = " ".repeat(40);
        for matcher in both_engines() {
            for (text, code) in cases {
                for text in [
                    text.to_string(),
                    format!("{pad}{text}{pad}"),
                    format!("{pad}{text}"),
                ] {
                    let found = hits(&matcher, text.as_bytes());
                    assert_eq!(
                        found.len(),
                        1,
                        "{} on {text:?}: {found:?}",
                        matcher.engine_name()
                    );
                    assert_eq!(&found[0].1, code, "{} on {text:?}", matcher.engine_name());
                }
            }
        }
    }

    #[test]
    fn issue_near_misses_are_not_hits() {
        let cases = [
            "XDATABASE_TIMEOUT",
            "DATABASE_TIMEOUT_MS",
            "database_timeout",
            "FUNCTION_EXECUTE_FAILED",
            "-5020051",
            "v2-503003",
            "31mDATABASE_TIMEOUT",
            "[31mDATABASE_TIMEOUT",
            // Incomplete or broken control sequences, and identifier bytes after one.
            "x[2KDATABASE_TIMEOUT",
            "[KDATABASE_TIMEOUT",
            "\x1bKDATABASE_TIMEOUT",
            "\x1b[2DATABASE_TIMEOUT", // `ESC [ 2 D` leaves `ATABASE_TIMEOUT`
            "\x1b[?25DATABASE_TIMEOUT",
            "\x1b[ 1qDATABASE_TIMEOUT", // an intermediate byte before a parameter
            "\x1b[2KXDATABASE_TIMEOUT",
            "\x1b[KDATABASE_TIMEOUT_MS",
            "\x1b[2K1-502005",
        ];
        let pad = "x ".repeat(20);
        for matcher in both_engines() {
            for text in cases {
                for text in [text.to_string(), format!("{pad}{text} {pad}")] {
                    assert_eq!(
                        hits(&matcher, text.as_bytes()),
                        vec![],
                        "{} on {text:?}",
                        matcher.engine_name()
                    );
                }
            }
        }
    }

    #[test]
    fn control_sequences_count_up_to_the_length_bound() {
        let pad = " ".repeat(40);
        for matcher in both_engines() {
            for (n, hit) in [
                (1, true),
                (MAX_CSI_PARAMS - 1, true),
                (MAX_CSI_PARAMS, true),
                (MAX_CSI_PARAMS + 1, false),
                (MAX_CSI_PARAMS + 8, false),
            ] {
                // `n` parameter and intermediate bytes together, in three shapes.
                let sequences = [
                    format!("\x1b[{}K", "7".repeat(n)),
                    format!("\x1b[?{}h", "2".repeat(n - 1)),
                    format!("\x1b[{} q", "1".repeat(n - 1)),
                ];
                for sequence in sequences {
                    assert_eq!(sequence.len(), n + 3);
                    for text in [
                        format!("{sequence}DATABASE_TIMEOUT"),
                        format!("{pad}{sequence}DATABASE_TIMEOUT{pad}"),
                    ] {
                        let found = hits(&matcher, text.as_bytes());
                        assert_eq!(
                            found.len(),
                            usize::from(hit),
                            "{} on {text:?}: {found:?}",
                            matcher.engine_name()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn forward_and_backward_readings_of_control_sequences_agree() {
        let alphabet = b"\x1b[[2;?  -KmD_x\r";
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut sequences = 0;
        for _ in 0..20_000 {
            let len = (next() % 48) as usize;
            let mut text: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            if next() % 4 == 0 {
                // Long parameter runs around the bound.
                let at = (next() as usize) % (text.len() + 1);
                let run = 28 + (next() % 8) as usize;
                text.splice(at..at, std::iter::repeat_n(b'9', run));
            }
            let ends: Vec<usize> = (0..text.len())
                .filter_map(|esc| (text[esc] == ESC).then(|| csi_end(&text, esc)).flatten())
                .collect();
            sequences += ends.len();
            for pos in 0..=text.len() {
                assert_eq!(
                    follows_csi(&text, pos),
                    ends.contains(&pos),
                    "{:?} at {pos}",
                    String::from_utf8_lossy(&text)
                );
            }
        }
        assert!(sequences > 1000, "the texts hold sequences: {sequences}");
    }

    /// A window that starts right after a control sequence still sees it (the look-behind),
    /// in every engine and wherever the SIMD blocks begin.
    #[test]
    fn every_window_start_sees_the_sequence_before_it() {
        let text = format!(
            "{}\r\x1b[KDATABASE_TIMEOUT x\x1b[2K\x1b[1GSYS_ERR\x1b[?25hAUTH_LOGIN_FAILED{}\x1b[DAUTH_LOGIN_FAILED\x1b[{}K-502005\x1b[{}KSYS_ERR {}",
            "a ".repeat(30),
            " ".repeat(33),
            "1".repeat(31),
            "1".repeat(32),
            "b ".repeat(40),
        );
        let text = text.as_bytes();
        for matcher in both_engines() {
            let all = hits(&matcher, text);
            assert_eq!(all.len(), 6, "{}: {all:?}", matcher.engine_name());
            for from in 0..text.len() {
                let mut found = Vec::new();
                matcher.find(text, from, text.len(), |m| found.push(m.start));
                let expected: Vec<usize> = all
                    .iter()
                    .map(|h| h.0)
                    .filter(|&start| start >= from)
                    .collect();
                assert_eq!(found, expected, "{} from {from}", matcher.engine_name());
            }
        }
    }

    #[test]
    fn windows_report_only_hits_starting_inside_and_say_where_they_stopped() {
        for matcher in both_engines() {
            let text = b"a DATABASE_TIMEOUT b";
            let mut found = Vec::new();
            let stop = matcher.find(text, 0, 5, |m| found.push(m.start));
            assert_eq!(found, vec![2]);
            assert_eq!(stop, 18);
            found.clear();
            matcher.find(text, 3, text.len(), |m| found.push(m.start));
            assert_eq!(found, Vec::<usize>::new(), "{}", matcher.engine_name());
        }
    }
}
