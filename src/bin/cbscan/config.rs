//! The resolved configuration: what the command line means, with every name checked against
//! the catalog and every path listed, before anything is scanned (as fd's `Config` and
//! ripgrep's HiArgs). Commands run from a [`Config`] and never look at clap's types.

use std::io::{self, IsTerminal};
use std::path::PathBuf;

use anyhow::{bail, Context};
use cbscan::baseline::Baseline;
use cbscan::catalog::Catalog;
use cbscan::input::{resolve_inputs, FileId, Source, WalkOptions};
use cbscan::limits::MIN_CHUNK_SIZE;
use cbscan::policy::{code_filter, Policy};
use cbscan::report::read::{saved_files, SavedFiles};
use cbscan::report::{Format, ReportSpec, Show};
use cbscan::scan::{CodeFilter, ScanOptions, Scanner};
use cbscan::{EngineChoice, Matcher};

use crate::args::{
    CatalogArgs, Cli, CodesFormat, ColorChoice, CommandArgs, EngineArg, ExplainFormat, FilterArgs,
    FollowArgs, OutputArgs, ReportArgs, RunArgs, ScanArgs,
};

/// A command, resolved.
pub struct Config {
    /// The catalog every command works with.
    pub catalog: Catalog,
    /// What to run.
    pub command: Command,
    /// Worker threads asked for (0: one per core).
    pub threads: usize,
}

/// The subcommands.
pub enum Command {
    /// `cbscan scan`.
    Scan(Box<ScanConfig>),
    /// `cbscan follow` (resolved by [`crate::cmd::follow`]).
    Follow(Box<FollowArgs>),
    /// `cbscan run` (resolved by [`crate::cmd::run`]).
    Run(Box<RunArgs>),
    /// `cbscan report`.
    Report(Box<ReportConfig>),
    /// `cbscan explain`.
    Explain {
        codes: Vec<String>,
        format: ExplainFormat,
    },
    /// `cbscan codes`.
    Codes {
        categories: Vec<String>,
        format: CodesFormat,
    },
}

/// What standard output shows.
#[derive(Debug, Clone, Copy)]
pub struct StdoutReport {
    pub format: Format,
    pub show: Show,
}

/// `cbscan scan`, resolved.
pub struct ScanConfig {
    pub scanner: Scanner,
    pub sources: Vec<Source>,
    /// The paths named on the command line (the other sources were found by walking).
    pub named: Vec<std::path::PathBuf>,
    /// Standard output's report (none with `--quiet`).
    pub stdout: Option<StdoutReport>,
    /// Reports written to files, each complete whatever standard output shows.
    pub files: Vec<ReportSpec>,
    pub policy: Policy,
    /// The folder CI formats show paths relative to.
    pub base_dir: PathBuf,
    pub color: ColorChoice,
    /// Whether stdin is read from a terminal (a person may have forgotten the path).
    pub stdin_from_terminal: bool,
    /// Whether `--by-request` was given: the human report then lists requests instead of
    /// hits. (An HTML report turns request grouping on in the scanner without it.)
    pub by_request: bool,
}

impl Config {
    /// Resolves the parsed command line.
    pub fn from_cli(cli: Cli) -> anyhow::Result<Config> {
        let catalog = load_catalog(&cli.catalog)?;
        let threads = cli.threads.unwrap_or(0);
        let command = match cli.command {
            CommandArgs::Scan(args) => {
                Command::Scan(Box::new(scan_config(&catalog, *args, threads)?))
            }
            CommandArgs::Follow(args) => Command::Follow(args),
            CommandArgs::Run(args) => Command::Run(args),
            CommandArgs::Report(args) => Command::Report(Box::new(report_config(&catalog, *args)?)),
            CommandArgs::Explain { codes, format } => Command::Explain { codes, format },
            CommandArgs::Codes { categories, format } => Command::Codes { categories, format },
        };
        Ok(Config {
            catalog,
            command,
            threads,
        })
    }
}

fn load_catalog(args: &CatalogArgs) -> anyhow::Result<Catalog> {
    let mut catalog = if args.no_builtin {
        if args.files.is_empty() {
            bail!("--no-builtin-catalog needs at least one --catalog FILE");
        }
        Catalog::empty()
    } else {
        Catalog::builtin()?
    };
    for file in &args.files {
        catalog.extend_from_file(file)?;
    }
    Ok(catalog)
}

