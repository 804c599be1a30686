//! "Send test event": provider and event, payload editor (validated, keeps `"test": true`),
//! target URL with history, signing, retry / duplicate / order / burst options, live progress.

use super::attempt_view::{attempt_detail_ui, status_line_ui};
use super::signing_choice::{SigningChoice, signing_choice_ui};
use super::{labelled, palette};
use crate::events;
use crate::send::{
    Attempt, BatchShape, DeliveryState, Progress, RunSummary, Signer, SimOptions, parse_schedule,
};
use crate::signature::Profile;

/// Most URLs kept in the history.
pub const URL_HISTORY: usize = 10;

/// Everything a send needs, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct TestSpec {
    pub provider: String,
    pub event: String,
    /// The payload template (placeholders filled at send time).
    pub payload: serde_json::Value,
    pub url: String,
    pub signer: Option<Signer>,
    pub shape: BatchShape,
    pub opts: SimOptions,
    pub timeout_secs: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SendPanelAction {
    Send(Box<TestSpec>),
    Cancel(u64),
}

/// One delivery of the current run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    pub index: usize,
    pub delivery_id: String,
    pub name: String,
    pub duplicate: bool,
    pub payload_timestamp: Option<String>,
    /// `(attempt number, result)`.
    pub attempts: Vec<(u32, String)>,
    pub next_retry_secs: Option<f64>,
    pub state: Option<DeliveryState>,
}

/// The run in progress (or the last one).
#[derive(Debug, Clone, Default)]
pub struct RunView {
    pub job: u64,
    pub running: bool,
    pub rows: Vec<RunRow>,
    pub summary: Option<RunSummary>,
    pub error: Option<String>,
    pub last_attempt: Option<Attempt>,
}

impl RunView {
    pub fn apply(&mut self, p: &Progress) {
        match p {
            Progress::Started {
                index,
                delivery_id,
                name,
                duplicate,
                payload_timestamp,
            } => self.rows.push(RunRow {
                index: *index,
                delivery_id: delivery_id.clone(),
                name: name.clone(),
                duplicate: *duplicate,
                payload_timestamp: payload_timestamp.clone(),
                attempts: Vec::new(),
                next_retry_secs: None,
                state: None,
            }),
            Progress::Attempt {
                index,
                duplicate,
                number,
                next_retry_secs,
                attempt,
                ..
            } => {
                if let Some(row) = self.row(*index, *duplicate) {
                    row.attempts.push((*number, attempt.describe()));
                    row.next_retry_secs = *next_retry_secs;
                    row.state = Some(if next_retry_secs.is_some() {
                        DeliveryState::Retrying
                    } else if attempt.succeeded() {
                        DeliveryState::Delivered
                    } else {
                        DeliveryState::Failed
                    });
                }
                self.last_attempt = Some((**attempt).clone());
            }
            Progress::Finished {
                index,
                duplicate,
                state,
                ..
            } => {
                if let Some(row) = self.row(*index, *duplicate) {
                    row.state = Some(*state);
                    row.next_retry_secs = None;
                }
            }
            Progress::Note(text) => self.error = Some(text.clone()),
        }
    }

    fn row(&mut self, index: usize, duplicate: bool) -> Option<&mut RunRow> {
        self.rows
            .iter_mut()
            .rev()
            .find(|r| r.index == index && r.duplicate == duplicate)
    }
}

/// The panel's state.
#[derive(Debug, Clone)]
pub struct SendPanel {
    pub provider: String,
    pub event: String,
    pub payload: String,
    pub url: String,
    pub sign: bool,
    /// A signing profile, or a scheme and a secret typed in.
    pub signing: SigningChoice,
    pub schedule: String,
    pub time_scale: f64,
    pub timeout_secs: u64,
    pub duplicate: bool,
    pub shuffle: bool,
    pub count: usize,
    pub concurrency: usize,
    /// Deliveries per second; 0 means as fast as the concurrency allows.
    pub rate: f64,
    pub run: Option<RunView>,
}

