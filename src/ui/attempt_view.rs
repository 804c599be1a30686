//! One outgoing attempt: status line, response headers and body, and the request as sent.

use egui_extras::{Column, TableBuilder};

use super::{palette, short_time};
use crate::capture::HeaderList;
use crate::send::{Attempt, AttemptRecord};

/// Response bodies longer than this are cut for display (the stored attempt keeps all of it).
pub const DISPLAY_BODY_BYTES: usize = 64 * 1024;

/// `200 OK · 12.3 ms`, or the error in plain words, coloured.
pub fn status_line_ui(ui: &mut egui::Ui, a: &Attempt) {
    let color = match (&a.error, a.status) {
        (Some(_), None) => palette::ERROR,
        (_, status) => palette::status(status),
    };
    ui.label(egui::RichText::new(a.describe()).color(color).strong());
}

/// Body bytes as text for display: lossy, cut at [`DISPLAY_BODY_BYTES`].
pub fn body_preview(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "(empty body)".into();
    }
    let cut = bytes.len().min(DISPLAY_BODY_BYTES);
    let mut text = String::from_utf8_lossy(&bytes[..cut]).into_owned();
    if serde_json::from_slice::<serde_json::Value>(bytes).is_ok()
        && let Ok(pretty) = crate::body::pretty_json(bytes)
        && pretty.len() <= DISPLAY_BODY_BYTES * 2
    {
        text = pretty;
    }
    if bytes.len() > cut {
        text.push_str(&format!(
            "\n… {} more bytes not shown (kept in full with the attempt)",
            bytes.len() - cut
        ));
    }
    text
}

/// A small two-column header table (name, value).
pub fn header_table_ui(ui: &mut egui::Ui, id: &str, headers: &HeaderList) {
    if headers.is_empty() {
        ui.weak("No headers.");
        return;
    }
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    ui.push_id(id, |ui| {
        TableBuilder::new(ui)
            .striped(true)
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::initial(200.0).at_least(80.0).clip(true))
            .column(Column::remainder().clip(true))
            .max_scroll_height(160.0)
            .body(|body| {
                body.rows(row_height, headers.len(), |mut row| {
                    let Some(h) = headers.0.get(row.index()) else {
                        return;
                    };
                    row.col(|ui| {
                        ui.label(egui::RichText::new(&h.name).monospace());
                    });
                    row.col(|ui| {
                        ui.label(egui::RichText::new(h.value_lossy()).monospace());
                    });
                });
            });
    });
}

/// The full view of one attempt.
pub fn attempt_detail_ui(ui: &mut egui::Ui, id: &str, a: &Attempt) {
    ui.push_id(id, |ui| {
        ui.horizontal_wrapped(|ui| {
            status_line_ui(ui, a);
            ui.weak(format!("{} {}", a.request.method, a.target));
        });
        for hop in &a.redirects {
            ui.weak(format!("followed a {} redirect from {}", hop.status, hop.url));
        }
        if a.status.is_some() {
            ui.label(egui::RichText::new("Response headers").strong());
            header_table_ui(ui, "response-headers", &a.response_headers);
            ui.label(
                egui::RichText::new(format!("Response body ({} bytes)", a.response_body.len())).strong(),
            );
            let mut text = body_preview(&a.response_body);
            egui::ScrollArea::vertical()
                .id_salt("response-body")
                .max_height(220.0)
                .show(ui, |ui| {
                    ui.add(
                        egui::TextEdit::multiline(&mut text)
                            .code_editor()
                            .interactive(false)
                            .desired_width(f32::INFINITY),
                    );
                });
        }
        egui::CollapsingHeader::new("Request as sent")
            .id_salt("request-sent")
            .show(ui, |ui| {
                header_table_ui(ui, "request-headers", &a.request.headers);
                let mut text = body_preview(&a.request.body);
                egui::ScrollArea::vertical()
                    .id_salt("request-body")
                    .max_height(160.0)
                    .show(ui, |ui| {
                        ui.add(
                            egui::TextEdit::multiline(&mut text)
                                .code_editor()
                                .interactive(false)
                                .desired_width(f32::INFINITY),
                        );
                    });
            });
    });
}

/// A selectable list of attempts; returns the row id clicked.
pub fn attempt_list_ui(
    ui: &mut egui::Ui,
    id: &str,
    attempts: &[AttemptRecord],
    selected: Option<i64>,
) -> Option<i64> {
    let mut clicked = None;
    if attempts.is_empty() {
        ui.weak("No attempts yet.");
        return None;
    }
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    ui.push_id(id, |ui| {
        TableBuilder::new(ui)
            .striped(true)
            .sense(egui::Sense::click())
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::exact(96.0))
            .column(Column::exact(70.0))
            .column(Column::exact(28.0))
            .column(Column::initial(150.0).clip(true))
            .column(Column::remainder().clip(true))
            .max_scroll_height(150.0)
            .header(row_height, |mut h| {
                for title in ["Time", "Kind", "#", "Result", "Target"] {
                    h.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, attempts.len(), |mut row| {
                    let Some(r) = attempts.get(row.index()) else {
                        return;
                    };
                    row.set_selected(selected == Some(r.id));
                    row.col(|ui| {
                        ui.label(short_time(r.attempt.started_at_us));
                    });
                    row.col(|ui| {
                        ui.label(r.kind.as_str());
                    });
                    row.col(|ui| {
                        ui.label(r.number.to_string());
                    });
                    row.col(|ui| {
                        status_line_ui(ui, &r.attempt);
                    });
                    row.col(|ui| {
                        ui.label(&r.attempt.target);
                    });
                    if row.response().clicked() {
                        clicked = Some(r.id);
                    }
                });
            });
    });
    clicked
}
