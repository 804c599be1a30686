//! The "body-render" worker: pretty-printing, decoding and colouring bodies off the UI thread.
//! Only the newest request matters (the selection moved on): older queued jobs are skipped.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use super::backend::EventSink;
use super::messages::AppEvent;
use crate::body::{self, BodyKind};
use crate::ui::body_view::{BodyExtra, ImageData, JsonTreeData};
use crate::ui::code_view::CodeText;
use crate::ui::detail::{BodyMode, Pane, RenderKey};
use crate::ui::highlight::{Lang, highlight};

/// Hex dumps stop after this many bytes (the rest is summarised).
const HEX_MAX_BYTES: usize = 1024 * 1024;
/// Decoded (gunzipped...) views stop here: a zip bomb cannot eat the memory.
const DECODE_CAP: usize = 64 * 1024 * 1024;

/// Input of one job: the bytes and what is known about them.
#[derive(Debug, Clone)]
pub struct RenderJob {
    pub key: RenderKey,
    pub bytes: Arc<Vec<u8>>,
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    /// For [`Pane::Raw`]: the request head as text.
    pub head: Option<String>,
}

/// Handle to the worker.
pub struct Renderer {
    tx: SyncSender<RenderJob>,
}

impl Renderer {
    pub fn start(sink: EventSink) -> std::io::Result<Self> {
        let (tx, rx) = sync_channel::<RenderJob>(16);
        std::thread::Builder::new()
            .name("body-render".into())
            .spawn(move || run(&rx, &sink))?;
        Ok(Renderer { tx })
    }

    /// Queue a job; `false` when the queue is full (ask again next frame).
    pub fn request(&self, job: RenderJob) -> bool {
        !matches!(self.tx.try_send(job), Err(TrySendError::Full(_)))
    }
}

fn run(rx: &Receiver<RenderJob>, sink: &EventSink) {
    while let Ok(mut job) = rx.recv() {
        // Skip to the newest job.
        while let Ok(newer) = rx.try_recv() {
            job = newer;
        }
        let code = prepare(&job);
        sink.send(AppEvent::Rendered(Box::new((job.key, code))));
    }
}

/// Build the text for a job. Pure: used by the worker and by tests.
pub fn prepare(job: &RenderJob) -> CodeText {
    let dark = job.key.dark;
    match job.key.pane {
        Pane::Body(BodyMode::Hex) => CodeText::plain(body::hex_dump(&job.bytes, HEX_MAX_BYTES)),
        Pane::Body(_) | Pane::Response if job.bytes.is_empty() => CodeText::plain("(empty body)".into()),
        Pane::Body(BodyMode::Tree) => {
            let (decoded, note) = decode(job);
            add_note(tree(&decoded, job.content_type.as_deref(), dark), note)
        }
        Pane::Body(BodyMode::Text) => {
            let (decoded, note) = decode(job);
            CodeText::plain(body::text_lossy(&decoded)).with_note(note)
        }
        Pane::Body(BodyMode::Pretty) | Pane::Response => {
            let (decoded, note) = decode(job);
            add_note(pretty(&decoded, job.content_type.as_deref(), dark), note)
        }
        Pane::Raw => {
            let mut text = job.head.clone().unwrap_or_default();
            if body::looks_binary(&job.bytes) {
                text.push_str(&format!(
                    "[binary body, {} bytes — see Body › Hex]",
                    job.bytes.len()
                ));
            } else {
                text.push_str(&body::text_lossy(&job.bytes));
            }
            CodeText::plain(text)
        }
    }
}

fn decode(job: &RenderJob) -> (Vec<u8>, Option<String>) {
    let enc = job
        .content_encoding
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty() && *e != "identity");
    if enc.is_none() {
        return (job.bytes.to_vec(), None);
    }
    let d = body::decode_content_encoding(enc, &job.bytes, DECODE_CAP);
    let note = match (&d.error, d.truncated) {
        (Some(err), _) => Some(format!(
            "could not decode {}: {err}; showing the bytes as received",
            enc.unwrap_or("")
        )),
        (None, true) => Some(format!(
            "decoded from {} ({} bytes on the wire); the decoded view stops at {}",
            d.encodings.join(", "),
            job.bytes.len(),
            body::human_size(DECODE_CAP as u64)
        )),
        (None, false) => Some(format!(
            "decoded from {} — {} bytes on the wire, {} decoded",
            d.encodings.join(", "),
            job.bytes.len(),
            d.bytes.len()
        )),
    };
    (d.bytes, note)
}

