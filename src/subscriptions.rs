//! MaintainX webhook subscriptions (PRODUCT.md §9): list, create and delete the webhooks a
//! MaintainX organisation sends, through its REST API: `GET /v1/webhooks`,
//! `POST /v1/webhooks {url, events[]}`, `DELETE /v1/webhooks/{id}`, with a bearer API key.
//!
//! Requests go through [`crate::send::Client`] (failures in plain words, 30 s timeout, no
//! redirects followed, so the key never follows a redirect). Answers are read leniently: a list
//! may come bare or inside `webhooks` / `data` / `items`, ids may be numbers or strings.

use serde_json::{Value, json};

use crate::capture::HeaderList;
use crate::send::{Attempt, Client, ClientConfig, OutgoingRequest, parse_target};
use crate::signature::Secret;

/// The MaintainX API.
pub const DEFAULT_BASE_URL: &str = "https://api.getmaintainx.com";
/// Where the CLI reads the API key by default.
pub const API_KEY_ENV: &str = "MAINTAINX_API_KEY";

/// One webhook subscription.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Subscription {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
}

/// Where the API is and how to authenticate. The key's `Debug` is redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiConfig {
    pub base_url: String,
    pub api_key: Secret,
}

/// What went wrong, in one sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SubscriptionError(pub String);

fn err(message: impl Into<String>) -> SubscriptionError {
    SubscriptionError(message.into())
}

impl ApiConfig {
    /// Whether the base URL can be used, before anything is sent.
    pub fn check_base_url(&self) -> Result<(), SubscriptionError> {
        self.url(None).map(|_| ())
    }

    /// `{base}/v1/webhooks[/{id}]`, checked.
    fn url(&self, id: Option<&str>) -> Result<String, SubscriptionError> {
        let base = self.base_url.trim().trim_end_matches('/');
        if base.is_empty() {
            return Err(err("enter the API base URL, e.g. https://api.getmaintainx.com"));
        }
        // The path is appended to the base: a query or fragment in it would swallow the path.
        if base.contains(['?', '#']) {
            return Err(err(format!(
                "the API base URL '{base}' has a query or fragment; give only scheme, host and \
                 path, e.g. https://api.getmaintainx.com"
            )));
        }
        let mut url = format!("{base}/v1/webhooks");
        if let Some(id) = id {
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
                return Err(err(format!("'{id}' is not a webhook id")));
            }
            url.push('/');
            url.push_str(id);
        }
        parse_target(&url).map_err(|e| err(format!("the API base URL is not usable: {e}")))?;
        Ok(url)
    }

    fn request(
        &self,
        method: &str,
        url: String,
        body: Option<&Value>,
    ) -> Result<OutgoingRequest, SubscriptionError> {
        if self.api_key.expose().trim().is_empty() {
            return Err(err("enter the MaintainX API key"));
        }
        let mut headers = HeaderList::from_pairs([
            (
                "Authorization",
                format!("Bearer {}", self.api_key.expose().trim()),
            ),
            ("Accept", "application/json".to_string()),
            ("User-Agent", format!("hookscope/{}", env!("CARGO_PKG_VERSION"))),
        ]);
        if body.is_some() {
            headers.push("Content-Type", "application/json");
        }
        Ok(OutgoingRequest {
            method: method.into(),
            url,
            headers,
            body: body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
        })
    }
}

/// A successful answer's body, or the failure said plainly. The key is never part of it, even
/// when the API's answer repeats it.
fn answered(attempt: &Attempt, what: &str, key: &str) -> Result<Vec<u8>, SubscriptionError> {
    let redact = |text: &str| {
        let key = key.trim();
        if key.is_empty() {
            text.to_string()
        } else {
            text.replace(key, "***")
        }
    };
    if let Some(e) = &attempt.error {
        return Err(err(format!("could not {what}: {}", redact(&e.message))));
    }
    match attempt.status {
        Some(s) if (200..300).contains(&s) => Ok(attempt.response_body.clone()),
        Some(401 | 403) => Err(err(format!(
            "could not {what}: the API refused the key ({})",
            attempt.status.unwrap_or_default()
        ))),
        Some(s) => {
            let text = redact(&String::from_utf8_lossy(&attempt.response_body));
            let excerpt: String = text.chars().take(200).collect();
            // The API's words, never instructions to the terminal or the window.
            let excerpt = crate::capture::clip::escape_controls(&excerpt, false);
            Err(err(format!(
                "could not {what}: the API answered {s}: {}",
                excerpt.trim()
            )))
        }
        None => Err(err(format!("could not {what}: no response"))),
    }
}

