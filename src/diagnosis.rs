//! What the generic codes were hiding: hits grouped into what one failure printed, and for
//! each generic code, the specific codes seen in the same groups.
//!
//! The group of a hit:
//! - a hit with a request id belongs to the group of that id, across every input of the scan
//!   (a client log and a server log of the same request meet);
//! - a hit without one belongs to its multi-line event: the line its timestamp came from and the
//!   lines after it that inherited it (a stack trace), in one input. A line with a timestamp of
//!   its own, or with none to inherit, is an event of its own, so this is "the same line" when
//!   nothing better is known.
//!
//! Within a line, a chain of numbers (`errCode: -404011 … error code -504002, … errCode:
//! -502005`: a client wrapper around a function error around a database error) resolves to
//! its innermost code: of the specific codes printed as numbers on the line, only the
//! rightmost one explains the generic codes; the others wrap it. Generic codes never explain
//! each other.
//!
//! Grouping runs on the thread that hands hits on in input order, in bounded memory: an event
//! group closes when the next event starts or its input ends; request groups stay open until
//! the scan ends, at most [`limits::MAX_OPEN_REQUESTS`] of them (the one idle longest is closed
//! early when a new one needs room, and counted as closed early). What the groups give is a
//! [`Hidden`], which merges by adding up; and, for `--by-request`, the most affected requests
//! ([`Requests`]).

use std::collections::{BTreeMap, HashMap};
use std::ops::AddAssign;
use std::sync::Arc;

use crate::catalog::CodeId;
use crate::limits;

/// The time of a hit as the listing keeps it (the first time a request was seen).
pub type Time = crate::fields::TimeValue;

/// What the grouping needs to know about one hit.
#[derive(Debug, Clone, Copy)]
pub struct GroupHit<'a> {
    /// Position of the hit's input in the scan.
    pub input: usize,
    /// 1-based line.
    pub line: u64,
    /// Byte offset of the line that starts the hit's multi-line event (its own line when it
    /// starts one).
    pub event: u64,
    /// The request id, if the line has one.
    pub request: Option<&'a str>,
    /// The code.
    pub code: CodeId,
    /// Whether the code was printed as a number (a numeric alias, or a numeric-only entry).
    pub numeric: bool,
    /// The hit's time, if it has one.
    pub time: Option<&'a Time>,
}

/// For one generic code: in how many groups it was seen, and what else those groups held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenericGroups {
    /// Groups holding the generic code.
    pub groups: u64,
    /// Of those, groups holding no specific code ("nothing more specific").
    pub alone: u64,
    /// Per specific code, the groups holding both.
    pub with: BTreeMap<CodeId, u64>,
}

impl AddAssign<&GenericGroups> for GenericGroups {
    fn add_assign(&mut self, other: &GenericGroups) {
        self.groups += other.groups;
        self.alone += other.alone;
        for (&code, &n) in &other.with {
            *self.with.entry(code).or_default() += n;
        }
    }
}

/// What the generic codes were hiding, over a scan: a summary field that adds up (the groups of
/// two parts of a scan are the groups of the whole, as long as no request spans the parts).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hidden {
    /// Per generic code seen in a group.
    pub by_generic: BTreeMap<CodeId, GenericGroups>,
    /// Groups of a request id that were closed.
    pub request_groups: u64,
    /// Groups of a line or multi-line event that were closed.
    pub event_groups: u64,
    /// Request groups closed before the end of the scan, to make room (a later hit of the same
    /// request starts a new group).
    pub closed_early: u64,
}

impl Hidden {
    /// Whether hits were grouped at all (false for summary-only runs, which keep no hits).
    pub fn is_empty(&self) -> bool {
        self.request_groups == 0 && self.event_groups == 0
    }

    /// The groups of `generic`, if it was seen in one.
    pub fn of(&self, generic: CodeId) -> Option<&GenericGroups> {
        self.by_generic.get(&generic)
    }
}

impl AddAssign<&Hidden> for Hidden {
    fn add_assign(&mut self, other: &Hidden) {
        for (&code, groups) in &other.by_generic {
            *self.by_generic.entry(code).or_default() += groups;
        }
        self.request_groups += other.request_groups;
        self.event_groups += other.event_groups;
        self.closed_early += other.closed_early;
    }
}

