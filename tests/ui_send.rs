//! The sending windows of the real app, fed by a fake background: a QA person picks `MaintainX`
//! `workorder.status_changed`, edits `priority` and `status`, sends and sees the response; a
//! capture is replayed re-signed and its attempt shown.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests: a panic is a failed test

use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use hookscope::app::HookscopeApp;
use hookscope::app::backend::{EventSink, detached};
use hookscope::app::messages::{AppEvent, Command};
use hookscope::app::render::Renderer;
use hookscope::app::sending::{SendCommand, SendEvent};
use hookscope::app::settings::Settings;
use hookscope::capture::{Capture, CaptureId, HeaderList, ResponseSent, Summary};
use hookscope::send::{
    Attempt, AttemptKind, AttemptRecord, DeliveryState, Hop, OutgoingRequest, Progress, RunSummary,
};
use hookscope::signature::Scheme;

fn new_app() -> (Harness<'static, HookscopeApp>, Receiver<Command>, EventSink) {
    let (channels, command_rx, sink) = detached(256);
    let renderer = Renderer::start(sink.clone()).expect("start the renderer");
    let settings = Settings {
        listen_on_start: false,
        ..Settings::default()
    };
    let harness = Harness::builder()
        .with_size([1400.0, 1000.0])
        .build_eframe(move |_cc| {
            HookscopeApp::new(settings, channels, Some(renderer), "/tmp/hookscope-test".into())
        });
    (harness, command_rx, sink)
}

fn send_commands(rx: &Receiver<Command>) -> Vec<SendCommand> {
    rx.try_iter()
        .filter_map(|c| match c {
            Command::Send(s) => Some(*s),
            _ => None,
        })
        .collect()
}

fn step_until(harness: &mut Harness<'_, HookscopeApp>, label: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while harness.query_by_label_contains(label).is_none() {
        assert!(Instant::now() < deadline, "`{label}` never appeared");
        harness.step();
    }
}

fn ok_attempt(url: &str) -> Attempt {
    Attempt {
        target: url.into(),
        started_at_us: 1_760_000_000_000_000,
        request: OutgoingRequest {
            method: "POST".into(),
            url: url.into(),
            headers: HeaderList::from_pairs([("Content-Type", "application/json")]),
            body: b"{}".to_vec(),
        },
        status: Some(200),
        response_headers: HeaderList::from_pairs([("content-type", "application/json")]),
        response_body: br#"{"accepted":"yes-indeed"}"#.to_vec(),
        latency_us: 3_000,
        redirects: Vec::new(),
        error: None,
    }
}

fn start(harness: &mut Harness<'_, HookscopeApp>, sink: &EventSink, rx: &Receiver<Command>) {
    harness.step();
    let _ = rx.try_iter().count();
    sink.send(AppEvent::Ids(Vec::new().into()));
    harness.run();
}

