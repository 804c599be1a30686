//! The diff window: two captures side by side (or unified): request line, headers added /
//! removed / changed, and the body line by line (pretty JSON when both are JSON).

use egui_extras::{Column, TableBuilder};

use super::palette;
use crate::capture::{CaptureDiff, CaptureId, HeaderChange, LineChange};

/// One row of the side-by-side table: left text, right text and their colours.
type SideRow = (String, String, Option<egui::Color32>, Option<egui::Color32>);

/// The diff window's state.
#[derive(Debug, Clone, Default)]
pub struct DiffView {
    pub open: bool,
    /// The capture marked as the left side.
    pub marked: Option<CaptureId>,
    /// The computed diff and its sides.
    pub result: Option<(CaptureId, CaptureId, CaptureDiff)>,
    pub unified: bool,
    /// Rows prepared once per result (bodies can have many lines; frames only lay out the visible ones).
    side_rows: Vec<SideRow>,
    unified_rows: Vec<(String, Option<egui::Color32>)>,
}

impl DiffView {
    /// Show a new result.
    pub fn set_result(&mut self, left: CaptureId, right: CaptureId, d: CaptureDiff) {
        self.side_rows = side_rows(&d);
        self.unified_rows = d
            .unified()
            .lines()
            .map(|line| {
                let color = match line.chars().next() {
                    Some('+') => Some(ADDED),
                    Some('-') => Some(palette::ERROR),
                    _ => None,
                };
                (line.to_string(), color)
            })
            .collect();
        self.result = Some((left, right, d));
    }
}

const ADDED: egui::Color32 = egui::Color32::from_rgb(0x3f, 0xb9, 0x50);

pub fn diff_window(ctx: &egui::Context, view: &mut DiffView) {
    let mut open = view.open;
    let title = match &view.result {
        Some((l, r, _)) => format!("Diff #{l} ↔ #{r}"),
        None => "Diff".to_string(),
    };
    egui::Window::new(title)
        .id(egui::Id::unique("hookscope-diff-window"))
        .open(&mut open)
        .default_size([900.0, 600.0])
        .show(ctx, |ui| {
            let Some((left, right, d)) = &view.result else {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.weak("Comparing…");
                });
                return;
            };
            let (left, right) = (*left, *right);
            let summary = format!(
                "{} header changes · {} body lines changed{}",
                d.header_changes(),
                d.body_changes(),
                if d.body_as_json {
                    " · bodies compared as pretty JSON"
                } else {
                    ""
                }
            );
            let note = d.note.clone();
            ui.horizontal(|ui| {
                ui.selectable_value(&mut view.unified, false, "Side by side");
                ui.selectable_value(&mut view.unified, true, "Unified");
                ui.separator();
                ui.label(summary);
            });
            if let Some(note) = note {
                ui.colored_label(palette::WARN, note);
            }
            ui.separator();
            if view.unified {
                let row_height = ui.text_style_height(&egui::TextStyle::Monospace) + 2.0;
                egui::ScrollArea::both().id_salt("diff-unified").show_rows(
                    ui,
                    row_height,
                    view.unified_rows.len(),
                    |ui, range| {
                        for (text, color) in &view.unified_rows[range] {
                            ui.label(mono(text, *color));
                        }
                    },
                );
            } else {
                side_by_side_ui(ui, left, right, &view.side_rows);
            }
        });
    view.open = open;
}

fn mono(text: &str, color: Option<egui::Color32>) -> egui::RichText {
    let t = egui::RichText::new(text).monospace();
    match color {
        Some(c) => t.color(c),
        None => t,
    }
}

fn side_rows(d: &CaptureDiff) -> Vec<SideRow> {
    let mut rows: Vec<SideRow> = Vec::new();
    for (what, l, r) in &d.request_line {
        rows.push((
            format!("{what}: {l}"),
            format!("{what}: {r}"),
            Some(palette::ERROR),
            Some(ADDED),
        ));
    }
    for h in &d.headers {
        rows.push(match h {
            HeaderChange::Same { name, value } => {
                (format!("{name}: {value}"), format!("{name}: {value}"), None, None)
            }
            HeaderChange::Changed { name, left, right } => (
                format!("{name}: {left}"),
                format!("{name}: {right}"),
                Some(palette::WARN),
                Some(palette::WARN),
            ),
            HeaderChange::Removed { name, value } => (
                format!("{name}: {value}"),
                String::new(),
                Some(palette::ERROR),
                None,
            ),
            HeaderChange::Added { name, value } => {
                (String::new(), format!("{name}: {value}"), None, Some(ADDED))
            }
        });
    }
    rows.push((String::new(), String::new(), None, None));
    for l in &d.body {
        rows.push(match l {
            LineChange::Same(t) => (t.clone(), t.clone(), None, None),
            LineChange::Removed(t) => (t.clone(), String::new(), Some(palette::ERROR), None),
            LineChange::Added(t) => (String::new(), t.clone(), None, Some(ADDED)),
        });
    }
    rows
}

fn side_by_side_ui(ui: &mut egui::Ui, left: CaptureId, right: CaptureId, rows: &[SideRow]) {
    let row_height = ui.text_style_height(&egui::TextStyle::Monospace) + 4.0;
    TableBuilder::new(ui)
        .id_salt("diff-table")
        .striped(false)
        .column(Column::remainder().clip(true))
        .column(Column::remainder().clip(true))
        .header(row_height + 4.0, |mut h| {
            h.col(|ui| {
                ui.strong(format!("#{left}"));
            });
            h.col(|ui| {
                ui.strong(format!("#{right}"));
            });
        })
        .body(|body| {
            body.rows(row_height, rows.len(), |mut row| {
                let Some((l, r, lc, rc)) = rows.get(row.index()) else {
                    return;
                };
                row.col(|ui| {
                    ui.label(mono(l, *lc));
                });
                row.col(|ui| {
                    ui.label(mono(r, *rc));
                });
            });
        });
}
