//! CloudBase context: whether a hit of a *shared* name (a code other products use too, such
//! as `PERMISSION_DENIED` or `INVALID_PARAM`, marked `shared = true` in the catalog) sits on a
//! line that is about CloudBase. Only such hits count; elsewhere (a gRPC status, a Google API
//! error, a `docker login` failure) the name is someone else's and the hit is dropped.
//!
//! # The context window
//! The hit's line, at most [`CONTEXT_RADIUS`] bytes before the hit's start and after its end
//! (the line's `\n` excluded). The line scanner always holds that much around a hit (it is the
//! excerpt's radius), so the window, and so the decision, depends only on the input's bytes,
//! never on chunking, block size or threads.
//!
//! # What counts as CloudBase context (any one is enough)
//! Taken from how CloudBase errors are printed (JSON bodies of the HTTP API and node SDK, the
//! JS SDK's `[CODE] ` message prefix, mini-program `errCode: … | errMsg: …` lines, the runtime's
//! documentation link, the `TcbCode: [CODE]` of the WeChat server):
//! - a marker, in any ASCII case: `cloudbase` (so `docs.cloudbase.net`, `@cloudbase/…`,
//!   `CloudBase`), `wx-server-sdk`, `wx.cloud`, `callFunction`, `errCode`, `errMsg`, or `tcb`
//!   not preceded by a letter or digit (`tcb-admin-node`, `TcbError`, `TcbCode:`, `@tcb`),
//!   or `错误码` ("error code", how CloudBase's Chinese messages introduce a code);
//! - the `{"code":…,"requestId":…}` shape: a key `code` and a key `requestId` or `requestID`
//!   (a key: the word followed by `:`, `=` or a quote). Case-sensitive on purpose: AWS writes
//!   `Code` and `RequestId`, and its `AccessDenied` errors are not CloudBase's;
//! - the Tencent Cloud API 3.0 shape, `{"Response":{"Error":{"Code":…},"RequestId":…}}`: keys
//!   `Response` and `RequestId` (AWS has no `Response` key);
//! - the code itself in brackets, `[PERMISSION_DENIED]`, the JS SDK's message shape, or in
//!   the CloudBase CLI's `错误(PERMISSION_DENIED)：…`;
//! - another catalog pattern in the window: a code that is not shared, a shared one in its
//!   brackets (`[INVALID_HOST]`, which counts by itself), or a numeric alias of at least
//!   [`MIN_CONTEXT_DIGITS`] digits (`-501023`). The window is searched as if it were
//!   the whole input, so the decision stays a function of the window's bytes.
//!
//! A shared code's numeric alias (`-501023` for `PERMISSION_DENIED`) is CloudBase's own
//! number and counts without context: only names are shared.
//!
//! The check runs only for candidate hits of shared codes: the rest of the scan is untouched.

use std::ops::Range;

use memchr::{memchr, memrchr};

use crate::limits::{CONTEXT_RADIUS, MIN_CONTEXT_DIGITS};
use crate::matcher::{is_word_byte, Matcher};

/// Markers that make a line CloudBase's, compared in any ASCII case.
const MARKERS: &[&[u8]] = &[
    b"cloudbase",
    b"wx-server-sdk",
    b"wx.cloud",
    b"callfunction",
    b"errcode",
    b"errmsg",
    "错误码".as_bytes(),
];

/// The context window of a hit at `hit` in `haystack`: its line (whose start is `line_start`,
/// if the haystack still holds it), within [`CONTEXT_RADIUS`] bytes either side.
pub(crate) fn window(
    haystack: &[u8],
    line_start: Option<usize>,
    hit: Range<usize>,
) -> Range<usize> {
    let earliest = hit.start.saturating_sub(CONTEXT_RADIUS);
    let before = &haystack[earliest..hit.start];
    // A line break between the earliest byte and the hit is the line's start as well.
    let start = match memrchr(b'\n', before) {
        Some(i) => earliest + i + 1,
        None => line_start.map_or(earliest, |s| s.max(earliest)),
    };
    let limit = haystack.len().min(hit.end.saturating_add(CONTEXT_RADIUS));
    let end = memchr(b'\n', &haystack[hit.end..limit]).map_or(limit, |i| hit.end + i);
    start..end
}

/// Whether `window` (a hit's context window, the hit at `hit` within it) shows CloudBase
/// context. `shared[pattern]` says which patterns are shared names.
pub(crate) fn has_context(
    window: &[u8],
    hit: Range<usize>,
    matcher: &Matcher,
    shared: &[bool],
) -> bool {
    bracketed(window, &hit) || has_context_elsewhere(window, hit, matcher, shared)
}

/// Whether `window` shows CloudBase context anywhere but in the brackets around the code at
/// `hit`: the rule for a code not in the catalog (see [`crate::unknown`]), whose `[X] ` message
/// prefix is its very position (a logger's `message: [DB_ERROR] …` has one too), so it cannot
/// be its own context. A catalog code elsewhere on the line still is.
pub(crate) fn has_context_elsewhere(
    window: &[u8],
    hit: Range<usize>,
    matcher: &Matcher,
    shared: &[bool],
) -> bool {
    has_marker(window)
        || (has_key(window, b"code")
            && (has_key(window, b"requestId") || has_key(window, b"requestID")))
        || (has_key(window, b"Response") && has_key(window, b"RequestId"))
        || has_other_pattern(window, hit.start, matcher, shared)
}

fn has_marker(window: &[u8]) -> bool {
    MARKERS.iter().any(|m| contains_ignore_case(window, m))
        || find_ignore_case(window, b"tcb")
            .any(|at| at == 0 || !window[at - 1].is_ascii_alphanumeric())
}

