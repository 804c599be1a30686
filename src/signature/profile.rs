//! Signing profiles (path pattern → scheme + secret + tolerance) and the live verdict on a request.
//! Pure data: storage lives elsewhere.
//!
//! Verdict rules of [`evaluate`]:
//! 1. A profile whose glob matches the path (the most specific one) verifies the request, with
//!    every other profile's secret available to forensics (a match there means "wrong environment").
//! 2. Otherwise the scheme is detected from the headers. When the request carries that scheme's
//!    signature header and some profile uses the same scheme (for another path), that profile's
//!    secret is tried: a provider usually signs every path with one secret. Without such a
//!    profile the verdict is `no_secret`.
//! 3. A request without any known signature header is `unsigned`.

use serde::{Deserialize, Serialize};

use super::detect::has_signature;
use super::{Reason, RequestParts, Scheme, Verification, VerifyOptions, detect, diagnose};

/// One signing profile.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub name: String,
    /// A glob such as `/smtm/*`, or `*` for every path.
    pub path_pattern: String,
    pub scheme: Scheme,
    pub secret: String,
    /// Overrides the scheme's default tolerance.
    #[serde(default)]
    pub tolerance_secs: Option<u64>,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("path_pattern", &self.path_pattern)
            .field("scheme", &self.scheme)
            .field("secret", &redact(&self.secret))
            .field("tolerance_secs", &self.tolerance_secs)
            .finish()
    }
}

/// Check a profile before it is stored.
pub fn validate_profile(p: &Profile) -> Result<(), String> {
    if p.name.trim().is_empty() {
        return Err("the profile needs a name".into());
    }
    if p.name.chars().any(char::is_control) {
        return Err("the profile name holds a control character (a line break, tab or escape)".into());
    }
    if p.path_pattern.trim().is_empty() {
        return Err("the profile needs a path pattern (`*` for every path)".into());
    }
    if !p.path_pattern.starts_with(['/', '*', '?', '[', '{']) {
        return Err(format!(
            "the path pattern {:?} matches no request: paths start with `/` (or use `*`)",
            p.path_pattern
        ));
    }
    crate::capture::path_glob::PathGlob::new(&p.path_pattern)?;
    if p.secret.is_empty() {
        return Err("the profile needs a secret".into());
    }
    if p.secret.len() > MAX_SECRET_BYTES {
        return Err(format!(
            "the secret is {} bytes; a signing secret is at most {} KiB",
            p.secret.len(),
            MAX_SECRET_BYTES / 1024
        ));
    }
    if let Scheme::Custom(c) = &p.scheme {
        if c.header.trim().is_empty() {
            return Err("a custom scheme needs the signature header's name".into());
        }
        if c.template.is_empty() {
            return Err("a custom scheme needs a signed-message template such as {body}".into());
        }
        let named = [Some(&c.header), c.timestamp_header.as_ref(), c.id_header.as_ref()];
        if let Some(bad) = named
            .into_iter()
            .flatten()
            .find(|h| !crate::interchange::is_token(h.as_bytes()))
        {
            return Err(format!("{bad:?} is not a valid header name"));
        }
        super::custom::validate(c)?;
    }
    Ok(())
}

/// Longest secret a profile keeps (providers' secrets are tens of bytes).
pub const MAX_SECRET_BYTES: usize = 64 * 1024;

/// How specific a pattern is: its number of literal (non-wildcard) characters.
fn specificity(pattern: &str) -> usize {
    pattern
        .chars()
        .filter(|c| !matches!(c, '*' | '?' | '[' | ']' | '{' | '}'))
        .count()
}

