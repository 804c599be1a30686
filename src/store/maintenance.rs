//! The "store-maintenance" thread: retention, search indexing and compaction in small steps.
//!
//! Every step is one short call on the writer thread (see [`WriterHandle::call_blocking`]), so
//! it slots in between insert batches: ingest waits at most one step, never a long purge.
//! Indexing backs off while captures pour in (a benchmark or a burst) and catches up after.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::retention::{self, Compacted, RetentionPolicy};
use super::{Store, StoreError, WriterHandle, search_index};
use crate::capture::now_us;

/// Pause between checks when there is nothing to do.
const TICK: Duration = Duration::from_secs(1);
/// Pause between steps while work remains (lets insert batches through).
const BETWEEN_STEPS: Duration = Duration::from_millis(15);
/// Captures deleted per retention step.
const DELETE_BATCH: usize = 500;
/// Captures indexed per search-index step.
const INDEX_BATCH: usize = 250;
/// Pages returned to the file system per compaction step (4 KiB each).
const COMPACT_PAGES: u32 = 2048;
/// Arrivals per second above which indexing waits.
const BUSY_ROWS_PER_SEC: f64 = 300.0;
/// Quiet time before a one-time full `VACUUM` of an old database.
const IDLE_BEFORE_FULL_VACUUM: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
struct State {
    policy: RetentionPolicy,
    stop: bool,
    /// Something changed (policy, deletes): run a round now.
    wake: bool,
    compact: bool,
}

/// Control of the maintenance thread, cloneable.
#[derive(Clone, Default)]
pub struct MaintenanceHandle {
    shared: Arc<(Mutex<State>, Condvar)>,
}

impl MaintenanceHandle {
    fn update(&self, f: impl FnOnce(&mut State)) {
        let (lock, cvar) = &*self.shared;
        match lock.lock() {
            Ok(mut s) => f(&mut s),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
        cvar.notify_all();
    }

    fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        match self.shared.0.lock() {
            Ok(s) => f(&s),
            Err(poisoned) => f(&poisoned.into_inner()),
        }
    }

    pub fn policy(&self) -> RetentionPolicy {
        self.read(|s| s.policy)
    }

    /// Apply a retention policy from now on (enforced at once, in steps).
    pub fn set_policy(&self, policy: RetentionPolicy) {
        self.update(|s| {
            s.policy = policy;
            s.wake = true;
        });
    }

    /// Captures were deleted: compact the database in the background.
    pub fn compact_soon(&self) {
        self.update(|s| {
            s.compact = true;
            s.wake = true;
        });
    }
}

/// The running thread; [`Maintenance::stop`] ends it (call before stopping the writer).
pub struct Maintenance {
    handle: MaintenanceHandle,
    join: Option<JoinHandle<()>>,
}

impl Maintenance {
    pub fn start(store: &Store, writer: WriterHandle, policy: RetentionPolicy) -> Result<Self, StoreError> {
        let handle = MaintenanceHandle::default();
        handle.update(|s| s.policy = policy);
        let reader = store.connect_ro()?;
        let thread_handle = handle.clone();
        let join = std::thread::Builder::new()
            .name("store-maintenance".into())
            .spawn(move || run(&thread_handle, &writer, &reader))?;
        Ok(Maintenance {
            handle,
            join: Some(join),
        })
    }

    pub fn handle(&self) -> MaintenanceHandle {
        self.handle.clone()
    }

    pub fn stop(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        self.handle.update(|s| s.stop = true);
        if let Some(join) = self.join.take() {
            let _ = join.join();
        }
    }
}

impl Drop for Maintenance {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

fn run(handle: &MaintenanceHandle, writer: &WriterHandle, reader: &rusqlite::Connection) {
    let mut last_max = super::read::max_id(reader).0;
    let mut last_check = Instant::now();
    let mut last_arrival = Instant::now();
    let mut more = false;
    let mut compact = false;
    // An old (non-incremental) database may need one full VACUUM once ingest is idle.
    let mut full_vacuum_check = false;
    // Retention deleted captures that nobody was told about yet.
    let mut purged = false;
    loop {
        // Sleep until the next tick, a wake-up or a stop.
        let pause = if more { BETWEEN_STEPS } else { TICK };
        let (lock, cvar) = &*handle.shared;
        let state = {
            let guard = match lock.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            let mut guard = if guard.wake || guard.stop {
                guard
            } else {
                match cvar.wait_timeout(guard, pause) {
                    Ok((g, _)) => g,
                    Err(p) => p.into_inner().0,
                }
            };
            guard.wake = false;
            compact |= std::mem::take(&mut guard.compact);
            (guard.stop, guard.policy)
        };
        let (stop, policy) = state;
        if stop {
            return;
        }
        let now_max = super::read::max_id(reader).0;
        let elapsed = last_check.elapsed().as_secs_f64().max(0.001);
        let rate = (now_max - last_max).max(0) as f64 / elapsed;
        if now_max != last_max {
            last_arrival = Instant::now();
        }
        last_max = now_max;
        last_check = Instant::now();
        let busy = rate > BUSY_ROWS_PER_SEC;

        more = false;
        let mut run_step = || -> Result<bool, StoreError> {
            let mut more = false;
            if !policy.is_unlimited() {
                let deleted = writer.call_blocking(move |conn, _| {
                    retention::enforce_step(conn, &policy, now_us(), DELETE_BATCH)
                })?;
                if deleted > 0 {
                    more = true;
                    purged = true;
                } else if std::mem::take(&mut purged) {
                    // Once per purge, not per step: windows reload their lists.
                    writer.notify_changed();
                }
            }
            if !busy {
                let indexed =
                    writer.call_blocking(|conn, _| search_index::index_pending(conn, INDEX_BATCH))?;
                more |= indexed == INDEX_BATCH;
            }
            Ok(more)
        };
        match run_step() {
            Ok(m) => more = m,
            Err(StoreError::WriterGone) => return,
            // A failed step (disk full, busy) is retried on the next tick.
            Err(_) => {}
        }
        if more && !policy.is_unlimited() {
            compact = true;
        }
        if compact && !more {
            let result = writer.call_blocking(|conn, _| retention::compact_step(conn, COMPACT_PAGES));
            match result {
                Ok(Compacted::More) => more = true,
                Ok(Compacted::Done) => {
                    compact = false;
                    full_vacuum_check = true;
                }
                Err(StoreError::WriterGone) => return,
                Err(_) => compact = false,
            }
        }
        if full_vacuum_check && !more && last_arrival.elapsed() >= IDLE_BEFORE_FULL_VACUUM {
            full_vacuum_check = false;
            let _ = writer.call_blocking(|conn, _| {
                if retention::needs_full_vacuum(conn)? {
                    retention::full_vacuum(conn)?;
                }
                Ok(())
            });
        }
    }
}

/// Index every pending capture now, in short writer calls (before a search that needs it).
pub fn catch_up_index(writer: &WriterHandle) -> Result<usize, StoreError> {
    let mut total = 0;
    loop {
        let n = writer.call_blocking(|conn, _| search_index::index_pending(conn, 1000))?;
        total += n;
        if n < 1000 {
            return Ok(total);
        }
    }
}
