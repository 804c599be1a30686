//! The HTTP client every send goes through.
//!
//! - `http://` targets: an exact head (see [`super::exact`]): headers in order and case, repeats
//!   kept, byte for byte.
//! - `https://` targets: reqwest with rustls. Over TLS reqwest's HTTP stack writes header names in
//!   lower case, groups repeated names, and adds `Accept: */*` when the request has no `Accept`.
//!
//! Both: a whole-exchange timeout (30 s by default), redirects returned as they are unless
//! following is switched on, hop-by-hop headers recomputed, failures in plain words.

use std::error::Error as _;
use std::time::{Duration, Instant};

use super::attempt::{Attempt, FailureKind, Hop, SendFailure};
use super::exact;
use super::request::{OutgoingRequest, Target, parse_target};
use crate::capture::{HeaderList, now_us};

/// Default response timeout.
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;
/// Most redirects followed when following is on.
const MAX_REDIRECTS: usize = 10;

/// How sends behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientConfig {
    /// Whole exchange: connect, send, and read the full response.
    pub timeout: Duration,
    /// Follow 3xx `Location` answers (off by default: the redirect itself is the answer).
    pub follow_redirects: bool,
    /// Most bytes of an answer's body kept; the rest is cut and the attempt says so.
    pub max_response_bytes: usize,
}

/// Answer bytes a run of many sends at once may hold in all: with `concurrency` sends in flight,
/// each keeps at most this much over the concurrency (between 64 KiB and the usual 8 MiB), so a
/// target answering gigabytes to a burst cannot fill the memory.
pub const RESPONSES_IN_FLIGHT_BYTES: usize = 64 * 1024 * 1024;

/// The answer cap for each of `concurrency` sends at once (see [`RESPONSES_IN_FLIGHT_BYTES`]).
pub fn response_cap_for(concurrency: usize) -> usize {
    (RESPONSES_IN_FLIGHT_BYTES / concurrency.max(1)).clamp(64 * 1024, exact::MAX_RESPONSE_BYTES)
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
            follow_redirects: false,
            max_response_bytes: exact::MAX_RESPONSE_BYTES,
        }
    }
}

/// A cheap-to-clone client (the TLS connection pool is shared).
#[derive(Clone)]
pub struct Client {
    config: ClientConfig,
    tls: Option<reqwest::Client>,
    /// Keep signature and credential headers when a followed redirect leaves the origin.
    keep_signatures_on_redirect: bool,
    /// More signature headers to drop on such a redirect (custom schemes' headers).
    signature_headers: Vec<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn new(config: ClientConfig) -> Self {
        // Building the TLS client only fails when no TLS backend is usable; then https sends
        // report it and plain http still works.
        let tls = reqwest::Client::builder()
            .use_rustls_tls()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .build()
            .ok();
        Client {
            config,
            tls,
            keep_signatures_on_redirect: false,
            signature_headers: Vec::new(),
        }
    }

    /// Also treat these header names as signatures on a followed redirect to another origin:
    /// the headers of custom schemes (signing profiles), which no built-in rule knows.
    #[must_use]
    pub fn signature_headers(mut self, names: Vec<String>) -> Self {
        self.signature_headers = names;
        self
    }

    /// Let followed redirects to another origin (scheme, host or port) carry signature and
    /// credential headers. Off by default: they are dropped (see [`super::redirect`]).
    #[must_use]
    pub fn keep_signatures_on_redirect(mut self, keep: bool) -> Self {
        self.keep_signatures_on_redirect = keep;
        self
    }

    pub fn config(&self) -> ClientConfig {
        self.config
    }