impl Default for SendPanel {
    fn default() -> Self {
        let mut p = SendPanel {
            provider: "smtm".into(),
            event: "task.completed".into(),
            payload: String::new(),
            url: String::new(),
            sign: true,
            signing: SigningChoice::typed("smtm"),
            schedule: "1,5,25,125,625".into(),
            time_scale: 1.0,
            timeout_secs: crate::send::DEFAULT_TIMEOUT_SECS,
            duplicate: false,
            shuffle: false,
            count: 1,
            concurrency: 1,
            rate: 0.0,
            run: None,
        };
        p.load_template();
        p
    }
}

impl SendPanel {
    /// Put the selected template's payload in the editor and its provider's scheme in the form.
    pub fn load_template(&mut self) {
        let Ok(catalog) = events::catalog() else {
            return;
        };
        if let Ok((p, t)) = catalog.find(&format!("{}:{}", self.provider, self.event)) {
            self.payload = serde_json::to_string_pretty(&t.body).unwrap_or_default();
            self.signing.scheme.clone_from(&p.scheme);
        }
    }

    /// Select `provider:event` and load its payload.
    pub fn select(&mut self, provider: &str, event: &str) {
        self.provider = provider.to_string();
        self.event = event.to_string();
        self.load_template();
    }

    /// The payload as JSON, refusing one without `"test": true`.
    pub fn payload_value(&self) -> Result<serde_json::Value, String> {
        let v: serde_json::Value =
            serde_json::from_str(&self.payload).map_err(|e| format!("the payload is not valid JSON: {e}"))?;
        events::check_test_flag(&v).map_err(|e| e.to_string())?;
        Ok(v)
    }

    /// Everything checked, ready to send.
    pub fn spec(&self, profiles: &[Profile]) -> Result<TestSpec, String> {
        let payload = self.payload_value()?;
        crate::send::parse_target(&self.url).map_err(|e| e.to_string())?;
        let signer = if self.sign {
            let (scheme, secret) = self.signing.resolve(profiles)?;
            Some(Signer { scheme, secret })
        } else {
            None
        };
        let schedule = parse_schedule(&self.schedule)?;
        Ok(TestSpec {
            provider: self.provider.clone(),
            event: self.event.clone(),
            payload,
            url: self.url.trim().to_string(),
            signer,
            shape: BatchShape {
                count: self.count.max(1),
                shuffle: self.shuffle,
            },
            opts: SimOptions {
                schedule_secs: schedule,
                time_scale: self.time_scale.max(0.0),
                duplicate: self.duplicate,
                concurrency: self.concurrency.max(1),
                rate_per_sec: (self.rate > 0.0).then_some(self.rate),
            },
            timeout_secs: self.timeout_secs.max(1),
        })
    }

    pub fn is_running(&self) -> bool {
        self.run.as_ref().is_some_and(|r| r.running)
    }
}

/// Draw the panel; `history` is the saved list of target URLs.
pub fn send_panel_ui(
    ui: &mut egui::Ui,
    p: &mut SendPanel,
    history: &[String],
    profiles: &[Profile],
) -> Option<SendPanelAction> {
    let mut action = None;
    template_picker_ui(ui, p);
    let mut payload_label = None;
    ui.horizontal(|ui| {
        payload_label = Some(ui.strong("Payload").id);
        ui.weak("{{…}} placeholders are filled at send time (timestamps, ids)");
        if ui.small_button("Pretty").clicked()
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&p.payload)
        {
            p.payload = serde_json::to_string_pretty(&v).unwrap_or_else(|_| p.payload.clone());
        }
        if ui.small_button("Reset").clicked() {
            p.load_template();
        }
    });
    match p.payload_value() {
        Ok(_) => {
            ui.colored_label(palette::status(Some(200)), "valid JSON · \"test\": true kept");
        }
        Err(e) => {
            ui.colored_label(palette::ERROR, e);
        }
    }
    egui::ScrollArea::vertical()
        .id_salt("send-payload")
        .max_height(240.0)
        .show(ui, |ui| {
            let edit = ui.add(
                egui::TextEdit::multiline(&mut p.payload)
                    .code_editor()
                    .desired_rows(10)
                    .desired_width(f32::INFINITY),
            );
            if let Some(id) = payload_label {
                edit.labelled_by(id);
            }
        });
    options_ui(ui, p, history, profiles);
    let spec = p.spec(profiles);
    ui.horizontal(|ui| {
        let running = p.is_running();
        if ui
            .add_enabled(spec.is_ok() && !running, egui::Button::new("Send"))
            .clicked()
            && let Ok(s) = &spec
        {
            action = Some(SendPanelAction::Send(Box::new(s.clone())));
        }
        if let Some(run) = p.run.as_ref().filter(|r| r.running) {
            if ui.button("Cancel").clicked() {
                action = Some(SendPanelAction::Cancel(run.job));
            }
            ui.spinner();
        }
        if let Err(why) = &spec {
            ui.colored_label(palette::WARN, why);
        }
    });
    if let Some(run) = &p.run {
        run_ui(ui, run);
    }
    action
}

