//! `list --filter` and the per-path part of `stats --json`.

use std::path::Path;

use crate::capture::Summary;
use crate::capture::filter::Filter;
use crate::store::stats::{PathStats, path_stats};
use crate::store::{Reader, Stats, Store, filter, search_index};

/// Captures matching `filter`, newest `limit` (all when `None`), oldest first. A filter on
/// headers or body text first brings the search index up to date (in short transactions, so
/// a running receiver keeps going).
pub fn matching_summaries(
    dir: &Path,
    reader: &Reader,
    filter: &Filter,
    limit: Option<usize>,
) -> anyhow::Result<Vec<Summary>> {
    // Filters need schema v3 (indexes, search index): bring an older database up to date.
    let store = Store::open(dir)?;
    if filter.uses_search_index() && search_index::pending(reader.connection())? > 0 {
        let mut conn = store.connect_rw()?;
        search_index::catch_up(&mut conn, 1000)?;
    }
    let ids = filter::matching_ids(reader.connection(), filter, limit)?;
    Ok(filter::summaries_by_id(reader.connection(), &ids)?)
}

/// `stats --json`: the totals plus `"paths": [...]`.
pub fn stats_json(dir: &Path, stats: &Stats) -> anyhow::Result<String> {
    #[derive(serde::Serialize)]
    struct WithPaths<'a> {
        #[serde(flatten)]
        stats: &'a Stats,
        paths: Vec<PathStats>,
    }
    let paths = match Store::open_existing(dir)? {
        Some(store) => path_stats(&store.connect_ro()?)?,
        None => Vec::new(),
    };
    Ok(serde_json::to_string(&WithPaths { stats, paths })?)
}
