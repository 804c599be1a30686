//! Delivery facts read from a request: the provider's event type, its delivery id (for duplicate
//! detection), the `"test": true` flag, and the resource and payload timestamp an ordering check
//! compares. Pure: headers and body bytes in, facts out.

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::HeaderList;

/// Body larger than this is not parsed for delivery facts (headers still count).
const MAX_PARSE_BYTES: usize = 2 * 1024 * 1024;

/// Delivery-id headers, with the provider name used to namespace the id.
const DELIVERY_HEADERS: [(&str, &str); 9] = [
    ("X-SMTM-Delivery", "smtm"),
    ("x-maintainx-event-id", "maintainx"),
    ("webhook-id", "standard-webhooks"),
    ("svix-id", "svix"),
    ("X-GitHub-Delivery", "github"),
    ("Twitch-Eventsub-Message-Id", "twitch"),
    ("Linear-Delivery", "linear"),
    ("X-Shopify-Webhook-Id", "shopify"),
    ("I-Twilio-Idempotency-Token", "twilio"),
];

/// Event-type headers.
const EVENT_HEADERS: [&str; 5] = [
    "X-SMTM-Event",
    "X-GitHub-Event",
    "X-Shopify-Topic",
    "Linear-Event",
    "Twitch-Eventsub-Subscription-Type",
];

/// What a request says about the delivery it belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryFacts {
    /// `task.completed`, `push`, `payment_intent.succeeded`...
    pub event: Option<String>,
    /// Namespaced delivery id, e.g. `smtm:6f1c…`; equal ids mean the same delivery.
    pub delivery_id: Option<String>,
    /// The body has a top-level `"test": true`.
    pub test: bool,
    /// Namespaced resource the event is about, e.g. `smtm:T-1001`.
    pub resource_key: Option<String>,
    /// Payload timestamp in microseconds since the epoch.
    pub payload_ts_us: Option<i64>,
}

/// The top-level fields delivery facts come from, borrowed from the body without building a
/// tree of the whole document (this runs for every request, on the ingest path).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Top<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    object: Option<&'a RawValue>,
    #[serde(borrow)]
    test: Option<&'a RawValue>,
    #[serde(borrow)]
    event: Option<&'a RawValue>,
    #[serde(borrow, rename = "type")]
    kind: Option<&'a RawValue>,
    #[serde(borrow)]
    event_type: Option<&'a RawValue>,
    #[serde(borrow, rename = "eventType")]
    event_type_camel: Option<&'a RawValue>,
    #[serde(borrow)]
    topic: Option<&'a RawValue>,
    #[serde(borrow)]
    timestamp: Option<&'a RawValue>,
    #[serde(borrow)]
    created: Option<&'a RawValue>,
    #[serde(borrow)]
    occurred_at: Option<&'a RawValue>,
    #[serde(borrow)]
    event_ts: Option<&'a RawValue>,
    #[serde(borrow)]
    created_at: Option<&'a RawValue>,
    #[serde(borrow)]
    event_time: Option<&'a RawValue>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
    #[serde(borrow)]
    resource: Option<&'a RawValue>,
}

impl<'a> Top<'a> {
    fn timestamps(&self) -> [Option<&'a RawValue>; 6] {
        [
            self.timestamp,
            self.created,
            self.occurred_at,
            self.event_ts,
            self.created_at,
            self.event_time,
        ]
    }
}

/// A JSON string value.
fn raw_str(raw: Option<&RawValue>) -> Option<String> {
    let text = raw?.get();
    text.starts_with('"')
        .then(|| serde_json::from_str::<String>(text).ok())
        .flatten()
}

/// A small JSON value (a scalar or a short object), parsed on demand.
fn raw_value(raw: Option<&RawValue>) -> Option<Value> {
    serde_json::from_str(raw?.get()).ok()
}

