//! The small per-row record the request list shows: no headers, no body.

use super::filter::Flag;
use super::{Capture, CaptureId, Origin, Verdict};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub id: CaptureId,
    pub received_at_us: i64,
    pub method: String,
    /// Path and `?query`.
    pub target: String,
    pub status: Option<u16>,
    pub body_len: u64,
    pub oversized: bool,
    pub origin: Origin,
    pub scheme: Option<String>,
    pub verdict: Verdict,
    pub event: Option<String>,
    pub duplicate_of: Option<CaptureId>,
    pub out_of_order: bool,
    pub test: bool,
    /// Sent again by a replay (see the capture's attempts).
    pub replayed: bool,
    /// The body was cut off or stalled: what arrived is kept.
    pub incomplete: bool,
}

impl Summary {
    /// Whether the capture carries `flag` (what `has:` filters and the list's flags show).
    pub fn has(&self, flag: Flag) -> bool {
        match flag {
            Flag::Duplicate => self.duplicate_of.is_some(),
            Flag::OutOfOrder => self.out_of_order,
            Flag::Test => self.test,
            Flag::Oversized => self.oversized,
            Flag::Imported => self.origin == Origin::Imported,
            Flag::Replayed => self.replayed,
            Flag::Incomplete => self.incomplete,
        }
    }

    /// The flags the capture carries, in [`Flag::ALL`] order.
    pub fn flags(&self) -> impl Iterator<Item = Flag> + '_ {
        Flag::ALL.into_iter().filter(|f| self.has(*f))
    }

    pub fn of(c: &Capture) -> Self {
        Summary {
            id: c.id,
            received_at_us: c.received_at_us,
            method: c.method.clone(),
            target: c.target(),
            status: c.status(),
            body_len: c.body_len,
            oversized: c.oversized,
            origin: c.origin,
            scheme: c.analysis.scheme.clone(),
            verdict: c.analysis.verdict,
            event: c.analysis.event.clone(),
            duplicate_of: c.analysis.duplicate_of,
            out_of_order: c.analysis.out_of_order,
            test: c.analysis.test,
            replayed: false,
            incomplete: c.incomplete(),
        }
    }
}
