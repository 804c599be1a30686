//! The window's background: runs [`Command`]s (receiver start/stop, database reads, deletes)
//! on a named thread with its own read connection, and forwards committed captures from the
//! store writer. Results go back as [`AppEvent`]s over a bounded channel; a full channel sets
//! the gap flag instead of blocking, and the UI reloads from the database.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;

use super::control::ControlState;
use super::messages::{AppEvent, Command};
use crate::server::{ServerConfig, ServerHandle, serve};
use crate::store::{Reader, Store, StoreEvent, WriterHandle};

/// Wakes the UI (a repaint request) after an event was queued.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// The UI's ends of the channels.
pub struct Channels {
    pub commands: SyncSender<Command>,
    pub events: Receiver<AppEvent>,
    /// Set when an event could not be queued: reload everything.
    pub gap: Arc<AtomicBool>,
    /// Events queued and not yet taken by the UI (the "catching up" indicator).
    pub queued: Arc<AtomicUsize>,
}

impl Channels {
    /// Take the next queued event, if any.
    pub fn try_next(&self) -> Option<AppEvent> {
        let event = self.events.try_recv().ok()?;
        // Never below zero, even if the count and the queue disagree for a moment.
        let _ = self
            .queued
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| Some(n.saturating_sub(1)));
        Some(event)
    }
}

/// Sending side shared by the background threads.
#[derive(Clone)]
pub struct EventSink {
    tx: SyncSender<AppEvent>,
    gap: Arc<AtomicBool>,
    queued: Arc<AtomicUsize>,
    wake: Waker,
}

impl EventSink {
    pub fn send(&self, event: AppEvent) {
        match self.tx.try_send(event) {
            Ok(()) => {
                self.queued.fetch_add(1, Ordering::AcqRel);
            }
            Err(TrySendError::Full(_)) => self.gap.store(true, Ordering::Release),
            Err(TrySendError::Disconnected(_)) => return,
        }
        (self.wake)();
    }
}

/// A pair of channels with nothing behind them: tests play the background themselves.
pub fn detached(capacity: usize) -> (Channels, Receiver<Command>, EventSink) {
    let (commands, command_rx) = sync_channel(capacity);
    let (tx, events) = sync_channel(capacity);
    let gap = Arc::new(AtomicBool::new(false));
    let queued = Arc::new(AtomicUsize::new(0));
    let sink = EventSink {
        tx,
        gap: gap.clone(),
        queued: queued.clone(),
        wake: Arc::new(|| {}),
    };
    (
        Channels {
            commands,
            events,
            gap,
            queued,
        },
        command_rx,
        sink,
    )
}

/// Running background threads; dropping the UI's command sender ends the worker, closing the
/// writer's subscriptions ends the bridge.
pub struct Backend {
    worker: std::sync::Mutex<Option<JoinHandle<()>>>,
    bridge: JoinHandle<()>,
    sink: EventSink,
}

impl Backend {
    pub fn start(
        store: &Store,
        writer: &WriterHandle,
        runtime: tokio::runtime::Handle,
        wake: Waker,
    ) -> std::io::Result<(Self, Channels)> {
        Self::start_with(store, writer, runtime, wake, ControlState::default())
    }

