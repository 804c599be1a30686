//! Response rules: how the receiver answers, per path pattern and (optionally) method.
//!
//! A pure model and matcher (no tokio): [`RuleConfig`] is what a user writes (TOML file, the
//! window's Rules panel), [`Rules`] the compiled, matchable form with its "fail the next N"
//! counters, and [`LiveRules`] the snapshot the receiver reads per request and the window or
//! CLI swaps without a restart.
//!
//! ```toml
//! [[rule]]
//! path = "/fail/*"        # glob over the path (no query); `*` also matches `/`
//! fail_next = 2           # answer `fail_status` this many times, then the normal answer
//! fail_status = 503
//!
//! [[rule]]
//! path = "/slow"
//! method = "POST"         # optional; any method when left out
//! delay_ms = 2000
//! status = 202
//! body = '{"queued":true}'
//! headers = { "Retry-After" = "5" }
//! ```
//! The first enabled rule that matches answers; no match → the default `200 {"ok":true}`.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, RwLock};

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::capture::clip::{clip_quoted, quote_clipped};
use crate::capture::path_glob::PathGlob;
use crate::capture::{HeaderList, ResponseSent};

/// Longest delay a rule may ask for: 5 minutes (providers give up after 30 s or so).
pub const MAX_DELAY_MS: u64 = 300_000;
/// Body of a simulated failure when the rule names none.
pub const DEFAULT_FAIL_BODY: &str = r#"{"error":"failure simulated by hookscope"}"#;

/// One rule as written by the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// A label for the Rules panel.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Glob over the request path (without the query): `/fail/*`, `/hooks/**/stripe`, `/slow`.
    pub path: PathPattern,
    /// Only this method (case-insensitive); any method when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<MethodName>,
    #[serde(default = "default_status")]
    pub status: StatusCode,
    /// Response headers, in order. Without a `content-type` and without a `body`, the default
    /// `application/json` body `{"ok":true}` is sent.
    #[serde(default, skip_serializing_if = "ResponseHeaders::is_empty")]
    pub headers: ResponseHeaders,
    /// Response body; `None` → `{"ok":true}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Wait this long after the request is stored, before answering (failures too).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delay_ms: DelayMs,
    /// Answer `fail_status` to the next N matching requests, then the normal answer again.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub fail_next: u32,
    #[serde(default = "default_fail_status")]
    pub fail_status: StatusCode,
    /// Body of the simulated failures; `None` → [`DEFAULT_FAIL_BODY`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_body: Option<String>,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
}

fn default_status() -> StatusCode {
    StatusCode(200)
}
fn default_fail_status() -> StatusCode {
    StatusCode(503)
}
fn yes() -> bool {
    true
}
#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_true(b: &bool) -> bool {
    *b
}
#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(d: &DelayMs) -> bool {
    d.0 == 0
}
#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

impl RuleConfig {
    /// A rule for `path` that answers like the default until edited.
    pub fn new(path: &str) -> Result<Self, String> {
        Ok(RuleConfig {
            name: String::new(),
            path: PathPattern::new(path)?,
            method: None,
            status: StatusCode(200),
            headers: ResponseHeaders::default(),
            body: None,
            delay_ms: DelayMs(0),
            fail_next: 0,
            fail_status: StatusCode(503),
            fail_body: None,
            enabled: true,
        })
    }

