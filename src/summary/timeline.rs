//! The summary's timeline: hits per category on a fixed grid of absolute time, built so that
//! the timeline of a whole scan is exactly the merge of the timelines of its parts.
//!
//! The grid is the finest step of a fixed ladder of widths ([`LADDER`]) whose buckets from the
//! first hit's to the last one's number at most [`MAX_TIMELINE_BUCKETS`]. Every width is a
//! multiple of the one before and buckets are aligned to the Unix epoch, so a bucket of any
//! width is a union of whole buckets of every finer width: re-bucketing counts to a coarser
//! width loses nothing a direct count at that width would have kept. A time without a zone
//! (the log's wall clock) is placed as if it were UTC, and the timeline says so ([`local`]).
//!
//! [`Grid`] holds the rules once, generic over the key: [`Timeline`] keys it by
//! [`CategoryId`], the wire form ([`super::wire::WireTimeline`]) by category name, and both
//! merge through the same code.
//!
//! [`local`]: Timeline::local

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, CategoryId};
use crate::error::{Error, Result};
use crate::limits::MAX_TIMELINE_BUCKETS;

const MINUTE: i64 = 60;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// The bucket widths, in seconds, finest first. Each is a multiple of the one before (the
/// nesting every merge relies on). Weeks are aligned to the epoch, so they start on Thursdays;
/// past a week the widths double, up to about 20 years, which fits any span a timestamp can
/// have.
pub const LADDER: [i64; 24] = [
    1,
    5,
    15,
    30,
    MINUTE,
    5 * MINUTE,
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    3 * HOUR,
    6 * HOUR,
    12 * HOUR,
    DAY,
    7 * DAY,
    14 * DAY,
    28 * DAY,
    56 * DAY,
    112 * DAY,
    224 * DAY,
    448 * DAY,
    896 * DAY,
    1_792 * DAY,
    3_584 * DAY,
    7_168 * DAY,
];

const WIDEST: i64 = LADDER[LADDER.len() - 1];

/// The earliest second a hit is placed at: the first multiple of the widest width at or after
/// the earliest time a timestamp can hold (`-9999-01-01`). Earlier times (which no real log
/// has) are placed here, so that every bucket start, at every width, is a time that can be
/// written as RFC 3339.
pub(crate) const GRID_MIN: i64 = -(377_705_116_800 / WIDEST) * WIDEST;

/// The latest second a timestamp can hold (jiff's `Timestamp::MAX`).
const TIME_MAX: i64 = 253_402_207_200;

// The widest step fits every span a timestamp can have, so coarsening always ends.
const _: () = assert!((TIME_MAX - GRID_MIN) / WIDEST + 2 <= MAX_TIMELINE_BUCKETS as i64);
const _: () = {
    let mut i = 1;
    while i < LADDER.len() {
        assert!(LADDER[i] % LADDER[i - 1] == 0);
        i += 1;
    }
};

/// The start of the bucket of `width` holding `second`.
fn floor(second: i64, width: i64) -> i64 {
    second.div_euclid(width) * width
}

/// The buckets of `width` from the one holding `first` to the one holding `last`, inclusive.
fn span(first: i64, last: i64, width: i64) -> i64 {
    last.div_euclid(width) - first.div_euclid(width) + 1
}

/// The finest width of the ladder, at least `from`, whose buckets from `first` to `last` number
/// at most `max` (the widest when none does).
///
/// With nested widths the number of buckets a span touches only falls as the width grows, so
/// this is also the finest width fitting `max` among all widths at least `from`: for the
/// union of two parts it is the finest fitting the union whenever `from` is no coarser than
/// the whole's width, which holds since a part's span is inside the whole's.
fn fitting(first: i64, last: i64, from: i64, max: usize) -> i64 {
    let max = i64::try_from(max).unwrap_or(i64::MAX);
    LADDER
        .iter()
        .copied()
        .filter(|&w| w >= from)
        .find(|&w| span(first, last, w) <= max)
        .unwrap_or(WIDEST)
}

