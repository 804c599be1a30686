//! Synthetic test events: provider templates (data files under `assets/events/`), filled at send
//! time with current timestamps and fresh ids, always flagged `"test": true`.
//!
//! Pure: no tokio, no egui, no rusqlite. Sending lives in `send`.

mod edit;
mod placeholders;

use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;

pub use edit::{SetError, apply_set, check_test_flag, parse_set_arg};
pub use placeholders::{FillContext, fill_str, fill_value};

/// The template files, embedded at build time (data, not code).
const ASSET_FILES: [(&str, &str); 6] = [
    (
        "maintainx.json",
        include_str!("../../assets/events/maintainx.json"),
    ),
    ("smtm.json", include_str!("../../assets/events/smtm.json")),
    ("github.json", include_str!("../../assets/events/github.json")),
    ("stripe.json", include_str!("../../assets/events/stripe.json")),
    (
        "standard-webhooks.json",
        include_str!("../../assets/events/standard-webhooks.json"),
    ),
    ("slack.json", include_str!("../../assets/events/slack.json")),
];

/// One provider's templates and delivery conventions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    /// Short name used in `provider:event` (`smtm`, `maintainx`, ...).
    pub provider: String,
    /// Name for people.
    pub title: String,
    /// Signature scheme name (see `signature::Scheme::parse`).
    pub scheme: String,
    #[serde(default = "post")]
    pub method: String,
    /// Headers in the provider's order; placeholders allowed. The signature headers follow.
    pub headers: Vec<(String, String)>,
    /// Template of the delivery id (e.g. `{{uuid}}`, `evt_{{alnum:24}}`).
    pub delivery_id: String,
    /// Dot path of the payload timestamp (what an out-of-order batch varies).
    #[serde(default)]
    pub payload_timestamp: Option<String>,
    pub events: Vec<EventTemplate>,
}

fn post() -> String {
    "POST".into()
}

/// One event's payload template.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventTemplate {
    pub event: String,
    /// Dot path of the id of the resource the event is about (shared by an out-of-order batch).
    #[serde(default)]
    pub resource: Option<String>,
    pub body: Value,
}

/// Every provider, in a stable order.
#[derive(Debug)]
pub struct Catalog {
    pub providers: Vec<Provider>,
}

/// Why a template cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("'{0}' is not PROVIDER:EVENT (see `hookscope events`)")]
    BadName(String),
    #[error("no provider '{provider}'; known: {known}")]
    UnknownProvider { provider: String, known: String },
    #[error("{provider} has no event '{event}'; its events: {known}")]
    UnknownEvent {
        provider: String,
        event: String,
        known: String,
    },
    #[error("the built-in template {file} is broken: {detail}")]
    BrokenAsset { file: String, detail: String },
}

fn load() -> Result<Catalog, EventError> {
    let mut providers = Vec::new();
    for (file, text) in ASSET_FILES {
        let p: Provider = serde_json::from_str(text).map_err(|e| EventError::BrokenAsset {
            file: file.into(),
            detail: e.to_string(),
        })?;
        providers.push(p);
    }
    Ok(Catalog { providers })
}

/// The catalog of built-in templates.
pub fn catalog() -> Result<&'static Catalog, EventError> {
    static CATALOG: OnceLock<Result<Catalog, EventError>> = OnceLock::new();
    CATALOG.get_or_init(load).as_ref().map_err(Clone::clone)
}

impl Catalog {
    /// `provider:event` for every template.
    pub fn names(&self) -> Vec<String> {
        self.providers
            .iter()
            .flat_map(|p| {
                p.events
                    .iter()
                    .map(move |e| format!("{}:{}", p.provider, e.event))
            })
            .collect()
    }

    pub fn provider(&self, name: &str) -> Option<&Provider> {
        let name = name.trim().to_ascii_lowercase();
        self.providers.iter().find(|p| p.provider == name)
    }

    /// The template named `provider:event`.
    pub fn find(&self, name: &str) -> Result<(&Provider, &EventTemplate), EventError> {
        let (provider, event) = name
            .split_once(':')
            .ok_or_else(|| EventError::BadName(name.to_string()))?;
        let p = self
            .provider(provider)
            .ok_or_else(|| EventError::UnknownProvider {
                provider: provider.to_string(),
                known: self
                    .providers
                    .iter()
                    .map(|p| p.provider.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let e =
            p.events
                .iter()
                .find(|e| e.event == event.trim())
                .ok_or_else(|| EventError::UnknownEvent {
                    provider: p.provider.clone(),
                    event: event.to_string(),
                    known: p
                        .events
                        .iter()
                        .map(|e| e.event.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
        Ok((p, e))
    }
}

/// A filled template: what goes on the wire before signing.
#[derive(Debug, Clone, PartialEq)]
pub struct FilledEvent {
    pub provider: String,
    pub event: String,
    pub scheme: String,
    pub method: String,
    pub delivery_id: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
    /// Dot path of the payload timestamp, when the provider has one.
    pub payload_timestamp: Option<String>,
}

/// Fill `template` of `provider`: a fresh delivery id, current timestamps, random ids (named ones
/// shared through `ctx.vars`).
pub fn fill(provider: &Provider, template: &EventTemplate, ctx: &mut FillContext) -> FilledEvent {
    ctx.provider.clone_from(&provider.provider);
    ctx.event.clone_from(&template.event);
    ctx.delivery_id = String::new();
    ctx.delivery_id = fill_str(&provider.delivery_id, ctx);
    let mut body = template.body.clone();
    fill_value(&mut body, ctx);
    let headers = provider
        .headers
        .iter()
        .map(|(n, v)| (n.clone(), fill_str(v, ctx)))
        .collect();
    FilledEvent {
        provider: provider.provider.clone(),
        event: template.event.clone(),
        scheme: provider.scheme.clone(),
        method: provider.method.clone(),
        delivery_id: ctx.delivery_id.clone(),
        headers,
        body,
        payload_timestamp: provider.payload_timestamp.clone(),
    }
}

/// The value at a dot path (`data.task_id`, `items.0.id`).
pub fn get_path<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |v, seg| match v {
        Value::Object(m) => m.get(seg),
        Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

#[cfg(test)]
mod tests;
