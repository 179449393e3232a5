//! Running the subcommands: builds the catalog, matcher, filters and writers from the parsed
//! command line, runs the library, and decides the exit status.
//!
//! Exit status: 2 if anything went wrong (usage, unreadable input, bad catalog); else 1 if a
//! reported hit matched the `--fail-on` policy; else 0. A closed stdout (`| head`) ends quietly.

use std::collections::HashSet;
use std::io::{self, IsTerminal, Write};
use std::time::Instant;

use anyhow::{bail, Context};
use cbscan::catalog::{Catalog, CodeId};
use cbscan::input::{resolve_inputs, FileId, Source, WalkOptions};
use cbscan::limits::MIN_CHUNK_SIZE;
use cbscan::report::human::HumanWriter;
use cbscan::report::jsonl::{code_record, JsonlWriter};
use cbscan::report::{GENERIC_NOTE_EN, GENERIC_NOTE_ZH};
use cbscan::scan::{CodeFilter, ScanOptions, Scanner, Sink};
use cbscan::{EngineChoice, Matcher, Summary};
use clap::Parser;

use crate::cli::{CatalogArgs, Cli, CodesFormat, CommandArgs, EngineArg, ScanArgs, ScanFormat};
use crate::terminal::{print_error, stdout_writer, use_color, CliSink, Discard, Progress};

/// Exit status: success, nothing matched the failure policy.
pub const EXIT_OK: i32 = 0;
/// Exit status: a reported hit matched the failure policy.
pub const EXIT_HITS: i32 = 1;
/// Exit status: something went wrong.
pub const EXIT_ERROR: i32 = 2;

/// Parses the command line, runs it and returns the exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            hint_scan_for_paths(&e);
            return e.exit_code();
        }
    };
    match run(cli) {
        Ok(status) => status,
        // A closed stdout ends `explain` and `codes` quietly (`scan` decides for itself).
        Err(error) if is_broken_pipe(&error) => EXIT_OK,
        Err(error) => {
            // Library errors already say what caused them; printing the chain would repeat it.
            print_error(&error);
            EXIT_ERROR
        }
    }
}

