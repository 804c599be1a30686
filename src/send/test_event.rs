//! Turning a template (or a body file) into deliveries: provider headers, fresh ids, the
//! payload timestamps of an out-of-order batch, and a signature computed per attempt over the
//! exact bytes sent.

use rand::seq::SliceRandom as _;
use serde_json::Value;

use super::request::{OutgoingRequest, parse_target};
use crate::capture::HeaderList;
use crate::events::{self, FillContext, Provider};
use crate::signature::{self, Scheme, SignError, SignParams};

/// Scheme and secret a delivery is signed with.
#[derive(Clone, PartialEq, Eq)]
pub struct Signer {
    pub scheme: Scheme,
    pub secret: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("scheme", &self.scheme)
            .field("secret", &signature::redact(&self.secret))
            .finish()
    }
}

/// One delivery, ready to send (and re-send: each attempt is signed afresh, same id and body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedDelivery {
    pub delivery_id: String,
    pub provider: Option<String>,
    pub event: Option<String>,
    /// The payload timestamp as sent (for showing the order of a batch).
    pub payload_timestamp: Option<String>,
    /// The request without its signature headers.
    pub request: OutgoingRequest,
    pub signer: Option<Signer>,
}

impl PreparedDelivery {
    /// `provider:event`, or the event alone.
    pub fn name(&self) -> String {
        match (&self.provider, &self.event) {
            (Some(p), Some(e)) => format!("{p}:{e}"),
            (None, Some(e)) => e.clone(),
            _ => "body".into(),
        }
    }

    /// The request with its signature for an attempt at `now_unix`.
    pub fn signed(&self, now_unix: i64) -> Result<OutgoingRequest, SignError> {
        let mut req = self.request.clone();
        let Some(signer) = &self.signer else {
            return Ok(req);
        };
        let params = SignParams {
            method: &req.method,
            url: &req.url,
            body: &req.body,
            id: Some(&self.delivery_id),
            now_unix,
            ..SignParams::default()
        };
        let produced = signature::sign(&signer.scheme, &signer.secret, &params)?;
        for (name, value) in produced.headers {
            req.headers.set(&name, value);
        }
        if let Some(url) = produced.url {
            req.url = url;
        }
        Ok(req)
    }
}

/// How many deliveries to make from one template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchShape {
    /// Number of events (at least 1).
    pub count: usize,
    /// Out-of-order batch: the events are about one resource, their payload timestamps one
    /// second apart, and they are sent in shuffled order (never in timestamp order).
    pub shuffle: bool,
}

/// Smallest out-of-order batch.
const MIN_SHUFFLE: usize = 3;

/// Deliveries of `provider`'s event `event` with payload template `body` (placeholders still
/// in it, edits applied), to `url`.
pub fn prepare_batch(
    provider: &Provider,
    event: &str,
    body: &Value,
    url: &str,
    signer: Option<&Signer>,
    shape: BatchShape,
    now: jiff::Timestamp,
) -> Result<Vec<PreparedDelivery>, String> {
    parse_target(url).map_err(|e| e.to_string())?;
    events::check_test_flag(body).map_err(|e| e.to_string())?;
    let template = events::EventTemplate {
        event: event.to_string(),
        resource: None,
        body: body.clone(),
    };
    let count = if shape.shuffle {
        shape.count.max(MIN_SHUFFLE)
    } else {
        shape.count.max(1)
    };
    let mut shared = FillContext::at(now);
    let mut out = Vec::with_capacity(count);
    for k in 0..count {
        let mut ctx = if shape.shuffle {
            shared.now = now
                .checked_add(jiff::SignedDuration::from_secs(k as i64))
                .unwrap_or(now);
            std::mem::replace(&mut shared, FillContext::at(now))
        } else {
            FillContext::at(now)
        };
        let filled = events::fill(provider, &template, &mut ctx);
        if shape.shuffle {
            shared = ctx;
        }
        let payload_timestamp = provider
            .payload_timestamp
            .as_deref()
            .and_then(|p| events::get_path(&filled.body, p))
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned));
        let body = serde_json::to_vec(&filled.body).map_err(|e| e.to_string())?;
        out.push(PreparedDelivery {
            delivery_id: filled.delivery_id,
            provider: Some(filled.provider),
            event: Some(filled.event),
            payload_timestamp,
            request: OutgoingRequest {
                method: filled.method,
                url: url.to_string(),
                headers: HeaderList::from_pairs(filled.headers),
                body,
            },
            signer: signer.cloned(),
        });
    }
    if shape.shuffle {
        shuffle_out_of_order(&mut out);
    }
    Ok(out)
}