/// A webhook object, or `None` when it has no id.
fn subscription(v: &Value) -> Option<Subscription> {
    let id = match v.get("id")? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Some(Subscription {
        id,
        url: v
            .get("url")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        events: v
            .get("events")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default(),
    })
}

/// The webhooks a `GET /v1/webhooks` answer lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookList {
    pub webhooks: Vec<Subscription>,
    /// Entries without an id hookscope can read; not shown, but counted so none goes unsaid.
    pub unreadable: usize,
}

impl WebhookList {
    /// What to say about the entries left out, if any.
    pub fn unreadable_note(&self) -> Option<String> {
        match self.unreadable {
            0 => None,
            1 => Some("1 entry in the API's answer has no id and is not shown".into()),
            n => Some(format!(
                "{n} entries in the API's answer have no id and are not shown"
            )),
        }
    }
}

/// The list in a `GET /v1/webhooks` answer. Entries without an id are counted, not shown; when
/// no entry has one the answer is not a webhook list at all and that is the error.
pub fn parse_list(body: &[u8]) -> Result<WebhookList, SubscriptionError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| err(format!("the API's answer is not JSON: {e}")))?;
    let items = match &v {
        Value::Array(a) => a,
        Value::Object(o) => ["webhooks", "data", "items", "results"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_array))
            .ok_or_else(|| err("the API's answer holds no list of webhooks"))?,
        _ => return Err(err("the API's answer holds no list of webhooks")),
    };
    let webhooks: Vec<Subscription> = items.iter().filter_map(subscription).collect();
    let unreadable = items.len() - webhooks.len();
    if webhooks.is_empty() && unreadable > 0 {
        return Err(err(format!(
            "the API's answer lists {unreadable} entr{} but none has an id hookscope can read",
            if unreadable == 1 { "y" } else { "ies" }
        )));
    }
    Ok(WebhookList { webhooks, unreadable })
}

/// The webhook in a `POST /v1/webhooks` answer (bare, or inside `webhook` / `data`).
pub fn parse_created(body: &[u8]) -> Result<Subscription, SubscriptionError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| err(format!("the API's answer is not JSON: {e}")))?;
    subscription(&v)
        .or_else(|| {
            ["webhook", "data"]
                .iter()
                .find_map(|k| v.get(*k).and_then(subscription))
        })
        .ok_or_else(|| err("the API's answer does not say the new webhook's id"))
}

fn client() -> Client {
    Client::new(ClientConfig::default())
}

/// `GET /v1/webhooks`.
pub async fn list(cfg: &ApiConfig) -> Result<WebhookList, SubscriptionError> {
    let req = cfg.request("GET", cfg.url(None)?, None)?;
    let attempt = client().send(&req).await;
    parse_list(&answered(&attempt, "list the webhooks", cfg.api_key.expose())?)
}

/// `POST /v1/webhooks {url, events}`.
pub async fn create(
    cfg: &ApiConfig,
    url: &str,
    events: &[String],
) -> Result<Subscription, SubscriptionError> {
    parse_target(url.trim()).map_err(|e| err(format!("the webhook URL is not usable: {e}")))?;
    if events.is_empty() {
        return Err(err("choose at least one event"));
    }
    let body = json!({ "url": url.trim(), "events": events });
    let req = cfg.request("POST", cfg.url(None)?, Some(&body))?;
    let attempt = client().send(&req).await;
    parse_created(&answered(&attempt, "create the webhook", cfg.api_key.expose())?)
}

/// `DELETE /v1/webhooks/{id}`.
pub async fn delete(cfg: &ApiConfig, id: &str) -> Result<(), SubscriptionError> {
    let req = cfg.request("DELETE", cfg.url(Some(id))?, None)?;
    let attempt = client().send(&req).await;
    answered(&attempt, &format!("delete webhook {id}"), cfg.api_key.expose()).map(|_| ())
}

