//! Property tests of the escapers in `cbscan::report::escape`, one per consumer.
//!
//! Each escaper's output is read back the way its consumer reads it (serde_json for JSON, an
//! XML 1.0 parser for XML, the Actions runner's own decoding for workflow commands, entity
//! and backslash decoding for HTML and Markdown) and must give back the input, with unsafe
//! characters replaced by the stand-ins of an independent reference written here. The output
//! itself must hold nothing its consumer would act on: no raw control or invisible character,
//! no markup, no line break where a line must stay one line.
//!
//! Inputs are arbitrary strings and arbitrary bytes (lossy-converted), drawn with extra weight
//! on the characters that matter: every unsafe range, the characters each format reserves,
//! and CJK text.

use cbscan::report::escape::{
    excerpt_text, github_data, github_property, html, is_unsafe_char, json_bytes_lossy, json_str,
    markdown_cell, terminal, terminal_bytes, xml,
};
use proptest::prelude::*;

/// Characters every format or terminal cares about, drawn often so each case meets some.
const INTERESTING: &[char] = &[
    '\t',
    '\n',
    '\r',
    '\x1b',
    '\x07',
    '\0',
    '\x7f',
    '\u{85}',
    '\u{9b}',
    '\u{9c}',
    '\u{9d}',
    '\u{ad}',
    '\u{61c}',
    '\u{180e}',
    '\u{200b}',
    '\u{200d}',
    '\u{200f}',
    '\u{2028}',
    '\u{2029}',
    '\u{202a}',
    '\u{202e}',
    '\u{2060}',
    '\u{2066}',
    '\u{2069}',
    '\u{206f}',
    '\u{feff}',
    '\u{fff9}',
    '\u{fffb}',
    '\u{fffc}',
    '\u{fffd}',
    '\u{fffe}',
    '\u{ffff}',
    '\u{e0001}',
    '\u{e0041}',
    '\u{e007f}',
    '\u{e0100}',
    '%',
    ':',
    ',',
    '|',
    '\\',
    '<',
    '>',
    '&',
    '"',
    '\'',
    '`',
    '*',
    '_',
    '[',
    ']',
    '~',
    ';',
    '=',
    '#',
    '!',
    '错',
    '误',
    '码',
    '…',
    '“',
    '\u{a0}',
];

fn a_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => prop::sample::select(INTERESTING),
        3 => (0u8..0x80).prop_map(char::from),
        2 => any::<char>(),
        // Anywhere in the blocks that hold unsafe chars, neighbours included.
        1 => (0x80u32..0x100).prop_map(|v| char::from_u32(v).unwrap_or('?')),
        1 => (0x2000u32..0x2070).prop_map(|v| char::from_u32(v).unwrap_or('?')),
        1 => (0xfff0u32..0x10000).prop_map(|v| char::from_u32(v).unwrap_or('?')),
        1 => (0xe0000u32..0xe0090).prop_map(|v| char::from_u32(v).unwrap_or('?')),
    ]
}

/// Log-like text: long stretches of plain ASCII and Chinese with an interesting char now and
/// then, so that an unsafe char can fall anywhere in the word-at-a-time and span-at-a-time
/// steps of the JSON escaper.
fn a_line() -> impl Strategy<Value = String> {
    let plain = prop_oneof![
        (b' '..=b'~').prop_map(char::from),
        prop::sample::select(vec!['错', '误', '码', '云', '函', '数', '，', '。']),
    ];
    prop::collection::vec(prop_oneof![30 => plain, 1 => a_char()], 0..160)
        .prop_map(|chars| chars.into_iter().collect())
}

fn a_string() -> impl Strategy<Value = String> {
    prop::collection::vec(a_char(), 0..48).prop_map(|chars| chars.into_iter().collect())
}

/// Arbitrary bytes: single bytes (invalid UTF-8 included) mixed with whole encoded chars.
fn some_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            any::<u8>().prop_map(|b| vec![b]),
            a_char().prop_map(|c| c.to_string().into_bytes()),
        ],
        0..48,
    )
    .prop_map(|pieces| pieces.concat())
}

/// The reference stand-in of one char, written independently of the crate: control pictures
/// for C0 (U+2400 + code), `␡` for DEL, `\u{hex}` for every other unsafe char.
fn shown_char(c: char, out: &mut String) {
    if !is_unsafe_char(c) {
        out.push(c);
    } else if (c as u32) < 0x20 {
        out.push(char::from_u32(0x2400 + c as u32).unwrap_or('?'));
    } else if c == '\x7f' {
        out.push('\u{2421}');
    } else {
        out.push_str(&format!("\\u{{{:x}}}", c as u32));
    }
}