/// Read the delivery facts of a request. `provider` names the provider or scheme when known
/// (it namespaces body-derived ids); `None` means generic.
pub fn delivery_facts(provider: Option<&str>, headers: &HeaderList, body: &[u8]) -> DeliveryFacts {
    let mut facts = DeliveryFacts {
        event: EVENT_HEADERS
            .iter()
            .find_map(|h| headers.get(h))
            .map(|v| v.trim().to_string()),
        delivery_id: DELIVERY_HEADERS
            .iter()
            .find_map(|(h, ns)| headers.get(h).map(|v| format!("{ns}:{}", v.trim()))),
        ..DeliveryFacts::default()
    };
    let Some(top) = parse_top(body) else {
        return facts;
    };
    facts.test = top.test.is_some_and(|t| t.get() == "true");
    if facts.event.is_none() {
        facts.event = [
            top.event,
            top.kind,
            top.event_type,
            top.event_type_camel,
            top.topic,
        ]
        .into_iter()
        .find_map(raw_str)
        .or_else(|| nested_str(top.event, &["type"]));
    }
    let ns = provider.unwrap_or("generic");
    if facts.delivery_id.is_none() && is_stripe_event(headers, &top) {
        facts.delivery_id = raw_str(top.id).map(|id| format!("stripe:{id}"));
    }
    facts.resource_key = resource_id(&top).map(|id| format!("{ns}:{id}"));
    facts.payload_ts_us = top
        .timestamps()
        .into_iter()
        .find_map(|raw| raw_value(raw).as_ref().and_then(timestamp_us))
        .or_else(|| {
            nested_value(top.event, &["event_ts"])
                .as_ref()
                .and_then(timestamp_us)
        });
    facts
}

fn parse_top(body: &[u8]) -> Option<Top<'_>> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace())?;
    if body.len() > MAX_PARSE_BYTES || *first != b'{' {
        return None;
    }
    serde_json::from_slice::<Top<'_>>(body).ok()
}

/// A Stripe event body: `{"id": "evt_…", "object": "event", …}` or signed with `Stripe-Signature`.
fn is_stripe_event(headers: &HeaderList, top: &Top<'_>) -> bool {
    headers.contains("Stripe-Signature") || raw_str(top.object).as_deref() == Some("event")
}

/// The value at `path` inside a (nested) object field, when it is small enough to matter.
fn nested_value(raw: Option<&RawValue>, path: &[&str]) -> Option<Value> {
    let raw = raw?.get();
    if !raw.starts_with('{') {
        return None;
    }
    let mut v: Value = serde_json::from_str(raw).ok()?;
    for key in path {
        v = v.get_mut(*key)?.take();
    }
    Some(v)
}

