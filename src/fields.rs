//! The time and request id of a log line: what a person on call asks of every hit ("when, and
//! for which request?"). Pure functions of one line's bytes; the scanner decides which lines
//! to ask about and carries what earlier lines said (see `scan::event`).
//!
//! Timestamps recognised (the first one on the line wins):
//! - ISO-8601 / RFC 3339 with `T` or a space, an optional fraction (`.` or `,`), and `Z`, an
//!   offset (`+08:00`, `+0800`) or nothing (a time local to the log);
//! - the same inside brackets (`[2024-05-15 10:00:00]`) or a JSON string (`"time":"…"`);
//! - Apache/nginx access-log times, `[16/May/2024:05:58:47 +0800]`;
//! - JSON number fields `timestamp`/`time`/`ts`/`@timestamp`: 10 digits (optionally with a
//!   fraction) are epoch seconds, 13 digits epoch milliseconds (digit count decides: every
//!   date from 2001 to 2286 has exactly 10 digits in seconds and 13 in milliseconds).
//!
//! A date must not continue a path, a version or a number (`/v1/2024-05-15 10:00:00`,
//! `1.2024-05-…`), and a bare date without a time of day is never a timestamp: both are what
//! URLs and file names hold.
//!
//! Request ids: after `requestId`, `requestID`, `RequestId`, `request id`, `request_id`,
//! `x-request-id`, `callId` (any of `:`, `=`, quotes and spaces between), 8 to
//! [`MAX_REQUEST_ID`] characters of `[0-9A-Za-z_-]` with at least one digit (so `undefined`
//! and `null` are not ids) — UUIDs and CloudBase's ids like `19c6caaf4fd_e3-19c6caaf535_c`;
//! and the second, tab-separated column of an SCF runtime line
//! (`2024-05-15T21:58:49.574Z\t<id>\tINFO\t…`).

use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;

use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;
use memchr::memmem;
use regex::bytes::{Regex, RegexBuilder};

use crate::error::{Error, Result};
use crate::limits::{FIELD_LINE_BYTES, FIELD_REGEX_SIZE, MAX_REQUEST_ID};

/// A point in time as a log line wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeValue {
    /// The line said which zone (or `--log-tz` did): an absolute instant.
    Zoned(Timestamp),
    /// The line gave no zone: a wall-clock time local to the log, zone unknown.
    Local(DateTime),
}

impl TimeValue {
    /// Whether the zone is known.
    pub fn is_zoned(&self) -> bool {
        matches!(self, TimeValue::Zoned(_))
    }

    /// A key that orders times: zoned ones by instant, local ones by their wall clock read as
    /// if it were UTC. Comparing a local time with a zoned one is then off by the log's unknown
    /// offset (at most a day); summaries say which kind their span holds.
    pub fn sort_key(&self) -> (i64, i32) {
        let instant = match *self {
            TimeValue::Zoned(t) => t,
            TimeValue::Local(dt) => Offset::UTC.to_timestamp(dt).unwrap_or(Timestamp::MIN),
        };
        (instant.as_second(), instant.subsec_nanosecond())
    }

    /// The inverse of [`TimeValue::sort_key`] with the kind: how a stored hit keeps a time in
    /// 13 bytes.
    pub fn from_key(seconds: i64, nanos: i32, zoned: bool) -> Option<TimeValue> {
        let instant = Timestamp::new(seconds, nanos).ok()?;
        Some(if zoned {
            TimeValue::Zoned(instant)
        } else {
            TimeValue::Local(Offset::UTC.to_datetime(instant))
        })
    }
}

impl fmt::Display for TimeValue {
    /// RFC 3339 in UTC for a zoned time (`2024-05-15T21:58:49.574Z`), the wall clock without an
    /// offset for a local one (`2024-05-15T21:58:49.574`). Always milliseconds at least
    /// (`.350`, `.000`), microseconds or nanoseconds when the time has them: one width for
    /// the usual times, so that the texts sort as the times do.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nanos = match self {
            TimeValue::Zoned(t) => t.subsec_nanosecond(),
            TimeValue::Local(dt) => dt.subsec_nanosecond(),
        };
        let digits = if nanos % 1_000_000 == 0 {
            3
        } else if nanos % 1_000 == 0 {
            6
        } else {
            9
        };
        match self {
            TimeValue::Zoned(t) => write!(f, "{t:.digits$}"),
            TimeValue::Local(dt) => write!(f, "{dt:.digits$}"),
        }
    }
}