/// `s` as a person should see it, with the chars in `keep` left as they are.
fn shown(s: &str, keep: &[char]) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if keep.contains(&c) {
            out.push(c);
        } else {
            shown_char(c, &mut out);
        }
    }
    out
}

fn escaped(f: fn(&str, &mut String), s: &str) -> String {
    let mut out = String::new();
    f(s, &mut out);
    out
}

fn json(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    json_str(s, &mut out);
    out
}

/// What the JSON output must satisfy: it parses back to exactly `s`, and holds no raw control
/// (C0, DEL, C1) and no unsafe char.
fn check_json(out: &[u8], s: &str) -> Result<(), TestCaseError> {
    let parsed: String = serde_json::from_slice(out)
        .map_err(|e| TestCaseError::fail(format!("not JSON: {e}: {out:?}")))?;
    prop_assert_eq!(&parsed, s);
    prop_assert!(
        !out.iter().any(|&b| b < 0x20 || b == 0x7f),
        "raw control in {:?}",
        out
    );
    let text = std::str::from_utf8(out).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(
        !text.chars().any(is_unsafe_char),
        "unsafe char in {:?}",
        text
    );
    Ok(())
}

/// Decodes the five entities the HTML and XML escapers write, and `&#9; &#10; &#13;`.
/// Fails on any other `&`, so a raw `&` in the output fails the test.
fn decode_entities(s: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find(';').ok_or_else(|| format!("raw & in {s:?}"))?;
        out.push(match &tail[..=end] {
            "&amp;" => '&',
            "&lt;" => '<',
            "&gt;" => '>',
            "&quot;" => '"',
            "&#39;" | "&apos;" => '\'',
            "&#9;" => '\t',
            "&#10;" => '\n',
            "&#13;" => '\r',
            other => return Err(format!("unexpected entity {other} in {s:?}")),
        });
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The GitHub Actions runner's own decoding (ActionCommand.UnescapeData / UnescapeProperty):
/// plain replacements, in the runner's order, `%25` last.
fn runner_unescape(s: &str, property: bool) -> String {
    let mut out = s.replace("%0D", "\r").replace("%0A", "\n");
    if property {
        out = out.replace("%3A", ":").replace("%2C", ",");
    }
    out.replace("%25", "%")
}

/// Checks that every `%` in `out` starts one of the escapes the escaper may write.
fn check_percents(out: &str, allowed: &[&str]) -> Result<(), TestCaseError> {
    for (at, _) in out.match_indices('%') {
        prop_assert!(
            allowed.iter().any(|escape| out[at..].starts_with(escape)),
            "stray % at {} in {:?}",
            at,
            out
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn json_str_round_trips_and_shows_nothing_raw(s in a_string()) {
        check_json(&json(&s), &s)?;
    }

    #[test]
    fn json_str_round_trips_log_lines(s in a_line()) {
        check_json(&json(&s), &s)?;
    }

    #[test]
    fn json_str_is_serde_json_where_serde_json_is_already_safe(s in a_string()) {
        // Where nothing beyond what JSON requires is escaped, the bytes are serde_json's.
        let s: String = s
            .chars()
            .filter(|&c| !is_unsafe_char(c) || c < ' ')
            .collect();
        let theirs = serde_json::to_vec(&s).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(json(&s), theirs);
    }

    #[test]
    fn json_bytes_lossy_round_trips_to_the_lossy_text(bytes in some_bytes()) {
        let mut out = Vec::new();
        json_bytes_lossy(&bytes, &mut out);
        check_json(&out, &String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn json_str_appends(prefix in a_string(), s in a_string()) {
        let mut out = prefix.clone().into_bytes();
        json_str(&s, &mut out);
        prop_assert!(out.starts_with(prefix.as_bytes()));
        check_json(&out[prefix.len()..], &s)?;
    }

    #[test]
    fn xml_parses_as_xml_1_0_in_text_and_attribute(s in a_string()) {
        let out = escaped(xml, &s);
        let document = format!("<a b=\"{out}\" c='{out}'>{out}</a>");
        let parsed = roxmltree::Document::parse(&document)
            .map_err(|e| TestCaseError::fail(format!("{e}: {document:?}")))?;
        let element = parsed.root_element();
        // Tab, line feed and carriage return survive (attribute normalisation and line-end
        // normalisation included); everything else unsafe is shown.
        let expected = shown(&s, &['\t', '\n', '\r']);
        prop_assert_eq!(element.attribute("b").unwrap_or("<none>"), expected.as_str());
        prop_assert_eq!(element.attribute("c").unwrap_or("<none>"), expected.as_str());
        prop_assert_eq!(element.text().unwrap_or(""), expected.as_str());
        for c in expected.chars() {
            prop_assert!(c >= ' ' || matches!(c, '\t' | '\n' | '\r'), "C0 {:?} parsed", c);
        }
        // The raw output holds only chars XML 1.0 allows, and no control at all.
        let not_xml = |c: char| c < ' ' || matches!(c, '\u{fffe}' | '\u{ffff}');
        prop_assert!(!out.chars().any(not_xml), "non-XML char in {:?}", out);
        prop_assert_eq!(decode_entities(&out).map_err(TestCaseError::fail)?, expected);
    }

    #[test]
    fn html_holds_no_markup_and_decodes_to_what_a_terminal_shows(s in a_string()) {
        let out = escaped(html, &s);
        prop_assert!(!out.contains(['<', '>', '"', '\'']), "raw markup in {:?}", out);
        prop_assert!(!out.chars().any(is_unsafe_char), "unsafe char in {:?}", out);
        // decode_entities fails on any `&` that does not start an entity.
        prop_assert_eq!(decode_entities(&out).map_err(TestCaseError::fail)?, shown(&s, &[]));
    }

    #[test]
    fn markdown_cell_stays_one_cell_and_shows_the_text_literally(s in a_string()) {
        let out = escaped(markdown_cell, &s);
        prop_assert!(!out.contains(['\n', '\r']), "line break in {:?}", out);
        prop_assert!(!out.chars().any(is_unsafe_char), "unsafe char in {:?}", out);
        // Reading as GitHub does: a backslash escapes the next char; every markup char and
        // every `|` must be escaped, and entities are the only `&`.
        let mut decoded = String::new();
        let mut chars = out.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(next) => decoded.push(next),
                    None => return Err(TestCaseError::fail(format!("trailing \\ in {out:?}"))),
                },
                '|' | '*' | '_' | '[' | ']' | '`' | '~' | '<' | '>' => {
                    return Err(TestCaseError::fail(format!("raw {c:?} in {out:?}")));
                }
                _ => decoded.push(c),
            }
        }
        prop_assert_eq!(decode_entities(&decoded).map_err(TestCaseError::fail)?, shown(&s, &[]));
    }

    #[test]
    fn github_data_is_one_line_and_the_runner_decodes_it(s in a_string()) {
        let out = escaped(github_data, &s);
        prop_assert!(!out.contains(['\n', '\r']), "line break in {:?}", out);
        prop_assert!(!out.chars().any(is_unsafe_char), "unsafe char in {:?}", out);
        check_percents(&out, &["%25", "%0D", "%0A"])?;
        prop_assert_eq!(runner_unescape(&out, false), shown(&s, &['\n', '\r']));
    }

    #[test]
    fn github_property_is_one_line_without_separators(s in a_string()) {
        let out = escaped(github_property, &s);
        prop_assert!(!out.contains(['\n', '\r', ':', ',']), "separator in {:?}", out);
        prop_assert!(!out.chars().any(is_unsafe_char), "unsafe char in {:?}", out);
        check_percents(&out, &["%25", "%0D", "%0A", "%3A", "%2C"])?;
        prop_assert_eq!(runner_unescape(&out, true), shown(&s, &['\n', '\r']));
    }

    #[test]
    fn terminal_shows_every_unsafe_char(s in a_string()) {
        let out = escaped(terminal, &s);
        prop_assert!(!out.chars().any(is_unsafe_char), "unsafe char in {:?}", out);
        prop_assert!(!out.chars().any(|c| c.is_control() && c != '\t'), "control in {:?}", out);
        prop_assert_eq!(out, shown(&s, &[]));
    }

    #[test]
    fn terminal_bytes_is_terminal_after_lossy_utf8(bytes in some_bytes()) {
        let mut out = String::new();
        terminal_bytes(&bytes, &mut out);
        prop_assert!(!out.chars().any(is_unsafe_char), "unsafe char in {:?}", out);
        prop_assert_eq!(&out, &shown(&String::from_utf8_lossy(&bytes), &[]));
        prop_assert_eq!(out, cbscan::text::visible(&bytes));
    }

    #[test]
    fn excerpt_text_is_lossy_text_between_cut_marks(
        bytes in some_bytes(),
        before in any::<bool>(),
        after in any::<bool>(),
    ) {
        let mut out = String::from("kept");
        excerpt_text(&bytes, before, after, &mut out);
        let lossy = String::from_utf8_lossy(&bytes);
        let expected = format!(
            "kept{}{lossy}{}",
            if before { "…" } else { "" },
            if after { "…" } else { "" }
        );
        prop_assert_eq!(out, expected);
    }
}

/// Every char, one at a time, through every escaper: the random cases above could miss a
/// single char the unsafe set or the JSON lead-byte table gets wrong.
#[test]
fn every_char_alone_is_escaped_safely() {
    let mut bytes = Vec::new();
    let mut text = String::new();
    let mut buf = [0u8; 4];
    for c in (0..=0x10ffff).filter_map(char::from_u32) {
        let s: &str = c.encode_utf8(&mut buf);
        bytes.clear();
        json_str(s, &mut bytes);
        let unsafe_char = is_unsafe_char(c);
        // Independently of the crate's list: every control (Unicode category Cc) but the tab
        // is unsafe.
        assert!(
            unsafe_char || !c.is_control() || c == '\t',
            "{c:?} is a control"
        );
        // Escaped exactly when it must be: JSON's own escapes, or unsafe.
        let escaped_json = bytes.len() != s.len() + 2;
        assert_eq!(
            escaped_json,
            unsafe_char || c == '"' || c == '\\' || c == '\t',
            "{c:?}"
        );
        if escaped_json {
            let parsed: Result<String, _> = serde_json::from_slice(&bytes);
            assert_eq!(parsed.ok().as_deref(), Some(s), "{c:?}");
        }
        // The same char inside plain ASCII, where json_str skips whole words at a time.
        let alone = bytes.clone();
        for padding in [0, 3, 7] {
            let before = &"--------"[..padding];
            let padded = format!("{before}{s}0123456789abcdef");
            bytes.clear();
            json_str(&padded, &mut bytes);
            let expected = [
                b"\"",
                before.as_bytes(),
                &alone[1..alone.len() - 1],
                b"0123456789abcdef\"",
            ]
            .concat();
            assert_eq!(bytes, expected, "{c:?} after {padding} bytes");
        }
        for (name, f, reserved) in ESCAPERS {
            text.clear();
            f(s, &mut text);
            assert!(
                !text.chars().any(is_unsafe_char),
                "{name}: {c:?} → {text:?}"
            );
            // Changed exactly when unsafe or reserved by the format.
            let changed = text != s;
            assert_eq!(
                changed,
                unsafe_char || reserved.contains(c),
                "{name}: {c:?} → {text:?}"
            );
        }
    }
}

/// An unsafe or JSON-special char after every length of plain text, ASCII or Chinese: the
/// JSON escaper looks at text a word and a span at a time, and no boundary may skip a char.
#[test]
fn json_str_sees_a_special_char_at_every_offset() {
    for filler in ["a", "错", "a错", "，"] {
        for len in 0..100 {
            let prefix = filler.repeat(len);
            for c in [
                '"',
                '\\',
                '\n',
                '\x1b',
                '\x7f',
                '\u{9b}',
                '\u{202e}',
                '\u{feff}',
                '\u{e0041}',
            ] {
                let s = format!("{prefix}{c}{prefix}");
                let out = json(&s);
                let parsed: Result<String, _> = serde_json::from_slice(&out);
                assert_eq!(
                    parsed.ok().as_deref(),
                    Some(s.as_str()),
                    "{c:?} after {len} {filler:?}"
                );
                // The quote and the backslash are in any output; the parse checks them.
                let raw = String::from_utf8_lossy(&out);
                assert!(
                    !raw.chars().any(is_unsafe_char),
                    "{c:?} raw after {len} {filler:?}"
                );
            }
        }
    }
}

/// Each text escaper with the safe chars its format reserves (and so must change).
type Escaper = (&'static str, fn(&str, &mut String), &'static str);
const ESCAPERS: [Escaper; 6] = [
    ("terminal", terminal, ""),
    ("xml", xml, "&<>\"'\t"),
    ("html", html, "&<>\"'"),
    ("markdown_cell", markdown_cell, "|<>&\\`*_[]~"),
    ("github_data", github_data, "%"),
    ("github_property", github_property, "%:,"),
];
