//! Replaying a capture: the same method, headers (order and case) and body bytes, to any URL,
//! with optional edits and re-signing. The capture itself is never modified.

use super::request::{OutgoingRequest, parse_target, with_path};
use super::resign::{self, Resign};
use crate::capture::{Capture, HeaderList};

/// Where the request path and query come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PathSource {
    /// The target's path when it has one (anything but `/`), else the capture's.
    #[default]
    Auto,
    /// The capture's path and query, appended to the target's host.
    Capture,
    /// The target URL exactly as given.
    Target,
}

impl PathSource {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(PathSource::Auto),
            "capture" => Some(PathSource::Capture),
            "target" => Some(PathSource::Target),
            _ => None,
        }
    }
}

/// A header edit, applied in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderEdit {
    /// Replace every header of this name with one value (kept where the first one stood), or
    /// append it when absent.
    Set { name: String, value: String },
    /// Remove every header of this name.
    Remove { name: String },
}

/// Parse `Name: value` (the value may be empty).
pub fn parse_header_arg(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once(':')
        .ok_or_else(|| format!("'{s}' is not a header: expected 'Name: value'"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("'{s}' has no header name"));
    }
    let shown = crate::capture::clip::quote_clipped(s);
    if !name
        .bytes()
        .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
    {
        return Err(format!(
            "{shown}: a header name is letters, digits and !#$%&'*+-.^_`|~ only"
        ));
    }
    let value = value.trim();
    if let Some(b) = value.bytes().find(|b| (*b < 0x20 && *b != b'\t') || *b == 0x7f) {
        return Err(format!(
            "{shown}: a header value cannot hold the control character 0x{b:02x} (line breaks and NUL \
             included)"
        ));
    }
    Ok((name.to_string(), value.to_string()))
}

/// Everything a replay can change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReplayPlan {
    /// `http://` or `https://` URL to send to.
    pub target: String,
    pub path: PathSource,
    /// The full header list to send instead of the capture's (the window's header table);
    /// `edits` apply after it.
    pub headers: Option<HeaderList>,
    pub edits: Vec<HeaderEdit>,
    /// Replacement body; `None` sends the captured bytes.
    pub body: Option<Vec<u8>>,
    pub resign: Option<Resign>,
}

/// Why a replay cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Url(#[from] super::request::UrlError),
    #[error("cannot re-sign: {0}")]
    Sign(#[from] crate::signature::SignError),
    #[error(
        "capture {0} is oversized: only its first bytes were kept, so it cannot be replayed as it \
         arrived (give a replacement body)"
    )]
    Oversized(crate::capture::CaptureId),
}

/// The URL a replay goes to.
pub fn replay_url(capture: &Capture, target: &str, path: PathSource) -> Result<String, ReplayError> {
    let parsed = parse_target(target)?;
    let use_capture = match path {
        PathSource::Capture => true,
        PathSource::Target => false,
        PathSource::Auto => parsed.path_and_query == "/",
    };
    if use_capture {
        let mut pq = capture.target();
        if !pq.starts_with('/') {
            pq.insert(0, '/');
        }
        Ok(with_path(target.trim(), &pq)?)
    } else {
        Ok(target.trim().to_string())
    }
}

