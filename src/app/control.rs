//! The window's receiver-control commands, run on the background worker: the list filter,
//! response rules (live and saved in the database), per-path stats and retention. Also the
//! [`LiveFilter`] the store-event bridge uses so that live arrivals respect the filter.

use std::cell::Cell;
use std::sync::{Arc, Mutex};

use super::backend::EventSink;
use super::messages::AppEvent;
use crate::capture::filter::Filter;
use crate::capture::sort::{ListSort, OrderedIds};
use crate::capture::{Capture, CaptureId, Summary};
use crate::server::{LiveRules, RuleSet};
use crate::store::maintenance::{MaintenanceHandle, catch_up_index};
use crate::store::max_id;
use crate::store::retention::{self, RetentionPolicy};
use crate::store::stats::{PathStats, path_stats};
use crate::store::{Reader, StoreError, WriterHandle, filter, kv, order};

/// What the UI asks of the control worker.
#[derive(Debug, Clone, PartialEq)]
pub enum ControlCommand {
    /// Show only captures matching this filter expression (empty: all).
    SetFilter(String),
    /// Order the list so; answered with [`AppEvent::Ids`] in that order.
    SetSort(ListSort),
    /// Answer with these rules from now on, and save them.
    SetRules(RuleSet),
    LoadPathStats,
    SetRetention(RetentionPolicy),
}

/// What comes back.
#[derive(Debug, Clone)]
pub enum ControlEvent {
    /// The ids matching `text`, in the list's order. Live ids above `ids.upto` were not part
    /// of the query: the list keeps those it already has.
    FilterApplied {
        text: String,
        ids: OrderedIds,
    },
    FilterFailed {
        text: String,
        message: String,
    },
    /// The rules in force (sent at start-up with the saved ones, and after a change).
    Rules(RuleSet),
    PathStats(Vec<PathStats>),
}

type SharedFilter = Arc<Mutex<Option<Filter>>>;

/// Captures deleted per writer call.
const DELETE_CHUNK: usize = 1000;

fn get(shared: &SharedFilter) -> Option<Filter> {
    match shared.lock() {
        Ok(f) => f.clone(),
        Err(p) => p.into_inner().clone(),
    }
}

fn put(shared: &SharedFilter, filter: Option<Filter>) {
    match shared.lock() {
        Ok(mut f) => *f = filter,
        Err(p) => *p.into_inner() = filter,
    }
}

/// The worker's side.
#[derive(Clone, Default)]
pub struct ControlState {
    /// The receiver's rules (shared with every receiver the worker starts).
    pub rules: LiveRules,
    pub maintenance: MaintenanceHandle,
    filter: SharedFilter,
    /// The list's order (only the worker uses it).
    sort: Cell<ListSort>,
}

impl ControlState {
    pub fn new(maintenance: MaintenanceHandle) -> Self {
        ControlState {
            maintenance,
            ..ControlState::default()
        }
    }

    /// For the bridge thread: decides which committed captures the list shows.
    pub fn live_filter(&self) -> LiveFilter {
        LiveFilter {
            filter: self.filter.clone(),
        }
    }

    /// Load the rules saved from an earlier run and put them in force.
    pub fn load_saved_rules(&self, reader: &Reader, sink: &EventSink) {
        let text = match kv::get(reader.connection(), kv::RESPONSE_RULES) {
            Ok(Some(t)) => t,
            Ok(None) => return,
            Err(e) => {
                sink.send(AppEvent::Error(format!(
                    "cannot read the saved response rules: {e}"
                )));
                return;
            }
        };
        match RuleSet::from_toml(&text) {
            Ok(set) => {
                self.rules.replace(&set);
                sink.send(AppEvent::Control(ControlEvent::Rules(set)));
            }
            Err(e) => sink.send(AppEvent::Error(format!(
                "the saved response rules are unusable ({e}); answering 200 to everything"
            ))),
        }
    }

    /// Every id the list should hold (all, or those matching the filter) in the list's order.
    /// `upto` goes into the answer: see [`OrderedIds::upto`].
    pub fn load_ids(
        &self,
        reader: &Reader,
        writer: &WriterHandle,
        upto: CaptureId,
    ) -> Result<OrderedIds, StoreError> {
        let f = get(&self.filter);
        if f.as_ref().is_some_and(Filter::uses_search_index) {
            catch_up_index(writer)?;
        }
        order::ordered_ids(reader.connection(), f.as_ref(), self.sort.get(), upto)
    }

    /// [`Self::load_ids`] for a reload that replaces the whole list. Captures committed after
    /// the query reach the list through the bridge; `upto` tells the list which to keep.
    pub fn reload_ids(&self, reader: &Reader, writer: &WriterHandle) -> Result<OrderedIds, StoreError> {
        let upto = max_id(reader.connection());
        self.load_ids(reader, writer, upto)
    }

