//! Background work for the window's file features: import, export, copy as curl, diff. Runs on
//! the backend worker thread, never on the UI thread.

use std::path::{Path, PathBuf};

use super::backend::EventSink;
use super::messages::AppEvent;
use crate::capture::{Capture, CaptureId, CaptureJson, diff_captures};
use crate::interchange::{CurlCommand, export_har, import, to_curl};
use crate::store::{Reader, WriterHandle};
use crate::ui::transfer::{ExportKind, ImportSource};

/// Import a file or pasted text in one transaction; report the new ids or one clear error.
pub fn import_source(
    runtime: &tokio::runtime::Handle,
    writer: &WriterHandle,
    sink: &EventSink,
    source: ImportSource,
) {
    let (bytes, what) = match source {
        ImportSource::File(path) => match std::fs::read(&path) {
            Ok(b) => (b, path.display().to_string()),
            Err(e) => {
                return sink.send(AppEvent::ImportFailed(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        },
        ImportSource::Text(b) => (b, "the pasted text".to_string()),
    };
    let captures = match import(&bytes) {
        Ok(c) => c,
        Err(e) => return sink.send(AppEvent::ImportFailed(format!("{what}: {e}"))),
    };
    let result = runtime.block_on(writer.insert_all(captures));
    match result {
        Ok(ids) => sink.send(AppEvent::Imported(ids)),
        Err(e) => sink.send(AppEvent::ImportFailed(format!(
            "{what}: nothing was imported: {e}"
        ))),
    }
}

/// Write captures (`ids`, or all) to `path` as HAR or NDJSON, completely or not at all.
pub fn export(reader: &Reader, sink: &EventSink, kind: ExportKind, ids: Option<Vec<CaptureId>>, path: &Path) {
    let captures = match ids {
        Some(ids) => reader.get_many(&ids),
        None => all_captures(reader),
    };
    let captures = match captures {
        Ok(c) => c,
        Err(e) => return sink.send(AppEvent::Error(format!("cannot read captures to export: {e}"))),
    };
    let text = match kind {
        ExportKind::Har => export_har(&captures),
        ExportKind::Ndjson => captures
            .iter()
            .filter_map(|c| serde_json::to_string(&CaptureJson::from_capture(c)).ok())
            .map(|line| line + "\n")
            .collect(),
    };
    match write_atomically(path, text.as_bytes()) {
        Ok(()) => sink.send(AppEvent::Info(format!(
            "exported {} captures to {}",
            captures.len(),
            path.display()
        ))),
        Err(e) => sink.send(AppEvent::Error(format!("cannot write {}: {e}", path.display()))),
    }
}

fn all_captures(reader: &Reader) -> Result<Vec<Capture>, crate::store::StoreError> {
    let mut all = Vec::new();
    let mut after = CaptureId(0);
    loop {
        let page = reader.captures_after(after, 1000)?;
        let Some(last) = page.last() else { return Ok(all) };
        after = last.id;
        all.extend(page);
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The curl command for a capture, for the clipboard. A body that cannot go inline is written to
/// `exports_dir` and the command reads it from there.
pub fn copy_curl(reader: &Reader, sink: &EventSink, id: CaptureId, exports_dir: &Path) {
    let c = match reader.get(id) {
        Ok(Some(c)) => c,
        Ok(None) => return sink.send(AppEvent::DetailMissing(id)),
        Err(e) => return sink.send(AppEvent::Error(format!("cannot read capture {id}: {e}"))),
    };
    let base = format!("http://{}", c.headers.get("host").unwrap_or("127.0.0.1:8787"));
    let CurlCommand {
        mut command,
        body_file,
    } = to_curl(&c, &base);
    let mut note = "curl command copied".to_string();
    if let Some(bytes) = body_file {
        let path: PathBuf = exports_dir.join(format!("hookscope-{id}-body.bin"));
        if let Err(e) =
            crate::store::create_private_dir(exports_dir).and_then(|()| write_atomically(&path, &bytes))
        {
            return sink.send(AppEvent::Error(format!(
                "cannot write the body file {}: {e}",
                path.display()
            )));
        }
        let quoted = crate::interchange::shell_quote(&path.display().to_string());
        command = command.replace(
            &format!("@{}", CurlCommand::BODY_FILE_NAME),
            &format!("@{quoted}"),
        );
        note = format!("curl command copied; it reads the body from {}", path.display());
    }
    sink.send(AppEvent::Clipboard { text: command, note });
}

/// Compare two captures off the UI thread.
pub fn diff(reader: &Reader, sink: &EventSink, left: CaptureId, right: CaptureId) {
    match (reader.get(left), reader.get(right)) {
        (Ok(Some(l)), Ok(Some(r))) => {
            sink.send(AppEvent::Diffed {
                left,
                right,
                diff: Box::new(diff_captures(&l, &r)),
            });
        }
        (Err(e), _) | (_, Err(e)) => {
            sink.send(AppEvent::Error(format!("cannot read captures to compare: {e}")));
        }
        _ => sink.send(AppEvent::Error(format!(
            "capture #{left} or #{right} no longer exists"
        ))),
    }
}
