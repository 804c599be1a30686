//! Test events and delivery simulation against in-process receivers on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests: a panic is a failed test

mod send_fixture;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use hookscope::capture::now_us;
use hookscope::engine::Engine;
use hookscope::events;
use hookscope::send::{
    BatchShape, Cancel, Client, ClientConfig, DeliveryState, PreparedDelivery, Progress, RunContext,
    RunSummary, Signer, SimOptions, deliver, prepare_batch,
};
use hookscope::signature::{RequestParts, Scheme, VerifyOptions, js_reserialize, verify};
use hookscope::store::outgoing::{attempts_for_delivery, recent_deliveries, target_summaries};
use send_fixture::{Fixture, Receiver, dead_url, runtime};
use sha2::Sha256;

fn secret_for(scheme: &Scheme) -> &'static str {
    match scheme {
        Scheme::StandardWebhooks => "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        Scheme::Smtm => "smtm_whsec_TestSecretValue0123456789",
        Scheme::Maintainx => "08dd566fd255a4d5c55df7ebe2fd810ac4b363e2e6f8a2c7ad42934efb801d5d",
        _ => "test-secret-0123456789",
    }
}

fn hmac_hex(secret: &str, msg: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(msg);
    let mut hex = String::new();
    for b in mac.finalize().into_bytes() {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}

fn batch(name: &str, url: &str, shape: BatchShape) -> Vec<PreparedDelivery> {
    let catalog = events::catalog().unwrap();
    let (p, t) = catalog.find(name).unwrap();
    let scheme = Scheme::parse(&p.scheme).unwrap();
    let signer = Signer {
        secret: secret_for(&scheme).into(),
        scheme,
    };
    prepare_batch(
        p,
        &t.event,
        &t.body,
        url,
        Some(&signer),
        shape,
        jiff::Timestamp::now(),
    )
    .unwrap()
}

const ONE: BatchShape = BatchShape {
    count: 1,
    shuffle: false,
};

/// Collects progress for assertions.
fn collector() -> (Arc<Mutex<Vec<Progress>>>, hookscope::send::ProgressSink) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink_seen = seen.clone();
    (seen, Arc::new(move |p| sink_seen.lock().unwrap().push(p)))
}

fn context(
    sink: hookscope::send::ProgressSink,
    writer: Option<hookscope::store::WriterHandle>,
) -> RunContext {
    RunContext {
        client: Client::new(ClientConfig {
            timeout: Duration::from_secs(5),
            follow_redirects: false,
            ..ClientConfig::default()
        }),
        cancel: Cancel::new(),
        sink,
        writer,
    }
}

fn quick(schedule: &[f64], scale: f64) -> SimOptions {
    SimOptions {
        schedule_secs: schedule.to_vec(),
        time_scale: scale,
        ..SimOptions::default()
    }
}

