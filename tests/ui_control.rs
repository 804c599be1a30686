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
use hookscope::capture::sort::{ListSort, OrderedIds, SortKey, SortRun, SortValue};
use hookscope::capture::{CaptureId, Origin, Summary, Verdict};
use hookscope::server::RuleSet;
use hookscope::ui::list::{SORT_ASCENDING, SORT_DESCENDING};

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
        replayed: false,
        incomplete: false,
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
    sink.send(AppEvent::Ids(
        vec![CaptureId(1), CaptureId(2), CaptureId(3)].into(),
    ));
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
        ids: OrderedIds::arrival(vec![CaptureId(2)], CaptureId(3)),
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
        ids: OrderedIds::arrival((1..=4).map(CaptureId).collect(), CaptureId(4)),
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
    sink.send(AppEvent::Ids(Vec::new().into()));
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

fn with_verdict(id: i64, path: &str, verdict: Verdict) -> Summary {
    Summary {
        verdict,
        ..summary(id, "POST", path)
    }
}

/// The rows' paths from top to bottom as drawn.
fn shown_order(harness: &Harness<'_, HookscopeApp>, paths: &[&str]) -> Vec<String> {
    let mut rows: Vec<(f32, &str)> = paths
        .iter()
        .map(|p| (harness.get_by_label(p).rect().min.y, *p))
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    rows.into_iter().map(|(_, p)| p.to_string()).collect()
}

fn verdict_sort(descending: bool) -> ListSort {
    ListSort {
        key: SortKey::Verdict,
        descending,
    }
}

fn runs(values: &[(&str, usize)]) -> Vec<SortRun> {
    values
        .iter()
        .map(|(v, end)| SortRun {
            value: SortValue::Text((*v).into()),
            end: *end,
        })
        .collect()
}

#[test]
fn verdict_header_sorts_the_list_then_reverses_then_returns_to_arrival_order() {
    let (mut harness, rx, sink) = new_app();
    harness.step();
    let paths = [
        "/one-valid",
        "/two-invalid",
        "/three-unsigned",
        "/four-invalid",
        "/five-no-secret",
    ];
    let verdicts = [
        Verdict::Valid,
        Verdict::Invalid,
        Verdict::Unsigned,
        Verdict::Invalid,
        Verdict::NoSecret,
    ];
    let rows: Vec<Summary> = (1..=5)
        .map(|i| with_verdict(i, paths[i as usize - 1], verdicts[i as usize - 1]))
        .collect();
    sink.send(AppEvent::Ids((1..=5).map(CaptureId).collect::<Vec<_>>().into()));
    sink.send(AppEvent::Summaries(rows));
    harness.run();
    assert_eq!(shown_order(&harness, &paths), paths);
    assert!(harness.query_by_label_contains(SORT_ASCENDING).is_none());

    // First click: ascending, worst verdict first. The header shows it at once.
    harness.get_by_label("Verdict").click();
    wait_for_command(
        &mut harness,
        &rx,
        &Command::Control(ControlCommand::SetSort(verdict_sort(false))),
    );
    harness.step();
    harness.get_by_label(&format!("Verdict {SORT_ASCENDING}"));
    assert_eq!(harness.state().settings().list_sort, verdict_sort(false));
    sink.send(AppEvent::Ids(OrderedIds {
        sort: verdict_sort(false),
        ids: [2, 4, 5, 3, 1].map(CaptureId).to_vec(),
        runs: runs(&[("invalid", 2), ("no_secret", 3), ("unsigned", 4), ("valid", 5)]),
        upto: CaptureId(5),
    }));
    harness.run();
    assert_eq!(
        shown_order(&harness, &paths),
        [
            "/two-invalid",
            "/four-invalid",
            "/five-no-secret",
            "/three-unsigned",
            "/one-valid"
        ]
    );

    // A live arrival goes to its place, not to the bottom.
    sink.send(AppEvent::Inserted(vec![with_verdict(
        6,
        "/six-invalid",
        Verdict::Invalid,
    )]));
    harness.run();
    let mut with_six = paths.to_vec();
    with_six.push("/six-invalid");
    assert_eq!(
        shown_order(&harness, &with_six),
        [
            "/two-invalid",
            "/four-invalid",
            "/six-invalid",
            "/five-no-secret",
            "/three-unsigned",
            "/one-valid"
        ]
    );

    // Second click: reversed, ties newest first.
    harness.get_by_label(&format!("Verdict {SORT_ASCENDING}")).click();
    wait_for_command(
        &mut harness,
        &rx,
        &Command::Control(ControlCommand::SetSort(verdict_sort(true))),
    );
    sink.send(AppEvent::Ids(OrderedIds {
        sort: verdict_sort(true),
        ids: [1, 3, 5, 6, 4, 2].map(CaptureId).to_vec(),
        runs: runs(&[("valid", 1), ("unsigned", 2), ("no_secret", 3), ("invalid", 6)]),
        upto: CaptureId(6),
    }));
    harness.run();
    harness.get_by_label(&format!("Verdict {SORT_DESCENDING}"));
    assert_eq!(
        shown_order(&harness, &with_six),
        [
            "/one-valid",
            "/three-unsigned",
            "/five-no-secret",
            "/six-invalid",
            "/four-invalid",
            "/two-invalid"
        ]
    );

    // Third click: arrival order again, no arrow.
    harness
        .get_by_label(&format!("Verdict {SORT_DESCENDING}"))
        .click();
    wait_for_command(
        &mut harness,
        &rx,
        &Command::Control(ControlCommand::SetSort(ListSort::ARRIVAL)),
    );
    sink.send(AppEvent::Ids((1..=6).map(CaptureId).collect::<Vec<_>>().into()));
    harness.run();
    assert_eq!(shown_order(&harness, &with_six), with_six);
    assert!(harness.query_by_label_contains(SORT_ASCENDING).is_none());
    assert!(harness.query_by_label_contains(SORT_DESCENDING).is_none());
    assert!(harness.state().settings().list_sort.is_arrival());
}

