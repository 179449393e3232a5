//! One text pipeline, one escaper per consumer (issue 7, point 3).
//!
//! Log text is hostile: a line can hold terminal control sequences (`ESC [2J`, an OSC 52
//! clipboard write), characters that reorder or hide what a person sees (bidi overrides,
//! zero-width characters), line breaks that forge a record, and bytes that are not UTF-8.
//! Every writer runs the same pipeline, once per excerpt:
//!
//! ```text
//! bytes ──► lossy UTF-8 ──► cut marks (…) ──► exactly one escaper, picked by where the text goes
//! ```
//!
//! [`excerpt_text`] does the first two steps for formats that carry text losslessly;
//! [`terminal_bytes`] does lossy UTF-8 and the terminal escaper in one go. Each escaper both
//! makes the text valid for its format and keeps the characters [`is_unsafe_char`] names
//! from reaching a person raw:
//!
//! | escaper | consumer | unsafe characters become | lossless? |
//! |---|---|---|---|
//! | [`terminal`] | a terminal, a plain-text file | visible stand-ins | no (stand-ins) |
//! | [`json_str`] | JSON lines, read by programs | `\uXXXX` escapes | yes: parses back to the input |
//! | [`xml`] | XML 1.0 text and attribute values | visible stand-ins; `\t \n \r` as `&#9; &#10; &#13;` | no (stand-ins) |
//! | [`html`] | HTML text and double-quoted attributes | visible stand-ins | no (stand-ins) |
//! | [`markdown_cell`] | one cell of a GitHub-flavoured Markdown table | visible stand-ins | no (stand-ins) |
//! | [`github_data`], [`github_property`] | GitHub Actions workflow commands | visible stand-ins; `\r \n` percent-encoded | no (stand-ins) |
//! | [`markdown_text`] | any inline text of a Markdown summary | as [`markdown_cell`], and `$` escaped | no (stand-ins) |
//! | [`mermaid_label`] | a quoted label of a Mermaid diagram | visible stand-ins, then `#NNN;` entity codes | no (stand-ins) |
//!
//! [`github_defuse`] runs before the GitHub escapers: it breaks the runner's older `##[`
//! command syntax, which the runner finds anywhere in a line.
//!
//! The visible stand-ins are the same everywhere: a C0 control becomes its Unicode control
//! picture (`ESC` → `␛`, U+2400 + the code), DEL becomes `␡` (U+2421), and every other unsafe
//! character becomes `\u{..}` with lower-case hex (`\u{202e}`). A tab is not unsafe and stays a
//! tab. JSON alone is lossless, because its readers are programs that may need the exact bytes;
//! every other format ends in front of a person (an XML report rendered by a CI server, a
//! Markdown summary, an annotation), so it shows what a terminal shows.

use std::fmt::Write as _;
use std::io::{self, Write};

/// The mark put where a line was shortened, before or after the excerpt.
pub const CUT_MARK: char = '…';

/// Lossy UTF-8 + cut marks, no escaping: the display text of an excerpt for machine formats.
/// Appends to `out` (which is not cleared, so callers can reuse one buffer or build around it).
pub fn excerpt_text(bytes: &[u8], cut_before: bool, cut_after: bool, out: &mut String) {
    if cut_before {
        out.push(CUT_MARK);
    }
    out.push_str(&String::from_utf8_lossy(bytes));
    if cut_after {
        out.push(CUT_MARK);
    }
}

/// Whether a char must not reach a terminal or a person's eyes raw. The set, exactly:
///
/// - C0 controls U+0000–U+001F except the tab U+0009 (they move the cursor, start escape
///   sequences, end lines);
/// - DEL U+007F and the C1 controls U+0080–U+009F (U+009B is a one-character CSI on terminals
///   that honour 8-bit controls);
/// - U+00AD soft hyphen, U+180E Mongolian vowel separator, U+200B–U+200D zero-width space,
///   non-joiner and joiner, U+2060–U+2064 word joiner and invisible operators, U+FEFF
///   zero-width no-break space (BOM): invisible, so two different strings look equal;
/// - U+061C Arabic letter mark, U+200E–U+200F LRM/RLM, U+202A–U+202E embeddings and overrides,
///   U+2066–U+2069 isolates: bidi controls that reorder what is shown (Trojan Source);
/// - U+2028 line separator, U+2029 paragraph separator: line breaks to some readers (and
///   JavaScript before ES2019), so they could split one record into two;
/// - U+2065 (unassigned) and U+206A–U+206F deprecated format characters, so the whole
///   U+2060–U+206F block is covered as fd's `sanitize.rs` does;
/// - U+FFF9–U+FFFB interlinear annotation controls (hide or attach text);
/// - U+FFFE and U+FFFF noncharacters: no glyph, and illegal in XML 1.0 even as references;
/// - U+E0000–U+E007F tag characters: invisible, can smuggle a whole ASCII message.
///
/// This is fd's set (C0/C1/DEL, U+00AD, U+180E, U+200B–U+200F, U+202A–U+202E, U+2060–U+206F,
/// U+FEFF, U+FFF9–U+FFFB, U+E0000–U+E007F) plus U+061C, U+2028, U+2029, U+FFFE and U+FFFF.
/// Variation selectors and private-use characters are left alone: they are visible or modify a
/// visible glyph, and CJK and emoji text uses them.
#[inline]
pub fn is_unsafe_char(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}'
        | '\u{a}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{ad}'
        | '\u{61c}'
        | '\u{180e}'
        | '\u{200b}'..='\u{200f}'
        // U+2028, U+2029 and U+202A–U+202E are adjacent.
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}'
        | '\u{fffe}'..='\u{ffff}'
        | '\u{e0000}'..='\u{e007f}')
}

