//! The request list's model: every id in list order (8 bytes each), and a bounded cache of row
//! summaries loaded page by page around what is on screen. Nothing here does IO: missing rows
//! are returned as ids to request.
//!
//! In arrival order the ids are ascending and found by binary search. Sorted by a column
//! ([`ListSort`]), the ids come with runs of equal sort value from the store; a row whose
//! summary is cached is found by binary search too (its run, then its id inside the run),
//! anything else by a scan of the ids. Live arrivals are merged into their place in the order,
//! the whole batch in one pass.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use crate::capture::sort::{ListSort, OrderedIds, SortRun, SortValue};
use crate::capture::{CaptureId, Summary};

/// Most summaries kept in memory; rows far from the viewport are dropped past this.
const MAX_CACHED_ROWS: usize = 20_000;
/// Rows fetched around the viewport so small scrolls need no request.
const PREFETCH_ROWS: usize = 200;

#[derive(Debug, Default)]
pub struct ListModel {
    ids: Vec<CaptureId>,
    /// The order of `ids`.
    sort: ListSort,
    /// Runs of equal sort value covering `ids` (empty in arrival order).
    runs: Vec<SortRun>,
    rows: HashMap<CaptureId, Summary>,
    requested: HashSet<CaptureId>,
    /// The full id list has arrived at least once.
    pub loaded: bool,
    /// First row on screen, as last reported by the view.
    anchor: usize,
    /// Rows inserted at or above `anchor` since the view last asked (see [`Self::take_shift`]).
    shift: usize,
    /// Live arrivals since the last reload was asked for ([`Self::reload_requested`]), above
    /// the last answer's `upto`: the ones an answer's snapshot may not hold yet.
    arrived: Vec<CaptureId>,
}

impl ListModel {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Every id in the list, in list order.
    pub fn ids(&self) -> &[CaptureId] {
        &self.ids
    }

    /// The order the ids are in.
    pub fn sort(&self) -> ListSort {
        self.sort
    }

    pub fn id_at(&self, index: usize) -> Option<CaptureId> {
        self.ids.get(index).copied()
    }

    pub fn index_of(&self, id: CaptureId) -> Option<usize> {
        if self.sort.is_arrival() {
            return self.ids.binary_search(&id).ok();
        }
        self.rows
            .get(&id)
            .and_then(|s| self.locate(id, &self.sort.value_of(s)))
            // Not cached, or cached before its value changed: look at every id.
            .or_else(|| self.ids.iter().position(|i| *i == id))
    }

    /// Where `id` sits if its sort value is `value` (sorted lists).
    fn locate(&self, id: CaptureId, value: &SortValue) -> Option<usize> {
        let run = self.run_range(value).ok()?;
        let slice = &self.ids[run.clone()];
        let found = if self.sort.descending {
            slice.binary_search_by(|probe| id.cmp(probe))
        } else {
            slice.binary_search(&id)
        };
        found.ok().map(|i| run.start + i)
    }

    /// The index range of the run holding `value`, or `Err(i)`: the run index where such a run
    /// would be inserted.
    fn run_range(&self, value: &SortValue) -> Result<Range<usize>, usize> {
        let i = self
            .runs
            .binary_search_by(|r| self.sort.cmp_values(&r.value, value))?;
        let start = if i == 0 { 0 } else { self.runs[i - 1].end };
        Ok(start..self.runs[i].end)
    }

    /// Where a new row `(value, id)` goes in the current list (before the row now there).
    fn insertion_point(&self, value: &SortValue, id: CaptureId) -> usize {
        match self.run_range(value) {
            Ok(run) => {
                let slice = &self.ids[run.clone()];
                let desc = self.sort.descending;
                run.start + slice.partition_point(|probe| if desc { *probe > id } else { *probe < id })
            }
            Err(0) => 0,
            Err(i) => self.runs[i - 1].end,
        }
    }

    pub fn row(&self, id: CaptureId) -> Option<&Summary> {
        self.rows.get(&id)
    }

    /// A replay of `id` was sent: flag its cached row (the store says so on the next read).
    pub fn mark_replayed(&mut self, id: CaptureId) {
        if let Some(row) = self.rows.get_mut(&id) {
            row.replayed = true;
        }
    }

    pub fn last_id(&self) -> Option<CaptureId> {
        self.ids.last().copied()
    }

    /// Replace the list (start-up, a reload after a gap, a new filter or order). Ids above
    /// `list.upto` that the list already holds came from live arrivals that raced the query
    /// and stay, placed in the new order. Cached rows that are still listed stay (in a sorted
    /// list: those whose value still matches their place).
    ///
    /// Returns `false` when a kept arrival could not be placed (its summary was dropped from
    /// the cache): the caller should reload.
    pub fn set_ids(&mut self, list: OrderedIds) -> bool {
        let OrderedIds {
            sort,
            mut ids,
            runs,
            upto,
        } = list;
        // Only arrivals since the reload was asked for can be newer than its snapshot: rows the
        // list held before then are either in the answer or gone (deleted, cleared).
        self.arrived.retain(|id| *id > upto);
        let newer = self.arrived.clone();
        self.requested.clear();
        self.loaded = true;
        self.anchor = 0;
        self.shift = 0;
        self.sort = sort;
        let mut complete = true;
        if sort.is_arrival() {
            ids.extend(newer);
            ids.sort_unstable();
            ids.dedup();
            self.ids = ids;
            self.runs = Vec::new();
            let listed = &self.ids;
            self.rows.retain(|id, _| listed.binary_search(id).is_ok());
        } else {
            let present: HashSet<CaptureId> = ids.iter().copied().filter(|id| *id > upto).collect();
            self.ids = ids;
            self.runs = runs;
            let mut kept = Vec::new();
            for id in newer.into_iter().filter(|id| !present.contains(id)) {
                match self.rows.remove(&id) {
                    Some(s) => kept.push(s),
                    None => complete = false,
                }
            }
            let stale: Vec<CaptureId> = self
                .rows
                .iter()
                .filter(|(id, s)| self.locate(**id, &sort.value_of(s)).is_none())
                .map(|(id, _)| *id)
                .collect();
            for id in stale {
                self.rows.remove(&id);
            }
            self.insert_live(kept);
        }
        complete
    }

