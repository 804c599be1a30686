//! The filter bar above the request list, and the retention settings.

use super::{Intent, palette};
use crate::capture::filter::Filter;
use crate::server::RuleSet;
use crate::store::retention::RetentionPolicy;

/// Receiver-control requests from the UI.
#[derive(Debug, Clone, PartialEq)]
pub enum ControlIntent {
    /// Filter the list (empty: show everything).
    ApplyFilter(String),
    SaveRules(RuleSet),
    LoadStats,
    SetRetention(RetentionPolicy),
}

/// Filter bar state shown and edited this frame.
pub struct FilterBar<'a> {
    /// The text being typed.
    pub text: &'a mut String,
    /// The filter the list currently shows (empty: none).
    pub applied: &'a str,
    /// Why the last filter failed (from the background).
    pub error: Option<&'a str>,
    /// A search is running.
    pub busy: bool,
    /// Rows in the list.
    pub shown: usize,
}

pub const FILTER_HELP: &str = "Terms (all must hold, -term negates):\n\
    method:POST,PUT   path:/smtm/*   header:x-smtm-event   header:X-SMTM-Event=task.*\n\
    verdict:invalid   event:task.*   has:duplicate|out-of-order|test|oversized|imported\n\
    status:4xx,503,none   after:2026-11-01   before:2026-11-02T12:00:00Z\n\
    \"words in the body\"   word   prefix*\n\
    Press Enter to apply.";

pub fn filter_bar_ui(ui: &mut egui::Ui, bar: &mut FilterBar<'_>, intents: &mut Vec<Intent>) {
    // Checked as you type (pure and cheap); the search itself runs in the background.
    let parse_error = Filter::parse(bar.text).err().map(|e| e.to_string());
    ui.horizontal(|ui| {
        let label = ui.label("Filter").on_hover_text(FILTER_HELP);
        let edit = egui::TextEdit::singleline(bar.text)
            .hint_text("method:POST path:/hooks/* verdict:invalid \"text\"")
            .desired_width((ui.available_width() - 220.0).max(120.0))
            .id_salt("filter-bar");
        let response = ui.add(edit).labelled_by(label.id);
        let entered = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let changed = bar.text.trim() != bar.applied;
        let apply = ui
            .add_enabled(
                parse_error.is_none() && changed,
                egui::Button::new("Apply filter"),
            )
            .on_hover_text(FILTER_HELP);
        if (apply.clicked() || entered) && parse_error.is_none() && changed {
            intents.push(Intent::Control(ControlIntent::ApplyFilter(
                bar.text.trim().to_string(),
            )));
        }
        if (!bar.applied.is_empty() || !bar.text.is_empty()) && ui.button("Clear").clicked() {
            bar.text.clear();
            if !bar.applied.is_empty() {
                intents.push(Intent::Control(ControlIntent::ApplyFilter(String::new())));
            }
        }
        if bar.busy {
            ui.spinner();
            ui.weak("searching…");
        } else if !bar.applied.is_empty() {
            ui.label(egui::RichText::new(format!("{} matching", bar.shown)).strong());
        }
    });
    if let Some(e) = parse_error.as_deref().or(bar.error) {
        ui.colored_label(palette::ERROR, e);
    }
}

/// Retention fields: each limit is off unless ticked. Returns `true` when something changed.
pub fn retention_ui(
    ui: &mut egui::Ui,
    keep_count: &mut Option<u64>,
    keep_days: &mut Option<u32>,
    keep_bytes: &mut Option<u64>,
) -> bool {
    let mut changed = false;
    ui.strong("Retention");
    ui.weak("The oldest captures past a limit are deleted in the background, then the file is compacted.");
    egui::Grid::new("retention-grid")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            changed |= limit_row(
                ui,
                "Keep the newest",
                "captures",
                keep_count,
                10_000,
                1..=u64::MAX,
            );
            ui.end_row();
            changed |= limit_row(ui, "Keep the last", "days", keep_days, 30, 1..=36_500);
            ui.end_row();
            let mut mib = keep_bytes.map(|b| b.div_ceil(1024 * 1024));
            if limit_row(
                ui,
                "Keep the database under",
                "MiB",
                &mut mib,
                1024,
                1..=u64::MAX / (1024 * 1024),
            ) {
                *keep_bytes = mib.map(|m| m * 1024 * 1024);
                changed = true;
            }
            ui.end_row();
        });
    changed
}

fn limit_row<T>(
    ui: &mut egui::Ui,
    label: &str,
    unit: &str,
    value: &mut Option<T>,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> bool
where
    T: egui::emath::Numeric,
{
    let mut on = value.is_some();
    let mut changed = ui.checkbox(&mut on, label).changed();
    if changed {
        *value = on.then_some(default);
    }
    ui.horizontal(|ui| {
        if let Some(v) = value.as_mut() {
            changed |= ui.add(egui::DragValue::new(v).range(range)).changed();
        } else {
            ui.weak("no limit");
        }
        ui.label(unit);
    });
    changed
}
