//! Forward mode: every capture is also sent to a target once it is committed (like
//! `stripe listen --forward-to`).
//!
//! The forwarder listens to the writer's committed batches through a bounded subscription. It
//! never slows the receiver: the writer only `try_send`s to it, sends run with a concurrency
//! cap, and captures wait for a send slot in a queue bounded by body bytes. When the target is
//! too slow to keep up, the captures that do not fit are reported as not forwarded
//! (drop-to-gap) instead of queueing without bound.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::Cancel;
use super::attempt::{Attempt, AttemptKind, FailureKind, SendFailure};
use super::client::{Client, ClientConfig};
use super::replay::{PathSource, ReplayPlan, build};
use crate::capture::{Capture, CaptureId, HeaderList, now_us};
use crate::store::outgoing::{NewAttempt, save_attempt};
use crate::store::{StoreEvent, Subscriber, WriterHandle};

/// Committed batches queued for the forwarder before it is considered lagging.
pub const QUEUE_BATCHES: usize = 256;
/// Default body bytes of the captures waiting for a send slot; past it captures are skipped
/// (a gap).
pub const PENDING_BYTES: usize = 64 * 1024 * 1024;
/// Captures waiting for a send slot, whatever their size.
pub const PENDING_CAPTURES: usize = 10_000;
/// How long sends in flight may take to finish once forwarding stops.
const FINISH_IN_FLIGHT: Duration = Duration::from_secs(3);
/// Default number of forwards in flight.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// Where and how to forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardConfig {
    pub target: String,
    pub path: PathSource,
    pub client: ClientConfig,
    pub concurrency: usize,
    /// Body bytes of the captures waiting for a send slot before captures are skipped.
    pub queue_bytes: usize,
}

impl ForwardConfig {
    pub fn new(target: impl Into<String>) -> Self {
        ForwardConfig {
            target: target.into(),
            path: PathSource::Auto,
            client: ClientConfig::default(),
            concurrency: DEFAULT_CONCURRENCY,
            queue_bytes: PENDING_BYTES,
        }
    }
}

/// What the forwarder reports about each capture.
#[derive(Debug, Clone)]
pub enum ForwardEvent {
    Sent {
        capture: CaptureId,
        attempt: Box<Attempt>,
    },
    /// Captures that were not forwarded because the forwarder fell behind.
    Skipped { after: CaptureId, before: CaptureId },
    /// Forwarding stopped with this many captures still queued or in flight (not forwarded,
    /// no attempt stored).
    Abandoned { count: usize },
}

/// Called for every forward event; must not block.
pub type ForwardSink = Arc<dyn Fn(ForwardEvent) + Send + Sync>;

/// Counters, readable while running.
#[derive(Debug, Default)]
pub struct ForwardStats {
    pub sent: AtomicU64,
    pub succeeded: AtomicU64,
    pub skipped_gaps: AtomicU64,
}

/// A running forwarder; `stop` ends it.
pub struct Forwarder {
    pub config: ForwardConfig,
    pub stats: Arc<ForwardStats>,
    cancel: Cancel,
    task: tokio::task::JoinHandle<()>,
}

impl Forwarder {
    /// Start forwarding what `writer` commits from now on.
    pub fn start(
        runtime: &tokio::runtime::Handle,
        writer: &WriterHandle,
        config: ForwardConfig,
        sink: Option<ForwardSink>,
    ) -> Self {
        let sub = writer.subscribe(QUEUE_BATCHES, None);
        let cancel = Cancel::new();
        let stats = Arc::new(ForwardStats::default());
        let task = runtime.spawn(forward_loop(
            sub,
            writer.clone(),
            config.clone(),
            sink,
            cancel.clone(),
            stats.clone(),
        ));
        Forwarder {
            config,
            stats,
            cancel,
            task,
        }
    }

    /// Stop: no new forwards; sends in flight get a few seconds to finish.
    pub async fn stop(self) {
        self.cancel.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
    }

    /// Ask it to stop without waiting.
    pub fn request_stop(&self) {
        self.cancel.cancel();
    }
}

/// Does `target` point at the receiver listening on `listening` (forwarding there would loop)?
/// The host is read as the resolver reads it: `127.1`, `0x7f.0.0.1`, `2130706433` and
/// `[::ffff:127.0.0.1]` are all 127.0.0.1, and any `*.localhost` name is this machine.
pub fn points_at(target: &str, listening: std::net::SocketAddr) -> bool {
    use std::net::IpAddr;
    let Ok(t) = super::request::parse_target(target) else {
        return false;
    };
    if t.https || t.port != listening.port() {
        return false;
    }
    let name = t.host.trim_end_matches('.').to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") {
        return true;
    }
    let spelled = if t.host.contains(':') {
        format!("http://[{}]/", t.host)
    } else {
        format!("http://{}/", t.host)
    };
    let normal = reqwest::Url::parse(&spelled).ok().and_then(|u| {
        u.host_str()
            .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_owned())
    });
    let ip = match normal.and_then(|h| h.parse::<IpAddr>().ok()) {
        Some(IpAddr::V6(v6)) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        Some(ip) => ip,
        None => return false,
    };
    ip.is_loopback() || ip.is_unspecified() || ip == listening.ip()
}