    /// New captures committed by the writer (id order): appended in arrival order, merged into
    /// their place when sorted.
    pub fn insert_live(&mut self, summaries: Vec<Summary>) {
        self.arrived.extend(summaries.iter().map(|s| s.id));
        if !self.sort.is_arrival() {
            self.merge_sorted(summaries);
            return;
        }
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

    /// Insert `summaries` into a sorted list in one pass over the ids.
    fn merge_sorted(&mut self, summaries: Vec<Summary>) {
        let sort = self.sort;
        let mut new: Vec<(SortValue, CaptureId)> = Vec::with_capacity(summaries.len());
        for s in summaries {
            let value = sort.value_of(&s);
            if self.locate(s.id, &value).is_none() {
                new.push((value, s.id));
            }
            self.requested.remove(&s.id);
            self.rows.insert(s.id, s);
        }
        if new.is_empty() {
            return;
        }
        new.sort_by(|a, b| sort.cmp_rows((&a.0, a.1), (&b.0, b.1)));
        new.dedup_by_key(|e| e.1);
        let points: Vec<usize> = new.iter().map(|(v, id)| self.insertion_point(v, *id)).collect();
        if self.anchor > 0 {
            self.shift += points.iter().filter(|p| **p <= self.anchor).count();
        }
        // Back to front: each old row moves once, by the number of new rows before it.
        let old_len = self.ids.len();
        self.ids.resize(old_len + new.len(), CaptureId::default());
        let mut src_end = old_len;
        for (j, (point, (_, id))) in points.iter().zip(&new).enumerate().rev() {
            self.ids.copy_within(*point..src_end, point + j + 1);
            self.ids[point + j] = *id;
            src_end = *point;
        }
        self.merge_runs(&new);
    }

    /// Add one row per entry of `new` (in list order) to the runs.
    fn merge_runs(&mut self, new: &[(SortValue, CaptureId)]) {
        let sort = self.sort;
        let mut lens: Vec<(SortValue, usize)> = Vec::with_capacity(self.runs.len() + 1);
        let push = |lens: &mut Vec<(SortValue, usize)>, value: &SortValue| match lens.last_mut() {
            Some((v, n)) if v == value => *n += 1,
            _ => lens.push((value.clone(), 1)),
        };
        let mut incoming = new.iter().map(|(v, _)| v).peekable();
        let mut start = 0;
        for run in std::mem::take(&mut self.runs) {
            while let Some(v) = incoming.next_if(|v| sort.cmp_values(v, &run.value).is_lt()) {
                push(&mut lens, v);
            }
            let mut len = run.end - start;
            start = run.end;
            while incoming.next_if(|v| **v == run.value).is_some() {
                len += 1;
            }
            lens.push((run.value, len));
        }
        for v in incoming {
            push(&mut lens, v);
        }
        let mut end = 0;
        self.runs = lens
            .into_iter()
            .map(|(value, len)| {
                end += len;
                SortRun { value, end }
            })
            .collect();
    }

    /// Rows loaded on request.
    pub fn insert_loaded(&mut self, summaries: Vec<Summary>) {
        for s in summaries {
            self.requested.remove(&s.id);
            self.rows.insert(s.id, s);
        }
    }

    /// Ids in `visible` (plus a margin) that are neither cached nor requested; they are marked
    /// as requested. Also remembers the first visible row (see [`Self::take_shift`]) and trims
    /// the cache when it grew too large.
    pub fn missing_around(&mut self, visible: Range<usize>) -> Vec<CaptureId> {
        self.anchor = visible.start;
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
            // Keep the rows within a quarter of the budget on either side of the viewport.
            let span = MAX_CACHED_ROWS / 4;
            let window = &self.ids[start.saturating_sub(span)..(end + span).min(self.ids.len())];
            let keep: HashSet<CaptureId> = window.iter().copied().collect();
            self.rows.retain(|id, _| keep.contains(id));
        }
        missing
    }

    /// Rows inserted at or above the first visible row since the last call: the view scrolls
    /// down by as many so that what is on screen stays put while a sorted list grows.
    pub fn take_shift(&mut self) -> usize {
        std::mem::take(&mut self.shift)
    }

    /// A request failed or was dropped: allow asking again.
    /// A new id list was asked for (reload, filter, order): what arrived before is in its
    /// answer unless it was deleted since.
    pub fn reload_requested(&mut self) {
        self.arrived.clear();
    }

    pub fn forget_requests(&mut self) {
        self.requested.clear();
    }

    pub fn cached_rows(&self) -> usize {
        self.rows.len()
    }
}

#[cfg(test)]
#[path = "list_model_tests.rs"]
mod tests;
