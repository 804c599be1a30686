//! The signature panel: a verdict stored without the search for a changed digit (receiving under
//! load) shows the answer of the check made again when the capture is opened.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests: a panic is a failed test

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use hookscope::capture::{Analysis, Capture, CaptureId, Verdict};
use hookscope::signature::{Evaluation, SEARCH_SKIPPED_NOTE, VerdictKind};
use hookscope::ui::signature::{VerifyWithForm, signature_ui};

fn panel(stored_explanation: String) -> Harness<'static> {
    let capture = Capture {
        id: CaptureId(7),
        method: "POST".into(),
        path: "/gh".into(),
        analysis: Analysis {
            scheme: Some("github".into()),
            verdict: Verdict::Invalid,
            reason: "wrong_secret".into(),
            explanation: stored_explanation,
            ..Analysis::default()
        },
        ..Capture::default()
    };
    let fresh = Evaluation {
        verdict: VerdictKind::Invalid,
        scheme: Some("github".into()),
        reason: "body_modified_one_byte".into(),
        explanation: "the body was changed after signing: byte 6 is '8' but the signature matches '7' there"
            .into(),
        profile: Some("gh".into()),
        detail: None,
    };
    Harness::new_ui(move |ui| {
        let mut form = VerifyWithForm::default();
        let mut intents = Vec::new();
        signature_ui(ui, &capture, Some(&fresh), &mut form, &mut intents);
    })
}

#[test]
fn a_verdict_stored_without_the_search_shows_the_check_made_now() {
    let h = panel(format!("the signature does not match ({SEARCH_SKIPPED_NOTE})"));
    h.get_by_label("Checked again now, with the full search: body_modified_one_byte");
    h.get_by_label_contains("byte 6 is '8'");
}

#[test]
fn a_verdict_stored_with_the_search_is_shown_alone() {
    let h = panel("the signature does not match: wrong secret, or the body changed after signing".into());
    assert!(h.query_by_label_contains("Checked again now").is_none());
}
