//! The "store-writer" thread: the only connection that writes. Captures are committed in
//! batches (group commit) and each sender is answered only after its batch committed, so a
//! request answered 2xx is on disk (WAL) and survives the process being killed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::{Store, StoreError, rows};
use crate::capture::{Capture, CaptureId};

/// Most captures committed in one transaction.
const MAX_BATCH: usize = 512;
/// Queue length between receivers and the writer; senders wait (backpressure) when it is full.
const QUEUE: usize = 4096;

/// Test hook: when set to a number N, the writer's connection may not grow the database past N
/// pages (`PRAGMA max_page_count`), which is how tests simulate a full disk.
pub const MAX_PAGES_ENV: &str = "HOOKSCOPE_TEST_MAX_DB_PAGES";

/// Committed captures, shared with every subscriber.
pub type Batch = Arc<Vec<Capture>>;

/// What subscribers hear from the writer.
#[derive(Debug, Clone)]
pub enum StoreEvent {
    /// New captures, committed, with their ids, in id order.
    Inserted(Batch),
    /// Captures were deleted, cleared or re-analysed: reload what is shown.
    Changed,
    /// A batch could not be committed (disk full, read-only or corrupt file): its requests were
    /// answered 503, not acknowledged. The message says why, in one line.
    WriteFailed(String),
}

/// Lets the writer analyse each capture (signature verdict, duplicates, ordering) inside the
/// transaction that stores it.
pub trait Analyzer: Send {
    /// Called once before each batch is analysed and stored.
    fn begin_batch(&mut self, _conn: &Connection) {}

    fn analyze(&mut self, conn: &Connection, capture: &mut Capture);

    /// Reload what the analysis depends on (signing profiles) after it changed.
    fn refresh(&mut self, _conn: &Connection) {}

    /// Recompute the stored signature verdict of up to `limit` captures with id above `after`;
    /// returns the last id handled (`None`: nothing left).
    fn reverify(
        &mut self,
        _conn: &Connection,
        _after: CaptureId,
        _limit: usize,
    ) -> Result<Option<CaptureId>, String> {
        Ok(None)
    }
}

/// An analyzer that leaves captures as they are.
pub struct NoAnalysis;
impl Analyzer for NoAnalysis {
    fn analyze(&mut self, _: &Connection, _: &mut Capture) {}
}

type Call = Box<dyn FnOnce(&mut Connection, &mut dyn Analyzer) + Send>;

enum Request {
    Insert {
        capture: Box<Capture>,
        done: Option<oneshot::Sender<Result<CaptureId, String>>>,
    },
    Call(Call),
    Stop,
}

/// A receiving end for store events. When the subscriber falls behind, events are not queued
/// without bound: `gap` is set and the subscriber reloads from the database.
pub struct Subscriber {
    pub events: mpsc::Receiver<StoreEvent>,
    pub gap: Arc<AtomicBool>,
}

struct Subscription {
    tx: mpsc::Sender<StoreEvent>,
    gap: Arc<AtomicBool>,
    wake: Option<Box<dyn Fn() + Send + Sync>>,
    /// Whether it hears [`StoreEvent::Inserted`]; a subscriber that only reports failures is
    /// not woken for every committed batch.
    inserts: bool,
}

type Subscriptions = Arc<Mutex<Vec<Subscription>>>;

/// Cloneable handle to the writer thread.
#[derive(Clone)]
pub struct WriterHandle {
    tx: mpsc::Sender<Request>,
    subs: Subscriptions,
}

/// The writer thread; `shutdown` commits what is queued and joins it.
pub struct Writer {
    handle: WriterHandle,
    join: Option<JoinHandle<()>>,
    checkpointer: Option<Checkpointer>,
}

/// After a burst the WAL file keeps its largest size: once ingest is idle it is cut back to
/// nothing when it is larger than this, and under load that never pauses a commit after the WAL
/// starts over cuts it back to this size (`journal_size_limit`).
pub const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// Every this many checkpointer ticks (1 s) the writer looks for other processes' changes.
const FOREIGN_CHECK_TICKS: u32 = 5;

/// How often the checkpointer folds the WAL back into the database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// Copies committed WAL frames into the database file on its own thread and connection
/// (`wal_checkpoint(PASSIVE)` never blocks the writer), so commits never pay for checkpoints.
///
/// Cutting an outgrown WAL file back is not left to `SQLite`'s `journal_size_limit` alone, which
/// does it in the first commit after the WAL starts over: freeing gigabytes of WAL took that
/// commit (and the request waiting on it) ~0.4 s. When a pass finds everything folded back and
/// nothing new since the previous one (ingest is idle) and the file is over [`WAL_SIZE_LIMIT`],
/// the checkpointer asks the writer thread for a `TRUNCATE` checkpoint, so the next commit finds
/// nothing to cut.
struct Checkpointer {
    stop: std::sync::mpsc::SyncSender<()>,
    join: JoinHandle<()>,
}

