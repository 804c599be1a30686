//! The detail pane: overview, headers, body views, raw HTTP and the response sent.

use egui_extras::{Column, TableBuilder};

use super::code_view::{CodeText, code_view_ui};
use super::signature::{VerifyWithForm, signature_ui, verdict_badge};
use super::{Intent, palette, short_time};
use crate::body::human_size;
use crate::capture::{Capture, CaptureId, HeaderList, format_rfc3339_us};
use crate::signature::Evaluation;

/// How a body is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum BodyMode {
    /// Pretty JSON / XML, form fields or hex: whatever fits the content.
    Pretty,
    /// Collapsible JSON tree.
    Tree,
    Text,
    Hex,
}

/// Which text a render job prepares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Body(BodyMode),
    Raw,
    Response,
}

/// Identifies prepared text: whose, which pane, which theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RenderKey {
    pub id: CaptureId,
    pub pane: Pane,
    pub dark: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DetailTab {
    #[default]
    Overview,
    Signature,
    Headers,
    Body,
    Raw,
    Response,
}

/// The pane's own view state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailView {
    pub tab: DetailTab,
    pub body_mode: BodyMode,
    pub verify: VerifyWithForm,
}

impl Default for DetailView {
    fn default() -> Self {
        DetailView {
            tab: DetailTab::Body,
            body_mode: BodyMode::Pretty,
            verify: VerifyWithForm::default(),
        }
    }
}

/// What the pane needs from the app this frame.
pub struct DetailInput<'a> {
    pub capture: Option<&'a Capture>,
    pub loading: bool,
    /// Prepared text for the pane [`detail_ui`] asked for last frame, when ready.
    pub code: Option<&'a CodeText>,
    /// The full signature verdict with today's profiles, once computed.
    pub evaluation: Option<&'a Evaluation>,
    /// The capture marked as the left side of a diff.
    pub marked: Option<CaptureId>,
}

/// Show the pane. Returns the text pane it wants prepared (if any).
pub fn detail_ui(
    ui: &mut egui::Ui,
    input: &DetailInput<'_>,
    view: &mut DetailView,
    intents: &mut Vec<Intent>,
) -> Option<Pane> {
    let Some(c) = input.capture else {
        ui.vertical_centered(|ui| {
            ui.add_space(40.0);
            if input.loading {
                ui.spinner();
            } else {
                ui.weak("Select a request to see it here.");
            }
        });
        return None;
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(
            egui::RichText::new(&c.method)
                .color(palette::method(&c.method))
                .strong()
                .size(16.0),
        );
        ui.label(egui::RichText::new(c.target()).monospace().size(14.0));
    });
    ui.horizontal(|ui| {
        ui.weak(format!(
            "#{} · {} · {}",
            c.id,
            short_time(c.received_at_us),
            human_size(c.body_len)
        ));
        if let Some(code) = c.status() {
            ui.label(egui::RichText::new(format!("answered {code}")).color(palette::status(Some(code))));
        }
        let (icon, label, color) = verdict_badge(c.analysis.verdict);
        let scheme = c
            .analysis
            .scheme
            .as_deref()
            .map(|s| format!(" · {s}"))
            .unwrap_or_default();
        ui.label(egui::RichText::new(format!("{icon} {label}{scheme}")).color(color));
    });
    ui.horizontal(|ui| {
        if ui
            .small_button("Copy as curl")
            .on_hover_text("A curl command that sends these exact bytes")
            .clicked()
        {
            intents.push(Intent::CopyCurl(c.id));
        }
        match input.marked {
            Some(marked) if marked != c.id && ui.small_button(format!("Diff with #{marked}")).clicked() => {
                intents.push(Intent::Diff {
                    left: marked,
                    right: c.id,
                });
            }
            Some(marked) if marked != c.id => {}
            Some(_) => {
                ui.weak("marked for diff: select another request");
            }
            None => {}
        }
        if input.marked != Some(c.id)
            && ui
                .small_button("Mark for diff")
                .on_hover_text("Compare this request with another one")
                .clicked()
        {
            intents.push(Intent::MarkForDiff(c.id));
        }
    });
    ui.horizontal(|ui| {
        for (tab, label) in [
            (DetailTab::Overview, "Overview"),
            (DetailTab::Signature, "Signature"),
            (DetailTab::Headers, "Headers"),
            (DetailTab::Body, "Body"),
            (DetailTab::Raw, "Raw"),
            (DetailTab::Response, "Response"),
        ] {
            ui.selectable_value(&mut view.tab, tab, label);
        }
    });
    ui.separator();
    match view.tab {
        DetailTab::Overview => {
            overview_ui(ui, c);
            None
        }
        DetailTab::Signature => {
            egui::ScrollArea::vertical()
                .id_salt("signature-scroll")
                .show(ui, |ui| {
                    signature_ui(ui, c, input.evaluation, &mut view.verify, intents);
                });
            None
        }
        DetailTab::Headers => {
            headers_ui(ui, "request-headers", &c.headers, intents);
            None
        }
        DetailTab::Body => {
            ui.horizontal(|ui| {
                ui.selectable_value(&mut view.body_mode, BodyMode::Pretty, "Pretty");
                ui.selectable_value(&mut view.body_mode, BodyMode::Tree, "Tree");
                ui.selectable_value(&mut view.body_mode, BodyMode::Text, "Text");
                ui.selectable_value(&mut view.body_mode, BodyMode::Hex, "Hex");
                ui.separator();
                if ui.button("Copy body").clicked() {
                    intents.push(Intent::CopyText(String::from_utf8_lossy(&c.body).into_owned()));
                }
                if c.oversized {
                    ui.label(
                        egui::RichText::new("oversized: only the first bytes were kept").color(palette::WARN),
                    );
                }
                if c.incomplete() {
                    ui.label(
                        egui::RichText::new("incomplete: the client stopped mid-body; this is what arrived")
                            .color(palette::WARN),
                    );
                }
                if c.malformed() {
                    ui.label(
                        egui::RichText::new(
                            "malformed: refused as not valid HTTP/1.1; this is its head as it arrived",
                        )
                        .color(palette::WARN),
                    );
                }
            });
            show_code(ui, "body-code", input);
            Some(Pane::Body(view.body_mode))
        }
        DetailTab::Raw => {
            if ui.button("Copy raw request").clicked() {
                intents.push(Intent::CopyText(
                    String::from_utf8_lossy(&c.raw_http()).into_owned(),
                ));
            }
            show_code(ui, "raw-code", input);
            Some(Pane::Raw)
        }
        DetailTab::Response => {
            let Some(r) = &c.response else {
                ui.weak("No response was recorded (imported capture).");
                return None;
            };
            ui.label(
                egui::RichText::new(format!("{} · delay {} ms", r.status, r.delay_ms))
                    .color(palette::status(Some(r.status))),
            );
            headers_ui(ui, "response-headers", &r.headers, intents);
            ui.separator();
            show_code(ui, "response-code", input);
            Some(Pane::Response)
        }
    }
}

