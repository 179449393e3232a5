//! `cbscan explain QUERY...`: everything the catalog knows about codes, including the full
//! advice for generic codes that `scan` shortens to one line. A query is a code, a pasted log
//! fragment (every code in it is explained) or words to search names and meanings for (see
//! `cbscan::catalog::search` for how each is told apart and how results rank).

use std::io::Write;

use cbscan::advice::{explain, explain_record};
use cbscan::catalog::search::{resolve, Answer, Found};
use cbscan::catalog::{Catalog, CodeId};
use cbscan::policy::did_you_mean;
use cbscan::report::escape::{json_to_writer, terminal};
use cbscan::Matcher;
use unicode_width::UnicodeWidthStr;

use crate::args::ExplainFormat;
use crate::exit;
use crate::terminal::print_error;
use crate::NamedStdout;

/// Catalog text made safe for the terminal (a user's catalog can hold any characters).
fn safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    terminal(text, &mut out);
    out
}

/// What a query produced: codes to explain in full, or a list of search results.
enum Shown {
    Explained(Vec<CodeId>),
    Listed(Vec<CodeId>),
}

pub fn run(catalog: &Catalog, queries: &[String], format: ExplainFormat) -> anyhow::Result<i32> {
    let matcher = Matcher::new(catalog);
    let mut status = exit::OK;
    let mut answers: Vec<(&str, Answer)> = Vec::new();
    for query in queries {
        // Category ids (`database`) read like words a person would look up, but the answer
        // they want is the category's list, which `codes` prints.
        if catalog.lookup(query).is_none() && catalog.category_index(query.trim()).is_some() {
            print_error(&unknown(catalog, query));
            status = exit::ERROR;
            continue;
        }
        match resolve(catalog, &matcher, query) {
            Some(answer) => answers.push((query, answer)),
            None => {
                print_error(&unknown(catalog, query));
                status = exit::ERROR;
            }
        }
    }
    let mut out = NamedStdout::open();
    match format {
        ExplainFormat::Json => {
            let mut records = Vec::new();
            for (query, answer) in &answers {
                for &(code, found) in &answer.codes {
                    let mut record = explain_record(catalog, code);
                    if let Some(object) = record.as_object_mut() {
                        object.insert("query".into(), (*query).into());
                        object.insert("found".into(), found.as_str().into());
                    }
                    records.push(record);
                }
            }
            json_to_writer(&mut out, &serde_json::Value::Array(records))?;
            writeln!(out)?;
        }
        ExplainFormat::Text => {
            let mut first = true;
            for (query, answer) in answers {
                let codes: Vec<CodeId> = answer.codes.into_iter().map(|(code, _)| code).collect();
                let shown = match answer.found {
                    Found::Exact | Found::Fragment => Shown::Explained(codes),
                    Found::Name | Found::Meaning => Shown::Listed(codes),
                };
                if !first {
                    writeln!(out)?;
                }
                first = false;
                match shown {
                    Shown::Explained(codes) => {
                        for (i, code) in codes.into_iter().enumerate() {
                            if i > 0 {
                                writeln!(out)?;
                            }
                            for line in explain(catalog, code) {
                                writeln!(out, "{}", safe(&line))?;
                            }
                        }
                    }
                    Shown::Listed(codes) => list(&mut out, catalog, query, &codes)?,
                }
            }
        }
    }
    out.flush()?;
    Ok(status)
}

/// Search results: one row per code (name, category, meanings), best first.
fn list(
    out: &mut impl Write,
    catalog: &Catalog,
    query: &str,
    codes: &[CodeId],
) -> anyhow::Result<()> {
    let count = codes.len();
    writeln!(
        out,
        "{count} {} whose name or meaning holds {}:",
        if count == 1 { "code" } else { "codes" },
        safe(&format!("{query:?}"))
    )?;
    let rows: Vec<[String; 3]> = codes
        .iter()
        .map(|&code| {
            let entry = catalog.code(code);
            let meaning = entry.meaning();
            [
                safe(&entry.code),
                safe(&catalog.category(entry.category).id),
                safe(&meaning),
            ]
        })
        .collect();
    let width = |i: usize| rows.iter().map(|r| r[i].width()).max().unwrap_or(0);
    let (code_width, category_width) = (width(0), width(1));
    for [code, category, meaning] in rows {
        let pad = |text: &str, width: usize| {
            format!("{text}{}", " ".repeat(width.saturating_sub(text.width())))
        };
        writeln!(
            out,
            "  {}  {}  {meaning}",
            pad(&code, code_width),
            pad(&category, category_width)
        )?;
    }
    writeln!(out, "`cbscan explain CODE` tells more about one of them.")?;
    Ok(())
}

/// The error for a query that found nothing.
fn unknown(catalog: &Catalog, query: &str) -> String {
    match catalog.category_index(query.trim()) {
        Some(category) => {
            let id = safe(&catalog.category(category).id);
            format!(
                "{query:?} is a category, not a code; to list its codes, run \
                 `cbscan codes --category {id}`"
            )
        }
        None => format!(
            "no code, and no name or meaning holding {query:?}{}",
            did_you_mean(catalog, query)
        ),
    }
}
