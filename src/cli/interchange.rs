//! `export`, `import`, `curl` and `diff`.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::CliError;
use crate::capture::{Capture, CaptureId, CaptureJson, diff_captures};
use crate::engine::Engine;
use crate::interchange::{CurlCommand, export_har, import, to_curl};
use crate::store::{Reader, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Har,
    Ndjson,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// HAR 1.2 or NDJSON (one capture JSON object per line).
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Export only these captures (repeatable); all of them by default.
    #[arg(long = "id", value_name = "ID")]
    pub ids: Vec<CaptureId>,
    /// Where to write (`-` for stdout).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A HAR or NDJSON file, a curl command line or a raw HTTP request (`-` for stdin); the
    /// format is detected.
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct CurlArgs {
    pub id: CaptureId,
    /// Base URL to send to (default: `http://` + the capture's Host header).
    #[arg(long, value_name = "URL")]
    pub to: Option<String>,
    /// Where to write a body that cannot go inline (binary or over 64 KiB).
    #[arg(long, value_name = "FILE")]
    pub body_out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    pub left: CaptureId,
    pub right: CaptureId,
}

fn reader(dir: &Path) -> anyhow::Result<Reader> {
    match Store::open_existing(dir)? {
        Some(store) => Ok(store.reader()?),
        None => Err(CliError {
            message: "there are no captures yet".into(),
            code: 1,
        }
        .into()),
    }
}

fn get(reader: &Reader, id: CaptureId) -> anyhow::Result<Capture> {
    reader.get(id)?.ok_or_else(|| {
        CliError {
            message: format!("no capture with id {id}"),
            code: 1,
        }
        .into()
    })
}

/// Captures to export, oldest first: the named ones, or all of them a page at a time.
fn captures_for_export(reader: &Reader, ids: &[CaptureId]) -> anyhow::Result<Vec<Capture>> {
    if ids.is_empty() {
        let mut all = Vec::new();
        let mut after = CaptureId(0);
        loop {
            let page = reader.captures_after(after, 1000)?;
            let Some(last) = page.last() else { break };
            after = last.id;
            all.extend(page);
        }
        return Ok(all);
    }
    ids.iter().map(|id| get(reader, *id)).collect()
}

pub fn export(dir: &Path, args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let captures = match Store::open_existing(dir)? {
        Some(store) => captures_for_export(&store.reader()?, &args.ids)?,
        None if args.ids.is_empty() => Vec::new(),
        None => {
            return Err(CliError {
                message: "there are no captures yet".into(),
                code: 1,
            }
            .into());
        }
    };
    let text = match args.format {
        ExportFormat::Har => export_har(&captures),
        ExportFormat::Ndjson => {
            let mut s = String::new();
            for c in &captures {
                s.push_str(&serde_json::to_string(&CaptureJson::from_capture(c))?);
                s.push('\n');
            }
            s
        }
    };
    if args.output.as_os_str() == "-" {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| anyhow::anyhow!("cannot write the export to standard output: {e}"))?;
    } else {
        write_file(&args.output, text.as_bytes())?;
        eprintln!(
            "hookscope: exported {} captures to {}",
            captures.len(),
            args.output.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Write `bytes` to `path`. A regular file (or a symlink to one) is written completely or not
/// at all: a temporary file beside the real file, with the old file's permissions, renamed over
/// it, so the symlink stays a symlink. Anything else that exists (a FIFO, a device such as
/// `/dev/stdout`) is written through, and its write errors are reported.
pub fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let fail = |e: std::io::Error| CliError::usage(format!("cannot write {}: {e}", path.display()));
    let existing = match std::fs::metadata(path) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(fail(e).into()),
    };
    let dangling_link = existing.is_none() && std::fs::symlink_metadata(path).is_ok();
    match &existing {
        Some(m) if m.is_dir() => {
            return Err(
                CliError::usage(format!("cannot write {}: it is a directory", path.display())).into(),
            );
        }
        Some(m) if !m.is_file() => return write_through(path, bytes).map_err(|e| fail(e).into()),
        _ if dangling_link => return write_through(path, bytes).map_err(|e| fail(e).into()),
        _ => {}
    }
    let real = match &existing {
        Some(_) => std::fs::canonicalize(path).map_err(fail)?,
        None => path.to_path_buf(),
    };
    let dir = real
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    tmp.write_all(bytes).map_err(fail)?;
    if let Some(m) = &existing {
        tmp.as_file().set_permissions(m.permissions()).map_err(fail)?;
    }
    tmp.persist(&real).map_err(|e| fail(e.error))?;
    Ok(())
}

fn write_through(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    f.write_all(bytes)?;
    f.flush()
}

/// Largest input `import` reads: the parsed captures take several times its size in memory.
pub const MAX_IMPORT_BYTES: u64 = 512 * 1024 * 1024;

fn too_large(name: &str) -> CliError {
    CliError::usage(format!(
        "{name} is larger than {} MiB, more than one import reads; split it (NDJSON: by lines)",
        MAX_IMPORT_BYTES >> 20
    ))
}

pub fn import_command(dir: &Path, args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let (input, name) = if args.file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .take(MAX_IMPORT_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| CliError::usage(format!("cannot read stdin: {e}")))?;
        (buf, "stdin".to_string())
    } else {
        let name = args.file.display().to_string();
        let mut buf = Vec::new();
        let file = std::fs::File::open(&args.file)
            .map_err(|e| CliError::usage(format!("cannot read {name}: {e}")))?;
        // A regular file says its size: one too large is refused before any of it is read.
        if file
            .metadata()
            .is_ok_and(|m| m.is_file() && m.len() > MAX_IMPORT_BYTES)
        {
            return Err(too_large(&name).into());
        }
        file.take(MAX_IMPORT_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| CliError::usage(format!("cannot read {name}: {e}")))?;
        (buf, name)
    };
    if input.len() as u64 > MAX_IMPORT_BYTES {
        return Err(too_large(&name).into());
    }
    let captures = import(&input).map_err(|e| CliError {
        message: e.to_string(),
        code: 1,
    })?;
    let engine = Engine::open(dir)?;
    let runtime = crate::engine::runtime()?;
    let writer = engine.writer();
    let stored = runtime.block_on(writer.insert_all(captures));
    drop(runtime);
    engine.shutdown();
    let ids = stored?;
    let mut out = String::new();
    for id in &ids {
        out.push_str(&format!("{id}\n"));
    }
    outp!("{out}");
    eprintln!("hookscope: imported {} captures", ids.len());
    Ok(ExitCode::SUCCESS)
}