/// The profile for a request path: the most specific matching glob (most literal characters);
/// on a tie, the first in the list.
pub fn profile_for_path<'a>(profiles: &'a [Profile], path: &str) -> Option<&'a Profile> {
    let path = path.split('?').next().unwrap_or(path);
    let mut best: Option<&Profile> = None;
    for p in profiles
        .iter()
        .filter(|p| crate::capture::path_glob::matches(&p.path_pattern, path))
    {
        if best.is_none_or(|b| specificity(&p.path_pattern) > specificity(&b.path_pattern)) {
            best = Some(p);
        }
    }
    best
}

/// A secret for display: `••••` and its last 4 characters (only bullets when it has 4 or fewer).
pub fn redact(secret: &str) -> String {
    let n = secret.chars().count();
    if n == 0 {
        return String::new();
    }
    if n <= 4 {
        return "••••".to_string();
    }
    let tail: String = secret.chars().skip(n - 4).collect();
    format!("••••{tail}")
}

/// The live verdict kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    Valid,
    Invalid,
    NoSecret,
    Unsigned,
}

impl VerdictKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            VerdictKind::Valid => "valid",
            VerdictKind::Invalid => "invalid",
            VerdictKind::NoSecret => "no_secret",
            VerdictKind::Unsigned => "unsigned",
        }
    }
}

impl From<VerdictKind> for crate::capture::Verdict {
    fn from(v: VerdictKind) -> Self {
        match v {
            VerdictKind::Valid => crate::capture::Verdict::Valid,
            VerdictKind::Invalid => crate::capture::Verdict::Invalid,
            VerdictKind::NoSecret => crate::capture::Verdict::NoSecret,
            VerdictKind::Unsigned => crate::capture::Verdict::Unsigned,
        }
    }
}

/// The live verdict on one request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub verdict: VerdictKind,
    pub scheme: Option<String>,
    /// `valid`, a failure reason, `no_secret` or `unsigned`.
    pub reason: String,
    pub explanation: String,
    /// The profile whose secret was used.
    pub profile: Option<String>,
    pub detail: Option<Verification>,
}

fn run_profile(profile: &Profile, profiles: &[Profile], parts: &RequestParts, now_unix: i64) -> Evaluation {
    let others: Vec<(&str, &str)> = profiles
        .iter()
        .filter(|p| p.name != profile.name)
        .map(|p| (p.name.as_str(), p.secret.as_str()))
        .collect();
    let opts = VerifyOptions {
        now_unix: Some(now_unix),
        tolerance_secs: profile.tolerance_secs,
    };
    let v = diagnose(&profile.scheme, &profile.secret, parts, &opts, &others);
    Evaluation {
        verdict: if v.valid {
            VerdictKind::Valid
        } else {
            VerdictKind::Invalid
        },
        scheme: Some(v.scheme.clone()),
        reason: v.reason.as_str().to_string(),
        explanation: v.explanation.clone(),
        profile: Some(profile.name.clone()),
        detail: Some(v),
    }
}

/// The verdict on a request arriving at `path` (see the module documentation for the rules).
/// Why a request without any known signature header is unsigned.
pub const UNSIGNED_EXPLANATION: &str = "the request carries no signature header of a known scheme";

pub fn evaluate(profiles: &[Profile], parts: &RequestParts, path: &str, now_unix: i64) -> Evaluation {
    if let Some(profile) = profile_for_path(profiles, path) {
        return run_profile(profile, profiles, parts, now_unix);
    }
    let detected = detect(parts.headers).or_else(|| {
        profiles
            .iter()
            .find(|p| matches!(p.scheme, Scheme::Custom(_)) && has_signature(&p.scheme, parts.headers))
            .map(|p| p.scheme.clone())
    });
    let Some(scheme) = detected else {
        return Evaluation {
            verdict: VerdictKind::Unsigned,
            scheme: None,
            reason: "unsigned".into(),
            explanation: UNSIGNED_EXPLANATION.into(),
            profile: None,
            detail: None,
        };
    };
    if !has_signature(&scheme, parts.headers) {
        return Evaluation {
            verdict: VerdictKind::Unsigned,
            scheme: Some(scheme.name().to_string()),
            reason: "unsigned".into(),
            explanation: format!(
                "the request looks like {} but carries no {} header",
                scheme.name(),
                scheme.signature_header()
            ),
            profile: None,
            detail: None,
        };
    }
    if let Some(profile) = profiles.iter().find(|p| p.scheme == scheme) {
        let mut e = run_profile(profile, profiles, parts, now_unix);
        e.explanation = format!(
            "{} (no profile matches {path}; used profile '{}' of the same scheme)",
            e.explanation, profile.name
        );
        return e;
    }
    Evaluation {
        verdict: VerdictKind::NoSecret,
        scheme: Some(scheme.name().to_string()),
        reason: "no_secret".into(),
        explanation: format!(
            "a {} signature is present but no profile holds a secret for it",
            scheme.name()
        ),
        profile: None,
        detail: None,
    }
}

