//! The word engine: the fast path for catalogs whose patterns are whole "words".
//!
//! # When it applies
//! Every pattern is at least [`PREFIX_LEN`] bytes and either
//! - identifier bytes only, not starting with a digit, or
//! - `-` followed by digits only (a numeric alias).
//!
//! Then a hit is one maximal run of identifier bytes (after the `-` for aliases), or the rest
//! of such a run after the final byte of an ANSI control sequence (`ESC [ 2 K DATABASE_TIMEOUT`
//! is the run `2KDATABASE_TIMEOUT`): it must be followed by a non-identifier byte. So a
//! candidate is confirmed by finding the end of its word, checking the length, and looking the
//! whole word up in a hash table; no automaton is needed.
//!
//! # Why a rejected candidate may skip (almost) its whole word
//! A hit can start inside a run of identifier bytes only right after the final byte of a
//! control sequence `ESC [ P I F`. Its intermediate bytes `I` are not identifier bytes, so the
//! run holding `F` begins either at `F` or at the digits of `P` right before it. No pattern
//! starts with a digit, so a candidate `p` inside that run is `F` itself: once a candidate at
//! `p` is decided, the only position up to the end of its word that can still start a hit is
//! `p + 1`, and only when `p` ends a control sequence. The block loops below never confirm such
//! a `p` as an ordinary candidate (they finish each sequence when they meet its ESC); the
//! scalar scan and Teddy can, so there `confirm` checks for it (cheap tests first, the
//! sequence itself out of line) before skipping the word. This is why the first-byte
//! restriction above exists; the property tests exercise control sequences.
//!
//! # Finding candidates
//! Two candidate finders; both over-approximate and `confirm` decides:
//! - [`WordFinder::WordStarts`] (the default): flags *word starts* (a non-identifier byte
//!   before). With AVX2, 32 positions a step, keeping those whose first three bytes pass
//!   Teddy-style nibble masks of the patterns' prefixes; without it, an SSE2 loop 16 positions
//!   a step with byte ranges for the first two bytes; elsewhere, a scalar scan. Real logs are
//!   full of words that share a prefix with some code (`SERVER`, `DATABASE`, `INVALID`), so
//!   whatever finds prefixes finds these too; these loops pay little per such word, never
//!   restart, and never look at positions inside words. The SIMD kernels also flag ESC bytes
//!   (rare in logs); at one, an out-of-line path reads the control sequence and confirms its
//!   final byte and the position after it, which is how a code glued to `ESC [ 2 K` is found.
//! - [`WordFinder::Teddy`]: aho-corasick's packed SIMD searcher over the distinct
//!   [`PREFIX_LEN`]-byte prefixes. Restarting it after every candidate is what dominates its
//!   profile on realistic logs (measured: 62% of the time in Teddy's `find`), so where
//!   candidates are dense it hands over to the scalar scan for a stretch. Kept for comparison
//!   in the benchmarks.

use aho_corasick::packed;
use aho_corasick::Span;

use super::{
    boundary_before, csi_end, follows_csi, is_word_byte, PatternId, RawMatch, ESC, MAX_LOOK_BEHIND,
};
use crate::catalog::Pattern;

/// Length of the prefixes the SIMD searcher looks for.
pub(super) const PREFIX_LEN: usize = 3;
/// Candidates closer than this to the previous stop count as "dense".
const DENSE_GAP: usize = 48;
/// How many dense candidates in a row switch to the scalar scan.
const DENSE_RUN: u32 = 4;
/// How far the scalar scan runs before Teddy is tried again.
const SCALAR_STRETCH: usize = 16 * 1024;

/// How the word engine finds candidates (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordFinder {
    /// SIMD scan for word starts (scalar where SSE2 is missing).
    WordStarts,
    /// Teddy over the patterns' prefixes, with a scalar fallback where candidates are dense.
    Teddy,
}

pub(super) struct WordMatcher {
    finder: WordFinder,
    teddy: Option<packed::Searcher>,
    /// The range of possible first bytes of code-shaped patterns (`A`..=`W` for CloudBase).
    first_lo: u8,
    first_hi: u8,
    /// `-` when numeric aliases exist, else `first_lo` again (nothing extra).
    first_extra: u8,
    /// The range of possible second bytes (`A`..=`Z` and the digits of `-5…` for CloudBase).
    second_lo: u8,
    second_hi: u8,
    words: WordTable,
    /// Teddy-style nibble masks over the 3-byte prefixes, for the AVX2 loop.
    prefix_masks: PrefixMasks,
    /// Whether this CPU has AVX2 (checked once, at construction).
    avx2: bool,
    min_len: usize,
    max_len: usize,
    /// Bit `256 * a + b` is set when some pattern starts with bytes `a b`.
    first_two: Box<[u64; 1024]>,
}