/// Counts per key on a grid of time: the rules shared by the typed and the wire timelines.
///
/// Invariants: `cells` is sorted by (start, key), each (start, key) once, every count above
/// zero, every start a multiple of `width`; `width` is 0 exactly when there are no cells, and
/// otherwise the finest step of [`LADDER`] whose span of buckets fits the cap (given that
/// what was added, or merged in, was itself built by these rules); `local` is false when
/// empty. So two grids holding the same hits are equal field for field, whatever order the
/// hits or the parts came in: `merge(parts) == whole`.
#[derive(Debug, Clone)]
pub(crate) struct Grid<K> {
    width: i64,
    local: bool,
    /// (bucket start in Unix seconds, key, hits).
    cells: Vec<(i64, K, u64)>,
    /// The cell the last hit went to: logs are mostly in time order, so the next hit usually
    /// goes there too, and adding it is an increment.
    cursor: usize,
    /// The cap on the span, in buckets ([`MAX_TIMELINE_BUCKETS`]; smaller in tests).
    cap: usize,
}

impl<K> Default for Grid<K> {
    fn default() -> Self {
        Grid {
            width: 0,
            local: false,
            cells: Vec::new(),
            cursor: 0,
            cap: MAX_TIMELINE_BUCKETS,
        }
    }
}

impl<K: PartialEq> PartialEq for Grid<K> {
    /// The cursor is a cache, not content.
    fn eq(&self, other: &Self) -> bool {
        self.width == other.width && self.local == other.local && self.cells == other.cells
    }
}

impl<K: Eq> Eq for Grid<K> {}

