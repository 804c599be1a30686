//! The request list: a virtualised table (only visible rows are built) over [`ListModel`],
//! with sortable column headers.

use std::ops::Range;

use egui_extras::{Column, TableBuilder};

use super::list_model::ListModel;
use super::signature::verdict_badge;
use super::{Intent, palette, short_time};
use crate::body::human_size;
use crate::capture::filter::Flag;
use crate::capture::sort::{ListSort, SortKey};
use crate::capture::{CaptureId, Summary};

/// Arrows after the title of the column the list is sorted by (in egui's default fonts).
pub const SORT_ASCENDING: &str = "⏶";
pub const SORT_DESCENDING: &str = "⏷";

/// Column titles, and the order a click on each asks for (`None`: not sortable).
const COLUMNS: [(&str, Option<SortKey>, &str); 8] = [
    ("#", Some(SortKey::Arrival), "Arrival order"),
    ("Time", Some(SortKey::Arrival), "Arrival order"),
    ("Method", Some(SortKey::Method), "Sort by method"),
    (
        "Verdict",
        Some(SortKey::Verdict),
        "Sort by signature verdict: invalid, no secret, unsigned, valid",
    ),
    ("Path", Some(SortKey::Path), "Sort by path (without the query)"),
    ("Event", None, ""),
    (
        "Status",
        Some(SortKey::Status),
        "Sort by the status hookscope answered",
    ),
    ("Size", None, ""),
];

/// Where the list should scroll this frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ScrollTo {
    None,
    /// Bring the row to the bottom of the view (following the newest row).
    Row(usize),
    /// Bring the row to the middle of the view.
    Reveal(usize),
    /// Scroll from `offset_y` down by `rows` rows: they were inserted above the view.
    Shift {
        offset_y: f32,
        rows: usize,
    },
}

/// How the headers show the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListHeader {
    /// The order asked for (shown at once).
    pub sort: ListSort,
    /// The list is not in that order yet.
    pub sorting: bool,
    /// Where the receiver listens, for the empty list's example (`None`: stopped).
    pub receiver: Option<std::net::SocketAddr>,
}

/// The example request an empty list suggests, sent to where the receiver listens.
pub fn example_curl(addr: std::net::SocketAddr) -> String {
    // A wildcard bind is reached through loopback from this machine.
    let host = if addr.ip().is_unspecified() {
        std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
    } else {
        addr
    };
    format!("curl -X POST -d '{{\"hello\":\"world\"}}' http://{host}/hooks")
}

/// What the list reports back.
#[derive(Debug, Clone, PartialEq)]
pub struct ListOutput {
    /// Row indices that were on screen.
    pub visible: Range<usize>,
    /// The scroll offset (points), for [`ScrollTo::Shift`] next frame.
    pub offset_y: f32,
}

/// Show the list.
pub fn request_list_ui(
    ui: &mut egui::Ui,
    model: &ListModel,
    header: ListHeader,
    selected: Option<CaptureId>,
    scroll: ScrollTo,
    intents: &mut Vec<Intent>,
) -> ListOutput {
    if model.is_empty() {
        ui.vertical_centered(|ui| {
            ui.add_space(40.0);
            if model.loaded {
                ui.heading("No requests yet");
                if let Some(addr) = header.receiver {
                    ui.label("Point a webhook provider, a tunnel or curl at the receiver URL above.");
                    ui.label(egui::RichText::new(example_curl(addr)).monospace());
                } else {
                    ui.label("The receiver is stopped: start it in the status bar below the toolbar.");
                }
            } else {
                ui.spinner();
                ui.label("Loading history…");
            }
        });
        return ListOutput {
            visible: 0..0,
            offset_y: 0.0,
        };
    }
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    // Rows are laid out `row_height` plus the item spacing apart.
    let row_stride = row_height + ui.spacing().item_spacing.y;
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
    match scroll {
        ScrollTo::None => {}
        ScrollTo::Row(row) => table = table.scroll_to_row(row, Some(egui::Align::BOTTOM)),
        ScrollTo::Reveal(row) => table = table.scroll_to_row(row, Some(egui::Align::Center)),
        ScrollTo::Shift { offset_y, rows } => {
            table = table.vertical_scroll_offset(offset_y + rows as f32 * row_stride);
        }
    }
    let output = table
        .header(row_height, |mut row| {
            for (title, key, hover) in COLUMNS {
                row.col(|ui| header_cell_ui(ui, title, key, hover, header, intents));
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
    ListOutput {
        visible: visible.unwrap_or(0..0),
        offset_y: output.state.clamped_offset().y,
    }
}

/// One column title: a button when the column sorts, with the arrow of the current order.
fn header_cell_ui(
    ui: &mut egui::Ui,
    title: &str,
    key: Option<SortKey>,
    hover: &str,
    header: ListHeader,
    intents: &mut Vec<Intent>,
) {
    let Some(key) = key else {
        ui.strong(title);
        return;
    };
    let sorted_here = header.sort.key == key && !header.sort.is_arrival();
    let text = if sorted_here {
        let arrow = if header.sort.descending {
            SORT_DESCENDING
        } else {
            SORT_ASCENDING
        };
        format!("{title} {arrow}")
    } else {
        title.to_string()
    };
    let hover = if key == SortKey::Arrival {
        hover.to_string()
    } else {
        format!("{hover}. Click again to reverse, a third time for arrival order.")
    };
    let button = egui::Button::new(egui::RichText::new(text).strong()).frame(false);
    if ui.add(button).on_hover_text(hover).clicked() {
        intents.push(Intent::SortBy(key));
    }
    if sorted_here && header.sorting {
        ui.add(egui::Spinner::new().size(10.0))
            .on_hover_text("sorting in the background");
    }
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
        for f in s.flags() {
            let weak = ui.visuals().weak_text_color();
            let (color, hover) = match f {
                Flag::Test => (palette::TEST, "the payload carries \"test\": true".to_string()),
                Flag::Duplicate => (
                    palette::WARN,
                    s.duplicate_of
                        .map_or_else(String::new, |first| format!("same delivery id as #{first}")),
                ),
                Flag::OutOfOrder => (
                    palette::WARN,
                    "an event for the same resource with a later timestamp arrived first".into(),
                ),
                Flag::Oversized => (
                    palette::WARN,
                    "larger than the body cap: answered 413, first bytes kept".into(),
                ),
                Flag::Incomplete => (
                    palette::WARN,
                    "the body was cut off or stalled: what arrived is kept".into(),
                ),
                Flag::Replayed => (weak, "sent again: Replay… lists the attempts".into()),
                Flag::Imported => (weak, "imported from a file".into()),
            };
            flag(ui, f.as_str(), color, &hover);
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

#[cfg(test)]
mod example_tests {
    use super::example_curl;

    #[test]
    fn the_example_goes_to_the_port_in_use() {
        assert_eq!(
            example_curl("127.0.0.1:18788".parse().unwrap()),
            r#"curl -X POST -d '{"hello":"world"}' http://127.0.0.1:18788/hooks"#
        );
        assert!(example_curl("0.0.0.0:9000".parse().unwrap()).ends_with("http://127.0.0.1:9000/hooks"));
    }
}