#[test]
fn every_template_verifies_with_its_provider_rule_and_is_flagged_test() {
    let rt = runtime();
    let fixture = rt.block_on(Fixture::start(0, Duration::ZERO));
    let catalog = events::catalog().unwrap();
    let names = catalog.names();
    let mut all = Vec::new();
    for name in &names {
        all.extend(batch(name, &fixture.url("/in"), ONE));
    }
    let (_, sink) = collector();
    let summary = rt.block_on(deliver::run(all, &quick(&[], 1.0), &context(sink, None)));
    assert!(summary.all_delivered(), "{summary:?}");
    let seen = fixture.wait_for(names.len());
    assert_eq!(seen.len(), names.len());
    let now = now_us() / 1_000_000;
    for (name, req) in names.iter().zip(&seen) {
        let provider = catalog.provider(name.split(':').next().unwrap()).unwrap();
        let scheme = Scheme::parse(&provider.scheme).unwrap();
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(body["test"], true, "{name}: \"test\": true missing");
        let v = verify(
            &scheme,
            secret_for(&scheme),
            &RequestParts {
                method: &req.method,
                url: &fixture.url(&req.uri),
                headers: &req.headers,
                body: &req.body,
            },
            &VerifyOptions {
                now_unix: Some(now),
                tolerance_secs: None,
            },
        );
        assert!(v.valid, "{name}: {} {}", v.reason, v.explanation);
        // The providers' own recipes, computed independently.
        match scheme {
            Scheme::Smtm => assert_eq!(
                req.headers.get("x-smtm-signature").unwrap(),
                format!("sha256={}", hmac_hex(secret_for(&scheme), &req.body)),
                "{name}"
            ),
            Scheme::Github => assert_eq!(
                req.headers.get("x-hub-signature-256").unwrap(),
                format!("sha256={}", hmac_hex(secret_for(&scheme), &req.body))
            ),
            Scheme::Maintainx => {
                let compact = js_reserialize(&req.body).unwrap();
                assert_eq!(
                    req.headers.get("x-maintainx-signature").unwrap(),
                    hmac_hex(secret_for(&scheme), &compact),
                    "{name}"
                );
                assert!(uuid::Uuid::parse_str(req.headers.get("x-maintainx-event-id").unwrap()).is_ok());
            }
            _ => {}
        }
    }
}

#[test]
fn smtm_headers_are_exact_on_the_wire() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let mut receiver = rt.block_on(Receiver::start(dir.path()));
    let d = batch("smtm:task.completed", &receiver.url("/smtm"), ONE);
    let delivery_id = d[0].delivery_id.clone();
    let (_, sink) = collector();
    let summary = rt.block_on(deliver::run(d, &quick(&[], 1.0), &context(sink, None)));
    assert!(summary.all_delivered());
    rt.block_on(receiver.stop());
    drop(rt);
    let c = receiver.captures().pop().unwrap();
    let names: Vec<_> = c.headers.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Host",
            "Content-Type",
            "User-Agent",
            "X-SMTM-Event",
            "X-SMTM-Delivery",
            "X-SMTM-Signature",
            "Content-Length"
        ]
    );
    assert_eq!(c.headers.get("Content-Type"), Some("application/json"));
    assert_eq!(c.headers.get("User-Agent"), Some("SmartMaintenance/1.0"));
    assert_eq!(c.headers.get("X-SMTM-Event"), Some("task.completed"));
    assert_eq!(c.headers.get("X-SMTM-Delivery"), Some(delivery_id.as_str()));
    assert!(uuid::Uuid::parse_str(&delivery_id).is_ok());
    let expected = format!(
        "sha256={}",
        hmac_hex("smtm_whsec_TestSecretValue0123456789", &c.body)
    );
    assert_eq!(c.headers.get("X-SMTM-Signature"), Some(expected.as_str()));
    let body: serde_json::Value = serde_json::from_slice(&c.body).unwrap();
    let ts = body["timestamp"].as_str().unwrap();
    assert!(
        ts.len() == 25 && (ts.ends_with(":00") || ts.contains('+') || ts[19..].starts_with('-')),
        "RFC 3339 with an offset: {ts}"
    );
    assert!(hookscope::capture::parse_rfc3339_us(ts).is_some());
}

