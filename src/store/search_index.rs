//! The full-text index behind `header:` filters and body-text search (`captures_fts`, FTS5).
//!
//! Indexing is kept out of the insert path so ingest stays cheap: captures are indexed in
//! small batches by the maintenance thread when the writer is not busy, and caught up on
//! demand right before a query that needs the index. `kv['search.indexed_upto']` is the
//! highest indexed id; everything at or below it is in the index.

use rusqlite::{Connection, params};

use super::{StoreError, kv};
use crate::body;
use crate::capture::decode_header_block;

/// `kv` key of the highest indexed capture id.
pub const INDEXED_UPTO: &str = "search.indexed_upto";
/// Body text indexed per capture: the rest of a huge body is not searchable.
pub const MAX_INDEXED_BODY_BYTES: usize = 1024 * 1024;

/// Highest indexed id.
pub fn indexed_upto(conn: &Connection) -> Result<i64, StoreError> {
    Ok(kv::get_i64(conn, INDEXED_UPTO)?.unwrap_or(0))
}

/// Captures not indexed yet (cheap: a rowid range count).
pub fn pending(conn: &Connection) -> Result<u64, StoreError> {
    let upto = indexed_upto(conn)?;
    Ok(
        conn.query_row("SELECT count(*) FROM captures WHERE id > ?1", [upto], |r| {
            r.get::<_, i64>(0)
        })? as u64,
    )
}

/// Index at most `max_rows` captures that are not indexed yet, in one transaction. Returns how
/// many were indexed (0: the index is up to date).
pub fn index_pending(conn: &mut Connection, max_rows: usize) -> Result<usize, StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let upto = indexed_upto(&tx)?;
    let mut last = upto;
    let mut n = 0;
    {
        let mut select =
            tx.prepare_cached("SELECT id, headers, body FROM captures WHERE id > ?1 ORDER BY id LIMIT ?2")?;
        let mut insert =
            tx.prepare_cached("INSERT INTO captures_fts (rowid, headers, body) VALUES (?1, ?2, ?3)")?;
        let mut rows = select.query(params![upto, max_rows as i64])?;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let headers: Vec<u8> = row.get(1)?;
            let raw_body: Vec<u8> = row.get(2)?;
            let (headers_text, body_text) = texts(&headers, &raw_body);
            insert.execute(params![id, headers_text, body_text])?;
            last = id;
            n += 1;
        }
    }
    if n > 0 {
        kv::set_i64(&tx, INDEXED_UPTO, last)?;
    }
    tx.commit()?;
    Ok(n)
}

/// Index everything pending, in batches of `batch` rows (one transaction each).
pub fn catch_up(conn: &mut Connection, batch: usize) -> Result<usize, StoreError> {
    let mut total = 0;
    loop {
        let n = index_pending(conn, batch)?;
        total += n;
        if n < batch {
            return Ok(total);
        }
    }
}

/// What is indexed for one capture: header lines as text, and the body as text (decoded from
/// its `Content-Encoding`, only when it is text, at most [`MAX_INDEXED_BODY_BYTES`]).
fn texts(header_block: &[u8], raw_body: &[u8]) -> (String, String) {
    let headers = decode_header_block(header_block);
    let mut header_text = String::with_capacity(header_block.len());
    for h in &headers {
        header_text.push_str(&h.name);
        header_text.push_str(": ");
        header_text.push_str(&h.value_lossy());
        header_text.push('\n');
    }
    let encoding = headers
        .get("content-encoding")
        .map(str::trim)
        .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("identity"));
    let decoded;
    let bytes = match encoding {
        Some(enc) => {
            decoded = body::decode_content_encoding(Some(enc), raw_body, MAX_INDEXED_BODY_BYTES);
            &decoded.bytes[..]
        }
        None => &raw_body[..raw_body.len().min(MAX_INDEXED_BODY_BYTES)],
    };
    let body_text = if body::looks_binary(bytes) {
        String::new()
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    };
    (header_text, body_text)
}

/// Remove deleted captures from the index (call in the transaction that deletes them). Ids
/// above the watermark were never indexed; the watermark moves down when the newest captures
/// go, so a reused id is indexed afresh.
pub fn forget(conn: &Connection, ids: &[i64]) -> Result<(), StoreError> {
    let upto = indexed_upto(conn)?;
    let mut stmt = conn.prepare_cached("DELETE FROM captures_fts WHERE rowid = ?1")?;
    for id in ids.iter().filter(|id| **id <= upto) {
        stmt.execute([id])?;
    }
    lower_watermark(conn, upto)
}

/// Forget everything (after clearing all captures).
pub fn forget_all(conn: &Connection) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO captures_fts (captures_fts) VALUES ('delete-all')",
        [],
    )?;
    kv::set_i64(conn, INDEXED_UPTO, 0)
}

fn lower_watermark(conn: &Connection, upto: i64) -> Result<(), StoreError> {
    let max: i64 = conn.query_row("SELECT coalesce(max(id), 0) FROM captures", [], |r| r.get(0))?;
    if max < upto {
        kv::set_i64(conn, INDEXED_UPTO, max)?;
    }
    Ok(())
}
