//! `list`, `show`, `stats`, `clear`.

use std::path::Path;
use std::process::ExitCode;

use super::{CliError, ListArgs, ShowArgs, out};
use crate::capture::clip::escape_controls;
use crate::capture::filter::Flag;
use crate::capture::{Capture, CaptureJson, Summary, format_rfc3339_us};
use crate::store::{Reader, Stats, Store};

/// `list` without `--limit` and without `--filter`.
const DEFAULT_LIST_LIMIT: usize = 50;

fn open_reader(dir: &Path) -> anyhow::Result<Option<Reader>> {
    Ok(match Store::open_existing(dir)? {
        Some(store) => Some(store.reader()?),
        None => None,
    })
}

pub fn list(dir: &Path, args: &ListArgs) -> anyhow::Result<ExitCode> {
    let filter = args
        .filter
        .as_deref()
        .map(crate::capture::filter::Filter::parse)
        .transpose()
        .map_err(|e| CliError::usage(format!("--filter: {e}")))?;
    let Some(reader) = open_reader(dir)? else {
        if !args.json {
            out("no captures yet\n");
        }
        return Ok(ExitCode::SUCCESS);
    };
    let summaries = match &filter {
        Some(f) => super::filter::matching_summaries(dir, &reader, f, args.limit)?,
        None => reader.latest(args.limit.unwrap_or(DEFAULT_LIST_LIMIT))?,
    };
    let mut text = String::new();
    if args.json {
        let ids: Vec<_> = summaries.iter().map(|s| s.id).collect();
        for c in reader.get_many(&ids)? {
            text.push_str(&serde_json::to_string(&CaptureJson::from_capture(&c))?);
            text.push('\n');
        }
    } else if summaries.is_empty() {
        match &args.filter {
            Some(f) => text.push_str(&format!("no captures match `{f}`\n")),
            None => text.push_str("no captures yet\n"),
        }
    } else {
        text.push_str(&format!(
            "{:>7}  {:<27} {:<7} {:>6} {:>10}  {:<20} {:<24} {}\n",
            "ID", "RECEIVED", "METHOD", "STATUS", "SIZE", "SIGNATURE", "EVENT", "PATH"
        ));
        for s in &summaries {
            text.push_str(&summary_line(s));
        }
    }
    out(&text);
    Ok(ExitCode::SUCCESS)
}

/// Text from a request on one terminal line: control characters (line breaks, escapes) spelled
/// out.
fn one_line(text: &str) -> String {
    escape_controls(text, false)
}

fn summary_line(s: &Summary) -> String {
    let status = s.status.map_or_else(|| "-".to_string(), |c| c.to_string());
    let flags: Vec<String> = s
        .flags()
        .map(|f| match (f, s.duplicate_of) {
            (Flag::Duplicate, Some(first)) => format!("[duplicate of {first}]"),
            _ => format!("[{}]", f.as_str()),
        })
        .collect();
    let flags = if flags.is_empty() {
        String::new()
    } else {
        format!("  {}", flags.join("  "))
    };
    let signature = match &s.scheme {
        Some(scheme) => format!("{} {scheme}", s.verdict.as_str()),
        None => s.verdict.as_str().to_string(),
    };
    // Method, event and target come from outside: escaped, so a row is one line and cannot
    // drive the terminal.
    format!(
        "{:>7}  {:<27} {:<7} {:>6} {:>10}  {:<20} {:<24} {}{flags}\n",
        s.id.0,
        format_rfc3339_us(s.received_at_us),
        one_line(&s.method),
        status,
        s.body_len,
        signature,
        one_line(s.event.as_deref().unwrap_or("-")),
        one_line(&s.target)
    )
}

pub fn show(dir: &Path, args: &ShowArgs) -> anyhow::Result<ExitCode> {
    let capture = match open_reader(dir)? {
        Some(reader) => reader.get(args.id)?,
        None => None,
    };
    let Some(c) = capture else {
        return Err(CliError {
            message: format!("no capture with id {}", args.id),
            code: 1,
        }
        .into());
    };
    if args.json {
        out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&CaptureJson::from_capture(&c))?
        ));
    } else {
        out(&describe(&c));
    }
    Ok(ExitCode::SUCCESS)
}

