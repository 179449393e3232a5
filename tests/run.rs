//! Streams: `cbscan run -- COMMAND` (the command's output passed through byte for byte, both
//! streams scanned live, exit statuses as a shell has them, signals) and `cbscan scan -` on a
//! pipe that stays open (hits as lines arrive, the summary on Ctrl-C).
//!
//! Real processes throughout; waits poll with a deadline, never a fixed sleep.

mod support;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::*;

/// How long anything here may take before the test fails instead of hanging.
const DEADLINE: Duration = Duration::from_secs(30);

fn run(dir: &Path, args: &[&str]) -> Run {
    run_in(dir, args, None)
}

/// Runs `script` with `sh -c` under `cbscan run` with `options`.
fn run_sh(dir: &Path, options: &[&str], script: &str) -> Run {
    let mut args: Vec<&str> = vec!["run"];
    args.extend_from_slice(options);
    args.extend_from_slice(&["--", "sh", "-c", script]);
    run(dir, &args)
}

#[test]
fn a_child_filling_stderr_before_any_stdout_finishes_and_every_hit_counts() {
    let dir = tempfile::tempdir().unwrap();
    // 10.6 MB on stderr, with hits at both ends, while stdout stays silent: a cbscan that
    // waited on stdout first would leave the child blocked on a full stderr pipe, for ever.
    let padding = "p".repeat(63);
    let script = format!(
        "{{ yes 'e DATABASE_TIMEOUT' | head -n 1000; yes {padding} | head -n 160000; \
         yes 'e DATABASE_TIMEOUT' | head -n 1000; }} >&2; echo 'o SYS_ERR'"
    );
    let report = dir.path().join("report.jsonl");
    let spec = format!("jsonl={}", report.display());
    let out = run_sh(dir.path(), &["-q", "--report", &spec], &script);
    assert_eq!(out.code, 1, "{}", &out.stderr[..out.stderr.len().min(500)]);
    assert_eq!(out.stdout, b"o SYS_ERR\n");
    assert_eq!(
        out.stderr.len(),
        2000 * 19 + 160_000 * 64,
        "stderr passed through whole"
    );
    let records = records(&std::fs::read(&report).unwrap());
    let summary = summary(&records);
    assert_eq!(summary["hits"], 2001);
    assert_eq!(summary["lines"], 162_001);
    assert_eq!(summary["by_code"]["DATABASE_TIMEOUT"]["hits"], 2000);
    assert_eq!(summary["by_code"]["SYS_ERR"]["hits"], 1);
}

#[test]
fn the_childs_output_passes_through_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    // Not UTF-8, a NUL, CR LF, a code, and no line break at the end; the two streams differ.
    let out_bytes: &[u8] = b"\xff\xfe\x00 bin\r\nx SYS_ERR \xc3\x28\nlast line, no newline";
    let err_bytes: &[u8] = b"\x1b[31mred\x1b[0m DATABASE_TIMEOUT\n\x80\x81 tail";
    std::fs::write(dir.path().join("out.bin"), out_bytes).unwrap();
    std::fs::write(dir.path().join("err.bin"), err_bytes).unwrap();
    let script = "cat out.bin; cat err.bin >&2";
    // -q: stderr holds the child's alone.
    let quiet = raw(dir.path(), &["run", "-q", "--", "sh", "-c", script]);
    assert_eq!(quiet.stdout, out_bytes, "stdout byte for byte");
    assert_eq!(quiet.stderr, err_bytes, "stderr byte for byte");
    // cbscan's own report goes to stderr too, between reads of the child's stderr, whose
    // bytes it leaves whole (`cat` writes them at once: one read here).
    let loud = raw(
        dir.path(),
        &["run", "--format", "jsonl", "--", "sh", "-c", script],
    );
    assert_eq!(
        loud.stdout, out_bytes,
        "nothing of cbscan's in the child's stdout"
    );
    assert!(
        contains(&loud.stderr, err_bytes),
        "{}",
        String::from_utf8_lossy(&loud.stderr)
    );
}

/// Runs cbscan in `dir` with `args`, its output kept as bytes.
fn raw(dir: &Path, args: &[&str]) -> std::process::Output {
    cbscan()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("cbscan runs")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn exit_statuses_pass_through() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    assert_eq!(run_sh(dir, &[], "echo fine; exit 3").code, 3);
    assert_eq!(
        run_sh(dir, &[], "echo SYS_ERR; exit 4").code,
        4,
        "its failure wins"
    );
    assert_eq!(run_sh(dir, &[], "echo ok").code, 0);
    assert_eq!(
        run_sh(dir, &[], "echo SYS_ERR").code,
        1,
        "default --fail-on any"
    );
    assert_eq!(run_sh(dir, &["--fail-on", "none"], "echo SYS_ERR").code, 0);
    assert_eq!(
        run_sh(dir, &["--fail-on", "auth"], "echo DATABASE_TIMEOUT").code,
        0
    );

    let killed = run_sh(dir, &["-q"], "echo before; kill -KILL $$");
    assert_eq!(killed.code, 137);
    assert!(
        killed.stderr.contains("sh was killed by SIGKILL"),
        "{}",
        killed.stderr
    );
    assert_eq!(killed.stdout, b"before\n");
}