#[test]
fn a_saved_order_is_asked_for_at_start_and_stale_answers_are_ignored() {
    let (channels, rx, sink) = detached(256);
    let settings = Settings {
        listen_on_start: false,
        list_sort: verdict_sort(true),
        ..Settings::default()
    };
    let mut harness = Harness::builder()
        .with_size([1200.0, 700.0])
        .build_eframe(move |_cc| HookscopeApp::new(settings, channels, None, "/tmp/hookscope-test".into()));
    harness.step();
    let first: Vec<Command> = rx.try_iter().collect();
    assert!(
        first.contains(&Command::Control(ControlCommand::SetSort(verdict_sort(true)))),
        "{first:?}"
    );
    assert!(!first.contains(&Command::LoadIds));
    // An answer in another order (sent before the order changed) is not shown.
    sink.send(AppEvent::Ids(vec![CaptureId(1)].into()));
    harness.step();
    assert_eq!(harness.state().list().len(), 0);
    sink.send(AppEvent::Ids(OrderedIds {
        sort: verdict_sort(true),
        ids: vec![CaptureId(2), CaptureId(1)],
        runs: runs(&[("valid", 1), ("invalid", 2)]),
        upto: CaptureId(2),
    }));
    harness.step();
    assert_eq!(harness.state().list().ids(), &[CaptureId(2), CaptureId(1)]);
    harness.get_by_label(&format!("Verdict {SORT_DESCENDING}"));
}

#[test]
fn sort_arrows_render_in_the_default_fonts() {
    let (mut harness, _rx, _sink) = new_app();
    harness.step();
    let font = egui::FontId::proportional(14.0);
    harness
        .ctx
        .fonts_mut(|f| assert!(f.has_glyphs(&font, &format!("{SORT_ASCENDING}{SORT_DESCENDING}"))));
}
