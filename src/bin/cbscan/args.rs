//! Command-line definitions (clap) and nothing else: `config` resolves them into a plain
//! [`crate::config::Config`]. Nothing here touches files or the terminal.

use std::path::PathBuf;

use cbscan::report::{Format, ReportSpec};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Find Tencent CloudBase (云开发) error codes in logs, explain them, count them.
#[derive(Debug, Parser)]
#[command(name = "cbscan", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub catalog: CatalogArgs,

    /// Worker threads (default: one per core).
    #[arg(short = 'j', long = "threads", global = true, value_name = "N")]
    pub threads: Option<usize>,

    #[command(subcommand)]
    pub command: CommandArgs,
}

/// Options shared by every subcommand: which catalog to use.
#[derive(Debug, Args)]
pub struct CatalogArgs {
    /// Add codes and categories from a TOML catalog (repeatable; later files override earlier).
    #[arg(long = "catalog", value_name = "FILE", global = true)]
    pub files: Vec<PathBuf>,

    /// Use only the --catalog files, not the built-in CloudBase catalog.
    #[arg(long = "no-builtin-catalog", global = true)]
    pub no_builtin: bool,
}

#[derive(Debug, Subcommand)]
pub enum CommandArgs {
    /// Scan logs (files, folders, `-` for stdin; stdin if none) for error codes.
    Scan(Box<ScanArgs>),
    /// Follow logs as they grow, by name, as `tail -F` does (rotation, truncation, new files
    /// matching a glob), reporting each hit as its line arrives.
    Follow(Box<FollowArgs>),
    /// Run a command, passing its output through unchanged, and scan its stdout and stderr
    /// as they arrive: `cbscan run -- npm run deploy`.
    Run(Box<RunArgs>),
    /// Render saved JSON lines (`scan --format jsonl` of many hosts or jobs) in any format,
    /// merged: exactly what one scan of all their inputs would print.
    Report(Box<ReportArgs>),
    /// Explain codes: category, meanings, numeric aliases, docs link (`cbscan explain -- -502005`);
    /// also every code in a pasted log line, or the codes whose name or meaning holds some
    /// words (`cbscan explain timeout`, `cbscan explain 超时`).
    Explain {
        /// Codes in any letter case, numeric aliases, pasted log text, or words to search for
        /// (each argument is one query).
        #[arg(required = true, value_name = "QUERY", allow_negative_numbers = true)]
        codes: Vec<String>,
        /// Output format: text, or json (an array of objects, one per code explained).
        #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
        format: ExplainFormat,
    },
    /// List the catalog.
    Codes {
        /// Only this category (repeatable).
        #[arg(long = "category", value_name = "ID")]
        categories: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = CodesFormat::Table)]
        format: CodesFormat,
    },
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or folders to scan; `-` (or nothing) reads stdin.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub filters: FilterArgs,

    /// Include or exclude files when walking folders (`*.log`, `!*.gz`; repeatable).
    #[arg(short = 'g', long = "glob", value_name = "GLOB")]
    pub globs: Vec<String>,

    /// Honour .gitignore/.ignore files when walking folders (off: logs are usually ignored).
    #[arg(long = "respect-ignore")]
    pub respect_ignore: bool,

    /// Also walk version-control and dependency folders (.git, node_modules, .venv, …), which
    /// folder walks skip by default; a folder named on the command line is always scanned.
    #[arg(long = "all-folders")]
    pub all_folders: bool,

    /// Follow symbolic links when walking folders (loops are reported, not followed).
    #[arg(short = 'L', long = "follow-links")]
    pub follow_links: bool,

    /// Scan gzip and zstd files as they are, without decompressing them (compressed input is
    /// recognised by its first bytes, whatever its name).
    #[arg(long = "no-decompress")]
    pub no_decompress: bool,

    /// Matching engine (for benchmarks; auto picks the fastest correct one).
    #[arg(long, value_enum, default_value_t = EngineArg::Auto, hide = true)]
    pub engine: EngineArg,

    /// Chunk size in bytes for scanning one large file in parallel (for benchmarks and tests).
    #[arg(long = "chunk-size", hide = true, value_name = "BYTES")]
    pub chunk_size: Option<usize>,

    /// Files at least this large are split into chunks scanned in parallel (for tests).
    #[arg(long = "chunk-min", hide = true, value_name = "BYTES")]
    pub chunk_min: Option<u64>,

    #[command(flatten)]
    pub fields: FieldArgs,
}