impl<K: Ord + Clone> Grid<K> {
    #[cfg(test)]
    pub(crate) fn with_cap(cap: usize) -> Grid<K> {
        Grid {
            cap,
            ..Grid::default()
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    pub(crate) fn width(&self) -> i64 {
        self.width
    }

    pub(crate) fn local(&self) -> bool {
        self.local
    }

    /// The non-empty cells: (bucket start, key, hits), by start then key.
    pub(crate) fn cells(&self) -> &[(i64, K, u64)] {
        &self.cells
    }

    /// The start of the first bucket and of the last (`None` when empty).
    pub(crate) fn ends(&self) -> Option<(i64, i64)> {
        Some((self.cells.first()?.0, self.cells.last()?.0))
    }

    /// Counts `n` hits of `key` at `second` (`local`: the time had no zone). O(1) when the hit
    /// goes where the last one went or after every bucket so far; a search otherwise; a
    /// re-bucketing of everything when the span passes the cap, which happens at most once
    /// per step of the ladder in a grid's life.
    pub(crate) fn add(&mut self, key: &K, second: i64, n: u64, local: bool) {
        if n == 0 {
            return;
        }
        let second = second.max(GRID_MIN);
        self.local |= local;
        let Some((first, last)) = self.ends() else {
            self.width = LADDER[0];
            self.cells.push((floor(second, self.width), key.clone(), n));
            self.cursor = 0;
            return;
        };
        let mut start = floor(second, self.width);
        if let Some(cell) = self.cells.get_mut(self.cursor) {
            if cell.0 == start && cell.1 == *key {
                cell.2 += n;
                return;
            }
        }
        let (first, last) = (first.min(start), last.max(start));
        if span(first, last, self.width) > self.cap as i64 {
            self.rebucket(fitting(first, last, self.width, self.cap));
            start = floor(second, self.width);
        }
        let after_all = self.cells.last().is_none_or(|c| (c.0, &c.1) < (start, key));
        let at = if after_all {
            Err(self.cells.len())
        } else {
            self.cells
                .binary_search_by(|c| (c.0, &c.1).cmp(&(start, key)))
        };
        match at {
            Ok(i) => {
                self.cells[i].2 += n;
                self.cursor = i;
            }
            Err(i) => {
                self.cells.insert(i, (start, key.clone(), n));
                self.cursor = i;
            }
        }
    }

    /// Moves every count to its bucket at `width` (a step of the ladder at least as coarse as
    /// the current one: by nesting, each old bucket lies inside exactly one new one).
    fn rebucket(&mut self, width: i64) {
        if width == self.width {
            return;
        }
        for cell in &mut self.cells {
            cell.0 = floor(cell.0, width);
        }
        self.width = width;
        self.normalise();
    }

    /// Restores the order of the cells and joins those of the same bucket and key.
    fn normalise(&mut self) {
        // Nearly sorted after a re-bucketing (starts only merge): the sort is a linear pass.
        self.cells.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        self.cells.dedup_by(|later, kept| {
            let same = later.0 == kept.0 && later.1 == kept.1;
            if same {
                kept.2 += later.2;
            }
            same
        });
        self.cells.retain(|c| c.2 > 0);
        self.cursor = 0;
        if self.cells.is_empty() {
            self.width = 0;
            self.local = false;
        }
    }

    /// Adds `other`: both re-bucketed to the finest width, at least as coarse as either, that
    /// fits the union's span. By the note on [`fitting`], that is the width the whole would
    /// have had, and by nesting its counts are the whole's.
    pub(crate) fn merge(&mut self, other: &Grid<K>) {
        let Some((other_first, other_last)) = other.ends() else {
            return;
        };
        let Some((first, last)) = self.ends() else {
            self.width = other.width;
            self.local = other.local;
            self.cells.clone_from(&other.cells);
            self.cursor = 0;
            return;
        };
        self.local |= other.local;
        let (first, last) = (first.min(other_first), last.max(other_last));
        let width = fitting(first, last, self.width.max(other.width), self.cap);
        self.rebucket(width);
        let mut theirs = other.cells.clone();
        if other.width != width {
            for cell in &mut theirs {
                cell.0 = floor(cell.0, width);
            }
        }
        // Both sorted (theirs up to equal starts): one pass, then the same clean-up.
        let ours = std::mem::take(&mut self.cells);
        let mut merged = Vec::with_capacity(ours.len() + theirs.len());
        let (mut a, mut b) = (ours.into_iter().peekable(), theirs.into_iter().peekable());
        loop {
            let take_a = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => (x.0, &x.1) <= (y.0, &y.1),
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            merged.extend(if take_a { a.next() } else { b.next() });
        }
        self.cells = merged;
        self.normalise();
    }

    /// A copy with at most `max` buckets from first to last (at least the widest step's two),
    /// by the same rules as the cap.
    pub(crate) fn coarsened(&self, max: usize) -> Grid<K> {
        let mut copy = self.clone();
        if let Some((first, last)) = self.ends() {
            copy.rebucket(fitting(first, last, self.width, max));
        }
        copy
    }

    /// The same counts under other keys (the first error `key` gives is returned).
    pub(crate) fn map_keys<L: Ord + Clone, E>(
        &self,
        mut key: impl FnMut(&K) -> Result<L, E>,
    ) -> Result<Grid<L>, E> {
        let mut cells = Vec::with_capacity(self.cells.len());
        for (start, k, n) in &self.cells {
            cells.push((*start, key(k)?, *n));
        }
        let mut grid = Grid {
            width: self.width,
            local: self.local,
            cells,
            cursor: 0,
            cap: self.cap,
        };
        grid.normalise();
        Ok(grid)
    }

    /// A grid from cells read back: `width` must be a step of the ladder and every start a
    /// multiple of it (the caller checks both); coarsened if they span more than the cap (a
    /// hand-made file).
    pub(crate) fn from_parts(width: i64, local: bool, cells: Vec<(i64, K, u64)>) -> Grid<K> {
        let mut grid = Grid {
            width,
            local,
            cells,
            cursor: 0,
            cap: MAX_TIMELINE_BUCKETS,
        };
        for cell in &mut grid.cells {
            cell.0 = cell.0.max(GRID_MIN);
        }
        grid.normalise();
        if let Some((first, last)) = grid.ends() {
            grid.rebucket(fitting(first, last, grid.width, grid.cap));
        }
        grid
    }

    /// Empties the grid, keeping its allocation.
    pub(crate) fn clear(&mut self) {
        self.cells.clear();
        self.width = 0;
        self.local = false;
        self.cursor = 0;
    }

    /// Bytes on the heap.
    pub(crate) fn weight(&self) -> usize {
        self.cells.capacity() * std::mem::size_of::<(i64, K, u64)>()
    }
}

/// Hits per category per time bucket: see the [module](self) for the grid's rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeline(pub(crate) Grid<CategoryId>);

impl Timeline {
    /// Whether no hit with a time was counted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The bucket width in seconds (0 when empty).
    pub fn width_seconds(&self) -> i64 {
        self.0.width()
    }

    /// Whether some hit's time had no zone: it was placed by the log's wall clock as if that
    /// were UTC.
    pub fn local(&self) -> bool {
        self.0.local()
    }

    /// The start of the first bucket with hits and the end of the last, in Unix seconds.
    pub fn range(&self) -> Option<(i64, i64)> {
        let (first, last) = self.0.ends()?;
        Some((first, last + self.0.width()))
    }

    /// Buckets from the first with hits to the last, empty ones included (0 when empty).
    pub fn bucket_count(&self) -> usize {
        self.0.ends().map_or(0, |(first, last)| {
            (span(first, last, self.0.width())) as usize
        })
    }

    /// The non-empty cells: (bucket start in Unix seconds, category, hits), by start then
    /// category.
    pub fn cells(&self) -> impl Iterator<Item = (i64, CategoryId, u64)> + '_ {
        self.0.cells().iter().copied()
    }

    /// Every bucket from the first non-empty to the last, zeros included: (start as Unix
    /// seconds, hits indexed by [`CategoryId`], a vector of `categories` entries; hits of a
    /// category past that are left out).
    pub fn dense(&self, categories: usize) -> Vec<(i64, Vec<u64>)> {
        let Some((first, _)) = self.0.ends() else {
            return Vec::new();
        };
        let width = self.0.width();
        let mut rows: Vec<(i64, Vec<u64>)> = (0..self.bucket_count() as i64)
            .map(|i| (first + i * width, vec![0; categories]))
            .collect();
        for &(start, category, n) in self.0.cells() {
            let row = ((start - first) / width) as usize;
            if let Some(slot) = rows.get_mut(row).and_then(|(_, v)| v.get_mut(category)) {
                *slot += n;
            }
        }
        rows
    }

    /// A copy coarsened by the same rules as the cap so that it has at most `max_buckets`
    /// buckets (for display; at least two, which the widest step always fits).
    pub fn coarsened(&self, max_buckets: usize) -> Timeline {
        Timeline(self.0.coarsened(max_buckets))
    }

    /// Counts a hit of `category` at `seconds` and `nanos` ([`crate::fields::TimeValue::sort_key`]).
    #[inline]
    pub(crate) fn add_hit(&mut self, category: CategoryId, seconds: i64, nanos: i32, zoned: bool) {
        // A time before 1970 with a fraction keeps the fraction's sign: it belongs to the
        // second before.
        let second = if nanos < 0 { seconds - 1 } else { seconds };
        self.0.add(&category, second, 1, !zoned);
    }
}

impl std::ops::AddAssign<&Timeline> for Timeline {
    fn add_assign(&mut self, other: &Timeline) {
        self.0.merge(&other.0);
    }
}

/// The serialised timeline, keyed by category id (`database`): it merges with `+=` by the
/// same rules as [`Timeline`], without a catalog. Written as
/// `{"width_seconds":60,"local":false,"buckets":[{"start":"2024-05-16T08:15:00Z","hits":{"database":3}}]}`:
/// only buckets with hits, in time order; `start` is RFC 3339 in UTC (a time without a zone
/// was placed by its wall clock as if it were UTC, and `local` is then true).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawTimeline", into = "RawTimeline")]
pub struct WireTimeline(pub(crate) Grid<String>);

impl WireTimeline {
    /// Whether no hit with a time was counted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The bucket width in seconds (0 when empty).
    pub fn width_seconds(&self) -> i64 {
        self.0.width()
    }

