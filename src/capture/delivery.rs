//! Delivery facts read from a request: the provider's event type, its delivery id (for duplicate
//! detection), the `"test": true` flag, and the resource and payload timestamp an ordering check
//! compares. Pure: headers and body bytes in, facts out.

use serde_json::Value;

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

/// Body fields holding the payload timestamp, in the order providers use them.
const TIMESTAMP_FIELDS: [&str; 6] = [
    "timestamp",
    "created",
    "occurred_at",
    "event_ts",
    "created_at",
    "event_time",
];

/// Body paths naming the resource an event is about.
const RESOURCE_PATHS: [&[&str]; 9] = [
    &["data", "object", "id"],
    &["data", "task_id"],
    &["data", "repair_request_id"],
    &["data", "shutdown_id"],
    &["data", "workorder_id"],
    &["data", "work_order_id"],
    &["data", "user_id"],
    &["data", "id"],
    &["resource", "id"],
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

/// Read the delivery facts of a request. `provider` names the provider or scheme when known
/// (it namespaces body-derived ids); `None` means generic.
pub fn delivery_facts(provider: Option<&str>, headers: &HeaderList, body: &[u8]) -> DeliveryFacts {
    let json = parse_object(body);
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
    let Some(obj) = json.as_ref().and_then(Value::as_object) else {
        return facts;
    };
    facts.test = obj.get("test") == Some(&Value::Bool(true));
    if facts.event.is_none() {
        facts.event = ["event", "type", "event_type", "eventType", "topic"]
            .iter()
            .find_map(|k| obj.get(*k).and_then(Value::as_str))
            .or_else(|| {
                obj.get("event")
                    .and_then(|e| e.get("type"))
                    .and_then(Value::as_str)
            })
            .map(str::to_string);
    }
    let ns = provider.unwrap_or("generic");
    if facts.delivery_id.is_none() && is_stripe_event(headers, obj) {
        facts.delivery_id = obj
            .get("id")
            .and_then(Value::as_str)
            .map(|id| format!("stripe:{id}"));
    }
    let json = json.as_ref().unwrap_or(&Value::Null);
    facts.resource_key = RESOURCE_PATHS
        .iter()
        .find_map(|path| scalar_at(json, path))
        .map(|id| format!("{ns}:{id}"));
    facts.payload_ts_us = TIMESTAMP_FIELDS
        .iter()
        .find_map(|k| obj.get(*k).and_then(timestamp_us))
        .or_else(|| {
            json.get("event")
                .and_then(|e| e.get("event_ts"))
                .and_then(timestamp_us)
        });
    facts
}

fn parse_object(body: &[u8]) -> Option<Value> {
    if body.len() > MAX_PARSE_BYTES
        || body
            .first()
            .is_none_or(|b| !b.is_ascii_whitespace() && *b != b'{')
    {
        return None;
    }
    serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object)
}

/// A Stripe event body: `{"id": "evt_…", "object": "event", …}` or signed with `Stripe-Signature`.
fn is_stripe_event(headers: &HeaderList, obj: &serde_json::Map<String, Value>) -> bool {
    headers.contains("Stripe-Signature") || obj.get("object").and_then(Value::as_str) == Some("event")
}

fn scalar_at(json: &Value, path: &[&str]) -> Option<String> {
    let mut v = json;
    for key in path {
        v = v.get(*key)?;
    }
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
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
