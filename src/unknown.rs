//! Codes cbscan does not know yet: code-shaped tokens in the places CloudBase prints codes,
//! found so that a new code (CloudBase splits its generic codes into finer ones) shows up in
//! the summary before any catalog has it. They are never hits and fail a scan only with
//! `--fail-on unknown`.
//!
//! # Code positions (the grammar)
//! `X` is a *code-shaped token*: upper snake case with at least one `_`, every part starting
//! with a letter (`[A-Z][A-Z0-9]*(_[A-Z][A-Z0-9]*)+`: `DATABASE_QUERY_TOO_LARGE`, not
//! `HTTP_502`, `ECONNRESET`, `card_declined` or `AccessDenied`), or a negative number of
//! CloudBase's shape (`-502099`: six digits, origin 4/5/6, domain 01–09; see
//! `cloudbase_number`; not Java's `-100001`, nor `-1` or `-404`). Tokens starting `ERR_` are
//! Node.js error codes (`ERR_INVALID_ARG_TYPE`) and never count.
//!
//! A *name* counts only where its line shows CloudBase context (the shared names' rule of
//! [`crate::scan`]'s context module, the name's own brackets aside), decided by the caller:
//! gRPC, GraphQL, MySQL, Redis and payment APIs fill `code` keys with names of the same shape.
//! A documentation link needs no context ([`Token::self_evident`]), nor does a number.
//! - a key `code` or `errCode` (`errcode`, `ErrCode`), quoted or not, then `:` or `=`, then `X`
//!   quoted or not: `"code":"X"`, `code: 'X'`, `'code': "X"`, `errCode: -N`. Lower-case
//!   `code` only: AWS and Tencent Cloud API 3.0 write `"Code"` for their own codes;
//! - `<api>:fail -N` (`cloud.callFunction:fail -501000`);
//! - the wrapper's `service error code -N,` (`cloud function service error code -504002, error
//!   message …`), found from the `code` anchor;
//! - a `[X] ` message prefix (the JS SDK's `[FUNCTIONS_EXECUTE_FAIL] Error: …`), where the `[`
//!   starts a value: after `:`, maybe a blank, maybe a quote (`"message":"[X] `,
//!   `message: '[X] `, `TcbCode: [X] `). A `[TAG] ` after a log level or timestamp is a
//!   logger's tag, not a code;
//! - a documentation link `cloudbase.net/…error-code/…/X`.
//!
//! Each position is found from one anchor (`code`, `Code`, `:fail`, `:"[`, `: "[`, `:'[`,
//! `: '[`, `: [`), found by a SIMD searcher, and decided by the
//! bytes at most [`MAX_UNKNOWN_SPAN`] after it and [`UNKNOWN_LOOK_BEHIND`] before it, all on
//! its line: so the result does not depend on how the input was cut.

use std::collections::BTreeMap;
use std::ops::{AddAssign, Range};
use std::sync::OnceLock;

use aho_corasick::{packed, AhoCorasick};

use crate::limits::{MAX_UNKNOWN_CODES, MAX_UNKNOWN_SPAN, UNKNOWN_LOOK_BEHIND};

/// The anchors: every code position starts with one. All at least three bytes long, so that
/// the SIMD searcher (Teddy) tells candidates by three bytes: with two, `co` and `: ` (200,000
/// each per 100 MB of realistic log) made it stop ten times as often; a lone `[` was worse.
const ANCHORS: [&str; 8] = [
    "code", "Code", ":fail", ":\"[", ": \"[", ":'[", ": '[", ": [",
];

/// Teddy over the anchors, or (on a CPU without the instructions it needs) `None`, and then
/// the slower automaton.
fn anchors() -> &'static (Option<packed::Searcher>, AhoCorasick) {
    static ANCHOR_SEARCH: OnceLock<(Option<packed::Searcher>, AhoCorasick)> = OnceLock::new();
    ANCHOR_SEARCH.get_or_init(|| {
        let teddy = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(ANCHORS)
            .build();
        // Eight fixed literals always build.
        let automaton = AhoCorasick::new(ANCHORS).unwrap_or_else(|_| unreachable!());
        (teddy, automaton)
    })
}