impl Evaluation {
    /// The failure reason, when the verdict came from a verification.
    pub fn failure_reason(&self) -> Option<Reason> {
        self.detail.as_ref().filter(|d| !d.valid).map(|d| d.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{SignParams, sign};
    use super::*;
    use crate::capture::HeaderList;

    fn profile(name: &str, pattern: &str, scheme: Scheme, secret: &str) -> Profile {
        Profile {
            name: name.into(),
            path_pattern: pattern.into(),
            scheme,
            secret: secret.into(),
            tolerance_secs: None,
        }
    }

    fn profiles() -> Vec<Profile> {
        vec![
            profile("any", "*", Scheme::Github, "gh"),
            profile("smtm-prod", "/smtm/*", Scheme::Smtm, "smtm_whsec_prod"),
            profile(
                "smtm-staging",
                "/smtm/staging/*",
                Scheme::Smtm,
                "smtm_whsec_staging",
            ),
            profile("stripe", "/stripe", Scheme::Stripe, "whsec_s"),
        ]
    }

    fn smtm_headers(secret: &str, body: &[u8]) -> HeaderList {
        let p = SignParams {
            body,
            ..SignParams::default()
        };
        let mut h = HeaderList::from_pairs(sign(&Scheme::Smtm, secret, &p).unwrap().headers);
        h.push("X-SMTM-Event", "task.assigned");
        h
    }

    #[test]
    fn most_specific_pattern_wins() {
        let ps = profiles();
        assert_eq!(
            profile_for_path(&ps, "/smtm/staging/a").unwrap().name,
            "smtm-staging"
        );
        assert_eq!(profile_for_path(&ps, "/smtm/a").unwrap().name, "smtm-prod");
        assert_eq!(profile_for_path(&ps, "/stripe?x=1").unwrap().name, "stripe");
        assert_eq!(profile_for_path(&ps, "/other").unwrap().name, "any");
        assert!(profile_for_path(&ps[1..], "/other").is_none());
    }

    #[test]
    fn redaction() {
        assert_eq!(redact("whsec_abcd1234"), "••••1234");
        assert_eq!(redact("abcd"), "••••");
        assert_eq!(redact("ab"), "••••");
        assert_eq!(redact(""), "");
        assert_eq!(redact("ééééé€"), "••••ééé€");
        let dbg = format!("{:?}", profile("p", "*", Scheme::Smtm, "supersecretvalue"));
        assert!(!dbg.contains("supersecret") && dbg.contains("••••alue"));
    }

    #[test]
    fn verdicts() {
        let ps = profiles();
        let body = br#"{"event":"task.assigned"}"#;
        let h = smtm_headers("smtm_whsec_prod", body);
        let parts = RequestParts {
            method: "POST",
            url: "http://127.0.0.1:8787/smtm/a",
            headers: &h,
            body,
        };
        let e = evaluate(&ps, &parts, "/smtm/a", 0);
        assert_eq!(e.verdict, VerdictKind::Valid);
        assert_eq!(e.profile.as_deref(), Some("smtm-prod"));

        // Signed with the staging secret, arriving on the production path.
        let h = smtm_headers("smtm_whsec_staging", body);
        let parts = RequestParts { headers: &h, ..parts };
        let e = evaluate(&ps, &parts, "/smtm/a", 0);
        assert_eq!(e.verdict, VerdictKind::Invalid);
        assert_eq!(e.reason, "other_profile_secret");
        assert!(e.explanation.contains("'smtm-staging'"));

        // No path profile, same scheme elsewhere: that secret is tried.
        let only_smtm = &ps[1..2];
        let h = smtm_headers("smtm_whsec_prod", body);
        let parts = RequestParts { headers: &h, ..parts };
        let e = evaluate(only_smtm, &parts, "/elsewhere", 0);
        assert_eq!(e.verdict, VerdictKind::Valid);
        assert!(e.explanation.contains("smtm-prod"));

        // Nothing configured for the scheme.
        assert_eq!(evaluate(&[], &parts, "/x", 0).verdict, VerdictKind::NoSecret);
        assert_eq!(evaluate(&[], &parts, "/x", 0).reason, "no_secret");

        // No signature at all.
        let plain = HeaderList::from_pairs([("Content-Type", "application/json")]);
        let parts = RequestParts {
            headers: &plain,
            ..parts
        };
        assert_eq!(evaluate(&ps[1..], &parts, "/x", 0).verdict, VerdictKind::Unsigned);
        let companion = HeaderList::from_pairs([("X-SMTM-Event", "x")]);
        let parts = RequestParts {
            headers: &companion,
            ..parts
        };
        let e = evaluate(&[], &parts, "/x", 0);
        assert_eq!(
            (e.verdict, e.scheme.as_deref()),
            (VerdictKind::Unsigned, Some("smtm"))
        );
        assert_eq!(VerdictKind::NoSecret.as_str(), "no_secret");
        assert_eq!(
            crate::capture::Verdict::from(VerdictKind::Invalid),
            crate::capture::Verdict::Invalid
        );
    }

    #[test]
    fn serde_round_trip() {
        let ps = profiles();
        let json = serde_json::to_string(&ps).unwrap();
        assert!(json.contains("\"scheme\":\"smtm\""));
        let back: Vec<Profile> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ps);
    }
    #[test]
    fn profiles_that_could_never_work_or_would_break_output_are_refused() {
        let ok = profile("gh", "/gh/*", Scheme::Github, "s");
        assert_eq!(validate_profile(&ok), Ok(()));
        let refused = |p: Profile, says: &str| {
            let e = validate_profile(&p).unwrap_err();
            assert!(e.contains(says), "{e}");
        };
        refused(profile("a\nb", "*", Scheme::Github, "s"), "control character");
        refused(
            profile("a\u{1b}[2J", "*", Scheme::Github, "s"),
            "control character",
        );
        refused(
            profile("p", "no-slash", Scheme::Github, "s"),
            "matches no request",
        );
        refused(
            profile("p", "*", Scheme::Github, &"s".repeat(MAX_SECRET_BYTES + 1)),
            "at most 64 KiB",
        );
        let custom = |header: &str, template: &str| {
            Scheme::Custom(super::super::CustomScheme {
                header: header.into(),
                algorithm: super::super::HmacAlgorithm::Sha256,
                encoding: super::super::Encoding::Hex,
                prefix: String::new(),
                template: template.into(),
                timestamp_header: None,
                id_header: None,
            })
        };
        refused(
            profile("c", "*", custom("Bad Name", "{body}"), "s"),
            "not a valid header name",
        );
        refused(
            profile("c", "*", custom("X-Sig", "{nope}"), "s"),
            "unknown placeholder {nope}",
        );
        assert_eq!(
            validate_profile(&profile("c", "*", custom("X-Sig", "{body}"), "s")),
            Ok(())
        );
    }
}
