//! Inside GitHub Actions, no text from a log or a file name can become a workflow command.
//! Output is fed, line by line, to a model of the runner's command processing
//! (actions/runner `ActionCommandManager.TryProcessCommand` and `ActionCommand.TryParseV2` /
//! `TryParse`): `::name args::value` at the start of a line after leading white space, and
//! `##[name args]value` anywhere in a line; `::stop-commands::TOKEN` stops processing until a
//! command named TOKEN. The model is stricter than the runner: any name counts, registered or
//! not.

mod support;

use std::fs;

use support::cbscan;
use tempfile::TempDir;

/// A command as the runner would parse it out of one line: its name and value.
fn parse_command(line: &str) -> Option<(String, String)> {
    let trimmed = line.trim_start();
    if let Some(rest) = trimmed.strip_prefix("::") {
        let end = rest.find("::")?;
        let name = rest[..end].split(' ').next().unwrap_or_default();
        if !name.is_empty() {
            return Some((name.to_string(), rest[end + 2..].to_string()));
        }
    }
    let start = line.find("##[")?;
    let rest = &line[start + 3..];
    let end = rest.find(']')?;
    let name = rest[..end].split(' ').next().unwrap_or_default();
    (!name.is_empty()).then(|| (name.to_string(), rest[end + 1..].to_string()))
}

/// The commands the runner would carry out, in order, for `text` (lines split at LF, CR LF
/// and a bare CR, as the runner's line reader does).
fn processed(text: &str) -> Vec<(String, String)> {
    let mut done = Vec::new();
    let mut stopped_until: Option<String> = None;
    for line in text.split(['\n', '\r']) {
        let Some((name, value)) = parse_command(line) else {
            continue;
        };
        if let Some(token) = &stopped_until {
            if name.eq_ignore_ascii_case(token) {
                stopped_until = None;
                done.push((name, value));
            }
            continue;
        }
        if name.eq_ignore_ascii_case("stop-commands") {
            stopped_until = Some(value.clone());
        }
        done.push((name, value));
    }
    done
}

/// Log lines that are commands when printed as they are.
const HOSTILE: &str = "\
::add-mask::DATABASE_TIMEOUT
    ::set-env name=A::B DATABASE_TIMEOUT
x %0A::error::x DATABASE_TIMEOUT
bare\r::error::cr DATABASE_TIMEOUT
prefix ##[error]injected DATABASE_TIMEOUT
##[add-mask]STORAGE_FILE_NONEXIST FUNCTIONS_EXECUTE_FAIL
::stop-commands::t DATABASE_TIMEOUT
";

#[test]
fn the_model_finds_what_the_runner_would() {
    let found = processed(HOSTILE);
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "add-mask",
            "set-env",
            "error",
            "error",
            "add-mask",
            "stop-commands"
        ]
    );
    // Stopped, only the token resumes.
    let resumed = processed("::stop-commands::tok\n::error::no\n::tok::\n::error::yes\n");
    assert_eq!(resumed.len(), 3);
    assert_eq!(resumed[2].1, "yes");
}

#[test]
fn no_log_text_becomes_a_command_in_any_format() {
    let dir = TempDir::new().unwrap();
    // A file name with commands in it too.
    let name = "::add-mask::x ##[error]name.log";
    fs::write(dir.path().join(name), HOSTILE).unwrap();
    for format in [
        "human", "jsonl", "json", "count", "files", "sarif", "gitlab", "junit", "markdown",
    ] {
        let out = cbscan()
            .current_dir(dir.path())
            .env("GITHUB_ACTIONS", "true")
            .args(["scan", ".", "--format", format, "--color", "always"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let done = processed(&stdout);
        assert_eq!(done.len(), 2, "{format}: {done:?}\n{stdout}");
        assert_eq!(done[0].0, "stop-commands", "{format}");
        let token = &done[0].1;
        assert_eq!(token.len(), 32, "{format}: a long random token");
        assert_eq!(&done[1].0, token, "{format}: resumed at the very end");
        assert!(
            stdout.trim_end().ends_with(&format!("::{token}::")),
            "{format}: nothing after the resume"
        );
        assert!(
            processed(&String::from_utf8_lossy(&out.stderr)).is_empty(),
            "{format}: stderr"
        );
    }
}

#[test]
fn outside_github_actions_output_is_not_wrapped() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("a.log"), "DATABASE_TIMEOUT\n").unwrap();
    let out = cbscan()
        .current_dir(dir.path())
        .args(["scan", "a.log"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("stop-commands"));
}

#[test]
fn tokens_differ_between_runs() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("a.log"), "DATABASE_TIMEOUT\n").unwrap();
    let token = || {
        let out = cbscan()
            .current_dir(dir.path())
            .env("GITHUB_ACTIONS", "true")
            .args(["scan", "a.log"])
            .output()
            .unwrap();
        processed(&String::from_utf8_lossy(&out.stdout))[0]
            .1
            .clone()
    };
    assert_ne!(token(), token());
}

#[test]
fn messages_on_stderr_are_defused() {
    let dir = TempDir::new().unwrap();
    // An input that cannot be read: a dangling link whose name holds a command.
    let link = dir.path().join("##[error]gone.log");
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &link).unwrap();
    let out = cbscan()
        .current_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .args(["scan", "##[error]gone.log"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("gone.log"), "{stderr}");
    assert!(processed(&stderr).is_empty(), "{stderr}");
}