/// The next anchor starting at or after `from` and before `end`: (start, end, index).
fn next_anchor(haystack: &[u8], from: usize, end: usize) -> Option<(usize, usize, usize)> {
    let (teddy, automaton) = anchors();
    let m = match teddy {
        Some(teddy) => teddy.find_in(haystack, aho_corasick::Span { start: from, end })?,
        None => automaton.find(aho_corasick::Input::new(haystack).range(from..end))?,
    };
    Some((m.start(), m.end(), m.pattern().as_usize()))
}

/// Calls `found` with the range of every code-shaped token in a code position whose anchor
/// starts in `haystack[from..to]`. Bytes after `to` are read to finish a position (at most
/// [`MAX_UNKNOWN_SPAN`]), bytes before `from` as look-behind.
pub fn find_tokens(haystack: &[u8], from: usize, to: usize, mut found: impl FnMut(Token)) {
    let end = haystack.len().min(to.saturating_add(MAX_UNKNOWN_SPAN));
    let mut at = from;
    while let Some((start, stop, anchor)) = next_anchor(haystack, at, end) {
        if start >= to {
            break;
        }
        let token = match anchor {
            0 => after_code(haystack, start, stop, false),
            1 => after_code(haystack, start, stop, true),
            2 => after_fail(haystack, stop).map(Token::plain),
            _ => after_bracket(haystack, stop - 1).map(Token::plain),
        };
        if let Some(token) = token {
            found(token);
        }
        at = stop;
    }
}

/// A code-shaped token in a code position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Where it is.
    pub range: Range<usize>,
    /// Whether its position is CloudBase's by itself (a `docs.cloudbase.net` link). Numbers
    /// never need context either: [`token_len`] takes only CloudBase's shape.
    pub self_evident: bool,
}

impl Token {
    fn plain(range: Range<usize>) -> Self {
        Token {
            range,
            self_evident: false,
        }
    }

    /// Whether the token is a number (`-502099`) rather than a name.
    pub fn is_number(&self, haystack: &[u8]) -> bool {
        haystack.get(self.range.start) == Some(&b'-')
    }

    /// Whether it counts only where its line shows CloudBase context (see
    /// [`crate::scan`]'s context rule): a name outside a documentation link. Names such as
    /// `DEADLINE_EXCEEDED` or `PARAM_ERROR` fill the `code` keys of gRPC, GraphQL, MySQL and
    /// payment APIs too.
    pub fn needs_context(&self, haystack: &[u8]) -> bool {
        !self.self_evident && !self.is_number(haystack)
    }
}

