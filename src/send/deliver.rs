//! Delivery simulation, as real senders behave: retries on a schedule (scaled for quick runs),
//! duplicate deliveries, out-of-order batches (prepared in `test_event`), bursts at a rate and a
//! concurrency. Every attempt is reported through the progress sink and stored.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use super::Cancel;
use super::attempt::{Attempt, AttemptKind, FailureKind, SendFailure};
use super::client::Client;
use super::history::DeliveryState;
use super::test_event::PreparedDelivery;
use crate::capture::now_us;
use crate::store::WriterHandle;
use crate::store::outgoing::{NewAttempt, NewDelivery, save_attempt, save_delivery, save_delivery_state};

/// SMTM's retry delays, in seconds: 1, 5, 25, 125, 625, then "permanently failed".
pub const DEFAULT_SCHEDULE_SECS: [f64; 5] = [1.0, 5.0, 25.0, 125.0, 625.0];

/// How deliveries are simulated.
#[derive(Debug, Clone, PartialEq)]
pub struct SimOptions {
    /// Delay before each retry, in seconds; attempts = 1 + its length.
    pub schedule_secs: Vec<f64>,
    /// Multiplies every delay (0.01: seconds become 10 ms).
    pub time_scale: f64,
    /// Send each delivery a second time, same delivery id, after the first finished.
    pub duplicate: bool,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Deliveries started per second (`None`: as fast as the concurrency allows).
    pub rate_per_sec: Option<f64>,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            schedule_secs: DEFAULT_SCHEDULE_SECS.to_vec(),
            time_scale: 1.0,
            duplicate: false,
            concurrency: 1,
            rate_per_sec: None,
        }
    }
}

/// Parse `1,5,25` (seconds; decimals allowed). `none` or an empty list: no retries.
pub fn parse_schedule(s: &str) -> Result<Vec<f64>, String> {
    let s = s.trim();
    if s.is_empty() || s.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    s.split(',')
        .map(|part| {
            let v: f64 = part.trim().parse().map_err(|_| {
                format!(
                    "'{}' in the retry schedule is not a number of seconds",
                    part.trim()
                )
            })?;
            if v.is_finite() && v >= 0.0 {
                Ok(v)
            } else {
                Err(format!(
                    "'{}' in the retry schedule must be zero or more seconds",
                    part.trim()
                ))
            }
        })
        .collect()
}

/// What a run reports as it goes.
#[derive(Debug, Clone)]
pub enum Progress {
    Started {
        /// Position of the delivery in the run (0-based, in sending order).
        index: usize,
        delivery_id: String,
        name: String,
        duplicate: bool,
        payload_timestamp: Option<String>,
    },
    Attempt {
        index: usize,
        delivery_id: String,
        duplicate: bool,
        /// 1 for the first try.
        number: u32,
        /// Seconds until the next retry, when one is scheduled.
        next_retry_secs: Option<f64>,
        attempt: Box<Attempt>,
    },
    Finished {
        index: usize,
        delivery_id: String,
        duplicate: bool,
        state: DeliveryState,
        attempts: u32,
    },
    /// Something worth telling that is not an attempt (e.g. storing failed).
    Note(String),
}

/// Receives progress; must not block (the window's sink queues into a bounded channel).
pub type ProgressSink = Arc<dyn Fn(Progress) + Send + Sync>;

/// Totals of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RunSummary {
    pub deliveries: u32,
    pub delivered: u32,
    pub failed: u32,
    pub cancelled: u32,
    pub attempts: u32,
}

impl RunSummary {
    /// Every delivery ended with a 2xx.
    pub fn all_delivered(&self) -> bool {
        self.deliveries > 0 && self.delivered == self.deliveries
    }

    fn add(&mut self, state: DeliveryState, attempts: u32) {
        self.deliveries += 1;
        self.attempts += attempts;
        match state {
            DeliveryState::Delivered => self.delivered += 1,
            DeliveryState::Cancelled | DeliveryState::Pending | DeliveryState::Retrying => {
                self.cancelled += 1;
            }
            DeliveryState::Failed => self.failed += 1,
        }
    }
}