/// Appends `s` for a terminal: C0 controls become Unicode control pictures (U+2400 + code, a
/// tab stays a tab), DEL becomes `␡` (U+2421), every other unsafe char becomes `\u{..}`
/// (lower-case hex).
pub fn terminal(s: &str, out: &mut String) {
    escape_runs(s, out, is_unsafe_char, |c, out| {
        push_stand_in(c, out, false)
    });
}

/// [`terminal`] for raw bytes, after lossy UTF-8 (invalid bytes become U+FFFD).
pub fn terminal_bytes(bytes: &[u8], out: &mut String) {
    terminal(&String::from_utf8_lossy(bytes), out);
}

/// Appends `s` as a JSON string literal, quotes included. The output is RFC 8259 JSON that
/// parses back to exactly `s`, and it is also safe to show raw: besides what JSON requires
/// (`"`, `\`, C0 controls, with the short forms `\b \t \n \f \r \" \\`), DEL, the C1 controls
/// and every other char [`is_unsafe_char`] names are written as `\uXXXX` (lower-case hex, a
/// surrogate pair above U+FFFF), so the output holds no raw control or invisible character.
/// The first `#` of `##[` is written `\u0023`, so that no JSON cbscan writes holds a GitHub
/// Actions workflow command (`##[name]…` is one anywhere in a line the runner reads).
///
/// This is on the hot path (one call per hit), so it works on bytes: runs of bytes that need
/// nothing are copied with one `extend_from_slice`; printable ASCII is skipped 8 bytes at a
/// time; the rest is classified by a 256-entry table; and a char is decoded only behind the
/// six lead bytes that can start an unsafe char, when its second byte does not rule it out.
/// `cargo bench --bench escape` compares it with `serde_json::to_writer`, which it outruns.
pub fn json_str(s: &str, out: &mut Vec<u8>) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut run_start = 0;
    let mut i = 0;
    loop {
        // Fast: skip whole words of printable ASCII other than `"` and `\`, which is most of
        // a log line.
        while let Some(word) = bytes.get(i..).and_then(<[u8]>::first_chunk::<8>) {
            if may_need_escape(u64::from_le_bytes(*word)) {
                break;
            }
            i += 8;
        }
        // Slow: the next byte the table does not copy, within `SLOW_SPAN` bytes, so text that
        // is not ASCII (Chinese) pays for one word test per `SLOW_SPAN` bytes only.
        let span = bytes.get(i..).unwrap_or_default();
        let span = span.get(..SLOW_SPAN).unwrap_or(span);
        let Some(at) = span
            .iter()
            .position(|&b| JSON_CLASS[usize::from(b)] != COPY)
        else {
            if span.is_empty() {
                break;
            }
            i += span.len();
            continue;
        };
        i += at;
        let byte = span[at];
        let class = JSON_CLASS[usize::from(byte)];
        if class == CHECK {
            // Most chars behind these lead bytes are safe (`，` and the other full-width forms
            // start with 0xEF), so the second byte rules them out before any decoding.
            let second = bytes.get(i + 1).copied().unwrap_or(0);
            if !may_be_unsafe(byte, second) {
                i += utf8_width(byte);
                continue;
            }
            // CHECK bytes are lead bytes, never continuation bytes, so `i` is a char boundary
            // and `get` cannot fail; if it somehow did, the byte is copied like any other.
            let Some(c) = s.get(i..).and_then(|rest| rest.chars().next()) else {
                i += 1;
                continue;
            };
            let width = c.len_utf8();
            if is_unsafe_char(c) {
                out.extend_from_slice(&bytes[run_start..i]);
                push_json_unicode(c, out);
                run_start = i + width;
            }
            i += width;
            continue;
        }
        if class == HASH {
            if bytes.get(i + 1..i + 3) == Some(b"#[") {
                out.extend_from_slice(&bytes[run_start..i]);
                push_u16_escape(u16::from(b'#'), out);
                run_start = i + 1;
            }
            i += 1;
            continue;
        }
        out.extend_from_slice(&bytes[run_start..i]);
        if class == UNICODE {
            push_json_unicode(char::from(byte), out);
        } else {
            out.extend_from_slice(&[b'\\', class]);
        }
        i += 1;
        run_start = i;
    }
    out.extend_from_slice(&bytes[run_start..]);
    out.push(b'"');
}