impl Checkpointer {
    fn start(store: &Store, writer: mpsc::Sender<Request>) -> Result<Self, StoreError> {
        let conn = store.connect_rw()?;
        let wal = super::sidecar(store.path(), "-wal");
        let (stop, stopped) = std::sync::mpsc::sync_channel::<()>(1);
        let join = std::thread::Builder::new()
            .name("store-checkpoint".into())
            .spawn(move || {
                let mut previous_log = -1;
                let mut ticks = 0u32;
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(CHECKPOINT_EVERY)
                {
                    ticks = ticks.wrapping_add(1);
                    if ticks.is_multiple_of(FOREIGN_CHECK_TICKS) {
                        // An empty call: the writer compares the newest id before each call, so
                        // what another process stored or cleared is noticed within a second
                        // even when nothing arrives here.
                        let _ = writer.try_send(Request::Call(Box::new(|_, _| {})));
                    }
                    // Busy or failed checkpoints are retried on the next tick; the WAL keeps the data.
                    let Ok((busy, log, done)) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
                    }) else {
                        continue;
                    };
                    let idle = busy == 0 && log == done && log == previous_log;
                    previous_log = log;
                    let outgrown = std::fs::metadata(&wal).is_ok_and(|m| m.len() > WAL_SIZE_LIMIT as u64);
                    if idle && outgrown {
                        // Queued behind whatever the writer has to do; skipped when its queue is full.
                        let _ = writer.try_send(Request::Call(Box::new(|conn, _| cut_back_wal(conn))));
                    }
                }
            })?;
        Ok(Checkpointer { stop, join })
    }

    fn stop(self) {
        let _ = self.stop.try_send(());
        let _ = self.join.join();
    }
}

/// On the writer's connection: fold back what is left and truncate the WAL file to nothing.
/// Readers in the middle of a read make it busy; then it does nothing and waits for the next
/// idle moment rather than holding up the writer.
fn cut_back_wal(conn: &mut Connection) {
    let _ = conn.busy_timeout(std::time::Duration::ZERO);
    let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    let _ = conn.busy_timeout(super::BUSY_TIMEOUT);
}

impl Writer {
    pub fn start(store: &Store, analyzer: Box<dyn Analyzer>) -> Result<Self, StoreError> {
        let conn = store.connect_rw()?;
        // The checkpointer thread does this work instead of the committing thread, and cuts an
        // outgrown WAL file back as soon as ingest is idle. The limit stays as a backstop for
        // load that never pauses (then a commit after a WAL restart cuts the file back).
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
        if let Some(pages) = std::env::var(MAX_PAGES_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            conn.pragma_update(None, "max_page_count", pages)?;
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        let checkpointer = Checkpointer::start(store, tx.clone())?;
        let subs: Subscriptions = Arc::default();
        let thread_subs = subs.clone();
        let join = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || run(conn, rx, &thread_subs, analyzer))?;
        Ok(Writer {
            handle: WriterHandle { tx, subs },
            join: Some(join),
            checkpointer: Some(checkpointer),
        })
    }

    pub fn handle(&self) -> WriterHandle {
        self.handle.clone()
    }

    /// Commit everything queued so far, then stop the thread.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(c) = self.checkpointer.take() {
            c.stop();
        }
        if let Some(join) = self.join.take() {
            // The writer may already be gone; then there is nothing left to commit.
            let _ = self.handle.tx.blocking_send(Request::Stop);
            let _ = join.join();
            self.handle.close_subscribers();
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if self.join.is_some() && tokio::runtime::Handle::try_current().is_err() {
            self.stop_and_join();
        }
    }
}

impl WriterHandle {
    /// Store a capture; resolves once it is committed.
    pub async fn insert(&self, capture: Capture) -> Result<CaptureId, StoreError> {
        let (done, rx) = oneshot::channel();
        self.tx
            .send(Request::Insert {
                capture: Box::new(capture),
                done: Some(done),
            })
            .await
            .map_err(|_| StoreError::WriterGone)?;
        match rx.await {
            Ok(Ok(id)) => Ok(id),
            Ok(Err(msg)) => Err(StoreError::Write(msg)),
            Err(_) => Err(StoreError::WriterGone),
        }
    }