    /// Send `request` and record what happened. Never fails: a failure is in `Attempt::error`.
    pub async fn send(&self, request: &OutgoingRequest) -> Attempt {
        let started_at_us = now_us();
        let start = Instant::now();
        // Copied only when a redirect changes it: bodies can be large.
        let mut current = std::borrow::Cow::Borrowed(request);
        let mut hops: Vec<Hop> = Vec::new();
        // One deadline for the whole exchange, redirects followed included. Reading an answer's
        // body stops at it by itself (keeping status, headers and what arrived); the outer limit,
        // a moment later, ends connecting or waiting for a head.
        let deadline = tokio::time::Instant::now() + self.config.timeout;
        let backstop = deadline + Duration::from_millis(250);
        loop {
            let timed_out = || {
                let within = describe_duration(self.config.timeout);
                SendFailure::new(
                    FailureKind::Timeout,
                    match hops.len() {
                        0 => format!("no complete response within {within} (timeout)"),
                        n => format!(
                            "no complete response within {within} (timeout), {n} redirect(s) followed"
                        ),
                    },
                )
            };
            let mut attempt =
                match tokio::time::timeout_at(backstop, self.send_once(&current, deadline)).await {
                    Ok(a) => a,
                    Err(_) => failed_attempt(current.as_ref().clone(), timed_out()),
                };
            attempt.started_at_us = started_at_us;
            attempt.latency_us = i64::try_from(start.elapsed().as_micros()).unwrap_or(i64::MAX);
            attempt.redirects.clone_from(&hops);
            let location = attempt
                .status
                .filter(|s| (300..400).contains(s))
                .and_then(|_| attempt.response_headers.get("location").map(str::to_owned));
            match location {
                Some(loc) if self.config.follow_redirects => {
                    if tokio::time::Instant::now() >= deadline {
                        // No time left for another hop: this redirect is the answer.
                        attempt.error = Some(timed_out());
                        return attempt;
                    }
                    if hops.len() == MAX_REDIRECTS {
                        attempt.error = Some(SendFailure::new(
                            FailureKind::Protocol,
                            format!("stopped after {MAX_REDIRECTS} redirects (a redirect loop?)"),
                        ));
                        return attempt;
                    }
                    let url = match redirect_target(&current.url, &loc) {
                        Ok(url) => url,
                        Err(why) => {
                            attempt.error = Some(SendFailure::new(FailureKind::Protocol, why));
                            return attempt;
                        }
                    };
                    let status = attempt.status.unwrap_or(302);
                    hops.push(Hop {
                        status,
                        url: current.url.clone(),
                    });
                    let next = redirected(&current, url, status);
                    let leaves_origin = !super::redirect::same_origin(&current.url, &next.url);
                    current = std::borrow::Cow::Owned(next);
                    if leaves_origin && !self.keep_signatures_on_redirect {
                        super::redirect::strip_credentials(
                            &mut current.to_mut().headers,
                            &self.signature_headers,
                        );
                    }
                }
                _ => return attempt,
            }
        }
    }

    async fn send_once(&self, request: &OutgoingRequest, deadline: tokio::time::Instant) -> Attempt {
        let target = match parse_target(&request.url) {
            Ok(t) => t,
            Err(e) => {
                return failed_attempt(
                    request.clone(),
                    SendFailure::new(FailureKind::Invalid, e.to_string()),
                );
            }
        };
        if let Err(msg) = request.validate() {
            return failed_attempt(request.clone(), SendFailure::new(FailureKind::Invalid, msg));
        }
        let headers = request.wire_headers(&target);
        // One copy of the body, shared with the HTTP stack and given back to the attempt (as
        // sent) once the exchange is over.
        let body = bytes::Bytes::from(request.body.clone());
        let mut sent = OutgoingRequest {
            method: request.method.clone(),
            url: request.url.clone(),
            headers,
            body: Vec::new(),
        };
        let result = if target.https {
            self.send_tls(&target, &sent, body.clone(), deadline).await
        } else {
            let head = request.head_bytes(&target, &sent.headers);
            let has_length = sent.headers.contains("content-length");
            let cap = self.config.max_response_bytes;
            exact::send(
                &target,
                &request.method,
                head,
                body.clone(),
                has_length,
                cap,
                deadline,
            )
            .await
        };
        sent.body = Vec::from(body);
        match result {
            Ok(r) => Attempt {
                target: request.url.clone(),
                started_at_us: 0,
                request: sent,
                status: Some(r.status),
                response_headers: r.headers,
                response_body: r.body,
                latency_us: 0,
                redirects: Vec::new(),
                error: r.failure.or_else(|| {
                    r.truncated.then(|| {
                        SendFailure::new(
                            FailureKind::Protocol,
                            format!(
                                "the response body is larger than {}; only the first bytes were kept",
                                describe_bytes(self.config.max_response_bytes)
                            ),
                        )
                    })
                }),
            },
            Err(e) => failed_attempt(sent, e),
        }
    }

