//! The signing-profiles window: list (secrets redacted unless revealed), add, edit, remove.
//! Saving goes out as an intent; the app stores it and re-verifies captures in the background.

use std::collections::HashSet;

use super::{Intent, palette};
use crate::signature::{CustomScheme, Encoding, HmacAlgorithm, Profile, Scheme, redact, validate_profile};

/// The add/edit form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileForm {
    /// The profile being edited (`None`: a new one).
    pub original: Option<String>,
    pub name: String,
    pub path_pattern: String,
    /// A built-in scheme name, or `custom`.
    pub scheme: String,
    pub secret: String,
    pub show_secret: bool,
    pub tolerance_secs: String,
    pub custom: CustomScheme,
    pub error: Option<String>,
}

impl Default for ProfileForm {
    fn default() -> Self {
        ProfileForm {
            original: None,
            name: String::new(),
            path_pattern: "*".into(),
            scheme: "smtm".into(),
            secret: String::new(),
            show_secret: false,
            tolerance_secs: String::new(),
            custom: CustomScheme {
                header: "X-Signature".into(),
                algorithm: HmacAlgorithm::Sha256,
                encoding: Encoding::Hex,
                prefix: "sha256=".into(),
                template: "{body}".into(),
                timestamp_header: None,
                id_header: None,
            },
            error: None,
        }
    }
}

impl ProfileForm {
    pub fn edit(p: &Profile) -> Self {
        let mut form = ProfileForm {
            original: Some(p.name.clone()),
            name: p.name.clone(),
            path_pattern: p.path_pattern.clone(),
            scheme: p.scheme.name().to_string(),
            secret: p.secret.clone(),
            tolerance_secs: p.tolerance_secs.map(|t| t.to_string()).unwrap_or_default(),
            ..ProfileForm::default()
        };
        if let Scheme::Custom(c) = &p.scheme {
            form.custom = c.clone();
        }
        form
    }

    /// The profile the form describes, or what is wrong with it.
    pub fn to_profile(&self) -> Result<Profile, String> {
        let scheme = if self.scheme == "custom" {
            Scheme::Custom(self.custom.clone())
        } else {
            Scheme::parse(&self.scheme).ok_or_else(|| format!("unknown scheme '{}'", self.scheme))?
        };
        let tolerance = self.tolerance_secs.trim();
        let tolerance_secs = if tolerance.is_empty() {
            None
        } else {
            Some(
                tolerance
                    .parse::<u64>()
                    .map_err(|_| "the tolerance must be a whole number of seconds")?,
            )
        };
        let p = Profile {
            name: self.name.trim().to_string(),
            path_pattern: self.path_pattern.trim().to_string(),
            scheme,
            secret: self.secret.clone(),
            tolerance_secs,
        };
        validate_profile(&p)?;
        Ok(p)
    }
}

/// The window's own state.
#[derive(Debug, Clone, Default)]
pub struct ProfilesView {
    pub open: bool,
    pub form: Option<ProfileForm>,
    /// Names whose secret is shown in clear.
    pub revealed: HashSet<String>,
}

/// The profiles window (shown while `view.open`).
pub fn profiles_window(
    ctx: &egui::Context,
    view: &mut ProfilesView,
    profiles: &[Profile],
    intents: &mut Vec<Intent>,
) {
    let mut open = view.open;
    egui::Window::new("Signing profiles")
        .open(&mut open)
        .default_width(640.0)
        .show(ctx, |ui| {
            profiles_ui(ui, view, profiles, intents);
        });
    view.open = open;
}

fn profiles_ui(ui: &mut egui::Ui, view: &mut ProfilesView, profiles: &[Profile], intents: &mut Vec<Intent>) {
    ui.weak(
        "A request whose path matches a profile's pattern is verified with its scheme and secret. \
         Secrets are kept in the data folder's database, never in the settings file.",
    );
    ui.add_space(6.0);
    if profiles.is_empty() {
        ui.label("No profiles yet.");
    } else {
        egui::Grid::new("profiles-grid")
            .num_columns(6)
            .striped(true)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                for h in ["Name", "Path", "Scheme", "Secret", "Tolerance", ""] {
                    ui.strong(h);
                }
                ui.end_row();
                for p in profiles {
                    ui.label(&p.name);
                    ui.label(egui::RichText::new(&p.path_pattern).monospace());
                    ui.label(p.scheme.name());
                    let shown = view.revealed.contains(&p.name);
                    ui.horizontal(|ui| {
                        let text = if shown {
                            p.secret.clone()
                        } else {
                            redact(&p.secret)
                        };
                        ui.label(egui::RichText::new(text).monospace());
                        if ui.small_button(if shown { "hide" } else { "show" }).clicked() {
                            if shown {
                                view.revealed.remove(&p.name);
                            } else {
                                view.revealed.insert(p.name.clone());
                            }
                        }
                    });
                    ui.label(
                        p.tolerance_secs
                            .map_or_else(|| "default".to_string(), |t| format!("{t} s")),
                    );
                    ui.horizontal(|ui| {
                        if ui.small_button("Edit").clicked() {
                            view.form = Some(ProfileForm::edit(p));
                        }
                        if ui.small_button("Remove").clicked() {
                            intents.push(Intent::RemoveProfile(p.name.clone()));
                        }
                    });
                    ui.end_row();
                }
            });
    }
    ui.add_space(6.0);
    if view.form.is_none() && ui.button("Add profile…").clicked() {
        view.form = Some(ProfileForm::default());
    }
    let mut close = false;
    if let Some(form) = &mut view.form {
        ui.separator();
        ui.strong(if form.original.is_some() {
            "Edit profile"
        } else {
            "New profile"
        });
        form_ui(ui, form);
        ui.horizontal(|ui| {
            if ui.button("Save").clicked() {
                match form.to_profile() {
                    Ok(p) => {
                        intents.push(Intent::SaveProfile {
                            profile: Box::new(p),
                            replace: form.original.clone(),
                        });
                        close = true;
                    }
                    Err(e) => form.error = Some(e),
                }
            }
            if ui.button("Cancel").clicked() {
                close = true;
            }
        });
        if let Some(e) = &form.error {
            ui.colored_label(palette::ERROR, e);
        }
    }
    if close {
        view.form = None;
    }
}

