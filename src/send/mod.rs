//! Outgoing HTTP: replay (with edits and re-signing), forward mode, synthetic test events with
//! delivery simulation (retries, duplicates, out-of-order batches, bursts), attempt records.
//!
//! Runs on tokio; no egui, no rusqlite (attempts are stored through the store's writer).

mod attempt;
mod client;
pub mod deliver;
mod exact;
pub mod forward;
mod history;
pub mod redirect;
mod replay;
mod request;
mod resign;
mod test_event;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub use attempt::{Attempt, AttemptKind, AttemptRecord, FailureKind, Hop, SendFailure, reason_phrase};
pub use client::{
    Client, ClientConfig, DEFAULT_TIMEOUT_SECS, LONGEST_WAIT, RESPONSES_IN_FLIGHT_BYTES, describe_duration,
    response_cap_for, secs_to_delay,
};
pub use deliver::{
    DEFAULT_SCHEDULE_SECS, Progress, ProgressSink, RunContext, RunSummary, SimOptions, parse_schedule,
};
pub use forward::{ForwardConfig, ForwardEvent, ForwardSink, Forwarder};
pub use history::{DeliveryRecord, DeliveryState, TargetSummary};
pub use replay::{
    HeaderEdit, PathSource, ReplayError, ReplayPlan, build as build_replay, parse_header_arg, replay_url,
};
pub use request::{HOP_BY_HOP, OutgoingRequest, Target, UrlError, parse_target, with_path};
pub use resign::{Resign, Stamps, original_stamps};
pub use test_event::{BatchShape, PreparedDelivery, Signer, prepare_batch, prepare_body_file};

/// A cancellation flag that tasks can wait on. Cloning shares it.
#[derive(Clone, Default)]
pub struct Cancel(Arc<CancelInner>);

#[derive(Default)]
struct CancelInner {
    flag: AtomicBool,
    notify: tokio::sync::Notify,
}

impl std::fmt::Debug for Cancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cancel({})", self.is_cancelled())
    }
}

impl Cancel {
    pub fn new() -> Self {
        Cancel::default()
    }

    /// Stop everything waiting on this token (pending retries, requests in flight).
    pub fn cancel(&self) {
        self.0.flag.store(true, Ordering::Release);
        self.0.notify.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.flag.load(Ordering::Acquire)
    }

    /// Resolves once [`Self::cancel`] was called.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.0.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn cancel_wakes_waiters() {
        let c = Cancel::new();
        let waiter = tokio::spawn({
            let c = c.clone();
            async move { c.cancelled().await }
        });
        tokio::task::yield_now().await;
        c.cancel();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();
        // Already cancelled: returns at once.
        c.cancelled().await;
    }
}
