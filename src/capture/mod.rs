//! The capture model: one HTTP request exactly as it arrived, plus what hookscope answered.
//!
//! No tokio, no egui, no rusqlite here: everything derives from raw bytes.

mod analysis;
pub mod clip;
mod delivery;
mod diff;
pub mod filter;
mod headers;
mod json;
pub mod path_glob;
pub mod sort;
mod summary;

pub use analysis::{Analysis, Verdict};
pub use delivery::{DeliveryFacts, delivery_facts, timestamp_us};
pub use diff::{CaptureDiff, HeaderChange, LineChange, diff_captures, diff_headers};
pub use summary::Summary;

pub use headers::{Header, HeaderList, decode_header_block, encode_header_block};
pub use json::{CaptureJson, JsonError, SignatureJson};

use serde::{Deserialize, Serialize};

/// Start of the error hookscope records (in the response it sent) when a request's body did not
/// arrive completely: the client disconnected or stalled mid-body.
pub const INCOMPLETE_BODY: &str = "incomplete body";
/// How the recorded answer of a request hyper refused as malformed begins (after `{"error":"`).
pub const MALFORMED_REQUEST: &str = "malformed request";

/// Row id of a stored capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CaptureId(pub i64);

impl std::fmt::Display for CaptureId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for CaptureId {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().trim_start_matches('#').parse().map(CaptureId)
    }
}

/// Where a capture came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Received by the embedded HTTP receiver.
    #[default]
    Live,
    /// Read from a HAR, NDJSON, curl or raw-HTTP import.
    Imported,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Live => "live",
            Origin::Imported => "imported",
        }
    }

    pub fn parse(s: &str) -> Self {
        if s == "imported" {
            Origin::Imported
        } else {
            Origin::Live
        }
    }
}

/// The response hookscope sent back to the client.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResponseSent {
    pub status: u16,
    pub headers: HeaderList,
    pub body: Vec<u8>,
    /// Artificial delay applied before answering (response rules), in milliseconds.
    pub delay_ms: u64,
}

impl ResponseSent {
    /// The default answer: `200 {"ok":true}`.
    pub fn default_ok() -> Self {
        ResponseSent {
            status: 200,
            headers: HeaderList::from_pairs([("content-type", "application/json")]),
            body: br#"{"ok":true}"#.to_vec(),
            delay_ms: 0,
        }
    }
}

/// One request as received (or imported): byte-exact.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Capture {
    /// Assigned by the store; `CaptureId(0)` until stored.
    pub id: CaptureId,
    /// Arrival time, microseconds since the Unix epoch (UTC).
    pub received_at_us: i64,
    /// Method exactly as sent (`POST`, `PATCH`, ...).
    pub method: String,
    /// Path without the query, as sent on the request line (percent-encoding kept).
    pub path: String,
    /// Raw query string after `?`, `None` when the target had no `?`.
    pub query: Option<String>,
    /// `HTTP/1.1`, `HTTP/1.0`, `HTTP/2.0`.
    pub http_version: String,
    /// Peer address `ip:port`, when known.
    pub remote_addr: Option<String>,
    /// Headers in arrival order, original case, repeats kept.
    pub headers: HeaderList,
    /// Body bytes as received (for an oversized request: only the first bytes).
    pub body: Vec<u8>,
    /// Body size in bytes: all of it, or for an oversized request as many bytes as were received
    /// before the cap stopped reading.
    pub body_len: u64,
    /// `Content-Length` the client declared, when it declared one.
    pub declared_len: Option<u64>,
    /// The body was larger than the cap: answered 413, only the first bytes kept.
    pub oversized: bool,
    /// What hookscope answered.
    pub response: Option<ResponseSent>,
    pub origin: Origin,
    /// Verdict, event and delivery flags, computed when stored.
    pub analysis: Analysis,
}

