//! Running inside a GitHub Actions step. The runner reads every line a step prints, on stdout
//! and stderr, looking for workflow commands: `::name args::value` at the start of a line
//! (after leading white space) and `##[name]value` anywhere in it (actions/runner,
//! `ActionCommand.cs`). cbscan quotes log lines and file names, which anyone who can write to
//! a log controls: `::add-mask::DATABASE_TIMEOUT` would hide that code from the rest of the job
//! log, `::stop-commands::x` would silence the job's own annotations.
//!
//! So when `GITHUB_ACTIONS=true`, standard output (except `--format github`, whose only lines
//! are cbscan's own commands, with every value escaped) is wrapped in
//! `::stop-commands::TOKEN` … `::TOKEN::`, the runner's own way to print text verbatim, with a
//! token no log written before the run can know; and `##[` in messages on stderr is shown as
//! `#\u{23}[`, since stderr lines can reach the runner in any order relative to stdout's.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};

/// Whether this process runs in a GitHub Actions step.
pub fn in_github_actions() -> bool {
    std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true")
}

/// A stretch of output in which the runner takes no command.
pub struct StopCommands {
    token: String,
}

impl StopCommands {
    /// Stops command processing: writes `::stop-commands::TOKEN` to `out` and flushes it, so
    /// it is on its way before any quoted text.
    pub fn begin(out: &mut dyn Write) -> io::Result<StopCommands> {
        let token = random_token();
        writeln!(out, "::stop-commands::{token}")?;
        out.flush()?;
        Ok(StopCommands { token })
    }

    /// Resumes command processing, for the steps after this one.
    pub fn end(self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "::{}::", self.token)?;
        out.flush()
    }
}

/// 128 random bits as 32 hex digits. The standard library's `RandomState` is seeded from the
/// operating system's random source once per process: enough for a token that only has to be
/// unknown to whoever wrote the logs before this run.
fn random_token() -> String {
    let mut token = String::with_capacity(32);
    for part in 0..2u8 {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u8(part);
        token.push_str(&format!("{:016x}", hasher.finish()));
    }
    token
}

/// `text` with every `##[` shown as `#\u{23}[`, which the runner does not read as a command.
pub fn defuse(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains("##[") {
        std::borrow::Cow::Owned(text.replace("##[", "#\\u{23}["))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_differ_and_are_hex() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn defuse_leaves_no_runner_command() {
        assert_eq!(defuse("a ##[error]x ##[b"), "a #\\u{23}[error]x #\\u{23}[b");
        assert!(!defuse("###[x").contains("##["));
    }
}