/// What a scan's (or a saved scan's) output looks like: shared by `scan` and `report`.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Format of standard output: human, jsonl, json, count, files, sarif, github, gitlab,
    /// junit, markdown or html.
    #[arg(long, value_name = "FORMAT", default_value = "human", value_parser = parse_format)]
    pub format: Format,

    /// Also write a report to a file, in any --format, from the same scan (repeatable):
    /// `--report sarif=cbscan.sarif`.
    #[arg(long = "report", value_name = "FORMAT=PATH", value_parser = parse_report)]
    pub reports: Vec<ReportSpec>,

    /// Print the number of hits of each input with hits (`PATH:HITS`), as `rg -c` does.
    #[arg(short = 'c', long = "count", conflicts_with_all = ["files_with_hits", "format"])]
    pub count: bool,

    /// Print the name of each input with hits, as `rg -l` does.
    #[arg(short = 'l', long = "files-with-hits", conflicts_with = "format")]
    pub files_with_hits: bool,

    /// Show at most N hits of each input (counts and the exit status still include every
    /// hit).
    #[arg(short = 'm', long = "max-hits", value_name = "N")]
    pub max_hits: Option<u64>,

    // --- diagnosis (issue 10 §3) ---
    /// List hits per request id instead of one by one: each request's first time, codes in
    /// order, inputs and lines, most affected first (`request` records in jsonl, `requests`
    /// in json).
    #[arg(
        long = "by-request",
        conflicts_with_all = ["count", "files_with_hits", "summary_only", "quiet"]
    )]
    pub by_request: bool,

    /// Print only the summary.
    // -c and -l print one line per input and never a summary: with them this would be ignored.
    #[arg(
        short = 's',
        long = "summary-only",
        conflicts_with_all = ["no_summary", "quiet", "count", "files_with_hits"]
    )]
    pub summary_only: bool,

    /// Print hits but no summary.
    #[arg(long = "no-summary", conflicts_with_all = ["count", "files_with_hits"])]
    pub no_summary: bool,

    /// Print nothing on stdout; only the exit status tells (errors still go to stderr).
    #[arg(short, long)]
    pub quiet: bool,

    /// When to colour human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Show paths in CI formats (sarif, github, gitlab, junit, markdown) relative to this
    /// folder (default: the current folder).
    #[arg(long = "base-dir", value_name = "DIR")]
    pub base_dir: Option<PathBuf>,
}

// The code filters are refused by report (the saved counts were made without them): hidden
// from its help, still parsed so that giving one gets the reason.
#[derive(Debug, Args)]
#[command(
    mut_arg("categories", |a| a.hide(true)),
    mut_arg("codes", |a| a.hide(true)),
    mut_arg("exclude_codes", |a| a.hide(true)),
    mut_arg("all_codes", |a| a.hide(true))
)]
pub struct ReportArgs {
    /// Saved JSON-lines files (the output of `scan`, `follow` or `run` with `--format jsonl`),
    /// merged in the order given.
    #[arg(value_name = "INPUT.jsonl", required = true)]
    pub inputs: Vec<PathBuf>,

    /// Name each input after the saved file it came from, as STEM/PATH (web-1.jsonl gives
    /// web-1/var/log/app.log), so that hosts logging to the same paths are told apart.
    #[arg(long)]
    pub label_hosts: bool,

    #[command(flatten)]
    pub output: OutputArgs,

    // `--fail-on` and `--baseline` judge the merged summary as `scan` does; the code filters
    // (`--category`, `--code`, `--exclude-code`, `--all-codes`) are refused: the saved counts
    // were made without them.
    #[command(flatten)]
    pub filters: FilterArgs,
}

/// How hits get their time and request id (scan, follow, run).
#[derive(Debug, Args)]
pub struct FieldArgs {
    /// The zone of log times written without one: an IANA name (`Asia/Shanghai`), `UTC`, or
    /// an offset (`+08:00`). Without it such times are kept as local to the log, and marked.
    #[arg(long = "log-tz", value_name = "ZONE")]
    pub log_tz: Option<String>,

    /// Do not extract hits' times and request ids (for measuring what extraction costs).
    #[arg(long = "no-fields", hide = true)]
    pub no_fields: bool,
}

/// Durations: `250ms`, `5s`, `1m30s`, `2h` (or ISO 8601, `PT5S`).
fn parse_duration(value: &str) -> Result<std::time::Duration, String> {
    let parsed: jiff::SignedDuration = value
        .parse()
        .map_err(|_| format!("`{value}` is not a duration (write it as 250ms, 5s, 1m30s or 2h)"))?;
    std::time::Duration::try_from(parsed).map_err(|_| format!("`{value}`: must not be negative"))
}

#[derive(Debug, Args)]
pub struct FollowArgs {
    /// Files to follow, or quoted globs (`'logs/*.log'`) whose new matches are followed as they
    /// appear; a file that does not exist yet is waited for.
    #[arg(value_name = "PATH|GLOB", required = true)]
    pub paths: Vec<PathBuf>,