impl Capture {
    /// Path plus `?query` when there is one.
    pub fn target(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.clone(),
        }
    }

    /// Status code hookscope answered, if it answered.
    pub fn status(&self) -> Option<u16> {
        self.response.as_ref().map(|r| r.status)
    }

    /// The body did not arrive completely (client disconnected or stalled): `body` holds what
    /// arrived. Oversized requests are not counted here (see `oversized`).
    pub fn incomplete(&self) -> bool {
        if self.oversized {
            return false;
        }
        let short = self.declared_len.is_some_and(|n| self.body_len < n);
        short || self.recorded_error(INCOMPLETE_BODY).is_some()
    }

    /// hyper refused the request as malformed: there are no headers, and the body holds the bytes
    /// of the head that arrived (see the recorded answer for the reason).
    pub fn malformed(&self) -> bool {
        self.recorded_error(MALFORMED_REQUEST) == Some(400)
    }

    /// The status of the answer hookscope recorded, when that answer is its own JSON error
    /// (`{"error":"...`) beginning with `marker`.
    fn recorded_error(&self, marker: &str) -> Option<u16> {
        let r = self.response.as_ref()?;
        let rest = r.body.strip_prefix(br#"{"error":""#.as_slice())?;
        rest.starts_with(marker.as_bytes()).then_some(r.status)
    }

    /// The body as text, when it is valid UTF-8.
    pub fn body_text(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }

    /// Best-effort full URL for schemes that sign the URL: `http://{Host}{target}`.
    pub fn url(&self) -> String {
        let host = self.headers.get("host").unwrap_or("127.0.0.1");
        format!("http://{host}{}", self.target())
    }

    /// The request as it appeared on the wire (HTTP/1.1 text form), body included.
    pub fn raw_http(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.body.len() + 256);
        out.extend_from_slice(self.method.as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.target().as_bytes());
        out.push(b' ');
        let version = if self.http_version.is_empty() {
            "HTTP/1.1"
        } else {
            &self.http_version
        };
        out.extend_from_slice(version.as_bytes());
        out.extend_from_slice(b"\r\n");
        for h in &self.headers {
            out.extend_from_slice(h.name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(&h.value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }
}

/// Current time in microseconds since the Unix epoch.
pub fn now_us() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(now.as_micros()).unwrap_or(i64::MAX)
}

/// RFC 3339 UTC with microseconds, e.g. `2026-11-23T10:55:41.123456Z`.
pub fn format_rfc3339_us(us: i64) -> String {
    match jiff::Timestamp::from_microsecond(us) {
        Ok(ts) => format!("{ts:.6}"),
        Err(_) => String::from("invalid-time"),
    }
}

/// Parse an RFC 3339 timestamp into microseconds since the epoch.
pub fn parse_rfc3339_us(s: &str) -> Option<i64> {
    let ts: jiff::Timestamp = s.trim().parse().ok()?;
    Some(ts.as_microsecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip_keeps_microseconds() {
        let us = 1_760_000_000_123_456;
        let s = format_rfc3339_us(us);
        assert_eq!(s, "2025-10-09T08:53:20.123456Z");
        assert_eq!(parse_rfc3339_us(&s), Some(us));
    }

    #[test]
    fn raw_http_keeps_header_order_case_and_body_bytes() {
        let c = Capture {
            method: "POST".into(),
            path: "/a".into(),
            query: Some("x=1".into()),
            http_version: "HTTP/1.1".into(),
            headers: HeaderList::from_pairs([("X-B", "2"), ("x-a", "1"), ("X-B", "3")]),
            body: vec![0xff, 0x00, b'a'],
            ..Capture::default()
        };
        let raw = c.raw_http();
        let mut expected = b"POST /a?x=1 HTTP/1.1\r\nX-B: 2\r\nx-a: 1\r\nX-B: 3\r\n\r\n".to_vec();
        expected.extend_from_slice(&[0xff, 0x00, b'a']);
        assert_eq!(raw, expected);
    }
}
