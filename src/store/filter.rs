//! A parsed [`Filter`] turned into SQL over `captures` (alias `c`), using the indexes of schema
//! v3 and the `captures_fts` search index. Header terms are checked exactly by `hs_header`
//! (a Rust function registered on the connection) after the index narrowed the candidates.

use rusqlite::functions::FunctionFlags;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension as _, params_from_iter};

use super::rows::{SUMMARY_COLUMNS, incomplete_sql, replayed_sql, summary_from_row};
use super::{StoreError, search_index};
use crate::capture::filter::{Cond, Filter, Flag, StatusMatch, wildcard_match};
use crate::capture::{CaptureId, Summary, Verdict, decode_header_block};

/// A `WHERE` clause and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlFilter {
    pub where_sql: String,
    pub params: Vec<Value>,
}

/// Compile `filter`. `indexed_upto` is the search index's watermark: captures above it are
/// checked for header terms without the index.
pub fn compile(filter: &Filter, indexed_upto: i64) -> SqlFilter {
    let mut params = Vec::new();
    let mut parts = Vec::new();
    for term in &filter.terms {
        let sql = cond_sql(&term.cond, term.negated, indexed_upto, &mut params);
        parts.push(if term.negated {
            format!("NOT coalesce(({sql}), 0)")
        } else {
            sql
        });
    }
    SqlFilter {
        where_sql: if parts.is_empty() {
            "1".into()
        } else {
            parts.join(" AND ")
        },
        params,
    }
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

fn cond_sql(cond: &Cond, negated: bool, indexed_upto: i64, params: &mut Vec<Value>) -> String {
    match cond {
        Cond::Method(methods) => {
            params.extend(methods.iter().cloned().map(Value::Text));
            let sql = format!("c.method IN ({})", placeholders(methods.len()));
            // Spelled as the partial index `captures_method`'s condition, so SQLite can use it.
            if methods.iter().all(|m| m != "POST") {
                format!("({sql} AND c.method <> 'POST')")
            } else {
                sql
            }
        }
        Cond::Path(glob) => {
            params.push(Value::Text(glob.clone()));
            "c.path GLOB ?".into()
        }
        Cond::Event(glob) => {
            params.push(Value::Text(glob.clone()));
            "c.event GLOB ?".into()
        }
        Cond::Verdict(verdicts) => {
            params.extend(verdicts.iter().map(|v| Value::Text(v.as_str().into())));
            let sql = format!("c.verdict IN ({})", placeholders(verdicts.len()));
            // As above, for the partial index `captures_verdict`.
            if verdicts
                .iter()
                .all(|v| matches!(v, Verdict::Invalid | Verdict::NoSecret))
            {
                format!("({sql} AND c.verdict IN ('invalid', 'no_secret'))")
            } else {
                sql
            }
        }
        // Spelled as in the partial index `captures_flagged`, so SQLite can use it.
        Cond::Has(flag) => match flag {
            Flag::Duplicate => "c.duplicate_of IS NOT NULL".into(),
            Flag::OutOfOrder => "c.out_of_order = 1".into(),
            Flag::Test => "c.test = 1".into(),
            Flag::Oversized => "c.oversized = 1".into(),
            Flag::Imported => "c.origin = 'imported'".into(),
            Flag::Replayed => replayed_sql("c"),
            Flag::Incomplete => incomplete_sql("c"),
        },
        Cond::Status(list) => {
            let mut alts = Vec::new();
            for s in list {
                match s {
                    StatusMatch::Code(code) => {
                        params.push(Value::Integer(i64::from(*code)));
                        alts.push("c.status = ?".to_string());
                    }
                    StatusMatch::Class(class) => {
                        let lo = i64::from(*class) * 100;
                        params.push(Value::Integer(lo));
                        params.push(Value::Integer(lo + 99));
                        alts.push("c.status BETWEEN ? AND ?".to_string());
                    }
                    StatusMatch::None => alts.push("c.status IS NULL".to_string()),
                }
            }
            format!("({})", alts.join(" OR "))
        }
        Cond::After(us) => {
            params.push(Value::Integer(*us));
            "c.received_at_us >= ?".into()
        }
        Cond::Before(us) => {
            params.push(Value::Integer(*us));
            "c.received_at_us < ?".into()
        }
        Cond::Header { name, value } => {
            let exact = "hs_header(c.headers, ?, ?)";
            let mut sql = String::new();
            // The index only narrows candidates; it cannot say which rows lack a header.
            if !negated && name.chars().any(char::is_alphanumeric) {
                params.push(Value::Integer(indexed_upto));
                params.push(Value::Text(format!("headers : {}", fts_string(name))));
                sql.push_str(
                    "(c.id > ? OR c.id IN (SELECT rowid FROM captures_fts WHERE captures_fts MATCH ?)) AND ",
                );
            }
            params.push(Value::Text(name.clone()));
            params.push(value.clone().map_or(Value::Null, Value::Text));
            sql.push_str(exact);
            sql
        }
        Cond::Text { text, prefix } => {
            let star = if *prefix { " *" } else { "" };
            params.push(Value::Text(format!("body : {}{star}", fts_string(text))));
            "c.id IN (SELECT rowid FROM captures_fts WHERE captures_fts MATCH ?)".into()
        }
    }
}

/// An FTS5 string: the tokenizer turns it into a phrase.
fn fts_string(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// Register `hs_header(headers, lower_name, value_glob_or_null)` on `conn`.
pub fn register_functions(conn: &Connection) -> Result<(), StoreError> {
    conn.create_scalar_function(
        "hs_header",
        3,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let (rusqlite::types::ValueRef::Blob(block) | rusqlite::types::ValueRef::Text(block)) =
                ctx.get_raw(0)
            else {
                return Ok(false);
            };
            let name: String = ctx.get(1)?;
            let pattern: Option<String> = ctx.get(2)?;
            Ok(header_matches(block, &name, pattern.as_deref()))
        },
    )?;
    Ok(())
}

/// A header named `name` (any case) whose value matches `pattern` (when given).
pub fn header_matches(block: &[u8], name: &str, pattern: Option<&str>) -> bool {
    decode_header_block(block)
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case(name))
        .any(|h| pattern.is_none_or(|p| wildcard_match(p, &h.value_lossy())))
}