    /// [`Self::start`] with the receiver-control state (rules, filter, maintenance).
    pub fn start_with(
        store: &Store,
        writer: &WriterHandle,
        runtime: tokio::runtime::Handle,
        wake: Waker,
        control: ControlState,
    ) -> std::io::Result<(Self, Channels)> {
        let exports_dir = store
            .path()
            .parent()
            .map_or_else(std::path::PathBuf::new, |d| d.join("exports"));
        let (commands, command_rx) = sync_channel::<Command>(1024);
        let (tx, events) = sync_channel::<AppEvent>(1024);
        let gap = Arc::new(AtomicBool::new(false));
        let queued = Arc::new(AtomicUsize::new(0));
        let sink = EventSink {
            tx,
            gap: gap.clone(),
            queued: queued.clone(),
            wake,
        };

        let mut sub = writer.subscribe(256, None);
        let bridge_sink = sink.clone();
        let live_filter = control.live_filter();
        let bridge_reader = store.reader().ok();
        let bridge_writer = writer.clone();
        let bridge = std::thread::Builder::new()
            .name("ui-store-events".into())
            .spawn(move || {
                while let Some(event) = sub.events.blocking_recv() {
                    if sub.gap.swap(false, Ordering::AcqRel) {
                        bridge_sink.gap.store(true, Ordering::Release);
                    }
                    match event {
                        StoreEvent::Inserted(batch) => {
                            let rows = live_filter.admit(&batch, bridge_reader.as_ref(), &bridge_writer);
                            if !rows.is_empty() {
                                bridge_sink.send(AppEvent::Inserted(rows));
                            }
                        }
                        StoreEvent::Changed => bridge_sink.send(AppEvent::Changed),
                        StoreEvent::WriteFailed(message) => bridge_sink.send(AppEvent::Error(message)),
                    }
                }
            })?;

        let reader = store.reader().map_err(std::io::Error::other)?;
        let writer = writer.clone();
        let worker_sink = sink.clone();
        let worker = std::thread::Builder::new()
            .name("ui-backend".into())
            .spawn(move || {
                let mut state = Worker {
                    reader,
                    writer,
                    runtime,
                    server: None,
                    sink: worker_sink,
                    control,
                    exports_dir,
                    sending: super::send_backend::SendBackend::default(),
                };
                state.control.load_saved_rules(&state.reader, &state.sink);
                while let Ok(cmd) = command_rx.recv() {
                    state.handle(cmd);
                }
                state.sending.shutdown(&state.runtime);
                state.stop_server();
            })?;
        let backend = Backend {
            worker: std::sync::Mutex::new(Some(worker)),
            bridge,
            sink,
        };
        Ok((
            backend,
            Channels {
                commands,
                events,
                gap,
                queued,
            },
        ))
    }

    /// Another sender for results (the render worker uses it).
    pub fn sink(&self) -> EventSink {
        self.sink.clone()
    }

    /// Wait for the worker, which stops the receiver once the UI dropped its command sender.
    pub fn join_worker(&self) {
        let worker = self.worker.lock().ok().and_then(|mut w| w.take());
        if let Some(w) = worker {
            let _ = w.join();
        }
    }

    /// Wait for every thread (after the writer closed its subscriptions).
    pub fn join(self) {
        self.join_worker();
        let _ = self.bridge.join();
    }
}

struct Worker {
    reader: Reader,
    writer: WriterHandle,
    runtime: tokio::runtime::Handle,
    server: Option<ServerHandle>,
    sink: EventSink,
    /// Filter, response rules, retention.
    control: ControlState,
    /// Where "copy as curl" writes bodies that cannot go inline.
    exports_dir: std::path::PathBuf,
    /// Replays, forward mode, test-event runs.
    sending: super::send_backend::SendBackend,
}