/// Captures waiting for a free send slot, bounded by body bytes, so a target that never answers
/// cannot make the forwarder hold every body that arrives meanwhile. Each entry owns its capture
/// (taken from the committed batch when no one else holds it, copied otherwise): an entry never
/// keeps a whole batch, bodies that were skipped included, alive.
struct Pending {
    items: VecDeque<Capture>,
    bytes: usize,
    limit: usize,
}

impl Pending {
    /// Queue `capture` unless that would pass the bound (an empty queue takes any one). While
    /// captures are being skipped (`gap_open`), the queue first drains to half the bound, so a
    /// target that is too slow gives a few long gaps, not one per capture.
    fn offer(&mut self, capture: std::borrow::Cow<'_, Capture>, gap_open: bool) -> bool {
        let size = capture.body.len();
        let (limit, count) = if gap_open {
            (self.limit / 2, PENDING_CAPTURES / 2)
        } else {
            (self.limit, PENDING_CAPTURES)
        };
        if !self.items.is_empty() && (self.bytes + size > limit || self.items.len() >= count) {
            return false;
        }
        self.bytes += size;
        self.items.push_back(capture.into_owned());
        true
    }

    fn pop(&mut self) -> Option<Capture> {
        let capture = self.items.pop_front()?;
        self.bytes -= capture.body.len();
        Some(capture)
    }
}

async fn forward_loop(
    mut sub: Subscriber,
    writer: WriterHandle,
    config: ForwardConfig,
    sink: Option<ForwardSink>,
    cancel: Cancel,
    stats: Arc<ForwardStats>,
) {
    let client = Client::new(config.client);
    let semaphore = Arc::new(Semaphore::new(config.concurrency.max(1)));
    // Bodies in flight (in KiB; each send holds its body a few times over): a quarter of the
    // queue's bound. A send larger than all of it still goes, alone.
    let budget = u32::try_from(config.queue_bytes / 4 / 1024)
        .unwrap_or(u32::MAX)
        .max(1);
    let in_flight = Arc::new(Semaphore::new(budget as usize));
    let config = Arc::new(config);
    let mut tasks = JoinSet::new();
    let mut pending = Pending {
        items: VecDeque::new(),
        bytes: 0,
        limit: config.queue_bytes,
    };
    // The last capture seen, and while captures are being dropped, the last one queued first.
    let mut last = CaptureId(0);
    let mut dropping_after: Option<CaptureId> = None;
    let skipped = |after: CaptureId, before: CaptureId| {
        stats.skipped_gaps.fetch_add(1, Ordering::Relaxed);
        if let Some(s) = &sink {
            s(ForwardEvent::Skipped { after, before });
        }
    };
    loop {
        // Reap finished sends so the set stays small.
        while tasks.try_join_next().is_some() {}
        let need = pending.items.front().map(|c| {
            u32::try_from(c.body.len().div_ceil(1024))
                .unwrap_or(u32::MAX)
                .clamp(1, budget)
        });
        let event = tokio::select! {
            () = cancel.cancelled() => break,
            permits = async {
                let send = semaphore.clone().acquire_owned().await;
                let bytes = in_flight.clone().acquire_many_owned(need.unwrap_or(1)).await;
                (send, bytes)
            }, if need.is_some() => {
                let ((Ok(send), Ok(bytes)), Some(capture)) = (permits, pending.pop()) else { break };
                let (client, config, writer, sink, stats) = (
                    client.clone(),
                    config.clone(),
                    writer.clone(),
                    sink.clone(),
                    stats.clone(),
                );
                tasks.spawn(async move {
                    let attempt = forward_one(&client, &config, &capture).await;
                    drop((send, bytes));
                    record(&capture, attempt, &writer, sink.as_ref(), &stats).await;
                });
                continue;
            }
            e = sub.events.recv() => e,
        };
        let Some(event) = event else { break };
        let StoreEvent::Inserted(batch) = event else {
            continue;
        };
        // Batches the subscription dropped and captures the queue turns away make one gap.
        if sub.gap.swap(false, Ordering::AcqRel) {
            dropping_after.get_or_insert(last);
        }
        let mut offer = |capture: std::borrow::Cow<'_, Capture>| {
            let id = capture.id;
            if pending.offer(capture, dropping_after.is_some()) {
                if let Some(after) = dropping_after.take() {
                    skipped(after, id);
                }
            } else if dropping_after.is_none() {
                dropping_after = Some(last);
            }
            last = id;
        };
        match Arc::try_unwrap(batch) {
            Ok(captures) => captures
                .into_iter()
                .for_each(|c| offer(std::borrow::Cow::Owned(c))),
            Err(shared) => shared.iter().for_each(|c| offer(std::borrow::Cow::Borrowed(c))),
        }
    }
    if let Some(after) = dropping_after {
        skipped(after, CaptureId(last.0 + 1));
    }
    // Sends in flight get a moment to finish; what is still queued is counted, not lost
    // silently.
    let mut abandoned = pending.items.len();
    drop(pending);
    let _ = tokio::time::timeout(FINISH_IN_FLIGHT, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    abandoned += tasks.len();
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    while let Ok(event) = sub.events.try_recv() {
        if let StoreEvent::Inserted(batch) = event {
            abandoned += batch.len();
        }
    }
    if abandoned > 0
        && let Some(s) = &sink
    {
        s(ForwardEvent::Abandoned { count: abandoned });
    }
}