    /// Run `f` on the writer's connection (profiles, deletes, imports...) and return its result.
    pub async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection, &mut dyn Analyzer) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (done, rx) = oneshot::channel();
        let call: Call = Box::new(move |conn, analyzer| {
            let _ = done.send(f(conn, analyzer));
        });
        self.tx
            .send(Request::Call(call))
            .await
            .map_err(|_| StoreError::WriterGone)?;
        rx.await.map_err(|_| StoreError::WriterGone)?
    }

    /// [`Self::call`] for threads outside the runtime (CLI, tests). Never call on the UI thread.
    pub fn call_blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection, &mut dyn Analyzer) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (done, rx) = oneshot::channel();
        let call: Call = Box::new(move |conn, analyzer| {
            let _ = done.send(f(conn, analyzer));
        });
        self.tx
            .blocking_send(Request::Call(call))
            .map_err(|_| StoreError::WriterGone)?;
        rx.blocking_recv().map_err(|_| StoreError::WriterGone)?
    }

    /// Insert many captures in one transaction: all or nothing (imports).
    pub async fn insert_all(&self, captures: Vec<Capture>) -> Result<Vec<CaptureId>, StoreError> {
        let subs = self.subs.clone();
        self.call(move |conn, analyzer| {
            let mut captures = captures;
            analyzer.begin_batch(conn);
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            for c in &mut captures {
                analyzer.analyze(&tx, c);
                c.id = rows::insert(&tx, c)?;
            }
            tx.commit()?;
            let ids = captures.iter().map(|c| c.id).collect();
            publish(&subs, &StoreEvent::Inserted(Arc::new(captures)));
            Ok(ids)
        })
        .await
    }

    /// Reload the analyzer's inputs (profiles) and recompute every stored verdict, a chunk per
    /// writer call so ingest goes on in between. Subscribers hear `Changed` at the end.
    pub async fn reverify_all(&self) -> Result<(), StoreError> {
        self.call(|conn, analyzer| {
            analyzer.refresh(conn);
            Ok(())
        })
        .await?;
        let mut after = CaptureId(0);
        while let Some(last) = self
            .call(move |conn, analyzer| reverify_in_tx(conn, analyzer, after))
            .await?
        {
            after = last;
        }
        self.notify_changed();
        Ok(())
    }

    /// [`Self::reverify_all`] for threads outside the runtime (CLI, tests).
    pub fn reverify_all_blocking(&self) -> Result<(), StoreError> {
        self.call_blocking(|conn, analyzer| {
            analyzer.refresh(conn);
            Ok(())
        })?;
        let mut after = CaptureId(0);
        while let Some(last) =
            self.call_blocking(move |conn, analyzer| reverify_in_tx(conn, analyzer, after))?
        {
            after = last;
        }
        self.notify_changed();
        Ok(())
    }

    /// Drop every subscription: subscribers see their channel end.
    pub fn close_subscribers(&self) {
        match self.subs.lock() {
            Ok(mut subs) => subs.clear(),
            Err(poisoned) => poisoned.into_inner().clear(),
        }
    }

    /// Tell subscribers that stored captures changed (deleted, cleared, re-analysed).
    pub fn notify_changed(&self) {
        publish(&self.subs, &StoreEvent::Changed);
    }

    /// Subscribe to committed captures. `wake` runs once per delivered event (e.g. to request
    /// a repaint); `capacity` bounds the queue before the subscriber is marked as lagging.
    pub fn subscribe(&self, capacity: usize, wake: Option<Box<dyn Fn() + Send + Sync>>) -> Subscriber {
        self.add_subscriber(capacity, wake, true)
    }

    /// Subscribe to everything but committed captures: `Changed` and `WriteFailed` only.
    pub fn subscribe_failures(&self, capacity: usize) -> Subscriber {
        self.add_subscriber(capacity, None, false)
    }

    fn add_subscriber(
        &self,
        capacity: usize,
        wake: Option<Box<dyn Fn() + Send + Sync>>,
        inserts: bool,
    ) -> Subscriber {
        let (tx, events) = mpsc::channel(capacity.max(1));
        let gap = Arc::new(AtomicBool::new(false));
        let sub = Subscription {
            tx,
            gap: gap.clone(),
            wake,
            inserts,
        };
        match self.subs.lock() {
            Ok(mut subs) => subs.push(sub),
            Err(poisoned) => poisoned.into_inner().push(sub),
        }
        Subscriber { events, gap }
    }
}

fn reverify_in_tx(
    conn: &mut Connection,
    analyzer: &mut dyn Analyzer,
    after: CaptureId,
) -> Result<Option<CaptureId>, StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let last = analyzer
        .reverify(&tx, after, super::analysis::REVERIFY_CHUNK)
        .map_err(StoreError::Write)?;
    tx.commit()?;
    Ok(last)
}

