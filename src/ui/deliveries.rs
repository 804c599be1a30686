//! Deliveries: per-target summary (Name/URL, events, last fired, 24 h success rate, as provider
//! dashboards show it), each delivery, and its attempts with the responses.

use egui_extras::{Column, TableBuilder};

use super::attempt_view::{attempt_detail_ui, attempt_list_ui};
use super::{palette, short_time};
use crate::send::{AttemptRecord, DeliveryRecord, DeliveryState, TargetSummary};

#[derive(Debug, Clone, PartialEq)]
pub enum DeliveriesAction {
    Refresh,
    /// Load this delivery's attempts.
    Select(Box<DeliveryRecord>),
}

/// The view's state (filled by the background).
#[derive(Debug, Clone, Default)]
pub struct DeliveriesView {
    pub deliveries: Vec<DeliveryRecord>,
    pub targets: Vec<TargetSummary>,
    pub selected: Option<i64>,
    pub attempts: Vec<AttemptRecord>,
    pub selected_attempt: Option<i64>,
    pub loading: bool,
}

fn state_color(s: DeliveryState) -> egui::Color32 {
    match s {
        DeliveryState::Delivered => palette::status(Some(200)),
        DeliveryState::Failed => palette::ERROR,
        DeliveryState::Retrying | DeliveryState::Pending => palette::WARN,
        DeliveryState::Cancelled => egui::Color32::GRAY,
    }
}

pub fn deliveries_ui(ui: &mut egui::Ui, view: &mut DeliveriesView) -> Option<DeliveriesAction> {
    let mut action = None;
    ui.horizontal(|ui| {
        ui.strong("Targets");
        if ui.small_button("Refresh").clicked() {
            action = Some(DeliveriesAction::Refresh);
        }
        if view.loading {
            ui.spinner();
        }
    });
    targets_ui(ui, &view.targets);
    ui.separator();
    ui.strong(format!("Deliveries ({})", view.deliveries.len()));
    if let Some(d) = delivery_list_ui(ui, &view.deliveries, view.selected) {
        view.selected = Some(d.id);
        view.attempts.clear();
        view.selected_attempt = None;
        action = Some(DeliveriesAction::Select(Box::new(d)));
    }
    if view.selected.is_some() {
        ui.separator();
        ui.strong("Attempts");
        if let Some(id) = attempt_list_ui(ui, "delivery-attempts", &view.attempts, view.selected_attempt) {
            view.selected_attempt = Some(id);
        }
        if let Some(r) = view
            .selected_attempt
            .and_then(|id| view.attempts.iter().find(|a| a.id == id))
        {
            attempt_detail_ui(ui, "delivery-attempt", &r.attempt);
        }
    }
    action
}

fn targets_ui(ui: &mut egui::Ui, targets: &[TargetSummary]) {
    if targets.is_empty() {
        ui.weak("Nothing sent yet: use 'Send test event'.");
        return;
    }
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    ui.push_id("targets", |ui| {
        TableBuilder::new(ui)
            .striped(true)
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::initial(260.0).clip(true))
            .column(Column::initial(220.0).clip(true))
            .column(Column::exact(80.0))
            .column(Column::exact(100.0))
            .column(Column::remainder())
            .max_scroll_height(140.0)
            .header(row_height, |mut h| {
                for title in ["Name / URL", "Events", "Deliveries", "Last fired", "24 h success"] {
                    h.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, targets.len(), |mut row| {
                    let Some(t) = targets.get(row.index()) else {
                        return;
                    };
                    row.col(|ui| {
                        ui.label(&t.target);
                    });
                    row.col(|ui| {
                        ui.label(t.events.join(", "));
                    });
                    row.col(|ui| {
                        ui.label(t.deliveries.to_string());
                    });
                    row.col(|ui| {
                        ui.label(t.last_fired_us.map_or_else(|| "—".into(), short_time));
                    });
                    row.col(|ui| match t.success_rate_24h {
                        Some(rate) => {
                            let color = if rate >= 99.0 {
                                palette::status(Some(200))
                            } else if rate >= 80.0 {
                                palette::WARN
                            } else {
                                palette::ERROR
                            };
                            ui.colored_label(color, format!("{rate:.0} %"));
                        }
                        None => {
                            ui.weak("—");
                        }
                    });
                });
            });
    });
}

fn delivery_list_ui(
    ui: &mut egui::Ui,
    list: &[DeliveryRecord],
    selected: Option<i64>,
) -> Option<DeliveryRecord> {
    if list.is_empty() {
        ui.weak("No deliveries yet.");
        return None;
    }
    let mut clicked = None;
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    ui.push_id("deliveries", |ui| {
        TableBuilder::new(ui)
            .striped(true)
            .sense(egui::Sense::click())
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::exact(96.0))
            .column(Column::initial(200.0).clip(true))
            .column(Column::initial(110.0).clip(true))
            .column(Column::exact(130.0))
            .column(Column::exact(64.0))
            .column(Column::remainder().clip(true))
            .max_scroll_height(200.0)
            .header(row_height, |mut h| {
                for title in ["Time", "Event", "Delivery", "State", "Attempts", "Target"] {
                    h.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, list.len(), |mut row| {
                    let Some(d) = list.get(row.index()) else {
                        return;
                    };
                    row.set_selected(selected == Some(d.id));
                    row.col(|ui| {
                        ui.label(short_time(d.created_at_us));
                    });
                    row.col(|ui| {
                        let name = match (&d.provider, &d.event) {
                            (Some(p), Some(e)) => format!("{p}:{e}"),
                            (p, e) => e.clone().or_else(|| p.clone()).unwrap_or_else(|| "—".into()),
                        };
                        ui.label(name);
                    });
                    row.col(|ui| {
                        ui.monospace(d.delivery_id.get(..8).unwrap_or(&d.delivery_id))
                            .on_hover_text(&d.delivery_id);
                    });
                    row.col(|ui| {
                        let text = match d.last_status {
                            Some(s) => format!("{} ({s})", d.state.label()),
                            None => d.state.label().to_string(),
                        };
                        ui.colored_label(state_color(d.state), text);
                    });
                    row.col(|ui| {
                        ui.label(d.attempts.to_string());
                    });
                    row.col(|ui| {
                        ui.label(&d.target);
                    });
                    if row.response().clicked() {
                        clicked = Some(d.clone());
                    }
                });
            });
    });
    clicked
}