/// A hit's time: its line's own, or inherited from an earlier line of the same event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HitTime {
    /// The time.
    pub at: TimeValue,
    /// Whether it came from an earlier line (a stack trace's lines carry none of their own).
    pub inherited: bool,
}

/// What one line says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineFields {
    /// Its timestamp.
    pub time: Option<TimeValue>,
    /// Where its request id is, within the line.
    pub request: Option<Range<usize>>,
}

/// What an SCF runtime frame line does to the lines after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameMark {
    /// `START RequestId: <id>`: the lines after belong to this request (range within the line).
    Start(Range<usize>),
    /// `END RequestId: <id>`: the request is over.
    End,
}

struct Patterns {
    time: Regex,
    request: Regex,
}

fn build(pattern: &str) -> std::result::Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .size_limit(FIELD_REGEX_SIZE)
        .dfa_size_limit(FIELD_REGEX_SIZE)
        .build()
}

const TIME_PATTERN: &str = r#"(?x)
    (?:^|[^0-9A-Za-z/._:-])
    (?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})[T\x20](?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})
        (?:[.,](?P<f>\d{1,9}))?
        (?P<z>Z|\x20?[+-]\d{2}:?\d{2})?
        (?:[^0-9]|$)
  | \[(?P<cd>\d{2})/(?P<cmo>[A-Z][a-z]{2})/(?P<cy>\d{4}):(?P<ch>\d{2}):(?P<cmi>\d{2}):(?P<cs>\d{2})
        (?:\x20(?P<cz>[+-]\d{4}))?\]
  | "(?:@timestamp|timestamp|time|ts)"\s*:\s*(?P<ep>\d{10}(?:\.\d{1,9})?|\d{13})(?:[^0-9.]|$)
"#;

const REQUEST_PATTERN: &str = r#"(?x)
    (?:[Rr]equest|REQUEST)[\x20_-]?(?:[Ii][Dd])
  | [Cc]all[Ii][Dd]
"#;

fn patterns() -> Result<&'static Patterns> {
    static PATTERNS: OnceLock<std::result::Result<Patterns, String>> = OnceLock::new();
    PATTERNS
        .get_or_init(|| {
            Ok(Patterns {
                time: build(TIME_PATTERN).map_err(|e| e.to_string())?,
                request: build(REQUEST_PATTERN).map_err(|e| e.to_string())?,
            })
        })
        .as_ref()
        .map_err(|e| Error::Usage(format!("field patterns: {e}")))
}

/// Extracts fields from lines; built once per scan (the patterns are shared by every scan).
#[derive(Clone)]
pub struct Extractor {
    patterns: &'static Patterns,
    log_tz: Option<TimeZone>,
}

impl fmt::Debug for Extractor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Extractor")
            .field(
                "log_tz",
                &self.log_tz.as_ref().and_then(|tz| tz.iana_name()),
            )
            .finish()
    }
}

/// Parses `--log-tz`: an IANA name (`Asia/Shanghai`), `UTC`, or a fixed offset (`+08:00`,
/// `+0800`, `-5`).
pub fn parse_time_zone(text: &str) -> Result<TimeZone> {
    let bad = |why: String| Error::Usage(format!("--log-tz {text:?}: {why}"));
    let trimmed = text.trim();
    if let Some(sign) = trimmed.chars().next().filter(|c| *c == '+' || *c == '-') {
        let digits: String = trimmed[1..].chars().filter(|c| *c != ':').collect();
        let (hours, minutes) = match digits.len() {
            1 | 2 => (digits.as_str(), "0"),
            4 => digits.split_at(2),
            _ => return Err(bad("an offset is ±HH, ±HHMM or ±HH:MM".into())),
        };
        let parse = |s: &str| s.parse::<i32>().map_err(|e| bad(e.to_string()));
        let seconds =
            (parse(hours)? * 3600 + parse(minutes)? * 60) * if sign == '-' { -1 } else { 1 };
        let offset = Offset::from_seconds(seconds).map_err(|e| bad(e.to_string()))?;
        return Ok(TimeZone::fixed(offset));
    }
    TimeZone::get(trimmed).map_err(|e| bad(e.to_string()))
}

