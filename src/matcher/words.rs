//! The word engine: the fast path for catalogs whose patterns are whole "words".
//!
//! # When it applies
//! Every pattern is at least [`PREFIX_LEN`] bytes and either
//! - identifier bytes only, not starting with a digit or `m`, or
//! - `-` followed by digits only (a numeric alias).
//!
//! Then a hit is exactly one maximal run of identifier bytes (after the `-` for aliases):
//! it must be followed by a non-identifier byte, and it cannot be preceded by one. So a
//! candidate is confirmed by finding the end of its word, checking the length, and looking the
//! whole word up in a hash table; no automaton is needed.
//!
//! # Why a rejected candidate may skip its whole word
//! A hit can start inside a run of identifier bytes only right after the `m` of an ANSI
//! sequence `ESC [ digits m`. Such a run begins with digits or `m`, and no pattern starts with
//! a digit or `m`, so no candidate is ever reported inside that prefix of the run; once a
//! candidate at `p` is rejected, positions up to the end of its word cannot start a hit. This is
//! why the first-byte restriction above exists; the property tests exercise ANSI sequences.
//!
//! # Finding candidates
//! Candidates come from a Teddy searcher (aho-corasick's packed SIMD searcher) over the
//! distinct [`PREFIX_LEN`]-byte prefixes of the patterns. Where candidates are dense (an
//! identifier-heavy log that shares prefixes with the codes), restarting Teddy for every
//! candidate costs more than it saves, so the engine switches to a scalar scan with a table of
//! the possible first two bytes for a stretch, then goes back.

use std::collections::HashMap;

use aho_corasick::packed;
use aho_corasick::Span;
use rustc_hash::FxBuildHasher;

use super::{boundary_before, is_word_byte, PatternId, RawMatch};
use crate::catalog::Pattern;

/// Length of the prefixes the SIMD searcher looks for.
pub(super) const PREFIX_LEN: usize = 3;
/// Candidates closer than this to the previous stop count as "dense".
const DENSE_GAP: usize = 48;
/// How many dense candidates in a row switch to the scalar scan.
const DENSE_RUN: u32 = 4;
/// How far the scalar scan runs before Teddy is tried again.
const SCALAR_STRETCH: usize = 16 * 1024;

pub(super) struct WordMatcher {
    teddy: Option<packed::Searcher>,
    words: HashMap<Box<[u8]>, PatternId, FxBuildHasher>,
    min_len: usize,
    max_len: usize,
    /// Bit `256 * a + b` is set when some pattern starts with bytes `a b`.
    first_two: Box<[u64; 1024]>,
}

impl WordMatcher {
    /// The word engine for `patterns`, or `None` if some pattern is not word-shaped.
    pub(super) fn new(patterns: &[Pattern]) -> Option<WordMatcher> {
        if patterns.is_empty() || !patterns.iter().all(|p| is_word_shaped(p.text.as_bytes())) {
            return None;
        }
        let mut words = HashMap::with_capacity_and_hasher(patterns.len(), FxBuildHasher);
        let mut first_two = Box::new([0u64; 1024]);
        let mut prefixes: Vec<&[u8]> = Vec::new();
        for (id, pattern) in patterns.iter().enumerate() {
            let bytes = pattern.text.as_bytes();
            words.insert(bytes.into(), id as PatternId);
            let bit = 256 * bytes[0] as usize + bytes[1] as usize;
            first_two[bit / 64] |= 1 << (bit % 64);
            let prefix = &bytes[..PREFIX_LEN];
            if !prefixes.contains(&prefix) {
                prefixes.push(prefix);
            }
        }
        let teddy = packed::Config::new()
            .heuristic_pattern_limits(false)
            .builder()
            .extend(prefixes)
            .build();
        Some(WordMatcher {
            teddy,
            words,
            min_len: patterns.iter().map(|p| p.text.len()).min().unwrap_or(0),
            max_len: patterns.iter().map(|p| p.text.len()).max().unwrap_or(0),
            first_two,
        })
    }

    pub(super) fn has_simd_prefilter(&self) -> bool {
        self.teddy.is_some()
    }

    pub(super) fn find(&self, haystack: &[u8], from: usize, to: usize, on_hit: &mut impl FnMut(RawMatch)) {
        let Some(teddy) = &self.teddy else {
            self.scalar(haystack, from, to, on_hit);
            return;
        };
        // A prefix starting before `to` ends by `to + PREFIX_LEN - 1`.
        let span_end = haystack.len().min(to + PREFIX_LEN - 1);
        let mut pos = from;
        let mut dense = 0u32;
        while pos < to {
            let Some(found) = teddy.find_in(haystack, Span { start: pos, end: span_end }) else {
                return;
            };
            let candidate = found.start();
            if candidate >= to {
                return;
            }
            dense = if candidate - pos < DENSE_GAP { dense + 1 } else { 0 };
            pos = self.confirm(haystack, candidate, on_hit);
            if dense >= DENSE_RUN {
                dense = 0;
                pos = self.scalar(haystack, pos, to.min(pos.saturating_add(SCALAR_STRETCH)), on_hit);
            }
        }
    }