fn nested_str(raw: Option<&RawValue>, path: &[&str]) -> Option<String> {
    match nested_value(raw, path)? {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// The resource an event is about: `data.object.id`, `data.task_id`, …, `data.id`, `resource.id`.
fn resource_id(top: &Top<'_>) -> Option<String> {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Data<'a> {
        #[serde(borrow)]
        object: Option<&'a RawValue>,
        #[serde(borrow)]
        task_id: Option<&'a RawValue>,
        #[serde(borrow)]
        repair_request_id: Option<&'a RawValue>,
        #[serde(borrow)]
        shutdown_id: Option<&'a RawValue>,
        #[serde(borrow)]
        workorder_id: Option<&'a RawValue>,
        #[serde(borrow)]
        work_order_id: Option<&'a RawValue>,
        #[serde(borrow)]
        user_id: Option<&'a RawValue>,
        #[serde(borrow)]
        id: Option<&'a RawValue>,
    }
    let data = top
        .data
        .filter(|d| d.get().starts_with('{'))
        .and_then(|d| serde_json::from_str::<Data<'_>>(d.get()).ok())
        .unwrap_or_default();
    let object_id = data
        .object
        .filter(|o| o.get().starts_with('{'))
        .and_then(|o| serde_json::from_str::<Data<'_>>(o.get()).ok())
        .and_then(|o| scalar(o.id));
    object_id
        .or_else(|| {
            [
                data.task_id,
                data.repair_request_id,
                data.shutdown_id,
                data.workorder_id,
                data.work_order_id,
            ]
            .into_iter()
            .chain([data.user_id, data.id])
            .find_map(scalar)
        })
        .or_else(|| {
            top.resource
                .filter(|r| r.get().starts_with('{'))
                .and_then(|r| serde_json::from_str::<Data<'_>>(r.get()).ok())
                .and_then(|r| scalar(r.id))
        })
}

/// A non-empty string or a number, as text.
fn scalar(raw: Option<&RawValue>) -> Option<String> {
    match raw_value(raw)? {
        Value::String(s) if !s.is_empty() => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A payload timestamp: RFC 3339 text, or a number of seconds, milliseconds or microseconds
/// (told apart by magnitude), or such a number written as a string (Slack's `"1700000000.000100"`).
pub fn timestamp_us(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => {
            super::parse_rfc3339_us(s).or_else(|| s.trim().parse::<f64>().ok().and_then(number_us))
        }
        Value::Number(n) => n.as_f64().and_then(number_us),
        _ => None,
    }
}

fn number_us(n: f64) -> Option<i64> {
    if !n.is_finite() || n <= 0.0 {
        return None;
    }
    let us = if n < 1e11 {
        n * 1e6
    } else if n < 1e14 {
        n * 1e3
    } else {
        n
    };
    (us < 9.0e18).then_some(us as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(provider: Option<&str>, headers: &[(&str, &str)], body: &str) -> DeliveryFacts {
        delivery_facts(
            provider,
            &HeaderList::from_pairs(headers.iter().copied()),
            body.as_bytes(),
        )
    }

    #[test]
    fn smtm_delivery() {
        let f = facts(
            Some("smtm"),
            &[("X-SMTM-Event", "task.completed"), ("X-SMTM-Delivery", "6f1c-01")],
            r#"{"event":"task.completed","timestamp":"2026-04-24T09:15:30+07:00","test":true,
                "data":{"task_id":"T-1001","asset_id":"A-7"}}"#,
        );
        assert_eq!(f.event.as_deref(), Some("task.completed"));
        assert_eq!(f.delivery_id.as_deref(), Some("smtm:6f1c-01"));
        assert!(f.test);
        assert_eq!(f.resource_key.as_deref(), Some("smtm:T-1001"));
        assert_eq!(
            f.payload_ts_us,
            crate::capture::parse_rfc3339_us("2026-04-24T02:15:30Z")
        );
    }

    #[test]
    fn maintainx_stripe_github() {
        let f = facts(
            Some("maintainx"),
            &[("x-maintainx-event-id", "evt-9")],
            r#"{"event":"workorder.updated","timestamp":1760000000123,"data":{"id":42,"priority":"HIGH"}}"#,
        );
        assert_eq!(f.event.as_deref(), Some("workorder.updated"));
        assert_eq!(f.delivery_id.as_deref(), Some("maintainx:evt-9"));
        assert_eq!(f.resource_key.as_deref(), Some("maintainx:42"));
        assert_eq!(f.payload_ts_us, Some(1_760_000_000_123_000));
        assert!(!f.test);

        let f = facts(
            Some("stripe"),
            &[("Stripe-Signature", "t=1,v1=00")],
            r#"{"id":"evt_1","object":"event","type":"payment_intent.succeeded","created":1760000000,
                "data":{"object":{"id":"pi_1","object":"payment_intent"}}}"#,
        );
        assert_eq!(f.delivery_id.as_deref(), Some("stripe:evt_1"));
        assert_eq!(f.event.as_deref(), Some("payment_intent.succeeded"));
        assert_eq!(f.resource_key.as_deref(), Some("stripe:pi_1"));
        assert_eq!(f.payload_ts_us, Some(1_760_000_000_000_000));

        let f = facts(
            Some("github"),
            &[("X-GitHub-Event", "push"), ("X-GitHub-Delivery", "d-1")],
            "{}",
        );
        assert_eq!(f.event.as_deref(), Some("push"));
        assert_eq!(f.delivery_id.as_deref(), Some("github:d-1"));
        assert_eq!(f.resource_key, None);
    }

    #[test]
    fn non_json_and_odd_values_give_header_facts_only() {
        let f = facts(None, &[("webhook-id", "msg_1")], "not json");
        assert_eq!(f.delivery_id.as_deref(), Some("standard-webhooks:msg_1"));
        assert_eq!((f.test, f.event, f.payload_ts_us), (false, None, None));
        let f = facts(
            None,
            &[],
            r#"{"test":"true","timestamp":"soon","data":{"id":""}}"#,
        );
        assert!(!f.test, "only the boolean true counts");
        assert_eq!((f.payload_ts_us, f.resource_key), (None, None));
        let f = facts(None, &[], "[1,2]");
        assert_eq!(f, DeliveryFacts::default());
        // A body that is not an object at the top never panics, whatever its bytes.
        let f = delivery_facts(None, &HeaderList::new(), &[0xff, 0xfe, b'{']);
        assert_eq!(f, DeliveryFacts::default());
    }

    #[test]
    fn timestamps_by_magnitude() {
        assert_eq!(
            timestamp_us(&serde_json::json!(1_760_000_000)),
            Some(1_760_000_000_000_000)
        );
        assert_eq!(
            timestamp_us(&serde_json::json!(1_760_000_000_000_i64)),
            Some(1_760_000_000_000_000)
        );
        assert_eq!(
            timestamp_us(&serde_json::json!("1700000000.000100")),
            Some(1_700_000_000_000_100)
        );
        assert_eq!(timestamp_us(&serde_json::json!(-5)), None);
        assert_eq!(timestamp_us(&serde_json::json!(null)), None);
    }
}