#[test]
fn qa_sends_an_edited_maintainx_status_change_and_sees_the_response() {
    let (mut harness, rx, sink) = new_app();
    start(&mut harness, &sink, &rx);
    harness.get_by_label("Send test event").click();
    harness.run();
    // Pick the provider, then the event.
    harness.get_by_label("Provider").click();
    harness.run();
    harness.get_by_label("MaintainX").click();
    harness.run();
    harness.get_by_label("Event").click();
    harness.run();
    harness.get_by_label("workorder.status_changed").click();
    harness.run();
    // Edit priority and status in the payload editor.
    let payload = harness
        .get_by(|n| {
            n.role() == Role::MultilineTextInput && n.value().is_some_and(|v| v.contains("previousStatus"))
        })
        .value()
        .unwrap();
    assert!(payload.contains("\"test\": true"));
    let edited = payload
        .replace("\"priority\": \"HIGH\"", "\"priority\": \"LOW\"")
        .replace("\"status\": \"IN_PROGRESS\"", "\"status\": \"ON_HOLD\"");
    harness
        .get_by(|n| {
            n.role() == Role::MultilineTextInput && n.value().is_some_and(|v| v.contains("previousStatus"))
        })
        .set_text_value_accesskit(&edited);
    harness.run();
    harness
        .get_by(|n| n.placeholder() == Some("http://localhost:3000/webhooks"))
        .set_text_value_accesskit("http://127.0.0.1:3000/maintainx");
    harness.run();
    harness
        .get_by(|n| n.placeholder() == Some("secret"))
        .set_text_value_accesskit("mx-secret");
    harness.run();
    harness.get_by_label("Send").click();
    harness.step();
    harness.step();
    let sent = send_commands(&rx);
    let Some(SendCommand::SendTest { job, spec }) = sent
        .into_iter()
        .find(|c| matches!(c, SendCommand::SendTest { .. }))
    else {
        panic!("no send command");
    };
    assert_eq!(
        (spec.provider.as_str(), spec.event.as_str()),
        ("maintainx", "workorder.status_changed")
    );
    assert_eq!(spec.payload["data"]["priority"], "LOW");
    assert_eq!(spec.payload["data"]["status"], "ON_HOLD");
    assert_eq!(spec.payload["test"], true);
    assert_eq!(spec.url, "http://127.0.0.1:3000/maintainx");
    let signer = spec.signer.clone().unwrap();
    assert_eq!(
        (signer.scheme, signer.secret.as_str()),
        (Scheme::Maintainx, "mx-secret")
    );
    assert_eq!(spec.opts.schedule_secs, vec![1.0, 5.0, 25.0, 125.0, 625.0]);

    // The background reports the delivery.
    let progress = |p: Progress| {
        AppEvent::Send(Box::new(SendEvent::Progress {
            job,
            progress: Box::new(p),
        }))
    };
    sink.send(progress(Progress::Started {
        index: 0,
        delivery_id: "5b0c1f0e-0000-4000-8000-000000000001".into(),
        name: "maintainx:workorder.status_changed".into(),
        duplicate: false,
        payload_timestamp: None,
    }));
    sink.send(progress(Progress::Attempt {
        index: 0,
        delivery_id: "5b0c1f0e-0000-4000-8000-000000000001".into(),
        duplicate: false,
        number: 1,
        next_retry_secs: None,
        attempt: Box::new(ok_attempt("http://127.0.0.1:3000/maintainx")),
    }));
    sink.send(progress(Progress::Finished {
        index: 0,
        delivery_id: "5b0c1f0e-0000-4000-8000-000000000001".into(),
        duplicate: false,
        state: DeliveryState::Delivered,
        attempts: 1,
    }));
    sink.send(AppEvent::Send(Box::new(SendEvent::SendFinished {
        job,
        summary: RunSummary {
            deliveries: 1,
            delivered: 1,
            failed: 0,
            cancelled: 0,
            attempts: 1,
        },
    })));
    step_until(&mut harness, "1 delivered");
    harness.get_by_label("delivered");
    assert!(harness.query_all_by_label_contains("200 OK").next().is_some());
    assert!(
        harness
            .query_by(|n| n.role() == Role::MultilineTextInput
                && n.value().is_some_and(|v| v.contains("yes-indeed")))
            .is_some(),
        "the response body is shown"
    );
    // Nothing is running any more: the window goes idle.
    harness.run();
}

#[test]
fn replay_editor_resigns_and_lists_the_attempt() {
    let (mut harness, rx, sink) = new_app();
    start(&mut harness, &sink, &rx);
    let c = Capture {
        id: CaptureId(41),
        received_at_us: 1_760_000_000_000_000,
        method: "POST".into(),
        path: "/hooks/smtm".into(),
        http_version: "HTTP/1.1".into(),
        headers: HeaderList::from_pairs([
            ("Content-Type", "application/json"),
            ("X-SMTM-Signature", "sha256=00"),
        ]),
        body: br#"{"event":"task.completed","test":true}"#.to_vec(),
        body_len: 38,
        response: Some(ResponseSent::default_ok()),
        ..Capture::default()
    };
    sink.send(AppEvent::Inserted(vec![Summary::of(&c)]));
    harness.run();
    harness.get_by_label("/hooks/smtm").click();
    harness.step();
    sink.send(AppEvent::Detail(Box::new(c.clone())));
    step_until(&mut harness, "\"event\": \"task.completed\"");
    harness.run();
    let _ = rx.try_iter().count();
    harness.get_by_label("Replay…").click();
    harness.run();
    harness.get_by_label_contains("Replay capture #41");
    assert_eq!(send_commands(&rx), vec![SendCommand::LoadAttempts(CaptureId(41))]);
    harness
        .get_by(|n| n.role() == Role::TextInput && n.value().as_deref() == Some("http://localhost:3000"))
        .set_text_value_accesskit("http://127.0.0.1:4000/in");
    harness.run();
    harness.get_by_label("Re-sign").click();
    harness.run();
    harness
        .get_by(|n| n.placeholder() == Some("secret"))
        .set_text_value_accesskit("smtm_whsec_k");
    harness.run();
    harness.get_by_label("Send").click();
    harness.step();
    harness.step();
    let sent = send_commands(&rx);
    let Some(SendCommand::Replay {
        job, capture, plan, ..
    }) = sent.into_iter().next()
    else {
        panic!("no replay command");
    };
    assert_eq!(capture.id, CaptureId(41));
    assert_eq!(plan.target, "http://127.0.0.1:4000/in");
    assert_eq!(plan.body, None, "unedited body: the captured bytes");
    let resign = plan.resign.unwrap();
    assert_eq!(
        (resign.scheme, resign.secret.as_str(), resign.keep_original),
        (Scheme::Smtm, "smtm_whsec_k", false)
    );

    assert!(harness.query_by_label("replayed").is_none());
    let mut attempt = ok_attempt("http://127.0.0.1:4000/in");
    attempt.redirects = vec![Hop {
        status: 307,
        url: "http://127.0.0.1:4000/old-in".into(),
    }];
    sink.send(AppEvent::Send(Box::new(SendEvent::ReplayDone {
        job,
        capture: CaptureId(41),
        attempt: Box::new(attempt.clone()),
    })));
    harness.run();
    // The list row is flagged at once.
    harness.get_by_label("replayed");
    sink.send(AppEvent::Send(Box::new(SendEvent::Attempts {
        capture: CaptureId(41),
        attempts: vec![AttemptRecord {
            id: 7,
            capture_id: Some(CaptureId(41)),
            delivery_id: None,
            kind: AttemptKind::Replay,
            number: 1,
            attempt,
        }],
    })));
    step_until(&mut harness, "Attempts (1)");
    assert!(harness.query_all_by_label_contains("200 OK").next().is_some());
    assert!(
        harness
            .query_by(|n| n.role() == Role::MultilineTextInput
                && n.value().is_some_and(|v| v.contains("yes-indeed")))
            .is_some()
    );
    // The redirect it followed on the way is on record with the attempt.
    harness.get_by_label("followed a 307 redirect from http://127.0.0.1:4000/old-in");
    harness.run();
}

