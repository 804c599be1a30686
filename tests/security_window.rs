//! The window's security defaults: a visible warning when the receiver is bound beyond loopback,
//! and secrets that never reach what eframe saves (`window.ron`: settings and egui memory), nor
//! the store's failure message.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests: a panic is a failed test

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use eframe::App as _;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use hookscope::app::HookscopeApp;
use hookscope::app::backend::{EventSink, detached};
use hookscope::app::messages::AppEvent;
use hookscope::app::render::Renderer;
use hookscope::app::settings::Settings;
use hookscope::signature::{Profile, Scheme};

const SECRET: &str = "hs-SENTINEL-51ab9e-window-secret";
const WARNING: &str = "Warning: bound to a non-loopback address";

fn app(settings: Settings) -> (Harness<'static, HookscopeApp>, EventSink) {
    let (channels, _commands, sink) = detached(256);
    let renderer = Renderer::start(sink.clone()).unwrap();
    let harness = Harness::builder()
        .with_size([1300.0, 800.0])
        .build_eframe(move |_cc| {
            HookscopeApp::new(settings, channels, Some(renderer), "/tmp/hookscope-test".into())
        });
    (harness, sink)
}

fn quiet(bind: IpAddr) -> Settings {
    Settings {
        bind,
        listen_on_start: false,
        ..Settings::default()
    }
}

#[test]
fn a_non_loopback_bind_is_shown_as_a_warning() {
    let (mut h, sink) = app(quiet(IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
    h.step();
    sink.send(AppEvent::Ids(Vec::new().into()));
    h.run();
    h.get_by_label_contains(WARNING);

    for local in [IpAddr::V4(Ipv4Addr::LOCALHOST), "::1".parse().unwrap()] {
        let (mut h, sink) = app(quiet(local));
        h.step();
        sink.send(AppEvent::Ids(Vec::new().into()));
        h.run();
        assert!(h.query_by_label_contains(WARNING).is_none(), "{local}");
    }
}

/// What eframe writes to `window.ron`: every key/value it is given.
#[derive(Default)]
struct Saved(HashMap<String, String>);

impl eframe::Storage for Saved {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

#[test]
fn secrets_shown_and_edited_in_the_window_are_never_saved() {
    let (mut h, sink) = app(quiet(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    h.step();
    sink.send(AppEvent::Ids(Vec::new().into()));
    h.run();
    h.get_by_label("Profiles…").click();
    h.run();
    sink.send(AppEvent::Profiles(vec![Profile {
        name: "production".into(),
        path_pattern: "/gh/*".into(),
        scheme: Scheme::Github,
        secret: SECRET.into(),
        tolerance_secs: None,
    }]));
    h.run();
    // Redacted until asked; then shown, then opened for editing.
    assert!(h.query_by_label_contains(SECRET).is_none());
    h.get_by_label("show").click();
    h.run();
    h.get_by_label(SECRET);
    h.get_by_label("Edit").click();
    h.run();

    let mut saved = Saved::default();
    h.state_mut().save(&mut saved);
    // eframe also saves egui's memory (widget state) next to the app's settings.
    let memory = h.ctx.memory(Clone::clone);
    eframe::set_value(&mut saved, "egui", &memory);
    assert!(saved.0.len() >= 2, "{:?}", saved.0.keys());
    for (key, value) in &saved.0 {
        assert!(!value.contains(SECRET), "{key} holds the secret");
        assert!(!value.contains("SENTINEL"), "{key} holds part of the secret");
    }
}