/// Whether `digits` (what follows the minus) have CloudBase's shape: six of them, the first
/// 4, 5 or 6 (where the error came from: the SDK, Tencent Cloud, the WeChat server), then a
/// two-digit domain from 01 to 09. The SDK documents 01 to 04 (general, database, file,
/// cloud function); the WeChat table has -605101 (HTTP API) and real logs -606003, so the
/// domain is allowed to grow, but `-100001` (Java), `-400000` or `-512345` are not CloudBase's.
fn cloudbase_number(digits: &[u8]) -> bool {
    digits.len() == 6
        && matches!(digits[0], b'4'..=b'6')
        && digits[1] == b'0'
        && matches!(digits[2], b'1'..=b'9')
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The length of a code-shaped token at `at`, if one starts there and ends at a non-identifier
/// byte (or the end).
pub fn token_len(bytes: &[u8], at: usize) -> Option<usize> {
    let rest = bytes.get(at..)?;
    let len = if rest.first() == Some(&b'-') {
        let digits = rest[1..].iter().take_while(|b| b.is_ascii_digit()).count();
        cloudbase_number(&rest[1..1 + digits]).then_some(1 + digits)?
    } else {
        let mut i = 0;
        let mut parts = 0;
        loop {
            if !rest.get(i).is_some_and(u8::is_ascii_uppercase) {
                return None;
            }
            i += 1;
            while rest
                .get(i)
                .is_some_and(|&b| b.is_ascii_uppercase() || b.is_ascii_digit())
            {
                i += 1;
            }
            parts += 1;
            if rest.get(i) == Some(&b'_') {
                i += 1;
            } else {
                break;
            }
        }
        // `ERR_…` is Node.js's own naming (`ERR_INVALID_ARG_TYPE`, axios's `ERR_NETWORK`),
        // printed by every Node app, CloudBase's included; no CloudBase code starts so.
        (parts >= 2 && !rest.starts_with(b"ERR_")).then_some(i)?
    };
    match rest.get(len) {
        Some(&b)
            if is_ident(b) || (b == b'.' && rest.get(len + 1).is_some_and(u8::is_ascii_digit)) =>
        {
            None
        }
        _ => Some(len),
    }
}

fn skip_blanks(bytes: &[u8], mut at: usize, limit: usize) -> usize {
    while at < limit && matches!(bytes[at], b' ' | b'\t') {
        at += 1;
    }
    at
}

/// `code` / `errCode` keys, documentation links and the wrapper's `service error code -N`:
/// `start..end` is the anchor (`Code` when `capital`).
fn after_code(bytes: &[u8], start: usize, end: usize, capital: bool) -> Option<Token> {
    let limit = bytes.len().min(start + MAX_UNKNOWN_SPAN);
    let err = start >= 3 && bytes[start - 3..start].eq_ignore_ascii_case(b"err");
    let word_start = if err { start - 3 } else { start };
    if capital && !err {
        return None;
    }
    if word_start > 0 && is_ident(bytes[word_start - 1]) {
        return None;
    }
    if !err && start >= 6 && &bytes[start - 6..start] == b"error-" {
        return in_docs_link(bytes, start, end, limit).map(|range| Token {
            range,
            self_evident: true,
        });
    }
    let mut at = end;
    if at < limit && matches!(bytes[at], b'"' | b'\'') {
        at += 1;
    }
    at = skip_blanks(bytes, at, limit);
    if at >= limit || !matches!(bytes[at], b':' | b'=') {
        return (!capital && !err)
            .then(|| in_wrapper(bytes, start, end, limit))
            .flatten()
            .map(Token::plain);
    }
    at = skip_blanks(bytes, at + 1, limit);
    let quote = bytes.get(at).copied().filter(|b| matches!(b, b'"' | b'\''));
    if quote.is_some() {
        at += 1;
    }
    let len = token_len(&bytes[..limit], at)?;
    if let Some(q) = quote {
        if bytes.get(at + len) != Some(&q) {
            return None;
        }
    }
    Some(Token::plain(at..at + len))
}

/// The inner code of the SDK's wrapper message, `cloud function service error code -N, error
/// message …` (inside a `-404011`'s errMsg): `start..end` is its `code`. Found from the `code`
/// anchor already searched for, so it costs nothing more per block.
fn in_wrapper(bytes: &[u8], start: usize, end: usize, limit: usize) -> Option<Range<usize>> {
    const BEFORE: &[u8] = b"service error ";
    if start < BEFORE.len() || &bytes[start - BEFORE.len()..start] != BEFORE {
        return None;
    }
    let at = end + 1;
    if bytes.get(end) != Some(&b' ') || bytes.get(at) != Some(&b'-') {
        return None;
    }
    let len = token_len(&bytes[..limit], at)?;
    (bytes.get(at + len) == Some(&b',')).then_some(at..at + len)
}

/// `…cloudbase.net/[en/]error-code/<section>/X`: `start..end` is the `code` of `error-code`.
fn in_docs_link(bytes: &[u8], start: usize, end: usize, limit: usize) -> Option<Range<usize>> {
    let behind = &bytes[start.saturating_sub(UNKNOWN_LOOK_BEHIND)..start];
    let site = memchr::memmem::rfind(behind, b"cloudbase.net/")?;
    if behind[site..].contains(&b' ') {
        return None;
    }
    // The last path segment: after the last `/`, up to the end of the URL.
    let mut at = end;
    let mut last = None;
    while at < limit && bytes[at] == b'/' {
        let seg = at + 1;
        let mut e = seg;
        while e < limit && (is_ident(bytes[e]) || bytes[e] == b'-') {
            e += 1;
        }
        last = Some(seg);
        at = e;
    }
    let seg = last?;
    let len = token_len(&bytes[..limit], seg)?;
    (seg + len == at).then_some(seg..at)
}

/// `<api>:fail -N`: `end` is right after `:fail`.
fn after_fail(bytes: &[u8], end: usize) -> Option<Range<usize>> {
    let start = end - ANCHORS[2].len();
    if start == 0 || !is_ident(bytes[start - 1]) {
        return None;
    }
    let limit = bytes.len().min(end + MAX_UNKNOWN_SPAN);
    let at = skip_blanks(bytes, end, limit);
    if at == end || bytes.get(at) != Some(&b'-') {
        return None;
    }
    let len = token_len(&bytes[..limit], at)?;
    Some(at..at + len)
}

/// `[X] ` starting a message: the anchor (`:"[`, `: "[`, `:'[`, `: '[`, `: [`) put a `:`, and
/// maybe a blank and a quote, before it; `start` is the `[`.
fn after_bracket(bytes: &[u8], start: usize) -> Option<Range<usize>> {
    let limit = bytes.len().min(start + MAX_UNKNOWN_SPAN);
    let at = start + 1;
    if bytes.get(at) == Some(&b'-') {
        return None;
    }
    let len = token_len(&bytes[..limit], at)?;
    (bytes.get(at + len) == Some(&b']') && bytes.get(at + len + 1) == Some(&b' '))
        .then_some(at..at + len)
}

/// Where a code not in the catalog was first seen.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct FirstSeen {
    /// The input's name (empty until the input is named, see [`UnknownCodes::name_input`]).
    pub path: String,
    /// 1-based line.
    pub line: u64,
    /// 1-based byte column of the token.
    pub column: u64,
    /// The line around it (at most [`crate::limits::UNKNOWN_TEXT_RADIUS`] bytes either side).
    pub text: String,
}

