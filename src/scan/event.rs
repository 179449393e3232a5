//! What a hit inherits from the lines before it: a line without a timestamp (a stack trace's)
//! takes the one of the nearest earlier line that has one, and a line without a request id
//! takes the SCF invocation it sits in (`START RequestId: …` up to `END RequestId: …`).
//!
//! # Semantics (exact and bounded)
//! For a hit whose line starts at `s`:
//! - time: the line's own; else that of the nearest earlier line starting in
//!   `[s - FIELD_LOOKBACK, s)` that has one (marked inherited); else none.
//! - request: the line's own; else, when the nearest frame line in the window is an `END`
//!   (the invocation is over), none; else that of the line the time was inherited from, if
//!   that line comes after the nearest frame line (or there is none); else the id of the
//!   nearest frame line, a `START`; else none.
//! - event: the start of the line the time was inherited from, else `s`.
//!
//! Outside an SCF invocation (no frame, or after its `END`), only a *continuation line*
//! inherits a time (and the request of the line it came from): one that starts with a space or
//! a tab, or with `at `, `Caused by`, `...`, `}`, `]` or `)` — a stack frame, a wrapped message,
//! the end of a pretty-printed object. Any other line without a timestamp we can read is a
//! record of its own (a syslog, glog or nginx error-log line, a JSON record whose `ts` is not a
//! time): borrowing the line above's time would merge two records into one event and pair
//! their codes, and no time is better than a wrong one. Inside an invocation every line is the
//! function's output (`Error: …` opening a stack trace, a bare `console.log`) and inherits.
//!
//! Only whole lines starting at or after the input's start, or after a line break, count.
//!
//! # Cost
//! The state is brought up to date lazily, at hit lines only: a hit searches back over the
//! bytes no earlier hit searched (`searched`), line by line for a timestamp (usually one line:
//! the one before) and with one SIMD reverse search for `RequestId:` frames; the nearest of
//! each is carried forward. The line scanner keeps the bytes from `searched` (at most
//! [`FIELD_LOOKBACK`] before the window), and a chunk of a big file scanned in parallel
//! pre-reads [`FIELD_LOOKBACK`] bytes before its start: every chunking sees the same lines.

use std::sync::OnceLock;

use memchr::{memchr, memmem, memrchr};

use crate::fields::{Extractor, FrameMark, HitTime, TimeValue};
use crate::limits::{FIELD_LINE_BYTES, FIELD_LOOKBACK, MAX_REQUEST_ID};

/// A request id, inline (ids are at most [`MAX_REQUEST_ID`] bytes of `[0-9A-Za-z_-]`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Id {
    len: u8,
    bytes: [u8; MAX_REQUEST_ID],
}

impl std::fmt::Debug for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        String::from_utf8_lossy(self.as_bytes()).fmt(f)
    }
}

impl Id {
    fn new(bytes: &[u8]) -> Option<Id> {
        let len = u8::try_from(bytes.len()).ok()?;
        let mut id = Id {
            len,
            bytes: [0; MAX_REQUEST_ID],
        };
        id.bytes.get_mut(..bytes.len())?.copy_from_slice(bytes);
        Some(id)
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// What a hit's line gets: its time, request and event start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Resolved {
    pub time: Option<HitTime>,
    pub request: Option<Id>,
    pub event: u64,
}

/// A line with a timestamp.
#[derive(Debug, Clone, Copy)]
struct Stamped {
    at: u64,
    time: TimeValue,
    request: Option<Id>,
}

/// A frame line: START (with its id) or END (none).
#[derive(Debug, Clone, Copy)]
struct Frame {
    at: u64,
    request: Option<Id>,
}

/// The carried state of one line scanner.
#[derive(Debug, Clone, Default)]
pub(crate) struct Carry {
    /// Line starts before this have been considered (or are out of every later hit's reach).
    searched: u64,
    stamped: Option<Stamped>,
    frame: Option<Frame>,
    /// The last resolved line (start) and what it got: hits on one line share it.
    memo: Option<(u64, Resolved)>,
}

/// The bytes of the line starting at `start` (relative), without its break, at most
/// [`FIELD_LINE_BYTES`].
fn line_at(haystack: &[u8], start: usize) -> &[u8] {
    let head = &haystack[start..haystack.len().min(start + FIELD_LINE_BYTES)];
    match memchr(b'\n', head) {
        Some(i) => &head[..i],
        None => head,
    }
}

impl Carry {
    /// The state of a scanner whose held bytes start at `base`: line starts from `base + 1`
    /// are known to be line starts only by the byte before them (the input's start is one).
    pub(crate) fn starting_at(base: u64) -> Carry {
        Carry {
            searched: if base == 0 { 0 } else { base + 1 },
            ..Carry::default()
        }
    }

    /// The first absolute offset the scanner must still hold for later hits' searches.
    pub(crate) fn keep_from(&self, scanned: u64) -> u64 {
        self.searched
            .saturating_sub(1)
            .max(scanned.saturating_sub(FIELD_LOOKBACK as u64 + 1))
    }

