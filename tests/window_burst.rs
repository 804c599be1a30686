//! Under a burst the window shows a "catching up" note instead of dropping captures: events that
//! did not fit the queue make it reload the list, and the note stays until the reload arrives.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests: a panic is a failed test

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use hookscope::app::HookscopeApp;
use hookscope::app::backend::detached;
use hookscope::app::messages::{AppEvent, Command};
use hookscope::app::settings::Settings;
use hookscope::capture::{Capture, CaptureId, Summary};

const NOTE: &str = "catching up";

fn row(id: i64) -> Summary {
    Summary::of(&Capture {
        id: CaptureId(id),
        method: "POST".into(),
        path: format!("/burst/{id}"),
        ..Capture::default()
    })
}

#[test]
fn a_burst_larger_than_the_queue_shows_catching_up_until_the_list_is_reloaded() {
    // A queue of 8 events: the 9th and later do not fit.
    let (channels, commands, sink) = detached(8);
    let settings = Settings {
        listen_on_start: false,
        ..Settings::default()
    };
    let mut h = Harness::builder()
        .with_size([1300.0, 800.0])
        .build_eframe(move |_cc| HookscopeApp::new(settings, channels, None, "/tmp/hookscope-test".into()));
    sink.send(AppEvent::Ids(Vec::new().into()));
    h.step();
    h.step();
    assert!(h.query_by_label_contains(NOTE).is_none());
    while commands.try_recv().is_ok() {}

    for id in 1..=50 {
        sink.send(AppEvent::Inserted(vec![row(id)]));
    }
    h.step();
    h.step();
    h.get_by_label_contains(NOTE);
    // The window asked the background for the full list instead of losing the dropped rows.
    let asked: Vec<Command> = std::iter::from_fn(|| commands.try_recv().ok()).collect();
    assert!(asked.iter().any(|c| matches!(c, Command::LoadIds)), "{asked:?}");

    // The reload arrives: every capture is there and the note goes away.
    sink.send(AppEvent::Ids((1..=50).map(CaptureId).collect::<Vec<_>>().into()));
    h.step();
    h.step();
    assert!(h.query_by_label_contains(NOTE).is_none());
    assert_eq!(h.state().list().len(), 50);
}