/// One hit as a request's listing shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedHit {
    /// The input's display name.
    pub path: Arc<str>,
    /// 1-based line.
    pub line: u64,
    /// The code.
    pub code: CodeId,
}

/// One request of `--by-request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestEntry {
    /// The request id.
    pub id: String,
    /// The time of its first hit that has one.
    pub first_time: Option<Time>,
    /// Its codes, each once, in the order they were first seen.
    pub codes: Vec<CodeId>,
    /// Its first hits, at most [`limits::REQUEST_HITS_LISTED`].
    pub hits: Vec<ListedHit>,
    /// All its hits (listed or not).
    pub hit_count: u64,
}

impl RequestEntry {
    fn new(id: &str) -> RequestEntry {
        RequestEntry {
            id: id.to_string(),
            first_time: None,
            codes: Vec::new(),
            hits: Vec::new(),
            hit_count: 0,
        }
    }

    /// Hits not listed.
    pub fn more_hits(&self) -> u64 {
        self.hit_count.saturating_sub(self.hits.len() as u64)
    }

    /// Most affected first: more distinct codes (a request that failed in several ways), then
    /// more hits, then by id (so the order is stable).
    fn rank(a: &RequestEntry, b: &RequestEntry) -> std::cmp::Ordering {
        b.codes
            .len()
            .cmp(&a.codes.len())
            .then(b.hit_count.cmp(&a.hit_count))
            .then_with(|| a.id.cmp(&b.id))
    }

    fn absorb(&mut self, other: RequestEntry) {
        if self.first_time.is_none() {
            self.first_time = other.first_time;
        }
        for code in other.codes {
            if !self.codes.contains(&code) {
                self.codes.push(code);
            }
        }
        let room = limits::REQUEST_HITS_LISTED.saturating_sub(self.hits.len());
        self.hits.extend(other.hits.into_iter().take(room));
        self.hit_count += other.hit_count;
    }
}

/// The most affected requests of a scan (`--by-request`), bounded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requests {
    /// Whether requests were listed (`--by-request`).
    pub listed: bool,
    /// The requests kept, most affected first, at most [`limits::MAX_REQUESTS_LISTED`].
    pub entries: Vec<RequestEntry>,
    /// Request groups not kept (less affected than those kept).
    pub not_kept: u64,
    /// Hits without a request id.
    pub without_request: u64,
}

impl Requests {
    fn push(&mut self, entry: RequestEntry) {
        self.entries.push(entry);
        // Pruned in batches, so keeping the most affected costs a sort per
        // MAX_REQUESTS_LISTED closed groups, not one per group.
        if self.entries.len() >= 2 * limits::MAX_REQUESTS_LISTED {
            self.prune();
        }
    }

    fn prune(&mut self) {
        self.entries.sort_by(RequestEntry::rank);
        if self.entries.len() > limits::MAX_REQUESTS_LISTED {
            self.not_kept += (self.entries.len() - limits::MAX_REQUESTS_LISTED) as u64;
            self.entries.truncate(limits::MAX_REQUESTS_LISTED);
        }
    }
}

impl AddAssign<Requests> for Requests {
    /// Joins the entries of the same request id (parts of a scan, hosts of a fleet).
    fn add_assign(&mut self, other: Requests) {
        self.listed |= other.listed;
        self.not_kept += other.not_kept;
        self.without_request += other.without_request;
        let mut index: HashMap<String, usize> = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.clone(), i))
            .collect();
        for entry in other.entries {
            match index.get(&entry.id) {
                Some(&i) => self.entries[i].absorb(entry),
                None => {
                    index.insert(entry.id.clone(), self.entries.len());
                    self.entries.push(entry);
                }
            }
        }
        self.prune();
    }
}

/// The codes of one open group.
#[derive(Debug, Default)]
struct Group {
    generics: Vec<CodeId>,
    /// Specific codes that explain (all the specific codes of the group but the outer links of
    /// numeric chains).
    explaining: Vec<CodeId>,
    /// The listing of a request group, when requests are listed.
    entry: Option<RequestEntry>,
}