impl WordMatcher {
    /// The word engine for `patterns`, or `None` if some pattern is not word-shaped.
    pub(super) fn new(patterns: &[Pattern], finder: WordFinder) -> Option<WordMatcher> {
        if patterns.is_empty() || !patterns.iter().all(|p| is_word_shaped(p.text.as_bytes())) {
            return None;
        }
        let mut first_two = Box::new([0u64; 1024]);
        let mut prefixes: Vec<&[u8]> = Vec::new();
        for pattern in patterns {
            let bytes = pattern.text.as_bytes();
            let bit = 256 * bytes[0] as usize + bytes[1] as usize;
            first_two[bit / 64] |= 1 << (bit % 64);
            let prefix = &bytes[..PREFIX_LEN];
            if !prefixes.contains(&prefix) {
                prefixes.push(prefix);
            }
        }
        let prefix_masks = PrefixMasks::new(&prefixes);
        let teddy = match finder {
            WordFinder::Teddy => packed::Config::new()
                .heuristic_pattern_limits(false)
                .builder()
                .extend(prefixes)
                .build(),
            WordFinder::WordStarts => None,
        };
        let word_firsts = patterns
            .iter()
            .map(|p| p.text.as_bytes()[0])
            .filter(|&b| b != b'-');
        let has_numeric = patterns.iter().any(|p| p.text.starts_with('-'));
        let first_lo = word_firsts.clone().min().unwrap_or(b'-');
        Some(WordMatcher {
            finder,
            teddy,
            first_lo,
            first_hi: word_firsts.max().unwrap_or(b'-'),
            first_extra: if has_numeric { b'-' } else { first_lo },
            second_lo: patterns
                .iter()
                .map(|p| p.text.as_bytes()[1])
                .min()
                .unwrap_or(0),
            second_hi: patterns
                .iter()
                .map(|p| p.text.as_bytes()[1])
                .max()
                .unwrap_or(255),
            words: WordTable::new(patterns),
            prefix_masks,
            avx2: cfg!(target_arch = "x86_64") && detect_avx2(),
            min_len: patterns.iter().map(|p| p.text.len()).min().unwrap_or(0),
            max_len: patterns.iter().map(|p| p.text.len()).max().unwrap_or(0),
            first_two,
        })
    }