/// How far the byte-by-byte search of [`json_str`] looks before it tries whole words again.
const SLOW_SPAN: usize = 32;

/// Whether the 8 bytes of `word` (any order) may hold a byte that [`JSON_CLASS`] does not copy:
/// a byte below 0x20, `"`, `\`, `#`, or a byte of 0x7F and above. Exact for bytes below 0x80; any
/// byte above makes it true. (The bit tricks are the exact "has a byte less than / equal to /
/// more than" tests from Sean Anderson's Bit Twiddling Hacks.)
#[inline]
fn may_need_escape(word: u64) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word;
    let quote = has_zero(word ^ (ONES * u64::from(b'"')));
    let backslash = has_zero(word ^ (ONES * u64::from(b'\\')));
    let hash = has_zero(word ^ (ONES * u64::from(b'#')));
    // Adding 0x01 to each byte carries into the high bit exactly for 0x7F; `| word` adds
    // every byte that already has it.
    let del_or_high = word.wrapping_add(ONES) | word;
    (below_space | quote | backslash | hash | del_or_high) & HIGHS != 0
}

/// [`json_str`] for raw bytes, after lossy UTF-8 (invalid bytes become U+FFFD).
pub fn json_bytes_lossy(bytes: &[u8], out: &mut Vec<u8>) {
    json_str(&String::from_utf8_lossy(bytes), out);
}

/// Appends `s` as XML 1.0 character data, valid both as element text and inside a quoted
/// attribute value (either quote). `& < > " '` become `&amp; &lt; &gt; &quot; &apos;`. The
/// tab, line feed and carriage return are written `&#9; &#10; &#13;`: a parser keeps them
/// exactly, where raw ones would be normalised to spaces in attributes (and a raw `\r` to
/// `\n` everywhere). Every other unsafe char gets the visible stand-in [`terminal`] uses: the
/// other C0 controls and U+FFFE/U+FFFF have no representation in XML 1.0 at all, not even as
/// character references, and for DEL, C1 and the invisible characters a reference would hand
/// the raw character to whatever page or CI view finally shows the report.
pub fn xml(s: &str, out: &mut String) {
    escape_runs(
        s,
        out,
        |c| is_unsafe_char(c) || matches!(c, '&' | '<' | '>' | '"' | '\'' | '\t'),
        |c, out| match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            _ => push_stand_in(c, out, false),
        },
    );
}

/// Appends `s` as HTML text, also valid inside a double- or single-quoted attribute value:
/// `& < > " '` become `&amp; &lt; &gt; &quot; &#39;` (`&#39;` rather than `&apos;`, which
/// HTML 4 lacks), and unsafe chars get the visible stand-ins [`terminal`] uses.
pub fn html(s: &str, out: &mut String) {
    escape_runs(
        s,
        out,
        |c| is_unsafe_char(c) || matches!(c, '&' | '<' | '>' | '"' | '\''),
        |c, out| match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => push_stand_in(c, out, false),
        },
    );
}

/// Appends `s` as one cell of a GitHub-flavoured Markdown table, so that it shows the log text
/// literally and cannot break the table or inject markup:
///
/// - `|` becomes `\|` (the table splitter treats any `|` after a backslash as cell text);
/// - `<`, `>`, `&` become `&lt; &gt; &amp;`, so no raw HTML, no `<autolink>`, no entity;
/// - `\`, `` ` ``, `*`, `_`, `[`, `]`, `~` get a backslash (no code span, emphasis, link,
///   image or strikethrough);
/// - unsafe chars, `\r` and `\n` among them, get the visible stand-ins [`terminal`] uses,
///   with the backslash of `\u{..}` doubled so it shows.
///
/// A bare URL in the text may still be turned into a link by GitHub's autolinker; its text is
/// the URL as logged.
pub fn markdown_cell(s: &str, out: &mut String) {
    escape_runs(
        s,
        out,
        |c| {
            is_unsafe_char(c)
                || matches!(
                    c,
                    '|' | '<' | '>' | '&' | '\\' | '`' | '*' | '_' | '[' | ']' | '~'
                )
        },
        |c, out| match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '~' => {
                out.push('\\');
                out.push(c);
            }
            _ => push_stand_in(c, out, true),
        },
    );
}