/// Count a forward, store its attempt and report it.
async fn record(
    capture: &Capture,
    attempt: Attempt,
    writer: &WriterHandle,
    sink: Option<&ForwardSink>,
    stats: &ForwardStats,
) {
    stats.sent.fetch_add(1, Ordering::Relaxed);
    if attempt.succeeded() {
        stats.succeeded.fetch_add(1, Ordering::Relaxed);
    }
    let stored = NewAttempt {
        capture_id: Some(capture.id),
        delivery_id: capture.analysis.delivery_id.clone(),
        kind: AttemptKind::Forward,
        number: 1,
        attempt: attempt.clone(),
    };
    let _ = save_attempt(writer, stored).await;
    if let Some(s) = sink {
        s(ForwardEvent::Sent {
            capture: capture.id,
            attempt: Box::new(attempt),
        });
    }
}

async fn forward_one(client: &Client, config: &ForwardConfig, capture: &Capture) -> Attempt {
    let plan = ReplayPlan {
        target: config.target.clone(),
        path: config.path,
        ..ReplayPlan::default()
    };
    match build(capture, &plan, now_us() / 1_000_000) {
        Ok(req) => client.send(&req).await,
        Err(e) => Attempt {
            target: config.target.clone(),
            started_at_us: now_us(),
            request: super::request::OutgoingRequest {
                method: capture.method.clone(),
                url: config.target.clone(),
                headers: HeaderList::new(),
                body: Vec::new(),
            },
            status: None,
            response_headers: HeaderList::new(),
            response_body: Vec::new(),
            latency_us: 0,
            redirects: Vec::new(),
            error: Some(SendFailure::new(FailureKind::Invalid, e.to_string())),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::{Capture, Pending, VecDeque, points_at};

    fn sized(n: usize) -> Capture {
        Capture {
            body: vec![b'x'; n],
            ..Capture::default()
        }
    }

    #[test]
    fn the_queue_is_bounded_by_bytes_and_a_gap_drains_it_to_half_first() {
        let mut q = Pending {
            items: VecDeque::new(),
            bytes: 0,
            limit: 10_000,
        };
        // An empty queue takes any one capture, however large.
        assert!(q.offer(Cow::Owned(sized(50_000)), false));
        assert!(!q.offer(Cow::Owned(sized(1)), false));
        assert!(q.pop().is_some());
        for _ in 0..10 {
            assert!(q.offer(Cow::Borrowed(&sized(1000)), false));
        }
        assert_eq!(q.bytes, 10_000);
        assert!(!q.offer(Cow::Owned(sized(1)), false), "full");
        // While a gap is open, small captures do not slip in one by one between large ones...
        for _ in 0..5 {
            q.pop();
        }
        assert_eq!(q.bytes, 5_000);
        assert!(!q.offer(Cow::Owned(sized(1)), true));
        // ...until the queue has drained to half.
        q.pop();
        assert!(q.offer(Cow::Owned(sized(1)), true));
        assert_eq!((q.items.len(), q.bytes), (5, 4_001));
    }

    #[test]
    fn every_spelling_of_this_receiver_is_recognised() {
        let us: std::net::SocketAddr = "127.0.0.1:8787".parse().unwrap();
        for target in [
            "http://127.0.0.1:8787/x",
            "http://127.1:8787/x",
            "http://0x7f.0.0.1:8787/x",
            "http://2130706433:8787/x",
            "http://127.0.0.1.:8787/x",
            "http://[::1]:8787/x",
            "http://[::ffff:127.0.0.1]:8787/x",
            "http://0.0.0.0:8787/x",
            "http://LOCALHOST:8787/x",
            "http://api.localhost:8787/x",
        ] {
            assert!(points_at(target, us), "{target}");
        }
        for target in [
            "http://127.0.0.1:8788/x",
            "https://127.0.0.1:8787/x",
            "http://example.com:8787/x",
            "http://10.0.0.1:8787/x",
            "not a url",
        ] {
            assert!(!points_at(target, us), "{target}");
        }
    }
}