fn template_picker_ui(ui: &mut egui::Ui, p: &mut SendPanel) {
    let Ok(catalog) = events::catalog() else {
        ui.colored_label(palette::ERROR, "the built-in templates could not be read");
        return;
    };
    let mut chosen: Option<(String, String)> = None;
    ui.horizontal(|ui| {
        let label = ui.label("Provider");
        egui::ComboBox::from_id_salt("send-provider")
            .selected_text(p.provider.clone())
            .show_ui(ui, |ui| {
                for prov in &catalog.providers {
                    if ui
                        .selectable_label(p.provider == prov.provider, &prov.title)
                        .clicked()
                        && let Some(first) = prov.events.first()
                    {
                        chosen = Some((prov.provider.clone(), first.event.clone()));
                    }
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label("Event");
        egui::ComboBox::from_id_salt("send-event")
            .selected_text(p.event.clone())
            .show_ui(ui, |ui| {
                if let Some(prov) = catalog.provider(&p.provider) {
                    for e in &prov.events {
                        if ui.selectable_label(p.event == e.event, &e.event).clicked() {
                            chosen = Some((prov.provider.clone(), e.event.clone()));
                        }
                    }
                }
            })
            .response
            .labelled_by(label.id);
    });
    if let Some((provider, event)) = chosen {
        p.select(&provider, &event);
    }
}

fn options_ui(ui: &mut egui::Ui, p: &mut SendPanel, history: &[String], profiles: &[Profile]) {
    egui::Grid::new("send-options")
        .num_columns(2)
        .spacing([8.0, 6.0])
        .show(ui, |ui| {
            let label = ui.label("Target URL");
            ui.horizontal(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut p.url)
                        .hint_text("http://localhost:3000/webhooks")
                        .desired_width(360.0),
                )
                .labelled_by(label.id);
                egui::ComboBox::from_id_salt("send-history")
                    .selected_text("History")
                    .show_ui(ui, |ui| {
                        if history.is_empty() {
                            ui.weak("No URLs yet");
                        }
                        for url in history {
                            if ui.selectable_label(p.url == *url, url).clicked() {
                                p.url.clone_from(url);
                            }
                        }
                    })
                    .response
                    .accessible_name("Target URL history");
            });
            ui.end_row();
            ui.label("Signing");
            ui.horizontal(|ui| {
                ui.radio_value(&mut p.sign, true, "Sign with");
                ui.add_enabled_ui(p.sign, |ui| {
                    signing_choice_ui(ui, "send", &mut p.signing, profiles);
                });
                ui.radio_value(&mut p.sign, false, "Unsigned");
            });
            ui.end_row();
            let retries_label = ui.label("Retries (s)");
            ui.horizontal(|ui| {
                ui.add(egui::TextEdit::singleline(&mut p.schedule).desired_width(140.0))
                    .labelled_by(retries_label.id)
                    .on_hover_text("Delay before each retry; then the delivery is permanently failed");
                labelled(
                    ui,
                    "time scale",
                    egui::DragValue::new(&mut p.time_scale)
                        .range(0.0..=10.0)
                        .speed(0.01),
                );
                labelled(
                    ui,
                    "timeout (s)",
                    egui::DragValue::new(&mut p.timeout_secs).range(1..=600),
                );
            });
            ui.end_row();
            ui.label("Simulate");
            ui.horizontal(|ui| {
                ui.checkbox(&mut p.duplicate, "Duplicate")
                    .on_hover_text("Deliver each event twice with the same delivery id");
                ui.checkbox(&mut p.shuffle, "Out of order")
                    .on_hover_text("Events about one resource, payload timestamps 1 s apart, sent shuffled");
                labelled(ui, "count", egui::DragValue::new(&mut p.count).range(1..=10_000));
                labelled(
                    ui,
                    "concurrency",
                    egui::DragValue::new(&mut p.concurrency).range(1..=256),
                );
                labelled(
                    ui,
                    "rate /s",
                    egui::DragValue::new(&mut p.rate).range(0.0..=10_000.0),
                )
                .on_hover_text("0: as fast as the concurrency allows");
            });
            ui.end_row();
        });
}

