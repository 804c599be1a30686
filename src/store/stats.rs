//! Per-path statistics: count, verdicts, response codes, last received. One pass over the
//! covering index `captures_path` (`path, verdict, status, received_at_us`), no table reads.

use std::collections::{BTreeMap, HashMap};

use rusqlite::Connection;
use serde::Serialize;

use super::StoreError;
use crate::capture::format_rfc3339_us;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathStats {
    pub path: String,
    pub count: u64,
    /// Verdict → count (`valid`, `invalid`, `no_secret`, `unsigned`).
    pub verdicts: BTreeMap<String, u64>,
    /// Status code answered → count (`"none"` when no answer was recorded).
    pub statuses: BTreeMap<String, u64>,
    pub last_received_at: String,
    #[serde(skip)]
    pub last_received_at_us: i64,
}

/// Stats for every path, busiest first (ties by path).
pub fn path_stats(conn: &Connection) -> Result<Vec<PathStats>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT path, verdict, status, count(*), max(received_at_us) FROM captures
         GROUP BY path, verdict, status",
    )?;
    let mut by_path: HashMap<String, PathStats> = HashMap::new();
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<i64>>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, i64>(4)?,
        ))
    })?;
    for row in rows {
        let (path, verdict, status, n, last) = row?;
        let n = n as u64;
        let entry = by_path.entry(path.clone()).or_insert_with(|| PathStats {
            path,
            count: 0,
            verdicts: BTreeMap::new(),
            statuses: BTreeMap::new(),
            last_received_at: String::new(),
            last_received_at_us: i64::MIN,
        });
        entry.count += n;
        *entry.verdicts.entry(verdict).or_default() += n;
        let status = status.map_or_else(|| "none".to_string(), |s| s.to_string());
        *entry.statuses.entry(status).or_default() += n;
        entry.last_received_at_us = entry.last_received_at_us.max(last);
    }
    let mut out: Vec<PathStats> = by_path
        .into_values()
        .map(|mut p| {
            p.last_received_at = format_rfc3339_us(p.last_received_at_us);
            p
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.path.cmp(&b.path)));
    Ok(out)
}