fn publish(subs: &Subscriptions, event: &StoreEvent) {
    let mut subs = match subs.lock() {
        Ok(s) => s,
        Err(poisoned) => poisoned.into_inner(),
    };
    subs.retain(|s| !s.tx.is_closed());
    let inserted = matches!(event, StoreEvent::Inserted(_));
    for s in subs.iter().filter(|s| s.inserts || !inserted) {
        if s.tx.try_send(event.clone()).is_err() {
            s.gap.store(true, Ordering::Release);
        }
        if let Some(wake) = &s.wake {
            wake();
        }
    }
}

fn run(
    mut conn: Connection,
    mut rx: mpsc::Receiver<Request>,
    subs: &Subscriptions,
    mut analyzer: Box<dyn Analyzer>,
) {
    let mut batch: Vec<Pending> = Vec::new();
    // The oldest and newest ids this connection knows of. Ids are handed out as max + 1, so a
    // batch that does not start right after the newest, or either end moving between two calls,
    // means another process inserted, imported, deleted or cleared: subscribers hear `Changed`
    // and read again.
    let mut known = id_span(&conn);
    while let Some(first) = rx.blocking_recv() {
        let mut after: Option<Request> = None;
        match first {
            Request::Insert { capture, done } => {
                batch.push((capture, done));
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(Request::Insert { capture, done }) => batch.push((capture, done)),
                        Ok(other) => {
                            after = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                if let Some((first, last)) = commit_batch(&mut conn, &mut batch, subs, analyzer.as_mut()) {
                    if first.0 == known.1 + 1 {
                        known = (if known.0 == 0 { first.0 } else { known.0 }, last.0);
                    } else {
                        publish(subs, &StoreEvent::Changed);
                        known = id_span(&conn);
                    }
                }
            }
            other => after = Some(other),
        }
        match after {
            Some(Request::Call(f)) => {
                if id_span(&conn) != known {
                    publish(subs, &StoreEvent::Changed);
                }
                f(&mut conn, analyzer.as_mut());
                known = id_span(&conn);
            }
            Some(Request::Stop) => break,
            Some(Request::Insert { .. }) | None => {}
        }
    }
    // Best effort: fold the WAL back into the main file on a clean stop.
    let _ = conn.pragma_update(None, "wal_checkpoint", "TRUNCATE");
}

type Pending = (Box<Capture>, Option<oneshot::Sender<Result<CaptureId, String>>>);

/// Oldest and newest capture ids (0, 0 when there are none).
fn id_span(conn: &Connection) -> (i64, i64) {
    // Two subqueries: each is one step down the rowid tree (min and max in one query scan it).
    conn.prepare_cached(
        "SELECT coalesce((SELECT min(id) FROM captures), 0), coalesce((SELECT max(id) FROM captures), 0)",
    )
    .and_then(|mut s| s.query_row([], |r| Ok((r.get(0)?, r.get(1)?))))
    .unwrap_or((0, 0))
}

/// Commit `batch` and answer its senders; returns the first and last id committed.
fn commit_batch(
    conn: &mut Connection,
    batch: &mut Vec<Pending>,
    subs: &Subscriptions,
    analyzer: &mut dyn Analyzer,
) -> Option<(CaptureId, CaptureId)> {
    let result = (|| -> rusqlite::Result<()> {
        analyzer.begin_batch(conn);
        // The write lock first: the analysis reads before the inserts write, and a deferred
        // transaction whose snapshot another process moved on from fails at the first write
        // (SQLITE_BUSY, without waiting) instead of waiting its turn.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for (c, _) in batch.iter_mut() {
            analyzer.analyze(&tx, c);
            c.id = rows::insert(&tx, c)?;
        }
        tx.commit()
    })();
    match result {
        Ok(()) => {
            let mut committed = Vec::with_capacity(batch.len());
            for (c, done) in batch.drain(..) {
                if let Some(done) = done {
                    let _ = done.send(Ok(c.id));
                }
                committed.push(*c);
            }
            let span = committed.first().zip(committed.last()).map(|(f, l)| (f.id, l.id));
            let has_subs = subs.lock().map_or(true, |s| s.iter().any(|s| s.inserts));
            if has_subs {
                publish(subs, &StoreEvent::Inserted(Arc::new(committed)));
            }
            span
        }
        Err(e) => {
            let msg = format!("could not store the request: {e}");
            let failed = batch.len();
            for (_, done) in batch.drain(..) {
                if let Some(done) = done {
                    let _ = done.send(Err(msg.clone()));
                }
            }
            publish(
                subs,
                &StoreEvent::WriteFailed(format!(
                    "{msg}; {failed} request{} answered 503 and not stored",
                    if failed == 1 { "" } else { "s" }
                )),
            );
            None
        }
    }
}