/// `cbscan app.log` is a common first try: point at `cbscan scan app.log`; and ripgrep users
/// reach for `--json`.
fn hint_scan_for_paths(error: &clap::Error) {
    if error.kind() == clap::error::ErrorKind::UnknownArgument
        && std::env::args_os().any(|arg| arg == "--json")
    {
        print_error(&"hint: for JSON lines, use `--format jsonl`");
        return;
    }
    if error.kind() != clap::error::ErrorKind::InvalidSubcommand {
        return;
    }
    let first = std::env::args_os().nth(1);
    if first.is_some_and(|arg| std::path::Path::new(&arg).exists()) {
        print_error(&"hint: to scan files or folders, run `cbscan scan PATH...`");
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    let catalog = load_catalog(&cli.catalog)?;
    match cli.command {
        CommandArgs::Scan(args) => scan(&catalog, args, cli.threads.unwrap_or(0)),
        CommandArgs::Explain { codes } => explain(&catalog, &codes),
        CommandArgs::Codes { categories, format } => list_codes(&catalog, &categories, format),
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

/// What makes a scan exit 1.
enum FailOn {
    Any,
    Generic,
    Specific,
    Category(usize),
    Code(CodeId),
}

fn parse_fail_on(catalog: &Catalog, values: &[String]) -> anyhow::Result<Vec<FailOn>> {
    if values.is_empty() {
        return Ok(vec![FailOn::Any]);
    }
    let mut policy = Vec::new();
    for value in values {
        match value.as_str() {
            "any" => policy.push(FailOn::Any),
            "none" => {}
            "generic" => policy.push(FailOn::Generic),
            "specific" => policy.push(FailOn::Specific),
            other => {
                if let Some(category) = catalog.category_index(other) {
                    policy.push(FailOn::Category(category));
                } else if let Some(code) = catalog.lookup(other) {
                    policy.push(FailOn::Code(code));
                } else {
                    bail!(
                        "--fail-on {other:?}: not any, none, generic, specific, a category ({}) or a known code{}",
                        category_list(catalog),
                        did_you_mean(catalog, other)
                    );
                }
            }
        }
    }
    Ok(policy)
}

fn fails(policy: &[FailOn], catalog: &Catalog, summary: &Summary) -> bool {
    summary
        .by_code
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .any(|(code, _)| {
            let entry = catalog.code(code);
            policy.iter().any(|rule| match rule {
                FailOn::Any => true,
                FailOn::Generic => entry.is_generic(),
                FailOn::Specific => !entry.is_generic(),
                FailOn::Category(c) => entry.category == *c,
                FailOn::Code(c) => code == *c,
            })
        })
}

fn category_list(catalog: &Catalog) -> String {
    catalog
        .categories()
        .iter()
        .map(|c| c.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn did_you_mean(catalog: &Catalog, query: &str) -> String {
    let close = catalog.suggest(query, 3);
    if close.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", close.join(", "))
    }
}

fn resolve_code(catalog: &Catalog, flag: &str, query: &str) -> anyhow::Result<CodeId> {
    catalog.lookup(query).with_context(|| {
        format!(
            "{flag} {query:?}: unknown code{}",
            did_you_mean(catalog, query)
        )
    })
}

/// The categories named by `--category` options; an unknown name is an error.
fn resolve_categories(catalog: &Catalog, names: &[String]) -> anyhow::Result<HashSet<usize>> {
    names
        .iter()
        .map(|name| {
            catalog.category_index(name).with_context(|| {
                format!(
                    "--category {name:?}: unknown category (known: {})",
                    category_list(catalog)
                )
            })
        })
        .collect()
}

fn build_filter(catalog: &Catalog, args: &ScanArgs) -> anyhow::Result<CodeFilter> {
    let categories = resolve_categories(catalog, &args.categories)?;
    let mut codes = HashSet::new();
    for query in &args.codes {
        codes.insert(resolve_code(catalog, "--code", query)?);
    }
    let mut excluded = HashSet::new();
    for query in &args.exclude_codes {
        excluded.insert(resolve_code(catalog, "--exclude-code", query)?);
    }
    let include_all = categories.is_empty() && codes.is_empty();
    Ok(CodeFilter::only(catalog, |code| {
        let included = include_all
            || codes.contains(&code)
            || categories.contains(&catalog.code(code).category);
        included && !excluded.contains(&code)
    }))
}

fn scan(catalog: &Catalog, args: ScanArgs, threads: usize) -> anyhow::Result<i32> {
    let started = Instant::now();
    let choice = match args.engine {
        EngineArg::Auto => EngineChoice::Auto,
        EngineArg::Words => EngineChoice::Words,
        EngineArg::WordsTeddy => EngineChoice::WordsTeddy,
        EngineArg::General => EngineChoice::General,
    };
    let matcher = Matcher::with_engine(catalog, choice)
        .context("--engine words: this catalog has codes that are not identifier-shaped")?;
    let filter = build_filter(catalog, &args)?;
    let policy = parse_fail_on(catalog, &args.fail_on)?;
    let walk = WalkOptions {
        respect_ignore: args.respect_ignore,
        globs: args.globs.clone(),
        follow_links: args.follow_links,
        threads,
        all_folders: args.all_folders,
    };
    let sources = resolve_inputs(&args.paths, &walk)?;
    if sources.iter().any(|s| matches!(s, Source::Stdin))
        && io::stdin().is_terminal()
        && !args.quiet
    {
        // Like `cat`, but a person who forgot the path should know why nothing happens.
        print_error(&"reading standard input (no path given); end it with Ctrl-D");
    }
    let defaults = ScanOptions::default();
    if let Some(size) = args.chunk_size.filter(|&size| size < MIN_CHUNK_SIZE) {
        bail!("--chunk-size {size}: must be at least {MIN_CHUNK_SIZE} bytes");
    }
    let options = ScanOptions {
        threads,
        chunk_size: args.chunk_size.unwrap_or(defaults.chunk_size),
        chunk_min: args.chunk_min.unwrap_or(defaults.chunk_min),
        collect_hits: !(args.summary_only || args.quiet),
        decompress: !args.no_decompress,
        // Nothing is written with --quiet, so nothing could be read back.
        output: if args.quiet {
            None
        } else {
            FileId::of_stdout()
        },
        ..defaults
    };
    let scanner = Scanner::new(catalog, matcher, filter, options)?;
    let records = !args.summary_only;
    let color = use_color(args.color);
    // `colored` makes its own terminal check; the decision above is the one that counts.
    colored::control::set_override(color);
    let progress = || match args.format {
        ScanFormat::Human if !args.quiet => Progress::for_terminal(records),
        _ => None,
    };
    // Every write, and the last flush, can fail (a full disk): the scan then exits 2 saying so,
    // instead of losing the output's end silently when a buffer is dropped.
    let write_reports = || -> io::Result<Summary> {
        if args.quiet {
            return run_scan(&scanner, sources, &mut Discard, None);
        }
        Ok(match args.format {
            ScanFormat::Jsonl => {
                let mut writer =
                    JsonlWriter::new(stdout_writer(), catalog, scanner.matcher(), records);
                let summary = run_scan(&scanner, sources, &mut writer, None)?;
                unless_closed(if args.no_summary {
                    Sink::flush(&mut writer)
                } else {
                    writer.finish(catalog, &summary, started.elapsed())
                })?;
                drop(writer);
                generic_warning_on_stderr(catalog, &summary);
                summary
            }
            ScanFormat::Human => {
                let mut writer =
                    HumanWriter::new(stdout_writer(), catalog, scanner.matcher(), color);
                let mut discard = Discard;
                let inner: &mut dyn Sink = if records { &mut writer } else { &mut discard };
                let summary = run_scan(&scanner, sources, inner, progress())?;
                if args.no_summary {
                    unless_closed(writer.flush())?;
                    generic_warning_on_stderr(catalog, &summary);
                } else {
                    unless_closed((|| {
                        if records && summary.hits > 0 {
                            writer.blank_line()?;
                        }
                        writer.finish(&summary, started.elapsed())
                    })())?;
                }
                summary
            }
        })
    };
    let summary = write_reports().map_err(output_error)?;
    Ok(if summary.errors > 0 {
        EXIT_ERROR
    } else if fails(&policy, catalog, &summary) {
        EXIT_HITS
    } else {
        EXIT_OK
    })
}

/// An error writing standard output, saying so (the cause stays in the chain, so a closed pipe
/// is still recognised).
fn output_error(error: io::Error) -> anyhow::Error {
    let message = format!("writing standard output: {error}");
    anyhow::Error::new(error).context(message)
}

/// Runs the scan. A closed stdout (`| head`) ends it quietly with what was found until then,
/// so the exit status follows the fail policy either way; any other write error is returned.
fn run_scan(
    scanner: &Scanner,
    sources: Vec<Source>,
    inner: &mut dyn Sink,
    progress: Option<Progress>,
) -> io::Result<Summary> {
    let mut sink = CliSink { inner, progress };
    let end = scanner.scan(sources, &mut sink);
    if let Some(progress) = &sink.progress {
        progress.clear();
    }
    match end.stopped {
        Some(error) if error.kind() != io::ErrorKind::BrokenPipe => Err(error),
        _ => Ok(end.summary),
    }
}

/// A write that found stdout closed is not an error: the reader has what it wanted.
fn unless_closed(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// When the human summary is not printed, the generic-code warning still reaches a person.
fn generic_warning_on_stderr(catalog: &Catalog, summary: &Summary) {
    let generic: Vec<String> = summary
        .codes_by_count()
        .into_iter()
        .filter(|(code, _)| catalog.code(*code).is_generic())
        .map(|(code, count)| format!("{} ({count})", catalog.code(code).code))
        .collect();
    if !generic.is_empty() {
        let _ = writeln!(
            io::stderr().lock(),
            "cbscan: warning: generic error codes seen: {}; do not branch on them (see `cbscan explain {}`)",
            generic.join(", "),
            summary
                .codes_by_count()
                .into_iter()
                .find(|(code, _)| catalog.code(*code).is_generic())
                .map(|(code, _)| catalog.code(code).code.as_str())
                .unwrap_or_default()
        );
    }
}

fn explain(catalog: &Catalog, queries: &[String]) -> anyhow::Result<i32> {
    let mut out = stdout_writer();
    let mut status = EXIT_OK;
    for (i, query) in queries.iter().enumerate() {
        let Some(code) = catalog.lookup(query) else {
            print_error(&format!(
                "unknown code {query:?}{}",
                did_you_mean(catalog, query)
            ));
            status = EXIT_ERROR;
            continue;
        };
        if i > 0 {
            writeln!(out)?;
        }
        let entry = catalog.code(code);
        let category = catalog.category(entry.category);
        writeln!(out, "{}", entry.code)?;
        writeln!(
            out,
            "  category: {} ({} / {})",
            category.id, category.zh, category.en
        )?;
        if !entry.zh.is_empty() {
            writeln!(out, "  zh:       {}", entry.zh)?;
        }
        if !entry.en.is_empty() {
            writeln!(out, "  en:       {}", entry.en)?;
        }
        if !entry.numeric.is_empty() {
            let numbers: Vec<String> = entry.numeric.iter().map(i64::to_string).collect();
            writeln!(out, "  numeric:  {}", numbers.join(", "))?;
        }
        if let Some(notes) = &entry.notes {
            writeln!(out, "  notes:    {notes}")?;
        }
        if let Some(reason) = &entry.generic_reason {
            writeln!(out, "  warning:  generic code: {reason}.")?;
            if entry.code != "SYS_ERR" {
                writeln!(out, "            {GENERIC_NOTE_ZH}")?;
                writeln!(out, "            {GENERIC_NOTE_EN}")?;
            }
        }
    }
    out.flush()?;
    Ok(status)
}

fn list_codes(
    catalog: &Catalog,
    categories: &[String],
    format: CodesFormat,
) -> anyhow::Result<i32> {
    let wanted = resolve_categories(catalog, categories)?;
    let selected: Vec<CodeId> = (0..catalog.codes().len())
        .filter(|&code| wanted.is_empty() || wanted.contains(&catalog.code(code).category))
        .collect();
    let mut out = stdout_writer();
    match format {
        CodesFormat::Jsonl => {
            for code in selected {
                serde_json::to_writer(&mut out, &code_record(catalog, code))?;
                writeln!(out)?;
            }
        }
        CodesFormat::Table => {
            let width = selected
                .iter()
                .map(|&c| catalog.code(c).code.len())
                .max()
                .unwrap_or(4);
            writeln!(
                out,
                "{:<width$}  {:<9}  {:<8}  {:<7}  MEANING",
                "CODE", "CATEGORY", "NUMERIC", "GENERIC"
            )?;
            for code in selected {
                let entry = catalog.code(code);
                let numbers: Vec<String> = entry.numeric.iter().map(i64::to_string).collect();
                writeln!(
                    out,
                    "{:<width$}  {:<9}  {:<8}  {:<7}  {}",
                    entry.code,
                    catalog.category(entry.category).id,
                    numbers.join(","),
                    if entry.is_generic() { "yes" } else { "" },
                    [entry.zh.as_str(), entry.en.as_str()]
                        .into_iter()
                        .filter(|m| !m.is_empty())
                        .collect::<Vec<_>>()
                        .join(" / ")
                )?;
            }
        }
    }
    out.flush()?;
    Ok(EXIT_OK)
}
