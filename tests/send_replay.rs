//! Replay, re-sign and forward against in-process receivers on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests: a panic is a failed test

mod send_fixture;

use std::process::Command;
use std::time::{Duration, Instant};

use hookscope::capture::{Capture, CaptureId, HeaderList, now_us};
use hookscope::engine::Engine;
use hookscope::send::{
    AttemptKind, Client, ClientConfig, FailureKind, ForwardConfig, ForwardEvent, Forwarder, HeaderEdit,
    PathSource, ReplayPlan, Resign, build_replay,
};
use hookscope::signature::{RequestParts, Scheme, VerifyOptions, sign, verify};
use hookscope::store::outgoing::attempts_for_capture;
use send_fixture::{Fixture, Receiver, dead_url, runtime};

const SMTM_SECRET: &str = "smtm_whsec_TestSecretValue0123456789";

fn binary_capture() -> Capture {
    Capture {
        received_at_us: now_us(),
        method: "POST".into(),
        path: "/hooks/in".into(),
        query: Some("a=1&b=%20".into()),
        http_version: "HTTP/1.1".into(),
        headers: HeaderList::from_pairs([
            ("Host", b"127.0.0.1:8787".to_vec()),
            ("X-Zeta", b"1".to_vec()),
            ("x-ALPHA", b"two words".to_vec()),
            ("X-Zeta", b"3".to_vec()),
            ("X-Bin", vec![0xe9, b'a']),
            ("Connection", b"keep-alive".to_vec()),
            ("Content-Type", b"application/octet-stream".to_vec()),
            ("Content-Length", b"6".to_vec()),
        ]),
        body: vec![0xff, 0x00, 0xfe, b'\r', b'\n', 0x80],
        body_len: 6,
        ..Capture::default()
    }
}

fn smtm_capture() -> Capture {
    let body = br#"{"event":"task.completed","timestamp":"2026-04-24T09:15:30+07:00","company_id":"c1","data":{"task_id":"t-1"},"test":true}"#.to_vec();
    let sig = sign(
        &Scheme::Smtm,
        SMTM_SECRET,
        &hookscope::signature::SignParams {
            body: &body,
            ..Default::default()
        },
    )
    .unwrap();
    let mut headers = HeaderList::from_pairs([
        ("Host", "127.0.0.1:8787"),
        ("Content-Type", "application/json"),
        ("User-Agent", "SmartMaintenance/1.0"),
        ("X-SMTM-Event", "task.completed"),
    ]);
    for (n, v) in sig.headers {
        headers.push(n, v);
    }
    Capture {
        received_at_us: now_us(),
        method: "POST".into(),
        path: "/smtm".into(),
        http_version: "HTTP/1.1".into(),
        body_len: body.len() as u64,
        headers,
        body,
        ..Capture::default()
    }
}

/// Store `c` in a fresh data dir; returns the engine and the new id.
fn stored(dir: &std::path::Path, c: Capture) -> (Engine, CaptureId) {
    let engine = Engine::open(dir).unwrap();
    let rt = runtime();
    let id = rt.block_on(engine.writer().insert(c)).unwrap();
    drop(rt);
    (engine, id)
}

#[test]
fn replay_is_byte_exact_with_header_order_case_and_repeats() {
    let rt = runtime();
    let target_dir = tempfile::tempdir().unwrap();
    let mut receiver = rt.block_on(Receiver::start(target_dir.path()));
    let original = binary_capture();
    let plan = ReplayPlan {
        target: receiver.url("/"),
        path: PathSource::Auto,
        ..ReplayPlan::default()
    };
    let request = build_replay(&original, &plan, 0).unwrap();
    let attempt = rt.block_on(Client::new(ClientConfig::default()).send(&request));
    assert_eq!(attempt.status, Some(200), "{attempt:?}");
    rt.block_on(receiver.stop());
    drop(rt);

    let got = receiver.captures();
    assert_eq!(got.len(), 1);
    let got = &got[0];
    assert_eq!(got.body, original.body, "non-UTF-8 body arrives byte-identical");
    assert_eq!((got.method.as_str(), got.path.as_str()), ("POST", "/hooks/in"));
    assert_eq!(got.query.as_deref(), Some("a=1&b=%20"));
    let expected = HeaderList::from_pairs([
        ("Host", receiver.addr.to_string().into_bytes()),
        ("X-Zeta", b"1".to_vec()),
        ("x-ALPHA", b"two words".to_vec()),
        ("X-Zeta", b"3".to_vec()),
        ("X-Bin", vec![0xe9, b'a']),
        ("Content-Type", b"application/octet-stream".to_vec()),
        ("Content-Length", b"6".to_vec()),
    ]);
    assert_eq!(
        got.headers, expected,
        "order, case and repeats kept; Host recomputed; Connection dropped"
    );
    // The attempt records the request exactly as written.
    assert_eq!(attempt.request.headers, expected);
}

