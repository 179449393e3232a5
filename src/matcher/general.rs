//! The general engine: one Aho-Corasick DFA (leftmost-longest) over every pattern, for any
//! catalog. Used when the catalog has patterns the word engine cannot take.
//!
//! Leftmost-longest alone is not the whole rule: the longest pattern at a position may fail
//! the boundary test where a shorter one at the same position passes (patterns `ERR` and
//! `ERR-1` on `ERR-1x`). Every pattern occurring at a position is a prefix of the longest one
//! there, so on a failed boundary the engine tries that pattern's prefixes (longest first)
//! before moving one byte on.

use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind};

use super::{boundary_after, boundary_before, PatternId, RawMatch};
use crate::catalog::Pattern;

pub(super) struct GeneralMatcher {
    automaton: AhoCorasick,
    lens: Vec<usize>,
    /// For each pattern, the other patterns that are proper prefixes of it, longest first.
    prefixes: Vec<Vec<PatternId>>,
    max_len: usize,
}

impl GeneralMatcher {
    pub(super) fn new(patterns: &[Pattern]) -> GeneralMatcher {
        let texts: Vec<&[u8]> = patterns.iter().map(|p| p.text.as_bytes()).collect();
        let automaton = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::DFA))
            .match_kind(MatchKind::LeftmostLongest)
            .build(&texts)
            .or_else(|_| {
                // A DFA can exceed the builder's size limits for very large user catalogs;
                // the NFA gives the same answers, only slower.
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&texts)
            })
            .expect("an automaton over non-empty patterns always builds");
        let prefixes = texts
            .iter()
            .map(|long| {
                let mut shorter: Vec<PatternId> = texts
                    .iter()
                    .enumerate()
                    .filter(|(_, short)| short.len() < long.len() && long.starts_with(short))
                    .map(|(id, _)| id as PatternId)
                    .collect();
                shorter.sort_by_key(|&id| std::cmp::Reverse(texts[id as usize].len()));
                shorter
            })
            .collect();
        GeneralMatcher {
            automaton,
            lens: texts.iter().map(|t| t.len()).collect(),
            prefixes,
            max_len: texts.iter().map(|t| t.len()).max().unwrap_or(0),
        }
    }

    pub(super) fn find(
        &self,
        haystack: &[u8],
        from: usize,
        to: usize,
        on_hit: &mut impl FnMut(RawMatch),
    ) {
        // A hit starting before `to` ends by `to - 1 + max_len`; searching further is waste.
        let search_end = haystack.len().min(to + self.max_len);
        let mut pos = from;
        'search: while pos < to {
            let input = Input::new(haystack).span(pos..search_end);
            let Some(found) = self.automaton.find(input) else {
                return;
            };
            let start = found.start();
            if start >= to {
                return;
            }
            if boundary_before(haystack, start) {
                let longest = found.pattern().as_u32();
                let candidates =
                    std::iter::once(longest).chain(self.prefixes[longest as usize].iter().copied());
                for pattern in candidates {
                    let end = start + self.lens[pattern as usize];
                    if boundary_after(haystack, end) {
                        on_hit(RawMatch {
                            start,
                            end,
                            pattern,
                        });
                        pos = end;
                        continue 'search;
                    }
                }
            }
            pos = start + 1;
        }
    }
}
