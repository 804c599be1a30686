//! The replay editor: target URL, path option, header table, body editor (JSON validation,
//! pretty/compact), re-signing, Send; and the capture's attempts with a response viewer.
//! The capture itself is never modified: edits live here until sent.

use super::attempt_view::{attempt_detail_ui, attempt_list_ui};
use super::signing_choice::{SigningChoice, signing_choice_ui};
use super::{labelled, palette};
use crate::capture::{Capture, Header, HeaderList};
use crate::send::{AttemptRecord, PathSource, ReplayPlan, Resign};
use crate::signature::{Profile, Scheme, profile_for_path};

/// One editable header row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderRow {
    pub name: String,
    pub value: String,
    /// The original bytes when they are not UTF-8, used while `value` is unchanged.
    pub raw: Option<Vec<u8>>,
}

/// What the editor asks the app for.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplayAction {
    Send(Box<ReplayPlan>),
    /// Reload the capture's attempts.
    Refresh,
}

/// The editor's state for one capture.
#[derive(Debug, Clone)]
pub struct ReplayEditor {
    pub capture: Box<Capture>,
    pub target: String,
    pub path: PathSource,
    pub headers: Vec<HeaderRow>,
    /// Body text (the capture's when it is UTF-8).
    pub body: String,
    /// The capture's body is not UTF-8: it is sent unchanged unless `replace_body` is on.
    pub binary_body: bool,
    pub replace_body: bool,
    pub resign: bool,
    /// A signing profile, or a scheme and a secret typed in.
    pub signing: SigningChoice,
    pub keep_original: bool,
    pub timeout_secs: u64,
    /// The job in flight.
    pub sending: Option<u64>,
    pub error: Option<String>,
    pub attempts: Vec<AttemptRecord>,
    pub selected_attempt: Option<i64>,
}

impl ReplayEditor {
    /// The editor for `capture`; re-signing starts with the profile that applies to its path,
    /// if any, else the scheme it was signed with.
    pub fn new(capture: &Capture, target: &str, profiles: &[Profile]) -> Self {
        let headers = capture
            .headers
            .iter()
            .map(|h| HeaderRow {
                name: h.name.clone(),
                value: h.value_lossy().into_owned(),
                raw: h.value_str().is_none().then(|| h.value.clone()),
            })
            .collect();
        let text = std::str::from_utf8(&capture.body).ok();
        let scheme = capture
            .analysis
            .scheme
            .clone()
            .filter(|s| Scheme::parse(s).is_some())
            .unwrap_or_else(|| "smtm".into());
        ReplayEditor {
            capture: Box::new(capture.clone()),
            target: target.to_string(),
            path: PathSource::Auto,
            headers,
            body: text.unwrap_or_default().to_string(),
            binary_body: text.is_none(),
            replace_body: false,
            resign: false,
            signing: SigningChoice {
                profile: profile_for_path(profiles, &capture.path).map(|p| p.name.clone()),
                ..SigningChoice::typed(&scheme)
            },
            keep_original: false,
            timeout_secs: crate::send::DEFAULT_TIMEOUT_SECS,
            sending: None,
            error: None,
            attempts: Vec::new(),
            selected_attempt: None,
        }
    }

    /// The header list the table describes.
    pub fn header_list(&self) -> HeaderList {
        self.headers
            .iter()
            .filter(|r| !r.name.trim().is_empty())
            .map(|r| match &r.raw {
                Some(raw) if String::from_utf8_lossy(raw) == r.value => {
                    Header::new(r.name.trim(), raw.clone())
                }
                _ => Header::new(r.name.trim(), r.value.as_bytes()),
            })
            .collect()
    }

    /// The body to send instead of the capture's, when it was edited.
    fn body_override(&self) -> Option<Vec<u8>> {
        if self.binary_body && !self.replace_body {
            return None;
        }
        let edited = self.body.as_bytes();
        (edited != self.capture.body.as_slice()).then(|| edited.to_vec())
    }

    /// JSON validity of the body text: `None` when it is not meant to be JSON.
    pub fn json_status(&self) -> Option<Result<(), String>> {
        let looks_json = self
            .header_list()
            .get("content-type")
            .is_some_and(|ct| ct.to_ascii_lowercase().contains("json"))
            || self.body.trim_start().starts_with(['{', '[']);
        if !looks_json || (self.binary_body && !self.replace_body) {
            return None;
        }
        Some(
            serde_json::from_str::<serde_json::Value>(&self.body)
                .map(|_| ())
                .map_err(|e| format!("not valid JSON: {e}")),
        )
    }

    /// The plan to send, or why it cannot be sent.
    pub fn plan(&self, profiles: &[Profile]) -> Result<ReplayPlan, String> {
        crate::send::parse_target(&self.target).map_err(|e| e.to_string())?;
        let resign = if self.resign {
            let (scheme, secret) = self.signing.resolve(profiles)?;
            Some(Resign {
                scheme,
                secret,
                keep_original: self.keep_original,
            })
        } else {
            None
        };
        Ok(ReplayPlan {
            target: self.target.trim().to_string(),
            path: self.path,
            headers: Some(self.header_list()),
            edits: Vec::new(),
            body: self.body_override(),
            resign,
        })
    }