fn show_code(ui: &mut egui::Ui, id: &str, input: &DetailInput<'_>) {
    match input.code {
        Some(code) => code_view_ui(ui, id, code),
        None => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.weak("Preparing view…");
            });
        }
    }
}

fn overview_ui(ui: &mut egui::Ui, c: &Capture) {
    egui::Grid::new("overview")
        .num_columns(2)
        .striped(true)
        .spacing([16.0, 4.0])
        .show(ui, |ui| {
            let mut row = |k: &str, v: String| {
                ui.strong(k);
                ui.label(v);
                ui.end_row();
            };
            row("Id", c.id.to_string());
            row("Received", format_rfc3339_us(c.received_at_us));
            row("Method", c.method.clone());
            row("Path", c.path.clone());
            row("Query", c.query.clone().unwrap_or_else(|| "—".into()));
            row("HTTP version", c.http_version.clone());
            row("From", c.remote_addr.clone().unwrap_or_else(|| "—".into()));
            row(
                "Content-Type",
                c.headers.get("content-type").unwrap_or("—").to_string(),
            );
            row(
                "Body size",
                format!("{} ({} bytes)", human_size(c.body_len), c.body_len),
            );
            if let Some(n) = c.declared_len {
                row("Declared length", format!("{n} bytes"));
            }
            row("Headers", c.headers.len().to_string());
            row(
                "Answered",
                c.status().map_or_else(|| "—".into(), |s| s.to_string()),
            );
            row("Origin", c.origin.as_str().to_string());
            if c.oversized {
                row(
                    "Oversized",
                    "yes: answered 413, only the first bytes were kept".into(),
                );
            }
        });
}

fn headers_ui(ui: &mut egui::Ui, id: &str, headers: &HeaderList, intents: &mut Vec<Intent>) {
    if headers.is_empty() {
        ui.weak("No headers.");
        return;
    }
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    ui.push_id(id, |ui| {
        TableBuilder::new(ui)
            .striped(true)
            .resizable(true)
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::initial(180.0).at_least(80.0).clip(true))
            .column(Column::remainder().clip(true))
            .column(Column::exact(44.0))
            .max_scroll_height(320.0)
            .header(row_height, |mut h| {
                h.col(|ui| {
                    ui.strong("Name");
                });
                h.col(|ui| {
                    ui.strong("Value");
                });
                h.col(|_| {});
            })
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
                    row.col(|ui| {
                        if ui.small_button("Copy").on_hover_text("Copy the value").clicked() {
                            intents.push(Intent::CopyText(h.value_lossy().into_owned()));
                        }
                    });
                });
            });
    });
}