/// The code in brackets, `[CODE]`, or in the CLI's `错误(CODE)`.
fn bracketed(window: &[u8], hit: &Range<usize>) -> bool {
    let before = &window[..hit.start];
    let after = window.get(hit.end);
    (before.ends_with(b"[") && after == Some(&b']'))
        || (before.ends_with("错误(".as_bytes()) && after == Some(&b')'))
}

/// Whether `word` appears as a key: not preceded by an identifier byte, followed by `:`, `=`
/// or a quote.
fn has_key(window: &[u8], word: &[u8]) -> bool {
    memchr::memmem::find_iter(window, word).any(|at| {
        (at == 0 || !is_word_byte(window[at - 1]))
            && matches!(
                window.get(at + word.len()),
                Some(b':' | b'=' | b'"' | b'\'')
            )
    })
}

/// Another catalog pattern in the window: a name that needs no context or a shared one in its
/// brackets (both count by themselves), or a long number.
/// `shared` is by pattern.
fn has_other_pattern(window: &[u8], hit_start: usize, matcher: &Matcher, shared: &[bool]) -> bool {
    let mut found = false;
    matcher.find(window, 0, window.len(), |m| {
        // A shared name in its brackets is CloudBase's (it counts on its own), so it is
        // context for the rest of the line; elsewhere it may be anyone's.
        if found
            || m.start == hit_start
            || (shared[m.pattern as usize] && !bracketed(window, &(m.start..m.end)))
        {
            return;
        }
        let text = &matcher.patterns()[m.pattern as usize].text;
        found = !is_numeric(text)
            || text.bytes().filter(u8::is_ascii_digit).count() >= MIN_CONTEXT_DIGITS;
    });
    found
}

/// Whether a pattern is a numeric alias (`-502005`).
pub(crate) fn is_numeric(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    find_ignore_case(haystack, needle).next().is_some()
}

/// Starts of `needle` (lowercase ASCII) in `haystack`, in any ASCII case.
fn find_ignore_case<'a>(haystack: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(move |(_, w)| w.eq_ignore_ascii_case(needle))
        .map(|(at, _)| at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    const SHARED: &str = r#"
[[category]]
id = "t"
en = "T"

[[code]]
code = "PERMISSION_DENIED"
category = "t"
en = "denied"
shared = true
numeric = [-501023]

[[code]]
code = "DATABASE_TIMEOUT"
category = "t"
en = "db"
"#;

    fn context(line: &str) -> bool {
        let mut catalog = Catalog::empty();
        catalog.extend_from_toml("t.toml", SHARED).expect("valid");
        let matcher = Matcher::new(&catalog);
        let shared: Vec<bool> = matcher
            .patterns()
            .iter()
            .map(|p| catalog.code(p.code).shared && !is_numeric(&p.text))
            .collect();
        let at = line
            .find("PERMISSION_DENIED")
            .expect("the line holds the code");
        let bytes = line.as_bytes();
        let w = window(bytes, Some(0), at..at + 17);
        has_context(
            &bytes[w.clone()],
            at - w.start..at - w.start + 17,
            &matcher,
            &shared,
        )
    }

    #[test]
    fn cloudbase_shapes_are_context() {
        for line in [
            r#"{"code":"PERMISSION_DENIED","message":"denied","requestId":"19c6caaf4fd_e3-19c6caaf535_c"}"#,
            "Error: [PERMISSION_DENIED] no permission",
            "errCode: -501023 PERMISSION_DENIED | errMsg: denied",
            "更多错误信息请访问：https://docs.cloudbase.net/error-code/basic/PERMISSION_DENIED",
            "at TcbError PERMISSION_DENIED",
            "tcb-admin-node: PERMISSION_DENIED",
            "PERMISSION_DENIED after DATABASE_TIMEOUT",
            "PERMISSION_DENIED -501023",
            "PERMISSION_DENIED then [PERMISSION_DENIED] Error: x",
            "wx.cloud.database(): PERMISSION_DENIED",
            "TCB PERMISSION_DENIED",
            "2024-05-17 08:09:25 [error] 错误(PERMISSION_DENIED)：调用失败；RequestId: 0ce4f354",
            r#"{"Response":{"Error":{"Code":"PERMISSION_DENIED","Message":"x"},"RequestId":"3f1c"}}"#,
        ] {
            assert!(context(line), "{line}");
        }
    }

    #[test]
    fn other_products_are_not_context() {
        for line in [
            "rpc error: code = PermissionDenied desc = PERMISSION_DENIED: caller lacks permission",
            r#"{"error":{"code":403,"message":"denied","status":"PERMISSION_DENIED"}}"#,
            r#"{"Code":"PERMISSION_DENIED","RequestId":"6d0b5a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"}"#,
            "gcloud: PERMISSION_DENIED on projects/fetcb-prod",
            "PERMISSION_DENIED PERMISSION_DENIED",
            // A code key alone is not the shape; nor is a number shorter than a CloudBase one.
            r#"{"code": 7, "status": "PERMISSION_DENIED", "retry": -5010}"#,
        ] {
            assert!(!context(line), "{line}");
        }
    }

    #[test]
    fn the_window_ends_at_the_line_and_the_radius() {
        let far = format!("cloudbase{} PERMISSION_DENIED", " ".repeat(CONTEXT_RADIUS));
        assert!(!context(&far), "a marker past the radius is not seen");
        let near = format!(
            "cloudbase{} PERMISSION_DENIED",
            " ".repeat(CONTEXT_RADIUS - 10)
        );
        assert!(context(&near));
        let text = b"errCode\nPERMISSION_DENIED\nerrMsg";
        assert_eq!(window(text, Some(8), 8..25), 8..25);
        assert_eq!(
            window(text, None, 8..25),
            8..25,
            "found from the line break"
        );
    }
}