pub fn curl(dir: &Path, args: &CurlArgs) -> anyhow::Result<ExitCode> {
    let c = get(&reader(dir)?, args.id)?;
    let base = args
        .to
        .clone()
        .unwrap_or_else(|| format!("http://{}", c.headers.get("host").unwrap_or("127.0.0.1:8787")));
    let CurlCommand {
        mut command,
        body_file,
    } = to_curl(&c, &base);
    if let Some(bytes) = body_file {
        let path = args
            .body_out
            .clone()
            .unwrap_or_else(|| PathBuf::from(format!("hookscope-{}-body.bin", c.id)));
        if args.body_out.is_none() && path.exists() {
            return Err(CliError::usage(format!(
                "{} exists; choose where the body goes with --body-out FILE",
                path.display()
            ))
            .into());
        }
        write_file(&path, &bytes)?;
        let quoted = crate::interchange::shell_quote(&path.display().to_string());
        command = command.replace(
            &format!("@{}", CurlCommand::BODY_FILE_NAME),
            &format!("@{quoted}"),
        );
        eprintln!(
            "hookscope: the body ({} bytes) was written to {}",
            bytes.len(),
            path.display()
        );
    }
    outln!("{command}");
    Ok(ExitCode::SUCCESS)
}

pub fn diff(dir: &Path, args: &DiffArgs) -> anyhow::Result<ExitCode> {
    let reader = reader(dir)?;
    let (l, r) = (get(&reader, args.left)?, get(&reader, args.right)?);
    let d = diff_captures(&l, &r);
    outln!("--- capture {}\n+++ capture {}", l.id, r.id);
    outp!("{}", d.unified());
    if let Some(note) = &d.note {
        outln!("note: {note}");
    }
    // As diff(1): 0 when the two are the same, 1 when they differ.
    let same = d.request_line.is_empty() && d.header_changes() == 0 && d.body_identical;
    Ok(if same {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
