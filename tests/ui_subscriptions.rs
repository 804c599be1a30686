//! The MaintainX subscriptions window of the real app, fed by a fake background: the key typed
//! in goes with each request and is never saved; listed webhooks can be deleted; a new one is
//! created from the URL and the ticked events.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests: a panic is a failed test

use std::sync::mpsc::Receiver;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use hookscope::app::HookscopeApp;
use hookscope::app::backend::{EventSink, detached};
use hookscope::app::messages::{AppEvent, Command};
use hookscope::app::settings::Settings;
use hookscope::subscriptions::{Subscription, WebhookList};
use hookscope::ui::subscriptions::SubscriptionsAction;

const KEY: &str = "mx_key_from_the_dashboard_5521";

fn new_app() -> (Harness<'static, HookscopeApp>, Receiver<Command>, EventSink) {
    let (channels, command_rx, sink) = detached(256);
    let settings = Settings {
        listen_on_start: false,
        maintainx_api_url: "http://127.0.0.1:4010".into(),
        ..Settings::default()
    };
    let harness = Harness::builder()
        .with_size([1400.0, 1000.0])
        .build_eframe(move |_cc| HookscopeApp::new(settings, channels, None, "/tmp/hookscope-test".into()));
    (harness, command_rx, sink)
}

fn actions(rx: &Receiver<Command>) -> Vec<SubscriptionsAction> {
    rx.try_iter()
        .filter_map(|c| match c {
            Command::Subscriptions(a) => Some(*a),
            _ => None,
        })
        .collect()
}

#[test]
fn list_delete_and_create_maintainx_webhooks_from_the_window() {
    let (mut h, rx, sink) = new_app();
    sink.send(AppEvent::Ids(Vec::new().into()));
    h.run();
    h.get_by_label("Subscriptions…").click();
    h.run();
    h.get_by_label_contains("MaintainX subscriptions");
    h.get_by(|n| n.role() == Role::PasswordInput || n.label().as_deref() == Some("API key"))
        .set_text_value_accesskit(KEY);
    h.run();
    h.get_by_label("Refresh").click();
    h.step();
    let sent = actions(&rx);
    let [SubscriptionsAction::Refresh(api)] = sent.as_slice() else {
        panic!("expected one refresh, got {sent:?}");
    };
    assert_eq!(api.base_url, "http://127.0.0.1:4010");
    assert_eq!(api.api_key.expose(), KEY);

    sink.send(AppEvent::SubscriptionsListed(Ok(WebhookList {
        webhooks: vec![Subscription {
            id: "17".into(),
            url: "https://tunnel.example/mx".into(),
            events: vec!["workorder.created".into()],
        }],
        unreadable: 0,
    })));
    h.run();
    h.get_by_label("https://tunnel.example/mx");
    h.get_by_label("Webhooks (1)");
    h.get_by_label("Delete").click();
    h.step();
    let sent = actions(&rx);
    assert!(
        matches!(sent.as_slice(), [SubscriptionsAction::Delete { id, .. }] if id == "17"),
        "{sent:?}"
    );
    sink.send(AppEvent::SubscriptionsChanged(Ok("webhook 17 deleted".into())));
    sink.send(AppEvent::SubscriptionsListed(Ok(WebhookList::default())));
    h.run();
    h.get_by_label("webhook 17 deleted");
    h.get_by_label("No webhooks.");

    // A new webhook: URL and events.
    h.get_by(|n| n.label().as_deref() == Some("Send to"))
        .set_text_value_accesskit("https://tunnel.example/new");
    h.run();
    h.get_by_label("workorder.status_changed").click();
    h.run();
    h.get_by_label("Create webhook").click();
    h.step();
    let sent = actions(&rx);
    let [SubscriptionsAction::Create { url, events, api }] = sent.as_slice() else {
        panic!("expected one create, got {sent:?}");
    };
    assert_eq!(url, "https://tunnel.example/new");
    assert_eq!(events, &["workorder.status_changed".to_string()]);
    assert_eq!(api.api_key.expose(), KEY);

    // The key is not part of the saved settings.
    let saved = serde_json::to_string(h.state().settings()).unwrap();
    assert!(saved.contains("http://127.0.0.1:4010"));
    assert!(!saved.contains(KEY));
}
