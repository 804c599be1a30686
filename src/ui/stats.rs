//! The per-path stats panel: count, verdicts, response codes, last received.

use egui_extras::{Column, TableBuilder};

use super::control::ControlIntent;
use super::{Intent, short_time};
use crate::store::stats::PathStats;

pub fn path_stats_ui(
    ui: &mut egui::Ui,
    stats: Option<&[PathStats]>,
    loading: bool,
    intents: &mut Vec<Intent>,
) {
    ui.horizontal(|ui| {
        if ui.button("Refresh").clicked() {
            intents.push(Intent::Control(ControlIntent::LoadStats));
        }
        if loading {
            ui.spinner();
        }
        if let Some(s) = stats {
            ui.weak(format!("{} paths", s.len()));
        }
    });
    let Some(stats) = stats else {
        return;
    };
    if stats.is_empty() {
        ui.weak("No captures yet.");
        return;
    }
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    ui.push_id("path-stats", |ui| {
        TableBuilder::new(ui)
            .striped(true)
            .resizable(true)
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::initial(220.0).at_least(80.0).clip(true))
            .column(Column::initial(60.0))
            .column(Column::initial(180.0).clip(true))
            .column(Column::initial(140.0).clip(true))
            .column(Column::remainder())
            .max_scroll_height(420.0)
            .header(row_height, |mut h| {
                for title in ["Path", "Count", "Verdicts", "Answered", "Last received"] {
                    h.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, stats.len(), |mut row| {
                    let Some(p) = stats.get(row.index()) else {
                        return;
                    };
                    row.col(|ui| {
                        ui.label(egui::RichText::new(&p.path).monospace());
                    });
                    row.col(|ui| {
                        ui.label(p.count.to_string());
                    });
                    row.col(|ui| {
                        ui.label(counts(&p.verdicts));
                    });
                    row.col(|ui| {
                        ui.label(counts(&p.statuses));
                    });
                    row.col(|ui| {
                        ui.label(short_time(p.last_received_at_us))
                            .on_hover_text(&p.last_received_at);
                    });
                });
            });
    });
}

fn counts(map: &std::collections::BTreeMap<String, u64>) -> String {
    map.iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(" · ")
}
