//! The catch-all handler: copy the request byte-exact, store it, answer once it is committed.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Version};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt as _;

use super::limits::{self, Limits};
use super::rules::LiveRules;
use super::sniff::ConnInfo;
use crate::capture::{Capture, HeaderList, Origin, ResponseSent, now_us};
use crate::store::WriterHandle;

/// Health endpoint for scripts and monitors; never recorded.
pub const HEALTH_PATH: &str = "/__hookscope/health";
/// Bytes kept from an oversized body.
const OVERSIZED_PREVIEW_BYTES: usize = 64 * 1024;

/// What the receiver needs: where to store and how much to accept.
#[derive(Clone)]
pub struct ReceiverState {
    pub writer: WriterHandle,
    pub max_body_bytes: usize,
    /// Response rules, swappable while the receiver runs.
    pub rules: LiveRules,
    /// Head size and timeouts (see [`super::limits`]).
    pub limits: Limits,
    started_at_us: i64,
}

impl ReceiverState {
    pub fn new(writer: WriterHandle, max_body_bytes: usize) -> Self {
        ReceiverState {
            writer,
            max_body_bytes,
            rules: LiveRules::default(),
            limits: Limits::default(),
            started_at_us: now_us(),
        }
    }

    /// Answer with `rules` (shared: replacing them later applies at once).
    #[must_use]
    pub fn with_rules(mut self, rules: LiveRules) -> Self {
        self.rules = rules;
        self
    }

    /// The same state with other limits (tests shorten the timeouts).
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

/// The receiver's router: `GET /__hookscope/health` and a catch-all for everything else.
pub fn router(state: ReceiverState) -> Router {
    Router::new()
        .fallback(receive)
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}

fn version_str(v: Version) -> &'static str {
    match v {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/1.1",
    }
}

fn headers_from_map(map: &HeaderMap) -> HeaderList {
    HeaderList::from_pairs(map.iter().map(|(n, v)| (n.as_str(), v.as_bytes())))
}

async fn receive(State(state): State<ReceiverState>, req: Request) -> Response {
    let received_at_us = now_us();
    let (parts, body) = req.into_parts();
    let path_and_query = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let info = parts.extensions.get::<Arc<ConnInfo>>();
    let raw = info.and_then(|i| i.take(parts.method.as_str(), path_and_query, &parts.headers));

    if parts.method == axum::http::Method::GET && parts.uri.path() == HEALTH_PATH {
        return health(&state);
    }

    let (method, target, headers) = match raw {
        Some(h) => (h.method, h.target, h.headers),
        None => (
            parts.method.to_string(),
            path_and_query.to_string(),
            headers_from_map(&parts.headers),
        ),
    };
    let (path, query) = split_target(&target, &parts.uri);
    let declared_len = parts
        .headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let read = read_body(body, state.max_body_bytes, declared_len, &state.limits).await;

    let response = if read.oversized {
        json_response(
            413,
            &format!(
                r#"{{"error":"body larger than the {} byte limit"}}"#,
                state.max_body_bytes
            ),
        )
    } else if let Some(err) = &read.error {
        // Stored with what arrived and marked incomplete (see `limits`).
        let status = if read.timed_out { 408 } else { 400 };
        json_response(status, &serde_json::json!({ "error": err }).to_string())
    } else {
        state
            .rules
            .respond(&method, &path)
            .unwrap_or_else(ResponseSent::default_ok)
    };
    let capture = Capture {
        received_at_us,
        method,
        path,
        query,
        http_version: version_str(parts.version).to_string(),
        remote_addr: info.map(|i| i.peer.to_string()),
        headers,
        body: read.bytes,
        body_len: read.received,
        declared_len,
        oversized: read.oversized,
        response: Some(response.clone()),
        origin: Origin::Live,
        ..Capture::default()
    };
    match state.writer.insert(capture).await {
        Ok(_) => {
            // Committed first, then the rule's delay: a timed-out provider still left a record.
            if response.delay_ms > 0 {
                tokio::time::sleep(Duration::from_millis(response.delay_ms)).await;
            }
            into_http(&response)
        }
        Err(e) => {
            // Never acknowledge what could not be stored.
            into_http(&json_response(
                503,
                &serde_json::json!({ "error": e.to_string() }).to_string(),
            ))
        }
    }
}

