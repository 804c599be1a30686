//! The Rules panel: response rules edited as text fields, checked as you type, applied live.

use super::control::ControlIntent;
use super::{Intent, palette};
use crate::server::rules::{DelayMs, MethodName, PathPattern, ResponseHeaders, StatusCode};
use crate::server::{RuleConfig, RuleSet};

/// One rule as the user is typing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDraft {
    pub enabled: bool,
    pub name: String,
    pub path: String,
    /// Empty: any method.
    pub method: String,
    pub status: String,
    /// `Name: value` per line.
    pub headers: String,
    /// Send `{"ok":true}` instead of `body`.
    pub default_body: bool,
    pub body: String,
    pub delay_ms: String,
    pub fail_next: String,
    pub fail_status: String,
    pub fail_body: String,
}

impl Default for RuleDraft {
    fn default() -> Self {
        RuleDraft {
            enabled: true,
            name: String::new(),
            path: "/*".into(),
            method: String::new(),
            status: "200".into(),
            headers: String::new(),
            default_body: true,
            body: String::new(),
            delay_ms: "0".into(),
            fail_next: "0".into(),
            fail_status: "503".into(),
            fail_body: String::new(),
        }
    }
}

impl RuleDraft {
    pub fn from_config(c: &RuleConfig) -> Self {
        RuleDraft {
            enabled: c.enabled,
            name: c.name.clone(),
            path: c.path.as_str().to_string(),
            method: c.method.as_ref().map(|m| m.0.clone()).unwrap_or_default(),
            status: c.status.0.to_string(),
            headers: c
                .headers
                .0
                .iter()
                .map(|(n, v)| format!("{n}: {v}"))
                .collect::<Vec<_>>()
                .join("\n"),
            default_body: c.body.is_none(),
            body: c.body.clone().unwrap_or_default(),
            delay_ms: c.delay_ms.0.to_string(),
            fail_next: c.fail_next.to_string(),
            fail_status: c.fail_status.0.to_string(),
            fail_body: c.fail_body.clone().unwrap_or_default(),
        }
    }

    /// The rule, or what is wrong with it.
    pub fn to_config(&self) -> Result<RuleConfig, String> {
        let number = |field: &str, text: &str| -> Result<i64, String> {
            text.trim()
                .parse::<i64>()
                .map_err(|_| format!("{field}: `{}` is not a number", text.trim()))
        };
        let mut headers = Vec::new();
        for line in self.headers.lines().filter(|l| !l.trim().is_empty()) {
            let (n, v) = line
                .split_once(':')
                .ok_or_else(|| format!("header line `{line}` needs `Name: value`"))?;
            let (n, v) = (n.trim(), v.trim());
            ResponseHeaders::check(n, v)?;
            headers.push((n.to_string(), v.to_string()));
        }
        Ok(RuleConfig {
            name: self.name.trim().to_string(),
            path: PathPattern::new(&self.path)?,
            method: if self.method.trim().is_empty() {
                None
            } else {
                Some(MethodName::new(&self.method)?)
            },
            status: StatusCode::new(number("status", &self.status)?)?,
            headers: ResponseHeaders(headers),
            body: (!self.default_body).then(|| self.body.clone()),
            delay_ms: DelayMs::new(number("delay", &self.delay_ms)?)?,
            fail_next: u32::try_from(number("fail next", &self.fail_next)?)
                .map_err(|_| "fail next: must be 0 or more".to_string())?,
            fail_status: StatusCode::new(number("fail status", &self.fail_status)?)?,
            fail_body: (!self.fail_body.is_empty()).then(|| self.fail_body.clone()),
            enabled: self.enabled,
        })
    }
}

/// The panel's state.
#[derive(Debug, Clone, Default)]
pub struct RulesEditor {
    pub drafts: Vec<RuleDraft>,
    /// The rules in force, as last confirmed by the background.
    pub applied: RuleSet,
}

impl RulesEditor {
    /// New rules in force (start-up or after Apply): the drafts follow.
    pub fn set_applied(&mut self, set: RuleSet) {
        self.drafts = set.rule.iter().map(RuleDraft::from_config).collect();
        self.applied = set;
    }

    /// Every draft as a rule set, or the first problem (with the rule's number).
    pub fn to_rule_set(&self) -> Result<RuleSet, String> {
        let mut rule = Vec::new();
        for (i, d) in self.drafts.iter().enumerate() {
            rule.push(d.to_config().map_err(|e| format!("rule {}: {e}", i + 1))?);
        }
        Ok(RuleSet { rule })
    }
}