/// [`markdown_cell`], and `$` becomes `\$`: GitHub draws `$…$` as a math formula, so a
/// path such as `$HOME/a$b.log` would not show as written. For any inline text of a Markdown
/// summary: a table cell, a list item or a quoted line.
pub fn markdown_text(s: &str, out: &mut String) {
    for (i, piece) in s.split('$').enumerate() {
        if i > 0 {
            out.push_str("\\$");
        }
        markdown_cell(piece, out);
    }
}

/// Appends `s` as the data of a GitHub Actions workflow command (the message after the second
/// `::`). The runner turns `%0D`, `%0A` and `%25` back into `\r`, `\n` and `%`, so those three
/// are percent-encoded and a line break shows as a line break in the annotation while the
/// command itself stays one line; every other unsafe char gets the visible stand-in
/// [`terminal`] uses.
pub fn github_data(s: &str, out: &mut String) {
    escape_runs(
        s,
        out,
        |c| is_unsafe_char(c) || c == '%',
        |c, out| match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            _ => push_stand_in(c, out, false),
        },
    );
}

/// Appends `s` as a property value of a GitHub Actions workflow command (`file=`, `title=`):
/// as [`github_data`], plus `:` → `%3A` and `,` → `%2C`, because the runner ends the
/// properties at the first `::` and splits them at every `,` before it decodes them.
pub fn github_property(s: &str, out: &mut String) {
    escape_runs(
        s,
        out,
        |c| is_unsafe_char(c) || matches!(c, '%' | ':' | ','),
        |c, out| match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' => out.push_str("%3A"),
            ',' => out.push_str("%2C"),
            _ => push_stand_in(c, out, false),
        },
    );
}