    /// A short name of the candidate finder in use.
    pub(super) fn finder_name(&self) -> &'static str {
        match (self.finder, &self.teddy) {
            (WordFinder::Teddy, Some(_)) => "words+teddy",
            (WordFinder::WordStarts, _) if self.avx2 => "words+avx2",
            (WordFinder::WordStarts, _) if cfg!(target_arch = "x86_64") => "words+sse2",
            _ => "words+scalar",
        }
    }

    pub(super) fn find(
        &self,
        haystack: &[u8],
        from: usize,
        to: usize,
        on_hit: &mut impl FnMut(RawMatch),
    ) {
        match (self.finder, &self.teddy) {
            (WordFinder::Teddy, Some(teddy)) => self.find_teddy(teddy, haystack, from, to, on_hit),
            _ => self.find_word_starts(haystack, from, to, on_hit),
        }
    }

    fn find_word_starts(
        &self,
        haystack: &[u8],
        from: usize,
        to: usize,
        on_hit: &mut impl FnMut(RawMatch),
    ) {
        let mut pos = from;
        if pos == 0 {
            // Position 0 has no byte before it, which the SIMD loop needs.
            pos = self.scalar(haystack, 0, 1.min(to), on_hit);
        }
        #[cfg(target_arch = "x86_64")]
        {
            if self.avx2 {
                // SAFETY: AVX2 was detected on this CPU when the matcher was built.
                pos = unsafe { self.avx2_word_starts(haystack, pos, to, on_hit) };
            }
            pos = self.sse2_word_starts(haystack, pos, to, on_hit);
        }
        self.scalar(haystack, pos, to, on_hit);
    }

    /// The AVX2 loop: 32 positions at a time, each a word start whose first three bytes pass
    /// the prefix masks. Returns where it stopped.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn avx2_word_starts(
        &self,
        haystack: &[u8],
        from: usize,
        to: usize,
        on_hit: &mut impl FnMut(RawMatch),
    ) -> usize {
        let kernel = avx2::Kernel::new(&self.prefix_masks);
        self.blocks::<32>(haystack, from, to, 34, on_hit, |pos| {
            let before = !is_word_byte(haystack[pos - 1]);
            // SAFETY: `blocks` only asks for blocks whose 34 bytes are within `haystack`.
            unsafe { kernel.candidates(haystack.as_ptr().add(pos), before) }
        })
    }

    /// The SSE2 loop: 16 positions at a time while 16 bytes and the byte before are in bounds.
    /// Returns where it stopped; the scalar scan finishes the tail.
    #[cfg(target_arch = "x86_64")]
    fn sse2_word_starts(
        &self,
        haystack: &[u8],
        from: usize,
        to: usize,
        on_hit: &mut impl FnMut(RawMatch),
    ) -> usize {
        let classes = sse2::Classes::new(
            self.first_lo,
            self.first_hi,
            self.first_extra,
            self.second_lo,
            self.second_hi,
        );
        self.blocks::<16>(haystack, from, to, 17, on_hit, |pos| {
            // SAFETY: `blocks` only asks for blocks whose byte before and 17 bytes are within
            // `haystack`; SSE2 is part of the x86-64 baseline.
            unsafe { classes.word_starts(haystack.as_ptr().add(pos)) }
        })
    }

    /// Runs a block kernel over `from..to`: `kernel(pos)` returns a bit for each position of
    /// `pos..pos + WIDTH` that may start a hit after a non-identifier byte, and a bit for each
    /// ESC byte there, reading at most `reach` bytes from `pos` and the byte before it. Each
    /// flagged position is confirmed, or its control sequence finished (out of line), unless
    /// an earlier candidate already covered it. Returns where it stopped; the caller finishes
    /// the tail.
    #[inline(always)]
    fn blocks<const WIDTH: usize>(
        &self,
        haystack: &[u8],
        from: usize,
        to: usize,
        reach: usize,
        on_hit: &mut impl FnMut(RawMatch),
        mut kernel: impl FnMut(usize) -> (u32, u32),
    ) -> usize {
        let mut pos = from;
        // Candidates before this lie inside a word or control sequence already decided.
        let mut resume = if from >= 1 && from < to {
            self.sequence_from_before(haystack, from, to, on_hit)
        } else {
            from
        };
        while pos < to && pos >= 1 && pos + reach <= haystack.len() {
            let (starts, escapes) = kernel(pos);
            let mut mask = starts | escapes;
            if to - pos < WIDTH {
                mask &= (1u32 << (to - pos)) - 1;
            }
            while mask != 0 {
                let bit = mask & mask.wrapping_neg();
                let at = pos + bit.trailing_zeros() as usize;
                mask &= mask - 1;
                if at >= resume {
                    resume = if escapes & bit == 0 {
                        self.confirm::<false>(haystack, at, on_hit)
                    } else {
                        self.escape(haystack, at, to, on_hit)
                    };
                }
            }
            pos = (pos + WIDTH).max(resume);
        }
        pos.max(resume)
    }

    /// For the block loops, which confirm word starts only: finishes the control sequence
    /// whose ESC is at `esc`, if complete, and returns where the search continues. No hit
    /// starts at its `[`, parameter or intermediate bytes (none is a pattern's first byte, and
    /// `-` is never followed by a digit there); its final byte and the position after it are
    /// confirmed here, in order.
    #[cold]
    #[inline(never)]
    fn escape(
        &self,
        haystack: &[u8],
        esc: usize,
        to: usize,
        on_hit: &mut impl FnMut(RawMatch),
    ) -> usize {
        match csi_end(haystack, esc) {
            Some(after) => self.finish_sequence(haystack, after, esc + 1, to, on_hit),
            None => esc + 1,
        }
    }

    /// Where a block loop starting at `from` may resume: past the rest of a control sequence
    /// whose ESC lies before `from` (only the last ESC can start one that reaches `from`, at
    /// most [`MAX_LOOK_BEHIND`] bytes back), else `from`.
    #[cold]
    #[inline(never)]
    fn sequence_from_before(
        &self,
        haystack: &[u8],
        from: usize,
        to: usize,
        on_hit: &mut impl FnMut(RawMatch),
    ) -> usize {
        let floor = from.saturating_sub(MAX_LOOK_BEHIND);
        let after = haystack[floor..from]
            .iter()
            .rposition(|&b| b == ESC)
            .and_then(|esc| csi_end(haystack, floor + esc));
        match after {
            Some(after) if after >= from => self.finish_sequence(haystack, after, from, to, on_hit),
            _ => from,
        }
    }

    /// Confirms the final byte of a control sequence ending at `after` (if at or after
    /// `from`), then `after` itself unless the final byte's word covered it; only positions
    /// before `to`. Returns where the search continues, never past an ESC byte not yet seen.
    #[inline(always)]
    fn finish_sequence(
        &self,
        haystack: &[u8],
        after: usize,
        from: usize,
        to: usize,
        on_hit: &mut impl FnMut(RawMatch),
    ) -> usize {
        let last = after - 1;
        if !is_word_byte(haystack[last]) {
            // Starts no pattern, and the block loops flag the word start after it themselves.
            return after;
        }
        let mut next = after;
        if last >= from && last < to {
            next = self.confirm::<true>(haystack, last, on_hit);
        }
        if next == after && after < to && haystack[after] != ESC {
            // Not itself a final byte: the sequence before it has just ended.
            next = self.confirm::<false>(haystack, after, on_hit);
        }
        next
    }

    fn find_teddy(
        &self,
        teddy: &packed::Searcher,
        haystack: &[u8],
        from: usize,
        to: usize,
        on_hit: &mut impl FnMut(RawMatch),
    ) {
        // A prefix starting before `to` ends by `to + PREFIX_LEN - 1`.
        let span_end = haystack.len().min(to + PREFIX_LEN - 1);
        let mut pos = from;
        let mut dense = 0u32;
        while pos < to {
            let Some(found) = teddy.find_in(
                haystack,
                Span {
                    start: pos,
                    end: span_end,
                },
            ) else {
                return;
            };
            let candidate = found.start();
            if candidate >= to {
                return;
            }
            dense = if candidate - pos < DENSE_GAP {
                dense + 1
            } else {
                0
            };
            pos = self.confirm::<true>(haystack, candidate, on_hit);
            if dense >= DENSE_RUN {
                dense = 0;
                pos = self.scalar(
                    haystack,
                    pos,
                    to.min(pos.saturating_add(SCALAR_STRETCH)),
                    on_hit,
                );
            }
        }
    }

    /// Scans `from..to` byte by byte against the first-two-bytes table; returns where it
    /// stopped (past `to` if a hit or a skipped word ran over it).
    fn scalar(
        &self,
        haystack: &[u8],
        from: usize,
        to: usize,
        on_hit: &mut impl FnMut(RawMatch),
    ) -> usize {
        let mut pos = from;
        while pos < to {
            pos = self.confirm::<true>(haystack, pos, on_hit);
        }
        pos
    }

    #[inline(always)]
    fn may_start(&self, first: u8, second: u8) -> bool {
        let bit = 256 * first as usize + second as usize;
        self.first_two[bit / 64] & (1 << (bit % 64)) != 0
    }

    /// Decides whether the word at `candidate` is a hit, reports it if so, and returns where
    /// the search continues: the end of that word either way (see the module docs for why),
    /// except that with `MAY_END_CSI` a rejected candidate that ends a control sequence
    /// returns the next position. The block loops pass `false`: they finish control
    /// sequences themselves, so their candidates never end one.
    ///
    /// The first-two-bytes check comes first and is what makes skipping the word sound: the
    /// SIMD finders over-approximate, and a word may only be skipped when its first bytes
    /// really begin some pattern (never a digit, and `-` only before a digit).
    #[inline(always)]
    fn confirm<const MAY_END_CSI: bool>(
        &self,
        haystack: &[u8],
        candidate: usize,
        on_hit: &mut impl FnMut(RawMatch),
    ) -> usize {
        match haystack.get(candidate + 1) {
            Some(&second) if self.may_start(haystack[candidate], second) => {}
            _ => return candidate + 1,
        }
        // Numeric aliases start with `-`, which is not part of the word that follows it.
        let body = candidate + usize::from(!is_word_byte(haystack[candidate]));
        let end = word_end(haystack, body);
        let len = end - candidate;
        if len >= self.min_len && len <= self.max_len && boundary_before(haystack, candidate) {
            if let Some(pattern) = self.words.get(&haystack[candidate..end]) {
                on_hit(RawMatch {
                    start: candidate,
                    end,
                    pattern,
                });
                return end;
            }
        }
        // Not a hit. The rest of the word may still be one if this byte ends a control
        // sequence (see the module docs); the length and first two bytes rule that out cheaply
        // almost always. `end >= candidate + 1` here: the first byte passed `may_start`, so it
        // is an identifier byte or `-`, and the word after `-` is at least empty.
        let rest = end - candidate - 1;
        if MAY_END_CSI
            && rest >= self.min_len
            && rest <= self.max_len
            && self.may_start(haystack[candidate + 1], haystack[candidate + 2])
            && follows_csi(haystack, candidate + 1)
        {
            return candidate + 1;
        }
        end.max(candidate + 1)
    }
}