/// Human-readable view of a capture: overview, headers, body.
fn describe(c: &Capture) -> String {
    let mut s = format!(
        "capture {}  {}\n{} {} {}\nfrom {}  ·  answered {}  ·  body {} bytes{}\n\n",
        c.id,
        format_rfc3339_us(c.received_at_us),
        one_line(&c.method),
        one_line(&c.target()),
        one_line(&c.http_version),
        one_line(c.remote_addr.as_deref().unwrap_or("-")),
        c.status().map_or_else(|| "-".into(), |s| s.to_string()),
        c.body_len,
        if c.oversized {
            " (oversized: only the first bytes were kept)"
        } else if c.incomplete() {
            " (incomplete: the client stopped or disconnected mid-body; this is what arrived)"
        } else if c.malformed() {
            " (malformed: refused as not valid HTTP/1.1; the body is the bytes of its head that arrived)"
        } else {
            ""
        },
    );
    for h in &c.headers {
        s.push_str(&format!(
            "{}: {}\n",
            one_line(&h.name),
            one_line(&h.value_lossy())
        ));
    }
    s.push('\n');
    let decoded = decoded_body(c);
    if let Some((note, text)) = &decoded {
        let text = escape_controls(text, true);
        s.push_str(note);
        s.push('\n');
        s.push_str(&text);
        if !text.ends_with('\n') && !text.is_empty() {
            s.push('\n');
        }
        return s;
    }
    match c.body_text() {
        Some(text) => {
            let text = escape_controls(text, true);
            s.push_str(&text);
            if !text.ends_with('\n') && !text.is_empty() {
                s.push('\n');
            }
        }
        None => s.push_str(&format!(
            "(binary body, {} bytes; use --json for body_base64)\n",
            c.body.len()
        )),
    }
    s
}

pub fn stats(dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let stats = match open_reader(dir)? {
        Some(reader) => reader.stats()?,
        None => Stats::default(),
    };
    if json {
        out(&format!("{}\n", super::filter::stats_json(dir, &stats)?));
    } else {
        let mut s = format!(
            "captures: {}\nbody bytes: {}\nfirst: {}\nlast: {}\noversized: {}\nimported: {}\n",
            stats.captures,
            stats.body_bytes,
            stats.first_received_at.as_deref().unwrap_or("-"),
            stats.last_received_at.as_deref().unwrap_or("-"),
            stats.oversized,
            stats.imported
        );
        for (m, n) in &stats.methods {
            s.push_str(&format!("method {m}: {n}\n"));
        }
        for (code, n) in &stats.statuses {
            s.push_str(&format!("answered {code}: {n}\n"));
        }
        out(&s);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn clear(dir: &Path) -> anyhow::Result<ExitCode> {
    let Some(store) = Store::open_existing(dir)? else {
        out("deleted 0 captures\n");
        return Ok(ExitCode::SUCCESS);
    };
    let conn = store.connect_rw()?;
    let n = crate::store::clear(&conn)?;
    // Give the space back to the file system (in steps: a running receiver keeps going).
    while crate::store::retention::compact_step(&conn, 4096)? == crate::store::retention::Compacted::More {}
    out(&format!("deleted {n} captures\n"));
    Ok(ExitCode::SUCCESS)
}

/// The body decoded from its `Content-Encoding` for reading (the stored bytes stay as sent;
/// `--json` shows those). `None` when nothing is encoded.
fn decoded_body(c: &Capture) -> Option<(String, String)> {
    const SHOW_CAP: usize = 16 * 1024 * 1024;
    let enc = c
        .headers
        .get("content-encoding")
        .map(str::trim)
        .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("identity"))?;
    let d = crate::body::decode_content_encoding(Some(enc), &c.body, SHOW_CAP);
    if let Some(err) = d.error {
        return Some((
            format!("(could not decode {enc}: {err}; the bytes as received follow)"),
            crate::body::text_lossy(&c.body),
        ));
    }
    let cut = if d.truncated { ", cut at 16 MiB" } else { "" };
    let note = format!(
        "(decoded from {enc}: {} bytes on the wire, {} decoded{cut})",
        c.body.len(),
        d.bytes.len()
    );
    let text = if crate::body::looks_binary(&d.bytes) {
        format!("(binary, {} bytes; use --json for the wire bytes)", d.bytes.len())
    } else {
        crate::body::text_lossy(&d.bytes)
    };
    Some((note, text))
}