impl Extractor {
    /// An extractor; times without a zone are read in `log_tz` when given, else kept local.
    pub fn new(log_tz: Option<TimeZone>) -> Result<Extractor> {
        Ok(Extractor {
            patterns: patterns()?,
            log_tz,
        })
    }

    /// The fields of `line` (without its line break), from its first [`FIELD_LINE_BYTES`].
    pub fn line(&self, line: &[u8]) -> LineFields {
        let line = &line[..line.len().min(FIELD_LINE_BYTES)];
        // The common shape first, without a regex: a line that starts with its timestamp
        // (SCF runtime, CLI and most application logs).
        if let Some((time, end)) = iso_at(line, 0) {
            let request = scf_column(line, end).or_else(|| self.request(line));
            return LineFields {
                time: Some(self.zone(time)),
                request,
            };
        }
        LineFields {
            time: self.time(line),
            request: self.request(line),
        }
    }

    /// Just the timestamp of `line` (cheaper than [`Extractor::line`] when the request is not
    /// needed).
    pub fn time_of(&self, line: &[u8]) -> Option<TimeValue> {
        let line = &line[..line.len().min(FIELD_LINE_BYTES)];
        match iso_at(line, 0) {
            Some((time, _)) => Some(self.zone(time)),
            None => self.time(line),
        }
    }

    /// Just the request id of `line` (for a line whose time is known already).
    pub fn request_of(&self, line: &[u8]) -> Option<Range<usize>> {
        let line = &line[..line.len().min(FIELD_LINE_BYTES)];
        iso_at(line, 0)
            .and_then(|(_, end)| scf_column(line, end))
            .or_else(|| self.request(line))
    }

    fn zone(&self, time: TimeValue) -> TimeValue {
        match (time, &self.log_tz) {
            (TimeValue::Local(dt), Some(tz)) => tz
                .to_ambiguous_timestamp(dt)
                .compatible()
                .map_or(time, TimeValue::Zoned),
            _ => time,
        }
    }

    fn time(&self, line: &[u8]) -> Option<TimeValue> {
        // Every shape holds a ':' (times of day, JSON fields): most lines without one are
        // passed over without running the pattern.
        let colon = memchr::memchr(b':', line)?;
        // Access logs, without the regex: the first `[` before a ':' opening `dd/Mon/yyyy:`.
        if let Some(open) = memchr::memchr(b'[', &line[..colon]) {
            if let Some(time) = access_at(line, open + 1) {
                return Some(self.zone(time));
            }
        }
        let caps = self.patterns.time.captures(line)?;
        let num = |name: &str| -> Option<i64> {
            std::str::from_utf8(caps.name(name)?.as_bytes())
                .ok()?
                .parse()
                .ok()
        };
        let time = if caps.name("y").is_some() {
            let fraction = caps.name("f").map_or(&b""[..], |m| m.as_bytes());
            let civil = civil(
                num("y")?,
                num("mo")?,
                num("d")?,
                num("h")?,
                num("mi")?,
                num("s")?,
                fraction,
            )?;
            match caps.name("z") {
                Some(z) => TimeValue::Zoned(offset(z.as_bytes())?.to_timestamp(civil).ok()?),
                None => TimeValue::Local(civil),
            }
        } else if caps.name("cy").is_some() {
            let month = month(caps.name("cmo")?.as_bytes())?;
            let civil = civil(
                num("cy")?,
                month,
                num("cd")?,
                num("ch")?,
                num("cmi")?,
                num("cs")?,
                b"",
            )?;
            match caps.name("cz") {
                Some(z) => TimeValue::Zoned(offset(z.as_bytes())?.to_timestamp(civil).ok()?),
                None => TimeValue::Local(civil),
            }
        } else {
            let epoch = caps.name("ep")?.as_bytes();
            TimeValue::Zoned(epoch_time(epoch)?)
        };
        Some(self.zone(time))
    }