    /// Whether the line starting at `line_start` has been resolved already.
    pub(crate) fn knows(&self, line_start: u64) -> bool {
        self.memo.is_some_and(|(at, _)| at == line_start)
    }

    /// Resolves the line starting at absolute `line_start`, with the haystack holding bytes
    /// from absolute `offset`.
    pub(crate) fn resolve(
        &mut self,
        ex: &Extractor,
        haystack: &[u8],
        offset: u64,
        line_start: u64,
    ) -> Resolved {
        if let Some((at, resolved)) = self.memo {
            if at == line_start {
                return resolved;
            }
        }
        let s = line_start;
        let reach = s.saturating_sub(FIELD_LOOKBACK as u64);
        let lower = self.searched.max(reach);
        // The line's own fields, if its start is still held (a line longer than the buffer
        // was resolved before its start was dropped: see `LineScanner::compact`).
        let held = s >= offset;
        // A line whose start is no longer held cannot be looked at: it inherits as any line
        // did before the continuation rule (such a line was normally resolved while held).
        let continues = !held || is_continuation(line_at(haystack, (s - offset) as usize));
        let own = if held {
            let line = line_at(haystack, (s - offset) as usize);
            let fields = ex.line(line);
            let request = fields.request.and_then(|r| Id::new(&line[r]));
            let frame = ex.frame(line).map(|mark| match mark {
                FrameMark::Start(r) => Frame {
                    at: s,
                    request: Id::new(&line[r]),
                },
                FrameMark::End => Frame {
                    at: s,
                    request: None,
                },
            });
            (fields.time, request, frame)
        } else {
            (None, None, None)
        };
        // Bring the carried state up to `s`: the nearest frame and timestamped line in
        // [lower, s), else what was carried, if still within reach.
        // A line with its own time and request needs nothing from before it: the search is
        // left to the next line that does (`searched` stays where it is, so that line looks
        // over these bytes too). Most hit lines of SCF runtime logs are such lines, and the
        // frame search would otherwise read every byte between them.
        let needs_search = own.0.is_none() || own.1.is_none();
        if held && lower < s && needs_search {
            let lower_rel = (lower.max(offset) - offset) as usize;
            let s_rel = (s - offset) as usize;
            let found_frame = self.frame_before(ex, haystack, offset, lower_rel, s_rel);
            let found_stamp = if own.0.is_some() {
                // Not needed now; what is carried is replaced by this line below.
                None
            } else {
                stamp_before(ex, haystack, offset, lower_rel, s_rel)
            };
            if found_frame.is_some() {
                self.frame = found_frame;
            }
            if found_stamp.is_some() {
                self.stamped = found_stamp;
            }
        }
        self.stamped = self.stamped.filter(|st| st.at >= reach);
        self.frame = self.frame.filter(|f| f.at >= reach);
        let (own_time, own_request, own_frame) = own;
        let resolved = match own_time {
            Some(at) => Resolved {
                time: Some(HitTime {
                    at,
                    inherited: false,
                }),
                request: own_request.or_else(|| self.frame.and_then(|f| f.request)),
                event: s,
            },
            None => {
                // Inside an invocation (or where there are no frames), the line the time
                // comes from says the request; after an END, nothing does.
                // Inside an SCF invocation every line is the function's own output, part of
                // the invocation: it inherits whatever its shape.
                let inside = self.frame.is_some_and(|f| f.request.is_some());
                let stamped = self.stamped.filter(|_| continues || inside);
                let from_stamp = stamped
                    .filter(|st| match self.frame {
                        None => true,
                        Some(f) => f.request.is_some() && st.at > f.at,
                    })
                    .and_then(|st| st.request);
                Resolved {
                    time: stamped.map(|st| HitTime {
                        at: st.time,
                        inherited: true,
                    }),
                    request: own_request
                        .or(from_stamp)
                        .or_else(|| self.frame.and_then(|f| f.request)),
                    event: stamped.map_or(s, |st| st.at),
                }
            }
        };
        // The hit's line is now the nearest for what follows.
        if let Some(time) = own_time {
            self.stamped = Some(Stamped {
                at: s,
                time,
                request: own_request,
            });
        }
        if own_frame.is_some() {
            self.frame = own_frame;
        }
        if needs_search || !held {
            self.searched = self.searched.max(s + 1);
        }
        self.memo = Some((s, resolved));
        resolved
    }