    /// The normal answer of this rule.
    pub fn answer(&self) -> ResponseSent {
        let mut headers =
            HeaderList::from_pairs(self.headers.0.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let body = if let Some(b) = &self.body {
            b.as_bytes().to_vec()
        } else {
            if !headers.contains("content-type") {
                headers.push("content-type", "application/json");
            }
            br#"{"ok":true}"#.to_vec()
        };
        ResponseSent {
            status: self.status.0,
            headers,
            body,
            delay_ms: self.delay_ms.0,
        }
    }

    /// The answer while "fail the next N" is counting down.
    pub fn failure(&self) -> ResponseSent {
        let body = self.fail_body.as_deref().unwrap_or(DEFAULT_FAIL_BODY);
        let content_type = if body.trim_start().starts_with(['{', '[']) {
            "application/json"
        } else {
            "text/plain; charset=utf-8"
        };
        ResponseSent {
            status: self.fail_status.0,
            headers: HeaderList::from_pairs([("content-type", content_type)]),
            body: body.as_bytes().to_vec(),
            delay_ms: self.delay_ms.0,
        }
    }

    fn matches_method(&self, method: &str) -> bool {
        self.method
            .as_ref()
            .is_none_or(|m| m.0.eq_ignore_ascii_case(method))
    }
}

/// A rules file: `[[rule]]` tables in order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    #[serde(default, alias = "rules")]
    pub rule: Vec<RuleConfig>,
}

/// A rules file that cannot be used, with the line it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {}", clip_quoted(.message))]
pub struct RulesError {
    /// 1-based line; 0 when unknown.
    pub line: usize,
    pub message: String,
}

impl RuleSet {
    /// Parse and validate a TOML rules file.
    pub fn from_toml(text: &str) -> Result<Self, RulesError> {
        toml::from_str::<RuleSet>(text).map_err(|e| {
            let line = e.span().map_or(0, |s| {
                text.get(..s.start).unwrap_or(text).matches('\n').count() + 1
            });
            RulesError {
                line,
                message: e.message().trim().to_string(),
            }
        })
    }

    /// The TOML form (what the window saves and what `--rules` reads).
    pub fn to_toml(&self) -> String {
        // Every field serializes to plain TOML values; an error here would be a bug, and the
        // empty set is the safe answer.
        toml::to_string_pretty(self).unwrap_or_default()
    }
}

/// Compiled rules with their failure counters.
#[derive(Debug, Default)]
pub struct Rules {
    rules: Vec<Compiled>,
}

#[derive(Debug)]
struct Compiled {
    config: RuleConfig,
    /// Failures still to send.
    remaining: AtomicU32,
}