/// Event names from a comma- or space-separated list.
pub fn parse_events(text: &str) -> Vec<String> {
    text.split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_read_bare_or_wrapped_with_number_or_text_ids() {
        let bare = br#"[{"id": 12, "url": "https://a.example/h", "events": ["workorder.created"]}]"#;
        let wrapped = br#"{"webhooks": [{"id": "wh_1", "url": "https://b.example/h", "events": []}, {"url": "no id"}]}"#;
        assert_eq!(
            parse_list(bare).unwrap().webhooks,
            vec![Subscription {
                id: "12".into(),
                url: "https://a.example/h".into(),
                events: vec!["workorder.created".into()],
            }]
        );
        let w = parse_list(wrapped).unwrap();
        assert_eq!(w.webhooks.len(), 1);
        assert_eq!(w.webhooks[0].id, "wh_1");
        assert_eq!(w.unreadable, 1);
        assert_eq!(
            w.unreadable_note().as_deref(),
            Some("1 entry in the API's answer has no id and is not shown")
        );
        assert_eq!(parse_list(b"[]").unwrap(), WebhookList::default());
        assert!(
            parse_list(br#"[{"name": "a"}, {"id": null}]"#)
                .unwrap_err()
                .0
                .contains("lists 2 entries but none has an id"),
            "a list of entries without ids is not 'no webhooks'"
        );
        assert!(parse_list(b"{\"nothing\": 1}").unwrap_err().0.contains("no list"));
        assert!(parse_list(b"<html>").unwrap_err().0.contains("not JSON"));
    }

    /// The API's answer `status` with `body`, as a send records it.
    fn api_answer(status: u16, body: &[u8]) -> Attempt {
        Attempt {
            target: "http://127.0.0.1:9/v1/webhooks".into(),
            started_at_us: 0,
            request: crate::send::OutgoingRequest::default(),
            status: Some(status),
            response_headers: HeaderList::new(),
            response_body: body.to_vec(),
            latency_us: 0,
            error: None,
            redirects: Vec::new(),
        }
    }

    #[test]
    fn an_error_answer_is_quoted_with_control_characters_escaped() {
        let attempt = api_answer(500, b"{\"e\":\"\x1b]0;PWNED\x07\x1b[31mred\"}");
        let e = answered(&attempt, "list the webhooks", "mxk_key").unwrap_err().0;
        assert!(!e.contains('\u{1b}') && !e.contains('\u{7}'), "{e:?}");
        assert!(
            e.contains("the API answered 500") && e.contains("\\u{1b}]0;PWNED"),
            "{e}"
        );
    }

    #[test]
    fn an_answer_that_repeats_the_key_never_shows_it() {
        let mut attempt = api_answer(
            400,
            br#"{"message":"bad key mxk_SUPERSECRET123 for this account"}"#,
        );
        let e = answered(&attempt, "list the webhooks", " mxk_SUPERSECRET123 ")
            .unwrap_err()
            .0;
        assert!(!e.contains("SUPERSECRET") && e.contains("bad key *** for"), "{e}");
        attempt.status = None;
        attempt.error = Some(crate::send::SendFailure::new(
            crate::send::FailureKind::Protocol,
            "echo mxk_SUPERSECRET123",
        ));
        let e = answered(&attempt, "list the webhooks", "mxk_SUPERSECRET123")
            .unwrap_err()
            .0;
        assert!(!e.contains("SUPERSECRET"), "{e}");
    }

    #[test]
    fn created_webhook_is_found_bare_or_wrapped() {
        assert_eq!(parse_created(br#"{"id": 7, "url": "u"}"#).unwrap().id, "7");
        assert_eq!(
            parse_created(br#"{"webhook": {"id": "x", "url": "u"}}"#)
                .unwrap()
                .id,
            "x"
        );
        assert!(parse_created(br#"{"ok": true}"#).is_err());
    }

    #[test]
    fn urls_ids_and_keys_are_checked_before_anything_is_sent() {
        let cfg = ApiConfig {
            base_url: "http://127.0.0.1:9/".into(),
            api_key: Secret::new("k"),
        };
        assert_eq!(cfg.url(None).unwrap(), "http://127.0.0.1:9/v1/webhooks");
        assert_eq!(
            cfg.url(Some("wh_1")).unwrap(),
            "http://127.0.0.1:9/v1/webhooks/wh_1"
        );
        assert!(cfg.url(Some("../admin")).is_err());
        for base in ["http://127.0.0.1:9/api?tenant=1", "http://127.0.0.1:9/#x"] {
            let with_query = ApiConfig {
                base_url: base.into(),
                ..cfg.clone()
            };
            assert!(
                with_query.url(None).unwrap_err().0.contains("query or fragment"),
                "{base}"
            );
        }
        let no_key = ApiConfig {
            api_key: Secret::new(" "),
            ..cfg.clone()
        };
        assert!(
            no_key
                .request("GET", cfg.url(None).unwrap(), None)
                .unwrap_err()
                .0
                .contains("API key")
        );
        let req = cfg.request("GET", cfg.url(None).unwrap(), None).unwrap();
        assert_eq!(req.headers.get("authorization"), Some("Bearer k"));
        assert!(!format!("{cfg:?}").contains("Bearer"));
        assert_eq!(parse_events("a, b c,,"), vec!["a", "b", "c"]);
    }
}