    pub fn handle(&self, cmd: ControlCommand, reader: &Reader, writer: &WriterHandle, sink: &EventSink) {
        match cmd {
            ControlCommand::SetFilter(text) => self.set_filter(text, reader, writer, sink),
            ControlCommand::SetSort(sort) => {
                self.sort.set(sort);
                // Arrivals during the query reach the list through the bridge: it keeps them.
                let upto = max_id(reader.connection());
                match self.load_ids(reader, writer, upto) {
                    Ok(ids) => sink.send(AppEvent::Ids(ids)),
                    Err(e) => sink.send(AppEvent::Error(format!("cannot sort the list: {e}"))),
                }
            }
            ControlCommand::SetRules(set) => {
                self.rules.replace(&set);
                let toml = set.to_toml();
                match writer.call_blocking(move |conn, _| kv::set(conn, kv::RESPONSE_RULES, &toml)) {
                    Ok(()) => sink.send(AppEvent::Control(ControlEvent::Rules(set))),
                    Err(e) => sink.send(AppEvent::Error(format!(
                        "the rules apply now but could not be saved: {e}"
                    ))),
                }
            }
            ControlCommand::LoadPathStats => match path_stats(reader.connection()) {
                Ok(stats) => sink.send(AppEvent::Control(ControlEvent::PathStats(stats))),
                Err(e) => sink.send(AppEvent::Error(format!("cannot compute stats: {e}"))),
            },
            ControlCommand::SetRetention(policy) => self.maintenance.set_policy(policy),
        }
    }

    /// Delete captures in short writer calls (a big selection never stalls ingest).
    pub fn delete(&self, writer: &WriterHandle, ids: &[CaptureId]) -> Result<usize, StoreError> {
        let mut n = 0;
        for chunk in ids.chunks(DELETE_CHUNK) {
            let chunk: Vec<i64> = chunk.iter().map(|id| id.0).collect();
            n += chunk.len();
            writer.call_blocking(move |conn, _| retention::delete_ids(conn, &chunk))?;
        }
        Ok(n)
    }

    /// Delete every capture received so far, in short writer calls; then the search index is
    /// reset when nothing is left.
    pub fn clear_all(&self, writer: &WriterHandle) -> Result<usize, StoreError> {
        let upto = writer.call_blocking(|conn, _| Ok(max_id(conn)))?.0;
        let mut n = 0;
        loop {
            let deleted = writer
                .call_blocking(move |conn, _| retention::delete_oldest_upto(conn, upto, DELETE_CHUNK))?;
            if deleted == 0 {
                break;
            }
            n += deleted;
        }
        writer.call_blocking(|conn, _| {
            let left: i64 = conn.query_row("SELECT count(*) FROM captures", [], |r| r.get(0))?;
            if left == 0 {
                crate::store::search_index::forget_all(conn)?;
            }
            Ok(())
        })?;
        Ok(n)
    }

    fn set_filter(&self, text: String, reader: &Reader, writer: &WriterHandle, sink: &EventSink) {
        let parsed = match Filter::parse(&text) {
            Ok(f) => f,
            Err(e) => {
                sink.send(AppEvent::Control(ControlEvent::FilterFailed {
                    text,
                    message: e.to_string(),
                }));
                return;
            }
        };
        // Set first, then query: a capture committed after the query's snapshot reaches the
        // list through the bridge, already judged by this filter.
        put(&self.filter, (!parsed.is_empty()).then_some(parsed));
        let upto = max_id(reader.connection());
        match self.load_ids(reader, writer, upto) {
            Ok(ids) => sink.send(AppEvent::Control(ControlEvent::FilterApplied { text, ids })),
            Err(e) => sink.send(AppEvent::Control(ControlEvent::FilterFailed {
                text,
                message: format!("the search failed: {e}"),
            })),
        }
    }
}

/// Judges live arrivals by the list's filter (the bridge thread's side).
#[derive(Clone)]
pub struct LiveFilter {
    filter: SharedFilter,
}

impl LiveFilter {
    /// The summaries of `batch` the list should show. With a filter, the captures are checked
    /// by the same SQL as the full list (after indexing them when the filter needs it).
    pub fn admit(&self, batch: &[Capture], reader: Option<&Reader>, writer: &WriterHandle) -> Vec<Summary> {
        let Some(f) = get(&self.filter) else {
            return batch.iter().map(Summary::of).collect();
        };
        let (Some(reader), Some(lo), Some(hi)) = (
            reader,
            batch.iter().map(|c| c.id).min(),
            batch.iter().map(|c| c.id).max(),
        ) else {
            return Vec::new();
        };
        if f.uses_search_index() && catch_up_index(writer).is_err() {
            return Vec::new();
        }
        let Ok(ids) = filter::matching_in_range(reader.connection(), &f, lo, hi) else {
            return Vec::new();
        };
        batch
            .iter()
            .filter(|c| ids.binary_search(&c.id).is_ok())
            .map(Summary::of)
            .collect()
    }
}

#[cfg(test)]
#[path = "control_tests.rs"]
mod tests;