    fn request(&self, line: &[u8]) -> Option<Range<usize>> {
        for key in self.patterns.request.find_iter(line) {
            let mut at = key.end();
            // `"requestId": "…"`, `requestId=…`, `request id: …`, `'callId': '…'`.
            while at < line.len() && matches!(line[at], b'"' | b'\'' | b' ' | b'\t') {
                at += 1;
            }
            if at < line.len() && matches!(line[at], b':' | b'=') {
                at += 1;
            } else if line.get(key.end()) != Some(&b' ') {
                // `request id 1234…` is written only with a space; anything else needs : or =.
                continue;
            }
            while at < line.len() && matches!(line[at], b'"' | b'\'' | b' ' | b'\t') {
                at += 1;
            }
            if let Some(id) = id_at(line, at) {
                return Some(id);
            }
        }
        None
    }

    /// Whether `line` is an SCF runtime frame line (`[time ]START RequestId: <id>` or
    /// `[time ]END RequestId: <id>`), and which.
    pub fn frame(&self, line: &[u8]) -> Option<FrameMark> {
        static FINDER: OnceLock<memmem::Finder<'static>> = OnceLock::new();
        let head = &line[..line.len().min(FIELD_LINE_BYTES)];
        let at = FINDER
            .get_or_init(|| memmem::Finder::new(b"RequestId:"))
            .find(head)?;
        frame_at(head, at)
    }
}

/// The frame mark of `line` whose `RequestId:` is at `at`.
pub(crate) fn frame_at(line: &[u8], at: usize) -> Option<FrameMark> {
    let before = line[..at].strip_suffix(b" ")?;
    let word_start = before
        .iter()
        .rposition(|b| b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    let word = &before[word_start..];
    // Only the runtime's own words, first on the line or right after its timestamp.
    let prefix = &before[..word_start];
    if !(prefix.is_empty() || iso_at(prefix.trim_ascii_end(), 0).is_some()) {
        return None;
    }
    match word {
        b"START" => {
            let mut from = at + b"RequestId:".len();
            while line.get(from) == Some(&b' ') {
                from += 1;
            }
            id_at(line, from).map(FrameMark::Start)
        }
        b"END" => Some(FrameMark::End),
        _ => None,
    }
}

fn is_id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// The id starting at `at`, if what starts there is one.
fn id_at(line: &[u8], at: usize) -> Option<Range<usize>> {
    let len = line
        .get(at..)?
        .iter()
        .take_while(|b| is_id_byte(**b))
        .count();
    let id = &line[at..at + len];
    if !(8..=MAX_REQUEST_ID).contains(&len)
        || !id.iter().any(u8::is_ascii_digit)
        || !id[0].is_ascii_alphanumeric()
    {
        return None;
    }
    Some(at..at + len)
}

/// The SCF runtime's second column: `<time>\t<id>\t<LEVEL>\t…`.
fn scf_column(line: &[u8], time_end: usize) -> Option<Range<usize>> {
    if line.get(time_end) != Some(&b'\t') {
        return None;
    }
    let id = id_at(line, time_end + 1)?;
    let level_start = id.end + 1;
    if line.get(id.end) != Some(&b'\t') {
        return None;
    }
    let level = line[level_start..]
        .iter()
        .take_while(|b| b.is_ascii_uppercase())
        .count();
    (level > 0 && line.get(level_start + level) == Some(&b'\t')).then_some(id)
}

fn digits(line: &[u8], at: usize, n: usize) -> Option<i64> {
    let bytes = line.get(at..at + n)?;
    bytes.iter().try_fold(0i64, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0'))
    })
}

