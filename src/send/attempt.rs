//! What one send produced: the exact request, the response (in full) or a plain-words error.

use serde::Serialize;

use super::request::OutgoingRequest;
use crate::capture::{CaptureId, HeaderList};

/// What a send was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptKind {
    /// A capture sent again by hand.
    Replay,
    /// A capture sent on as it arrived (forward mode).
    Forward,
    /// A synthetic test event.
    Test,
}

impl AttemptKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptKind::Replay => "replay",
            AttemptKind::Forward => "forward",
            AttemptKind::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "forward" => AttemptKind::Forward,
            "test" => AttemptKind::Test,
            _ => AttemptKind::Replay,
        }
    }
}

/// Why no response came back, in the user's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The host name did not resolve.
    Dns,
    /// Nothing listens at the address.
    Refused,
    /// Another connection failure (unreachable network, reset during connect).
    Connect,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// No complete response within the timeout.
    Timeout,
    /// The connection broke or the response was not HTTP.
    Protocol,
    /// The request cannot be sent as given (invalid method, header or URL).
    Invalid,
    /// The user cancelled.
    Cancelled,
    /// The answer's head arrived but its body did not finish (it stalled past the timeout or the
    /// connection broke): status, headers and the bytes that came are kept.
    IncompleteBody,
}

/// A send that got no HTTP response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct SendFailure {
    pub kind: FailureKind,
    /// One sentence, e.g. "connection refused by 127.0.0.1:3000 (nothing is listening there)".
    pub message: String,
}

impl SendFailure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        SendFailure {
            kind,
            message: message.into(),
        }
    }
}

/// A redirect followed on the way to an attempt's answer: the URL that answered and its 3xx.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Hop {
    pub status: u16,
    pub url: String,
}

/// One send: the exact request, what came back, how long it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The URL the request went to.
    pub target: String,
    /// When the send started, microseconds since the Unix epoch.
    pub started_at_us: i64,
    /// The request as sent: method, URL, the headers as written on the wire, body bytes.
    pub request: OutgoingRequest,
    pub status: Option<u16>,
    pub response_headers: HeaderList,
    /// The full response body (display code truncates; storage keeps it all).
    pub response_body: Vec<u8>,
    /// From the start of the send to the last response byte (or the failure).
    pub latency_us: i64,
    pub error: Option<SendFailure>,
    /// The redirects followed before this answer, first first; `target` and `request` are the
    /// last hop's.
    pub redirects: Vec<Hop>,
}

impl Attempt {
    /// A complete 2xx answer (a 2xx whose body never finished counts as a failure, as it does
    /// for a provider waiting on it).
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
            && !self
                .error
                .as_ref()
                .is_some_and(|e| e.kind == FailureKind::IncompleteBody)
    }

    pub fn latency_ms(&self) -> f64 {
        self.latency_us as f64 / 1000.0
    }

    /// One line for people: `200 OK in 12.3 ms` or the error.
    pub fn describe(&self) -> String {
        match (&self.error, self.status) {
            (Some(e), _) => e.message.clone(),
            (None, Some(s)) => format!("{s} {} in {:.1} ms", reason_phrase(s), self.latency_ms()),
            (None, None) => "no response".to_string(),
        }
    }
}

/// A stored attempt, as listed per capture or per delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    /// Row id.
    pub id: i64,
    pub capture_id: Option<CaptureId>,
    pub delivery_id: Option<String>,
    pub kind: AttemptKind,
    /// 1 for the first try of a delivery, 2 for its first retry, ...
    pub number: u32,
    pub attempt: Attempt,
}

/// The standard reason phrase of a status code ("" when unknown).
pub fn reason_phrase(status: u16) -> &'static str {
    hyper::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_and_success() {
        let mut a = Attempt {
            target: "http://h/".into(),
            started_at_us: 0,
            request: OutgoingRequest::default(),
            status: Some(204),
            response_headers: HeaderList::new(),
            response_body: Vec::new(),
            latency_us: 12_300,
            redirects: Vec::new(),
            error: None,
        };
        assert!(a.succeeded());
        assert_eq!(a.describe(), "204 No Content in 12.3 ms");
        a.status = Some(302);
        assert!(!a.succeeded());
        a.status = None;
        a.error = Some(SendFailure::new(FailureKind::Refused, "connection refused"));
        assert_eq!(a.describe(), "connection refused");
        assert_eq!(
            AttemptKind::parse(AttemptKind::Forward.as_str()),
            AttemptKind::Forward
        );
    }
}