    fn reformat(&mut self, pretty: bool) {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&self.body) {
            let text = if pretty {
                serde_json::to_string_pretty(&v)
            } else {
                serde_json::to_string(&v)
            };
            if let Ok(t) = text {
                self.body = t;
            }
        }
    }
}

/// Draw the editor. Returns what the user asked for.
pub fn replay_editor_ui(
    ui: &mut egui::Ui,
    ed: &mut ReplayEditor,
    profiles: &[Profile],
) -> Option<ReplayAction> {
    let mut action = None;
    ui.horizontal(|ui| {
        ui.label(
            egui::RichText::new(&ed.capture.method)
                .color(palette::method(&ed.capture.method))
                .strong(),
        );
        ui.monospace(ed.capture.target());
        ui.weak(format!("capture #{}", ed.capture.id));
    });
    egui::Grid::new("replay-target")
        .num_columns(2)
        .spacing([8.0, 6.0])
        .show(ui, |ui| {
            labelled(
                ui,
                "Target URL",
                egui::TextEdit::singleline(&mut ed.target)
                    .hint_text("http://localhost:3000/hooks")
                    .desired_width(420.0),
            );
            ui.end_row();
            ui.label("Path");
            ui.horizontal(|ui| {
                ui.radio_value(&mut ed.path, PathSource::Auto, "Auto")
                    .on_hover_text("The target's path when it has one, else the capture's");
                ui.radio_value(&mut ed.path, PathSource::Capture, "From capture");
                ui.radio_value(&mut ed.path, PathSource::Target, "From target URL");
            });
            ui.end_row();
            labelled(
                ui,
                "Timeout (s)",
                egui::DragValue::new(&mut ed.timeout_secs).range(1..=600),
            );
            ui.end_row();
        });
    ui.separator();
    headers_editor_ui(ui, &mut ed.headers);
    ui.separator();
    body_editor_ui(ui, ed);
    ui.separator();
    ui.horizontal(|ui| {
        ui.checkbox(&mut ed.resign, "Re-sign");
        ui.add_enabled_ui(ed.resign, |ui| {
            signing_choice_ui(ui, "replay", &mut ed.signing, profiles);
            ui.checkbox(&mut ed.keep_original, "Keep original timestamp/id");
        });
    });
    let plan = ed.plan(profiles);
    ui.horizontal(|ui| {
        let ready = plan.is_ok() && ed.sending.is_none();
        if ui.add_enabled(ready, egui::Button::new("Send")).clicked()
            && let Ok(p) = &plan
        {
            action = Some(ReplayAction::Send(Box::new(p.clone())));
        }
        if ed.sending.is_some() {
            ui.spinner();
            ui.label("Sending…");
        }
        match (&plan, &ed.error) {
            (Err(why), _) => {
                ui.colored_label(palette::WARN, why);
            }
            (Ok(_), Some(e)) => {
                ui.colored_label(palette::ERROR, e);
            }
            _ => {}
        }
    });
    ui.separator();
    ui.horizontal(|ui| {
        ui.strong(format!("Attempts ({})", ed.attempts.len()));
        if ui.small_button("Refresh").clicked() {
            action = Some(ReplayAction::Refresh);
        }
    });
    if let Some(id) = attempt_list_ui(ui, "replay-attempts", &ed.attempts, ed.selected_attempt) {
        ed.selected_attempt = Some(id);
    }
    if let Some(r) = ed
        .selected_attempt
        .and_then(|id| ed.attempts.iter().find(|a| a.id == id))
    {
        ui.separator();
        attempt_detail_ui(ui, "replay-attempt", &r.attempt);
    }
    action
}

fn headers_editor_ui(ui: &mut egui::Ui, rows: &mut Vec<HeaderRow>) {
    ui.horizontal(|ui| {
        ui.strong("Headers");
        ui.weak("Host and Content-Length are recomputed; Connection and Transfer-Encoding are dropped.");
    });
    let mut remove = None;
    egui::ScrollArea::vertical()
        .id_salt("replay-headers")
        .max_height(180.0)
        .show(ui, |ui| {
            egui::Grid::new("replay-header-grid")
                .num_columns(3)
                .striped(true)
                .show(ui, |ui| {
                    for (i, row) in rows.iter_mut().enumerate() {
                        ui.add(
                            egui::TextEdit::singleline(&mut row.name)
                                .hint_text("name")
                                .desired_width(180.0),
                        );
                        let edit = ui.add(
                            egui::TextEdit::singleline(&mut row.value)
                                .hint_text("value")
                                .desired_width(320.0),
                        );
                        if row.raw.is_some() {
                            edit.on_hover_text(
                                "not UTF-8: the original bytes are sent unless you change the value",
                            );
                        }
                        if ui
                            .small_button("Remove")
                            .on_hover_text("Remove this header")
                            .clicked()
                        {
                            remove = Some(i);
                        }
                        ui.end_row();
                    }
                });
        });
    if let Some(i) = remove {
        rows.remove(i);
    }
    if ui.small_button("Add header").clicked() {
        rows.push(HeaderRow {
            name: String::new(),
            value: String::new(),
            raw: None,
        });
    }
}