/// Exact lookup of a whole word among the patterns: an open-addressing table hashed on the
/// length and the first and last eight bytes, sized so most non-patterns land on an empty slot
/// and are rejected without comparing any bytes.
struct WordTable {
    slots: Vec<u32>, // pattern id + 1; 0 is empty
    texts: Vec<Box<[u8]>>,
    shift: u32,
}

impl WordTable {
    fn new(patterns: &[Pattern]) -> WordTable {
        let size = (patterns.len() * 8).next_power_of_two().max(64);
        let mut table = WordTable {
            slots: vec![0; size],
            texts: patterns.iter().map(|p| p.text.as_bytes().into()).collect(),
            shift: 64 - size.trailing_zeros(),
        };
        for (id, pattern) in patterns.iter().enumerate() {
            let mut slot = table.slot_of(pattern.text.as_bytes());
            while table.slots[slot] != 0 {
                slot = (slot + 1) & (size - 1);
            }
            table.slots[slot] = id as u32 + 1;
        }
        table
    }

    #[inline(always)]
    fn slot_of(&self, word: &[u8]) -> usize {
        let len = word.len();
        let (head, tail) = match (word.get(..8), word.get(len.saturating_sub(8)..)) {
            (Some(head), Some(tail)) if len >= 8 => (
                u64::from_le_bytes(head.try_into().expect("eight bytes")),
                u64::from_le_bytes(tail.try_into().expect("eight bytes")),
            ),
            _ => {
                let mut padded = [0u8; 8];
                padded[..len.min(8)].copy_from_slice(&word[..len.min(8)]);
                let value = u64::from_le_bytes(padded);
                (value, value)
            }
        };
        let mixed = (head ^ tail.rotate_left(29) ^ len as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (mixed >> self.shift) as usize
    }

    #[inline]
    fn get(&self, word: &[u8]) -> Option<PatternId> {
        let mask = self.slots.len() - 1;
        let mut slot = self.slot_of(word);
        loop {
            let entry = self.slots[slot];
            if entry == 0 {
                return None;
            }
            if *self.texts[entry as usize - 1] == *word {
                return Some(entry - 1);
            }
            slot = (slot + 1) & mask;
        }
    }
}

/// Teddy-style nibble masks: bit `b` of `lo[k][n]` is set when some prefix in bucket `b` has
/// low nibble `n` at offset `k` (likewise `hi` for high nibbles). A position whose three bytes
/// pass all six lookups for a common bucket may start one of the prefixes; one that fails
/// cannot.
#[derive(Clone)]
pub(super) struct PrefixMasks {
    lo: [[u8; 16]; PREFIX_LEN],
    hi: [[u8; 16]; PREFIX_LEN],
}

impl PrefixMasks {
    fn new(prefixes: &[&[u8]]) -> PrefixMasks {
        let mut sorted: Vec<&[u8]> = prefixes.to_vec();
        sorted.sort();
        let mut masks = PrefixMasks {
            lo: [[0; 16]; PREFIX_LEN],
            hi: [[0; 16]; PREFIX_LEN],
        };
        // A bucket admits every combination of its members' nibbles, so each prefix goes where
        // it adds the fewest new nibbles (then to the smallest bucket): similar prefixes share
        // a bucket and unrelated ones do not multiply into false candidates.
        let mut sizes = [0usize; 8];
        for prefix in sorted {
            let new_nibbles = |bucket: usize| -> usize {
                prefix
                    .iter()
                    .take(PREFIX_LEN)
                    .enumerate()
                    .map(|(k, &byte)| {
                        usize::from(masks.lo[k][(byte & 0x0F) as usize] & (1 << bucket) == 0)
                            + usize::from(masks.hi[k][(byte >> 4) as usize] & (1 << bucket) == 0)
                    })
                    .sum()
            };
            let bucket = (0..8)
                .min_by_key(|&b| (if sizes[b] == 0 { 0 } else { new_nibbles(b) }, sizes[b]))
                .unwrap_or(0);
            sizes[bucket] += 1;
            for (k, &byte) in prefix.iter().take(PREFIX_LEN).enumerate() {
                masks.lo[k][(byte & 0x0F) as usize] |= 1 << bucket;
                masks.hi[k][(byte >> 4) as usize] |= 1 << bucket;
            }
        }
        masks
    }
}

fn detect_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether the word engine can take this pattern (see the module docs).
fn is_word_shaped(text: &[u8]) -> bool {
    if text.len() < PREFIX_LEN {
        return false;
    }
    match text[0] {
        b'-' => text[1..].iter().all(u8::is_ascii_digit),
        first => !first.is_ascii_digit() && text.iter().all(|&b| is_word_byte(b)),
    }
}

/// Offset of the first non-identifier byte at or after `pos` (or the haystack's length).
#[inline(always)]
fn word_end(haystack: &[u8], mut pos: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    while pos + 16 <= haystack.len() {
        // SAFETY: 16 bytes from `pos` are in bounds (checked above); SSE2 is baseline.
        let non_word = unsafe { sse2::Classes::non_word_mask(haystack.as_ptr().add(pos)) };
        if non_word != 0 {
            return pos + non_word.trailing_zeros() as usize;
        }
        pos += 16;
    }
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

/// The AVX2 kernel behind [`WordFinder::WordStarts`]: word starts (as in the SSE2 kernel)
/// whose first three bytes pass the [`PrefixMasks`].
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{PrefixMasks, ESC, PREFIX_LEN};

    pub(super) struct Kernel {
        lo: [__m256i; PREFIX_LEN],
        hi: [__m256i; PREFIX_LEN],
        nibble: __m256i,
        zero: __m256i,
        digit_width: __m256i,
        lower_a: __m256i,
        letter_width: __m256i,
        case_bit: __m256i,
        underscore: __m256i,
        esc: __m256i,
    }

    impl Kernel {
        #[target_feature(enable = "avx2")]
        pub(super) fn new(masks: &PrefixMasks) -> Kernel {
            let table = |bytes: &[u8; 16]| {
                // SAFETY: reading 16 bytes from a 16-byte array.
                let half = unsafe { _mm_loadu_si128(bytes.as_ptr() as *const __m128i) };
                _mm256_broadcastsi128_si256(half)
            };
            Kernel {
                lo: [
                    table(&masks.lo[0]),
                    table(&masks.lo[1]),
                    table(&masks.lo[2]),
                ],
                hi: [
                    table(&masks.hi[0]),
                    table(&masks.hi[1]),
                    table(&masks.hi[2]),
                ],
                nibble: _mm256_set1_epi8(0x0F),
                zero: _mm256_set1_epi8(b'0' as i8),
                digit_width: _mm256_set1_epi8(9),
                lower_a: _mm256_set1_epi8(b'a' as i8),
                letter_width: _mm256_set1_epi8(25),
                case_bit: _mm256_set1_epi8(0x20),
                underscore: _mm256_set1_epi8(b'_' as i8),
                esc: _mm256_set1_epi8(ESC as i8),
            }
        }

        #[inline]
        #[target_feature(enable = "avx2")]
        fn in_range(x: __m256i, lo: __m256i, width: __m256i) -> __m256i {
            let d = _mm256_sub_epi8(x, lo);
            _mm256_cmpeq_epi8(_mm256_min_epu8(d, width), d)
        }

        #[inline]
        #[target_feature(enable = "avx2")]
        fn is_word(&self, x: __m256i) -> __m256i {
            let digit = Self::in_range(x, self.zero, self.digit_width);
            let letter = Self::in_range(
                _mm256_or_si256(x, self.case_bit),
                self.lower_a,
                self.letter_width,
            );
            let underscore = _mm256_cmpeq_epi8(x, self.underscore);
            _mm256_or_si256(_mm256_or_si256(digit, letter), underscore)
        }

        #[inline]
        #[target_feature(enable = "avx2")]
        fn prefix_bits(&self, bytes: __m256i, k: usize) -> __m256i {
            let low = _mm256_and_si256(bytes, self.nibble);
            let high = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), self.nibble);
            _mm256_and_si256(
                _mm256_shuffle_epi8(self.lo[k], low),
                _mm256_shuffle_epi8(self.hi[k], high),
            )
        }