impl Group {
    fn close(self, hidden: &mut Hidden) {
        for &generic in &self.generics {
            let counts = hidden.by_generic.entry(generic).or_default();
            counts.groups += 1;
            if self.explaining.is_empty() {
                counts.alone += 1;
            }
            for &specific in &self.explaining {
                *counts.with.entry(specific).or_default() += 1;
            }
        }
    }
}

fn add_once(codes: &mut Vec<CodeId>, code: CodeId) {
    if !codes.contains(&code) {
        codes.push(code);
    }
}

/// One hit of the line being gathered.
#[derive(Debug, Clone, Copy)]
struct LineHit {
    code: CodeId,
    numeric: bool,
}

/// The line being gathered: hits of one line arrive one after another.
#[derive(Debug, Default)]
struct OpenLine {
    key: Option<(usize, u64)>,
    event: u64,
    /// The line's request id (kept, not reallocated, from line to line).
    request: String,
    has_request: bool,
    time: Option<Time>,
    hits: Vec<LineHit>,
}

/// An open request group and when it was last touched.
#[derive(Debug)]
struct OpenRequest {
    group: Group,
    touched: u64,
}

/// Groups hits, given in input order, and counts what the generic codes were hiding.
#[derive(Debug)]
pub struct Grouper {
    generic: Vec<bool>,
    list: bool,
    max_open: usize,
    names: Vec<Arc<str>>,
    line: OpenLine,
    event: Option<((usize, u64), Group)>,
    /// Keyed by request id with a fast seeded hash (foldhash): a lookup per hit line, on the
    /// one thread that writes the output.
    open: HashMap<Arc<str>, OpenRequest, foldhash::fast::RandomState>,
    /// One entry per open request, keyed by a time it was touched, maybe not the last: a
    /// touch only updates the request (no reordering per line); `close_idlest` files an
    /// entry found stale under its real time again. Invariant: an entry's key is at most its
    /// request's `touched`, so the first entry whose key is up to date is the one idle longest.
    idle: BTreeMap<u64, Arc<str>>,
    clock: u64,
    hidden: Hidden,
    requests: Requests,
}

impl Grouper {
    /// A grouper for a catalog whose generic codes are flagged in `generic`; `list` keeps the
    /// per-request listing (`--by-request`).
    pub fn new(generic: Vec<bool>, list: bool) -> Grouper {
        Grouper::with_cap(generic, list, limits::MAX_OPEN_REQUESTS)
    }

    /// The same with another cap on open requests (tests).
    pub fn with_cap(generic: Vec<bool>, list: bool, max_open: usize) -> Grouper {
        Grouper {
            generic,
            list,
            max_open: max_open.max(1),
            names: Vec::new(),
            line: OpenLine::default(),
            event: None,
            open: HashMap::with_hasher(foldhash::fast::RandomState::default()),
            idle: BTreeMap::new(),
            clock: 0,
            hidden: Hidden::default(),
            requests: Requests {
                listed: list,
                ..Requests::default()
            },
        }
    }

    /// Names input `input` (what the listing shows as its path).
    pub fn name_input(&mut self, input: usize, name: &str) {
        if self.names.len() <= input {
            self.names.resize(input + 1, Arc::from(""));
        }
        self.names[input] = Arc::from(name);
    }

    fn is_generic(&self, code: CodeId) -> bool {
        self.generic.get(code).copied().unwrap_or(false)
    }

    /// Takes one hit. Hits must come in input order (by input, then line, then column).
    pub fn hit(&mut self, hit: &GroupHit<'_>) {
        let key = (hit.input, hit.line);
        if self.line.key != Some(key) {
            self.flush_line();
            self.line.key = Some(key);
            self.line.event = hit.event;
            self.line.request.clear();
            self.line.request.push_str(hit.request.unwrap_or(""));
            self.line.has_request = hit.request.is_some();
            self.line.time = hit.time.cloned();
        }
        self.line.hits.push(LineHit {
            code: hit.code,
            numeric: hit.numeric,
        });
    }

