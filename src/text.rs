//! Turning raw log bytes into text a person can read safely: lossy UTF-8 and visible control
//! characters, so a log line can never move the cursor, clear the screen or forge a line.

use crate::report::escape;

/// Converts `bytes` lossily to UTF-8 and replaces control and invisible characters with
/// visible stand-ins: C0 controls become the Unicode "control pictures" (`\x1b` → `␛`, `\t`
/// stays a tab), DEL becomes `␡`, and the other characters [`escape::is_unsafe_char`] names
/// (C1 controls, bidi controls, zero-width characters, …) become `\u{..}` escapes.
///
/// This is [`escape::terminal_bytes`] into a new string, kept so that callers which want an
/// owned string need not build one; the one definition of what is shown lives there.
pub fn visible(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    escape::terminal_bytes(bytes, &mut out);
    out
}

/// Characters in `bytes`, counting each byte that is not part of valid UTF-8 as one (as lossy
/// decoding makes each a U+FFFD): the unit of columns that count characters.
pub fn count_chars(bytes: &[u8]) -> u64 {
    // Most log text is ASCII, checked a word at a time.
    if bytes.is_ascii() {
        return bytes.len() as u64;
    }
    let mut count = 0u64;
    for chunk in bytes.utf8_chunks() {
        count += chunk.valid().chars().count() as u64 + chunk.invalid().len() as u64;
    }
    count
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

/// A duration for people: `250ms`, `5s`, `1m 30s`, `2h 3m`, `5h 0m 57s`, `10d 0h 56m`. Under a
/// minute, jiff's friendly form of the exact value; from a minute on, whole units from the
/// largest to the smallest that is not zero, never skipping one in between (`5h 57s` reads as
/// five hours and a bit), and from a day on, days, hours and minutes (`240h 56m` makes people
/// count, and seconds no longer matter over days).
pub fn duration(duration: std::time::Duration) -> String {
    let secs = duration.as_secs();
    if secs < 60 {
        return jiff::SignedDuration::try_from(duration)
            .map_or_else(|_| format!("{secs}s"), |d| format!("{d:#}"));
    }
    let units: [(u64, &str); 3] = if secs >= 86_400 {
        [
            (secs / 86_400, "d"),
            (secs / 3_600 % 24, "h"),
            (secs / 60 % 60, "m"),
        ]
    } else {
        [(secs / 3_600, "h"), (secs / 60 % 60, "m"), (secs % 60, "s")]
    };
    let first = units.iter().position(|u| u.0 > 0).unwrap_or(0);
    let last = units.iter().rposition(|u| u.0 > 0).unwrap_or(first);
    units[first..=last]
        .iter()
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `one` for 1, else `many`: the one place counts choose their noun.
pub fn plural<'s>(n: u64, one: &'s str, many: &'s str) -> &'s str {
    if n == 1 {
        one
    } else {
        many
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_read_as_people_write_them() {
        use std::time::Duration;
        assert_eq!(duration(Duration::from_millis(250)), "250ms");
        assert_eq!(duration(Duration::from_secs(5)), "5s");
        assert_eq!(duration(Duration::from_millis(90_400)), "1m 30s");
        assert_eq!(duration(Duration::from_secs(7380)), "2h 3m");
        assert_eq!(duration(Duration::from_secs(5 * 3600 + 57)), "5h 0m 57s");
        assert_eq!(duration(Duration::from_secs(3600)), "1h");
        assert_eq!(
            duration(Duration::from_secs(10 * 86_400 + 56 * 60 + 9)),
            "10d 0h 56m"
        );
        assert_eq!(duration(Duration::from_secs(86_400 + 5)), "1d");
        assert_eq!(
            duration(Duration::from_secs(2 * 86_400 + 3 * 3600)),
            "2d 3h"
        );
    }

    use super::*;

    #[test]
    fn chars_count_code_points_and_stray_bytes() {
        assert_eq!(count_chars("云开发 ".as_bytes()), 4);
        assert_eq!(count_chars(b"a\xffb"), 3);
    }

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