#[test]
fn edited_and_resigned_body_verifies_at_the_receiver() {
    let rt = runtime();
    let fixture = rt.block_on(Fixture::start(0, Duration::ZERO));
    let original = smtm_capture();
    let before = original.clone();
    let edited = br#"{"event":"task.completed","data":{"task_id":"t-2","edited":true},"test":true}"#.to_vec();
    for (scheme, secret) in [
        (Scheme::Smtm, SMTM_SECRET),
        (Scheme::StandardWebhooks, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        (Scheme::Stripe, "whsec_stripe_test"),
        (
            Scheme::Maintainx,
            "08dd566fd255a4d5c55df7ebe2fd810ac4b363e2e6f8a2c7ad42934efb801d5d",
        ),
    ] {
        let plan = ReplayPlan {
            target: fixture.url("/receiver"),
            path: PathSource::Target,
            headers: None,
            edits: vec![HeaderEdit::Set {
                name: "X-Replayed".into(),
                value: "yes".into(),
            }],
            body: Some(edited.clone()),
            resign: Some(Resign {
                scheme: scheme.clone(),
                secret: secret.into(),
                keep_original: false,
            }),
        };
        let request = build_replay(&original, &plan, now_us() / 1_000_000).unwrap();
        let attempt = rt.block_on(Client::new(ClientConfig::default()).send(&request));
        assert_eq!(attempt.status, Some(200));
        let seen = fixture.seen().pop().unwrap();
        assert_eq!(seen.body, edited);
        assert_eq!(seen.headers.get("x-replayed"), Some("yes"));
        let v = verify(
            &scheme,
            secret,
            &RequestParts {
                method: &seen.method,
                url: &fixture.url(&seen.uri),
                headers: &seen.headers,
                body: &seen.body,
            },
            &VerifyOptions {
                now_unix: Some(now_us() / 1_000_000),
                tolerance_secs: None,
            },
        );
        assert!(v.valid, "{scheme}: {} {}", v.reason, v.explanation);
    }
    // The original capture is untouched by all this.
    assert_eq!(original, before);
}

#[test]
fn cli_replay_records_the_attempt_and_uses_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, id) = stored(dir.path(), smtm_capture());
    engine.shutdown();
    let rt = runtime();
    let ok = rt.block_on(Fixture::start(0, Duration::ZERO));
    let failing = rt.block_on(Fixture::start(usize::MAX, Duration::ZERO));
    let bin = env!("CARGO_BIN_EXE_hookscope");
    let run = |args: &[&str]| {
        Command::new(bin)
            .arg("replay")
            .args(args)
            .arg("--data-dir")
            .arg(dir.path())
            .output()
            .unwrap()
    };
    let body_file = dir.path().join("edited.json");
    std::fs::write(&body_file, br#"{"event":"task.completed","test":true,"x":1}"#).unwrap();

    let out = run(&[
        &id.to_string(),
        "--to",
        &ok.url("/in"),
        "--body-file",
        body_file.to_str().unwrap(),
        "--header",
        "X-Extra: 1",
        "--remove-header",
        "user-agent",
        "--re-sign",
        "--scheme",
        "smtm",
        "--secret",
        SMTM_SECRET,
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["status"], 200);
    assert!(json["latency_ms"].is_number());
    assert_eq!(json["response_body_base64"], "eyJyZWNlaXZlZCI6dHJ1ZX0=");
    assert!(json["error"].is_null());
    assert!(json["response_headers"].is_array());
    let seen = ok.seen().pop().unwrap();
    assert!(!seen.headers.contains("user-agent"));
    assert_eq!(seen.headers.get("x-extra"), Some("1"));
    let v = verify(
        &Scheme::Smtm,
        SMTM_SECRET,
        &RequestParts {
            method: "POST",
            url: "",
            headers: &seen.headers,
            body: &seen.body,
        },
        &VerifyOptions::default(),
    );
    assert!(v.valid, "{}", v.explanation);

    // Non-2xx → 1; nothing listening → 1 with a plain message; bad usage → 2; unknown id → 1.
    assert_eq!(
        run(&[&id.to_string(), "--to", &failing.url("/")]).status.code(),
        Some(1)
    );
    let dead = run(&[&id.to_string(), "--to", &dead_url()]);
    assert_eq!(dead.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&dead.stdout).contains("connection refused"));
    assert_eq!(
        run(&[&id.to_string(), "--to", "localhost:3000"]).status.code(),
        Some(2)
    );
    assert_eq!(
        run(&[&id.to_string(), "--to", &ok.url("/"), "--re-sign"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(run(&["999", "--to", &ok.url("/")]).status.code(), Some(1));

    // Every send was recorded with the capture.
    let engine = Engine::open(dir.path()).unwrap();
    let reader = engine.store().reader().unwrap();
    let attempts = attempts_for_capture(reader.connection(), id).unwrap();
    engine.shutdown();
    drop(rt);
    assert_eq!(attempts.len(), 3);
    assert!(attempts.iter().all(|a| a.kind == AttemptKind::Replay));
    assert_eq!(attempts[0].attempt.status, Some(200));
    assert_eq!(attempts[0].attempt.request.headers.get("X-Extra"), Some("1"));
    assert_eq!(attempts[0].attempt.response_body, br#"{"received":true}"#);
    assert_eq!(attempts[1].attempt.status, Some(500));
    assert_eq!(
        attempts[2].attempt.error.as_ref().unwrap().kind,
        FailureKind::Refused
    );
}

#[test]
fn cli_replay_resigns_with_a_stored_profile_keeping_the_timestamp() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let body = br#"{"type":"invoice.paid","test":true}"#.to_vec();
    let mut c = smtm_capture();
    c.headers = HeaderList::from_pairs([
        ("webhook-id", "msg_original"),
        ("webhook-timestamp", "1760000000"),
        ("webhook-signature", "v1,bm90LXZhbGlk"),
    ]);
    c.body = body;
    let (engine, id) = stored(dir.path(), c);
    engine
        .writer()
        .call_blocking(move |conn, _| {
            conn.execute(
                "INSERT INTO profiles (name, path_pattern, scheme, secret, tolerance_secs, created_at_us)
                 VALUES ('staging', '/sw/*', '\"standard-webhooks\"', ?1, NULL, 0)",
                [secret],
            )?;
            Ok(())
        })
        .unwrap();
    engine.shutdown();
    let rt = runtime();
    let fixture = rt.block_on(Fixture::start(0, Duration::ZERO));
    let out = Command::new(env!("CARGO_BIN_EXE_hookscope"))
        .args([
            "replay",
            &id.to_string(),
            "--to",
            &fixture.url("/sw/in"),
            "--re-sign",
        ])
        .args(["--profile", "staging", "--keep-timestamp", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen = fixture.seen().pop().unwrap();
    assert_eq!(seen.headers.get("webhook-id"), Some("msg_original"));
    assert_eq!(seen.headers.get("webhook-timestamp"), Some("1760000000"));
    let v = verify(
        &Scheme::StandardWebhooks,
        secret,
        &RequestParts {
            method: "POST",
            url: "",
            headers: &seen.headers,
            body: &seen.body,
        },
        &VerifyOptions {
            now_unix: Some(1_760_000_010),
            tolerance_secs: None,
        },
    );
    assert!(v.valid, "{}", v.explanation);
    let missing = Command::new(env!("CARGO_BIN_EXE_hookscope"))
        .args([
            "replay",
            &id.to_string(),
            "--to",
            &fixture.url("/"),
            "--re-sign",
            "--profile",
            "nope",
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no signing profile named 'nope'"));
    drop(rt);
}

#[test]
fn forward_mode_sends_each_capture_and_records_the_attempt() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let target_dir = tempfile::tempdir().unwrap();
    let mut target = rt.block_on(Receiver::start(target_dir.path()));
    let mut source = rt.block_on(Receiver::start(dir.path()));
    let engine = source.engine.as_ref().unwrap();
    let forwarder = Forwarder::start(
        rt.handle(),
        &engine.writer(),
        ForwardConfig::new(target.url("")),
        None,
    );
    // A dead second forwarder must not slow the receiver down.
    let dead = Forwarder::start(
        rt.handle(),
        &engine.writer(),
        ForwardConfig::new(dead_url()),
        None,
    );
    let body = vec![0xffu8, 1, 2, 3];
    let raw = {
        let mut r = format!(
            "POST /from/provider?x=1 HTTP/1.1\r\nHost: {}\r\nX-Case: Kept\r\nContent-Length: 4\r\n\r\n",
            source.addr
        )
        .into_bytes();
        r.extend_from_slice(&body);
        r
    };
    let mut stream = std::net::TcpStream::connect(source.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    std::io::Write::write_all(&mut stream, &raw).unwrap();
    let mut buf = [0u8; 12];
    std::io::Read::read_exact(&mut stream, &mut buf).unwrap();
    assert_eq!(&buf, b"HTTP/1.1 200");

    let deadline = Instant::now() + Duration::from_secs(20);
    let arrived = loop {
        let got = target.captures();
        if let Some(c) = got.first() {
            break c.clone();
        }
        assert!(Instant::now() < deadline, "nothing was forwarded");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(arrived.body, body);
    assert_eq!(arrived.target(), "/from/provider?x=1");
    assert_eq!(arrived.headers.0[1].name, "X-Case");
    let id = source.captures()[0].id;
    let reader = engine.store().reader().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let attempts = loop {
        let a = attempts_for_capture(reader.connection(), id).unwrap();
        if a.len() >= 2 {
            break a;
        }
        assert!(Instant::now() < deadline, "attempts not recorded: {a:?}");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(attempts.iter().all(|a| a.kind == AttemptKind::Forward));
    assert!(attempts.iter().any(|a| a.attempt.status == Some(200)));
    assert!(attempts.iter().any(|a| {
        a.attempt
            .error
            .as_ref()
            .is_some_and(|e| e.kind == FailureKind::Refused)
    }));
    rt.block_on(async {
        forwarder.stop().await;
        dead.stop().await;
        source.stop().await;
        target.stop().await;
    });
    drop(rt);
}

/// `count` stored POSTs to `/c/0`, `/c/1`, ... with `body`.
fn posts(count: usize, body: &[u8]) -> Vec<Capture> {
    (0..count)
        .map(|i| Capture {
            method: "POST".into(),
            path: format!("/c/{i}"),
            http_version: "HTTP/1.1".into(),
            body: body.to_vec(),
            body_len: u64::try_from(body.len()).unwrap(),
            ..Capture::default()
        })
        .collect()
}

#[test]
fn stopping_forwarding_counts_what_was_never_forwarded() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let mut source = rt.block_on(Receiver::start(dir.path()));
    let engine = source.engine.as_ref().unwrap();
    // A target that accepts and never answers: every send hangs.
    let hanging = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("http://{}/in", hanging.local_addr().unwrap());
    let events: std::sync::Arc<std::sync::Mutex<Vec<ForwardEvent>>> = std::sync::Arc::default();
    let seen = events.clone();
    let forwarder = Forwarder::start(
        rt.handle(),
        &engine.writer(),
        ForwardConfig::new(target),
        Some(std::sync::Arc::new(move |e| seen.lock().unwrap().push(e))),
    );
    let captures = posts(12, b"{}");
    rt.block_on(engine.writer().insert_all(captures)).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    rt.block_on(forwarder.stop());
    let events = events.lock().unwrap();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ForwardEvent::Abandoned { count: 12 })),
        "all 12 hung or queued: {events:?}"
    );
    drop(events);
    drop(hanging);
    rt.block_on(source.stop());
    drop(rt);
}

#[test]
fn a_target_that_never_answers_holds_a_bounded_queue_and_the_rest_is_a_reported_gap() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let mut source = rt.block_on(Receiver::start(dir.path()));
    let engine = source.engine.as_ref().unwrap();
    let hanging = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let events: std::sync::Arc<std::sync::Mutex<Vec<ForwardEvent>>> = std::sync::Arc::default();
    let seen = events.clone();
    let mut config = ForwardConfig::new(format!("http://{}/in", hanging.local_addr().unwrap()));
    config.concurrency = 2;
    config.queue_bytes = 10 * 1000;
    let forwarder = Forwarder::start(
        rt.handle(),
        &engine.writer(),
        config,
        Some(std::sync::Arc::new(move |e| seen.lock().unwrap().push(e))),
    );
    // 30 captures of 1,000 bytes: 2 in flight, 10 queued, 18 over the bound.
    let captures = posts(30, &[b'x'; 1000]);
    let ids: Vec<i64> = rt
        .block_on(engine.writer().insert_all(captures))
        .unwrap()
        .iter()
        .map(|id| id.0)
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    rt.block_on(forwarder.stop());
    let events = events.lock().unwrap();
    let skipped: Vec<(i64, i64)> = events
        .iter()
        .filter_map(|e| match e {
            ForwardEvent::Skipped { after, before } => Some((after.0, before.0)),
            _ => None,
        })
        .collect();
    let abandoned: usize = events
        .iter()
        .filter_map(|e| match e {
            ForwardEvent::Abandoned { count } => Some(*count),
            _ => None,
        })
        .sum();
    let (first, last) = (*ids.iter().min().unwrap(), *ids.iter().max().unwrap());
    // The batch is queued whole up to the bound, in order; the rest is one gap up to the end.
    assert!(
        matches!(skipped.as_slice(), [(after, before)] if *before == last + 1 && *after >= first + 9 && *after < last),
        "one gap to the end: {skipped:?} (ids {first}..={last}) {events:?}"
    );
    let dropped = usize::try_from(skipped[0].1 - skipped[0].0 - 1).unwrap();
    assert_eq!(
        abandoned + dropped,
        30,
        "every capture is either abandoned or in the gap: {events:?}"
    );
    assert!(abandoned <= 12, "at most 2 in flight and 10 queued: {abandoned}");
    drop(events);
    drop(hanging);
    rt.block_on(source.stop());
    drop(rt);
}

#[test]
fn large_bodies_in_flight_are_bounded_by_bytes_not_only_by_count() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let mut source = rt.block_on(Receiver::start(dir.path()));
    let engine = source.engine.as_ref().unwrap();
    // Accepts and never answers; counts the sends that reached it.
    let hanging = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    hanging.set_nonblocking(true).unwrap();
    let mut config = ForwardConfig::new(format!("http://{}/in", hanging.local_addr().unwrap()));
    config.concurrency = 8;
    // 16 KiB queued at most, so 4 KiB of bodies in flight: one 3,000-byte body at a time.
    config.queue_bytes = 16 * 1024;
    let forwarder = Forwarder::start(rt.handle(), &engine.writer(), config, None);
    let captures = posts(5, &[b'x'; 3000]);
    rt.block_on(engine.writer().insert_all(captures)).unwrap();
    let mut accepted = Vec::new();
    let deadline = Instant::now() + Duration::from_millis(800);
    while Instant::now() < deadline {
        if let Ok((stream, _)) = hanging.accept() {
            accepted.push(stream);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        accepted.len(),
        1,
        "one send in flight, the rest wait for its bytes"
    );
    rt.block_on(forwarder.stop());
    drop(accepted);
    rt.block_on(source.stop());
    drop(rt);
}

#[test]
fn replaying_an_incomplete_capture_says_only_what_arrived_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = binary_capture();
    c.declared_len = Some(c.body.len() as u64 + 100);
    let (engine, id) = stored(dir.path(), c.clone());
    engine.shutdown();
    let rt = runtime();
    let ok = rt.block_on(Fixture::start(0, Duration::ZERO));
    let out = Command::new(env!("CARGO_BIN_EXE_hookscope"))
        .args(["replay", &id.to_string(), "--to", &ok.url("/in"), "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!("capture {id} is incomplete"))
            && err.contains(&format!("{} bytes were declared", c.body.len() + 100)),
        "{err}"
    );
    assert_eq!(ok.seen().pop().unwrap().body, c.body);
}