fn form_ui(ui: &mut egui::Ui, form: &mut ProfileForm) {
    egui::Grid::new("profile-form")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            let l = ui.label("Name");
            ui.text_edit_singleline(&mut form.name).labelled_by(l.id);
            ui.end_row();
            let l = ui.label("Path pattern");
            ui.add(egui::TextEdit::singleline(&mut form.path_pattern).hint_text("/smtm/*"))
                .labelled_by(l.id);
            ui.end_row();
            let l = ui.label("Scheme");
            egui::ComboBox::from_id_salt("profile-scheme")
                .selected_text(form.scheme.clone())
                .show_ui(ui, |ui| {
                    for s in Scheme::all_builtin() {
                        ui.selectable_value(&mut form.scheme, s.name().to_string(), s.name());
                    }
                    ui.selectable_value(&mut form.scheme, "custom".to_string(), "custom");
                })
                .response
                .labelled_by(l.id);
            ui.end_row();
            let l = ui.label("Secret");
            ui.horizontal(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut form.secret)
                        .password(!form.show_secret)
                        .desired_width(260.0),
                )
                .labelled_by(l.id);
                ui.checkbox(&mut form.show_secret, "show");
            });
            ui.end_row();
            let l = ui.label("Tolerance (s)");
            ui.add(
                egui::TextEdit::singleline(&mut form.tolerance_secs)
                    .desired_width(60.0)
                    .hint_text("default"),
            )
            .labelled_by(l.id);
            ui.end_row();
            if form.scheme == "custom" {
                custom_rows(ui, &mut form.custom);
            }
        });
}

fn custom_rows(ui: &mut egui::Ui, c: &mut CustomScheme) {
    let l = ui.label("Header");
    ui.text_edit_singleline(&mut c.header).labelled_by(l.id);
    ui.end_row();
    ui.label("Algorithm");
    ui.horizontal(|ui| {
        ui.selectable_value(&mut c.algorithm, HmacAlgorithm::Sha1, "sha1");
        ui.selectable_value(&mut c.algorithm, HmacAlgorithm::Sha256, "sha256");
        ui.selectable_value(&mut c.algorithm, HmacAlgorithm::Sha512, "sha512");
    });
    ui.end_row();
    ui.label("Encoding");
    ui.horizontal(|ui| {
        ui.selectable_value(&mut c.encoding, Encoding::Hex, "hex");
        ui.selectable_value(&mut c.encoding, Encoding::Base64, "base64");
    });
    ui.end_row();
    let l = ui.label("Prefix");
    ui.add(egui::TextEdit::singleline(&mut c.prefix).hint_text("sha256="))
        .labelled_by(l.id);
    ui.end_row();
    let l = ui.label("Signed message");
    ui.add(egui::TextEdit::singleline(&mut c.template).hint_text("{timestamp}.{body}"))
        .labelled_by(l.id);
    ui.end_row();
    optional_row(ui, "Timestamp header", &mut c.timestamp_header);
    optional_row(ui, "Id header", &mut c.id_header);
}

fn optional_row(ui: &mut egui::Ui, label: &str, value: &mut Option<String>) {
    let l = ui.label(label);
    let mut text = value.clone().unwrap_or_default();
    if ui.text_edit_singleline(&mut text).labelled_by(l.id).changed() {
        *value = (!text.trim().is_empty()).then(|| text.trim().to_string());
    }
    ui.end_row();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_round_trips_and_validates() {
        let p = Profile {
            name: "prod".into(),
            path_pattern: "/smtm/*".into(),
            scheme: Scheme::Smtm,
            secret: "s".into(),
            tolerance_secs: Some(5),
        };
        assert_eq!(ProfileForm::edit(&p).to_profile().unwrap(), p);
        let mut f = ProfileForm::edit(&p);
        f.tolerance_secs = "soon".into();
        assert!(f.to_profile().unwrap_err().contains("whole number"));
        let mut f = ProfileForm::edit(&p);
        f.secret.clear();
        assert!(f.to_profile().is_err());
        let f = ProfileForm {
            name: "c".into(),
            secret: "k".into(),
            scheme: "custom".into(),
            ..ProfileForm::default()
        };
        assert!(matches!(f.to_profile().unwrap().scheme, Scheme::Custom(_)));
    }
}