#[test]
fn a_command_that_cannot_start_is_named_with_a_shells_status() {
    let dir = tempfile::tempdir().unwrap();
    let missing = run(dir.path(), &["run", "--", "cbscan-no-such-command", "x"]);
    assert_eq!(missing.code, 127);
    assert!(
        missing
            .stderr
            .contains("cbscan-no-such-command: command not found"),
        "{}",
        missing.stderr
    );
    let script = write_log(dir.path(), "not-executable.sh", b"echo hi\n");
    let refused = run(dir.path(), &["run", "--", &script]);
    assert_eq!(refused.code, 126);
    assert!(
        refused.stderr.contains("not-executable.sh: cannot run it"),
        "{}",
        refused.stderr
    );
}

#[test]
fn hits_go_to_stderr_by_default_and_to_stdout_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let script = "echo 'a SYS_ERR'; echo 'b DATABASE_TIMEOUT' >&2";
    let default = run_sh(dir.path(), &["--format", "jsonl"], script);
    assert_eq!(default.code, 1);
    assert_eq!(default.stdout, b"a SYS_ERR\n");
    let hits: Vec<Value> = default
        .stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|r: &Value| r["type"] == "hit")
        .collect();
    let found: Vec<(&str, &str)> = hits
        .iter()
        .map(|h| {
            (
                h["path"]["text"].as_str().unwrap(),
                h["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(found.contains(&("<stdout>", "SYS_ERR")), "{found:?}");
    assert!(
        found.contains(&("<stderr>", "DATABASE_TIMEOUT")),
        "{found:?}"
    );

    let human = run_sh(dir.path(), &[], script);
    assert_eq!(human.stdout, b"a SYS_ERR\n");
    assert!(
        human.stderr.contains("<stdout>:1:3: SYS_ERR"),
        "{}",
        human.stderr
    );

    let on_stdout = run_sh(
        dir.path(),
        &["--stdout", "--format", "jsonl"],
        "echo 'a SYS_ERR'",
    );
    let text = String::from_utf8(on_stdout.stdout).unwrap();
    // Among cbscan's records, wherever the reads fell: the command's line, whole.
    let theirs: Vec<&str> = text.lines().filter(|l| !l.starts_with('{')).collect();
    assert_eq!(theirs, ["a SYS_ERR"], "{text}");
    assert!(text.contains(r#""type":"summary""#), "{text}");
    assert!(!on_stdout.stderr.contains(r#""type""#));

    let quiet = run_sh(dir.path(), &["-q"], "echo 'a SYS_ERR' >&2");
    assert_eq!((quiet.code, quiet.stderr.as_str()), (1, "a SYS_ERR\n"));
}

#[test]
fn a_report_file_has_both_inputs_complete() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("run.jsonl");
    let spec = format!("jsonl={}", report.display());
    let script = "echo 'one SYS_ERR'; printf 'two DATABASE_TIMEOUT\\nthree SYS_ERR' >&2";
    let out = run_sh(dir.path(), &["-q", "--report", &spec], script);
    assert_eq!(out.code, 1);
    let records = records(&std::fs::read(&report).unwrap());
    let kinds: Vec<(&str, &str)> = records
        .iter()
        .filter(|r| r["type"] != "hit" && r["type"] != "summary")
        .map(|r| {
            (
                r["type"].as_str().unwrap(),
                r["path"]["text"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("begin", "<stdout>"),
            ("begin", "<stderr>"),
            ("end", "<stdout>"),
            ("end", "<stderr>")
        ]
    );
    let ends = of_type(&records, "end");
    assert_eq!(
        (ends[0]["complete"].clone(), ends[0]["lines"].clone()),
        (Value::Bool(true), Value::from(1))
    );
    // The last line, without its line break, is scanned and counted.
    assert_eq!(ends[1]["lines"], 2);
    assert_eq!(ends[1]["hits"], 2);
    let hits: Vec<(String, u64)> = of_type(&records, "hit")
        .iter()
        .map(|h| {
            (
                h["path"]["text"].as_str().unwrap().to_string(),
                h["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(hits.len(), 3);
    assert!(hits.contains(&("<stderr>".into(), 2)), "{hits:?}");
    let summary = summary(&records);
    assert_eq!(
        (summary["files"].clone(), summary["hits"].clone()),
        (2.into(), 3.into())
    );
}

#[test]
fn unsupported_formats_point_at_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["run", "--format", "sarif", "--", "true"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--report sarif=FILE"), "{}", out.stderr);
}

// ---------------------------------------------------------------------------------------------
// Processes watched while they run
// ---------------------------------------------------------------------------------------------

/// Collects what a pipe gives, on a thread, so the test can wait for something to appear.
struct Collected {
    chunks: mpsc::Receiver<Vec<u8>>,
    bytes: Vec<u8>,
}

impl Collected {
    fn new(mut pipe: impl Read + Send + 'static) -> Collected {
        let (sender, chunks) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buffer = [0; 8192];
            while let Ok(n) = pipe.read(&mut buffer) {
                if n == 0 || sender.send(buffer[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Collected {
            chunks,
            bytes: Vec::new(),
        }
    }

    /// Waits until what came holds `needle`; fails the test at the deadline.
    fn wait_for(&mut self, needle: &str) {
        let deadline = Instant::now() + DEADLINE;
        while !contains(&self.bytes, needle.as_bytes()) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.chunks.recv_timeout(left) {
                Ok(chunk) => self.bytes.extend(chunk),
                Err(_) => panic!(
                    "no {needle:?} in time; got {:?}",
                    String::from_utf8_lossy(&self.bytes)
                ),
            }
        }
    }

    /// Everything, once the pipe has closed.
    fn all(mut self) -> Vec<u8> {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.chunks.recv_timeout(left) {
                Ok(chunk) => self.bytes.extend(chunk),
                Err(mpsc::RecvTimeoutError::Disconnected) => return self.bytes,
                Err(mpsc::RecvTimeoutError::Timeout) => panic!("the pipe did not close"),
            }
        }
    }
}

/// Waits for `child` to exit, killing it at the deadline.
fn exit_code(child: &mut Child) -> i32 {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().expect("cbscan exits, not killed");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("cbscan did not exit in time");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn signal(child: &Child, signal: i32) {
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on our own child, not yet waited for.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
}

/// `cbscan` with `args`, its stdin, stdout and stderr piped.
fn spawn(dir: &Path, args: &[&str]) -> Child {
    Command::new(bin())
        .current_dir(dir)
        .args(args)
        .env_remove("GITHUB_ACTIONS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cbscan starts")
}

#[test]
fn sigterm_is_passed_on_to_the_command_and_the_summary_still_printed() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn(
        dir.path(),
        &[
            "run",
            "--format",
            "jsonl",
            "--",
            "sh",
            "-c",
            "echo 'x SYS_ERR'; exec sleep 60",
        ],
    );
    let mut stderr = Collected::new(child.stderr.take().unwrap());
    // The hit shows while the command still runs.
    stderr.wait_for(r#""type":"hit""#);
    signal(&child, libc::SIGTERM);
    assert_eq!(exit_code(&mut child), 128 + libc::SIGTERM);
    let text = String::from_utf8(stderr.all()).unwrap();
    assert!(text.contains("sh was killed by SIGTERM"), "{text}");
    assert!(text.contains(r#""type":"summary""#), "{text}");
}

#[test]
fn a_closed_stdout_ends_the_commands_stdout_as_in_a_pipeline_and_stderr_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn(
        dir.path(),
        &[
            "run",
            "--format",
            "jsonl",
            "--",
            "sh",
            "-c",
            // `yes` ends only when its stdout is closed.
            "yes SYS_ERR; echo 'after DATABASE_TIMEOUT' >&2",
        ],
    );
    let stderr = Collected::new(child.stderr.take().unwrap());
    let mut stdout: ChildStdout = child.stdout.take().unwrap();
    let mut some = [0; 4096];
    stdout.read_exact(&mut some).unwrap();
    drop(stdout);
    // `yes` was killed by SIGPIPE, and `sh` went on: the command's own status.
    assert_eq!(exit_code(&mut child), 1, "hits fail the run");
    let text = String::from_utf8(stderr.all()).unwrap();
    assert!(text.contains("after DATABASE_TIMEOUT\n"), "{text}");
    assert!(
        text.contains(r#""code":"DATABASE_TIMEOUT""#),
        "stderr still scanned: {text}"
    );
    assert!(!text.contains("killed by"), "{text}");
}

#[test]
fn scan_of_a_pipe_that_stays_open_reports_hits_live_and_its_summary_on_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    for (options, status) in [(&[][..], 1), (&["--fail-on", "none"][..], 0)] {
        let mut args = vec!["scan", "--format", "jsonl"];
        args.extend_from_slice(options);
        args.push("-");
        let mut child = spawn(dir.path(), &args);
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = Collected::new(child.stdout.take().unwrap());
        stdin.write_all(b"ok\nx DATABASE_TIMEOUT y\n").unwrap();
        stdin.flush().unwrap();
        // Reported while stdin is still open: live.
        stdout.wait_for(r#""code":"DATABASE_TIMEOUT""#);
        signal(&child, libc::SIGINT);
        assert_eq!(exit_code(&mut child), status, "by the fail policy");
        drop(stdin);
        let records = records(&stdout.all());
        let summary = summary(&records);
        assert_eq!(
            (summary["hits"].clone(), summary["lines"].clone()),
            (1.into(), 2.into())
        );
        assert_eq!(of_type(&records, "end").len(), 1);
    }
}

#[test]
fn scan_of_a_pipe_prints_the_human_summary_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn(dir.path(), &["scan"]);
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = Collected::new(child.stdout.take().unwrap());
    stdin.write_all(b"a SYS_ERR\n").unwrap();
    stdin.flush().unwrap();
    stdout.wait_for("SYS_ERR");
    signal(&child, libc::SIGTERM);
    assert_eq!(exit_code(&mut child), 1);
    let text = String::from_utf8(stdout.all()).unwrap();
    assert!(text.contains("1 hit"), "{text}");
}

#[test]
fn in_github_actions_cbscans_own_output_is_defused_and_the_commands_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = cbscan()
        .current_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .args(["run", "--", "sh", "-c", "echo '::add-mask::SYS_ERR'"])
        .output()
        .unwrap();
    // The command's output is what it would be without cbscan.
    assert_eq!(out.stdout, b"::add-mask::SYS_ERR\n");
    // cbscan's quotes of it are not workflow commands.
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("：:add-mask::SYS_ERR"), "{stderr}");
    assert!(
        !stderr.lines().any(|l| l.trim_start().starts_with("::")),
        "{stderr}"
    );
}

#[test]
fn a_report_cbscan_cannot_write_stops_it_before_the_command_runs() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let script = format!("touch {}", marker.display());
    // The file the command's output goes to.
    let command = format!(
        "{} run --report jsonl=out.txt -- sh -c '{script}' > out.txt",
        bin().display()
    );
    let status = Command::new("sh")
        .current_dir(dir.path())
        .args(["-c", &command])
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert!(
        stderr.contains("the command's output goes to that file too"),
        "{stderr}"
    );
    // A folder that does not exist.
    let missing = run_sh(dir.path(), &["--report", "jsonl=no/such/r.jsonl"], &script);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("cannot create the file"),
        "{}",
        missing.stderr
    );
    assert!(!marker.exists(), "the command did not run");
}

#[test]
fn sigint_sent_to_cbscan_alone_is_passed_on_and_the_summary_printed() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    // A process group of its own, in no terminal's foreground: a Ctrl-C would not have
    // reached the command, so cbscan passes the SIGINT on.
    let mut child = Command::new(bin())
        .current_dir(dir.path())
        .args(["run", "--format", "jsonl", "--", "sh", "-c"])
        .arg("echo 'x SYS_ERR'; exec sleep 60")
        .env_remove("GITHUB_ACTIONS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    let mut stderr = Collected::new(child.stderr.take().unwrap());
    stderr.wait_for(r#""type":"hit""#);
    signal(&child, libc::SIGINT);
    assert_eq!(exit_code(&mut child), 128 + libc::SIGINT);
    let text = String::from_utf8(stderr.all()).unwrap();
    assert!(text.contains("sh was killed by SIGINT"), "{text}");
    let summary = text
        .lines()
        .find(|l| l.contains(r#""type":"summary""#))
        .expect("the summary");
    assert!(summary.contains(r#""hits":1"#), "{summary}");
}

#[test]
fn github_format_in_actions_also_writes_the_job_summary() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("step-summary.md");
    std::fs::write(&summary, "# earlier step\n").unwrap();
    let out = cbscan()
        .current_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["run", "--format", "github", "--", "sh", "-c"])
        .arg("echo 'deploy failed: DATABASE_TIMEOUT'")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("::error"),
        "annotations on stderr: {stderr}"
    );
    let written = std::fs::read_to_string(&summary).unwrap();
    assert!(
        written.starts_with("# earlier step\n"),
        "appended: {written}"
    );
    assert!(
        written.contains("## cbscan: CloudBase error codes"),
        "the Markdown report: {written}"
    );
    assert!(
        written.contains("DATABASE\\_TIMEOUT"),
        "its code: {written}"
    );
}