        /// Bit `i` of the first mask is set when `at[i]` may start a hit: preceded by a
        /// non-identifier byte, and `at[i..i + 3]` passing the prefix masks. `before` says
        /// whether the byte before `at` is one; the others come from this block's own bytes
        /// shifted by one, which saves classifying a second, overlapping load. Bit `i` of the
        /// second mask is set when `at[i]` is ESC.
        ///
        /// # Safety
        /// `at .. at + 34` must be readable.
        #[inline]
        #[target_feature(enable = "avx2")]
        pub(super) unsafe fn candidates(&self, at: *const u8, before: bool) -> (u32, u32) {
            // SAFETY: the caller guarantees the 34 bytes from `at` are readable.
            let (b0, b1, b2) = unsafe {
                (
                    _mm256_loadu_si256(at as *const __m256i),
                    _mm256_loadu_si256(at.add(1) as *const __m256i),
                    _mm256_loadu_si256(at.add(2) as *const __m256i),
                )
            };
            let zero = _mm256_setzero_si256();
            let ends_word = _mm256_cmpeq_epi8(self.is_word(b0), zero);
            let boundary = ((_mm256_movemask_epi8(ends_word) as u32) << 1) | u32::from(before);
            let escapes = _mm256_movemask_epi8(_mm256_cmpeq_epi8(b0, self.esc)) as u32;
            let buckets = _mm256_and_si256(
                _mm256_and_si256(self.prefix_bits(b0, 0), self.prefix_bits(b1, 1)),
                self.prefix_bits(b2, 2),
            );
            let no_bucket = _mm256_movemask_epi8(_mm256_cmpeq_epi8(buckets, zero)) as u32;
            (boundary & !no_bucket, escapes)
        }
    }
}