    /// The nearest frame line starting in `[lower, s)` (relative offsets). Forward SIMD
    /// searches (memchr's reverse search is not vectorised) over windows going back from `s`,
    /// the nearest window first; only an occurrence right after `START ` or `END ` is looked
    /// at closely, the nearest first, so a frame-dense log validates about one line per hit.
    fn frame_before(
        &self,
        ex: &Extractor,
        haystack: &[u8],
        offset: u64,
        lower: usize,
        s: usize,
    ) -> Option<Frame> {
        let mut end = s;
        while end > lower {
            let start = end.saturating_sub(WINDOW).max(lower);
            let mut candidates = Vec::new();
            // The windows cut the text, not the needle: an occurrence starting in this window
            // may end in the next one, so the search runs on to where it would end. Only
            // occurrences starting here are taken (the later ones were the last window's).
            let until = (end + REQUEST_ID.len() - 1).min(s);
            for q in request_id_finder().find_iter(&haystack[start..until]) {
                let q = q + start;
                if q >= end {
                    break;
                }
                let before = &haystack[..q];
                if before.ends_with(b"START ") || before.ends_with(b"END ") {
                    candidates.push(q);
                }
            }
            for &q in candidates.iter().rev() {
                let Some(ls) = line_start_before(haystack, offset, lower, q) else {
                    continue;
                };
                let line = line_at(haystack, ls);
                if let Some(mark) = ex.frame(line) {
                    return Some(match mark {
                        FrameMark::Start(r) => Frame {
                            at: offset + ls as u64,
                            request: Id::new(&line[r]),
                        },
                        FrameMark::End => Frame {
                            at: offset + ls as u64,
                            request: None,
                        },
                    });
                }
            }
            // A line starting in this window and running on past its end was judged by its
            // first `RequestId:` (found here or in a later window): each occurrence is taken
            // in the one window it starts in.
            end = start;
        }
        None
    }
}

/// Whether `line` continues the record above it (a stack frame, a wrapped message, the end of
/// a pretty-printed object) rather than starting one: outside SCF invocations only such a line
/// inherits a time.
pub(crate) fn is_continuation(line: &[u8]) -> bool {
    let continuation = matches!(line.first(), Some(b' ' | b'\t' | b'}' | b']' | b')'));
    continuation
        || [&b"at "[..], b"Caused by", b"..."]
            .iter()
            .any(|p| line.starts_with(p))
}

/// Bytes the frame search looks at in one forward search, going back window by window.
const WINDOW: usize = 8 << 10;

/// What every frame line holds: the frame search looks for it.
const REQUEST_ID: &[u8] = b"RequestId:";

/// The SIMD searcher for [`REQUEST_ID`], built once.
fn request_id_finder() -> &'static memmem::Finder<'static> {
    static FINDER: OnceLock<memmem::Finder<'static>> = OnceLock::new();
    FINDER.get_or_init(|| memmem::Finder::new(REQUEST_ID))
}

/// The start of the line holding relative position `q`, if it starts at or after `lower`
/// (a byte after a line break, or the input's start).
fn line_start_before(haystack: &[u8], offset: u64, lower: usize, q: usize) -> Option<usize> {
    let from = lower.saturating_sub(1);
    match memrchr(b'\n', &haystack[from..q]) {
        Some(i) if from + i + 1 >= lower => Some(from + i + 1),
        Some(_) => None,
        None if offset == 0 && lower == 0 => Some(0),
        None => None,
    }
}

/// The nearest line with a timestamp starting in `[lower, s)` (relative; `s` starts a line).
fn stamp_before(
    ex: &Extractor,
    haystack: &[u8],
    offset: u64,
    lower: usize,
    s: usize,
) -> Option<Stamped> {
    let mut end = s;
    while end > lower && end > 0 {
        // The line ending with the break at `end - 1`.
        let ls = line_start_before(haystack, offset, lower, end - 1)?;
        let line = line_at(haystack, ls);
        if let Some(time) = ex.time_of(line) {
            let request = ex.request_of(line).and_then(|r| Id::new(&line[r]));
            return Some(Stamped {
                at: offset + ls as u64,
                time,
                request,
            });
        }
        end = ls;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `RequestId:` of a START line lies `d` bytes further back than one search window
    /// from the hit line's start (so for `d` in 1..=9 the window boundary falls inside it).
    fn frame_then_hit(d: usize) -> (Vec<u8>, u64) {
        let start = "2026-11-20T08:16:00Z START RequestId:a1b2c3d4e5f6\n";
        let needle = start
            .find("RequestId:")
            .expect("the START line names its request");
        let filler = WINDOW + d + needle - start.len() - 1;
        let mut text = start.as_bytes().to_vec();
        text.extend(std::iter::repeat_n(b'z', filler));
        text.push(b'\n');
        let s = text.len() as u64;
        assert_eq!(s as usize - needle, WINDOW + d);
        text.extend_from_slice(b"[2026-11-21 10:02:00] deploy SYS_ERR\n");
        (text, s)
    }

    #[test]
    fn a_frame_is_found_wherever_the_search_windows_cut_it() {
        let ex = Extractor::new(None).expect("patterns build");
        for d in 0..=12 {
            let (text, s) = frame_then_hit(d);
            let got = Carry::starting_at(0).resolve(&ex, &text, 0, s);
            assert_eq!(got.request, Id::new(b"a1b2c3d4e5f6"), "d = {d}");
        }
    }
}
