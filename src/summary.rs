//! Counts over a scan: inputs, bytes, lines, hits per code. Summaries of parts of a scan (chunks,
//! files, hosts) merge by plain addition, so the total is exact whatever order parts finish in.

use crate::catalog::{Catalog, CategoryId, CodeId};

/// What a scan (or a part of one) found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Inputs scanned to the end.
    pub files: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Lines read (a last line without `\n` counts).
    pub lines: u64,
    /// Hits reported (after filters).
    pub hits: u64,
    /// Inputs that could not be read, in whole or in part.
    pub errors: u64,
    /// Hits per code, indexed by [`CodeId`].
    pub by_code: Vec<u64>,
}

impl Summary {
    /// An empty summary for a catalog of `codes` codes.
    pub fn new(codes: usize) -> Summary {
        Summary {
            by_code: vec![0; codes],
            ..Summary::default()
        }
    }

    /// Counts one hit of `code`.
    #[inline]
    pub fn add_hit(&mut self, code: CodeId) {
        self.hits += 1;
        self.by_code[code] += 1;
    }

    /// Sets every count back to zero, keeping the allocation.
    pub(crate) fn clear(&mut self) {
        let mut by_code = std::mem::take(&mut self.by_code);
        by_code.fill(0);
        *self = Summary {
            by_code,
            ..Summary::default()
        };
    }

    /// Bytes this summary holds on the heap.
    pub(crate) fn weight(&self) -> usize {
        std::mem::size_of::<Summary>() + self.by_code.capacity() * std::mem::size_of::<u64>()
    }

    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &Summary) {
        self.files += other.files;
        self.bytes += other.bytes;
        self.lines += other.lines;
        self.hits += other.hits;
        self.errors += other.errors;
        if self.by_code.len() < other.by_code.len() {
            self.by_code.resize(other.by_code.len(), 0);
        }
        for (total, part) in self.by_code.iter_mut().zip(&other.by_code) {
            *total += part;
        }
    }

    /// Hits per category, indexed by [`CategoryId`].
    pub fn by_category(&self, catalog: &Catalog) -> Vec<u64> {
        let mut counts = vec![0; catalog.categories().len()];
        for (code, &count) in self.by_code.iter().enumerate() {
            counts[catalog.code(code).category] += count;
        }
        counts
    }

    /// Codes that were hit, most frequent first (ties in catalog order).
    pub fn codes_by_count(&self) -> Vec<(CodeId, u64)> {
        let mut seen: Vec<(CodeId, u64)> = self
            .by_code
            .iter()
            .enumerate()
            .filter(|(_, &count)| count > 0)
            .map(|(code, &count)| (code, count))
            .collect();
        seen.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        seen
    }

    /// Categories that were hit, most frequent first (ties in catalog order).
    pub fn categories_by_count(&self, catalog: &Catalog) -> Vec<(CategoryId, u64)> {
        let mut seen: Vec<(CategoryId, u64)> = self
            .by_category(catalog)
            .into_iter()
            .enumerate()
            .filter(|(_, count)| *count > 0)
            .collect();
        seen.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        seen
    }

    /// Hits of generic codes.
    pub fn generic_hits(&self, catalog: &Catalog) -> u64 {
        self.by_code
            .iter()
            .enumerate()
            .filter(|(code, _)| catalog.code(*code).is_generic())
            .map(|(_, count)| count)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_adds_everything() {
        let mut a = Summary::new(3);
        a.files = 1;
        a.bytes = 10;
        a.lines = 2;
        a.add_hit(0);
        let mut b = Summary::new(3);
        b.errors = 1;
        b.bytes = 5;
        b.add_hit(2);
        b.add_hit(2);
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b.clone();
        ba.merge(&a);
        assert_eq!(ab, ba);
        assert_eq!(ab.hits, 3);
        assert_eq!(ab.by_code, vec![1, 0, 2]);
        assert_eq!(ab.codes_by_count(), vec![(2, 2), (0, 1)]);
        assert_eq!((ab.files, ab.bytes, ab.lines, ab.errors), (1, 15, 2, 1));
    }
}