    /// Whether some hit's time had no zone.
    pub fn local(&self) -> bool {
        self.0.local()
    }

    /// The non-empty cells: (bucket start in Unix seconds, category id, hits).
    pub fn cells(&self) -> impl Iterator<Item = (i64, &str, u64)> + '_ {
        self.0.cells().iter().map(|(s, k, n)| (*s, k.as_str(), *n))
    }
}

impl std::ops::AddAssign<&WireTimeline> for WireTimeline {
    fn add_assign(&mut self, other: &WireTimeline) {
        self.0.merge(&other.0);
    }
}

impl Timeline {
    /// The serialised form, with `catalog`'s category ids.
    pub fn to_wire(&self, catalog: &Catalog) -> WireTimeline {
        let named = self.0.map_keys(|&category| {
            Ok::<_, std::convert::Infallible>(
                catalog
                    .categories()
                    .get(category)
                    .map_or_else(|| category.to_string(), |c| c.id.clone()),
            )
        });
        match named {
            Ok(grid) => WireTimeline(grid),
            Err(never) => match never {},
        }
    }

    /// The timeline back from its serialised form: every category must be in `catalog`.
    pub fn from_wire(wire: &WireTimeline, catalog: &Catalog) -> Result<Timeline> {
        wire.0
            .map_keys(|name| {
                catalog.category_index(name).ok_or_else(|| {
                    Error::Usage(format!(
                        "the summary's timeline names category {name:?}, which the catalog lacks"
                    ))
                })
            })
            .map(Timeline)
    }
}

