//! The signature panel of the detail view: verdict, scheme, header used, expected vs received
//! (never the secret), the cause of a failure, clock skew, and "verify with…" to try a secret
//! without saving it.

use super::{Intent, palette};
use crate::capture::{Capture, CaptureId, Verdict};
use crate::signature::{Evaluation, SEARCH_SKIPPED_NOTE, Scheme, Verification, detect};

/// Icon, label and colour of a verdict.
pub fn verdict_badge(v: Verdict) -> (&'static str, &'static str, egui::Color32) {
    match v {
        Verdict::Valid => ("✔", "valid", palette::status(Some(200))),
        Verdict::Invalid => ("❌", "invalid", palette::ERROR),
        Verdict::NoSecret => ("🔑", "no secret", palette::WARN),
        Verdict::Unsigned => ("➖", "unsigned", egui::Color32::GRAY),
    }
}

/// State of the "verify with…" form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyWithForm {
    /// Scheme name; empty means "the detected one".
    pub scheme: String,
    pub secret: String,
    pub tolerance_secs: String,
    pub show_secret: bool,
    /// The last answer, for the capture it was asked for.
    pub result: Option<(CaptureId, Verification)>,
    pub error: Option<String>,
}

/// The signature panel for `c`. `evaluation` is the full verdict with today's profiles, when it
/// has been computed.
pub fn signature_ui(
    ui: &mut egui::Ui,
    c: &Capture,
    evaluation: Option<&Evaluation>,
    form: &mut VerifyWithForm,
    intents: &mut Vec<Intent>,
) {
    let a = &c.analysis;
    let (icon, label, color) = verdict_badge(a.verdict);
    ui.horizontal(|ui| {
        ui.label(
            egui::RichText::new(format!("{icon} {label}"))
                .color(color)
                .strong()
                .size(18.0),
        );
        if let Some(s) = &a.scheme {
            ui.label(egui::RichText::new(s).monospace());
        }
        if !a.reason.is_empty() && a.reason != "valid" {
            ui.label(egui::RichText::new(&a.reason).monospace().color(color));
        }
    });
    if !a.explanation.is_empty() {
        ui.label(&a.explanation);
    }
    ui.add_space(6.0);
    match evaluation {
        Some(e) => {
            // Stored while receiving under load, without the search for a changed digit: the
            // check just made with today's profiles ran it.
            if a.explanation.contains(SEARCH_SKIPPED_NOTE) {
                ui.label(
                    egui::RichText::new(format!("Checked again now, with the full search: {}", e.reason))
                        .strong(),
                );
                ui.label(&e.explanation);
                ui.add_space(4.0);
            }
            evaluation_grid(ui, e);
        }
        None => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.weak("Checking with the current profiles…");
            });
        }
    }
    ui.add_space(8.0);
    ui.separator();
    verify_with_ui(ui, c, form, intents);
}

fn evaluation_grid(ui: &mut egui::Ui, e: &Evaluation) {
    egui::Grid::new("signature-grid")
        .num_columns(2)
        .striped(true)
        .spacing([16.0, 4.0])
        .show(ui, |ui| {
            let mut row = |k: &str, v: &str, mono: bool| {
                ui.strong(k);
                let text = if mono {
                    egui::RichText::new(v).monospace()
                } else {
                    egui::RichText::new(v)
                };
                ui.add(egui::Label::new(text).wrap());
                ui.end_row();
            };
            if let Some(p) = &e.profile {
                row("Profile", p, false);
            }
            if let Some(d) = &e.detail {
                verification_rows(&mut row, d);
            }
        });
}

fn verification_rows(row: &mut impl FnMut(&str, &str, bool), v: &Verification) {
    row("Scheme", &v.scheme, true);
    if let Some(h) = &v.header_used {
        row("Header", h, true);
    }
    row("Received", v.received.as_deref().unwrap_or("— (absent)"), true);
    if let Some(x) = &v.expected {
        row("Expected", x, true);
    }
    if let Some(skew) = v.skew_secs {
        row(
            "Clock skew",
            &format!("{skew} s (receiver time minus signed time)"),
            false,
        );
    }
    if let Some(n) = &v.note {
        row("Note", n, false);
    }
}

fn verify_with_ui(ui: &mut egui::Ui, c: &Capture, form: &mut VerifyWithForm, intents: &mut Vec<Intent>) {
    ui.strong("Verify with…");
    ui.weak("Try a secret on this request without saving it.");
    let detected = detect(&c.headers);
    egui::Grid::new("verify-with")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            ui.label("Scheme");
            let shown = if form.scheme.is_empty() {
                detected
                    .as_ref()
                    .map_or_else(|| "choose…".to_string(), |s| format!("{s} (detected)"))
            } else {
                form.scheme.clone()
            };
            egui::ComboBox::from_id_salt("verify-scheme")
                .selected_text(shown)
                .show_ui(ui, |ui| {
                    for s in Scheme::all_builtin() {
                        ui.selectable_value(&mut form.scheme, s.name().to_string(), s.name());
                    }
                })
                .response
                .accessible_name("Scheme to verify with");
            ui.end_row();
            ui.label("Secret");
            ui.horizontal(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut form.secret)
                        .password(!form.show_secret)
                        .desired_width(260.0)
                        .hint_text("paste the signing secret"),
                );
                ui.checkbox(&mut form.show_secret, "show");
            });
            ui.end_row();
            ui.label("Tolerance (s)");
            ui.add(
                egui::TextEdit::singleline(&mut form.tolerance_secs)
                    .desired_width(60.0)
                    .hint_text("default"),
            );
            ui.end_row();
        });
    if ui.button("Verify").clicked() {
        let scheme = if form.scheme.is_empty() {
            detected
        } else {
            Scheme::parse(&form.scheme)
        };
        let tolerance = form.tolerance_secs.trim();
        let tolerance_secs = if tolerance.is_empty() {
            Ok(None)
        } else {
            tolerance.parse::<u64>().map(Some)
        };
        form.error = match (scheme, tolerance_secs) {
            (None, _) => Some("choose a scheme: none was detected from the headers".into()),
            (_, Err(_)) => Some("the tolerance must be a whole number of seconds".into()),
            (Some(_), _) if form.secret.is_empty() => Some("paste a secret to try".into()),
            (Some(scheme), Ok(tolerance_secs)) => {
                intents.push(Intent::VerifyWith {
                    id: c.id,
                    scheme,
                    secret: form.secret.clone(),
                    tolerance_secs,
                });
                None
            }
        };
    }
    if let Some(e) = &form.error {
        ui.colored_label(palette::ERROR, e);
    }
    if let Some((id, v)) = &form.result
        && *id == c.id
    {
        let (icon, label, color) = verdict_badge(if v.valid { Verdict::Valid } else { Verdict::Invalid });
        ui.label(
            egui::RichText::new(format!("{icon} {label} with that secret: {}", v.reason))
                .color(color)
                .strong(),
        );
        ui.label(&v.explanation);
        egui::Grid::new("verify-with-result")
            .num_columns(2)
            .striped(true)
            .spacing([16.0, 4.0])
            .show(ui, |ui| {
                let mut row = |k: &str, val: &str, mono: bool| {
                    ui.strong(k);
                    let text = if mono {
                        egui::RichText::new(val).monospace()
                    } else {
                        egui::RichText::new(val)
                    };
                    ui.add(egui::Label::new(text).wrap());
                    ui.end_row();
                };
                verification_rows(&mut row, v);
            });
    }
}
