//! The request list: a virtualised table (only visible rows are built) over [`ListModel`].

use std::ops::Range;

use egui_extras::{Column, TableBuilder};

use super::list_model::ListModel;
use super::signature::verdict_badge;
use super::{Intent, palette, short_time};
use crate::body::human_size;
use crate::capture::{CaptureId, Origin, Summary};

/// Where the list should scroll this frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScrollTo {
    None,
    Row(usize),
}

/// Show the list; returns the range of row indices that were on screen.
pub fn request_list_ui(
    ui: &mut egui::Ui,
    model: &ListModel,
    selected: Option<CaptureId>,
    scroll: ScrollTo,
    intents: &mut Vec<Intent>,
) -> Range<usize> {
    if model.is_empty() {
        ui.vertical_centered(|ui| {
            ui.add_space(40.0);
            if model.loaded {
                ui.heading("No requests yet");
                ui.label("Point a webhook provider, a tunnel or curl at the receiver URL above.");
                ui.label(
                    egui::RichText::new(
                        "curl -X POST -d '{\"hello\":\"world\"}' http://127.0.0.1:8787/hooks",
                    )
                    .monospace(),
                );
            } else {
                ui.spinner();
                ui.label("Loading history…");
            }
        });
        return 0..0;
    }
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    // Selectable labels would take the click that selects the row.
    ui.style_mut().interaction.selectable_labels = false;
    let mut visible: Option<Range<usize>> = None;
    let mut table = TableBuilder::new(ui)
        .id_salt("request-list")
        .striped(true)
        .resizable(true)
        .sense(egui::Sense::click())
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::exact(56.0))
        .column(Column::initial(96.0).at_least(60.0))
        .column(Column::initial(62.0).at_least(40.0))
        .column(Column::initial(110.0).at_least(40.0).clip(true))
        .column(Column::remainder().at_least(120.0).clip(true))
        .column(Column::initial(150.0).at_least(40.0).clip(true))
        .column(Column::initial(48.0).at_least(36.0))
        .column(Column::initial(72.0).at_least(48.0))
        .min_scrolled_height(0.0);
    if let ScrollTo::Row(row) = scroll {
        table = table.scroll_to_row(row, Some(egui::Align::BOTTOM));
    }
    table
        .header(row_height, |mut header| {
            for title in [
                "#", "Time", "Method", "Verdict", "Path", "Event", "Status", "Size",
            ] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(row_height, model.len(), |mut row| {
                let index = row.index();
                visible = Some(match visible.take() {
                    Some(r) => r.start.min(index)..r.end.max(index + 1),
                    None => index..index + 1,
                });
                let Some(id) = model.id_at(index) else { return };
                row.set_selected(selected == Some(id));
                if let Some(s) = model.row(id) {
                    summary_cells(&mut row, s);
                } else {
                    row.col(|ui| {
                        ui.label(id.to_string());
                    });
                    row.col(|ui| {
                        ui.weak("…");
                    });
                }
                if row.response().clicked() {
                    intents.push(Intent::Select(id));
                }
            });
        });
    visible.unwrap_or(0..0)
}

fn summary_cells(row: &mut egui_extras::TableRow<'_, '_>, s: &Summary) {
    row.col(|ui| {
        ui.label(egui::RichText::new(s.id.to_string()).weak());
    });
    row.col(|ui| {
        ui.label(short_time(s.received_at_us));
    });
    row.col(|ui| {
        ui.label(
            egui::RichText::new(&s.method)
                .color(palette::method(&s.method))
                .strong(),
        );
    });
    row.col(|ui| {
        let (icon, label, color) = verdict_badge(s.verdict);
        let scheme = s.scheme.as_deref().unwrap_or(label);
        ui.label(egui::RichText::new(format!("{icon} {scheme}")).color(color))
            .on_hover_text(format!("signature: {label}"));
    });
    row.col(|ui| {
        ui.label(&s.target);
        let flag = |ui: &mut egui::Ui, text: &str, color: egui::Color32, hover: &str| {
            ui.label(egui::RichText::new(text).small().color(color))
                .on_hover_text(hover);
        };
        if s.test {
            flag(ui, "test", palette::TEST, "the payload carries \"test\": true");
        }
        if let Some(first) = s.duplicate_of {
            flag(
                ui,
                "duplicate",
                palette::WARN,
                &format!("same delivery id as #{first}"),
            );
        }
        if s.out_of_order {
            flag(
                ui,
                "out-of-order",
                palette::WARN,
                "an event for the same resource with a later timestamp arrived first",
            );
        }
        if s.oversized {
            flag(
                ui,
                "oversized",
                palette::WARN,
                "larger than the body cap: answered 413, first bytes kept",
            );
        }
        if s.origin == Origin::Imported {
            flag(
                ui,
                "imported",
                ui.visuals().weak_text_color(),
                "imported from a file",
            );
        }
    });
    row.col(|ui| {
        ui.label(s.event.as_deref().unwrap_or(""));
    });
    row.col(|ui| {
        let text = s.status.map_or_else(|| "—".to_string(), |c| c.to_string());
        ui.label(egui::RichText::new(text).color(palette::status(s.status)));
    });
    row.col(|ui| {
        ui.label(human_size(s.body_len));
    });
}