#[derive(Serialize, Deserialize)]
struct RawTimeline {
    width_seconds: i64,
    #[serde(default)]
    local: bool,
    buckets: Vec<RawBucket>,
}

#[derive(Serialize, Deserialize)]
struct RawBucket {
    start: String,
    hits: BTreeMap<String, u64>,
}

impl From<WireTimeline> for RawTimeline {
    fn from(wire: WireTimeline) -> RawTimeline {
        let mut buckets: Vec<RawBucket> = Vec::new();
        for (start, key, n) in wire.0.cells {
            if buckets.last().map(|b| &b.start) != Some(&rfc3339(start)) {
                buckets.push(RawBucket {
                    start: rfc3339(start),
                    hits: BTreeMap::new(),
                });
            }
            if let Some(bucket) = buckets.last_mut() {
                bucket.hits.insert(key, n);
            }
        }
        RawTimeline {
            width_seconds: wire.0.width,
            local: wire.0.local,
            buckets,
        }
    }
}

/// `second` as RFC 3339. Every bucket start is at or after [`GRID_MIN`] and at or before the
/// latest time a timestamp holds, so it always has one; the fallback is never taken.
fn rfc3339(second: i64) -> String {
    Timestamp::from_second(second).map_or_else(|_| second.to_string(), |t| t.to_string())
}

impl TryFrom<RawTimeline> for WireTimeline {
    type Error = String;