fn run_ui(ui: &mut egui::Ui, run: &RunView) {
    ui.separator();
    if let Some(s) = &run.summary {
        ui.strong(format!(
            "{} deliveries: {} delivered, {} permanently failed, {} cancelled ({} attempts)",
            s.deliveries, s.delivered, s.failed, s.cancelled, s.attempts
        ));
    }
    if let Some(e) = &run.error {
        ui.colored_label(palette::ERROR, e);
    }
    egui::ScrollArea::vertical()
        .id_salt("send-progress")
        .max_height(180.0)
        .show(ui, |ui| {
            egui::Grid::new("send-progress-grid")
                .num_columns(4)
                .striped(true)
                .show(ui, |ui| {
                    for row in &run.rows {
                        ui.label(format!(
                            "#{}{}",
                            row.index + 1,
                            if row.duplicate { " (dup)" } else { "" }
                        ));
                        ui.label(&row.name)
                            .on_hover_text(row.payload_timestamp.clone().unwrap_or_default());
                        ui.monospace(row.delivery_id.get(..13).unwrap_or(&row.delivery_id))
                            .on_hover_text(&row.delivery_id);
                        ui.vertical(|ui| {
                            for (n, text) in &row.attempts {
                                ui.label(format!("attempt {n}: {text}"));
                            }
                            match (row.state, row.next_retry_secs) {
                                (_, Some(s)) => {
                                    ui.weak(format!("retry in {s:.2} s"));
                                }
                                (Some(state), None) => {
                                    let color = if state == DeliveryState::Delivered {
                                        palette::status(Some(200))
                                    } else {
                                        palette::ERROR
                                    };
                                    ui.colored_label(color, state.label());
                                }
                                (None, None) => {
                                    ui.spinner();
                                }
                            }
                        });
                        ui.end_row();
                    }
                });
        });
    if let Some(a) = &run.last_attempt {
        ui.separator();
        ui.horizontal(|ui| {
            ui.strong("Last response");
            status_line_ui(ui, a);
        });
        attempt_detail_ui(ui, "send-last-attempt", a);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_panel_loads_a_template_and_refuses_dropping_the_test_flag() {
        let mut p = SendPanel::default();
        assert!(p.payload.contains("\"test\": true"));
        assert_eq!(p.signing.scheme, "smtm");
        p.select("maintainx", "workorder.status_changed");
        assert_eq!(p.signing.scheme, "maintainx");
        assert!(p.payload.contains("previousStatus"));
        p.url = "http://127.0.0.1:3000/mx".into();
        assert!(p.spec(&[]).unwrap_err().contains("secret"));
        p.signing.secret = "k".into();
        let spec = p.spec(&[]).unwrap();
        assert_eq!(spec.opts.schedule_secs, vec![1.0, 5.0, 25.0, 125.0, 625.0]);
        p.payload = p.payload.replace("\"test\": true", "\"test\": false");
        assert!(p.spec(&[]).unwrap_err().contains("\"test\": true"));
        p.payload = "{".into();
        assert!(p.spec(&[]).unwrap_err().contains("not valid JSON"));
    }
}
