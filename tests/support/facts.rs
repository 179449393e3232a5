//! The catalog facts copied into `tests/data/` (the general-errors table, the WeChat numeric
//! errCode tables), read from their Markdown tables: the independent source the catalog
//! tests compare the built-in catalog with.

use super::read;

/// One row of a Markdown table, as trimmed cells keyed by the header's column names.
#[derive(Debug, Clone)]
pub struct Row {
    header: Vec<String>,
    cells: Vec<String>,
}

impl Row {
    /// The cell under the column whose title starts with `title`.
    pub fn get(&self, title: &str) -> &str {
        let i = self
            .header
            .iter()
            .position(|h| h.starts_with(title))
            .unwrap_or_else(|| panic!("no column {title:?} in {:?}", self.header));
        &self.cells[i]
    }
}

/// Every table in a Markdown file, each as its rows.
pub fn tables(rel: &str) -> Vec<Vec<Row>> {
    let text = String::from_utf8(read(rel)).expect("UTF-8");
    let mut tables = Vec::new();
    let mut header: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if !line.starts_with('|') {
            if header.take().is_some() {
                tables.push(std::mem::take(&mut rows));
            }
            continue;
        }
        let cells: Vec<String> = line
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect();
        match &header {
            None => header = Some(cells),
            Some(_) if cells.iter().all(|c| c.starts_with("---")) => {}
            Some(h) => rows.push(Row {
                header: h.clone(),
                cells,
            }),
        }
    }
    if header.is_some() {
        tables.push(rows);
    }
    tables
}

/// The code in a cell: the first backtick-quoted word (`` `INVALIID_ENV` (sic) ``), or the
/// whole cell.
pub fn unquote(cell: &str) -> &str {
    let cell = cell.trim();
    match cell.strip_prefix('`').and_then(|rest| rest.split_once('`')) {
        Some((code, _)) => code,
        None => cell,
    }
}

/// A table text without the annotations the facts file adds in ASCII parentheses
/// (`… (copy B only)`, `(footnote "1" in some copies)`, `**[tr]**`); the page's own
/// parentheses in its Chinese text are full-width or not preceded by a space.
pub fn bare(cell: &str) -> &str {
    let cell = cell.split(" (").next().unwrap_or(cell);
    cell.split(" **[tr]**").next().unwrap_or(cell).trim()
}

/// Rows 1–44 of the general-errors table: (row number, code, zh), in page order.
pub fn general_errors() -> Vec<(usize, String, String)> {
    let tables = tables("tests/data/general-errors.md");
    assert_eq!(tables.len(), 1, "one table");
    tables[0]
        .iter()
        .filter_map(|row| {
            let number: usize = row.get("#").parse().ok()?;
            Some((
                number,
                unquote(row.get("code")).to_string(),
                row.get("zh").to_string(),
            ))
        })
        .collect()
}

/// A row of the WeChat errCode tables.
#[derive(Debug, Clone)]
pub struct NumberRow {
    pub number: i64,
    /// The Chinese text, `None` where the table has none (`—`). A leading `…` stands for
    /// the domain prefix of the rows above (`SDK 云函数错误：`).
    pub zh: Option<String>,
    /// The string code the SDK maps this number to, if any.
    pub code: Option<String>,
    /// Whether the table lists this number a second time (`-404011 (dup row)`): the first
    /// listing is the one that counts.
    pub duplicate: bool,
}

/// Both WeChat tables: the official one, then the numbers only the SDKs print. Rows whose
/// errCode is not a number (`-40400x`) are left out.
pub fn wechat_numbers() -> Vec<NumberRow> {
    let tables = tables("tests/data/wechat-errcode.md");
    assert_eq!(tables.len(), 2, "the official table and the SDK-only one");
    let mut rows = Vec::new();
    for table in &tables {
        for row in table {
            let cell = row.get("errCode");
            let Ok(number) = cell.split_whitespace().next().unwrap_or("").parse::<i64>() else {
                continue;
            };
            let zh = bare(row.get("zh"));
            let code = unquote(row.get("string code"));
            rows.push(NumberRow {
                number,
                zh: (zh != "—").then(|| zh.to_string()),
                code: (code != "—").then(|| code.to_string()),
                duplicate: cell.contains("dup"),
            });
        }
    }
    rows
}