#[test]
fn a_receiver_failing_twice_sees_three_attempts_in_schedule_order() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path()).unwrap();
    let fixture = rt.block_on(Fixture::start(2, Duration::ZERO));
    let d = batch("smtm:task.assigned", &fixture.url("/hooks"), ONE);
    let id = d[0].delivery_id.clone();
    let (progress, sink) = collector();
    let summary = rt.block_on(deliver::run(
        d,
        &quick(&[1.0, 5.0, 25.0], 0.02),
        &context(sink, Some(engine.writer())),
    ));
    assert_eq!(
        summary,
        RunSummary {
            deliveries: 1,
            delivered: 1,
            failed: 0,
            cancelled: 0,
            attempts: 3
        }
    );
    let seen = fixture.seen();
    assert_eq!(seen.len(), 3);
    assert!(
        seen.iter()
            .all(|s| s.headers.get("x-smtm-delivery") == Some(id.as_str()))
    );
    // Spaced at least by the scaled schedule: 1 s × 0.02, then 5 s × 0.02.
    assert!(seen[1].at - seen[0].at >= Duration::from_millis(20));
    assert!(seen[2].at - seen[1].at >= Duration::from_millis(100));
    let attempts: Vec<_> = progress
        .lock()
        .unwrap()
        .iter()
        .filter_map(|p| match p {
            Progress::Attempt {
                number,
                attempt,
                next_retry_secs,
                ..
            } => Some((*number, attempt.status, *next_retry_secs)),
            _ => None,
        })
        .collect();
    assert_eq!(
        attempts,
        vec![
            (1, Some(500), Some(0.02)),
            (2, Some(500), Some(0.1)),
            (3, Some(200), None)
        ]
    );
    // Stored: one delivery, delivered, its three attempts in order.
    let reader = engine.store().reader().unwrap();
    let deliveries = recent_deliveries(reader.connection(), 10).unwrap();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].state, DeliveryState::Delivered);
    assert_eq!(
        (deliveries[0].attempts, deliveries[0].last_status),
        (3, Some(200))
    );
    let stored = attempts_for_delivery(reader.connection(), &deliveries[0]).unwrap();
    let numbers: Vec<_> = stored.iter().map(|a| (a.number, a.attempt.status)).collect();
    assert_eq!(numbers, vec![(1, Some(500)), (2, Some(500)), (3, Some(200))]);
    let summaries = target_summaries(reader.connection(), now_us()).unwrap();
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0].events, vec!["smtm:task.assigned".to_string()]);
    assert_eq!(summaries[0].success_rate_24h, Some(100.0));
    drop(rt);
    engine.shutdown();
}

#[test]
fn a_dead_target_ends_permanently_failed_after_the_schedule() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path()).unwrap();
    let d = batch("maintainx:workorder.created", &dead_url(), ONE);
    let (progress, sink) = collector();
    let summary = rt.block_on(deliver::run(
        d,
        &quick(&[1.0, 5.0, 25.0, 125.0, 625.0], 0.0001),
        &context(sink, Some(engine.writer())),
    ));
    assert_eq!((summary.failed, summary.attempts), (1, 6));
    let finished: Vec<_> = progress
        .lock()
        .unwrap()
        .iter()
        .filter_map(|p| match p {
            Progress::Finished { state, attempts, .. } => Some((*state, *attempts)),
            _ => None,
        })
        .collect();
    assert_eq!(finished, vec![(DeliveryState::Failed, 6)]);
    assert_eq!(DeliveryState::Failed.label(), "permanently failed");
    let reader = engine.store().reader().unwrap();
    let deliveries = recent_deliveries(reader.connection(), 10).unwrap();
    assert_eq!(deliveries[0].state, DeliveryState::Failed);
    assert!(deliveries[0].finished_at_us.is_some());
    let summaries = target_summaries(reader.connection(), now_us()).unwrap();
    assert_eq!(summaries[0].success_rate_24h, Some(0.0));
    drop(rt);
    engine.shutdown();
}

#[test]
fn duplicate_delivery_repeats_the_delivery_id() {
    let rt = runtime();
    let fixture = rt.block_on(Fixture::start(0, Duration::ZERO));
    let d = batch("github:push", &fixture.url("/gh"), ONE);
    let id = d[0].delivery_id.clone();
    let (_, sink) = collector();
    let opts = SimOptions {
        duplicate: true,
        ..quick(&[], 1.0)
    };
    let summary = rt.block_on(deliver::run(d, &opts, &context(sink, None)));
    assert_eq!((summary.deliveries, summary.delivered), (2, 2));
    let seen = fixture.seen();
    assert_eq!(seen.len(), 2);
    for s in &seen {
        assert_eq!(s.headers.get("x-github-delivery"), Some(id.as_str()));
    }
    assert_eq!(seen[0].body, seen[1].body, "the same event, byte for byte");
}

