//! The MaintainX subscriptions window (PRODUCT.md §9): API base URL and key, the webhooks the
//! organisation has (Refresh, Delete), and a form to create one. The key is typed in, kept in
//! memory only, and never shown again once typed (a password field).

use std::collections::BTreeSet;

use super::{labelled, palette};
use crate::events;
use crate::signature::Secret;
use crate::subscriptions::{ApiConfig, Subscription, WebhookList, parse_events};

/// What the window asks the app for.
#[derive(Debug, Clone, PartialEq)]
pub enum SubscriptionsAction {
    Refresh(ApiConfig),
    Create {
        api: ApiConfig,
        url: String,
        events: Vec<String>,
    },
    Delete {
        api: ApiConfig,
        id: String,
    },
}

/// The window's state.
#[derive(Debug, Default)]
pub struct SubscriptionsView {
    pub open: bool,
    /// Typed in, never saved.
    pub api_key: String,
    pub webhooks: Vec<Subscription>,
    /// The list was read at least once.
    pub loaded: bool,
    /// A request is in flight.
    pub busy: bool,
    /// The last failure, in one sentence.
    pub error: Option<String>,
    /// What the last success did.
    pub note: Option<String>,
    pub new_url: String,
    pub new_events: BTreeSet<String>,
    /// Other event names, comma-separated.
    pub other_events: String,
}

impl SubscriptionsView {
    fn api(&self, base_url: &str) -> ApiConfig {
        ApiConfig {
            base_url: base_url.trim().to_string(),
            api_key: Secret::new(self.api_key.trim()),
        }
    }

    /// The events the create form names.
    pub fn chosen_events(&self) -> Vec<String> {
        let mut events: Vec<String> = self.new_events.iter().cloned().collect();
        for e in parse_events(&self.other_events) {
            if !events.contains(&e) {
                events.push(e);
            }
        }
        events
    }

    /// A request was sent: wait for its answer.
    pub fn started(&mut self) {
        self.busy = true;
        self.error = None;
        self.note = None;
    }

