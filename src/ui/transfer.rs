//! Import and export windows. A path can be typed or picked with the system file dialog (rfd,
//! which runs on the UI thread as file dialogs must); reading and writing the file happen in the
//! background, never here.

use std::path::PathBuf;

use super::{Intent, palette};
use crate::capture::CaptureId;

/// Export format offered in the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportKind {
    #[default]
    Har,
    Ndjson,
}

impl ExportKind {
    pub fn extension(self) -> &'static str {
        match self {
            ExportKind::Har => "har",
            ExportKind::Ndjson => "ndjson",
        }
    }
}

/// Where an import comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportSource {
    File(PathBuf),
    /// Pasted text: a curl command, a raw HTTP request, NDJSON or HAR.
    Text(Vec<u8>),
}

/// State of the import and export windows.
#[derive(Debug, Clone, Default)]
pub struct TransferView {
    pub import_open: bool,
    pub import_path: String,
    pub import_text: String,
    pub export_open: bool,
    pub export_path: String,
    pub export_kind: ExportKind,
    pub export_selected_only: bool,
    pub error: Option<String>,
}

/// Show the windows that are open. `selected` is the capture the export can be limited to.
pub fn transfer_windows(
    ctx: &egui::Context,
    view: &mut TransferView,
    selected: Option<CaptureId>,
    intents: &mut Vec<Intent>,
) {
    if view.import_open {
        let mut open = true;
        egui::Window::new("Import")
            .open(&mut open)
            .default_width(560.0)
            .show(ctx, |ui| import_ui(ui, view, intents));
        view.import_open &= open;
    }
    if view.export_open {
        let mut open = true;
        egui::Window::new("Export")
            .open(&mut open)
            .default_width(520.0)
            .show(ctx, |ui| export_ui(ui, view, selected, intents));
        view.export_open &= open;
    }
}

fn import_ui(ui: &mut egui::Ui, view: &mut TransferView, intents: &mut Vec<Intent>) {
    ui.weak("HAR or NDJSON files, a curl command, or a raw HTTP request as pasted from a log. The format is detected; a bad input imports nothing.");
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.label("File");
        ui.add(
            egui::TextEdit::singleline(&mut view.import_path)
                .desired_width(320.0)
                .hint_text("/path/to/export.har"),
        );
        if ui.button("Browse…").clicked()
            && let Some(path) = rfd::FileDialog::new()
                .add_filter(
                    "HAR, NDJSON, text",
                    &["har", "json", "ndjson", "jsonl", "txt", "http", "sh"],
                )
                .add_filter("any file", &["*"])
                .pick_file()
        {
            view.import_path = path.display().to_string();
        }
        if ui
            .add_enabled(
                !view.import_path.trim().is_empty(),
                egui::Button::new("Import file"),
            )
            .clicked()
        {
            intents.push(Intent::Import(ImportSource::File(PathBuf::from(
                view.import_path.trim(),
            ))));
        }
    });
    ui.separator();
    ui.label("…or paste a curl command or a raw HTTP request:");
    egui::ScrollArea::vertical().max_height(220.0).show(ui, |ui| {
        ui.add(
            egui::TextEdit::multiline(&mut view.import_text)
                .code_editor()
                .desired_rows(8)
                .desired_width(f32::INFINITY)
                .hint_text("curl -X POST https://… -H 'X-SMTM-Signature: sha256=…' -d '{…}'"),
        );
    });
    if ui
        .add_enabled(
            !view.import_text.trim().is_empty(),
            egui::Button::new("Import pasted text"),
        )
        .clicked()
    {
        intents.push(Intent::Import(ImportSource::Text(
            view.import_text.clone().into_bytes(),
        )));
    }
    if let Some(e) = &view.error {
        ui.colored_label(palette::ERROR, e);
    }
}

fn export_ui(
    ui: &mut egui::Ui,
    view: &mut TransferView,
    selected: Option<CaptureId>,
    intents: &mut Vec<Intent>,
) {
    ui.horizontal(|ui| {
        ui.label("Format");
        ui.selectable_value(&mut view.export_kind, ExportKind::Har, "HAR 1.2");
        ui.selectable_value(&mut view.export_kind, ExportKind::Ndjson, "NDJSON");
    });
    ui.horizontal(|ui| {
        ui.label("Captures");
        ui.selectable_value(&mut view.export_selected_only, false, "all");
        let label = selected.map_or_else(|| "selected (none)".to_string(), |id| format!("selected (#{id})"));
        ui.add_enabled_ui(selected.is_some(), |ui| {
            ui.selectable_value(&mut view.export_selected_only, true, label)
        });
    });
    ui.horizontal(|ui| {
        ui.label("File");
        ui.add(
            egui::TextEdit::singleline(&mut view.export_path)
                .desired_width(320.0)
                .hint_text("hookscope-export.har"),
        );
        if ui.button("Browse…").clicked()
            && let Some(path) = rfd::FileDialog::new()
                .set_file_name(format!("hookscope-export.{}", view.export_kind.extension()))
                .save_file()
        {
            view.export_path = path.display().to_string();
        }
    });
    ui.weak("Signing secrets are never part of an export.");
    let ready = !view.export_path.trim().is_empty() && (!view.export_selected_only || selected.is_some());
    if ui.add_enabled(ready, egui::Button::new("Export")).clicked() {
        let ids = if view.export_selected_only {
            selected.map(|id| vec![id])
        } else {
            None
        };
        intents.push(Intent::Export {
            kind: view.export_kind,
            ids,
            path: PathBuf::from(view.export_path.trim()),
        });
    }
    if let Some(e) = &view.error {
        ui.colored_label(palette::ERROR, e);
    }
}
