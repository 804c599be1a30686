//! The capture JSON: one object in `show --json`, one line per capture in `list --json`,
//! `listen --json` and NDJSON exports. Reading it back gives the same bytes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use super::{Capture, CaptureId, HeaderList, Origin, ResponseSent};

/// Signature verdict as shown in the capture JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SignatureJson {
    pub scheme: Option<String>,
    /// `valid`, `invalid`, `no_secret` or `unsigned`.
    pub verdict: String,
    pub reason: String,
    pub explanation: String,
}

/// The response hookscope sent, as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseJson {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body_base64: String,
    #[serde(default)]
    pub delay_ms: u64,
}

/// Serialized form of a [`Capture`] plus its analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureJson {
    #[serde(default)]
    pub id: i64,
    pub received_at: String,
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default = "default_version")]
    pub http_version: String,
    #[serde(default)]
    pub remote_addr: Option<String>,
    /// `[name, value]` in arrival order. A value that is not valid UTF-8 shows here with
    /// replacement characters; its exact bytes are in `header_bytes_base64`.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// `[index into headers, base64 of the exact value]` for every header value that is not
    /// valid UTF-8 (HTTP allows such bytes); absent when all values are text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub header_bytes_base64: Vec<(usize, String)>,
    #[serde(default)]
    pub body_len: u64,
    #[serde(default)]
    pub body_base64: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_text: Option<String>,
    /// Status code hookscope answered (`null` for imported captures).
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub oversized: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_len: Option<u64>,
    #[serde(default)]
    pub origin: Origin,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<SignatureJson>,
    #[serde(default)]
    pub duplicate_of: Option<i64>,
    #[serde(default)]
    pub out_of_order: bool,
    #[serde(default)]
    pub test: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
}

fn default_version() -> String {
    "HTTP/1.1".to_string()
}

/// A capture JSON object that cannot be turned back into a capture.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JsonError {
    #[error("field `{0}` is not valid base64")]
    Base64(&'static str),
    #[error("field `received_at` is not an RFC 3339 time: {0:?}")]
    Time(String),
    #[error("field `method` is empty")]
    EmptyMethod,
    #[error("field `header_bytes_base64` names header {0}, which does not exist")]
    HeaderIndex(usize),
}

fn pairs(h: &HeaderList) -> Vec<(String, String)> {
    h.iter()
        .map(|h| (h.name.clone(), h.value_lossy().into_owned()))
        .collect()
}

impl CaptureJson {
    /// JSON for a capture, its analysis included.
    pub fn from_capture(c: &Capture) -> Self {
        CaptureJson {
            id: c.id.0,
            received_at: super::format_rfc3339_us(c.received_at_us),
            method: c.method.clone(),
            path: c.path.clone(),
            query: c.query.clone(),
            http_version: c.http_version.clone(),
            remote_addr: c.remote_addr.clone(),
            headers: pairs(&c.headers),
            header_bytes_base64: c
                .headers
                .iter()
                .enumerate()
                .filter(|(_, h)| h.value_str().is_none())
                .map(|(i, h)| (i, B64.encode(&h.value)))
                .collect(),
            body_len: c.body_len,
            body_base64: B64.encode(&c.body),
            body_text: c.body_text().map(str::to_owned),
            status: c.status(),
            oversized: c.oversized,
            declared_len: c.declared_len,
            origin: c.origin,
            response: c.response.as_ref().map(|r| ResponseJson {
                status: r.status,
                headers: pairs(&r.headers),
                body_base64: B64.encode(&r.body),
                delay_ms: r.delay_ms,
            }),
            signature: Some(SignatureJson {
                scheme: c.analysis.scheme.clone(),
                verdict: c.analysis.verdict.as_str().to_string(),
                reason: c.analysis.reason.clone(),
                explanation: c.analysis.explanation.clone(),
            }),
            duplicate_of: c.analysis.duplicate_of.map(|id| id.0),
            out_of_order: c.analysis.out_of_order,
            test: c.analysis.test,
            event: c.analysis.event.clone(),
        }
    }