/// An ISO-8601 time starting exactly at `at` (`YYYY-MM-DD[T ]HH:MM:SS[.f][Z|±HH[:]MM]`), and
/// where it ends. The regex-free fast path for lines that start with their time.
fn iso_at(line: &[u8], at: usize) -> Option<(TimeValue, usize)> {
    let b = |i: usize| line.get(at + i).copied();
    if b(4) != Some(b'-') || b(7) != Some(b'-') || !matches!(b(10), Some(b'T' | b' ')) {
        return None;
    }
    if b(13) != Some(b':') || b(16) != Some(b':') {
        return None;
    }
    let mut end = at + 19;
    let mut fraction: &[u8] = b"";
    if matches!(line.get(end), Some(b'.' | b',')) {
        let n = line[end + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if n == 0 || n > 9 {
            return None;
        }
        fraction = &line[end + 1..end + 1 + n];
        end += 1 + n;
    }
    let dt = civil(
        digits(line, at, 4)?,
        digits(line, at + 5, 2)?,
        digits(line, at + 8, 2)?,
        digits(line, at + 11, 2)?,
        digits(line, at + 14, 2)?,
        digits(line, at + 17, 2)?,
        fraction,
    )?;
    let zone_len = zone_len(&line[end..]);
    let time = if zone_len > 0 {
        let zone = &line[end..end + zone_len];
        end += zone_len;
        TimeValue::Zoned(offset(zone)?.to_timestamp(dt).ok()?)
    } else {
        TimeValue::Local(dt)
    };
    // A time that runs on into more digits is not one (`…:05:123`).
    if line.get(end).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    Some((time, end))
}

/// An access-log time `dd/Mon/yyyy:HH:MM:SS[ ±HHMM]]` starting at `at` (after its `[`). Any
/// other shape is left to the regex (which reads this one the same way).
fn access_at(line: &[u8], at: usize) -> Option<TimeValue> {
    let b = |i: usize| line.get(at + i).copied();
    if b(2) != Some(b'/') || b(6) != Some(b'/') || b(11) != Some(b':') {
        return None;
    }
    if b(14) != Some(b':') || b(17) != Some(b':') {
        return None;
    }
    let dt = civil(
        digits(line, at + 7, 4)?,
        month(line.get(at + 3..at + 6)?)?,
        digits(line, at, 2)?,
        digits(line, at + 12, 2)?,
        digits(line, at + 15, 2)?,
        digits(line, at + 18, 2)?,
        b"",
    )?;
    match (b(20), b(21)) {
        (Some(b']'), _) => Some(TimeValue::Local(dt)),
        (Some(b' '), Some(b'+' | b'-')) if b(26) == Some(b']') => {
            let zone = line.get(at + 21..at + 26)?;
            Some(TimeValue::Zoned(offset(zone)?.to_timestamp(dt).ok()?))
        }
        _ => None,
    }
}

/// Length of a zone designator at the start of `rest`: `Z`, `±HH:MM` or `±HHMM`.
fn zone_len(rest: &[u8]) -> usize {
    match rest.first() {
        Some(b'Z') => 1,
        Some(b'+' | b'-') => {
            let d = |i: usize| rest.get(i).is_some_and(u8::is_ascii_digit);
            if d(1) && d(2) && rest.get(3) == Some(&b':') && d(4) && d(5) {
                6
            } else if d(1) && d(2) && d(3) && d(4) {
                5
            } else {
                0
            }
        }
        _ => 0,
    }
}

fn offset(zone: &[u8]) -> Option<Offset> {
    let zone = zone.trim_ascii_start();
    if zone == b"Z" {
        return Some(Offset::UTC);
    }
    let sign = match zone.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours = digits(zone, 1, 2)?;
    let minutes = if zone.get(3) == Some(&b':') {
        digits(zone, 4, 2)?
    } else {
        digits(zone, 3, 2)?
    };
    if minutes >= 60 {
        return None;
    }
    let seconds = i32::try_from(sign * (hours * 3600 + minutes * 60)).ok()?;
    Offset::from_seconds(seconds).ok()
}

fn civil(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64, fraction: &[u8]) -> Option<DateTime> {
    let mut nanos: i64 = 0;
    for i in 0..9 {
        nanos = nanos * 10 + fraction.get(i).map_or(0, |b| i64::from(b - b'0'));
    }
    // A leap second (`:60`) is read as the last nanosecond-free second before it, as jiff does.
    let s = s.min(59);
    DateTime::new(
        i16::try_from(y).ok()?,
        i8::try_from(mo).ok()?,
        i8::try_from(d).ok()?,
        i8::try_from(h).ok()?,
        i8::try_from(mi).ok()?,
        i8::try_from(s).ok()?,
        i32::try_from(nanos).ok()?,
    )
    .ok()
}

fn month(name: &[u8]) -> Option<i64> {
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    MONTHS.iter().position(|m| *m == name).map(|i| i as i64 + 1)
}

/// Epoch seconds (10 digits, optional fraction) or milliseconds (13 digits).
fn epoch_time(text: &[u8]) -> Option<Timestamp> {
    let (whole, fraction) = match memchr::memchr(b'.', text) {
        Some(dot) => (&text[..dot], &text[dot + 1..]),
        None => (text, &b""[..]),
    };
    let whole = digits(whole, 0, whole.len())?;
    match text.len() {
        13 if fraction.is_empty() => Timestamp::from_millisecond(whole).ok(),
        _ => {
            let mut nanos: i64 = 0;
            for i in 0..9 {
                nanos = nanos * 10 + fraction.get(i).map_or(0, |b| i64::from(b - b'0'));
            }
            Timestamp::new(whole, i32::try_from(nanos).ok()?).ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex() -> Extractor {
        Extractor::new(None).expect("patterns build")
    }

    fn time(line: &str) -> Option<String> {
        ex().line(line.as_bytes()).time.map(|t| t.to_string())
    }

    fn request(line: &str) -> Option<String> {
        let fields = ex().line(line.as_bytes());
        fields.request.map(|r| line[r].to_string())
    }

    #[test]
    fn iso_times_with_and_without_zone() {
        assert_eq!(
            time("2024-05-15T21:58:49.574Z\tabc\tINFO\tx").as_deref(),
            Some("2024-05-15T21:58:49.574Z")
        );
        // +08:00 and +0800 are the same instant, 8 hours ahead of UTC.
        let want = Some("2024-05-16T00:15:02.361Z".to_string());
        assert_eq!(time("2024-05-16T08:15:02.361+08:00 boom"), want);
        assert_eq!(time("2024-05-16 08:15:02.361+0800 boom"), want);
        assert_eq!(time("[2024-05-16 08:15:02,361 +0800] boom"), want);
        // No zone: the wall clock, kept local.
        let local = ex().line(b"2024-05-16 08:15:02 [ERROR] deploy failed");
        assert_eq!(
            local.time.map(|t| (t.to_string(), t.is_zoned())),
            Some(("2024-05-16T08:15:02.000".to_string(), false))
        );
        assert_eq!(
            time("[2024-05-16 08:15:02] ERROR x").as_deref(),
            Some("2024-05-16T08:15:02.000")
        );
        assert_eq!(
            time("some text at 2024-05-16T08:15:02.5 then").as_deref(),
            Some("2024-05-16T08:15:02.500")
        );
    }

    #[test]
    fn json_fields_and_epochs() {
        assert_eq!(
            time(r#"{"level":"error","@timestamp":"2024-05-16T00:15:02.361Z","code":"X"}"#)
                .as_deref(),
            Some("2024-05-16T00:15:02.361Z")
        );
        // 1715818502361 ms = 2024-05-16T00:15:02.361Z (1715818502 s = that second: 19859 days
        // × 86400 + 0:15:02).
        assert_eq!(19859 * 86400 + 15 * 60 + 2, 1_715_818_502);
        assert_eq!(
            time(r#"{"ts":1715818502361,"msg":"SYS_ERR"}"#).as_deref(),
            Some("2024-05-16T00:15:02.361Z")
        );
        assert_eq!(
            time(r#"{"time": 1715818502, "msg":"SYS_ERR"}"#).as_deref(),
            Some("2024-05-16T00:15:02.000Z")
        );
        assert_eq!(
            time(r#"{"timestamp":1715818502.25}"#).as_deref(),
            Some("2024-05-16T00:15:02.250Z")
        );
        // Neither seconds nor milliseconds: not a time.
        assert_eq!(time(r#"{"ts":17158185023,"msg":"x"}"#), None);
        assert_eq!(time(r#"{"count":1715818502}"#), None);
    }

    #[test]
    fn access_log_times() {
        assert_eq!(
            time(r#"172.16.3.141 - - [16/May/2024:05:58:47 +0800] "GET /healthz HTTP/1.1" 502"#)
                .as_deref(),
            Some("2024-05-15T21:58:47.000Z")
        );
        assert_eq!(
            time("10.0.0.1 - - [16/May/2024:05:58:47] \"GET / HTTP/1.1\" 502").as_deref(),
            Some("2024-05-16T05:58:47.000")
        );
        assert_eq!(
            time("[16/Mai/2024:05:58:47 +0800] x"),
            None,
            "not an English month"
        );
    }

    #[test]
    fn things_that_are_not_times() {
        for line in [
            "version 2024.05.16 released",
            "GET /archive/2024-05-16 08:15:02/index.html",
            "GET /logs/2024-05-16/app.log 404",
            "client 10.2.3.4:8080 connected",
            "build 1.2.3-2024-05-16 done",
            "date 2024-05-16 only",
            "2024-13-45 25:61:61 is no date",
        ] {
            assert_eq!(time(line), None, "{line}");
        }
    }

    #[test]
    fn log_tz_makes_local_times_zoned() {
        let shanghai = parse_time_zone("Asia/Shanghai").expect("bundled tzdb knows Shanghai");
        let ex = Extractor::new(Some(shanghai)).expect("patterns build");
        let t = ex.line(b"2024-05-16 08:15:02 x").time.expect("a time");
        assert_eq!(t.to_string(), "2024-05-16T00:15:02.000Z");
        let fixed = Extractor::new(Some(parse_time_zone("-05:00").expect("offset")))
            .expect("patterns build");
        let t = fixed.line(b"2024-05-16 08:15:02 x").time.expect("a time");
        assert_eq!(t.to_string(), "2024-05-16T13:15:02.000Z");
        // A zoned time stays what it said.
        let t = ex.line(b"2024-05-16T08:15:02Z x").time.expect("a time");
        assert_eq!(t.to_string(), "2024-05-16T08:15:02.000Z");
        assert!(parse_time_zone("Mars/Olympus").is_err());
        assert!(parse_time_zone("+8:0:0").is_err());
    }

    #[test]
    fn request_ids_after_their_keys() {
        let cases = [
            (
                r#"{"code":"SYS_ERR","requestId":"19c6caaf4fd_e3-19c6caaf535_c"}"#,
                Some("19c6caaf4fd_e3-19c6caaf535_c"),
            ),
            (
                "errCode: -502005 requestID=4b81e5ec-d818-4d84-b04c-13d4994439ad",
                Some("4b81e5ec-d818-4d84-b04c-13d4994439ad"),
            ),
            (
                "x-request-id: a1b2c3d4e5f6 upstream 502",
                Some("a1b2c3d4e5f6"),
            ),
            ("request id 7f3e2a10b9 failed", Some("7f3e2a10b9")),
            ("{'callId': 'cb_1715818502_77'}", Some("cb_1715818502_77")),
            (
                "Report RequestId:e4bbd9ff4c8_b7-347004f2f56_5 Duration:65.9ms",
                Some("e4bbd9ff4c8_b7-347004f2f56_5"),
            ),
            ("requestId: undefined", None),
            ("requestId: 1234", None),
            ("the request identified nothing", None),
        ];
        for (line, want) in cases {
            assert_eq!(request(line).as_deref(), want, "{line}");
        }
        let long = format!("requestId={}", "a1".repeat(60));
        assert_eq!(request(&long), None, "longer than MAX_REQUEST_ID");
    }

    #[test]
    fn the_scf_runtime_column_is_the_request() {
        let line = "2024-05-15T21:58:49.574Z\te4bbd9ff4c8_b7-347004f2f56_5\tERROR\tDATABASE_REQUEST_FAILED";
        assert_eq!(
            request(line).as_deref(),
            Some("e4bbd9ff4c8_b7-347004f2f56_5")
        );
        // A tab-separated line whose second column is no id, or without a level, has none.
        assert_eq!(
            request("2024-05-15T21:58:49.574Z\thello world\tINFO\tx"),
            None
        );
        assert_eq!(request("2024-05-15T21:58:49.574Z\tabc12345678\tx"), None);
    }

    #[test]
    fn frames() {
        let ex = ex();
        let start = b"2024-05-15T21:58:49.553Z START RequestId:e4bbd9ff4c8_b7-347004f2f56_5";
        match ex.frame(start) {
            Some(FrameMark::Start(r)) => assert_eq!(&start[r], b"e4bbd9ff4c8_b7-347004f2f56_5"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            ex.frame(b"START RequestId: 4b81e5ec-d818-4d84-b04c-13d4994439ad")
                .map(|f| matches!(f, FrameMark::Start(_))),
            Some(true)
        );
        assert_eq!(
            ex.frame(b"2024-05-15T21:58:49.646Z END RequestId:e4bbd9ff4c8_b7-347004f2f56_5"),
            Some(FrameMark::End)
        );
        assert_eq!(
            ex.frame(b"2024-05-15T21:58:49.646Z Report RequestId:e4bbd9ff4c8_b7-347004f2f56_5"),
            None
        );
        assert_eq!(ex.frame(b"user said START RequestId:e4bbd9ff4c8_b7"), None);
    }
}