fn body_editor_ui(ui: &mut egui::Ui, ed: &mut ReplayEditor) {
    let mut body_label = None;
    ui.horizontal(|ui| {
        body_label = Some(ui.strong("Body").id);
        if ed.binary_body {
            ui.label(format!("binary, {} bytes", ed.capture.body.len()));
            ui.checkbox(&mut ed.replace_body, "Replace with text");
        }
        let editable = !ed.binary_body || ed.replace_body;
        if editable {
            if ui.small_button("Pretty").clicked() {
                ed.reformat(true);
            }
            if ui.small_button("Compact").clicked() {
                ed.reformat(false);
            }
            if ui.small_button("Revert").clicked() {
                ed.body = String::from_utf8_lossy(&ed.capture.body).into_owned();
            }
        }
        match ed.json_status() {
            Some(Ok(())) => {
                ui.colored_label(palette::status(Some(200)), "valid JSON");
            }
            Some(Err(e)) => {
                ui.colored_label(palette::ERROR, e);
            }
            None => {}
        }
    });
    if ed.binary_body && !ed.replace_body {
        ui.weak("The captured bytes are sent unchanged.");
        return;
    }
    egui::ScrollArea::vertical()
        .id_salt("replay-body")
        .max_height(220.0)
        .show(ui, |ui| {
            let edit = ui.add(
                egui::TextEdit::multiline(&mut ed.body)
                    .code_editor()
                    .desired_rows(8)
                    .desired_width(f32::INFINITY),
            );
            if let Some(id) = body_label {
                edit.labelled_by(id);
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capture() -> Capture {
        Capture {
            method: "POST".into(),
            path: "/in".into(),
            headers: HeaderList::from_pairs([
                ("Content-Type", b"application/json".to_vec()),
                ("X-Bin", vec![0xff]),
            ]),
            body: br#"{"a":1}"#.to_vec(),
            ..Capture::default()
        }
    }

    #[test]
    fn unchanged_editor_replays_the_capture_bytes() {
        let ed = ReplayEditor::new(&capture(), "http://localhost:3000", &[]);
        let plan = ed.plan(&[]).unwrap();
        assert_eq!(plan.body, None);
        assert_eq!(
            plan.headers.unwrap(),
            capture().headers,
            "non-UTF-8 values are kept"
        );
        assert_eq!(ed.json_status(), Some(Ok(())));
    }

    #[test]
    fn edits_become_the_plan() {
        let mut ed = ReplayEditor::new(&capture(), "http://localhost:3000", &[]);
        ed.body = "{\"a\": 2".into();
        assert!(ed.json_status().unwrap().is_err());
        ed.body = "{\"a\": 2}".into();
        ed.reformat(false);
        assert_eq!(ed.body, "{\"a\":2}");
        ed.headers[1].value = "text".into();
        ed.headers.push(HeaderRow {
            name: "X-New".into(),
            value: "1".into(),
            raw: None,
        });
        ed.resign = true;
        assert!(ed.plan(&[]).unwrap_err().contains("secret"));
        ed.signing.secret = "k".into();
        ed.signing.scheme = "github".into();
        let plan = ed.plan(&[]).unwrap();
        assert_eq!(plan.body.as_deref(), Some(&b"{\"a\":2}"[..]));
        let h = plan.headers.unwrap();
        assert_eq!(h.get("x-bin"), Some("text"));
        assert_eq!(h.get("x-new"), Some("1"));
        assert_eq!(plan.resign.unwrap().scheme, Scheme::Github);
        ed.target = "nope".into();
        assert!(ed.plan(&[]).is_err());
    }

    #[test]
    fn re_signing_starts_with_the_profile_for_the_captures_path() {
        let profile = Profile {
            name: "hooks".into(),
            path_pattern: "/in".into(),
            scheme: Scheme::Github,
            secret: "profile-secret".into(),
            tolerance_secs: None,
        };
        let mut ed = ReplayEditor::new(
            &capture(),
            "http://localhost:3000",
            std::slice::from_ref(&profile),
        );
        assert_eq!(ed.signing.profile.as_deref(), Some("hooks"));
        ed.resign = true;
        let resign = ed.plan(std::slice::from_ref(&profile)).unwrap().resign.unwrap();
        assert_eq!(resign.scheme, Scheme::Github);
        assert_eq!(resign.secret, "profile-secret");
    }
}
