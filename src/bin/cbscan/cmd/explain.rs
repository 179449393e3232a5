//! `cbscan explain CODE...`: everything the catalog knows about codes, including the full
//! advice for generic codes that `scan` shortens to one line.

use std::io::Write;

use cbscan::advice::explain;
use cbscan::catalog::Catalog;
use cbscan::policy::did_you_mean;
use cbscan::report::escape::terminal;

use crate::exit;
use crate::terminal::print_error;
use crate::NamedStdout;

/// Catalog text made safe for the terminal (a user's catalog can hold any characters).
fn safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    terminal(text, &mut out);
    out
}

pub fn run(catalog: &Catalog, queries: &[String]) -> anyhow::Result<i32> {
    let mut out = NamedStdout::open();
    let mut status = exit::OK;
    let mut first = true;
    for query in queries {
        let Some(code) = catalog.lookup(query) else {
            // Category ids (`database`) read like words a person would look up; codes that
            // merely start like one would be the wrong answer.
            let message = match catalog.category_index(query.trim()) {
                Some(category) => {
                    let id = safe(&catalog.category(category).id);
                    format!(
                        "{query:?} is a category, not a code; to list its codes, run \
                         `cbscan codes --category {id}`"
                    )
                }
                None => format!("unknown code {query:?}{}", did_you_mean(catalog, query)),
            };
            print_error(&message);
            status = exit::ERROR;
            continue;
        };
        if !first {
            writeln!(out)?;
        }
        first = false;
        for line in explain(catalog, code) {
            writeln!(out, "{}", safe(&line))?;
        }
    }
    out.flush()?;
    Ok(status)
}