/// What a run shares between its tasks.
#[derive(Clone)]
pub struct RunContext {
    pub client: Client,
    pub cancel: Cancel,
    pub sink: ProgressSink,
    /// Where attempts and deliveries are stored (`None`: not stored).
    pub writer: Option<WriterHandle>,
}

/// Send `deliveries` in order under `opts`; resolves when all finished or were cancelled.
pub async fn run(deliveries: Vec<PreparedDelivery>, opts: &SimOptions, ctx: &RunContext) -> RunSummary {
    let semaphore = Arc::new(Semaphore::new(opts.concurrency.max(1)));
    let opts = Arc::new(opts.clone());
    let mut tasks = JoinSet::new();
    let mut summary = RunSummary::default();
    let start = Instant::now();
    for (index, delivery) in deliveries.into_iter().enumerate() {
        if let Some(rate) = opts.rate_per_sec.filter(|r| r.is_finite() && *r > 0.0) {
            // A rate so low that the time overflows: that delivery never comes due.
            let wait = super::client::secs_to_delay(index as f64 / rate);
            match start.checked_add(wait) {
                Some(at) => tokio::select! {
                    () = tokio::time::sleep_until(at.into()) => {}
                    () = ctx.cancel.cancelled() => {}
                },
                None => ctx.cancel.cancelled().await,
            }
        }
        // The first attempt's permit is taken here, so first attempts start in order.
        let permit = tokio::select! {
            p = semaphore.clone().acquire_owned() => p.ok(),
            () = ctx.cancel.cancelled() => None,
        };
        let Some(permit) = permit else {
            emit_never_sent(ctx, index, &delivery);
            summary.add(DeliveryState::Cancelled, 0);
            continue;
        };
        let (ctx, opts, semaphore) = (ctx.clone(), opts.clone(), semaphore.clone());
        tasks.spawn(async move {
            let mut outcomes =
                vec![deliver(index, &delivery, false, Some(permit), &semaphore, &opts, &ctx).await];
            if opts.duplicate && !ctx.cancel.is_cancelled() {
                outcomes.push(deliver(index, &delivery, true, None, &semaphore, &opts, &ctx).await);
            }
            outcomes
        });
    }
    while let Some(done) = tasks.join_next().await {
        if let Ok(outcomes) = done {
            for (state, attempts) in outcomes {
                summary.add(state, attempts);
            }
        }
    }
    summary
}

fn emit_never_sent(ctx: &RunContext, index: usize, d: &PreparedDelivery) {
    (ctx.sink)(Progress::Finished {
        index,
        delivery_id: d.delivery_id.clone(),
        duplicate: false,
        state: DeliveryState::Cancelled,
        attempts: 0,
    });
}

