//! What hookscope concluded about a capture: signature verdict, event, delivery analysis flags.
//! Computed when the capture is stored; stored next to it so lists never recompute.

use super::CaptureId;

/// Signature verdict of a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Verdict {
    Valid,
    Invalid,
    NoSecret,
    #[default]
    Unsigned,
}

impl Verdict {
    pub const ALL: [Verdict; 4] = [
        Verdict::Valid,
        Verdict::Invalid,
        Verdict::NoSecret,
        Verdict::Unsigned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Invalid => "invalid",
            Verdict::NoSecret => "no_secret",
            Verdict::Unsigned => "unsigned",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Verdict::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// Analysis stored with a capture.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Analysis {
    /// Signature scheme used or detected (`stripe`, `smtm`, ...).
    pub scheme: Option<String>,
    pub verdict: Verdict,
    /// Machine-readable cause (`valid`, `wrong_secret`, `missing_header`, ...).
    pub reason: String,
    /// One sentence for people.
    pub explanation: String,
    /// Provider event type (`task.completed`, `push`, `payment_intent.succeeded`).
    pub event: Option<String>,
    /// The provider's delivery id (`X-SMTM-Delivery`, `webhook-id`, Stripe event `id`, ...).
    pub delivery_id: Option<String>,
    /// The first capture with the same delivery id.
    pub duplicate_of: Option<CaptureId>,
    /// The payload timestamp is earlier than one already received for the same resource.
    pub out_of_order: bool,
    /// The payload carries a top-level `"test": true`.
    pub test: bool,
    /// Resource the event is about (`data.id`, `data.task_id`, ...), for ordering checks.
    pub resource_key: Option<String>,
    /// Payload timestamp, microseconds since the epoch.
    pub payload_ts_us: Option<i64>,
}