    pub fn listed(&mut self, result: Result<WebhookList, String>) {
        self.busy = false;
        match result {
            Ok(list) => {
                if let Some(note) = list.unreadable_note() {
                    // Beside what a create or delete just did, not instead of it.
                    self.note = Some(match self.note.take() {
                        Some(done) => format!("{done}; {note}"),
                        None => note,
                    });
                }
                self.webhooks = list.webhooks;
                self.loaded = true;
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// A create or delete finished; `Ok` says what happened. Still busy: the background reads
    /// the list again and [`Self::listed`] ends the wait.
    pub fn changed(&mut self, result: Result<String, String>) {
        match result {
            Ok(note) => {
                self.note = Some(note);
                self.new_url.clear();
            }
            Err(e) => self.error = Some(e),
        }
    }
}

/// Draw the window's content. `base_url` is the saved setting (edited here).
pub fn subscriptions_ui(
    ui: &mut egui::Ui,
    view: &mut SubscriptionsView,
    base_url: &mut String,
) -> Option<SubscriptionsAction> {
    let mut action = None;
    egui::Grid::new("mx-api")
        .num_columns(2)
        .spacing([8.0, 6.0])
        .show(ui, |ui| {
            labelled(
                ui,
                "API base URL",
                egui::TextEdit::singleline(base_url).desired_width(320.0),
            );
            ui.end_row();
            labelled(
                ui,
                "API key",
                egui::TextEdit::singleline(&mut view.api_key)
                    .password(true)
                    .hint_text("MaintainX API key (not saved)")
                    .desired_width(320.0),
            );
            ui.end_row();
        });
    let ready = !view.api_key.trim().is_empty() && !base_url.trim().is_empty() && !view.busy;
    ui.horizontal(|ui| {
        if ui
            .add_enabled(ready, egui::Button::new("Refresh"))
            .on_disabled_hover_text("Enter the API base URL and key")
            .clicked()
        {
            action = Some(SubscriptionsAction::Refresh(view.api(base_url)));
        }
        if view.busy {
            ui.spinner();
        }
        if let Some(e) = &view.error {
            ui.colored_label(palette::ERROR, e);
        } else if let Some(n) = &view.note {
            ui.colored_label(palette::status(Some(200)), n);
        }
    });
    ui.separator();
    ui.strong(format!("Webhooks ({})", view.webhooks.len()));
    if !view.loaded {
        ui.weak("Refresh to read the webhooks of the organisation the key belongs to.");
    } else if view.webhooks.is_empty() {
        ui.weak("No webhooks.");
    }
    let mut delete = None;
    egui::Grid::new("mx-webhooks")
        .num_columns(4)
        .striped(true)
        .show(ui, |ui| {
            for w in &view.webhooks {
                ui.monospace(&w.id);
                ui.label(&w.url);
                ui.label(w.events.join(", "));
                if ui
                    .add_enabled(ready, egui::Button::new("Delete").small())
                    .on_hover_text(format!("Delete webhook {}", w.id))
                    .clicked()
                {
                    delete = Some(w.id.clone());
                }
                ui.end_row();
            }
        });
    if let Some(id) = delete {
        action = Some(SubscriptionsAction::Delete {
            api: view.api(base_url),
            id,
        });
    }
    ui.separator();
    ui.strong("New webhook");
    ui.horizontal(|ui| {
        labelled(
            ui,
            "Send to",
            egui::TextEdit::singleline(&mut view.new_url)
                .hint_text("https://your-tunnel.example/maintainx")
                .desired_width(320.0),
        );
    });
    ui.horizontal_wrapped(|ui| {
        ui.label("Events");
        // The events of the MaintainX test-event templates.
        let known = events::catalog().ok().and_then(|c| c.provider("maintainx"));
        for e in known.iter().flat_map(|p| &p.events).map(|t| t.event.as_str()) {
            let mut on = view.new_events.contains(e);
            if ui.checkbox(&mut on, e).changed() {
                if on {
                    view.new_events.insert(e.to_string());
                } else {
                    view.new_events.remove(e);
                }
            }
        }
    });
    ui.horizontal(|ui| {
        labelled(
            ui,
            "Other events",
            egui::TextEdit::singleline(&mut view.other_events)
                .hint_text("comma-separated")
                .desired_width(240.0),
        );
    });
    let events = view.chosen_events();
    let url_ok = crate::send::parse_target(view.new_url.trim()).is_ok();
    ui.horizontal(|ui| {
        if ui
            .add_enabled(
                ready && url_ok && !events.is_empty(),
                egui::Button::new("Create webhook"),
            )
            .clicked()
        {
            action = Some(SubscriptionsAction::Create {
                api: view.api(base_url),
                url: view.new_url.trim().to_string(),
                events,
            });
        }
        if !url_ok && !view.new_url.trim().is_empty() {
            ui.colored_label(palette::WARN, "not an http(s) URL");
        }
    });
    action
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chosen_events_merge_the_boxes_and_the_free_text() {
        let mut v = SubscriptionsView::default();
        v.new_events.insert("workorder.created".into());
        v.other_events = "asset.updated, workorder.created".into();
        assert_eq!(v.chosen_events(), vec!["workorder.created", "asset.updated"]);
    }

    #[test]
    fn answers_end_the_wait_and_keep_the_list_or_the_error() {
        let mut v = SubscriptionsView::default();
        v.started();
        assert!(v.busy);
        v.listed(Err("could not list the webhooks: refused".into()));
        assert!(!v.busy && !v.loaded);
        v.changed(Ok("webhook 2 deleted".into()));
        v.listed(Ok(WebhookList {
            webhooks: vec![Subscription {
                id: "1".into(),
                url: "u".into(),
                events: vec![],
            }],
            unreadable: 2,
        }));
        assert!(v.loaded);
        assert_eq!(v.webhooks.len(), 1);
        assert_eq!(
            v.note.as_deref(),
            Some("webhook 2 deleted; 2 entries in the API's answer have no id and are not shown")
        );
    }
}