    /// Input `input` ended: its last event closes.
    pub fn end_input(&mut self, _input: usize) {
        self.flush_line();
        self.close_event();
    }

    /// The scan ended: every group closes. Returns what the generic codes were hiding and the
    /// listing of requests (empty unless asked for).
    pub fn finish(mut self) -> (Hidden, Requests) {
        self.flush_line();
        self.close_event();
        // Closed in the order they were last touched, so the listing does not depend on a
        // hash order.
        let idle = std::mem::take(&mut self.idle);
        for id in idle.into_values() {
            if let Some(open) = self.open.remove(&id) {
                self.close_request(open.group);
            }
        }
        self.requests.prune();
        (self.hidden, self.requests)
    }

    fn close_event(&mut self) {
        if let Some((_, group)) = self.event.take() {
            self.hidden.event_groups += 1;
            group.close(&mut self.hidden);
        }
    }

    fn close_request(&mut self, mut group: Group) {
        self.hidden.request_groups += 1;
        if let Some(entry) = group.entry.take() {
            self.requests.push(entry);
        }
        group.close(&mut self.hidden);
    }

    /// Adds the gathered line to its group.
    fn flush_line(&mut self) {
        let Some((input, line_no)) = self.line.key.take() else {
            return;
        };
        let mut hits = std::mem::take(&mut self.line.hits);
        let request_buffer = std::mem::take(&mut self.line.request);
        let request = self.line.has_request.then_some(request_buffer.as_str());
        let time = self.line.time.take();
        let event = self.line.event;
        self.group_line(input, line_no, event, request, time, &hits);
        // The buffers go back for the next line.
        hits.clear();
        self.line.hits = hits;
        self.line.request = request_buffer;
    }

    /// Adds the hits of one line to the group of its request or event.
    fn group_line(
        &mut self,
        input: usize,
        line_no: u64,
        event: u64,
        request: Option<&str>,
        time: Option<Time>,
        hits: &[LineHit],
    ) {
        // A chain is two numbers or more on the line; its innermost specific code is the
        // rightmost specific one printed as a number.
        let numbers = hits.iter().filter(|h| h.numeric).count();
        let innermost = hits
            .iter()
            .rev()
            .find(|h| h.numeric && !self.is_generic(h.code))
            .map(|h| h.code);
        let outer = |h: &LineHit| numbers >= 2 && h.numeric && Some(h.code) != innermost;

        // A new request may need room (one lookup on the way; a request seen before is found
        // again below).
        if let Some(id) = request {
            if self.open.len() >= self.max_open && !self.open.contains_key(id) {
                self.close_idlest();
            }
        }
        let list = self.list;
        let names = &self.names;
        let generic = &self.generic;
        let group: &mut Group = match request {
            Some(id) => {
                self.clock += 1;
                let clock = self.clock;
                let open = match self.open.get_mut(id) {
                    Some(open) => {
                        // Touched again: its idle entry is left where it is (see `idle`).
                        open.touched = clock;
                        open
                    }
                    None => {
                        let key: Arc<str> = Arc::from(id);
                        self.idle.insert(clock, Arc::clone(&key));
                        let open = OpenRequest {
                            group: Group {
                                entry: list.then(|| RequestEntry::new(id)),
                                ..Group::default()
                            },
                            touched: clock,
                        };
                        self.open.entry(key).or_insert(open)
                    }
                };
                &mut open.group
            }
            None => {
                if list {
                    self.requests.without_request += hits.len() as u64;
                }
                let key = (input, event);
                if self.event.as_ref().map(|(k, _)| *k) != Some(key) {
                    if let Some((_, group)) = self.event.take() {
                        self.hidden.event_groups += 1;
                        group.close(&mut self.hidden);
                    }
                    self.event = Some((key, Group::default()));
                }
                match &mut self.event {
                    Some((_, group)) => group,
                    None => return,
                }
            }
        };
        for hit in hits {
            if generic.get(hit.code).copied().unwrap_or(false) {
                add_once(&mut group.generics, hit.code);
            } else if !outer(hit) {
                add_once(&mut group.explaining, hit.code);
            }
        }
        if let Some(entry) = &mut group.entry {
            if entry.first_time.is_none() {
                entry.first_time = time;
            }
            let path = names.get(input).cloned().unwrap_or_else(|| Arc::from(""));
            for hit in hits {
                add_once(&mut entry.codes, hit.code);
                if entry.hits.len() < limits::REQUEST_HITS_LISTED {
                    entry.hits.push(ListedHit {
                        path: Arc::clone(&path),
                        line: line_no,
                        code: hit.code,
                    });
                }
                entry.hit_count += 1;
            }
        }
    }

