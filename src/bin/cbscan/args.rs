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
    /// Explain codes: category, meanings, numeric aliases (`cbscan explain -- -502005`).
    Explain {
        /// Codes in any letter case, or numeric aliases.
        #[arg(required = true, value_name = "CODE", allow_negative_numbers = true)]
        codes: Vec<String>,
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

    /// Format of standard output: human, jsonl, json, count, files, sarif, github, gitlab,
    /// junit or markdown.
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
    /// (repeatable, except none; default any); `WHAT>N` fails only past N lines with hits.
    #[arg(long = "fail-on", value_name = "WHAT", allow_negative_numbers = true)]
    pub fail_on: Vec<String>,

    /// Fail only on codes that this earlier scan (its JSON or JSON-lines output) did not
    /// have, or had on fewer lines; reports mark them.
    #[arg(long = "baseline", value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Show paths in CI formats (sarif, github, gitlab, junit, markdown) relative to this
    /// folder (default: the current folder).
    #[arg(long = "base-dir", value_name = "DIR")]
    pub base_dir: Option<PathBuf>,

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
}

fn parse_format(value: &str) -> Result<Format, String> {
    value.parse()
}

fn parse_report(value: &str) -> Result<ReportSpec, String> {
    value.parse()
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
