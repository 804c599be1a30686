//! The filter bar and control panels in the real app, fed by a fake background.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests: a panic is a failed test

use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use hookscope::app::HookscopeApp;
use hookscope::app::backend::{EventSink, detached};
use hookscope::app::control::{ControlCommand, ControlEvent};
use hookscope::app::messages::{AppEvent, Command};
use hookscope::app::settings::Settings;
use hookscope::capture::{CaptureId, Origin, Summary, Verdict};
use hookscope::server::RuleSet;

fn summary(id: i64, method: &str, path: &str) -> Summary {
    Summary {
        id: CaptureId(id),
        received_at_us: 1_760_000_000_000_000 + id,
        method: method.into(),
        target: path.into(),
        status: Some(200),
        body_len: 2,
        oversized: false,
        origin: Origin::Live,
        scheme: None,
        verdict: Verdict::Unsigned,
        event: None,
        duplicate_of: None,
        out_of_order: false,
        test: false,
    }
}

fn new_app() -> (Harness<'static, HookscopeApp>, Receiver<Command>, EventSink) {
    let (channels, command_rx, sink) = detached(256);
    let settings = Settings {
        listen_on_start: false,
        ..Settings::default()
    };
    let harness = Harness::builder()
        .with_size([1200.0, 700.0])
        .build_eframe(move |_cc| HookscopeApp::new(settings, channels, None, "/tmp/hookscope-test".into()));
    (harness, command_rx, sink)
}

/// Step until a command matching `want` was sent (bounded).
fn wait_for_command(harness: &mut Harness<'_, HookscopeApp>, rx: &Receiver<Command>, want: &Command) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if rx.try_iter().any(|c| &c == want) {
            return;
        }
        assert!(Instant::now() < deadline, "{want:?} was never sent");
        harness.step();
    }
}

#[test]
fn filter_bar_filters_the_list_and_clearing_restores_it() {
    let (mut harness, rx, sink) = new_app();
    harness.step();
    sink.send(AppEvent::Ids(vec![CaptureId(1), CaptureId(2), CaptureId(3)]));
    sink.send(AppEvent::Summaries(vec![
        summary(1, "GET", "/health-ish"),
        summary(2, "POST", "/smtm/tasks"),
        summary(3, "GET", "/other"),
    ]));
    harness.run();
    harness.get_by_label("/other");
    harness.get_by_label("3 captures");

    // A bad term is reported while typing, and nothing is sent.
    let field = harness.get_by_label("Filter");
    field.focus();
    field.type_text("verdict:sometimes");
    harness.run();
    harness.get_by_label_contains("unknown verdict");

    // Replace with a good filter and press Enter.
    harness.get_by_label("Filter").focus();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get_by_label("Filter").type_text("method:POST");
    harness.run();
    assert!(harness.query_by_label_contains("unknown verdict").is_none());
    harness.key_press(egui::Key::Enter);
    wait_for_command(
        &mut harness,
        &rx,
        &Command::Control(ControlCommand::SetFilter("method:POST".into())),
    );
    // The background answers with the matches.
    sink.send(AppEvent::Control(ControlEvent::FilterApplied {
        text: "method:POST".into(),
        ids: vec![CaptureId(2)],
        upto: CaptureId(3),
    }));
    harness.run();
    harness.get_by_label("1 matching");
    harness.get_by_label("/smtm/tasks");
    assert!(
        harness.query_by_label("/other").is_none(),
        "non-matching rows are gone"
    );

    // A live arrival that matches (the bridge already judged it) appears.
    sink.send(AppEvent::Inserted(vec![summary(4, "POST", "/smtm/live")]));
    harness.run();
    harness.get_by_label("/smtm/live");
    harness.get_by_label("2 matching");

    // Clearing asks for everything again.
    harness.get_by_label("Clear").click();
    wait_for_command(
        &mut harness,
        &rx,
        &Command::Control(ControlCommand::SetFilter(String::new())),
    );
    sink.send(AppEvent::Control(ControlEvent::FilterApplied {
        text: String::new(),
        ids: (1..=4).map(CaptureId).collect(),
        upto: CaptureId(4),
    }));
    harness.run();
    // Rows dropped while filtered are loaded again.
    assert!(rx.try_iter().any(|c| matches!(c, Command::LoadSummaries(_))));
    sink.send(AppEvent::Summaries(vec![
        summary(1, "GET", "/health-ish"),
        summary(3, "GET", "/other"),
    ]));
    harness.run();
    harness.get_by_label("/other");
    harness.get_by_label("4 captures");
    assert!(harness.query_by_label_contains("matching").is_none());
    harness.run();
}

#[test]
fn rules_panel_applies_rules() {
    let (mut harness, rx, sink) = new_app();
    harness.step();
    sink.send(AppEvent::Ids(Vec::new()));
    sink.send(AppEvent::Control(ControlEvent::Rules(
        RuleSet::from_toml("[[rule]]\npath = \"/fail/*\"\nfail_next = 2\n").unwrap(),
    )));
    harness.run();
    harness.get_by_label("Rules").click();
    harness.run();
    harness.get_by_label("1 rules in force");
    harness.get_by_label("Add rule").click();
    // The panel's scroll area grows for a few frames, then settles.
    harness.run_steps(10);
    harness.run();
    harness.get_by_label("unapplied changes");
    harness.get_by_label("Apply rules").click();
    harness.run();
    let commands: Vec<Command> = rx.try_iter().collect();
    let saved = commands
        .iter()
        .find_map(|c| match c {
            Command::Control(ControlCommand::SetRules(set)) => Some(set.clone()),
            _ => None,
        })
        .expect("rules were applied");
    assert_eq!(saved.rule.len(), 2);
    assert_eq!(saved.rule[0].fail_next, 2);
    assert_eq!(saved.rule[1].path.as_str(), "/*");
}
