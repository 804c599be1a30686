//! The real app, fed by a fake background: a new capture appears as a row, clicking it loads
//! and shows its detail, and the window goes idle afterwards.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests: a panic is a failed test

use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use hookscope::app::HookscopeApp;
use hookscope::app::backend::{EventSink, detached};
use hookscope::app::messages::{AppEvent, Command};
use hookscope::app::render::Renderer;
use hookscope::app::sending::SendEvent;
use hookscope::app::settings::Settings;
use hookscope::capture::{Capture, CaptureId, HeaderList, ResponseSent, Summary};

fn capture() -> Capture {
    Capture {
        id: CaptureId(41),
        received_at_us: 1_760_000_000_000_000,
        method: "POST".into(),
        path: "/hooks/smtm".into(),
        query: None,
        http_version: "HTTP/1.1".into(),
        remote_addr: Some("127.0.0.1:50000".into()),
        headers: HeaderList::from_pairs([
            ("Content-Type", "application/json"),
            ("X-SMTM-Event", "task.completed"),
        ]),
        body: br#"{"event":"task.completed","data":{"task_id":"T-1001"}}"#.to_vec(),
        body_len: 55,
        response: Some(ResponseSent::default_ok()),
        ..Capture::default()
    }
}

/// Collect the commands the app sent so far.
fn commands(rx: &Receiver<Command>) -> Vec<Command> {
    rx.try_iter().collect()
}