/// One delivery through its schedule. Returns its final state and number of attempts.
async fn deliver(
    index: usize,
    d: &PreparedDelivery,
    duplicate: bool,
    mut permit: Option<OwnedSemaphorePermit>,
    semaphore: &Arc<Semaphore>,
    opts: &SimOptions,
    ctx: &RunContext,
) -> (DeliveryState, u32) {
    let sink = &ctx.sink;
    let row = match &ctx.writer {
        Some(w) => {
            let new = NewDelivery {
                delivery_id: d.delivery_id.clone(),
                target: d.request.url.clone(),
                provider: d.provider.clone(),
                event: d.event.clone(),
                created_at_us: now_us(),
            };
            match save_delivery(w, new).await {
                Ok(row) => Some(row),
                Err(e) => {
                    sink(Progress::Note(format!(
                        "cannot store delivery {}: {e}",
                        d.delivery_id
                    )));
                    None
                }
            }
        }
        None => None,
    };
    sink(Progress::Started {
        index,
        delivery_id: d.delivery_id.clone(),
        name: d.name(),
        duplicate,
        payload_timestamp: d.payload_timestamp.clone(),
    });
    let max_attempts = u32::try_from(opts.schedule_secs.len() + 1).unwrap_or(u32::MAX);
    let mut state = DeliveryState::Cancelled;
    let mut made = 0;
    let mut last_status = None;
    for number in 1..=max_attempts {
        let held = if let Some(p) = permit.take() {
            Some(p)
        } else {
            tokio::select! {
                p = semaphore.clone().acquire_owned() => p.ok(),
                () = ctx.cancel.cancelled() => None,
            }
        };
        if held.is_none() || ctx.cancel.is_cancelled() {
            break;
        }
        let attempt = match d.signed(now_us() / 1_000_000) {
            Ok(req) => tokio::select! {
                a = ctx.client.send(&req) => a,
                () = ctx.cancel.cancelled() => break,
            },
            Err(e) => unsendable(d, &e.to_string()),
        };
        drop(held);
        made = number;
        last_status = attempt.status.or(last_status);
        let invalid = attempt
            .error
            .as_ref()
            .is_some_and(|e| e.kind == FailureKind::Invalid);
        let next = if attempt.succeeded() || invalid || number == max_attempts {
            None
        } else {
            opts.schedule_secs
                .get(number as usize - 1)
                .map(|s| s * opts.time_scale.max(0.0))
        };
        state = if attempt.succeeded() {
            DeliveryState::Delivered
        } else if next.is_some() {
            DeliveryState::Retrying
        } else {
            DeliveryState::Failed
        };
        if let Some(w) = &ctx.writer {
            let stored = NewAttempt {
                capture_id: None,
                delivery_id: Some(d.delivery_id.clone()),
                kind: AttemptKind::Test,
                number,
                attempt: attempt.clone(),
            };
            if let Err(e) = save_attempt(w, stored).await {
                sink(Progress::Note(format!("cannot store an attempt: {e}")));
            }
            if let Some(row) = row {
                let _ = save_delivery_state(w, row, state, made, last_status, None).await;
            }
        }
        sink(Progress::Attempt {
            index,
            delivery_id: d.delivery_id.clone(),
            duplicate,
            number,
            next_retry_secs: next,
            attempt: Box::new(attempt),
        });
        let Some(delay) = next else { break };
        state = DeliveryState::Cancelled;
        let delay = super::client::secs_to_delay(delay);
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = ctx.cancel.cancelled() => break,
        }
    }
    if let (Some(w), Some(row)) = (&ctx.writer, row) {
        let _ = save_delivery_state(w, row, state, made, last_status, Some(now_us())).await;
    }
    sink(Progress::Finished {
        index,
        delivery_id: d.delivery_id.clone(),
        duplicate,
        state,
        attempts: made,
    });
    (state, made)
}

fn unsendable(d: &PreparedDelivery, why: &str) -> Attempt {
    Attempt {
        target: d.request.url.clone(),
        started_at_us: now_us(),
        request: d.request.clone(),
        status: None,
        response_headers: crate::capture::HeaderList::new(),
        response_body: Vec::new(),
        latency_us: 0,
        redirects: Vec::new(),
        error: Some(SendFailure::new(
            FailureKind::Invalid,
            format!("cannot sign: {why}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_parse() {
        assert_eq!(parse_schedule("1, 5,25").unwrap(), vec![1.0, 5.0, 25.0]);
        assert_eq!(parse_schedule("0.5").unwrap(), vec![0.5]);
        assert!(parse_schedule("none").unwrap().is_empty());
        assert!(parse_schedule("1,x").unwrap_err().contains("'x'"));
        assert!(parse_schedule("-1").is_err());
    }

    #[test]
    fn summary_counts() {
        let mut s = RunSummary::default();
        s.add(DeliveryState::Delivered, 3);
        assert!(s.all_delivered());
        s.add(DeliveryState::Failed, 6);
        s.add(DeliveryState::Cancelled, 1);
        assert_eq!(
            (s.deliveries, s.delivered, s.failed, s.cancelled, s.attempts),
            (3, 1, 1, 1, 10)
        );
        assert!(!s.all_delivered());
        assert!(!RunSummary::default().all_delivered());
    }
}