/// The record of a request hyper refused as malformed (it answered 400): what the request line
/// says where it can be read (method and target when they are valid, `-` and `/` otherwise), no
/// headers, and every byte of the head that arrived as the body, with the reason in the answer.
pub fn malformed_capture(peer: std::net::SocketAddr, head: Vec<u8>, why: &hyper::Error) -> Capture {
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut words = line.split(|b| *b == b' ').filter(|w| !w.is_empty());
    let method = words
        .next()
        .filter(|m| crate::interchange::is_token(m))
        .and_then(|m| std::str::from_utf8(m).ok())
        .unwrap_or("-")
        .to_string();
    let printable = |w: &[u8]| w.iter().all(u8::is_ascii_graphic);
    let target = words
        .next()
        .filter(|t| printable(t) && (t.starts_with(b"/") || *t == b"*"))
        .and_then(|t| std::str::from_utf8(t).ok())
        .unwrap_or("/");
    let (path, query) = crate::interchange::split_target(target);
    let (path, query) = (path.to_string(), query.map(str::to_string));
    let http_version = words
        .next()
        .filter(|v| printable(v) && v.starts_with(b"HTTP/"))
        .and_then(|v| std::str::from_utf8(v).ok())
        .unwrap_or("HTTP/1.1")
        .to_string();
    // hyper answers a malformed HTTP/1 request 400; an HTTP/2 preface (prior knowledge) it
    // closes without an answer, which the record says by having none.
    let answered = (!why.is_parse_version_h2()).then(|| {
        let message = format!(
            "{}, answered 400 and not handled ({why}); the bytes of its head that arrived are kept as the body",
            crate::capture::MALFORMED_REQUEST
        );
        json_response(400, &serde_json::json!({ "error": message }).to_string())
    });
    Capture {
        received_at_us: now_us(),
        method,
        path,
        query,
        http_version,
        remote_addr: Some(peer.to_string()),
        headers: HeaderList::new(),
        body_len: head.len() as u64,
        body: head,
        response: answered,
        origin: Origin::Live,
        ..Capture::default()
    }
}

fn health(state: &ReceiverState) -> Response {
    let body = serde_json::json!({
        "status": "ok",
        "service": "hookscope",
        "version": env!("CARGO_PKG_VERSION"),
        "max_body_bytes": state.max_body_bytes,
        "uptime_secs": (now_us() - state.started_at_us) / 1_000_000,
    });
    (
        StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Split a request target into path and raw query (absolute-form targets lose scheme and host).
fn split_target(target: &str, uri: &axum::http::Uri) -> (String, Option<String>) {
    let origin_form = if target.starts_with('/') || target == "*" {
        target
    } else {
        uri.path_and_query().map_or("/", |pq| pq.as_str())
    };
    match origin_form.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (origin_form.to_string(), None),
    }
}

fn json_response(status: u16, body: &str) -> ResponseSent {
    ResponseSent {
        status,
        headers: HeaderList::from_pairs([("content-type", "application/json")]),
        body: body.as_bytes().to_vec(),
        delay_ms: 0,
    }
}

fn into_http(r: &ResponseSent) -> Response {
    let mut resp = Response::new(Body::from(r.body.clone()));
    *resp.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK);
    for h in &r.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::try_from(h.name.as_str()),
            HeaderValue::from_bytes(&h.value),
        ) {
            resp.headers_mut().append(n, v);
        }
    }
    resp
}

struct BodyRead {
    bytes: Vec<u8>,
    received: u64,
    oversized: bool,
    error: Option<String>,
    /// The body stalled (as opposed to being cut off).
    timed_out: bool,
}