/// Step the harness until `label` (substring) shows up, or fail after a few seconds.
fn step_until(harness: &mut Harness<'_, HookscopeApp>, label: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while harness.query_by_label_contains(label).is_none() {
        assert!(Instant::now() < deadline, "`{label}` never appeared");
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn new_app() -> (Harness<'static, HookscopeApp>, Receiver<Command>, EventSink) {
    new_app_sized([1200.0, 700.0])
}

fn new_app_sized(size: [f32; 2]) -> (Harness<'static, HookscopeApp>, Receiver<Command>, EventSink) {
    let (channels, command_rx, sink) = detached(256);
    let renderer = Renderer::start(sink.clone()).expect("start the renderer");
    let settings = Settings {
        listen_on_start: false,
        ..Settings::default()
    };
    let harness = Harness::builder().with_size(size).build_eframe(move |_cc| {
        HookscopeApp::new(settings, channels, Some(renderer), "/tmp/hookscope-test".into())
    });
    (harness, command_rx, sink)
}

#[test]
fn new_capture_appears_live_and_opens_its_detail() {
    let (mut harness, command_rx, sink) = new_app();
    // The history is loading: a spinner animates until the ids arrive.
    harness.step();
    assert_eq!(
        commands(&command_rx),
        vec![Command::LoadIds, Command::LoadProfiles],
        "the history and the profiles are requested at start"
    );
    sink.send(AppEvent::Ids(Vec::new().into()));
    harness.run();
    harness.get_by_label("No requests yet");
    harness.get_by_label_contains("receiver is stopped");
    // Once listening, the example request goes to the port in use.
    sink.send(AppEvent::ReceiverStarted {
        addr: "127.0.0.1:18790".parse().unwrap(),
    });
    harness.run();
    harness.get_by_label_contains("http://127.0.0.1:18790/hooks");

    // A capture committed by the writer arrives.
    let c = capture();
    sink.send(AppEvent::Inserted(vec![Summary::of(&c)]));
    harness.run();
    harness.get_by_label("/hooks/smtm");
    harness.get_by_label("1 captures");

    // Clicking the row asks for the full record...
    harness.get_by_label("/hooks/smtm").click();
    // The detail is loading (spinner) until the background answers.
    harness.step();
    harness.step();
    assert!(commands(&command_rx).contains(&Command::LoadDetail(CaptureId(41))));
    // ...and shows it once the background answers, with the pretty-printed body.
    sink.send(AppEvent::Detail(Box::new(c)));
    step_until(&mut harness, "\"task_id\": \"T-1001\"");

    harness.get_by_label("Headers").click();
    harness.run();
    harness.get_by_label("X-SMTM-Event");
    harness.get_by_label("task.completed");

    // Nothing left to do: the window must stop repainting.
    harness.run();
}

#[test]
fn changing_the_selection_frees_the_old_detail_off_the_ui_thread() {
    let (mut harness, command_rx, sink) = new_app();
    harness.step();
    sink.send(AppEvent::Ids(Vec::new().into()));
    let first = capture();
    let second = Capture {
        id: CaptureId(42),
        path: "/hooks/other".into(),
        ..capture()
    };
    sink.send(AppEvent::Inserted(vec![
        Summary::of(&first),
        Summary::of(&second),
    ]));
    harness.run();
    harness.get_by_label("/hooks/smtm").click();
    harness.step();
    sink.send(AppEvent::Detail(Box::new(first)));
    step_until(&mut harness, "\"task_id\": \"T-1001\"");
    let _ = commands(&command_rx);

    // A big body's capture and prepared views took a whole frame to free on the UI thread: the
    // window hands what it lets go of to a background thread instead.
    let before = hookscope::app::retire::retired();
    harness.get_by_label("/hooks/other").click();
    harness.step();
    harness.step();
    assert!(commands(&command_rx).contains(&Command::LoadDetail(CaptureId(42))));
    assert!(
        hookscope::app::retire::retired() > before,
        "the first capture's detail was freed on the UI thread"
    );
    sink.send(AppEvent::Detail(Box::new(second)));
    step_until(&mut harness, "/hooks/other");
}

#[test]
fn port_in_use_is_shown_with_a_way_to_pick_another() {
    let (mut harness, command_rx, sink) = new_app();
    harness.step();
    sink.send(AppEvent::Ids(Vec::new().into()));
    sink.send(AppEvent::ReceiverFailed {
        message: "127.0.0.1:8787 is already in use; choose another port".into(),
    });
    harness.run();
    harness.get_by_label_contains("already in use");
    let _ = commands(&command_rx);
    // Retry is offered; the port field takes another port.
    harness.get_by_label("Retry");
    harness.get_by_label("Apply").click();
    // The receiver is starting again (a spinner shows until the background answers).
    harness.step();
    harness.step();
    let sent = commands(&command_rx);
    assert!(
        sent.iter()
            .any(|c| matches!(c, Command::StartReceiver { port: 8787, .. })),
        "apply restarts the receiver: {sent:?}"
    );
}

#[test]
fn verdicts_show_in_the_list_and_the_signature_panel() {
    use hookscope::capture::Verdict;
    use hookscope::signature::{Profile, RequestParts, Scheme, SignParams, evaluate, sign};

    let (mut harness, command_rx, sink) = new_app();
    harness.step();
    sink.send(AppEvent::Ids(Vec::new().into()));
    // A capture signed with the configured profile's secret, and a tampered copy.
    let secret = "smtm_whsec_ui";
    let mut good = capture();
    let signed = sign(
        &Scheme::Smtm,
        secret,
        &SignParams {
            body: &good.body,
            ..SignParams::default()
        },
    )
    .unwrap();
    for (n, v) in signed.headers {
        good.headers.push(n, v);
    }
    let profiles = vec![Profile {
        name: "smtm-prod".into(),
        path_pattern: "/hooks/*".into(),
        scheme: Scheme::Smtm,
        secret: secret.into(),
        tolerance_secs: None,
    }];
    let mut bad = good.clone();
    bad.id = CaptureId(42);
    bad.body.extend_from_slice(b"\n");
    let judge = |c: &mut Capture| {
        let url = c.url();
        let parts = RequestParts {
            method: &c.method,
            url: &url,
            headers: &c.headers,
            body: &c.body,
        };
        let e = evaluate(&profiles, &parts, &c.path, 0);
        c.analysis.verdict = Verdict::from(e.verdict);
        c.analysis.scheme = e.scheme.clone();
        c.analysis.reason = e.reason.clone();
        c.analysis.explanation = e.explanation.clone();
        e
    };
    let good_eval = judge(&mut good);
    let bad_eval = judge(&mut bad);
    assert_eq!(bad.analysis.verdict, Verdict::Invalid);
    sink.send(AppEvent::Inserted(vec![Summary::of(&good), Summary::of(&bad)]));
    harness.run();
    assert_eq!(
        harness.query_all_by_label("✔ smtm").count(),
        1,
        "the valid row shows ✔"
    );
    assert_eq!(
        harness.query_all_by_label("❌ smtm").count(),
        1,
        "the tampered row shows ❌"
    );

    // Open the tampered one: the signature panel names the cause.
    harness.query_all_by_label("/hooks/smtm").nth(1).unwrap().click();
    harness.step();
    sink.send(AppEvent::Detail(Box::new(bad.clone())));
    sink.send(AppEvent::SignatureDetail {
        id: bad.id,
        evaluation: Box::new(bad_eval),
    });
    step_until(&mut harness, "Response");
    harness.get_by_label("Signature").click();
    harness.step();
    step_until(&mut harness, "newline");
    harness.get_by_label_contains("newline");
    harness.get_by_label("Expected");
    assert!(
        harness.query_by_label_contains(secret).is_none(),
        "the secret is never shown"
    );
    let _ = good_eval;

    // Profiles: the window lists them redacted, and saving a new one is sent to the background.
    let _ = commands(&command_rx);
    sink.send(AppEvent::Profiles(profiles.clone()));
    harness.get_by_label("Profiles…").click();
    harness.step();
    harness.step();
    harness.get_by_label("••••c_ui");
    assert!(harness.query_by_label(secret).is_none(), "the secret is redacted");
    assert!(commands(&command_rx).contains(&Command::LoadProfiles));
    // An incomplete new profile is refused in place; nothing is sent.
    harness.get_by_label("Add profile…").click();
    harness.step();
    harness.step();
    harness.get_by_label("Save").click();
    harness.step();
    harness.step();
    harness.get_by_label_contains("needs a name");
    assert!(
        !commands(&command_rx)
            .iter()
            .any(|c| matches!(c, Command::SaveProfile { .. }))
    );
    harness.get_by_label("Cancel").click();
    harness.step();
    // Removing goes to the background.
    harness.get_by_label("Remove").click();
    harness.step();
    harness.step();
    assert!(commands(&command_rx).contains(&Command::RemoveProfile("smtm-prod".into())));
}

#[test]
fn import_paste_copy_curl_and_diff() {
    use hookscope::capture::diff_captures;
    use hookscope::ui::transfer::ImportSource;

    let (mut harness, command_rx, sink) = new_app();
    harness.step();
    sink.send(AppEvent::Ids(Vec::new().into()));
    harness.run();
    let _ = commands(&command_rx);

    // Two captures: mark one, diff with the other.
    let a = capture();
    let mut b = capture();
    b.id = CaptureId(42);
    b.headers.set("X-SMTM-Event", "task.approved");
    sink.send(AppEvent::Inserted(vec![Summary::of(&a), Summary::of(&b)]));
    harness.run();
    harness.get_by_label("41").click();
    harness.step();
    sink.send(AppEvent::Detail(Box::new(a.clone())));
    step_until(&mut harness, "Mark for diff");
    harness.get_by_label("Mark for diff").click();
    harness.step();
    harness.get_by_label("42").click();
    harness.step();
    sink.send(AppEvent::Detail(Box::new(b.clone())));
    step_until(&mut harness, "Diff with #41");
    // Copy as curl is prepared in the background.
    harness.get_by_label("Copy as curl").click();
    harness.step();
    harness.step();
    assert!(commands(&command_rx).contains(&Command::CopyCurl(CaptureId(42))));
    harness.get_by_label("Diff with #41").click();
    harness.step();
    harness.step();
    assert!(commands(&command_rx).contains(&Command::Diff {
        left: CaptureId(41),
        right: CaptureId(42)
    }));
    sink.send(AppEvent::Diffed {
        left: CaptureId(41),
        right: CaptureId(42),
        diff: Box::new(diff_captures(&a, &b)),
    });
    step_until(&mut harness, "1 header changes");
    harness.get_by_label("X-SMTM-Event: task.completed");
    harness.get_by_label("X-SMTM-Event: task.approved");

    // Paste a curl command into the import window (the diff window may cover the toolbar).
    harness.get_by_label("Import…").click_accesskit();
    harness.step();
    harness.step();
    let pasted = "curl -X POST http://127.0.0.1:8787/h -d '{\"a\":1}'";
    harness
        .get_by_role(egui::accesskit::Role::MultilineTextInput)
        .focus();
    harness.step();
    harness
        .get_by_role(egui::accesskit::Role::MultilineTextInput)
        .type_text(pasted);
    harness.step();
    harness.get_by_label("Import pasted text").click();
    harness.step();
    harness.step();
    let sent = commands(&command_rx);
    assert!(
        sent.contains(&Command::Import(ImportSource::Text(pasted.as_bytes().to_vec()))),
        "the pasted text goes to the background: {sent:?}"
    );
    // A refused import is shown in the window, and nothing changes.
    sink.send(AppEvent::ImportFailed(
        "the pasted text: curl command line 1: no URL".into(),
    ));
    harness.step();
    harness.step();
    assert!(harness.query_all_by_label_contains("no URL").count() >= 1);
}

/// The tops of the widgets labelled `labels`; fails unless they share one row inside `width`.
fn one_row(harness: &Harness<'_, HookscopeApp>, labels: &[&str], width: f32) {
    let rects: Vec<(&str, egui::Rect)> = labels
        .iter()
        .map(|l| (*l, harness.get_by_label(l).rect()))
        .collect();
    let top = rects[0].1.center().y;
    for (label, rect) in &rects {
        assert!(
            (rect.center().y - top).abs() < 2.0,
            "`{label}` wrapped to another row: {rects:?}"
        );
        assert!(rect.max.x <= width, "`{label}` is cut off at the right: {rect:?}");
    }
}

#[test]
fn toolbar_and_status_row_each_fit_one_row_at_1280_px() {
    let (mut harness, _command_rx, sink) = new_app_sized([1280.0, 800.0]);
    harness.step();
    sink.send(AppEvent::Ids(Vec::new().into()));
    sink.send(AppEvent::ReceiverStarted {
        addr: "127.0.0.1:18787".parse().unwrap(),
    });
    let c = capture();
    sink.send(AppEvent::Inserted(vec![Summary::of(&c)]));
    harness.run();
    // With a capture selected the toolbar is at its widest (Delete and Replay… apply to it).
    harness.get_by_label("/hooks/smtm").click();
    harness.step();
    sink.send(AppEvent::Detail(Box::new(c)));
    step_until(&mut harness, "\"task_id\": \"T-1001\"");
    one_row(
        &harness,
        &[
            "Delete",
            "Replay…",
            "Send test event",
            "Deliveries",
            "Forward to",
            "Import…",
            "Export…",
            "Profiles…",
            "Subscriptions…",
            "Settings",
            "View",
        ],
        1280.0,
    );
    one_row(
        &harness,
        &[
            "Copy URL",
            "Stop",
            "Port",
            "Apply",
            "1 captures",
            "Follow",
            "Rules",
            "Stats",
            "Clear all…",
        ],
        1280.0,
    );

    // Forwarding's counts and a long last outcome go to the status row, not the toolbar.
    sink.send(AppEvent::Send(Box::new(SendEvent::ForwardStarted {
        target: "http://127.0.0.1:3000/hooks".into(),
    })));
    sink.send(AppEvent::Send(Box::new(SendEvent::Forwarded {
        capture: CaptureId(41),
        ok: true,
        text: "200 OK in 1.2 ms; the response body is larger than 8 MiB; only the first bytes were kept"
            .into(),
    })));
    harness.run();
    one_row(&harness, &["Delete", "Forward to", "Settings", "View"], 1280.0);
    harness.get_by_label("forwarding: 1 sent, 0 failed");
}