    /// Scans `from..to` byte by byte against the first-two-bytes table; returns where it
    /// stopped (past `to` if a hit or a skipped word ran over it).
    fn scalar(&self, haystack: &[u8], from: usize, to: usize, on_hit: &mut impl FnMut(RawMatch)) -> usize {
        let mut pos = from;
        while pos < to {
            match haystack.get(pos + 1) {
                Some(&second) if self.may_start(haystack[pos], second) => {
                    pos = self.confirm(haystack, pos, on_hit);
                }
                _ => pos += 1,
            }
        }
        pos
    }

    #[inline(always)]
    fn may_start(&self, first: u8, second: u8) -> bool {
        let bit = 256 * first as usize + second as usize;
        self.first_two[bit / 64] & (1 << (bit % 64)) != 0
    }

    /// Decides whether the word at `candidate` is a hit, reports it if so, and returns where
    /// the search continues: the end of that word either way (see the module docs for why).
    #[inline]
    fn confirm(&self, haystack: &[u8], candidate: usize, on_hit: &mut impl FnMut(RawMatch)) -> usize {
        // Numeric aliases start with `-`, which is not part of the word that follows it.
        let body = candidate + usize::from(!is_word_byte(haystack[candidate]));
        let end = word_end(haystack, body);
        let len = end - candidate;
        if len >= self.min_len && len <= self.max_len && boundary_before(haystack, candidate) {
            if let Some(&pattern) = self.words.get(&haystack[candidate..end]) {
                on_hit(RawMatch {
                    start: candidate,
                    end,
                    pattern,
                });
            }
        }
        end.max(candidate + 1)
    }
}

/// Whether the word engine can take this pattern (see the module docs).
fn is_word_shaped(text: &[u8]) -> bool {
    if text.len() < PREFIX_LEN {
        return false;
    }
    match text[0] {
        b'-' => text[1..].iter().all(u8::is_ascii_digit),
        first => !first.is_ascii_digit() && first != b'm' && text.iter().all(|&b| is_word_byte(b)),
    }
}

/// Offset of the first non-identifier byte at or after `pos` (or the haystack's length).
#[inline]
fn word_end(haystack: &[u8], mut pos: usize) -> usize {
    // Eight bytes at a time: a byte is an identifier byte iff it is in one of three ranges.
    while let Some(chunk) = haystack.get(pos..pos + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("slice of eight bytes"));
        let mask = non_word_mask(word);
        if mask != 0 {
            return pos + (mask.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    while pos < haystack.len() && is_word_byte(haystack[pos]) {
        pos += 1;
    }
    pos
}

/// For each of the eight bytes of `x`, the high bit of the result's byte is set iff that byte
/// is not in `[0-9A-Za-z_]`.
#[inline(always)]
fn non_word_mask(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Bytes >= 0x80 are never identifier bytes; handle the low 7 bits separately so that the
    // per-byte arithmetic below cannot carry into the next byte.
    let high = x & HIGH;
    let low = x & !HIGH;
    // in_range(lo, hi): high bit set where lo <= byte <= hi, for 7-bit bytes.
    let in_range = |lo: u8, hi: u8| -> u64 {
        let ge_lo = (low + ONES * (0x80 - lo as u64)) & HIGH;
        let le_hi = !(low + ONES * (0x7f - hi as u64)) & HIGH;
        ge_lo & le_hi
    };
    let digit = in_range(b'0', b'9');
    let upper = in_range(b'A', b'Z');
    let lower = in_range(b'a', b'z');
    let underscore = in_range(b'_', b'_');
    let word = (digit | upper | lower | underscore) & !high;
    !word & HIGH
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_end_agrees_with_the_byte_table() {
        for b in 0..=255u8 {
            for at in 0..10 {
                let mut bytes = vec![b'A'; 12];
                bytes[at] = b;
                let expected = if is_word_byte(b) { 12 } else { at };
                assert_eq!(word_end(&bytes, 0), expected, "byte {b:#x} at {at}");
            }
        }
        assert_eq!(word_end(b"abc", 3), 3);
        assert_eq!(word_end(b"", 0), 0);
    }

    #[test]
    fn shapes_the_engine_accepts() {
        assert!(is_word_shaped(b"DATABASE_TIMEOUT"));
        assert!(is_word_shaped(b"APIs_GET_OPENAPI_SCHEMA_ERROR"));
        assert!(is_word_shaped(b"-502005"));
        assert!(!is_word_shaped(b"-50a"));
        assert!(!is_word_shaped(b"ERR-1"));
        assert!(!is_word_shaped(b"mCODE"));
        assert!(!is_word_shaped(b"1CODE"));
        assert!(!is_word_shaped(b"AB"));
    }
}
