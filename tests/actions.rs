//! Inside GitHub Actions, no text from a log or a file name can become a workflow command, in
//! any format; JSON stays lossless.
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
        "human", "jsonl", "json", "count", "files", "sarif", "gitlab", "junit", "markdown", "html",
    ] {
        for cwd_arg in [".", name] {
            let out = cbscan()
                .current_dir(dir.path())
                .env("GITHUB_ACTIONS", "true")
                .args(["scan", cwd_arg, "--format", format, "--color", "always"])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1), "{format}");
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(stdout.contains("name.log"), "{format}: {stdout}");
            let done = processed(&stdout);
            assert!(done.is_empty(), "{format} {cwd_arg}: {done:?}\n{stdout}");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(processed(&stderr).is_empty(), "{format}: {stderr}");
        }
    }
}

#[test]
fn json_lines_keep_hostile_text_exactly() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("a.log"), HOSTILE).unwrap();
    let out = cbscan()
        .current_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .args(["scan", "a.log", "--format", "jsonl"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(processed(&stdout).is_empty());
    let texts: Vec<String> = support::records(stdout.as_bytes())
        .iter()
        .filter(|r| r["type"] == "hit")
        .map(|r| r["text"].as_str().unwrap().to_string())
        .collect();
    // The parsed text is the log line, byte for byte (the bare CR splits no line for cbscan).
    for line in HOSTILE.lines() {
        assert!(texts.iter().any(|t| t == line), "{line:?} in {texts:?}");
    }
}

#[test]
fn hostile_lines_show_almost_as_they_are_in_human_output() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("a.log"), HOSTILE).unwrap();
    let out = cbscan()
        .current_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .args(["scan", "a.log", "--no-summary"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("    ：:add-mask::DATABASE_TIMEOUT"),
        "{stdout}"
    );
    assert!(stdout.contains("prefix ##［error]injected"), "{stdout}");
}

#[test]
fn outside_github_actions_human_output_is_left_alone() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("a.log"), HOSTILE).unwrap();
    let out = cbscan()
        .current_dir(dir.path())
        .args(["scan", "a.log", "--no-summary"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("    ::add-mask::DATABASE_TIMEOUT"));
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

#[test]
fn the_job_summary_gets_the_markdown_report_appended() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("a.log"), "x DATABASE_TIMEOUT\n").unwrap();
    let summary = dir.path().join("summary.md");
    fs::write(&summary, "# An earlier step\n\n").unwrap();
    let run = |extra: &[&str]| {
        cbscan()
            .current_dir(dir.path())
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", &summary)
            .args(["scan", "a.log", "--format", "github"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("::error file=a.log,line=1,col=3,"),
        "{stdout}"
    );
    let text = fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("# An earlier step\n\n## cbscan: CloudBase error codes\n"),
        "{text}"
    );
    // A second step appends again.
    run(&[]);
    let text = fs::read_to_string(&summary).unwrap();
    assert_eq!(text.matches("## cbscan: CloudBase error codes").count(), 2);
    // Written by a --report instead, it is appended once, not twice.
    fs::write(&summary, "# An earlier step\n\n").unwrap();
    run(&["--report", "markdown=summary.md"]);
    let text = fs::read_to_string(&summary).unwrap();
    assert!(text.starts_with("# An earlier step\n\n## cbscan"), "{text}");
    assert_eq!(text.matches("## cbscan: CloudBase error codes").count(), 1);
    // A job summary that cannot be written is a report that failed: status 2, said why.
    let out = cbscan()
        .current_dir(dir.path())
        .env(
            "GITHUB_STEP_SUMMARY",
            dir.path().join("no-such-folder/summary.md"),
        )
        .args(["scan", "a.log", "--format", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("GITHUB_STEP_SUMMARY=")
            && String::from_utf8_lossy(&out.stderr).contains("no-such-folder does not exist")
    );
    // Other formats leave it alone.
    fs::write(&summary, "").unwrap();
    cbscan()
        .current_dir(dir.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["scan", "a.log", "--format", "jsonl"])
        .output()
        .unwrap();
    assert_eq!(fs::read_to_string(&summary).unwrap(), "");
}

#[test]
fn paths_are_relative_to_the_workspace_and_through_links() {
    let dir = TempDir::new().unwrap();
    let sub = dir.path().join("sub");
    fs::create_dir(&sub).unwrap();
    fs::write(sub.join("a.log"), "DATABASE_TIMEOUT\n").unwrap();
    let annotation = |cwd: &std::path::Path, envs: &[(&str, &std::path::Path)], args: &[&str]| {
        let mut cmd = cbscan();
        cmd.current_dir(cwd)
            .args(["scan", "--format", "github"])
            .args(args);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    // A step with its own working directory: paths stay relative to the checkout.
    let text = annotation(
        &sub,
        &[
            ("GITHUB_ACTIONS", "true".as_ref()),
            ("GITHUB_WORKSPACE", dir.path()),
        ],
        &["a.log"],
    );
    assert!(text.starts_with("::error file=sub/a.log,"), "{text}");
    // Outside GitHub Actions the workspace variable means nothing.
    let text = annotation(&sub, &[("GITHUB_WORKSPACE", dir.path())], &["a.log"]);
    assert!(text.starts_with("::error file=a.log,"), "{text}");
    // The base reached through a symbolic link.
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(dir.path(), &link).unwrap();
    let text = annotation(dir.path(), &[], &["--base-dir", "link", "sub/a.log"]);
    assert!(text.starts_with("::error file=sub/a.log,"), "{text}");
}