    async fn send_tls(
        &self,
        target: &Target,
        sent: &OutgoingRequest,
        body: bytes::Bytes,
        deadline: tokio::time::Instant,
    ) -> Result<exact::RawResponse, SendFailure> {
        let Some(client) = &self.tls else {
            return Err(SendFailure::new(
                FailureKind::Tls,
                "TLS is not available in this build",
            ));
        };
        let method = reqwest::Method::from_bytes(sent.method.as_bytes()).map_err(|_| {
            SendFailure::new(
                FailureKind::Invalid,
                format!("'{}' is not a valid HTTP method", sent.method),
            )
        })?;
        let mut map = reqwest::header::HeaderMap::new();
        for h in &sent.headers {
            if h.is("host") || h.is("content-length") {
                continue; // set by the HTTP stack from the URL and the body
            }
            let name = reqwest::header::HeaderName::from_bytes(h.name.as_bytes()).map_err(|_| {
                SendFailure::new(
                    FailureKind::Invalid,
                    format!("'{}' is not a valid header name", h.name),
                )
            })?;
            let value = reqwest::header::HeaderValue::from_bytes(&h.value).map_err(|_| {
                SendFailure::new(
                    FailureKind::Invalid,
                    format!("the value of {} cannot be sent", h.name),
                )
            })?;
            map.append(name, value);
        }
        let response = client
            .request(method, &sent.url)
            .headers(map)
            .body(body)
            .send()
            .await
            .map_err(|e| classify_reqwest(target, &e))?;
        let status = response.status().as_u16();
        let headers = HeaderList::from_pairs(
            response
                .headers()
                .iter()
                .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec())),
        );
        let mut response = response;
        let mut body = Vec::new();
        let mut truncated = false;
        let mut failure = None;
        loop {
            let Ok(chunk) = tokio::time::timeout_at(deadline, response.chunk()).await else {
                failure = Some(exact::body_failure(status, body.len(), None));
                break;
            };
            match chunk {
                Ok(Some(chunk)) => {
                    if !exact::keep_within(&mut body, &chunk, self.config.max_response_bytes) {
                        truncated = true;
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let why = classify_reqwest(target, &e).message;
                    failure = Some(exact::body_failure(status, body.len(), Some(why)));
                    break;
                }
            }
        }
        Ok(exact::RawResponse {
            status,
            headers,
            body,
            truncated,
            failure,
        })
    }
}

/// Where a redirect leads: its `Location` resolved against the URL that answered (absolute,
/// `/path`, `../x`, `?q`, `//host/x` all as a browser would), and only ever to http(s).
fn redirect_target(current: &str, location: &str) -> Result<String, String> {
    let shown = crate::capture::clip::quote_clipped(location);
    let base = reqwest::Url::parse(current)
        .map_err(|e| format!("cannot resolve the redirect from {current}: {e}"))?;
    let next = base
        .join(location.trim())
        .map_err(|e| format!("the redirect's Location {shown} is not a URL ({e}); not followed"))?;
    if !next.username().is_empty() || next.password().is_some() {
        let mut redacted = next.clone();
        let _ = redacted.set_username("***");
        let _ = redacted.set_password(None);
        return Err(format!(
            "the redirect's Location ({redacted}) carries a user:password@ part, which would be \
             stored and printed with the attempt; not followed"
        ));
    }
    match next.scheme() {
        "http" | "https" => Ok(next.to_string()),
        other => Err(format!(
            "the redirect's Location {shown} leads to a {other}: URL; only http and https are followed"
        )),
    }
}

/// The request after a redirect to `url`: 307/308 keep method and body; others become a
/// bodiless GET.
fn redirected(request: &OutgoingRequest, url: String, status: u16) -> OutgoingRequest {
    let mut next = OutgoingRequest {
        url,
        ..request.clone()
    };
    if !matches!(status, 307 | 308) {
        next.method = "GET".into();
        next.body.clear();
        next.headers.remove("content-length");
        next.headers.remove("content-type");
    }
    next
}

/// `8 MiB`, `64 KiB`, `100 bytes`.
fn describe_bytes(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

fn failed_attempt(request: OutgoingRequest, error: SendFailure) -> Attempt {
    Attempt {
        target: request.url.clone(),
        started_at_us: 0,
        request,
        status: None,
        response_headers: HeaderList::new(),
        response_body: Vec::new(),
        latency_us: 0,
        error: Some(error),
        redirects: Vec::new(),
    }
}

/// Seconds as a wait: negative or not a number is no wait; more than a [`Duration`] holds
/// saturates (a scheduled time that far away never comes, it does not wrap round to now).
pub fn secs_to_delay(secs: f64) -> Duration {
    if secs.is_nan() || secs <= 0.0 {
        Duration::ZERO
    } else {
        Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX)
    }
}