/// Shuffle so that the order is never the original (timestamp) order.
fn shuffle_out_of_order<T>(items: &mut Vec<T>) {
    if items.len() < 2 {
        return;
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.shuffle(&mut rand::rng());
    if order.windows(2).all(|w| w[0] < w[1]) {
        order.reverse();
    }
    let mut slots: Vec<Option<T>> = std::mem::take(items).into_iter().map(Some).collect();
    *items = order.into_iter().filter_map(|i| slots[i].take()).collect();
}

/// A delivery of a body file, byte for byte. With a provider's scheme, that provider's headers
/// are sent too (event name from the body's `event` or `type` field).
pub fn prepare_body_file(
    body: Vec<u8>,
    url: &str,
    signer: Option<&Signer>,
    now: jiff::Timestamp,
) -> Result<PreparedDelivery, String> {
    parse_target(url).map_err(|e| e.to_string())?;
    let json: Option<Value> = serde_json::from_slice(&body).ok();
    let provider = signer.and_then(|s| events::catalog().ok().and_then(|c| c.provider(s.scheme.name())));
    let event = json
        .as_ref()
        .and_then(|v| v.get("event").or_else(|| v.get("type")))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let (delivery_id, headers) = if let Some(p) = provider {
        let mut ctx = FillContext::at(now);
        ctx.provider.clone_from(&p.provider);
        ctx.event = event.clone().unwrap_or_else(|| "test".into());
        ctx.delivery_id = events::fill_str(&p.delivery_id, &mut ctx);
        let headers: Vec<(String, String)> = p
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), events::fill_str(v, &mut ctx)))
            .collect();
        (ctx.delivery_id, HeaderList::from_pairs(headers))
    } else {
        let ct = if json.is_some() {
            "application/json"
        } else {
            "application/octet-stream"
        };
        (
            uuid::Uuid::new_v4().to_string(),
            HeaderList::from_pairs([("Content-Type", ct), ("User-Agent", "hookscope")]),
        )
    };
    Ok(PreparedDelivery {
        delivery_id,
        provider: provider.map(|p| p.provider.clone()),
        event,
        payload_timestamp: None,
        request: OutgoingRequest {
            method: "POST".into(),
            url: url.to_string(),
            headers,
            body,
        },
        signer: signer.cloned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuffled_order_is_never_sorted() {
        for n in 2..7 {
            for _ in 0..50 {
                let mut v: Vec<usize> = (0..n).collect();
                shuffle_out_of_order(&mut v);
                assert!(v.windows(2).any(|w| w[0] > w[1]), "{v:?}");
                let mut sorted = v.clone();
                sorted.sort_unstable();
                assert_eq!(sorted, (0..n).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn out_of_order_batch_shares_the_resource_and_spaces_timestamps() {
        let cat = events::catalog().unwrap();
        let (p, t) = cat.find("smtm:task.completed").unwrap();
        let now = jiff::Timestamp::from_second(1_777_018_530).unwrap();
        let batch = prepare_batch(
            p,
            &t.event,
            &t.body,
            "http://127.0.0.1:9/x",
            None,
            BatchShape {
                count: 1,
                shuffle: true,
            },
            now,
        )
        .unwrap();
        assert_eq!(batch.len(), 3);
        let bodies: Vec<Value> = batch
            .iter()
            .map(|d| serde_json::from_slice(&d.request.body).unwrap())
            .collect();
        assert!(
            bodies
                .iter()
                .all(|b| b["data"]["task_id"] == bodies[0]["data"]["task_id"])
        );
        let ts: Vec<i64> = bodies
            .iter()
            .map(|b| crate::capture::parse_rfc3339_us(b["timestamp"].as_str().unwrap()).unwrap())
            .collect();
        assert!(ts.windows(2).any(|w| w[0] > w[1]), "sent out of order: {ts:?}");
        let mut sorted = ts.clone();
        sorted.sort_unstable();
        assert_eq!(sorted[2] - sorted[0], 2_000_000);
        let ids: std::collections::HashSet<_> = batch.iter().map(|d| d.delivery_id.clone()).collect();
        assert_eq!(ids.len(), 3, "each event has its own delivery id");
    }

    #[test]
    fn dropping_the_test_flag_is_refused() {
        let cat = events::catalog().unwrap();
        let (p, _) = cat.find("smtm:task.completed").unwrap();
        let body = serde_json::json!({"event": "x"});
        let shape = BatchShape {
            count: 1,
            shuffle: false,
        };
        let err = prepare_batch(p, "x", &body, "http://h/", None, shape, jiff::Timestamp::now()).unwrap_err();
        assert!(err.contains("\"test\": true"), "{err}");
    }

    #[test]
    fn body_file_with_a_provider_scheme_gets_its_headers() {
        let signer = Signer {
            scheme: Scheme::Smtm,
            secret: "smtm_whsec_k".into(),
        };
        let d = prepare_body_file(
            br#"{"event":"task.approved","test":true}"#.to_vec(),
            "http://h/",
            Some(&signer),
            jiff::Timestamp::now(),
        )
        .unwrap();
        assert_eq!(d.request.headers.get("x-smtm-event"), Some("task.approved"));
        let request = d.signed(0).unwrap();
        assert!(
            request
                .headers
                .get("x-smtm-signature")
                .unwrap()
                .starts_with("sha256=")
        );
        let plain = prepare_body_file(vec![0xff], "http://h/", None, jiff::Timestamp::now()).unwrap();
        assert_eq!(
            plain.request.headers.get("content-type"),
            Some("application/octet-stream")
        );
    }
}
