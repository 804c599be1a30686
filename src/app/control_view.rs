//! The window's side of receiver control: filter bar, Rules and Stats panels, retention.

use super::control::{ControlCommand, ControlEvent};
use super::messages::Command;
use super::{HookscopeApp, PendingScroll};
use crate::store::stats::PathStats;
use crate::ui::Intent;
use crate::ui::control::{ControlIntent, FilterBar, filter_bar_ui, retention_ui};
use crate::ui::rules::{RulesEditor, rules_ui};
use crate::ui::stats::path_stats_ui;

/// View state of the control panels.
#[derive(Debug, Default)]
pub struct ControlView {
    /// What is typed in the filter bar.
    pub filter_text: String,
    /// The filter the list shows (empty: none).
    pub filter_applied: String,
    /// A filter sent to the background, not answered yet.
    pub filter_pending: Option<String>,
    pub filter_error: Option<String>,
    pub rules: RulesEditor,
    pub show_rules: bool,
    pub stats: Option<Vec<PathStats>>,
    pub stats_loading: bool,
    pub show_stats: bool,
    /// "Delete the N matching captures?" is open.
    pub confirm_delete_matching: bool,
}

impl HookscopeApp {
    pub(super) fn apply_control(&mut self, event: ControlEvent) {
        match event {
            ControlEvent::FilterApplied { text, ids } => {
                if self.control.filter_pending.as_deref() != Some(text.as_str()) {
                    return; // an older search, overtaken by a newer one
                }
                self.control.filter_pending = None;
                self.control.filter_error = None;
                self.control.filter_applied = text;
                // In an older order, the list for the new one (filtered too) is on its way.
                if self.apply_ids(ids) {
                    self.pending_scroll = if self.list.sort().is_arrival() {
                        PendingScroll::Tail
                    } else {
                        self.selected.map_or(PendingScroll::Top, PendingScroll::Row)
                    };
                }
            }
            ControlEvent::FilterFailed { text, message } => {
                if self.control.filter_pending.as_deref() == Some(text.as_str()) {
                    self.control.filter_pending = None;
                    self.control.filter_error = Some(message);
                }
            }
            ControlEvent::Rules(set) => {
                let n = set.rule.len();
                self.control.rules.set_applied(set);
                self.message = Some((format!("{n} response rules in force"), false));
            }
            ControlEvent::PathStats(stats) => {
                self.control.stats = Some(stats);
                self.control.stats_loading = false;
            }
        }
    }

    pub(super) fn handle_control(&mut self, intent: ControlIntent) {
        match intent {
            ControlIntent::ApplyFilter(text) => {
                self.control.filter_pending = Some(text.clone());
                self.control.filter_error = None;
                self.send(Command::Control(ControlCommand::SetFilter(text)));
            }
            ControlIntent::SaveRules(set) => self.send(Command::Control(ControlCommand::SetRules(set))),
            ControlIntent::LoadStats => {
                self.control.stats_loading = true;
                self.send(Command::Control(ControlCommand::LoadPathStats));
            }
            ControlIntent::SetRetention(policy) => {
                self.send(Command::Control(ControlCommand::SetRetention(policy)));
            }
        }
    }

    pub(super) fn filter_bar_ui(&mut self, ui: &mut egui::Ui, intents: &mut Vec<Intent>) {
        filter_bar_ui(
            ui,
            &mut FilterBar {
                text: &mut self.control.filter_text,
                applied: &self.control.filter_applied,
                error: self.control.filter_error.as_deref(),
                busy: self.control.filter_pending.is_some(),
                shown: self.list.len(),
            },
            intents,
        );
    }

    pub(super) fn control_windows_ui(&mut self, ctx: &egui::Context, intents: &mut Vec<Intent>) {
        if self.control.confirm_delete_matching {
            let mut open = true;
            let n = self.list.len();
            egui::Window::new("Delete matching captures?")
                .collapsible(false)
                .resizable(false)
                .open(&mut open)
                .show(ctx, |ui| {
                    ui.label(format!(
                        "This deletes the {n} captures matching `{}`. It cannot be undone.",
                        self.control.filter_applied
                    ));
                    ui.horizontal(|ui| {
                        if ui.button(format!("Delete {n} captures")).clicked() {
                            intents.push(Intent::Delete(self.list.ids().to_vec()));
                            self.control.confirm_delete_matching = false;
                        }
                        if ui.button("Cancel").clicked() {
                            self.control.confirm_delete_matching = false;
                        }
                    });
                });
            self.control.confirm_delete_matching &= open;
        }
        if self.control.show_rules {
            let mut open = true;
            egui::Window::new("Response rules")
                .open(&mut open)
                .default_width(560.0)
                .show(ctx, |ui| rules_ui(ui, &mut self.control.rules, intents));
            self.control.show_rules = open;
        }
        if self.control.show_stats {
            let mut open = true;
            let stats = self.control.stats.as_deref();
            let loading = self.control.stats_loading;
            egui::Window::new("Per-path stats")
                .open(&mut open)
                .default_width(720.0)
                .show(ctx, |ui| path_stats_ui(ui, stats, loading, intents));
            self.control.show_stats = open;
        }
    }

    /// Status-row buttons: deleting what the filter shows, response rules, per-path stats.
    pub(super) fn control_buttons_ui(&mut self, ui: &mut egui::Ui, intents: &mut Vec<Intent>) {
        if !self.control.filter_applied.is_empty()
            && !self.list.is_empty()
            && ui
                .button(format!("Delete {} matching…", self.list.len()))
                .on_hover_text("Delete every capture the filter shows")
                .clicked()
        {
            self.control.confirm_delete_matching = true;
        }
        if ui
            .button("Rules")
            .on_hover_text("Response rules: status, delay, failures")
            .clicked()
        {
            self.control.show_rules = !self.control.show_rules;
        }
        if ui
            .button("Stats")
            .on_hover_text("Per-path counts, verdicts, answers")
            .clicked()
        {
            self.control.show_stats = !self.control.show_stats;
            if self.control.show_stats {
                intents.push(Intent::Control(ControlIntent::LoadStats));
            }
        }
    }

    pub(super) fn retention_settings_ui(&mut self, ui: &mut egui::Ui, intents: &mut Vec<Intent>) {
        ui.separator();
        let s = &mut self.settings;
        if retention_ui(ui, &mut s.keep_count, &mut s.keep_days, &mut s.keep_bytes) {
            intents.push(Intent::Control(ControlIntent::SetRetention(s.retention_policy())));
        }
    }
}