impl Worker {
    fn handle(&mut self, cmd: Command) {
        match cmd {
            Command::StartReceiver {
                bind,
                port,
                max_body_bytes,
            } => {
                self.stop_server();
                let config = ServerConfig {
                    bind,
                    port,
                    max_body_bytes,
                };
                let state = crate::server::ReceiverState::new(self.writer.clone(), max_body_bytes)
                    .with_rules(self.control.rules.clone());
                let started = self.runtime.block_on(async {
                    let listener = crate::server::bind(&config).await?;
                    Ok::<_, crate::server::BindError>(serve(listener, state))
                });
                match started {
                    Ok(handle) => {
                        self.sink.send(AppEvent::ReceiverStarted { addr: handle.addr });
                        self.server = Some(handle);
                    }
                    Err(e) => self.sink.send(AppEvent::ReceiverFailed {
                        message: e.to_string(),
                    }),
                }
            }
            Command::StopReceiver => {
                self.stop_server();
                self.sink.send(AppEvent::ReceiverStopped);
            }
            Command::LoadIds => match self.control.reload_ids(&self.reader, &self.writer) {
                Ok(ids) => self.sink.send(AppEvent::Ids(ids)),
                Err(e) => self
                    .sink
                    .send(AppEvent::Error(format!("cannot read the history: {e}"))),
            },
            Command::LoadSummaries(ids) => match self.reader.summaries(&ids) {
                Ok(rows) => self.sink.send(AppEvent::Summaries(rows)),
                Err(e) => self
                    .sink
                    .send(AppEvent::Error(format!("cannot read captures: {e}"))),
            },
            Command::LoadDetail(id) => match self.reader.get(id) {
                Ok(Some(c)) => {
                    let evaluation = self.evaluate(&c);
                    self.sink.send(AppEvent::Detail(Box::new(c)));
                    if let Some(evaluation) = evaluation {
                        self.sink.send(AppEvent::SignatureDetail {
                            id,
                            evaluation: Box::new(evaluation),
                        });
                    }
                }
                Ok(None) => self.sink.send(AppEvent::DetailMissing(id)),
                Err(e) => self
                    .sink
                    .send(AppEvent::Error(format!("cannot read capture {id}: {e}"))),
            },
            Command::Delete(ids) => {
                let n = ids.len();
                let result = self.control.delete(&self.writer, &ids);
                self.after_change(result.map(|_| ()), &format!("cannot delete {n} captures"));
            }
            Command::Control(c) => self.control.handle(c, &self.reader, &self.writer, &self.sink),
            Command::ClearAll => {
                let result = self.control.clear_all(&self.writer);
                self.after_change(result.map(|_| ()), "cannot clear the history");
            }
            Command::LoadProfiles => self.send_profiles(),
            Command::Import(source) => {
                super::files::import_source(&self.runtime, &self.writer, &self.sink, source);
            }
            Command::Export { kind, ids, path } => {
                super::files::export(&self.reader, &self.sink, kind, ids, &path);
            }
            Command::CopyCurl(id) => super::files::copy_curl(&self.reader, &self.sink, id, &self.exports_dir),
            Command::Diff { left, right } => super::files::diff(&self.reader, &self.sink, left, right),
            Command::Subscriptions(action) => {
                let sink = self.sink.clone();
                self.runtime.spawn(subscriptions_request(*action, sink));
            }
            Command::SaveProfile { profile, replace } => {
                let name = profile.name.clone();
                let saved = self.writer.call_blocking(move |conn, _| {
                    crate::store::save_profile(conn, &profile, replace.as_deref())
                });
                match saved {
                    Ok(()) => {
                        self.send_profiles();
                        self.reverify_in_background(format!("profile '{name}' saved; captures re-verified"));
                    }
                    Err(e) => self
                        .sink
                        .send(AppEvent::Error(format!("cannot save profile '{name}': {e}"))),
                }
            }
            Command::RemoveProfile(name) => {
                let n = name.clone();
                match self
                    .writer
                    .call_blocking(move |conn, _| crate::store::remove_profile(conn, &n))
                {
                    Ok(_) => {
                        self.send_profiles();
                        self.reverify_in_background(format!(
                            "profile '{name}' removed; captures re-verified"
                        ));
                    }
                    Err(e) => self
                        .sink
                        .send(AppEvent::Error(format!("cannot remove profile '{name}': {e}"))),
                }
            }
            Command::VerifyWith {
                id,
                scheme,
                secret,
                tolerance_secs,
            } => match self.reader.get(id) {
                Ok(Some(c)) => {
                    let url = c.url();
                    let parts = crate::signature::RequestParts {
                        method: &c.method,
                        url: &url,
                        headers: &c.headers,
                        body: &c.body,
                    };
                    let opts = crate::signature::VerifyOptions {
                        now_unix: Some(c.received_at_us.div_euclid(1_000_000)),
                        tolerance_secs,
                    };
                    let profiles = crate::store::list_profiles(self.reader.connection()).unwrap_or_default();
                    let others: Vec<(&str, &str)> = profiles
                        .iter()
                        .map(|p| (p.name.as_str(), p.secret.as_str()))
                        .collect();
                    let verification =
                        crate::signature::diagnose(&scheme, secret.expose(), &parts, &opts, &others);
                    self.sink.send(AppEvent::VerifyResult {
                        id,
                        verification: Box::new(verification),
                    });
                }
                Ok(None) => self.sink.send(AppEvent::DetailMissing(id)),
                Err(e) => self
                    .sink
                    .send(AppEvent::Error(format!("cannot read capture {id}: {e}"))),
            },
            Command::Send(cmd) => {
                let ctx = super::send_backend::BackendCtx {
                    reader: &self.reader,
                    writer: &self.writer,
                    runtime: &self.runtime,
                    sink: &self.sink,
                    receiver: self.server.as_ref().map(|s| s.addr),
                };
                self.sending.handle(*cmd, &ctx);
            }
        }
    }

