//! Where an outgoing signature's secret comes from, shared by the replay editor and the test-event
//! panel: a stored signing profile (its scheme and secret), or a scheme and a secret typed in.
//! A profile's secret is never shown here, only its redacted tail.

use crate::signature::{Profile, Scheme, redact};

/// The signing fields of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningChoice {
    /// A stored profile by name; `None` means the scheme and secret below.
    pub profile: Option<String>,
    pub scheme: String,
    /// Typed in, never saved.
    pub secret: String,
}

impl SigningChoice {
    pub fn typed(scheme: &str) -> Self {
        SigningChoice {
            profile: None,
            scheme: scheme.to_string(),
            secret: String::new(),
        }
    }

    /// The scheme and secret to sign with, or what is missing.
    pub fn resolve(&self, profiles: &[Profile]) -> Result<(Scheme, String), String> {
        if let Some(name) = &self.profile {
            let p = profiles
                .iter()
                .find(|p| &p.name == name)
                .ok_or_else(|| format!("there is no signing profile named '{name}' any more"))?;
            return Ok((p.scheme.clone(), p.secret.clone()));
        }
        let scheme =
            Scheme::parse(&self.scheme).ok_or_else(|| format!("unknown scheme '{}'", self.scheme))?;
        if self.secret.is_empty() {
            return Err("enter the signing secret, or pick a signing profile".into());
        }
        Ok((scheme, self.secret.clone()))
    }
}

/// "Secret from" (typed in, or one of the profiles), then the scheme and secret fields, or the
/// chosen profile's scheme and redacted secret.
pub fn signing_choice_ui(ui: &mut egui::Ui, salt: &str, choice: &mut SigningChoice, profiles: &[Profile]) {
    let shown = choice
        .profile
        .as_ref()
        .map_or_else(|| "secret typed in".to_string(), |n| format!("profile {n}"));
    egui::ComboBox::from_id_salt(format!("{salt}-source"))
        .selected_text(shown)
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut choice.profile, None, "secret typed in");
            for p in profiles {
                ui.selectable_value(
                    &mut choice.profile,
                    Some(p.name.clone()),
                    format!("profile {} ({})", p.name, p.scheme.name()),
                );
            }
        })
        .response
        .accessible_name("Secret from");
    match choice
        .profile
        .as_ref()
        .map(|n| profiles.iter().find(|p| &p.name == n))
    {
        None => {
            egui::ComboBox::from_id_salt(format!("{salt}-scheme"))
                .selected_text(choice.scheme.clone())
                .show_ui(ui, |ui| {
                    for s in Scheme::all_builtin() {
                        ui.selectable_value(&mut choice.scheme, s.name().to_string(), s.name());
                    }
                })
                .response
                .accessible_name("Signing scheme");
            ui.add(
                egui::TextEdit::singleline(&mut choice.secret)
                    .password(true)
                    .hint_text("secret")
                    .desired_width(160.0),
            )
            .accessible_name("Signing secret");
        }
        Some(Some(p)) => {
            ui.monospace(p.scheme.name());
            ui.weak(redact(&p.secret));
        }
        Some(None) => {
            ui.colored_label(super::palette::WARN, "profile removed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> Profile {
        Profile {
            name: "smtm-prod".into(),
            path_pattern: "/smtm/*".into(),
            scheme: Scheme::parse("smtm").unwrap(),
            secret: "s3cret-value".into(),
            tolerance_secs: None,
        }
    }

    #[test]
    fn a_profile_gives_its_scheme_and_secret() {
        let choice = SigningChoice {
            profile: Some("smtm-prod".into()),
            scheme: "github".into(),
            secret: String::new(),
        };
        let (scheme, secret) = choice.resolve(&[profile()]).unwrap();
        assert_eq!(scheme.name(), "smtm");
        assert_eq!(secret, "s3cret-value");
    }

    #[test]
    fn a_removed_profile_or_a_missing_secret_is_said() {
        let mut choice = SigningChoice::typed("github");
        assert!(choice.resolve(&[]).unwrap_err().contains("secret"));
        choice.secret = "k".into();
        assert_eq!(choice.resolve(&[]).unwrap().0.name(), "github");
        choice.profile = Some("gone".into());
        assert!(choice.resolve(&[profile()]).unwrap_err().contains("gone"));
    }
}
