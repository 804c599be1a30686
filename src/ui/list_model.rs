//! The request list's model: every id in order (8 bytes each), and a bounded cache of row
//! summaries loaded page by page around what is on screen. Nothing here does IO: missing rows
//! are returned as ids to request.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use crate::capture::{CaptureId, Summary};

/// Most summaries kept in memory; rows far from the viewport are dropped past this.
const MAX_CACHED_ROWS: usize = 20_000;
/// Rows fetched around the viewport so small scrolls need no request.
const PREFETCH_ROWS: usize = 200;

#[derive(Debug, Default)]
pub struct ListModel {
    ids: Vec<CaptureId>,
    rows: HashMap<CaptureId, Summary>,
    requested: HashSet<CaptureId>,
    /// The full id list has arrived at least once.
    pub loaded: bool,
}

impl ListModel {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Every id in the list, oldest first.
    pub fn ids(&self) -> &[CaptureId] {
        &self.ids
    }

    pub fn id_at(&self, index: usize) -> Option<CaptureId> {
        self.ids.get(index).copied()
    }

    pub fn index_of(&self, id: CaptureId) -> Option<usize> {
        self.ids.binary_search(&id).ok()
    }

    pub fn row(&self, id: CaptureId) -> Option<&Summary> {
        self.rows.get(&id)
    }

    pub fn last_id(&self) -> Option<CaptureId> {
        self.ids.last().copied()
    }

    /// Replace every id (start-up or reload after a gap). Cached rows that still exist stay.
    pub fn set_ids(&mut self, mut ids: Vec<CaptureId>) {
        ids.sort_unstable();
        ids.dedup();
        let keep: HashSet<CaptureId> = ids.iter().copied().collect();
        self.rows.retain(|id, _| keep.contains(id));
        self.requested.clear();
        self.ids = ids;
        self.loaded = true;
    }

    /// Replace the ids with a filter's matches. Ids above `upto` (committed after the query
    /// ran) that the list already holds came from live arrivals judged by the same filter and
    /// stay.
    pub fn set_filtered_ids(&mut self, ids: Vec<CaptureId>, upto: CaptureId) {
        let newer: Vec<CaptureId> = self.ids.iter().copied().filter(|id| *id > upto).collect();
        let mut all = ids;
        all.extend(newer);
        self.set_ids(all);
    }

    /// New captures committed by the writer (id order).
    pub fn insert_live(&mut self, summaries: Vec<Summary>) {
        for s in summaries {
            match self.ids.last() {
                Some(last) if *last >= s.id => {
                    if let Err(pos) = self.ids.binary_search(&s.id) {
                        self.ids.insert(pos, s.id);
                    }
                }
                _ => self.ids.push(s.id),
            }
            self.requested.remove(&s.id);
            self.rows.insert(s.id, s);
        }
    }

    /// Rows loaded on request.
    pub fn insert_loaded(&mut self, summaries: Vec<Summary>) {
        for s in summaries {
            self.requested.remove(&s.id);
            self.rows.insert(s.id, s);
        }
    }

    /// Ids in `visible` (plus a margin) that are neither cached nor requested; they are marked
    /// as requested. Also trims the cache when it grew too large.
    pub fn missing_around(&mut self, visible: Range<usize>) -> Vec<CaptureId> {
        let start = visible.start.saturating_sub(PREFETCH_ROWS);
        let end = (visible.end + PREFETCH_ROWS).min(self.ids.len());
        if start >= end {
            return Vec::new();
        }
        let missing: Vec<CaptureId> = self.ids[start..end]
            .iter()
            .filter(|id| !self.rows.contains_key(id) && !self.requested.contains(id))
            .copied()
            .collect();
        self.requested.extend(missing.iter().copied());
        if self.rows.len() > MAX_CACHED_ROWS {
            let (lo, hi) = (self.ids[start], self.ids[end - 1]);
            let span = MAX_CACHED_ROWS / 2;
            let lo_keep = self.ids[start.saturating_sub(span)].min(lo);
            let hi_keep = self.ids[(end - 1 + span).min(self.ids.len() - 1)].max(hi);
            self.rows.retain(|id, _| *id >= lo_keep && *id <= hi_keep);
        }
        missing
    }

    /// A request failed or was dropped: allow asking again.
    pub fn forget_requests(&mut self) {
        self.requested.clear();
    }

    pub fn cached_rows(&self) -> usize {
        self.rows.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{Origin, Verdict};

    fn summary(id: i64) -> Summary {
        Summary {
            id: CaptureId(id),
            received_at_us: id,
            method: "POST".into(),
            target: format!("/{id}"),
            status: Some(200),
            body_len: 1,
            oversized: false,
            origin: Origin::Live,
            scheme: None,
            verdict: Verdict::Unsigned,
            event: None,
            duplicate_of: None,
            out_of_order: false,
            test: false,
        }
    }

    #[test]
    fn missing_rows_are_requested_once() {
        let mut m = ListModel::default();
        m.set_ids((1..=1000).map(CaptureId).collect());
        let first = m.missing_around(0..20);
        assert_eq!(first.len(), 220);
        assert!(m.missing_around(0..20).is_empty(), "already requested");
        m.insert_loaded(first.iter().map(|id| summary(id.0)).collect());
        assert_eq!(m.row(CaptureId(5)).unwrap().target, "/5");
    }

    #[test]
    fn live_inserts_append_and_cache() {
        let mut m = ListModel::default();
        m.set_ids(vec![CaptureId(1), CaptureId(2)]);
        m.insert_live(vec![summary(3), summary(4)]);
        assert_eq!(m.len(), 4);
        assert_eq!(m.last_id(), Some(CaptureId(4)));
        assert!(m.row(CaptureId(4)).is_some());
        // A duplicate delivery of the same batch does not duplicate rows.
        m.insert_live(vec![summary(4)]);
        assert_eq!(m.len(), 4);
    }

    #[test]
    fn cache_stays_bounded_when_scrolling_far() {
        let mut m = ListModel::default();
        m.set_ids((1..=200_000).map(CaptureId).collect());
        for start in (0..200_000).step_by(1000) {
            let ids = m.missing_around(start..start + 40);
            m.insert_loaded(ids.iter().map(|id| summary(id.0)).collect());
        }
        assert!(
            m.cached_rows() <= MAX_CACHED_ROWS + 2 * PREFETCH_ROWS + 40,
            "{}",
            m.cached_rows()
        );
    }
}