/// One code not in the catalog: how often it was seen, and where first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnknownCode {
    /// Occurrences.
    pub count: u64,
    /// The earliest occurrence: smallest (path, line, column).
    pub first: FirstSeen,
}

/// Codes not in the catalog, by name, at most [`MAX_UNKNOWN_CODES`] of them: past the cap the
/// alphabetically last are dropped and their occurrences counted in `overflow`. Since a code
/// dropped is always larger than every code kept, it never comes back, so every kept code has
/// its full count, and adding parts gives exactly the whole (the smallest codes of the union).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnknownCodes {
    codes: BTreeMap<String, UnknownCode>,
    overflow: u64,
}

impl UnknownCodes {
    /// Counts one occurrence of `code` at `first`.
    pub fn add(&mut self, code: &str, first: impl FnOnce() -> FirstSeen) {
        if let Some(known) = self.codes.get_mut(code) {
            known.count += 1;
            return;
        }
        self.insert(
            code.to_string(),
            UnknownCode {
                count: 1,
                first: first(),
            },
        );
    }

    fn insert(&mut self, code: String, entry: UnknownCode) {
        if self.codes.len() >= MAX_UNKNOWN_CODES {
            match self.codes.last_key_value() {
                Some((last, _)) if *last < code => {
                    self.overflow += entry.count;
                    return;
                }
                _ => {}
            }
        }
        match self.codes.get_mut(&code) {
            Some(known) => {
                known.count += entry.count;
                if entry.first < known.first {
                    known.first = entry.first;
                }
            }
            None => {
                self.codes.insert(code, entry);
            }
        }
        while self.codes.len() > MAX_UNKNOWN_CODES {
            if let Some((_, dropped)) = self.codes.pop_last() {
                self.overflow += dropped.count;
            }
        }
    }

    /// The codes kept, by name.
    pub fn codes(&self) -> &BTreeMap<String, UnknownCode> {
        &self.codes
    }

    /// Occurrences of codes past the cap.
    pub fn overflow(&self) -> u64 {
        self.overflow
    }