impl Rules {
    /// Compile a rule set; every counter starts at its rule's `fail_next`.
    pub fn compile(set: &RuleSet) -> Self {
        Rules {
            rules: set
                .rule
                .iter()
                .map(|config| Compiled {
                    remaining: AtomicU32::new(config.fail_next),
                    config: config.clone(),
                })
                .collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The answer for a request, counting down a failure when one is due. `None` → default.
    pub fn respond(&self, method: &str, path: &str) -> Option<ResponseSent> {
        let rule = self.rules.iter().find(|r| {
            r.config.enabled && r.config.matches_method(method) && r.config.path.glob.is_match(path)
        })?;
        let failing = rule
            .remaining
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_ok();
        Some(if failing {
            rule.config.failure()
        } else {
            rule.config.answer()
        })
    }

    /// Failures still to come, per rule (in order).
    pub fn remaining_failures(&self) -> Vec<u32> {
        self.rules
            .iter()
            .map(|r| r.remaining.load(Ordering::Acquire))
            .collect()
    }
}

/// The rules the receiver answers with, swappable while it runs.
#[derive(Debug, Clone, Default)]
pub struct LiveRules(Arc<RwLock<Arc<Rules>>>);

impl LiveRules {
    pub fn new(set: &RuleSet) -> Self {
        LiveRules(Arc::new(RwLock::new(Arc::new(Rules::compile(set)))))
    }

    /// The current snapshot.
    pub fn current(&self) -> Arc<Rules> {
        match self.0.read() {
            Ok(r) => r.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replace every rule; "fail the next N" counters start again from the new values.
    pub fn replace(&self, set: &RuleSet) {
        let rules = Arc::new(Rules::compile(set));
        match self.0.write() {
            Ok(mut w) => *w = rules,
            Err(poisoned) => *poisoned.into_inner() = rules,
        }
    }

    /// See [`Rules::respond`].
    pub fn respond(&self, method: &str, path: &str) -> Option<ResponseSent> {
        self.current().respond(method, path)
    }
}

/// A validated path glob.
#[derive(Clone)]
pub struct PathPattern {
    text: String,
    glob: PathGlob,
}

impl PathPattern {
    pub fn new(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if !(text.starts_with('/') || text.starts_with('*')) {
            return Err(format!(
                "path pattern {} must start with `/` (or `*`)",
                quote_clipped(text)
            ));
        }
        let glob = PathGlob::new(text)?;
        Ok(PathPattern {
            text: text.to_string(),
            glob,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for PathPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.text)
    }
}

impl PartialEq for PathPattern {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}
impl Eq for PathPattern {}

impl Serialize for PathPattern {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for PathPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        PathPattern::new(&text).map_err(de::Error::custom)
    }
}

/// An HTTP method token (`POST`, `PATCH`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct MethodName(pub String);

impl MethodName {
    pub fn new(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() || !text.bytes().all(is_token_byte) {
            return Err(format!("`{text}` is not an HTTP method"));
        }
        Ok(MethodName(text.to_ascii_uppercase()))
    }
}

impl<'de> Deserialize<'de> for MethodName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        MethodName::new(&String::deserialize(d)?).map_err(de::Error::custom)
    }
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A final status code hookscope can answer with (200–599; a 1xx is not a final answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct StatusCode(pub u16);

impl StatusCode {
    pub fn new(code: i64) -> Result<Self, String> {
        u16::try_from(code)
            .ok()
            .filter(|c| (200..=599).contains(c))
            .map(StatusCode)
            .ok_or_else(|| {
                if (100..200).contains(&code) {
                    format!("status {code} is not between 200 and 599 (a 1xx is not a final answer)")
                } else {
                    format!("status {code} is not between 200 and 599")
                }
            })
    }
}

impl<'de> Deserialize<'de> for StatusCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        StatusCode::new(i64::deserialize(d)?).map_err(de::Error::custom)
    }
}

/// A delay of at most [`MAX_DELAY_MS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct DelayMs(pub u64);

impl DelayMs {
    pub fn new(ms: i64) -> Result<Self, String> {
        u64::try_from(ms)
            .ok()
            .filter(|ms| *ms <= MAX_DELAY_MS)
            .map(DelayMs)
            .ok_or_else(|| format!("delay_ms {ms} must be between 0 and {MAX_DELAY_MS}"))
    }
}

impl<'de> Deserialize<'de> for DelayMs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        DelayMs::new(i64::deserialize(d)?).map_err(de::Error::custom)
    }
}

/// Headers that frame the message or manage the connection: set from the actual body by the HTTP
/// stack. A rule's own value would cut the answer short, leave the client waiting for bytes that
/// never come, or take the connection over.
const FRAMING_HEADERS: &[&str] = &[
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "proxy-connection",
];

/// Response headers as `{ "Name" = "value" }`, order kept, names and values checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResponseHeaders(pub Vec<(String, String)>);

impl ResponseHeaders {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Check one header as the receiver would send it.
    pub fn check(name: &str, value: &str) -> Result<(), String> {
        if axum::http::HeaderName::try_from(name).is_err() {
            return Err(format!("`{name}` is not a valid header name"));
        }
        if FRAMING_HEADERS.iter().any(|h| name.eq_ignore_ascii_case(h)) {
            return Err(format!(
                "`{name}` is set by the receiver from the body and the connection; a rule cannot set it"
            ));
        }
        if axum::http::HeaderValue::try_from(value).is_err() {
            return Err(format!(
                "the value of header `{name}` has characters a header cannot carry"
            ));
        }
        Ok(())
    }
}

impl Serialize for ResponseHeaders {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for ResponseHeaders {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ResponseHeaders;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(r#"a table of header names to string values, e.g. { "Retry-After" = "5" }"#)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((name, value)) = map.next_entry::<String, String>()? {
                    ResponseHeaders::check(&name, &value).map_err(de::Error::custom)?;
                    out.push((name, value));
                }
                Ok(ResponseHeaders(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
