//! The status bar: where the receiver listens, how many captures, start/stop, change port.

use std::net::SocketAddr;

use super::{Intent, palette};

/// State of the embedded receiver as the window knows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ReceiverStatus {
    #[default]
    Stopped,
    Starting,
    Listening(SocketAddr),
    /// Could not start (port in use...): the message says why.
    Failed(String),
}

/// What the status bar shows and edits.
pub struct StatusBar<'a> {
    pub receiver: &'a ReceiverStatus,
    pub captures: usize,
    /// The port field's text (edited in place).
    pub port_text: &'a mut String,
    pub follow_tail: &'a mut bool,
    /// The list is in arrival order (following the newest row means nothing otherwise).
    pub follow_applies: bool,
    /// The bind address is not loopback.
    pub exposed: bool,
    /// Shown while the window is behind a burst of arrivals (nothing is dropped).
    pub catching_up: Option<String>,
}

/// The receiver's status, port and capture count, laid out in the caller's row (the window adds
/// its capture-wide buttons after them).
pub fn status_bar_ui(ui: &mut egui::Ui, bar: &mut StatusBar<'_>, intents: &mut Vec<Intent>) {
    {
        match bar.receiver {
            ReceiverStatus::Listening(addr) => {
                dot(ui, palette::status(Some(200)));
                let url = format!("http://{addr}");
                ui.label(egui::RichText::new(format!("Listening on {url}")).strong());
                if ui
                    .small_button("Copy URL")
                    .on_hover_text("Copy the receiver URL")
                    .clicked()
                {
                    intents.push(Intent::CopyText(url));
                }
                if ui.button("Stop").clicked() {
                    intents.push(Intent::StopReceiver);
                }
            }
            ReceiverStatus::Starting => {
                ui.spinner();
                ui.label("Starting receiver…");
            }
            ReceiverStatus::Stopped => {
                dot(ui, egui::Color32::GRAY);
                ui.label("Receiver stopped");
                if ui.button("Start").clicked() {
                    intents.push(Intent::StartReceiver);
                }
            }
            ReceiverStatus::Failed(message) => {
                dot(ui, palette::ERROR);
                ui.label(egui::RichText::new(message).color(palette::ERROR));
                if ui.button("Retry").clicked() {
                    intents.push(Intent::StartReceiver);
                }
            }
        }
        if bar.exposed {
            ui.label(
                egui::RichText::new("Warning: bound to a non-loopback address: reachable from the network")
                    .color(palette::WARN),
            );
        }
        ui.separator();
        ui.label("Port");
        let field = ui.add(
            egui::TextEdit::singleline(bar.port_text)
                .desired_width(52.0)
                .hint_text("8787"),
        );
        let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let port = bar.port_text.trim().parse::<u16>();
        let apply = ui
            .add_enabled(port.is_ok(), egui::Button::new("Apply"))
            .on_hover_text("Restart the receiver on this port");
        if let Ok(p) = port {
            if apply.clicked() || entered {
                intents.push(Intent::ChangePort(p));
            }
        } else if !bar.port_text.trim().is_empty() {
            ui.label(egui::RichText::new("not a port (0–65535)").color(palette::ERROR));
        }
        ui.separator();
        ui.label(format!("{} captures", bar.captures));
        if let Some(note) = &bar.catching_up {
            ui.label(egui::RichText::new(note).color(palette::WARN))
                .on_hover_text("A burst arrived faster than the window shows it: every capture is stored and the list fills in over the next frames");
        }
        ui.add_enabled(bar.follow_applies, egui::Checkbox::new(bar.follow_tail, "Follow"))
            .on_hover_text("Scroll to each new capture as it arrives")
            .on_disabled_hover_text("Follows new captures in arrival order only: click the # header");
    }
}

/// A small coloured status light.
fn dot(ui: &mut egui::Ui, color: egui::Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), 4.5, color);
}