/// A year: the longest wait `send` schedules, and past which a wait is described as "more than
/// a year".
pub const LONGEST_WAIT: Duration = Duration::from_hours(365 * 24);

/// `30 s`, `250 ms`; more than [`LONGEST_WAIT`] is "more than a year".
pub fn describe_duration(d: Duration) -> String {
    if d > LONGEST_WAIT {
        return "more than a year".into();
    }
    if d.subsec_millis() == 0 && d.as_secs() > 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// reqwest's error in plain words: DNS, refused, TLS, timeout.
fn classify_reqwest(target: &Target, e: &reqwest::Error) -> SendFailure {
    if e.is_timeout() {
        return SendFailure::new(FailureKind::Timeout, "no complete response in time (timeout)");
    }
    let mut chain = Vec::new();
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return exact::connect_failure(&target.authority, io);
        }
        chain.push(s.to_string());
        source = s.source();
    }
    let text = chain.join(": ").to_ascii_lowercase();
    if text.contains("dns") || text.contains("failed to lookup") || text.contains("name or service") {
        SendFailure::new(FailureKind::Dns, format!("DNS lookup failed for {}", target.host))
    } else if [
        "certificate",
        "tls",
        "ssl",
        "handshake",
        "corrupt message",
        "alert",
        "peer is incompatible",
    ]
    .iter()
    .any(|w| text.contains(w))
    {
        SendFailure::new(
            FailureKind::Tls,
            format!(
                "TLS handshake with {} failed: {}",
                target.authority,
                chain.last().map_or("", String::as_str)
            ),
        )
    } else if e.is_connect() {
        SendFailure::new(
            FailureKind::Connect,
            format!(
                "cannot connect to {}: {}",
                target.authority,
                chain.last().map_or("", String::as_str)
            ),
        )
    } else {
        SendFailure::new(FailureKind::Protocol, format!("the request failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_saturate_instead_of_wrapping_to_zero() {
        assert_eq!(secs_to_delay(-1.0), Duration::ZERO);
        assert_eq!(secs_to_delay(f64::NAN), Duration::ZERO);
        assert_eq!(secs_to_delay(1.5), Duration::from_millis(1500));
        assert_eq!(secs_to_delay(1e300), Duration::MAX);
        assert_eq!(secs_to_delay(f64::INFINITY), Duration::MAX);
        assert_eq!(describe_duration(secs_to_delay(1e300)), "more than a year");
        assert_eq!(describe_duration(Duration::from_millis(250)), "250 ms");
    }

    #[test]
    fn redirect_rules() {
        let req = OutgoingRequest {
            method: "POST".into(),
            url: "http://h/a".into(),
            headers: HeaderList::from_pairs([("Content-Type", "x"), ("X", "1")]),
            body: b"b".to_vec(),
        };
        let same = redirected(&req, redirect_target(&req.url, "/b").unwrap(), 307);
        assert_eq!(
            (same.method.as_str(), same.url.as_str(), same.body.as_slice()),
            ("POST", "http://h/b", &b"b"[..])
        );
        let get = redirected(&req, redirect_target(&req.url, "http://o/c").unwrap(), 302);
        assert_eq!((get.method.as_str(), get.url.as_str()), ("GET", "http://o/c"));
        assert!(get.body.is_empty() && !get.headers.contains("content-type"));
        assert_eq!(describe_duration(Duration::from_secs(30)), "30 s");
        assert_eq!(describe_duration(Duration::from_millis(250)), "250 ms");
        // Resolved as a browser would; only http(s) is followed.
        let from = "http://h:8080/a/b?q=1";
        for (location, to) in [
            ("c", "http://h:8080/a/c"),
            ("../c", "http://h:8080/c"),
            ("?x=2", "http://h:8080/a/b?x=2"),
            ("//other/x", "http://other/x"),
            ("HTTPS://Other/y", "https://other/y"),
        ] {
            assert_eq!(redirect_target(from, location).as_deref(), Ok(to), "{location}");
        }
        for location in ["ftp://h/x", "file:///etc/passwd", "javascript:alert(1)"] {
            assert!(redirect_target(from, location).is_err(), "{location}");
        }
    }
}