    /// The signature verdict of `c` with today's profiles, in full (expected vs received, skew).
    fn evaluate(&self, c: &crate::capture::Capture) -> Option<crate::signature::Evaluation> {
        let profiles = crate::store::list_profiles(self.reader.connection()).ok()?;
        let url = c.url();
        let parts = crate::signature::RequestParts {
            method: &c.method,
            url: &url,
            headers: &c.headers,
            body: &c.body,
        };
        Some(crate::signature::evaluate(
            &profiles,
            &parts,
            &c.path,
            c.received_at_us.div_euclid(1_000_000),
        ))
    }

    fn send_profiles(&self) {
        match crate::store::list_profiles(self.reader.connection()) {
            Ok(p) => self.sink.send(AppEvent::Profiles(p)),
            Err(e) => self
                .sink
                .send(AppEvent::Error(format!("cannot read the profiles: {e}"))),
        }
    }

    /// After a profile change: recompute every stored verdict on the runtime (in chunks, so
    /// ingest goes on), then tell the UI.
    fn reverify_in_background(&self, done: String) {
        let writer = self.writer.clone();
        let sink = self.sink.clone();
        self.runtime.spawn(async move {
            match writer.reverify_all().await {
                Ok(()) => sink.send(AppEvent::Info(done)),
                Err(e) => sink.send(AppEvent::Error(format!("cannot re-verify stored captures: {e}"))),
            }
        });
    }

    fn after_change(&self, result: Result<(), crate::store::StoreError>, what: &str) {
        match result {
            Ok(()) => {
                self.writer.notify_changed();
                self.control.maintenance.compact_soon();
            }
            Err(e) => self.sink.send(AppEvent::Error(format!("{what}: {e}"))),
        }
    }

    fn stop_server(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.stop());
        }
    }
}

/// One subscriptions request on the runtime; after a change the list is read again.
async fn subscriptions_request(action: crate::ui::subscriptions::SubscriptionsAction, sink: EventSink) {
    use crate::subscriptions::{create, delete, list};
    use crate::ui::subscriptions::SubscriptionsAction;
    let api = match action {
        SubscriptionsAction::Refresh(api) => api,
        SubscriptionsAction::Create { api, url, events } => {
            let done = create(&api, &url, &events)
                .await
                .map(|w| format!("webhook {} created", w.id));
            sink.send(AppEvent::SubscriptionsChanged(done.map_err(|e| e.to_string())));
            api
        }
        SubscriptionsAction::Delete { api, id } => {
            let done = delete(&api, &id).await.map(|()| format!("webhook {id} deleted"));
            sink.send(AppEvent::SubscriptionsChanged(done.map_err(|e| e.to_string())));
            api
        }
    };
    let listed = list(&api).await.map_err(|e| e.to_string());
    sink.send(AppEvent::SubscriptionsListed(listed));
}
