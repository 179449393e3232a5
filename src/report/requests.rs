//! `--by-request`: the most affected requests (see [`crate::diagnosis`]) as JSON records and
//! as lines of plain text, for every writer that lists them.

use serde_json::{json, Map, Value};

use super::group;
use crate::catalog::Catalog;
use crate::diagnosis::{RequestEntry, Requests};
use crate::summary::wire::Data;
use crate::text::plural;

/// One request as a JSON object (a JSON-lines `request` record without its `type`):
/// `{"request_id":…,"first_time":…,"codes":[…],"hits":[{"path","line","code"}…],
/// "hit_count":…,"more_hits":…}`.
pub fn request_value(catalog: &Catalog, entry: &RequestEntry) -> Map<String, Value> {
    let hits: Vec<Value> = entry
        .hits
        .iter()
        .map(|hit| {
            json!({
                "path": Data::from_bytes(hit.path.as_bytes()),
                "line": hit.line,
                "code": catalog.code(hit.code).code,
            })
        })
        .collect();
    let codes: Vec<&str> = entry
        .codes
        .iter()
        .map(|&code| catalog.code(code).code.as_str())
        .collect();
    let mut map = Map::new();
    map.insert("request_id".into(), entry.id.clone().into());
    map.insert("first_time".into(), first_time(entry));
    map.insert("codes".into(), codes.into());
    map.insert("hits".into(), hits.into());
    map.insert("hit_count".into(), entry.hit_count.into());
    map.insert("more_hits".into(), entry.more_hits().into());
    map
}

fn first_time(entry: &RequestEntry) -> Value {
    match &entry.first_time {
        Some(time) => time.to_string().into(),
        None => Value::Null,
    }
}

/// What the listing left out, for the summary: `{"listed":…,"not_kept":…,
/// "hits_without_request":…}`.
pub fn requests_note(requests: &Requests) -> Value {
    json!({
        "listed": requests.entries.len(),
        "not_kept": requests.not_kept,
        "hits_without_request": requests.without_request,
    })
}

/// The listing as lines of plain text (log text unescaped: writers escape for their
/// consumer), most affected first.
pub fn request_lines(catalog: &Catalog, requests: &Requests) -> Vec<String> {
    let mut lines = Vec::new();
    for entry in &requests.entries {
        let mut head = format!("request {}", entry.id);
        if let Some(time) = &entry.first_time {
            head.push_str(&format!("  first at {time}"));
        }
        let codes = entry.codes.len() as u64;
        head.push_str(&format!(
            "  {} {}, {} {}",
            group(codes),
            plural(codes, "code", "codes"),
            group(entry.hit_count),
            plural(entry.hit_count, "hit", "hits")
        ));
        lines.push(head);
        let names: Vec<&str> = entry
            .codes
            .iter()
            .map(|&code| catalog.code(code).code.as_str())
            .collect();
        lines.push(format!("  codes: {}", names.join(" → ")));
        for hit in &entry.hits {
            lines.push(format!(
                "  {}:{}: {}",
                hit.path,
                hit.line,
                catalog.code(hit.code).code
            ));
        }
        if entry.more_hits() > 0 {
            lines.push(format!("  and {} more", group(entry.more_hits())));
        }
    }
    if requests.not_kept > 0 {
        lines.push(format!(
            "and {} less affected {} not kept",
            group(requests.not_kept),
            plural(requests.not_kept, "request", "requests")
        ));
    }
    if requests.without_request > 0 {
        lines.push(format!(
            "{} {} without a request id",
            group(requests.without_request),
            plural(requests.without_request, "hit", "hits")
        ));
    }
    lines
}
