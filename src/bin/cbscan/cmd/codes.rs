//! `cbscan codes`: the catalog as a table or as JSON lines, grouped by category.

use std::io::Write;

use cbscan::catalog::{Catalog, CodeId};
use cbscan::policy::resolve_categories;
use cbscan::report::escape::{json_to_writer, terminal};
use cbscan::report::jsonl::code_record;
use unicode_width::UnicodeWidthStr;

use crate::args::CodesFormat;
use crate::exit;
use crate::NamedStdout;

/// Catalog text made safe for the terminal (a user's catalog can hold any characters).
fn safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    terminal(text, &mut out);
    out
}

/// `text` padded with spaces to `width` terminal columns.
fn pad(text: &str, width: usize) -> String {
    format!("{text}{}", " ".repeat(width.saturating_sub(text.width())))
}

pub fn run(catalog: &Catalog, categories: &[String], format: CodesFormat) -> anyhow::Result<i32> {
    let wanted = resolve_categories(catalog, categories)?;
    let mut selected: Vec<CodeId> = (0..catalog.codes().len())
        .filter(|&code| wanted.is_empty() || wanted.contains(&catalog.code(code).category))
        .collect();
    // One block per category, in category order (a user catalog's codes join their
    // category's block); named codes in catalog order, then numeric-only codes closest to
    // zero first, as the WeChat table lists them.
    selected.sort_by_key(|&code| {
        let entry = catalog.code(code);
        (entry.category, entry.number().map(std::cmp::Reverse))
    });
    let mut out = NamedStdout::open();
    match format {
        CodesFormat::Jsonl => {
            for code in selected {
                json_to_writer(&mut out, &code_record(catalog, code))?;
                writeln!(out)?;
            }
        }
        CodesFormat::Table => {
            let rows: Vec<[String; 5]> = selected
                .iter()
                .map(|&code| {
                    let entry = catalog.code(code);
                    let numbers: Vec<String> = entry.numeric.iter().map(i64::to_string).collect();
                    let meaning = entry.meaning();
                    [
                        safe(&entry.code),
                        safe(&catalog.category(entry.category).id),
                        numbers.join(","),
                        if entry.is_generic() { "yes" } else { "" }.to_string(),
                        safe(&meaning),
                    ]
                })
                .collect();
            let width = |i: usize, title: &str| {
                rows.iter()
                    .map(|r| r[i].width())
                    .chain([title.len()])
                    .max()
                    .unwrap_or(0)
            };
            let widths = [
                width(0, "CODE"),
                width(1, "CATEGORY"),
                width(2, "NUMERIC"),
                width(3, "GENERIC"),
            ];
            let titles = ["CODE", "CATEGORY", "NUMERIC", "GENERIC", "MEANING"];
            for row in std::iter::once(titles.map(String::from)).chain(rows) {
                let mut line = String::new();
                for (cell, width) in row.iter().zip(widths) {
                    line.push_str(&pad(cell, width));
                    line.push_str("  ");
                }
                line.push_str(&row[4]);
                writeln!(out, "{}", line.trim_end())?;
            }
        }
    }
    out.flush()?;
    Ok(exit::OK)
}
