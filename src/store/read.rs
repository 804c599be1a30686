//! Queries on a read connection: lists, single captures, counts and stats.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::StoreError;
use super::rows::{CAPTURE_COLUMNS, SUMMARY_COLUMNS, capture_from_row, summary_from_row};
use crate::capture::{Capture, CaptureId, Summary};

/// A read-only view of the database.
pub struct Reader {
    conn: Connection,
}

/// Totals for `hookscope stats`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct Stats {
    pub captures: u64,
    pub body_bytes: u64,
    pub first_received_at: Option<String>,
    pub last_received_at: Option<String>,
    pub oversized: u64,
    pub imported: u64,
    /// `[method, count]`, most frequent first.
    pub methods: Vec<(String, u64)>,
    /// `[status, count]` of the answers hookscope sent.
    pub statuses: Vec<(u16, u64)>,
    /// `[verdict, count]`.
    pub verdicts: Vec<(String, u64)>,
}

impl Reader {
    pub fn new(conn: Connection) -> Self {
        Reader { conn }
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    pub fn count(&self) -> Result<u64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM captures", [], |r| r.get::<_, i64>(0))? as u64)
    }

    pub fn get(&self, id: CaptureId) -> Result<Option<Capture>, StoreError> {
        let sql = format!("SELECT {CAPTURE_COLUMNS} FROM captures WHERE id = ?1");
        Ok(self.conn.query_row(&sql, [id.0], capture_from_row).optional()?)
    }

    /// Full captures with ids in `ids`, in id order.
    pub fn get_many(&self, ids: &[CaptureId]) -> Result<Vec<Capture>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(c) = self.get(*id)? {
                out.push(c);
            }
        }
        out.sort_by_key(|c| c.id);
        Ok(out)
    }

    /// The newest `limit` summaries, oldest first.
    pub fn latest(&self, limit: usize) -> Result<Vec<Summary>, StoreError> {
        let sql = format!(
            "SELECT {} FROM (SELECT * FROM captures ORDER BY id DESC LIMIT ?1) AS captures ORDER BY id",
            *SUMMARY_COLUMNS
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([limit as i64], summary_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Full captures with id greater than `after`, oldest first, at most `limit`.
    pub fn captures_after(&self, after: CaptureId, limit: usize) -> Result<Vec<Capture>, StoreError> {
        let sql = format!("SELECT {CAPTURE_COLUMNS} FROM captures WHERE id > ?1 ORDER BY id LIMIT ?2");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![after.0, limit as i64], capture_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every id, oldest first (8 bytes per capture: fine for millions).
    pub fn all_ids(&self) -> Result<Vec<CaptureId>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT id FROM captures ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get(0).map(CaptureId))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Summaries for ids (any order in, id order out).
    pub fn summaries(&self, ids: &[CaptureId]) -> Result<Vec<Summary>, StoreError> {
        let Some((lo, hi)) = ids.iter().min().zip(ids.iter().max()) else {
            return Ok(Vec::new());
        };
        if (hi.0 - lo.0) as u64 > 4 * ids.len() as u64 + 64 {
            // Sparse ids (a filtered list): look each up instead of scanning the range.
            return super::filter::summaries_by_id(&self.conn, ids);
        }
        let wanted: std::collections::HashSet<i64> = ids.iter().map(|id| id.0).collect();
        let sql = format!(
            "SELECT {} FROM captures WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
            *SUMMARY_COLUMNS
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut out = Vec::with_capacity(ids.len());
        // Pages of the list are contiguous id runs, so one range scan fetches them.
        for s in stmt.query_map(params![lo.0, hi.0], summary_from_row)? {
            let s = s?;
            if wanted.contains(&s.id.0) {
                out.push(s);
            }
        }
        Ok(out)
    }

    pub fn stats(&self) -> Result<Stats, StoreError> {
        let (captures, body_bytes, first, last, oversized, imported) = self.conn.query_row(
            "SELECT count(*), coalesce(sum(body_len), 0), min(received_at_us), max(received_at_us),
                    coalesce(sum(oversized), 0), coalesce(sum(origin = 'imported'), 0) FROM captures",
            [],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                ))
            },
        )?;
        let group = |col: &str| -> Result<Vec<(rusqlite::types::Value, u64)>, StoreError> {
            let sql = format!(
                "SELECT {col}, count(*) FROM captures WHERE {col} IS NOT NULL GROUP BY {col} ORDER BY 2 DESC, 1"
            );
            let mut stmt = self.conn.prepare(&sql)?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        };
        let text = |v: rusqlite::types::Value| match v {
            rusqlite::types::Value::Text(s) => s,
            rusqlite::types::Value::Integer(i) => i.to_string(),
            _ => String::new(),
        };
        Ok(Stats {
            captures: captures as u64,
            body_bytes: body_bytes as u64,
            first_received_at: first.map(crate::capture::format_rfc3339_us),
            last_received_at: last.map(crate::capture::format_rfc3339_us),
            oversized: oversized as u64,
            imported: imported as u64,
            methods: group("method")?.into_iter().map(|(v, n)| (text(v), n)).collect(),
            statuses: group("status")?
                .into_iter()
                .filter_map(|(v, n)| match v {
                    rusqlite::types::Value::Integer(s) => u16::try_from(s).ok().map(|s| (s, n)),
                    _ => None,
                })
                .collect(),
            verdicts: group("verdict")?.into_iter().map(|(v, n)| (text(v), n)).collect(),
        })
    }
}

/// Delete captures by id; returns how many were deleted.
/// The newest capture id (0 when there are none); one step down the rowid tree.
pub fn max_id(conn: &Connection) -> CaptureId {
    CaptureId(
        conn.query_row("SELECT coalesce(max(id), 0) FROM captures", [], |r| r.get(0))
            .unwrap_or(0),
    )
}

pub fn delete(conn: &Connection, ids: &[CaptureId]) -> Result<usize, StoreError> {
    let mut stmt = conn.prepare_cached("DELETE FROM captures WHERE id = ?1")?;
    let mut n = 0;
    for id in ids {
        n += stmt.execute([id.0])?;
    }
    super::search_index::forget(conn, &ids.iter().map(|id| id.0).collect::<Vec<_>>())?;
    Ok(n)
}

/// Delete every capture; returns how many were deleted.
pub fn clear(conn: &Connection) -> Result<usize, StoreError> {
    let n = conn.execute("DELETE FROM captures", [])?;
    super::search_index::forget_all(conn)?;
    Ok(n)
}
