//! Intents from the UI and what the background answers with.

use std::net::{IpAddr, SocketAddr};

use std::path::PathBuf;

use crate::capture::sort::OrderedIds;
use crate::capture::{Capture, CaptureDiff, CaptureId, Summary};
use crate::signature::{Evaluation, Profile, Scheme, Verification};
use crate::ui::transfer::{ExportKind, ImportSource};

/// What the UI asks for. Sent with `try_send`; the UI never waits for an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    StartReceiver {
        bind: IpAddr,
        port: u16,
        max_body_bytes: usize,
    },
    StopReceiver,
    /// Reload every id in the current filter and order (start-up, or after falling behind).
    LoadIds,
    LoadSummaries(Vec<CaptureId>),
    LoadDetail(CaptureId),
    Delete(Vec<CaptureId>),
    ClearAll,
    /// Filter, response rules, stats, retention.
    Control(super::control::ControlCommand),
    /// Read the signing profiles.
    LoadProfiles,
    /// Add a profile, or replace the one named `replace`; stored verdicts are then recomputed.
    SaveProfile {
        profile: Box<Profile>,
        replace: Option<String>,
    },
    RemoveProfile(String),
    /// Try a secret on a capture without saving it.
    VerifyWith {
        id: CaptureId,
        scheme: Scheme,
        secret: crate::signature::Secret,
        tolerance_secs: Option<u64>,
    },
    Import(ImportSource),
    Export {
        kind: ExportKind,
        ids: Option<Vec<CaptureId>>,
        path: PathBuf,
    },
    CopyCurl(CaptureId),
    Diff {
        left: CaptureId,
        right: CaptureId,
    },
    /// Replay, forward, test events, deliveries (see `app::sending`).
    Send(Box<super::sending::SendCommand>),
    /// List, create or delete MaintainX webhook subscriptions.
    Subscriptions(Box<crate::ui::subscriptions::SubscriptionsAction>),
}

/// What comes back, drained by `App::logic` within a time budget.
#[derive(Debug, Clone)]
pub enum AppEvent {
    ReceiverStarted {
        addr: SocketAddr,
    },
    ReceiverStopped,
    ReceiverFailed {
        message: String,
    },
    /// Newly committed captures, in id order.
    Inserted(Vec<Summary>),
    /// The list's ids in the filter and order the background holds (replaces the list).
    Ids(OrderedIds),
    Summaries(Vec<Summary>),
    Detail(Box<Capture>),
    DetailMissing(CaptureId),
    /// Captures were deleted or cleared: reload.
    Changed,
    /// A body view prepared by the render worker.
    Rendered(Box<(crate::ui::detail::RenderKey, crate::ui::code_view::CodeText)>),
    /// Something failed; shown in the status line.
    Error(String),
    /// Answers to [`Command::Control`].
    Control(super::control::ControlEvent),
    /// Something worked; shown in the status line.
    Info(String),
    /// Every signing profile (secrets included: they stay in memory, never in settings).
    Profiles(Vec<Profile>),
    /// The full signature verdict of a capture (expected vs received, skew), computed off the UI thread.
    SignatureDetail {
        id: CaptureId,
        evaluation: Box<Evaluation>,
    },
    /// The answer to [`Command::VerifyWith`].
    VerifyResult {
        id: CaptureId,
        verification: Box<Verification>,
    },
    /// An import committed these captures.
    Imported(Vec<CaptureId>),
    /// An import was refused; nothing was stored.
    ImportFailed(String),
    /// Text for the clipboard, and what to say about it.
    Clipboard {
        text: String,
        note: String,
    },
    Diffed {
        left: CaptureId,
        right: CaptureId,
        diff: Box<CaptureDiff>,
    },
    /// Results of sending work (see `app::sending`).
    Send(Box<super::sending::SendEvent>),
    /// The MaintainX webhooks, or why they could not be read.
    SubscriptionsListed(Result<crate::subscriptions::WebhookList, String>),
    /// A webhook was created or deleted (what happened), or why not.
    SubscriptionsChanged(Result<String, String>),
}