#[test]
fn a_stored_profile_signs_test_events_and_replays_without_showing_its_secret() {
    let (mut harness, rx, sink) = new_app();
    start(&mut harness, &sink, &rx);
    let profile = hookscope::signature::Profile {
        name: "smtm-prod".into(),
        path_pattern: "/hooks/*".into(),
        scheme: Scheme::Smtm,
        secret: "smtm_whsec_profile_9876".into(),
        tolerance_secs: None,
    };
    sink.send(AppEvent::Profiles(vec![profile]));
    harness.run();
    let no_secret_shown = |h: &Harness<'_, HookscopeApp>| {
        h.query_by(|n| {
            n.value().is_some_and(|v| v.contains("whsec_profile"))
                || n.label().is_some_and(|v| v.contains("whsec_profile"))
        })
        .is_none()
    };

    // Test event: the secret comes from the profile picked in "Secret from".
    harness.get_by_label("Send test event").click();
    harness.run();
    harness
        .get_by(|n| n.placeholder() == Some("http://localhost:3000/webhooks"))
        .set_text_value_accesskit("http://127.0.0.1:3000/smtm");
    harness.run();
    harness.get_by_label("Secret from").click();
    harness.run();
    harness.get_by_label("profile smtm-prod (smtm)").click();
    harness.run();
    harness.get_by_label("••••9876");
    assert!(no_secret_shown(&harness));
    harness.get_by_label("Send").click();
    harness.step();
    harness.step();
    let Some(SendCommand::SendTest { spec, .. }) = send_commands(&rx)
        .into_iter()
        .find(|c| matches!(c, SendCommand::SendTest { .. }))
    else {
        panic!("no send command");
    };
    let signer = spec.signer.unwrap();
    assert_eq!(
        (signer.scheme, signer.secret.as_str()),
        (Scheme::Smtm, "smtm_whsec_profile_9876")
    );
    // Close the panel with its toolbar button.
    harness
        .get_by(|n| n.role() == Role::Button && n.label().as_deref() == Some("Send test event"))
        .click();
    harness.run();
    assert!(harness.query_by_label("Secret from").is_none());

    // Replay: the profile for the capture's path is chosen for re-signing.
    let c = Capture {
        id: CaptureId(5),
        received_at_us: 1_760_000_000_000_000,
        method: "POST".into(),
        path: "/hooks/smtm".into(),
        http_version: "HTTP/1.1".into(),
        headers: HeaderList::from_pairs([("Content-Type", "application/json")]),
        body: br#"{"event":"task.completed","test":true}"#.to_vec(),
        body_len: 38,
        response: Some(ResponseSent::default_ok()),
        ..Capture::default()
    };
    sink.send(AppEvent::Inserted(vec![Summary::of(&c)]));
    harness.run();
    harness.get_by_label("/hooks/smtm").click();
    harness.step();
    sink.send(AppEvent::Detail(Box::new(c.clone())));
    step_until(&mut harness, "\"event\": \"task.completed\"");
    harness.run();
    harness.get_by_label("Replay…").click();
    harness.run();
    harness.get_by_label("Re-sign").click();
    harness.run();
    harness.get_by_label("••••9876");
    assert!(no_secret_shown(&harness));
    let _ = rx.try_iter().count();
    harness.get_by_label("Send").click();
    harness.step();
    harness.step();
    let Some(SendCommand::Replay { plan, .. }) = send_commands(&rx)
        .into_iter()
        .find(|c| matches!(c, SendCommand::Replay { .. }))
    else {
        panic!("no replay command");
    };
    let resign = plan.resign.unwrap();
    assert_eq!(
        (resign.scheme, resign.secret.as_str()),
        (Scheme::Smtm, "smtm_whsec_profile_9876")
    );
}