/// `s` with every `[` that would complete a `##[` made a full-width `［` (U+FF3B).
///
/// The Actions runner reads a line as a workflow command in two ways: `::name …::data` at the
/// start of the line (after leading white space), and the older `##[name …]data` **anywhere**
/// in it (`ActionCommand.TryParse` in actions/runner). A line that parses the first way is not
/// tried the second way, so a well-formed annotation is safe; but text that ends up on a line
/// of its own (a `%0A` in the data is a line break in the annotation and in the runner's log
/// view, where `##[group]` and friends format lines) must not hold a `##[`. The runner decodes
/// no `%23` or other escape that could hide the `#` or the `[`, so the text is changed where
/// it shows: `##［error]` still reads as what was logged.
///
/// The runner searches with .NET's culture-sensitive `IndexOf`, which skips characters that
/// collate as nothing (variation selectors, U+034F, …): so any char that is neither ASCII nor
/// alphanumeric between the `#`s and the `[` does not count as separating them. That only
/// ever changes a few more `[` than strictly needed. Unsafe chars need no such care: the
/// escapers turn them into visible stand-ins first.
pub fn github_defuse(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('#') || !s.contains('[') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 4);
    let mut hashes = 0usize;
    for c in s.chars() {
        match c {
            '#' => {
                hashes += 1;
                out.push(c);
            }
            '[' if hashes >= 2 => {
                hashes = 0;
                out.push('\u{ff3b}');
            }
            c if !c.is_ascii() && !c.is_alphanumeric() => out.push(c),
            _ => {
                hashes = 0;
                out.push(c);
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Appends `s` as text inside a double-quoted Mermaid label (a `pie` slice name), where it
/// cannot end the label, the statement or the fenced block that holds the diagram: letters,
/// digits, space and `- _ . /` are kept; every other char (quotes, `#`, `;`, backticks, line
/// breaks, `<`, …) becomes a Mermaid entity code `#NNN;` (decimal), which Mermaid turns back
/// into the char when it draws the label. Unsafe chars are first given the visible stand-ins
/// [`terminal`] uses, so the drawing shows `␛` rather than the raw control.
pub fn mermaid_label(s: &str, out: &mut String) {
    let mut shown = String::with_capacity(s.len());
    terminal(s, &mut shown);
    for c in shown.chars() {
        if c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '/') {
            out.push(c);
        } else {
            let _ = write!(out, "#{};", u32::from(c));
        }
    }
}

/// Copies `s` to `out` run by run: each run of chars for which `special` is false goes in one
/// `push_str`, and each other char goes to `emit`.
#[inline]
fn escape_runs(
    s: &str,
    out: &mut String,
    special: impl Fn(char) -> bool,
    mut emit: impl FnMut(char, &mut String),
) {
    out.reserve(s.len());
    let mut run_start = 0;
    for (i, c) in s.char_indices() {
        if special(c) {
            // Both ends come from `char_indices`, so they are char boundaries.
            out.push_str(&s[run_start..i]);
            emit(c, out);
            run_start = i + c.len_utf8();
        }
    }
    out.push_str(&s[run_start..]);
}

/// The visible stand-in of an unsafe char: the control picture of a C0 control, `␡` for DEL,
/// otherwise `\u{..}` in lower-case hex (with the backslash doubled for Markdown, where a
/// single one could escape what follows).
fn push_stand_in(c: char, out: &mut String, double_backslash: bool) {
    match c {
        // U+2400 CONTROL PICTURE FOR NULL starts a block laid out in C0 order.
        '\u{0}'..='\u{1f}' => out.push(char::from_u32(0x2400 + u32::from(c)).unwrap_or('\u{fffd}')),
        '\u{7f}' => out.push('\u{2421}'),
        _ => {
            out.push_str(if double_backslash { "\\\\" } else { "\\" });
            let _ = write!(out, "u{{{:x}}}", u32::from(c));
        }
    }
}

/// Byte copied as is.
const COPY: u8 = 0;
/// Lead byte of a multi-byte char that may be unsafe: look closer, and ask
/// [`is_unsafe_char`].
const CHECK: u8 = 1;
/// Byte written as `\u00XX`.
const UNICODE: u8 = b'u';
/// `#`: written as `\u0023` when it starts `##[`, which the GitHub Actions runner reads as a
/// workflow command anywhere in a line it prints (a JSON file `cat` in a step, JSON lines on
/// a step's stdout). The escape is plain JSON: every reader gets the `#` back.
const HASH: u8 = b'#';

/// What [`json_str`] does with each byte: [`COPY`], [`CHECK`], [`UNICODE`], or the letter of a
/// short escape (`\b \t \n \f \r \" \\`).
///
/// The CHECK lead bytes are those of the unsafe chars above U+007F: 0xC2 (C1, U+00AD), 0xD8
/// (U+061C), 0xE1 (U+180E), 0xE2 (U+200B–U+206F), 0xEF (U+FEFF, U+FFF9–U+FFFF) and 0xF3
/// (tag characters). A test checks every unsafe char's first byte against this table. CJK
/// text starts with 0xE3–0xE9 and so is never decoded.
static JSON_CLASS: [u8; 256] = {
    let mut table = [COPY; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = UNICODE;
        byte += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table[b'#' as usize] = HASH;
    table[0x7f] = UNICODE;
    table[0xc2] = CHECK;
    table[0xd8] = CHECK;
    table[0xe1] = CHECK;
    table[0xe2] = CHECK;
    table[0xef] = CHECK;
    table[0xf3] = CHECK;
    table
};

/// Whether the char that starts with the CHECK byte `lead` and continues with `second` can be
/// unsafe: a cheap superset of [`is_unsafe_char`] on the first two bytes, which decides. A test
/// runs every char through [`json_str`], so a byte missing here would fail it.
#[inline]
fn may_be_unsafe(lead: u8, second: u8) -> bool {
    match lead {
        // U+0080–U+009F are C2 80–C2 9F; U+00AD is C2 AD.
        0xc2 => second <= 0x9f || second == 0xad,
        // U+061C is D8 9C.
        0xd8 => second == 0x9c,
        // U+180E is E1 A0 8E; the tag characters are F3 A0 80 80–F3 A0 81 BF.
        0xe1 | 0xf3 => second == 0xa0,
        // U+2000–U+207F are E2 80 xx and E2 81 xx.
        0xe2 => second <= 0x81,
        // U+FEFF is EF BB BF; U+FFF9–U+FFFF are EF BF B9–EF BF BF.
        0xef => second == 0xbb || second == 0xbf,
        _ => true,
    }
}

/// The length in bytes of the UTF-8 char that starts with `lead` (1 for anything else, so a
/// caller always moves on).
#[inline]
fn utf8_width(lead: u8) -> usize {
    match lead {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => 1,
    }
}

/// Writes `c` as `\uXXXX` (lower-case hex, as serde_json writes controls), or as a UTF-16
/// surrogate pair of two such escapes above U+FFFF.
fn push_json_unicode(c: char, out: &mut Vec<u8>) {
    let mut units = [0u16; 2];
    for unit in c.encode_utf16(&mut units) {
        push_u16_escape(*unit, out);
    }
}

fn push_u16_escape(unit: u16, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let nibble = |shift: u16| HEX[usize::from((unit >> shift) & 0xf)];
    out.extend_from_slice(&[b'\\', b'u', nibble(12), nibble(8), nibble(4), nibble(0)]);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-picked hostile inputs: screen clear, OSC 52 clipboard write, window title set, C1
    /// CSI, zero-width space, line separator, BOM, Arabic letter mark, right-to-left override,
    /// left-to-right isolate, tag characters, and the characters each format reserves.
    const CLEAR: &str = "a\x1b[2Jb";
    const OSC52: &str = "\x1b]52;c;cHduZWQ=\x07";
    const TITLE: &str = "\x1b]0;x\x07";

    fn run(f: fn(&str, &mut String), s: &str) -> String {
        let mut out = String::new();
        f(s, &mut out);
        out
    }

    fn json(s: &str) -> String {
        let mut out = Vec::new();
        json_str(s, &mut out);
        String::from_utf8(out).unwrap_or_else(|e| panic!("json_str wrote invalid UTF-8: {e}"))
    }

    #[test]
    fn excerpt_text_is_lossy_utf8_with_cut_marks_and_nothing_else() {
        let mut out = String::from("x");
        excerpt_text(b"a\x1b\xffb", true, true, &mut out);
        assert_eq!(out, "x…a\x1b\u{fffd}b…");
        out.clear();
        excerpt_text(b"ab", false, false, &mut out);
        assert_eq!(out, "ab");
    }

    #[test]
    fn unsafe_set_has_its_edges() {
        for c in [
            '\0',
            '\n',
            '\r',
            '\x1b',
            '\x1f',
            '\x7f',
            '\u{80}',
            '\u{9b}',
            '\u{9f}',
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
            '\u{fffe}',
            '\u{ffff}',
            '\u{e0000}',
            '\u{e0041}',
            '\u{e007f}',
        ] {
            assert!(is_unsafe_char(c), "{c:?} should be unsafe");
        }
        for c in [
            '\t',
            ' ',
            '~',
            '\u{a0}',
            '\u{a1}',
            '\u{ac}',
            '\u{ae}',
            '\u{200a}',
            '\u{2010}',
            '\u{2027}',
            '\u{202f}',
            '\u{205f}',
            '\u{2070}',
            '\u{fe0f}',
            '\u{fffc}',
            '\u{fffd}',
            '\u{e0080}',
            '\u{e0100}',
            '\u{e000}',
            '错',
            '…',
        ] {
            assert!(!is_unsafe_char(c), "{c:?} should be safe");
        }
    }

    #[test]
    fn terminal_shows_controls_and_invisibles() {
        assert_eq!(run(terminal, CLEAR), "a\u{241b}[2Jb");
        assert_eq!(run(terminal, OSC52), "\u{241b}]52;c;cHduZWQ=\u{2407}");
        assert_eq!(run(terminal, TITLE), "\u{241b}]0;x\u{2407}");
        assert_eq!(run(terminal, "\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(
            run(terminal, "a\u{200b}b\u{2028}c\u{feff}"),
            "a\\u{200b}b\\u{2028}c\\u{feff}"
        );
        assert_eq!(
            run(terminal, "\u{61c}\u{202e}\u{2066}"),
            "\\u{61c}\\u{202e}\\u{2066}"
        );
        assert_eq!(run(terminal, "\u{e0041}"), "\\u{e0041}");
        assert_eq!(
            run(terminal, "a\tb\r\n\x7f"),
            "a\tb\u{240d}\u{240a}\u{2421}"
        );
        assert_eq!(run(terminal, "%|::<script>错"), "%|::<script>错");
        let mut out = String::new();
        terminal_bytes(b"\xff\x1b", &mut out);
        assert_eq!(out, "\u{fffd}\u{241b}");
    }

    #[test]
    fn json_escapes_what_json_needs_and_what_must_not_show() {
        assert_eq!(json(""), r#""""#);
        assert_eq!(json("a\"b\\c/"), r#""a\"b\\c/""#);
        assert_eq!(json("\x08\t\n\x0c\r"), r#""\b\t\n\f\r""#);
        assert_eq!(json(CLEAR), r#""a\u001b[2Jb""#);
        assert_eq!(json(OSC52), r#""\u001b]52;c;cHduZWQ=\u0007""#);
        assert_eq!(json(TITLE), r#""\u001b]0;x\u0007""#);
        assert_eq!(
            json("\x7f\u{80}\u{9b}\u{9f}\u{a0}\u{ad}"),
            "\"\\u007f\\u0080\\u009b\\u009f\u{a0}\\u00ad\""
        );
        assert_eq!(
            json("\u{200b}\u{2028}\u{2029}\u{feff}\u{61c}\u{202e}\u{2066}"),
            r#""\u200b\u2028\u2029\ufeff\u061c\u202e\u2066""#
        );
        // Tag characters are above U+FFFF: a surrogate pair.
        assert_eq!(json("\u{e0001}\u{e007f}"), r#""\udb40\udc01\udb40\udc7f""#);
        // Neighbours of unsafe chars under the same lead bytes stay raw.
        assert_eq!(json("错误码 … “x” \u{fffd}"), "\"错误码 … “x” \u{fffd}\"");
        assert_eq!(json("%|::<script>"), r#""%|::<script>""#);
    }

    #[test]
    fn json_output_parses_back_to_the_input() {
        for s in [
            CLEAR,
            OSC52,
            TITLE,
            "\u{9b}\u{e0041}\u{2028}错",
            "\"\\\u{0}",
        ] {
            let parsed: String = serde_json::from_str(&json(s))
                .unwrap_or_else(|e| panic!("json_str({s:?}) is not JSON: {e}"));
            assert_eq!(parsed, s);
        }
        let mut out = Vec::new();
        json_bytes_lossy(b"a\xffb\x1b", &mut out);
        assert_eq!(
            String::from_utf8(out).ok().as_deref(),
            Some("\"a\u{fffd}b\\u001b\"")
        );
    }

    #[test]
    fn json_check_table_flags_the_first_byte_of_every_unsafe_char() {
        let mut buf = [0u8; 4];
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            if is_unsafe_char(c) && !c.is_ascii() {
                let first = c.encode_utf8(&mut buf).as_bytes()[0];
                assert_eq!(JSON_CLASS[usize::from(first)], CHECK, "{c:?}");
            }
        }
    }

    #[test]
    fn word_test_finds_every_byte_the_table_does_not_copy() {
        // Every byte value at every position, among neighbours at both ends of the plain
        // range: the fast loop may only skip a word whose bytes the table would all copy.
        for filler in [b' ', b'!', b'a', b'~'] {
            for position in 0..8 {
                for byte in 0..=u8::MAX {
                    let mut word = [filler; 8];
                    word[position] = byte;
                    let expected = byte >= 0x80 || JSON_CLASS[usize::from(byte)] != COPY;
                    let found = may_need_escape(u64::from_le_bytes(word));
                    assert_eq!(
                        found, expected,
                        "byte {byte:#04x} at {position} among {filler}"
                    );
                }
            }
        }
    }

    #[test]
    fn xml_escapes_markup_and_keeps_no_illegal_char() {
        assert_eq!(run(xml, "<script>&\"'"), "&lt;script&gt;&amp;&quot;&apos;");
        assert_eq!(run(xml, "a\tb\nc\rd"), "a&#9;b&#10;c&#13;d");
        assert_eq!(run(xml, CLEAR), "a\u{241b}[2Jb");
        assert_eq!(run(xml, OSC52), "\u{241b}]52;c;cHduZWQ=\u{2407}");
        assert_eq!(run(xml, TITLE), "\u{241b}]0;x\u{2407}");
        assert_eq!(
            run(xml, "\x7f\u{9b}\u{fffe}\u{ffff}"),
            "\u{2421}\\u{9b}\\u{fffe}\\u{ffff}"
        );
        assert_eq!(
            run(xml, "\u{200b}\u{202e}\u{e0041}"),
            "\\u{200b}\\u{202e}\\u{e0041}"
        );
        assert_eq!(run(xml, "%|::错"), "%|::错");
    }

    #[test]
    fn html_escapes_markup_and_shows_controls() {
        assert_eq!(
            run(html, "<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
        assert_eq!(run(html, CLEAR), "a\u{241b}[2Jb");
        assert_eq!(run(html, OSC52), "\u{241b}]52;c;cHduZWQ=\u{2407}");
        assert_eq!(
            run(html, "a\nb\u{2029}\u{feff}\u{2066}"),
            "a\u{240a}b\\u{2029}\\u{feff}\\u{2066}"
        );
        assert_eq!(run(html, "%|::错\t"), "%|::错\t");
    }

    #[test]
    fn markdown_cell_cannot_break_the_table_or_inject_markup() {
        assert_eq!(run(markdown_cell, "a|b"), "a\\|b");
        assert_eq!(run(markdown_cell, "a\\|b"), "a\\\\\\|b");
        assert_eq!(
            run(markdown_cell, "1\n| x |\r"),
            "1\u{240a}\\| x \\|\u{240d}"
        );
        assert_eq!(
            run(markdown_cell, "<script>&amp;"),
            "&lt;script&gt;&amp;amp;"
        );
        assert_eq!(
            run(markdown_cell, "*b* _i_ `c` [l](u) ~~s~~ ![i](u)"),
            "\\*b\\* \\_i\\_ \\`c\\` \\[l\\](u) \\~\\~s\\~\\~ !\\[i\\](u)"
        );
        assert_eq!(run(markdown_cell, CLEAR), "a\u{241b}\\[2Jb");
        assert_eq!(
            run(markdown_cell, "\u{202e}\u{200b}"),
            "\\\\u{202e}\\\\u{200b}"
        );
        assert_eq!(run(markdown_cell, "%::错"), "%::错");
    }

    #[test]
    fn github_data_keeps_a_command_on_one_line() {
        assert_eq!(run(github_data, "50%\r\ndone"), "50%25%0D%0Adone");
        assert_eq!(run(github_data, "%0A"), "%250A");
        assert_eq!(run(github_data, "::error::x, y: z"), "::error::x, y: z");
        assert_eq!(run(github_data, OSC52), "\u{241b}]52;c;cHduZWQ=\u{2407}");
        assert_eq!(
            run(github_data, "\u{2028}\u{85}\x0b"),
            "\\u{2028}\\u{85}\u{240b}"
        );
        assert_eq!(run(github_data, "|<script>"), "|<script>");
    }

    #[test]
    fn github_defuse_breaks_every_old_style_command() {
        assert_eq!(github_defuse("##[error]x"), "##\u{ff3b}error]x");
        assert_eq!(github_defuse("a ###[b ##[c"), "a ###\u{ff3b}b ##\u{ff3b}c");
        // Chars .NET's culture-aware search may skip do not separate `##` from `[`.
        assert_eq!(
            github_defuse("#\u{fe0f}#\u{34f}["),
            "#\u{fe0f}#\u{34f}\u{ff3b}"
        );
        // Anything ASCII or alphanumeric in between does.
        for kept in ["# #[", "#a#[", "##a[", "#%23[", "[##", "#[", "错##错["] {
            assert_eq!(github_defuse(kept), kept);
        }
    }

    #[test]
    fn mermaid_label_keeps_words_and_encodes_the_rest() {
        assert_eq!(
            run(mermaid_label, "database 数据库-x_y.z/w"),
            "database 数据库-x_y.z/w"
        );
        assert_eq!(
            run(mermaid_label, "a\"b#;`\n<"),
            "a#34;b#35;#59;#96;#9226;#60;"
        );
        assert_eq!(run(mermaid_label, "\u{202e}"), "#92;u#123;202e#125;");
    }

    #[test]
    fn markdown_text_also_keeps_dollars_from_making_math() {
        assert_eq!(run(markdown_text, "$x$ a|b"), "\\$x\\$ a\\|b");
        assert_eq!(run(markdown_text, "plain"), "plain");
    }

    #[test]
    fn github_property_also_hides_the_separators() {
        assert_eq!(run(github_property, "a,line=1::b"), "a%2Cline=1%3A%3Ab");
        assert_eq!(run(github_property, "100%\n"), "100%25%0A");
        assert_eq!(run(github_property, TITLE), "\u{241b}]0;x\u{2407}");
        assert_eq!(run(github_property, "\u{202e}"), "\\u{202e}");
    }
}

/// A `serde_json` formatter that also writes DEL, the C1 controls and every other
/// [`is_unsafe_char`] as `\uXXXX`, as [`json_str`] does: serde_json escapes only what JSON
/// requires, and a person reading the JSON (in a terminal, a CI log) should not get bidi
/// overrides or a one-byte CSI raw.
struct SafeJson;

impl serde_json::ser::Formatter for SafeJson {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        if !fragment.chars().any(is_unsafe_char) && !fragment.contains("##[") {
            return writer.write_all(fragment.as_bytes());
        }
        // serde_json hands over runs without quotes, backslashes or C0 controls, so the
        // quoted text minus its quotes is the run with only the unsafe characters escaped.
        let mut quoted = Vec::with_capacity(fragment.len() + 8);
        json_str(fragment, &mut quoted);
        writer.write_all(&quoted[1..quoted.len() - 1])
    }
}

/// Writes `value` as JSON with every string escaped as [`json_str`] escapes it.
pub fn json_to_writer<W: Write, T: serde::Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> io::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(writer, SafeJson);
    value.serialize(&mut serializer).map_err(io::Error::other)
}

#[cfg(test)]
mod safe_json_tests {
    use super::*;

    #[test]
    fn no_json_string_holds_a_runner_command() {
        let text = "a ##[error]x ###[y #[ ## [ ##";
        let mut out = Vec::new();
        json_str(text, &mut out);
        let written = String::from_utf8(out.clone()).unwrap();
        assert_eq!(written, r#""a \u0023#[error]x #\u0023#[y #[ ## [ ##""#);
        assert_eq!(serde_json::from_slice::<String>(&out).unwrap(), text);
        let mut serde = Vec::new();
        json_to_writer(&mut serde, &serde_json::json!({ "t": text })).unwrap();
        assert!(!String::from_utf8(serde).unwrap().contains("##["));
    }

    #[test]
    fn serde_output_escapes_what_json_str_escapes() {
        let value = serde_json::json!({"path": "a\u{202e}b\u{9b}c\u{7f}.log", "n": [1, "x\"y"]});
        let mut out = Vec::new();
        json_to_writer(&mut out, &value).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            r#"{"path":"a\u202eb\u009bc\u007f.log","n":[1,"x\"y"]}"#
        );
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }
}