fn pretty(bytes: &[u8], content_type: Option<&str>, dark: bool) -> CodeText {
    match body::classify(content_type, bytes) {
        BodyKind::Empty => CodeText::plain("(empty body)".into()),
        BodyKind::Json => match body::pretty_json(bytes) {
            Ok(text) => highlight(text, Lang::Json, dark),
            Err(e) => CodeText::plain(body::text_lossy(bytes)).with_note(Some(e.to_string())),
        },
        BodyKind::Xml => match body::pretty_xml(bytes) {
            Ok(text) => highlight(text, Lang::Xml, dark),
            Err(e) => CodeText::plain(body::text_lossy(bytes)).with_note(Some(e)),
        },
        BodyKind::Form => {
            let fields = body::form_fields(bytes);
            // Decoded control characters are shown escaped (`\n`, `\u{1}`): a `%0A` in a value
            // must not start a line that reads like another field.
            let text = fields
                .iter()
                .map(|(k, v)| format!("{} = {}", escape_controls(k), escape_controls(v)))
                .collect::<Vec<_>>()
                .join("\n");
            CodeText::plain(text).with_note(Some(format!("{} form fields (decoded)", fields.len())))
        }
        BodyKind::Multipart { boundary } => match body::multipart_parts(bytes, &boundary) {
            Ok(parts) => CodeText::plain(describe_parts(&parts)),
            Err(e) => CodeText::plain(body::text_lossy(bytes)).with_note(Some(e)),
        },
        BodyKind::Text => CodeText::plain(body::text_lossy(bytes)),
        BodyKind::Image { mime } => match decode_image(bytes, &mime) {
            Ok(image) => {
                let mut code = CodeText::plain(String::new()).with_note(Some(format!(
                    "{mime} image, {}",
                    body::human_size(bytes.len() as u64)
                )));
                code.extra = Some(BodyExtra::Image(Arc::new(image)));
                code
            }
            Err(e) => CodeText::plain(body::hex_dump(bytes, 4096)).with_note(Some(format!(
                "{mime}, {}: cannot show the image ({e}); the first bytes follow",
                body::human_size(bytes.len() as u64)
            ))),
        },
        BodyKind::Binary => CodeText::plain(body::hex_dump(bytes, HEX_MAX_BYTES))
            .with_note(Some(format!("binary, {} bytes", bytes.len()))),
    }
}

/// `text` with control characters spelled as escapes (`\n`, `\t`, `\u{1}`); the rest as is.
fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(crate::capture::clip::escape_controls(text, false))
}

/// Put the decoding note (if any) before the view's own note.
fn add_note(code: CodeText, decoding: Option<String>) -> CodeText {
    let note = match (decoding, code.note.clone()) {
        (Some(a), Some(b)) => Some(format!("{a} · {b}")),
        (a, b) => a.or(b),
    };
    code.with_note(note)
}

/// Most nodes the tree view holds (each is a row; the rest is left out with a note).
const MAX_TREE_NODES: usize = 500_000;
/// Images larger than this on a side are scaled down for display.
const MAX_TEXTURE_SIDE: u32 = 4096;

/// The collapsible tree for JSON; other bodies get the pretty view with a note.
fn tree(bytes: &[u8], content_type: Option<&str>, dark: bool) -> CodeText {
    if body::classify(content_type, bytes) != BodyKind::Json {
        let code = pretty(bytes, content_type, dark);
        let note = match &code.note {
            Some(n) => format!("the tree is for JSON bodies; showing the pretty view · {n}"),
            None => "the tree is for JSON bodies; showing the pretty view".to_string(),
        };
        return code.with_note(Some(note));
    }
    match body::json_tree(bytes, MAX_TREE_NODES) {
        Ok((nodes, truncated)) => {
            let note = truncated.then(|| format!("showing the first {MAX_TREE_NODES} values"));
            let mut code = CodeText::plain(String::new()).with_note(note);
            code.extra = Some(BodyExtra::Tree(Arc::new(JsonTreeData { nodes, truncated })));
            code
        }
        Err(e) => CodeText::plain(body::text_lossy(bytes)).with_note(Some(format!("not valid JSON: {e}"))),
    }
}

/// Decode an image with size limits (a hostile header cannot make it allocate gigabytes).
pub fn decode_image(bytes: &[u8], mime: &str) -> Result<ImageData, String> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(32_768);
    limits.max_image_height = Some(32_768);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| e.to_string())?;
    let original_size = [img.width() as usize, img.height() as usize];
    let img = if img.width() > MAX_TEXTURE_SIDE || img.height() > MAX_TEXTURE_SIDE {
        img.thumbnail(MAX_TEXTURE_SIDE, MAX_TEXTURE_SIDE)
    } else {
        img
    };
    let rgba = img.to_rgba8();
    let size = [rgba.width() as usize, rgba.height() as usize];
    Ok(ImageData {
        mime: mime.to_string(),
        image: egui::ColorImage::from_rgba_unmultiplied(size, rgba.as_raw()),
        original_size,
    })
}

fn describe_parts(parts: &[body::Part]) -> String {
    let mut out = String::new();
    for (i, p) in parts.iter().enumerate() {
        out.push_str(&format!(
            "-- part {} · name={} · filename={} · {} · {} bytes\n",
            i + 1,
            p.name.as_deref().unwrap_or("-"),
            p.filename.as_deref().unwrap_or("-"),
            p.content_type.as_deref().unwrap_or("text/plain"),
            p.body.len()
        ));
        if body::looks_binary(&p.body) {
            out.push_str(&body::hex_dump(&p.body, 512));
        } else {
            out.push_str(&body::text_lossy(&p.body));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