/// Most memory set aside for a body before its bytes arrive: a declared `Content-Length` alone
/// (a few bytes from a client that then sends nothing) must not hold megabytes.
const MAX_INITIAL_BODY_CAPACITY: usize = 64 * 1024;

fn initial_capacity(declared: Option<u64>) -> usize {
    declared.map_or(0, |n| {
        usize::try_from(n)
            .unwrap_or(usize::MAX)
            .min(MAX_INITIAL_BODY_CAPACITY)
    })
}

/// Read the body up to `cap` bytes. Past the cap, keep the first bytes and stop reading.
async fn read_body(mut body: Body, cap: usize, declared: Option<u64>, lim: &Limits) -> BodyRead {
    let idle = lim.body_idle_timeout;
    let started = tokio::time::Instant::now();
    let mut out = BodyRead {
        bytes: Vec::new(),
        received: 0,
        oversized: false,
        error: None,
        timed_out: false,
    };
    if declared.is_some_and(|n| n > cap as u64) {
        out.oversized = true;
        // Keep what arrives promptly of the first bytes; the rest is refused unread.
        let preview = tokio::time::timeout(Duration::from_millis(500), async {
            while out.bytes.len() < OVERSIZED_PREVIEW_BYTES {
                match body.frame().await {
                    Some(Ok(frame)) => {
                        if let Ok(data) = frame.into_data() {
                            out.received += data.len() as u64;
                            let room = OVERSIZED_PREVIEW_BYTES - out.bytes.len();
                            out.bytes.extend_from_slice(&data[..data.len().min(room)]);
                        }
                    }
                    _ => break,
                }
            }
        });
        let _ = preview.await;
        return out;
    }
    out.bytes.reserve(initial_capacity(declared));
    let of_declared = |received: u64| match declared {
        Some(n) => format!("{received} of {n} bytes"),
        None => format!("{received} bytes"),
    };
    loop {
        // Past the grace period the body must keep an average of the minimum rate: what has
        // arrived buys time at that rate, and the next piece must come before it runs out.
        let earned =
            Duration::try_from_secs_f64(out.received as f64 / lim.min_body_bytes_per_sec.max(1) as f64)
                .unwrap_or(Duration::MAX);
        let wait = match started.checked_add(lim.body_grace.max(earned)) {
            Some(allowed_until) => {
                idle.min(allowed_until.saturating_duration_since(tokio::time::Instant::now()))
            }
            None => idle,
        };
        let too_slow = wait < idle;
        match tokio::time::timeout(wait, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                let Ok(data) = frame.into_data() else { continue };
                out.received += data.len() as u64;
                if out.received > cap as u64 {
                    out.oversized = true;
                    let room = OVERSIZED_PREVIEW_BYTES.saturating_sub(out.bytes.len());
                    out.bytes.extend_from_slice(&data[..data.len().min(room)]);
                    out.bytes.truncate(OVERSIZED_PREVIEW_BYTES);
                    return out;
                }
                out.bytes.extend_from_slice(&data);
            }
            Ok(None) => return out,
            Ok(Some(Err(e))) => {
                out.error = Some(format!(
                    "{}: the body was cut off after {} ({e})",
                    limits::INCOMPLETE_PREFIX,
                    of_declared(out.received)
                ));
                return out;
            }
            Err(_) if too_slow => {
                out.error = Some(format!(
                    "{}: the body arrived too slowly (under {} bytes/s on average after {:.1} s): {}",
                    limits::INCOMPLETE_PREFIX,
                    lim.min_body_bytes_per_sec,
                    started.elapsed().as_secs_f64(),
                    of_declared(out.received)
                ));
                out.timed_out = true;
                return out;
            }
            Err(_) => {
                out.error = Some(format!(
                    "{}: the client stopped sending the body for {} after {}",
                    limits::INCOMPLETE_PREFIX,
                    limits::describe(idle),
                    of_declared(out.received)
                ));
                out.timed_out = true;
                return out;
            }
        }
    }
}