/// Build the request for `capture` under `plan`; `now_unix` stamps a fresh signature.
pub fn build(capture: &Capture, plan: &ReplayPlan, now_unix: i64) -> Result<OutgoingRequest, ReplayError> {
    if capture.oversized && plan.body.is_none() {
        return Err(ReplayError::Oversized(capture.id));
    }
    let mut url = replay_url(capture, &plan.target, plan.path)?;
    let mut headers: HeaderList = plan.headers.clone().unwrap_or_else(|| capture.headers.clone());
    for edit in &plan.edits {
        match edit {
            HeaderEdit::Set { name, value } => headers.set(name, value.as_bytes()),
            HeaderEdit::Remove { name } => {
                headers.remove(name);
            }
        }
    }
    let mut body = plan.body.clone().unwrap_or_else(|| capture.body.clone());
    if plan.body.is_some() && headers.contains("content-encoding") && body != capture.body {
        // An edited body is sent as typed: the old encoding no longer describes it.
        headers.remove("content-encoding");
    }
    if let Some(r) = &plan.resign
        && let Some(signed_url) = resign::apply(r, &capture.method, &url, &mut headers, &mut body, now_unix)?
    {
        url = signed_url;
    }
    Ok(OutgoingRequest {
        method: capture.method.clone(),
        url,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::Scheme;

    fn capture() -> Capture {
        Capture {
            method: "POST".into(),
            path: "/hooks/smtm".into(),
            query: Some("a=1".into()),
            headers: HeaderList::from_pairs([
                ("Host", "127.0.0.1:8787"),
                ("X-SMTM-Signature", "sha256=old"),
                ("Content-Type", "application/json"),
            ]),
            body: vec![0xff, 0x00, b'{'],
            ..Capture::default()
        }
    }

    #[test]
    fn path_sources() {
        let c = capture();
        assert_eq!(
            replay_url(&c, "http://localhost:3000", PathSource::Auto).unwrap(),
            "http://localhost:3000/hooks/smtm?a=1"
        );
        assert_eq!(
            replay_url(&c, "http://localhost:3000/in", PathSource::Auto).unwrap(),
            "http://localhost:3000/in"
        );
        assert_eq!(
            replay_url(&c, "http://localhost:3000/in", PathSource::Capture).unwrap(),
            "http://localhost:3000/hooks/smtm?a=1"
        );
        assert_eq!(
            replay_url(&c, "http://localhost:3000/", PathSource::Target).unwrap(),
            "http://localhost:3000/"
        );
        assert!(replay_url(&c, "localhost:3000", PathSource::Auto).is_err());
    }

    #[test]
    fn unedited_replay_keeps_bytes_and_never_touches_the_capture() {
        let c = capture();
        let before = c.clone();
        let req = build(
            &c,
            &ReplayPlan {
                target: "http://x:1".into(),
                ..ReplayPlan::default()
            },
            0,
        )
        .unwrap();
        assert_eq!(req.body, c.body);
        assert_eq!(req.headers, c.headers);
        assert_eq!(c, before);
    }

    #[test]
    fn edits_and_resign() {
        let c = capture();
        let plan = ReplayPlan {
            target: "http://x:1/in".into(),
            path: PathSource::Auto,
            headers: None,
            edits: vec![
                HeaderEdit::Set {
                    name: "x-extra".into(),
                    value: "1".into(),
                },
                HeaderEdit::Remove {
                    name: "content-type".into(),
                },
            ],
            body: Some(b"{\"edited\":true}".to_vec()),
            resign: Some(Resign {
                scheme: Scheme::Smtm,
                secret: "smtm_whsec_x".into(),
                keep_original: false,
            }),
        };
        let req = build(&c, &plan, 1_760_000_000).unwrap();
        let names: Vec<_> = req.headers.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, vec!["Host", "X-SMTM-Signature", "x-extra"]);
        assert_ne!(req.headers.get("x-smtm-signature"), Some("sha256=old"));
        assert_eq!(req.url, "http://x:1/in");
        assert_eq!(
            parse_header_arg("X-A:  b c ").unwrap(),
            ("X-A".into(), "b c".into())
        );
        assert!(parse_header_arg("nocolon").is_err());
        // Nothing that would split the request or that no server accepts.
        for bad in [
            "X-A: b\r\nX-Injected: 1",
            "X-A: b\u{0}c",
            "X-A: \u{1b}[31m",
            "X A: b",
            "X(A): b",
        ] {
            assert!(parse_header_arg(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_header_arg("X-A: b\tc").unwrap().1, "b\tc");
    }

    #[test]
    fn oversized_needs_a_body() {
        let c = Capture {
            oversized: true,
            ..capture()
        };
        let plan = ReplayPlan {
            target: "http://x:1".into(),
            ..ReplayPlan::default()
        };
        assert!(matches!(build(&c, &plan, 0), Err(ReplayError::Oversized(_))));
    }
}