/// The SSE2 classification behind [`WordFinder::WordStarts`].
#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::*;

    use super::ESC;

    /// Byte-class constants, splatted once per search.
    pub(super) struct Classes {
        zero: __m128i,
        digit_width: __m128i,
        lower_a: __m128i,
        letter_width: __m128i,
        case_bit: __m128i,
        underscore: __m128i,
        esc: __m128i,
        first_lo: __m128i,
        first_width: __m128i,
        first_extra: __m128i,
        second_lo: __m128i,
        second_width: __m128i,
    }

    impl Classes {
        pub(super) fn new(
            first_lo: u8,
            first_hi: u8,
            first_extra: u8,
            second_lo: u8,
            second_hi: u8,
        ) -> Classes {
            // SAFETY: SSE2 is part of the x86-64 baseline; these only splat constants.
            unsafe {
                Classes {
                    zero: _mm_set1_epi8(b'0' as i8),
                    digit_width: _mm_set1_epi8(9),
                    lower_a: _mm_set1_epi8(b'a' as i8),
                    letter_width: _mm_set1_epi8(25),
                    case_bit: _mm_set1_epi8(0x20),
                    underscore: _mm_set1_epi8(b'_' as i8),
                    esc: _mm_set1_epi8(ESC as i8),
                    first_lo: _mm_set1_epi8(first_lo as i8),
                    first_width: _mm_set1_epi8(first_hi.wrapping_sub(first_lo) as i8),
                    first_extra: _mm_set1_epi8(first_extra as i8),
                    second_lo: _mm_set1_epi8(second_lo as i8),
                    second_width: _mm_set1_epi8(second_hi.wrapping_sub(second_lo) as i8),
                }
            }
        }

        /// 0xFF in each lane where `lo <= x <= lo + width` (unsigned).
        #[inline(always)]
        unsafe fn in_range(x: __m128i, lo: __m128i, width: __m128i) -> __m128i {
            let d = _mm_sub_epi8(x, lo);
            _mm_cmpeq_epi8(_mm_min_epu8(d, width), d)
        }

        /// 0xFF in each lane holding `[0-9A-Za-z_]`.
        #[inline(always)]
        unsafe fn is_word(&self, x: __m128i) -> __m128i {
            let digit = Self::in_range(x, self.zero, self.digit_width);
            let letter = Self::in_range(
                _mm_or_si128(x, self.case_bit),
                self.lower_a,
                self.letter_width,
            );
            let underscore = _mm_cmpeq_epi8(x, self.underscore);
            _mm_or_si128(_mm_or_si128(digit, letter), underscore)
        }

        /// Bit `i` is set when `at[i]` is not an identifier byte.
        ///
        /// # Safety
        /// `at .. at + 16` must be readable.
        #[inline(always)]
        pub(super) unsafe fn non_word_mask(at: *const u8) -> u32 {
            // SAFETY: the caller guarantees 16 readable bytes; SSE2 is baseline on x86-64.
            unsafe {
                let classes = Classes::new(0, 0, 0, 0, 0);
                let bytes = _mm_loadu_si128(at as *const __m128i);
                (!_mm_movemask_epi8(classes.is_word(bytes)) as u32) & 0xFFFF
            }
        }

        /// Bit `i` of the first mask is set when `at[i]` may start a hit: a possible first
        /// byte followed by a possible second byte, preceded by a non-identifier byte. Bit `i`
        /// of the second mask is set when `at[i]` is ESC.
        ///
        /// # Safety
        /// `at - 1 .. at + 17` must be readable.
        #[inline(always)]
        pub(super) unsafe fn word_starts(&self, at: *const u8) -> (u32, u32) {
            let current = _mm_loadu_si128(at as *const __m128i);
            let previous = _mm_loadu_si128(at.sub(1) as *const __m128i);
            let next = _mm_loadu_si128(at.add(1) as *const __m128i);
            let after_boundary = _mm_cmpeq_epi8(self.is_word(previous), _mm_setzero_si128());
            let first = _mm_or_si128(
                Self::in_range(current, self.first_lo, self.first_width),
                _mm_cmpeq_epi8(current, self.first_extra),
            );
            let second = Self::in_range(next, self.second_lo, self.second_width);
            let starts = _mm_and_si128(_mm_and_si128(after_boundary, first), second);
            let escapes = _mm_cmpeq_epi8(current, self.esc);
            (
                _mm_movemask_epi8(starts) as u32,
                _mm_movemask_epi8(escapes) as u32,
            )
        }
    }
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

    /// Random text glued from `patterns` and `pieces`: every word-engine finder (with AVX2 and
    /// without) must find exactly what the general engine finds. Returns the text and the hits.
    fn finders_agree_with_the_general_engine(
        patterns: &[Pattern],
        pieces: &[&[u8]],
    ) -> (Vec<u8>, Vec<RawMatch>) {
        let mut text = Vec::new();
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            match state % 3 {
                0 => text.extend_from_slice(
                    patterns[(state >> 8) as usize % patterns.len()]
                        .text
                        .as_bytes(),
                ),
                _ => text.extend_from_slice(pieces[(state >> 8) as usize % pieces.len()]),
            }
        }
        let general = super::super::general::GeneralMatcher::new(patterns);
        let mut expected = Vec::new();
        general.find(&text, 0, text.len(), &mut |m| expected.push(m));
        let hits = |words: &WordMatcher| {
            let mut found = Vec::new();
            words.find(&text, 0, text.len(), &mut |m| found.push(m));
            found
        };
        for finder in [WordFinder::WordStarts, WordFinder::Teddy] {
            let mut words = WordMatcher::new(patterns, finder).expect("word-shaped catalog");
            assert_eq!(hits(&words), expected, "{}", words.finder_name());
            words.avx2 = false;
            assert_eq!(hits(&words), expected, "{}", words.finder_name());
        }
        (text, expected)
    }

    /// On a machine with AVX2 the SSE2 loop only sees tails; here it sees everything, and
    /// must find exactly what the AVX2 loop and the general engine find.
    #[test]
    fn every_finder_finds_the_same_hits() {
        let catalog = crate::catalog::Catalog::builtin().expect("built-in catalog parses");
        let pieces: [&[u8]; 17] = [
            b" ",
            b"\n",
            b"\x1b[1;31m",
            b"\x1b[2K",
            b"\x1b[D",
            b"\x1b[?25h",
            b"\x1b[1 q",
            b"\x1b[2",
            b"-",
            b"_MS",
            b"X",
            b"\xe9\x94\x99",
            b"m",
            b"5",
            b"=",
            b"[",
            b"\r\n",
        ];
        let (_, hits) = finders_agree_with_the_general_engine(&catalog.patterns(), &pieces);
        assert!(hits.len() > 1000, "the text holds many hits");
    }

    /// Codes that begin with the final bytes of control sequences (`K`, `m`, `_`, `G`), and
    /// codes that are such a code without its first letter: a rejected word at a final byte
    /// must not hide the code one byte on.
    #[test]
    fn every_finder_finds_codes_glued_to_final_bytes() {
        let patterns: Vec<Pattern> = [
            "KX_ERR", "X_ERR", "mCODE", "CODE", "_UNDER", "GGG", "GG_1", "DAB_C", "AB_C", "-42",
        ]
        .iter()
        .enumerate()
        .map(|(code, text)| Pattern {
            text: text.to_string(),
            code,
        })
        .collect();
        let pieces: [&[u8]; 16] = [
            b"\x1b[",
            b"\x1b[2",
            b"\x1b[?25",
            b"\x1b[1 ",
            b"K",
            b"D",
            b"m",
            b"G",
            b"_",
            b"X",
            b"A",
            b" ",
            b"\n",
            b"1",
            b"-",
            b"\x1b[2K",
        ];
        let (text, hits) = finders_agree_with_the_general_engine(&patterns, &pieces);
        let glued = hits
            .iter()
            .filter(|m| m.start > 0 && is_word_byte(text[m.start - 1]))
            .count();
        assert!(
            hits.len() > 500 && glued > 50,
            "{} hits, {glued} glued",
            hits.len()
        );
    }

    #[test]
    fn shapes_the_engine_accepts() {
        assert!(is_word_shaped(b"DATABASE_TIMEOUT"));
        assert!(is_word_shaped(b"APIs_GET_OPENAPI_SCHEMA_ERROR"));
        assert!(is_word_shaped(b"-502005"));
        assert!(!is_word_shaped(b"-50a"));
        assert!(!is_word_shaped(b"ERR-1"));
        // A leading letter is fine, even one that ends control sequences (`ESC [ m`).
        assert!(is_word_shaped(b"mCODE"));
        assert!(!is_word_shaped(b"1CODE"));
        assert!(!is_word_shaped(b"AB"));
    }
}