    fn try_from(raw: RawTimeline) -> std::result::Result<WireTimeline, String> {
        let width = raw.width_seconds;
        if raw.buckets.is_empty() {
            return Ok(WireTimeline::default());
        }
        if !LADDER.contains(&width) {
            return Err(format!(
                "timeline width_seconds {width} is not one of cbscan's bucket widths {LADDER:?}"
            ));
        }
        let mut cells = Vec::new();
        for bucket in raw.buckets {
            let start = bucket
                .start
                .parse::<Timestamp>()
                .map_err(|e| format!("timeline bucket start {:?}: {e}", bucket.start))?
                .as_second();
            if start.rem_euclid(width) != 0 {
                return Err(format!(
                    "timeline bucket start {:?} is not on the grid of {width}-second buckets",
                    bucket.start
                ));
            }
            cells.extend(bucket.hits.into_iter().map(|(key, n)| (start, key, n)));
        }
        Ok(WireTimeline(Grid::from_parts(width, raw.local, cells)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;
    use proptest::prelude::*;

    fn at(s: &str) -> i64 {
        s.parse::<Timestamp>().expect("a timestamp").as_second()
    }

    fn grid(cap: usize, hits: &[(u8, i64)]) -> Grid<u8> {
        let mut g = Grid::with_cap(cap);
        for &(key, second) in hits {
            g.add(&key, second, 1, false);
        }
        g
    }

    #[test]
    fn the_ladder_nests_and_the_limits_hold() {
        for pair in LADDER.windows(2) {
            assert_eq!(pair[1] % pair[0], 0, "{} into {}", pair[1], pair[0]);
        }
        assert!(Timestamp::from_second(GRID_MIN).is_ok());
        assert!(Timestamp::from_second(GRID_MIN - WIDEST).is_err());
        assert_eq!(Timestamp::MAX.as_second(), TIME_MAX);
        assert_eq!(Timestamp::MIN.as_second() / WIDEST, GRID_MIN / WIDEST);
        // A day of logs keeps one-minute buckets.
        let day = grid(
            MAX_TIMELINE_BUCKETS,
            &[
                (0, at("2024-05-16T00:00:30Z")),
                (0, at("2024-05-17T00:00:20Z")),
            ],
        );
        assert_eq!(day.width(), MINUTE);
    }

    #[test]
    fn an_empty_timeline() {
        let t = Timeline::default();
        assert!(t.is_empty());
        assert_eq!(
            (t.width_seconds(), t.local(), t.bucket_count()),
            (0, false, 0)
        );
        assert_eq!(t.dense(3), Vec::new());
        assert_eq!(t.range(), None);
        assert!(t.coarsened(10).is_empty());
        let mut sum = Timeline::default();
        sum += &t;
        assert_eq!(sum, t);
    }

    #[test]
    fn one_hit_is_one_second_wide() {
        let mut t = Timeline::default();
        t.add_hit(2, at("2024-05-16T08:15:02Z"), 361_000_000, true);
        assert_eq!(t.width_seconds(), 1);
        assert_eq!(t.bucket_count(), 1);
        assert_eq!(
            t.dense(3),
            vec![(at("2024-05-16T08:15:02Z"), vec![0, 0, 1])]
        );
        assert!(!t.local());
    }

    #[test]
    fn the_width_is_the_finest_that_fits_at_the_cap_edge() {
        // Cap 10: 10 seconds (two partial 5 s buckets would be 3) fit at 1 s...
        let base = at("2024-05-16T08:00:00Z");
        let g = grid(10, &[(0, base), (0, base + 9)]);
        assert_eq!(g.width(), 1);
        // ...11 do not: 5 s buckets, 08:00:00 and 08:00:10 → 3 buckets.
        let g = grid(10, &[(0, base), (0, base + 10)]);
        assert_eq!(g.width(), 5);
        assert_eq!(g.cells(), &[(base, 0, 1), (base + 10, 0, 1)]);
        // The span counts buckets touched, not seconds: 08:00:04 to 08:00:50 at 5 s touches
        // 08:00:00..08:00:50 = 11 buckets, past the cap: 15 s.
        let g = grid(10, &[(0, base + 4), (1, base + 50), (0, base + 7)]);
        assert_eq!(g.width(), 15);
        assert_eq!(
            g.cells(),
            &[(base, 0, 2), (base + 45, 1, 1)],
            "04 and 07 share 08:00:00; 50 goes to 08:00:45"
        );
    }

    #[test]
    fn times_without_a_zone_are_placed_as_utc_and_marked() {
        let mut t = Timeline::default();
        // 2024-05-16T08:15:02 wall clock, read as if UTC.
        t.add_hit(0, at("2024-05-16T08:15:02Z"), 0, false);
        assert!(t.local());
        assert_eq!(
            t.range(),
            Some((at("2024-05-16T08:15:02Z"), at("2024-05-16T08:15:03Z")))
        );
        let mut zoned = Timeline::default();
        zoned.add_hit(0, at("2024-05-16T09:15:02Z"), 0, true);
        assert!(!zoned.local());
        zoned += &t;
        assert!(zoned.local(), "merging keeps the mark");
    }

    #[test]
    fn times_before_1970_with_fractions_floor_down() {
        let mut t = Timeline::default();
        // -0.5 s is the second -1 (jiff gives seconds 0, nanos -500_000_000).
        t.add_hit(0, 0, -500_000_000, true);
        assert_eq!(t.range(), Some((-1, 0)));
    }

    #[test]
    fn dense_fills_the_gaps_and_coarsened_widens() {
        let base = at("2024-05-16T08:00:00Z");
        let mut t = Timeline::default();
        for (category, minute) in [(0, 0), (1, 0), (1, 3), (0, 4)] {
            t.add_hit(category, base + 60 * minute, 0, true);
        }
        // 4 minutes apart at 1 s would be 241 buckets, within the cap: seconds.
        assert_eq!(t.width_seconds(), 1);
        let c = t.coarsened(5);
        assert_eq!(c.width_seconds(), MINUTE);
        assert_eq!(
            c.dense(2),
            vec![
                (base, vec![1, 1]),
                (base + 60, vec![0, 0]),
                (base + 120, vec![0, 0]),
                (base + 180, vec![0, 1]),
                (base + 240, vec![1, 0]),
            ]
        );
        assert_eq!(t.coarsened(2).dense(2), vec![(base, vec![2, 2])]);
    }

    #[test]
    fn extreme_times_stay_on_a_writable_grid() {
        let mut t = Timeline::default();
        t.add_hit(0, Timestamp::MIN.as_second(), 0, true);
        t.add_hit(0, Timestamp::MAX.as_second(), 0, true);
        assert_eq!(t.width_seconds(), WIDEST);
        assert!(t.bucket_count() <= MAX_TIMELINE_BUCKETS);
        for (start, _, _) in t.cells() {
            assert!(Timestamp::from_second(start).is_ok());
        }
    }

    fn whole_and_parts(
        hits: &[(u8, i64)],
        cuts: &[usize],
        order: &[usize],
        cap: usize,
    ) -> (Grid<u8>, Grid<u8>) {
        let whole = grid(cap, hits);
        let mut parts: Vec<Grid<u8>> = Vec::new();
        let mut rest = hits;
        for &cut in cuts {
            let (part, after) = rest.split_at(cut.min(rest.len()));
            parts.push(grid(cap, part));
            rest = after;
        }
        parts.push(grid(cap, rest));
        let mut merged = Grid::with_cap(cap);
        for &i in order {
            if i < parts.len() {
                merged.merge(&parts[i]);
                parts[i] = Grid::with_cap(cap);
            }
        }
        for part in &parts {
            merged.merge(part);
        }
        (whole, merged)
    }

    proptest! {
        /// Merging the timelines of random parts, in any order, gives the whole's: the width
        /// and every count. Times spread from seconds to years so that every step of the
        /// ladder is crossed; a small cap crosses many of them.
        #[test]
        fn merged_parts_equal_the_whole(
            hits in prop::collection::vec(
                (0u8..4, prop_oneof![0i64..120, 0i64..100_000, -10_000_000_000i64..10_000_000_000]),
                0..60,
            ),
            cuts in prop::collection::vec(0usize..20, 0..5),
            order in prop::collection::vec(0usize..6, 0..6),
            cap in prop_oneof![Just(MAX_TIMELINE_BUCKETS), 40usize..60],
        ) {
            let base = 1_715_846_400; // 2024-05-16
            let hits: Vec<(u8, i64)> = hits.into_iter().map(|(k, s)| (k, base + s)).collect();
            let (whole, merged) = whole_and_parts(&hits, &cuts, &order, cap);
            prop_assert_eq!(&merged, &whole);
            // The width is the finest that fits the span.
            if let Some((first, last)) = whole.ends() {
                prop_assert!(span(first, last, whole.width()) <= cap as i64);
                let i = LADDER.iter().position(|&w| w == whole.width()).unwrap();
                if i > 0 {
                    let lo = hits.iter().map(|h| h.1).min().unwrap();
                    let hi = hits.iter().map(|h| h.1).max().unwrap();
                    prop_assert!(span(lo, hi, LADDER[i - 1]) > cap as i64);
                }
                let total: u64 = whole.cells().iter().map(|c| c.2).sum();
                prop_assert_eq!(total, hits.len() as u64);
            }
        }

        /// The same for [`Timeline`] and [`WireTimeline`]: parts merged in any order, typed or
        /// on the wire (through JSON text), equal the whole, which reads back as itself.
        #[test]
        fn typed_and_wire_parts_merge_to_the_whole(
            hits in prop::collection::vec(
                (0usize..10, prop_oneof![0i64..3_600, -400_000_000i64..400_000_000], -999_999_999i32..1_000_000_000, any::<bool>()),
                1..50,
            ),
            cuts in prop::collection::vec(0usize..15, 0..4),
            reversed in any::<bool>(),
        ) {
            let catalog = Catalog::builtin().unwrap();
            let categories = catalog.categories().len();
            let base = 1_715_846_400;
            let timeline = |hits: &[(usize, i64, i32, bool)]| {
                let mut t = Timeline::default();
                for &(category, second, nanos, zoned) in hits {
                    // A fraction has the sign of its seconds (as jiff gives them).
                    t.add_hit(category % categories, base + second, nanos.abs(), zoned);
                }
                t
            };
            let whole = timeline(&hits);
            let mut parts = Vec::new();
            let mut rest = &hits[..];
            for &cut in &cuts {
                let (part, after) = rest.split_at(cut.min(rest.len()));
                parts.push(timeline(part));
                rest = after;
            }
            parts.push(timeline(rest));
            if reversed {
                parts.reverse();
            }
            let mut typed = Timeline::default();
            let mut wire = WireTimeline::default();
            for part in &parts {
                typed += part;
                let text = serde_json::to_string(&part.to_wire(&catalog)).unwrap();
                wire += &serde_json::from_str::<WireTimeline>(&text).unwrap();
            }
            prop_assert_eq!(&typed, &whole);
            prop_assert_eq!(&wire, &whole.to_wire(&catalog));
            prop_assert_eq!(Timeline::from_wire(&wire, &catalog).unwrap(), whole);
        }
    }
}