    /// Whether nothing was seen.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty() && self.overflow == 0
    }

    /// Adds `lines` to every line (a chunk's lines start after the chunks before it).
    pub(crate) fn rebase(&mut self, lines: u64) {
        for code in self.codes.values_mut() {
            code.first.line += lines;
        }
    }

    /// Names the input these were seen in.
    pub(crate) fn name_input(&mut self, path: &str) {
        for code in self.codes.values_mut() {
            code.first.path = path.to_string();
        }
    }

    /// Bytes held on the heap (roughly).
    pub(crate) fn weight(&self) -> usize {
        self.codes
            .iter()
            .map(|(k, v)| 96 + k.len() + v.first.path.len() + v.first.text.len())
            .sum()
    }

    /// Rebuilds from parts (the wire form).
    pub fn from_parts(
        codes: impl IntoIterator<Item = (String, UnknownCode)>,
        overflow: u64,
    ) -> Self {
        let mut all = UnknownCodes {
            codes: BTreeMap::new(),
            overflow,
        };
        for (code, entry) in codes {
            all.insert(code, entry);
        }
        all
    }
}

impl AddAssign<&UnknownCodes> for UnknownCodes {
    fn add_assign(&mut self, other: &UnknownCodes) {
        self.overflow += other.overflow;
        for (code, entry) in &other.codes {
            self.insert(code.clone(), entry.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(line: &str) -> Vec<&str> {
        let mut out = Vec::new();
        find_tokens(line.as_bytes(), 0, line.len(), |t| out.push(&line[t.range]));
        out
    }

    /// (token, needs context) of every token on `line`.
    fn judged(line: &str) -> Vec<(&str, bool)> {
        let mut out = Vec::new();
        find_tokens(line.as_bytes(), 0, line.len(), |t| {
            let needs = t.needs_context(line.as_bytes());
            out.push((&line[t.range], needs));
        });
        out
    }

    #[test]
    fn only_numbers_of_cloudbase_shape_are_tokens() {
        for number in [
            "-401099", "-402099", "-404099", "-501000", "-502099", "-504099", "-601099", "-605199",
            "-606003", "-609001",
        ] {
            let line = format!("errCode: {number} | errMsg: x");
            assert_eq!(tokens(&line), vec![number], "{line}");
        }
        for number in [
            // Java, a bank, MySQL: six digits, but not from the SDK, Tencent Cloud or WeChat.
            "-100001", "-100002", "-200001", "-300001", "-701001", "-901001",
            // A CloudBase origin with no domain, or a domain past 09.
            "-400000", "-500123", "-512345", "-699999", // Not six digits.
            "-50209", "-5020991", "-1", "-404",
        ] {
            let line = format!("errCode: {number} | errMsg: x");
            assert!(tokens(&line).is_empty(), "{line}: {:?}", tokens(&line));
        }
    }

    #[test]
    fn names_need_context_unless_in_a_docs_link_and_numbers_never() {
        assert_eq!(
            judged(r#"{"code":"NEW_CODE"} errCode: -502099 :fail"#),
            vec![("NEW_CODE", true), ("-502099", false)]
        );
        assert_eq!(
            judged("TcbCode: [NEW_CODE] rid: 1"),
            vec![("NEW_CODE", true)]
        );
        assert_eq!(
            judged("https://docs.cloudbase.net/error-code/basic/NEW_CODE"),
            vec![("NEW_CODE", false)]
        );
    }

    #[test]
    fn the_wrappers_inner_code_is_a_position() {
        let line = "errCode: -404011 | errMsg: cloud.callFunction:fail requestID 1111-2222, \
                    cloud function service error code -504099, error message boom";
        assert_eq!(tokens(line), vec!["-404011", "-504099"]);
        for line in [
            "service error code -504099 boom",
            "exit code -504099, signal",
            "service error code: x, code -504099,",
            "service error code 504099, error",
        ] {
            assert!(tokens(line).is_empty(), "{line}: {:?}", tokens(line));
        }
    }

    #[test]
    fn code_positions_are_found() {
        let cases = [
            (
                r#"{"code":"DATABASE_QUERY_TOO_LARGE","message":"x"}"#,
                "DATABASE_QUERY_TOO_LARGE",
            ),
            ("{ code: 'NEW_CODE', message: 'x' }", "NEW_CODE"),
            (r#"{'code': "NEW_CODE"}"#, "NEW_CODE"),
            ("errCode: -502099 something | errMsg: x", "-502099"),
            ("errcode=-601099", "-601099"),
            ("cloud.callFunction:fail -501099 new failure", "-501099"),
            (
                r#""message":"[FUNCTIONS_QUOTA_GONE] Error: x""#,
                "FUNCTIONS_QUOTA_GONE",
            ),
            ("TcbCode: [NEW_CODE] rid: 1", "NEW_CODE"),
            ("{ message: '[NEW_CODE] Error: x' }", "NEW_CODE"),
            (r#"{"message": "[NEW_CODE] Error: x"}"#, "NEW_CODE"),
            (
                "更多错误信息请访问：https://docs.cloudbase.net/error-code/basic/NEW_CODE。",
                "NEW_CODE",
            ),
            (
                "see https://docs.cloudbase.net/en/error-code/service/NEW_CODE",
                "NEW_CODE",
            ),
        ];
        for (line, token) in cases {
            assert_eq!(tokens(line), vec![token], "{line}");
        }
    }

    #[test]
    fn ordinary_output_is_not_a_code_position() {
        for line in [
            r#"{"code":200,"message":"ok"}"#,
            r#"{"code":"404"}"#,
            r#"{"code":"ECONNRESET"}"#,
            r#"{"code":"card_declined"}"#,
            r#"{"Code":"ACCESS_DENIED","RequestId":"x"}"#,
            r#"{"code":"HTTP_502"}"#,
            r#"{"code":"ERR_BAD_RESPONSE"}"#,
            r#"{"code":-1,"msg":"fail"}"#,
            r#"{"code":"-5020991"}"#,
            "2026-11-30 [INFO] [ORDER_SERVICE] started",
            "[ERROR] [WARN] [DEBUG] [HTTP_502] x",
            "zipcode: NEW_CODE",
            "encode=NEW_CODE",
            "request:fail 502 bad gateway",
            "wx.login:fail -1",
            "https://example.com/error-code/basic/NEW_CODE",
            r#""message":"[NEW_CODE]x""#,
            r#"["[NEW_CODE] not after a colon"]"#,
        ] {
            assert!(tokens(line).is_empty(), "{line}: {:?}", tokens(line));
        }
    }

    #[test]
    fn anchors_before_the_window_are_not_reported_and_those_in_it_are_whole() {
        let line = r#"a {"code":"NEW_CODE"} b {"code":"OTHER_CODE"}"#;
        let second = line.rfind("{\"code").expect("second");
        let mut out = Vec::new();
        find_tokens(line.as_bytes(), 0, second, |t| out.push(&line[t.range]));
        assert_eq!(out, vec!["NEW_CODE"]);
        out.clear();
        find_tokens(line.as_bytes(), second, line.len(), |t| {
            out.push(&line[t.range])
        });
        assert_eq!(out, vec!["OTHER_CODE"]);
    }

    fn at(path: &str, line: u64) -> FirstSeen {
        FirstSeen {
            path: path.into(),
            line,
            column: 1,
            text: String::new(),
        }
    }

    #[test]
    fn parts_add_up_to_the_whole_past_the_cap() {
        let names: Vec<String> = (0..MAX_UNKNOWN_CODES + 20)
            .map(|i| format!("CODE_{}", (b'A' + (i % 26) as u8) as char).repeat(1 + i / 26))
            .collect();
        let mut whole = UnknownCodes::default();
        let mut left = UnknownCodes::default();
        let mut right = UnknownCodes::default();
        for (i, name) in names.iter().rev().chain(names.iter()).enumerate() {
            whole.add(name, || at("a.log", i as u64));
            let part = if i % 3 == 0 { &mut left } else { &mut right };
            part.add(name, || at("a.log", i as u64));
        }
        assert_eq!(whole.codes().len(), MAX_UNKNOWN_CODES);
        assert_eq!(whole.overflow(), 40);
        let mut merged = right.clone();
        merged += &left;
        assert_eq!(merged, whole);
        let mut other_way = left;
        other_way += &right;
        assert_eq!(other_way, whole);
    }
}
