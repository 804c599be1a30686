//! Retention (keep by count, age and size) and compaction.
//!
//! Both run in small steps on the writer's connection (see `maintenance`), so ingest never
//! waits long: one step deletes at most a few hundred captures or frees a few MiB.
//!
//! Compaction. `PRAGMA auto_vacuum = INCREMENTAL` only takes effect when set before the first
//! table exists, so a brand-new database gets it in [`prepare_new_database`]; freed pages are
//! then returned to the file system a bounded number at a time with `PRAGMA
//! incremental_vacuum(N)` (each step is short and runs between insert batches). A database
//! created before that (`auto_vacuum = NONE`) reuses freed pages for new captures but never
//! shrinks; once a large share of it is free and ingest has been idle for a while, it is
//! converted with a single `VACUUM` (the only long operation, done once, when nobody is
//! sending), after which compaction is incremental like for a new database.

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::{StoreError, search_index};

/// How much history to keep; `None` means no limit of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RetentionPolicy {
    /// Keep the newest N captures.
    pub keep_count: Option<u64>,
    /// Keep captures received in the last D days.
    pub keep_days: Option<u32>,
    /// Keep the database's used pages (captures, indexes, search index) under B bytes.
    pub keep_bytes: Option<u64>,
}

impl RetentionPolicy {
    pub fn is_unlimited(&self) -> bool {
        self.keep_count.is_none() && self.keep_days.is_none() && self.keep_bytes.is_none()
    }
}

/// Called on an empty database before the first table is created.
pub fn prepare_new_database(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch("PRAGMA auto_vacuum = INCREMENTAL")?;
    Ok(())
}

/// Delete at most `max_rows` of the oldest captures the policy no longer keeps. Returns how
/// many were deleted (0: the policy holds).
pub fn enforce_step(
    conn: &mut Connection,
    policy: &RetentionPolicy,
    now_us: i64,
    max_rows: usize,
) -> Result<usize, StoreError> {
    let limit = max_rows as i64;
    let mut ids: Vec<i64> = Vec::new();
    if let Some(days) = policy.keep_days {
        let cutoff = now_us.saturating_sub(i64::from(days).saturating_mul(86_400_000_000));
        ids = select_ids(
            conn,
            "SELECT id FROM captures WHERE received_at_us < ?1 ORDER BY received_at_us LIMIT ?2",
            cutoff,
            limit,
        )?;
    }
    if ids.is_empty()
        && let Some(keep) = policy.keep_count
    {
        // The newest id that falls outside the newest `keep`.
        let cutoff: Option<i64> = conn
            .query_row(
                "SELECT id FROM captures ORDER BY id DESC LIMIT 1 OFFSET ?1",
                [i64::try_from(keep).unwrap_or(i64::MAX)],
                |r| r.get(0),
            )
            .ok();
        if let Some(cutoff) = cutoff {
            ids = select_ids(
                conn,
                "SELECT id FROM captures WHERE id <= ?1 ORDER BY id LIMIT ?2",
                cutoff,
                limit,
            )?;
        }
    }
    if ids.is_empty()
        && let Some(budget) = policy.keep_bytes
    {
        let used = used_bytes(conn)?;
        let count: i64 = conn.query_row("SELECT count(*) FROM captures", [], |r| r.get(0))?;
        if used > budget && count > 0 {
            // Delete about as many rows as the excess holds, at least one.
            let per_row = (used / count as u64).max(1);
            let n = ((used - budget).div_ceil(per_row) as i64).clamp(1, limit);
            ids = select_ids(
                conn,
                "SELECT id FROM captures WHERE id > ?1 ORDER BY id LIMIT ?2",
                0,
                n,
            )?;
        }
    }
    if ids.is_empty() {
        return Ok(0);
    }
    delete_ids(conn, &ids)?;
    Ok(ids.len())
}

fn select_ids(conn: &Connection, sql: &str, a: i64, limit: i64) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([a, limit], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Delete captures (and their search-index entries) in one transaction.
pub fn delete_ids(conn: &mut Connection, ids: &[i64]) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    {
        let mut stmt = tx.prepare_cached("DELETE FROM captures WHERE id = ?1")?;
        for id in ids {
            stmt.execute([id])?;
        }
    }
    search_index::forget(&tx, ids)?;
    tx.commit()?;
    Ok(())
}

/// Delete the oldest `batch` captures with ids up to `max_id` (clear-all in steps). Returns
/// how many were deleted; 0 when none are left.
pub fn delete_oldest_upto(conn: &mut Connection, max_id: i64, batch: usize) -> Result<usize, StoreError> {
    let ids = select_ids(
        conn,
        "SELECT id FROM captures WHERE id <= ?1 ORDER BY id LIMIT ?2",
        max_id,
        batch as i64,
    )?;
    if !ids.is_empty() {
        delete_ids(conn, &ids)?;
    }
    Ok(ids.len())
}

/// Bytes of the database in use (pages that are not free).
pub fn used_bytes(conn: &Connection) -> Result<u64, StoreError> {
    let page_size: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    let free: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
    Ok(((pages - free).max(0) * page_size) as u64)
}

/// Free pages waiting to be returned to the file system.
pub fn free_pages(conn: &Connection) -> Result<(i64, i64), StoreError> {
    let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    let free: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
    Ok((free, pages))
}

/// `0` none, `1` full, `2` incremental.
pub fn auto_vacuum_mode(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("PRAGMA auto_vacuum", [], |r| r.get(0))?)
}

/// What one compaction step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compacted {
    /// Nothing to do (or nothing this database can do without a full `VACUUM`).
    Done,
    /// Freed some pages; more remain.
    More,
}

/// One bounded compaction step: return at most `max_pages` free pages to the file system.
/// Only for incremental databases; see the module docs for the others.
pub fn compact_step(conn: &Connection, max_pages: u32) -> Result<Compacted, StoreError> {
    if auto_vacuum_mode(conn)? != 2 {
        return Ok(Compacted::Done);
    }
    let (free, _) = free_pages(conn)?;
    if free == 0 {
        return Ok(Compacted::Done);
    }
    conn.execute_batch(&format!("PRAGMA incremental_vacuum({max_pages})"))?;
    let (left, _) = free_pages(conn)?;
    Ok(if left > 0 && left < free {
        Compacted::More
    } else {
        Compacted::Done
    })
}

/// Whether a non-incremental database has enough free space to be worth one full `VACUUM`.
pub fn needs_full_vacuum(conn: &Connection) -> Result<bool, StoreError> {
    if auto_vacuum_mode(conn)? == 2 {
        return Ok(false);
    }
    let (free, pages) = free_pages(conn)?;
    Ok(free >= 256 && free * 4 >= pages)
}

/// Convert to incremental auto-vacuum and rebuild the file (long: only when idle).
pub fn full_vacuum(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch("PRAGMA auto_vacuum = INCREMENTAL; VACUUM;")?;
    Ok(())
}

#[cfg(test)]
#[path = "retention_tests.rs"]
mod tests;