    fn close_idlest(&mut self) {
        while let Some((key, id)) = self.idle.pop_first() {
            match self.open.get(&id) {
                // Touched since it was filed: file it under its real time and look again.
                Some(open) if open.touched != key => {
                    self.idle.insert(open.touched, id);
                }
                Some(_) => {
                    if let Some(open) = self.open.remove(&id) {
                        self.hidden.closed_early += 1;
                        self.close_request(open.group);
                    }
                    return;
                }
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Codes of a small made-up catalog: 0 and 1 generic, 2..=4 specific.
    const WRAPPER: CodeId = 0; // -404011
    const EXECUTE_FAIL: CodeId = 1; // FUNCTIONS_EXECUTE_FAIL, -504002
    const COLLECTION: CodeId = 2; // DATABASE_COLLECTION_NOT_EXIST, -502005
    const TIMEOUT: CodeId = 3;
    const PARAM: CodeId = 4;

    fn generic() -> Vec<bool> {
        vec![true, true, false, false, false]
    }

    /// (input, line, event, request, code, numeric)
    type Row = (usize, u64, u64, Option<&'static str>, CodeId, bool);

    fn group(rows: &[Row], list: bool, cap: usize) -> (Hidden, Requests) {
        let mut g = Grouper::with_cap(generic(), list, cap);
        g.name_input(0, "a.log");
        g.name_input(1, "b.log");
        let mut input = None;
        for &(i, line, event, request, code, numeric) in rows {
            if input.is_some_and(|prev| prev != i) {
                g.end_input(input.unwrap_or(0));
            }
            input = Some(i);
            g.hit(&GroupHit {
                input: i,
                line,
                event,
                request,
                code,
                numeric,
                time: None,
            });
        }
        g.finish()
    }

    fn counts(h: &Hidden, code: CodeId) -> (u64, u64, Vec<(CodeId, u64)>) {
        let g = h.of(code).cloned().unwrap_or_default();
        (g.groups, g.alone, g.with.into_iter().collect())
    }

    #[test]
    fn a_request_groups_lines_apart_and_across_inputs() {
        let rows = [
            (0, 3, 300, Some("r1"), COLLECTION, false),
            (0, 5, 500, None, TIMEOUT, false),
            (0, 6, 600, Some("r1"), EXECUTE_FAIL, false),
            (1, 1, 0, Some("r2"), EXECUTE_FAIL, false),
            (1, 2, 10, Some("r1"), PARAM, false),
        ];
        let (h, _) = group(&rows, false, 100);
        assert_eq!(
            counts(&h, EXECUTE_FAIL),
            (2, 1, vec![(COLLECTION, 1), (PARAM, 1)])
        );
        assert_eq!((h.request_groups, h.event_groups), (2, 1));
    }

    #[test]
    fn without_a_request_the_event_groups_its_lines() {
        // Lines 1-3 are one event (a stack trace under line 1), line 4 starts another.
        let rows = [
            (0, 1, 0, None, EXECUTE_FAIL, false),
            (0, 3, 0, None, TIMEOUT, false),
            (0, 4, 90, None, EXECUTE_FAIL, false),
        ];
        let (h, _) = group(&rows, false, 100);
        assert_eq!(counts(&h, EXECUTE_FAIL), (2, 1, vec![(TIMEOUT, 1)]));
        assert_eq!(h.event_groups, 2);
    }

    #[test]
    fn an_event_ends_with_its_input() {
        let rows = [
            (0, 1, 0, None, EXECUTE_FAIL, false),
            (1, 1, 0, None, TIMEOUT, false),
        ];
        let (h, _) = group(&rows, false, 100);
        assert_eq!(counts(&h, EXECUTE_FAIL), (1, 1, vec![]));
    }

    #[test]
    fn a_numeric_chain_resolves_to_its_innermost_specific_code() {
        // errCode: -404011 … error code -504002 … errCode: -502005 … and an outer specific
        // number (-501007, PARAM) before the innermost one.
        let rows = [
            (0, 1, 0, None, WRAPPER, true),
            (0, 1, 0, None, EXECUTE_FAIL, true),
            (0, 1, 0, None, PARAM, true),
            (0, 1, 0, None, COLLECTION, true),
        ];
        let (h, _) = group(&rows, false, 100);
        assert_eq!(counts(&h, WRAPPER), (1, 0, vec![(COLLECTION, 1)]));
        assert_eq!(counts(&h, EXECUTE_FAIL), (1, 0, vec![(COLLECTION, 1)]));
        // A code by name on the line is no link of the chain: it explains too.
        let rows = [
            (0, 1, 0, None, EXECUTE_FAIL, true),
            (0, 1, 0, None, PARAM, false),
            (0, 1, 0, None, COLLECTION, true),
        ];
        let (h, _) = group(&rows, false, 100);
        assert_eq!(
            counts(&h, EXECUTE_FAIL),
            (1, 0, vec![(COLLECTION, 1), (PARAM, 1)])
        );
        // One number alone is no chain.
        let rows = [
            (0, 1, 0, None, EXECUTE_FAIL, false),
            (0, 1, 0, None, PARAM, true),
        ];
        let (h, _) = group(&rows, false, 100);
        assert_eq!(counts(&h, EXECUTE_FAIL), (1, 0, vec![(PARAM, 1)]));
    }

    #[test]
    fn the_idlest_request_is_closed_early_when_full() {
        let rows = [
            (0, 1, 0, Some("a"), EXECUTE_FAIL, false),
            (0, 2, 10, Some("b"), EXECUTE_FAIL, false),
            (0, 3, 20, Some("a"), TIMEOUT, false),
            (0, 4, 30, Some("c"), EXECUTE_FAIL, false), // closes b, idle longest
            (0, 5, 40, Some("a"), PARAM, false),
        ];
        let (h, _) = group(&rows, false, 2);
        assert_eq!(h.closed_early, 1);
        assert_eq!(
            counts(&h, EXECUTE_FAIL),
            (3, 2, vec![(TIMEOUT, 1), (PARAM, 1)])
        );
    }

    #[test]
    fn requests_are_listed_most_affected_first() {
        let rows = [
            (0, 1, 0, Some("one"), EXECUTE_FAIL, false),
            (0, 1, 0, Some("one"), EXECUTE_FAIL, false),
            (0, 2, 10, Some("two"), EXECUTE_FAIL, false),
            (0, 3, 20, None, TIMEOUT, false),
            (1, 7, 70, Some("two"), COLLECTION, false),
        ];
        let (_, r) = group(&rows, true, 100);
        let ids: Vec<&str> = r.entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["two", "one"]);
        assert_eq!(r.entries[0].codes, [EXECUTE_FAIL, COLLECTION]);
        assert_eq!(
            r.entries[0].hits[1],
            ListedHit {
                path: Arc::from("b.log"),
                line: 7,
                code: COLLECTION
            }
        );
        assert_eq!(r.entries[1].hit_count, 2);
        assert_eq!(r.without_request, 1);
    }

    #[test]
    fn listed_hits_and_requests_are_capped() {
        let n = limits::REQUEST_HITS_LISTED as u64 + 3;
        let rows: Vec<Row> = (1..=n)
            .map(|line| (0, line, line * 10, Some("busy"), TIMEOUT, false))
            .collect();
        let (_, r) = group(&rows, true, 100);
        assert_eq!(r.entries[0].hits.len(), limits::REQUEST_HITS_LISTED);
        assert_eq!(r.entries[0].more_hits(), 3);

        let ids: Vec<String> = (0..limits::MAX_REQUESTS_LISTED + 5)
            .map(|i| format!("r{i}"))
            .collect();
        let mut g = Grouper::new(generic(), true);
        for (i, id) in ids.iter().enumerate() {
            g.hit(&GroupHit {
                input: 0,
                line: i as u64 + 1,
                event: i as u64,
                request: Some(id),
                code: TIMEOUT,
                numeric: false,
                time: None,
            });
        }
        let (_, r) = g.finish();
        assert_eq!(r.entries.len(), limits::MAX_REQUESTS_LISTED);
        assert_eq!(r.not_kept, 5);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn rows() -> impl Strategy<Value = Vec<Row>> {
            let ids = prop::sample::select(vec![None, Some("r1"), Some("r2"), Some("r3")]);
            prop::collection::vec((0u64..6, ids, 0usize..5, any::<bool>()), 0..40).prop_map(|raw| {
                // Lines of one input in order; the line decides the event (two lines
                // each) and the request, so rows of one line agree.
                let mut rows: Vec<Row> = raw
                    .into_iter()
                    .map(|(line, _, code, numeric)| (0, line + 1, line / 2, None, code, numeric))
                    .collect();
                rows.sort_by_key(|r| r.1);
                for row in &mut rows {
                    row.3 = match row.1 % 4 {
                        0 => None,
                        1 => Some("r1"),
                        2 => Some("r2"),
                        _ => Some("r3"),
                    };
                }
                rows
            })
        }

        proptest! {
            /// Groups count sets of codes: the lines of a request may come in any order.
            #[test]
            fn the_order_of_a_requests_lines_does_not_matter(rows in rows(), seed in any::<u64>()) {
                let (whole, _) = group(&rows, false, 100);
                // Request lines (those without a request keep their place: their events are
                // runs of lines) are put in another order, line by line.
                let mut lines: Vec<Vec<Row>> = Vec::new();
                for row in &rows {
                    match lines.last_mut() {
                        Some(last) if last[0].1 == row.1 => last.push(*row),
                        _ => lines.push(vec![*row]),
                    }
                }
                let requests: Vec<usize> = (0..lines.len()).filter(|&i| lines[i][0].3.is_some()).collect();
                let mut shuffled = requests.clone();
                let mut state = seed;
                for i in (1..shuffled.len()).rev() {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    shuffled.swap(i, (state >> 33) as usize % (i + 1));
                }
                let mut reordered = lines.clone();
                for (&at, &from) in requests.iter().zip(&shuffled) {
                    reordered[at] = lines[from].clone();
                }
                // Renumber so the lines stay in input order.
                let mut rows2 = Vec::new();
                for (n, line) in reordered.iter().enumerate() {
                    for row in line {
                        let event = if row.3.is_some() { n as u64 * 1000 } else { row.2 };
                        rows2.push((0, n as u64 + 1, event, row.3, row.4, row.5));
                    }
                }
                let (other, _) = group(&rows2, false, 100);
                prop_assert_eq!(whole.by_generic, other.by_generic);
            }

            /// Merged parts = the whole, for inputs whose requests do not span the parts.
            #[test]
            fn hidden_of_parts_adds_up(a in rows(), b in rows()) {
                let mut both: Vec<Row> = a.clone();
                let rename = |row: &Row| -> Row {
                    let request = row.3.map(|id| match id {
                        "r1" => "s1",
                        "r2" => "s2",
                        _ => "s3",
                    });
                    (1, row.1, row.2, request, row.4, row.5)
                };
                both.extend(b.iter().map(rename));
                let (whole, whole_requests) = group(&both, true, 100);
                let b: Vec<Row> = b.iter().map(rename).collect();
                let (mut sum, mut sum_requests) = group(&a, true, 100);
                let (part, part_requests) = group(&b, true, 100);
                sum += &part;
                sum_requests += part_requests;
                prop_assert_eq!(whole, sum);
                let ids = |r: &Requests| {
                    let mut ids: Vec<(String, u64)> =
                        r.entries.iter().map(|e| (e.id.clone(), e.hit_count)).collect();
                    ids.sort();
                    ids
                };
                prop_assert_eq!(ids(&whole_requests), ids(&sum_requests));
                prop_assert_eq!(whole_requests.without_request, sum_requests.without_request);
            }
        }
    }
}
