//! The README's "cbscan in CI" section is real: every `cbscan scan` command in it (the GitHub
//! Actions and GitLab CI jobs, the baseline example) is run as written, by `sh`, on a sample
//! log, in the order the section gives them, with the environment the CI service would set.

mod support;

use std::fs;
use std::path::Path;
use std::process::Command;

use support::{bin, root};
use tempfile::TempDir;

/// The `cbscan scan` commands of the README's CI section, in order.
fn ci_commands() -> Vec<String> {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme.find("\n## cbscan in CI\n").expect("a CI section");
    let section = &readme[start + 1..];
    let end = section[3..].find("\n## ").map_or(section.len(), |e| e + 3);
    section[..end]
        .lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let line = line
                .strip_prefix("run: ")
                .or_else(|| line.strip_prefix("- "))
                .unwrap_or(line);
            line.starts_with("cbscan scan ").then(|| {
                // A trailing shell comment is the README talking.
                match line.find("   #") {
                    Some(at) => line[..at].trim_end().to_string(),
                    None => line.to_string(),
                }
            })
        })
        .collect()
}

#[test]
fn the_ci_section_commands_run_as_written() {
    let commands = ci_commands();
    assert_eq!(commands.len(), 4, "{commands:#?}");
    let dir = TempDir::new().unwrap();
    fs::copy(
        root().join("fixtures/cloudfunction-runtime.log"),
        dir.path().join("integration.log"),
    )
    .unwrap();
    let summary = dir.path().join("step-summary.md");
    let path = format!(
        "{}:{}",
        bin().parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // The sample log holds specific codes: both jobs fail; the baseline, made from the same
    // log, finds nothing new.
    let expected = [1, 1, 0, 0];
    for (command, want) in commands.iter().zip(expected) {
        let out = Command::new("sh")
            .arg("-c")
            .arg(command)
            .current_dir(dir.path())
            .env("PATH", &path)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", &summary)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(want),
            "{command}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for word in command.split_whitespace() {
            if let Some((_, file)) = word.split_once('=') {
                let written = fs::metadata(dir.path().join(file)).map(|m| m.len());
                assert!(written.unwrap_or(0) > 0, "{command}: {file} written");
            }
        }
    }
    assert!(file_has_text(&dir.path().join("cbscan-baseline.json")));
    assert!(
        file_has_text(&summary),
        "--format github appends to the job summary"
    );
}

fn file_has_text(path: &Path) -> bool {
    fs::read_to_string(path).is_ok_and(|t| !t.trim().is_empty())
}
