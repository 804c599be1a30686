//! egui only: panels and widgets as `*_ui` functions. No tokio, no rusqlite, no IO: user
//! actions come back as [`Intent`]s for the app to carry out.

pub mod attempt_view;
pub mod body_view;
pub mod code_view;
pub mod control;
pub mod deliveries;
pub mod detail;
pub mod diff;
pub mod highlight;
pub mod list;
pub mod list_model;
pub mod profiles;
pub mod replay;
pub mod rules;
pub mod send_panel;
pub mod signature;
pub mod signing_choice;
pub mod stats;
pub mod status_bar;
pub mod subscriptions;
pub mod transfer;

use crate::capture::CaptureId;
use crate::signature::{Profile, Scheme};

/// What the user asked for in this frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Intent {
    Select(CaptureId),
    StartReceiver,
    StopReceiver,
    /// Restart the receiver on this port.
    ChangePort(u16),
    ClearAll,
    Delete(Vec<CaptureId>),
    CopyText(String),
    /// Filter, rules, stats, retention.
    Control(control::ControlIntent),
    /// Try a secret on a capture without saving it.
    VerifyWith {
        id: CaptureId,
        scheme: Scheme,
        secret: String,
        tolerance_secs: Option<u64>,
    },
    SaveProfile {
        profile: Box<Profile>,
        replace: Option<String>,
    },
    RemoveProfile(String),
    Import(transfer::ImportSource),
    Export {
        kind: transfer::ExportKind,
        ids: Option<Vec<CaptureId>>,
        path: std::path::PathBuf,
    },
    CopyCurl(CaptureId),
    /// A sortable column header was clicked.
    SortBy(crate::capture::sort::SortKey),
    /// Remember this capture as the left side of a diff.
    MarkForDiff(CaptureId),
    Diff {
        left: CaptureId,
        right: CaptureId,
    },
}

/// Colours used for statuses and methods, readable on both themes.
pub mod palette {
    use egui::Color32;

    pub fn status(code: Option<u16>) -> Color32 {
        match code {
            Some(200..=299) => Color32::from_rgb(0x3f, 0xb9, 0x50),
            Some(300..=399) => Color32::from_rgb(0x58, 0xa6, 0xff),
            Some(400..=499) => Color32::from_rgb(0xd2, 0x99, 0x22),
            Some(_) => Color32::from_rgb(0xf8, 0x51, 0x49),
            None => Color32::GRAY,
        }
    }

    pub fn method(m: &str) -> Color32 {
        match m {
            "GET" => Color32::from_rgb(0x58, 0xa6, 0xff),
            "POST" => Color32::from_rgb(0x3f, 0xb9, 0x50),
            "PUT" | "PATCH" => Color32::from_rgb(0xd2, 0x99, 0x22),
            "DELETE" => Color32::from_rgb(0xf8, 0x51, 0x49),
            _ => Color32::from_rgb(0xa3, 0x71, 0xf7),
        }
    }

    pub const WARN: Color32 = Color32::from_rgb(0xd2, 0x99, 0x22);
    pub const TEST: Color32 = Color32::from_rgb(0x58, 0xa6, 0xff);
    pub const ERROR: Color32 = Color32::from_rgb(0xf8, 0x51, 0x49);
}

/// Local time of a capture, `HH:MM:SS.mmm`.
/// A label and the widget it names (for screen readers and tests).
pub(crate) fn labelled(ui: &mut egui::Ui, label: &str, widget: impl egui::Widget) -> egui::Response {
    let l = ui.label(label);
    ui.add(widget).labelled_by(l.id)
}

pub fn short_time(us: i64) -> String {
    let Ok(ts) = jiff::Timestamp::from_microsecond(us) else {
        return "—".into();
    };
    let zoned = ts.to_zoned(jiff::tz::TimeZone::system());
    zoned.strftime("%H:%M:%S%.3f").to_string()
}