    /// Read the files there are at the start from their beginning (default: from their end,
    /// as `tail -F` does; files that appear later are always read whole).
    #[arg(long = "from-start")]
    pub from_start: bool,

    /// Save where each file was read to, and the running summary, in FILE (at intervals and
    /// at exit), and resume from it when it exists: no line is missed while cbscan is stopped.
    #[arg(long = "state", value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// How often files are checked when no filesystem event came (events wake cbscan at
    /// once; the check catches what they miss).
    #[arg(long = "poll-interval", value_name = "DURATION", default_value = "250ms", value_parser = parse_duration)]
    pub poll_interval: std::time::Duration,

    /// How long a rotated-away file is still read for lines its writer appends after the
    /// rotation (extended while it keeps growing).
    #[arg(long = "rotate-wait", value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub rotate_wait: std::time::Duration,

    /// Print the running summary this often.
    #[arg(long = "summary-interval", value_name = "DURATION", value_parser = parse_duration)]
    pub summary_interval: Option<std::time::Duration>,

    /// Stop when process PID ends (as `tail --pid` does).
    #[arg(long = "pid", value_name = "PID")]
    pub pid: Option<u32>,

    /// Check files only every --poll-interval, without filesystem events (network filesystems,
    /// where events do not arrive).
    #[arg(long = "no-watch")]
    pub no_watch: bool,

    /// Most bytes read at start to count a file's lines before its end (for tests).
    #[arg(long = "count-lines-max", hide = true, value_name = "BYTES")]
    pub count_lines_max: Option<u64>,

    #[command(flatten)]
    pub live: LiveArgs,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The command and its arguments (after `--`).
    #[arg(
        value_name = "COMMAND",
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<std::ffi::OsString>,

    /// Write cbscan's own output on standard output, among the command's (default: standard
    /// error, so the command's standard output stays its own).
    #[arg(long = "stdout")]
    pub to_stdout: bool,

    #[command(flatten)]
    pub live: LiveArgs,
}

/// What `follow` and `run` write, and which codes they report: both write as hits arrive.
#[derive(Debug, Args)]
pub struct LiveArgs {
    /// Format of cbscan's own output, written as hits arrive: human, jsonl or github (for
    /// `run`, on standard error unless --stdout).
    #[arg(long, value_name = "FORMAT", default_value = "human", value_parser = parse_format)]
    pub format: Format,

    /// Also write a report to a file, in any format, when following stops or the command
    /// ends (repeatable).
    #[arg(long = "report", value_name = "FORMAT=PATH", value_parser = parse_report)]
    pub reports: Vec<ReportSpec>,

    /// Print hits but no summary at the end.
    #[arg(long = "no-summary")]
    pub no_summary: bool,

    /// Print no hits and no summary; the exit status still tells (errors go to stderr).
    #[arg(short, long)]
    pub quiet: bool,

    /// When to colour human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    #[command(flatten)]
    pub filters: FilterArgs,

    /// Show paths in CI formats relative to this folder (default: the current folder).
    #[arg(long = "base-dir", value_name = "DIR")]
    pub base_dir: Option<PathBuf>,

    #[command(flatten)]
    pub fields: FieldArgs,
}

/// Which codes are reported and which fail the run: shared by `scan`, `follow` and `run`.
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Report only codes of this category (repeatable).
    #[arg(long = "category", value_name = "ID")]
    pub categories: Vec<String>,

    /// Report only this code (repeatable; any case or a numeric alias).
    #[arg(long = "code", value_name = "CODE", allow_negative_numbers = true)]
    pub codes: Vec<String>,

    /// Do not report this code (repeatable).
    #[arg(
        long = "exclude-code",
        value_name = "CODE",
        allow_negative_numbers = true
    )]
    pub exclude_codes: Vec<String>,

    /// Exit 1 when a reported hit matches: any, none, generic, specific, a category or a code
    /// (repeatable, except none; default any); `WHAT>N` fails only past N lines with hits;
    /// unknown: a code not in the catalog was seen (`unknown>N`: past N occurrences).
    #[arg(long = "fail-on", value_name = "WHAT", allow_negative_numbers = true)]
    pub fail_on: Vec<String>,

    /// Fail only on codes that this earlier scan (its JSON or JSON-lines output) did not
    /// have, or had on fewer lines; reports mark them.
    #[arg(long = "baseline", value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Count shared names (PERMISSION_DENIED, INVALID_PARAM, … that other products use too)
    /// on every line, not only on lines with CloudBase context.
    #[arg(long = "all-codes")]
    pub all_codes: bool,
}

fn parse_format(value: &str) -> Result<Format, String> {
    value.parse()
}

fn parse_report(value: &str) -> Result<ReportSpec, String> {
    value.parse()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CodesFormat {
    Table,
    Jsonl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineArg {
    Auto,
    Words,
    WordsTeddy,
    General,
}