/// Where CI formats' paths are relative to without `--base-dir`: the repository checkout in a
/// GitHub Actions job (`GITHUB_WORKSPACE`) or a GitLab CI job (`CI_PROJECT_DIR`), since
/// annotations and Code Quality reports only attach to repository-relative paths, even in a
/// step with its own `working-directory`; else the current folder.
pub fn default_base_dir() -> PathBuf {
    let from = |flag: &str, value: &str, dir: &str| {
        (std::env::var_os(flag).is_some_and(|v| v == value))
            .then(|| std::env::var_os(dir))
            .flatten()
            .map(PathBuf::from)
            .filter(|d| d.is_dir())
    };
    from("GITHUB_ACTIONS", "true", "GITHUB_WORKSPACE")
        .or_else(|| from("GITLAB_CI", "true", "CI_PROJECT_DIR"))
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The code filter and the fail policy (with its baseline) of `scan`, `follow` and `run`.
pub fn filter_and_policy(
    catalog: &Catalog,
    args: &FilterArgs,
) -> anyhow::Result<(CodeFilter, Policy)> {
    let filter = code_filter(catalog, &args.categories, &args.codes, &args.exclude_codes)?;
    let mut policy = Policy::parse(catalog, &args.fail_on)?;
    for rule in policy.unreachable_rules(catalog, &filter) {
        crate::terminal::print_error(&format!(
            "warning: --fail-on {rule}: --code, --category or --exclude-code leave out every \
             code it covers, so it can never fail the scan"
        ));
    }
    if let Some(path) = &args.baseline {
        let baseline = Baseline::read(path)?;
        if baseline.unread > 0 {
            // Its codes from those inputs are missing: they would all count as new.
            crate::terminal::print_error(&format!(
                "warning: baseline {}: the scan it was made from could not read {} input(s); \
                 codes in them count as new",
                path.display(),
                baseline.unread
            ));
        }
        policy = policy.with_baseline(baseline);
    }
    Ok((filter, policy))
}

/// `--base-dir` must be a folder.
pub fn check_base_dir(dir: Option<&std::path::Path>) -> anyhow::Result<()> {
    if let Some(dir) = dir.filter(|dir| !dir.is_dir()) {
        let what = if dir.exists() {
            "is not a folder"
        } else {
            "does not exist"
        };
        bail!("--base-dir {}: {what}", dir.display());
    }
    Ok(())
}

/// No two `--report`s may write the same file.
pub fn check_reports(reports: &[ReportSpec]) -> anyhow::Result<()> {
    let mut seen: Vec<&PathBuf> = Vec::new();
    for spec in reports {
        if seen.contains(&&spec.path) {
            bail!(
                "--report {}: two reports cannot write the same file",
                spec.path.display()
            );
        }
        seen.push(&spec.path);
    }
    Ok(())
}

fn scan_config(catalog: &Catalog, args: ScanArgs, threads: usize) -> anyhow::Result<ScanConfig> {
    let choice = match args.engine {
        EngineArg::Auto => EngineChoice::Auto,
        EngineArg::Words => EngineChoice::Words,
        EngineArg::WordsTeddy => EngineChoice::WordsTeddy,
        EngineArg::General => EngineChoice::General,
    };
    let matcher = Matcher::with_engine(catalog, choice)
        .context("--engine words: this catalog has codes that are not identifier-shaped")?;
    let (filter, policy) = filter_and_policy(catalog, &args.filters)?;
    check_base_dir(args.output.base_dir.as_deref())?;
    if let Some(size) = args.chunk_size.filter(|&size| size < MIN_CHUNK_SIZE) {
        bail!("--chunk-size {size}: must be at least {MIN_CHUNK_SIZE} bytes");
    }
    let stdout = stdout_report(&args.output)?;
    let walk = WalkOptions {
        respect_ignore: args.respect_ignore,
        globs: args.globs.clone(),
        follow_links: args.follow_links,
        threads,
        all_folders: args.all_folders,
    };
    let sources = resolve_inputs(&args.paths, &walk)?;
    let stdin_from_terminal =
        sources.iter().any(|s| matches!(s, Source::Stdin)) && io::stdin().is_terminal();
    let defaults = ScanOptions::default();
    let options = ScanOptions {
        threads,
        chunk_size: args.chunk_size.unwrap_or(defaults.chunk_size),
        chunk_min: args.chunk_min.unwrap_or(defaults.chunk_min),
        decompress: !args.no_decompress,
        // Nothing is written to stdout with --quiet, so nothing could be read back; report
        // files are added once they are created.
        outputs: if args.output.quiet {
            Vec::new()
        } else {
            FileId::of_stdout().into_iter().collect()
        },
        max_hits: args.output.max_hits,
        fields: !args.fields.no_fields,
        log_tz: log_tz(&args.fields)?,
        // An HTML report shows the most affected requests, so asking for one groups the hits
        // by request as --by-request does (JSON output then carries the requests too).
        by_request: args.output.by_request || wants_html(stdout, &args.output.reports),
        all_codes: args.filters.all_codes,
        ..defaults
    };
    let scanner = Scanner::new(catalog, matcher, filter, options)?;
    Ok(ScanConfig {
        scanner,
        sources,
        named: args.paths.clone(),
        stdout,
        files: args.output.reports,
        policy,
        base_dir: args.output.base_dir.unwrap_or_else(default_base_dir),
        color: args.output.color,
        stdin_from_terminal: stdin_from_terminal && !args.output.quiet,
        by_request: args.output.by_request,
    })
}

/// Whether an HTML report is written, on standard output or to a file.
pub fn wants_html(stdout: Option<StdoutReport>, reports: &[ReportSpec]) -> bool {
    stdout.is_some_and(|s| s.format == Format::Html)
        || reports.iter().any(|r| r.format == Format::Html)
}

/// Standard output's report and the checks on the output options (`scan` and `report`).
fn stdout_report(args: &OutputArgs) -> anyhow::Result<Option<StdoutReport>> {
    if args.max_hits == Some(0) {
        bail!("--max-hits 0 would show nothing; use --quiet or --summary-only");
    }
    check_reports(&args.reports)?;
    let format = if args.count {
        Format::Count
    } else if args.files_with_hits {
        Format::Files
    } else {
        args.format
    };
    // clap refuses these with -c and -l; the same formats named with --format must not ignore
    // them either, nor the CI formats, which are whole reports.
    if !matches!(format, Format::Human | Format::Jsonl | Format::Json)
        && (args.summary_only || args.no_summary)
    {
        let flag = if args.summary_only {
            "--summary-only"
        } else {
            "--no-summary"
        };
        let what = if matches!(format, Format::Count | Format::Files) {
            "it prints one line per input with hits and never a summary"
        } else {
            "it is a whole report, always with its summary"
        };
        bail!("{flag} cannot be used with --format {format}: {what}");
    }
    let stdout = (!args.quiet).then_some(StdoutReport {
        format,
        show: Show {
            hits: !args.summary_only,
            summary: !args.no_summary,
        },
    });
    Ok(stdout)
}

/// `cbscan report`, resolved: the catalog is extended by the files it reads, so the reports
/// are made by the command, after that.
pub struct ReportConfig {
    /// The saved files (folders walked), each once.
    pub inputs: SavedFiles,
    pub stdout: Option<StdoutReport>,
    pub files: Vec<ReportSpec>,
    pub policy: Policy,
    pub base_dir: PathBuf,
    pub color: ColorChoice,
    pub max_hits: Option<u64>,
    pub by_request: bool,
    pub label_hosts: bool,
}

fn report_config(catalog: &Catalog, args: ReportArgs) -> anyhow::Result<ReportConfig> {
    let filters = &args.filters;
    let refused = [
        ("--category", !filters.categories.is_empty()),
        ("--code", !filters.codes.is_empty()),
        ("--exclude-code", !filters.exclude_codes.is_empty()),
        ("--all-codes", filters.all_codes),
    ];
    if let Some((flag, _)) = refused.iter().find(|(_, given)| *given) {
        bail!(
            "{flag} cannot be used with report: the saved counts were made without it; pass \
             it to the scans that write the JSON lines"
        );
    }
    if let Some(stdin) = args.inputs.iter().find(|p| p.as_os_str() == "-") {
        bail!(
            "{}: report reads saved files twice (once for the codes, once for the hits), so \
             not standard input; save it to a file first",
            stdin.display()
        );
    }
    // The policy is resolved before the saved files are read: a code only they name (a host's
    // own --catalog) is known here only if the same catalog is given.
    let (_, policy) = filter_and_policy(catalog, filters).map_err(|e| {
        anyhow::anyhow!(
            "{e:#} (for a code of a --catalog file the scans used, give report the same \
             --catalog)"
        )
    })?;
    check_base_dir(args.output.base_dir.as_deref())?;
    let stdout = stdout_report(&args.output)?;
    let inputs = saved_files(&args.inputs);
    // `cbscan report x.jsonl --format jsonl >> x.jsonl` would write the report into a file it
    // reads (`scan` refuses its own output too); nothing is read or written then.
    if let (Some(_), Some(id)) = (stdout, FileId::of_stdout()) {
        if let Some(input) = inputs.find_id(id) {
            bail!(
                "{}: standard output writes to this file, which report reads: give report's \
                 output another file",
                input.display()
            );
        }
    }
    Ok(ReportConfig {
        inputs,
        stdout,
        files: args.output.reports,
        policy,
        base_dir: args.output.base_dir.unwrap_or_else(default_base_dir),
        color: args.output.color,
        max_hits: args.output.max_hits,
        by_request: args.output.by_request,
        label_hosts: args.label_hosts,
    })
}

/// `--log-tz`, resolved (an unknown zone is a usage error, named).
pub fn log_tz(args: &crate::args::FieldArgs) -> anyhow::Result<Option<jiff::tz::TimeZone>> {
    args.log_tz
        .as_deref()
        .map(cbscan::fields::parse_time_zone)
        .transpose()
        .map_err(Into::into)
}
