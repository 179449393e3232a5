//! Turning raw log bytes into text a person can read safely: lossy UTF-8 and visible control
//! characters, so a log line can never move the cursor, clear the screen or forge a line.

use std::fmt::Write as _;

/// Converts `bytes` lossily to UTF-8 and replaces control characters with visible stand-ins:
/// C0 controls become the Unicode "control pictures" (`\x1b` → `␛`, `\t` stays a tab), DEL
/// becomes `␡`, and C1 controls, bidirectional overrides and zero-width characters (which make
/// two different texts look the same) become `\u{..}` escapes.
pub fn visible(bytes: &[u8]) -> String {
    let lossy = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(lossy.len());
    for c in lossy.chars() {
        push_visible(&mut out, c);
    }
    out
}

fn push_visible(out: &mut String, c: char) {
    match c {
        '\t' => out.push('\t'),
        '\u{0}'..='\u{1f}' => {
            // U+2400 CONTROL PICTURE FOR NULL is the start of a block laid out in C0 order.
            out.push(char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'))
        }
        '\u{7f}' => out.push('\u{2421}'),
        '\u{80}'..='\u{9f}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2060}'..='\u{2064}'
        | '\u{feff}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}' => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        _ => out.push(c),
    }
}

/// Moves `pos` forward past UTF-8 continuation bytes (at most three), so a cut made at `pos`
/// does not split a character. Never goes past `limit`.
pub(crate) fn char_start_forward(bytes: &[u8], mut pos: usize, limit: usize) -> usize {
    let mut steps = 0;
    while pos < limit && steps < 3 && is_continuation(bytes[pos]) {
        pos += 1;
        steps += 1;
    }
    pos
}

/// Moves `pos` back so that `bytes[..pos]` does not end inside a character. Never goes below
/// `floor`.
pub(crate) fn char_start_backward(bytes: &[u8], mut pos: usize, floor: usize) -> usize {
    let mut steps = 0;
    while pos > floor && pos < bytes.len() && steps < 3 && is_continuation(bytes[pos]) {
        pos -= 1;
        steps += 1;
    }
    pos
}

fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible() {
        assert_eq!(visible(b"a\x1b[2Jb\r\x00"), "a\u{241b}[2Jb\u{240d}\u{2400}");
        assert_eq!(visible(b"tab\there"), "tab\there");
        assert_eq!(visible("x\u{202e}y".as_bytes()), "x\\u{202e}y");
        assert_eq!(visible(b"\x7f"), "\u{2421}");
    }

    #[test]
    fn invalid_utf8_is_replaced_not_dropped() {
        assert_eq!(visible(b"ok\xff\xfeend"), "ok\u{fffd}\u{fffd}end");
        assert_eq!(visible("错误码".as_bytes()), "错误码");
    }

    #[test]
    fn cuts_move_to_character_starts() {
        let s = "错误".as_bytes(); // two 3-byte characters
        assert_eq!(char_start_forward(s, 1, s.len()), 3);
        assert_eq!(char_start_backward(s, 4, 0), 3);
        assert_eq!(char_start_backward(s, 3, 0), 3);
        assert_eq!(char_start_backward(s, 6, 0), 6);
    }
}
