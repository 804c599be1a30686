//! Response rules through the real router (`oneshot`), with a real store behind it.

use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

use super::*;
use crate::capture::CaptureId;
use crate::store::{NoAnalysis, Store, Writer};

const RULES: &str = r#"
[[rule]]
path = "/fail/*"
fail_next = 2
fail_status = 503

[[rule]]
path = "/slow"
delay_ms = 3000
status = 202
headers = { "X-Rule" = "slow" }
body = "later"
"#;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn post(path: &str) -> Request<Body> {
    Request::post(path).body(Body::from("{}")).unwrap()
}

#[test]
fn fail_rule_answers_503_twice_then_200_and_each_answer_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let writer = Writer::start(&store, Box::new(NoAnalysis)).unwrap();
    let rules = LiveRules::new(&RuleSet::from_toml(RULES).unwrap());
    let state = ReceiverState::new(writer.handle(), 1 << 20).with_rules(rules.clone());
    let rt = rt();
    let statuses: Vec<u16> = rt.block_on(async {
        let mut out = Vec::new();
        for i in 0..4 {
            let resp = router(state.clone())
                .oneshot(post(&format!("/fail/{i}")))
                .await
                .unwrap();
            out.push(resp.status().as_u16());
        }
        out
    });
    assert_eq!(statuses, vec![503, 503, 200, 200]);
    // Other paths keep the default answer.
    let other = rt.block_on(router(state.clone()).oneshot(post("/else"))).unwrap();
    assert_eq!(other.status(), 200);
    let body = rt.block_on(other.into_body().collect()).unwrap().to_bytes();
    assert_eq!(&body[..], br#"{"ok":true}"#);

    let reader = store.reader().unwrap();
    let stored: Vec<u16> = (1..=4)
        .map(|id| reader.get(CaptureId(id)).unwrap().unwrap().status().unwrap())
        .collect();
    assert_eq!(stored, vec![503, 503, 200, 200], "the answer sent is stored");
    let first = reader.get(CaptureId(1)).unwrap().unwrap().response.unwrap();
    assert_eq!(first.body, rules::DEFAULT_FAIL_BODY.as_bytes());

    // Rules swap live: re-arming applies to the next request at once.
    rules.replace(
        &RuleSet::from_toml("[[rule]]\npath = \"/fail/*\"\nfail_next = 1\nfail_status = 500\n").unwrap(),
    );
    let again = rt.block_on(router(state).oneshot(post("/fail/x"))).unwrap();
    assert_eq!(again.status(), 500);
    drop(reader);
    writer.shutdown();
}

#[test]
fn slow_rule_commits_first_waits_and_does_not_hold_up_others() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let writer = Writer::start(&store, Box::new(NoAnalysis)).unwrap();
    let rules = LiveRules::new(&RuleSet::from_toml(RULES).unwrap());
    let state = ReceiverState::new(writer.handle(), 1 << 20).with_rules(rules);
    let rt = rt();
    let reader = store.reader().unwrap();
    rt.block_on(async {
        let slow = tokio::spawn(router(state.clone()).oneshot(post("/slow")));
        // The capture is committed while the answer is still being held back.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while reader.count().unwrap() == 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "slow request never stored"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(!slow.is_finished(), "the answer waits for the rule's delay");
        // Another request is answered meanwhile.
        let fast = router(state.clone()).oneshot(post("/fast")).await.unwrap();
        assert_eq!(fast.status(), 200);
        assert!(!slow.is_finished(), "a delay never holds up other requests");
        let resp = tokio::time::timeout(Duration::from_secs(20), slow)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(resp.status(), 202);
        assert_eq!(resp.headers()["x-rule"], "slow");
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], b"later");
    });
    let c = reader.get(CaptureId(1)).unwrap().unwrap();
    let sent = c.response.unwrap();
    assert_eq!((sent.status, sent.delay_ms), (202, 3000));
    assert_eq!(sent.headers.get("x-rule"), Some("slow"));
    assert_eq!(sent.body, b"later");
    drop(reader);
    writer.shutdown();
}