pub fn rules_ui(ui: &mut egui::Ui, editor: &mut RulesEditor, intents: &mut Vec<Intent>) {
    ui.weak(
        "The first enabled rule whose path glob (and method) matches answers; otherwise 200 {\"ok\":true}. \
         Requests are stored before the delay. Apply re-arms the \"fail next\" counters.",
    );
    ui.add_space(4.0);
    let mut remove = None;
    let mut swap = None;
    let count = editor.drafts.len();
    egui::ScrollArea::vertical().max_height(460.0).show(ui, |ui| {
        for (i, d) in editor.drafts.iter_mut().enumerate() {
            ui.push_id(i, |ui| {
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    ui.horizontal(|ui| {
                        ui.checkbox(&mut d.enabled, format!("Rule {}", i + 1));
                        field(ui, "Name", &mut d.name, 140.0, "optional");
                        if ui.add_enabled(i > 0, egui::Button::new("Up")).clicked() {
                            swap = Some((i, i - 1));
                        }
                        if ui.add_enabled(i + 1 < count, egui::Button::new("Down")).clicked() {
                            swap = Some((i, i + 1));
                        }
                        if ui.button("Remove").clicked() {
                            remove = Some(i);
                        }
                    });
                    draft_ui(ui, d);
                    if let Err(e) = d.to_config() {
                        ui.colored_label(palette::ERROR, e);
                    }
                });
            });
        }
    });
    if let Some(i) = remove {
        editor.drafts.remove(i);
    }
    if let Some((a, b)) = swap {
        editor.drafts.swap(a, b);
    }
    ui.separator();
    let result = editor.to_rule_set();
    ui.horizontal(|ui| {
        if ui.button("Add rule").clicked() {
            editor.drafts.push(RuleDraft::default());
        }
        let dirty = result.as_ref().map_or(true, |set| *set != editor.applied);
        if ui
            .add_enabled(result.is_ok(), egui::Button::new("Apply rules"))
            .on_hover_text("Answer with these rules from the next request on, and save them")
            .clicked()
            && let Ok(set) = &result
        {
            intents.push(Intent::Control(ControlIntent::SaveRules(set.clone())));
        }
        if dirty && ui.button("Revert").clicked() {
            let applied = editor.applied.clone();
            editor.set_applied(applied);
        }
        if dirty {
            ui.weak("unapplied changes");
        } else {
            ui.weak(format!("{} rules in force", editor.applied.rule.len()));
        }
    });
}

/// A labelled one-line field (the label names it for screen readers too).
fn field(ui: &mut egui::Ui, label: &str, text: &mut String, width: f32, hint: &str) -> egui::Response {
    let l = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .hint_text(hint)
            .desired_width(width),
    )
    .labelled_by(l.id)
}

fn multiline(ui: &mut egui::Ui, label: &str, text: &mut String, rows: usize) {
    let l = ui.label(label);
    ui.add(
        egui::TextEdit::multiline(text)
            .desired_rows(rows)
            .desired_width(f32::INFINITY)
            .code_editor(),
    )
    .labelled_by(l.id);
}

fn draft_ui(ui: &mut egui::Ui, d: &mut RuleDraft) {
    egui::Grid::new("rule-grid")
        .num_columns(4)
        .spacing([8.0, 4.0])
        .show(ui, |ui| {
            field(ui, "Path", &mut d.path, 180.0, "/hooks/*");
            field(ui, "Method", &mut d.method, 70.0, "any");
            ui.end_row();
            field(ui, "Status", &mut d.status, 50.0, "200");
            field(ui, "Delay ms", &mut d.delay_ms, 70.0, "0");
            ui.end_row();
            field(ui, "Fail next", &mut d.fail_next, 50.0, "0")
                .on_hover_text("Answer the failure status to this many requests, then the normal answer");
            field(ui, "with status", &mut d.fail_status, 50.0, "503");
            ui.end_row();
        });
    multiline(ui, "Headers (Name: value per line)", &mut d.headers, 2);
    ui.checkbox(&mut d.default_body, "Default body {\"ok\":true}");
    if !d.default_body {
        multiline(ui, "Body", &mut d.body, 2);
    }
    if d.fail_next.trim() != "0" {
        multiline(ui, "Failure body (empty: a JSON error)", &mut d.fail_body, 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_round_trip_and_report_problems() {
        let set = RuleSet::from_toml(
            "[[rule]]\npath = \"/slow\"\nmethod = \"POST\"\ndelay_ms = 5\nheaders = { \"X-A\" = \"1\" }\nbody = \"hi\"\nfail_next = 2\n",
        )
        .unwrap();
        let mut editor = RulesEditor::default();
        editor.set_applied(set.clone());
        assert_eq!(editor.to_rule_set().unwrap(), set);
        editor.drafts[0].status = "abc".into();
        assert!(editor.to_rule_set().unwrap_err().contains("rule 1: status"));
        editor.drafts[0].status = "200".into();
        editor.drafts[0].headers = "no colon".into();
        assert!(editor.to_rule_set().unwrap_err().contains("Name: value"));
        editor.drafts.push(RuleDraft::default());
        editor.drafts[0].headers.clear();
        assert_eq!(editor.to_rule_set().unwrap().rule.len(), 2);
    }
}
