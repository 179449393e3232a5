//! Running inside a GitHub Actions step. The runner reads every line a step prints, on stdout
//! and stderr, looking for workflow commands: `::name args::value` at the start of a line
//! (after leading white space) and `##[name args]value` anywhere in it (actions/runner,
//! `ActionCommand.cs`). cbscan quotes log lines and file names, which anyone who can write a
//! log controls: `::add-mask::DATABASE_TIMEOUT` would hide that code from the rest of the job
//! log, `::stop-commands::x` would silence the job's own annotations.
//!
//! So when `GITHUB_ACTIONS=true`, standard output (except `--format github`, whose lines are
//! cbscan's own commands with every value escaped) and messages on stderr go through
//! [`Defuse`]: a `:` that starts a line is shown as `：` (U+FF1A) and the `[` of `##[` as
//! `［` (U+FF3B). Both read almost the same, and neither is a command. JSON output is never
//! changed by it: JSON writes `##[` as `\u0023#[` everywhere (lossless) and cannot start a line
//! with `:`.
//!
//! The runner's own `::stop-commands::TOKEN` … `::TOKEN::` was the other way, and is not used:
//! a reader that stops early (`| head`) or a kill would leave the rest of the step's commands
//! ignored, and a `| jq` or `| xargs` in the step would get the two extra lines as data.

use std::io::{self, Write};

/// Whether this process runs in a GitHub Actions step.
pub fn in_github_actions() -> bool {
    std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true")
}

/// What a line-leading `:` is shown as.
const COLON: &[u8] = "：".as_bytes();
/// What the `[` of `##[` is shown as.
const BRACKET: &[u8] = "［".as_bytes();

/// A writer that lets no line through that the runner would read as a command. It works on
/// the byte stream, so it needs no knowledge of the format, and a command split across two
/// writes is still caught.
pub struct Defuse<W: Write> {
    inner: W,
    /// Only white space since the last line break (CR or LF: the runner splits at both).
    at_line_start: bool,
    /// `#` just before, up to 2.
    hashes: u8,
}

impl<W: Write> Defuse<W> {
    pub fn new(inner: W) -> Defuse<W> {
        Defuse {
            inner,
            at_line_start: true,
            hashes: 0,
        }
    }
}

impl<W: Write> Write for Defuse<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut run = 0;
        for (i, &b) in buf.iter().enumerate() {
            let replacement = match b {
                b'\n' | b'\r' => {
                    self.at_line_start = true;
                    self.hashes = 0;
                    None
                }
                b' ' | b'\t' => {
                    self.hashes = 0;
                    None
                }
                b':' if self.at_line_start => Some(COLON),
                b'[' if self.hashes >= 2 => Some(BRACKET),
                _ => None,
            };
            if !matches!(b, b'\n' | b'\r' | b' ' | b'\t') {
                self.at_line_start = false;
                // A byte of a non-ASCII char does not separate `##` from `[`: the runner's
                // culture-aware search skips chars that collate as nothing (variation
                // selectors, …), as `cbscan::report::escape::github_defuse` explains; on bytes
                // this treats every non-ASCII char so, which only defuses a few more.
                self.hashes = match b {
                    b'#' => (self.hashes + 1).min(2),
                    0x80.. => self.hashes,
                    _ => 0,
                };
            }
            if let Some(replacement) = replacement {
                self.inner.write_all(&buf[run..i])?;
                self.inner.write_all(replacement)?;
                run = i + 1;
            }
        }
        self.inner.write_all(&buf[run..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// `text` as [`Defuse`] would write it.
pub fn defuse(text: &str) -> String {
    let mut out = Defuse::new(Vec::with_capacity(text.len()));
    // Writing to a Vec cannot fail.
    let _ = out.write_all(text.as_bytes());
    String::from_utf8(out.inner)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_defused_wherever_writes_split_them() {
        let text = "::add-mask::x\n  ::set-env::y\rok ##[error]z ###[w a:b\n#[ ## [ #\u{fe0f}#[\n";
        let want =
            "：:add-mask::x\n  ：:set-env::y\rok ##［error]z ###［w a:b\n#[ ## [ #\u{fe0f}#［\n";
        assert_eq!(defuse(text), want);
        for cut in 0..text.len() {
            let mut out = Defuse::new(Vec::new());
            out.write_all(&text.as_bytes()[..cut]).unwrap();
            out.write_all(&text.as_bytes()[cut..]).unwrap();
            assert_eq!(String::from_utf8(out.inner).unwrap(), want, "cut at {cut}");
        }
    }
}