/// Ids of captures matching `filter`, oldest first. With `limit`, the newest `limit` of them.
/// Body-text terms see what the search index holds: call [`search_index::catch_up`] first.
pub fn matching_ids(
    conn: &Connection,
    filter: &Filter,
    limit: Option<usize>,
) -> Result<Vec<CaptureId>, StoreError> {
    register_functions(conn)?;
    let compiled = compile(filter, search_index::indexed_upto(conn)?);
    let mut ids = if let Some(n) = limit {
        let sql = format!(
            "SELECT c.id FROM captures c WHERE {} ORDER BY c.id DESC LIMIT {n}",
            compiled.where_sql
        );
        let mut ids = query_ids(conn, &sql, &compiled.params)?;
        ids.reverse();
        ids
    } else {
        let sql = format!(
            "SELECT c.id FROM captures c WHERE {} ORDER BY c.id",
            compiled.where_sql
        );
        query_ids(conn, &sql, &compiled.params)?
    };
    ids.dedup();
    Ok(ids)
}

/// Ids in `lo..=hi` that match (live arrivals in the window).
pub fn matching_in_range(
    conn: &Connection,
    filter: &Filter,
    lo: CaptureId,
    hi: CaptureId,
) -> Result<Vec<CaptureId>, StoreError> {
    register_functions(conn)?;
    let compiled = compile(filter, search_index::indexed_upto(conn)?);
    let sql = format!(
        "SELECT c.id FROM captures c WHERE c.id BETWEEN {} AND {} AND {} ORDER BY c.id",
        lo.0, hi.0, compiled.where_sql
    );
    query_ids(conn, &sql, &compiled.params)
}

/// Summaries of `ids` by primary-key lookups, in id order (sparse, filtered lists).
pub fn summaries_by_id(conn: &Connection, ids: &[CaptureId]) -> Result<Vec<Summary>, StoreError> {
    let sql = format!("SELECT {} FROM captures WHERE id = ?1", *SUMMARY_COLUMNS);
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut sorted: Vec<CaptureId> = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = Vec::with_capacity(sorted.len());
    for id in sorted {
        if let Some(s) = stmt.query_row([id.0], summary_from_row).optional()? {
            out.push(s);
        }
    }
    Ok(out)
}

fn query_ids(conn: &Connection, sql: &str, params: &[Value]) -> Result<Vec<CaptureId>, StoreError> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(params_from_iter(params.iter()), |r| r.get(0).map(CaptureId))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
#[path = "filter_tests.rs"]
pub(crate) mod tests;