#[test]
fn cancellation_stops_pending_retries() {
    let rt = runtime();
    let fixture = rt.block_on(Fixture::start(usize::MAX, Duration::ZERO));
    let d = batch("stripe:payment_intent.succeeded", &fixture.url("/stripe"), ONE);
    let (_, sink) = collector();
    let ctx = context(sink, None);
    let cancel = ctx.cancel.clone();
    let run = rt.spawn(async move { deliver::run(d, &quick(&[600.0, 600.0], 1.0), &ctx).await });
    fixture.wait_for(1);
    cancel.cancel();
    let summary = rt
        .block_on(async { tokio::time::timeout(Duration::from_secs(10), run).await })
        .expect("cancel ends the run at once")
        .unwrap();
    assert_eq!((summary.cancelled, summary.attempts), (1, 1));
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(fixture.seen().len(), 1, "no retry after cancelling");
}

#[test]
fn out_of_order_batch_and_burst() {
    let rt = runtime();
    let fixture = rt.block_on(Fixture::start(0, Duration::ZERO));
    let shuffled = batch(
        "smtm:task.completed",
        &fixture.url("/ooo"),
        BatchShape {
            count: 4,
            shuffle: true,
        },
    );
    let (_, sink) = collector();
    rt.block_on(deliver::run(
        shuffled,
        &quick(&[], 1.0),
        &context(sink.clone(), None),
    ));
    let seen = fixture.wait_for(4);
    let bodies: Vec<serde_json::Value> = seen
        .iter()
        .map(|s| serde_json::from_slice(&s.body).unwrap())
        .collect();
    assert!(
        bodies
            .iter()
            .all(|b| b["data"]["task_id"] == bodies[0]["data"]["task_id"])
    );
    let ts: Vec<i64> = bodies
        .iter()
        .map(|b| hookscope::capture::parse_rfc3339_us(b["timestamp"].as_str().unwrap()).unwrap())
        .collect();
    assert!(
        ts.windows(2).any(|w| w[0] > w[1]),
        "arrived out of payload order: {ts:?}"
    );

    let burst = batch(
        "maintainx:workorder.completed",
        &fixture.url("/burst"),
        BatchShape {
            count: 6,
            shuffle: false,
        },
    );
    let opts = SimOptions {
        concurrency: 3,
        rate_per_sec: Some(200.0),
        ..quick(&[], 1.0)
    };
    let summary = rt.block_on(deliver::run(burst, &opts, &context(sink, None)));
    assert_eq!(summary.delivered, 6);
    let ids: std::collections::HashSet<_> = fixture.seen()[4..]
        .iter()
        .map(|s| s.headers.get("x-maintainx-event-id").unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 6);
}

#[test]
fn a_slow_receiver_times_out_and_is_retried() {
    let rt = runtime();
    let fixture = rt.block_on(Fixture::start(0, Duration::from_secs(3)));
    let d = batch("slack:app_mention", &fixture.url("/slack"), ONE);
    let (progress, sink) = collector();
    let mut ctx = context(sink, None);
    ctx.client = Client::new(ClientConfig {
        timeout: Duration::from_millis(200),
        follow_redirects: false,
        ..ClientConfig::default()
    });
    let summary = rt.block_on(deliver::run(d, &quick(&[0.0], 1.0), &ctx));
    assert_eq!((summary.failed, summary.attempts), (1, 2));
    let errors: Vec<_> = progress
        .lock()
        .unwrap()
        .iter()
        .filter_map(|p| match p {
            Progress::Attempt { attempt, .. } => attempt.error.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(errors.len(), 2);
    assert!(
        errors
            .iter()
            .all(|e| e.kind == hookscope::send::FailureKind::Timeout)
    );
    assert!(errors[0].message.contains("timeout"), "{}", errors[0].message);
}
