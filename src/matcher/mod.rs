//! Finding catalog codes in bytes: the exact matching semantics and the engines that
//! implement them.
//!
//! # Semantics
//! A *hit* is an occurrence of a pattern (a code, or a numeric alias in decimal) such that
//! - the byte before it is not an ASCII identifier byte `[A-Za-z0-9_]`, or it is the start of
//!   the input, or it directly follows an ANSI SGR sequence `ESC [ P m` where `P` is at most
//!   [`MAX_SGR_PARAMS`] bytes of digits and `;` (coloured CI output);
//! - the byte after it is not an identifier byte, or it is the end of the input.
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

/// Most bytes of parameters in an ANSI SGR sequence that still count as a boundary.
pub const MAX_SGR_PARAMS: usize = 32;
/// Most bytes before a hit the boundary rules ever read: `ESC [`, the parameters, `m`.
pub const MAX_LOOK_BEHIND: usize = MAX_SGR_PARAMS + 3;

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

/// Whether a hit may start at `pos`: start of input, a non-identifier byte before it, or an
/// ANSI SGR sequence right before it.
#[inline]
pub fn boundary_before(haystack: &[u8], pos: usize) -> bool {
    pos == 0 || !is_word_byte(haystack[pos - 1]) || follows_sgr(haystack, pos)
}

/// Whether a hit may end at `end`: end of input or a non-identifier byte after it.
#[inline]
pub fn boundary_after(haystack: &[u8], end: usize) -> bool {
    end >= haystack.len() || !is_word_byte(haystack[end])
}

/// Whether `haystack[..pos]` ends with `ESC [ P m`, `P` being up to [`MAX_SGR_PARAMS`] bytes
/// of digits and `;`.
#[cold]
fn follows_sgr(haystack: &[u8], pos: usize) -> bool {
    if pos < 3 || haystack[pos - 1] != b'm' {
        return false;
    }
    let mut i = pos - 1; // index of 'm'
    let floor = i.saturating_sub(MAX_SGR_PARAMS);
    while i > floor && (haystack[i - 1].is_ascii_digit() || haystack[i - 1] == b';') {
        i -= 1;
    }
    // haystack[i..pos-1] are the parameters; `ESC [` must stand right before them.
    i >= 2 && haystack[i - 1] == b'[' && haystack[i - 2] == 0x1b
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
            "x\x1b[1;31xDATABASE_TIMEOUT",
            "31mDATABASE_TIMEOUT",
            "[31mDATABASE_TIMEOUT",
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