    /// Back to a capture (for NDJSON import). The body comes from `body_base64`, or from
    /// `body_text` when there is no base64. The analysis is left empty: it is recomputed when
    /// the capture is stored.
    pub fn to_capture(&self) -> Result<Capture, JsonError> {
        if self.method.trim().is_empty() {
            return Err(JsonError::EmptyMethod);
        }
        let body = if self.body_base64.is_empty() {
            self.body_text.clone().unwrap_or_default().into_bytes()
        } else {
            B64.decode(self.body_base64.trim())
                .map_err(|_| JsonError::Base64("body_base64"))?
        };
        let received_at_us = super::parse_rfc3339_us(&self.received_at)
            .ok_or_else(|| JsonError::Time(self.received_at.clone()))?;
        let response = match &self.response {
            Some(r) => Some(ResponseSent {
                status: r.status,
                headers: HeaderList::from_pairs(r.headers.iter().cloned()),
                body: B64
                    .decode(r.body_base64.trim())
                    .map_err(|_| JsonError::Base64("response.body_base64"))?,
                delay_ms: r.delay_ms,
            }),
            None => self.status.map(|status| ResponseSent {
                status,
                ..ResponseSent::default()
            }),
        };
        let mut headers = HeaderList::from_pairs(self.headers.iter().cloned());
        for (i, value) in &self.header_bytes_base64 {
            let bytes = B64
                .decode(value.trim())
                .map_err(|_| JsonError::Base64("header_bytes_base64"))?;
            let header = headers.0.get_mut(*i).ok_or(JsonError::HeaderIndex(*i))?;
            header.value = bytes;
        }
        let body_len = if self.oversized {
            self.body_len
        } else {
            body.len() as u64
        };
        Ok(Capture {
            id: CaptureId(self.id),
            received_at_us,
            method: self.method.clone(),
            path: self.path.clone(),
            query: self.query.clone(),
            http_version: self.http_version.clone(),
            remote_addr: self.remote_addr.clone(),
            headers,
            body,
            body_len,
            declared_len: self.declared_len,
            oversized: self.oversized,
            response,
            origin: self.origin,
            analysis: super::Analysis::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_keeps_bytes_and_order() {
        let c = Capture {
            id: CaptureId(7),
            received_at_us: 1_760_000_000_000_001,
            method: "POST".into(),
            path: "/hook".into(),
            query: None,
            http_version: "HTTP/1.1".into(),
            remote_addr: Some("127.0.0.1:5000".into()),
            headers: HeaderList::from_pairs([
                ("B", b"1".to_vec()),
                ("a", b"caf\xe9 \xc3\x28".to_vec()),
                ("B", b"3".to_vec()),
            ]),
            body: vec![0xc3, 0x28, 0x00],
            body_len: 3,
            response: Some(ResponseSent::default_ok()),
            ..Capture::default()
        };
        let j = CaptureJson::from_capture(&c);
        assert_eq!(j.body_text, None, "invalid UTF-8 has no body_text");
        assert_eq!(
            j.headers[1].1, "caf\u{FFFD} \u{FFFD}(",
            "readable text in `headers`"
        );
        assert_eq!(j.header_bytes_base64, [(1, B64.encode(b"caf\xe9 \xc3\x28"))]);
        let text = serde_json::to_string(&j).unwrap();
        let back: CaptureJson = serde_json::from_str(&text).unwrap();
        assert_eq!(back.to_capture().unwrap(), c);
    }

    #[test]
    fn text_headers_add_no_byte_field_and_bad_indexes_are_errors() {
        let c = Capture {
            method: "GET".into(),
            headers: HeaderList::from_pairs([("A", "text")]),
            ..Capture::default()
        };
        let text = serde_json::to_string(&CaptureJson::from_capture(&c)).unwrap();
        assert!(!text.contains("header_bytes_base64"), "{text}");
        let mut j = CaptureJson::from_capture(&c);
        j.header_bytes_base64 = vec![(5, B64.encode(b"x"))];
        assert_eq!(j.to_capture(), Err(JsonError::HeaderIndex(5)));
        j.header_bytes_base64 = vec![(0, "@@".into())];
        assert_eq!(j.to_capture(), Err(JsonError::Base64("header_bytes_base64")));
    }

    #[test]
    fn bad_base64_names_the_field() {
        let mut j = CaptureJson::from_capture(&Capture {
            method: "GET".into(),
            ..Capture::default()
        });
        j.body_base64 = "@@@".into();
        assert_eq!(j.to_capture(), Err(JsonError::Base64("body_base64")));
    }
}
