//! `hookscope replay ID --to URL`: send a stored capture again, optionally edited and re-signed.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use base64::Engine as _;
use clap::{Args, ValueEnum};

use super::CliError;
use crate::capture::{CaptureId, HeaderList};
use crate::engine::Engine;
use crate::send::{
    Attempt, AttemptKind, Client, ClientConfig, HeaderEdit, PathSource, ReplayPlan, Resign, build_replay,
    parse_header_arg,
};
use crate::signature::Scheme;
use crate::store::get_profile;
use crate::store::outgoing::{NewAttempt, insert_attempt};

/// Where the request path comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PathFrom {
    /// The target URL's path when it has one, else the capture's.
    Auto,
    /// Always the capture's path and query.
    Capture,
    /// Always the target URL as given.
    Target,
}

impl From<PathFrom> for PathSource {
    fn from(p: PathFrom) -> Self {
        match p {
            PathFrom::Auto => PathSource::Auto,
            PathFrom::Capture => PathSource::Capture,
            PathFrom::Target => PathSource::Target,
        }
    }
}

#[derive(Debug, Args)]
#[command(after_help = "\
Headers are sent in the captured order and case; Host and Content-Length are recomputed, \
Connection/Keep-Alive/Transfer-Encoding dropped. --remove-header is applied before --header. \
Exit status: 0 when the target answered 2xx, 1 otherwise (non-2xx or no answer), 2 on a usage error.")]
pub struct ReplayArgs {
    /// Capture id (as shown by `list`).
    pub id: CaptureId,
    /// Where to send it: an http or https URL.
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// Take the path and query from the capture or from --to.
    #[arg(long, value_enum, default_value_t = PathFrom::Auto)]
    pub path_from: PathFrom,
    /// Send this file's bytes as the body instead of the captured body.
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,
    /// Add or replace a header (repeatable).
    #[arg(long = "header", value_name = "'NAME: VALUE'")]
    pub headers: Vec<String>,
    /// Remove every header of this name (repeatable).
    #[arg(long = "remove-header", value_name = "NAME")]
    pub remove_headers: Vec<String>,
    /// Recompute the signature (and its timestamp/id headers) so the edited request verifies.
    #[arg(long)]
    pub re_sign: bool,
    /// Re-sign with this stored signing profile's scheme and secret.
    #[arg(long, value_name = "NAME", requires = "re_sign", conflicts_with_all = ["scheme", "secret"])]
    pub profile: Option<String>,
    /// Re-sign with this scheme (stripe, github, smtm, maintainx, standard-webhooks, ...).
    #[arg(long, value_name = "SCHEME", requires = "re_sign")]
    pub scheme: Option<String>,
    /// The signing secret for --scheme.
    #[arg(long, value_name = "SECRET", value_parser = super::secret_arg)]
    pub secret: Option<crate::signature::Secret>,
    /// Keep the capture's timestamp and message id instead of fresh ones.
    #[arg(long, requires = "re_sign")]
    pub keep_timestamp: bool,
    /// Give up waiting for the complete response after this many seconds.
    #[arg(long, default_value_t = crate::send::DEFAULT_TIMEOUT_SECS, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..=super::MAX_TIMEOUT_SECS))]
    pub timeout_secs: u64,
    /// Follow 3xx redirects (by default the redirect itself is the answer). A redirect to
    /// another origin drops signature, Authorization and Cookie headers.
    #[arg(long)]
    pub follow_redirects: bool,
    /// With --follow-redirects: send signature and credential headers to other origins too.
    #[arg(long, requires = "follow_redirects")]
    pub keep_signature_on_redirect: bool,
    /// Print the attempt as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Every signing profile's signature header, and the one re-signing adds: dropped like the
/// built-in ones when a followed redirect leaves the origin.
fn profile_signature_headers(engine: &Engine, resign: Option<&str>) -> anyhow::Result<Vec<String>> {
    let reader = engine.store().reader()?;
    let mut names: Vec<String> = crate::store::list_profiles(reader.connection())?
        .iter()
        .map(|p| p.scheme.signature_header().to_string())
        .collect();
    names.extend(resign.map(str::to_owned));
    Ok(names)
}

/// The resign settings from `--profile` or `--scheme`/`--secret`.
pub(crate) fn signing_from_args(
    engine: &Engine,
    profile: Option<&str>,
    scheme: Option<&str>,
    secret: Option<&str>,
) -> anyhow::Result<Option<(Scheme, String)>> {
    if let Some(name) = profile {
        let reader = engine.store().reader()?;
        let Some(p) = get_profile(reader.connection(), name)? else {
            return Err(CliError::usage(format!("no signing profile named '{name}'")).into());
        };
        return Ok(Some((p.scheme, p.secret)));
    }
    let Some(scheme_name) = scheme else {
        return Ok(None);
    };
    let scheme = parse_scheme(scheme_name)?;
    let Some(secret) = secret else {
        return Err(CliError::usage(format!(
            "--scheme {scheme_name} needs --secret (or use --profile NAME)"
        ))
        .into());
    };
    Ok(Some((scheme, secret.to_string())))
}

pub(crate) fn parse_scheme(name: &str) -> Result<Scheme, CliError> {
    Scheme::parse(name).ok_or_else(|| {
        let known: Vec<_> = Scheme::all_builtin().iter().map(Scheme::name).collect();
        CliError::usage(format!("unknown scheme '{name}'; known: {}", known.join(", ")))
    })
}

pub fn run(dir: &Path, args: &ReplayArgs) -> anyhow::Result<ExitCode> {
    if crate::store::Store::open_existing(dir)?.is_none() {
        return Err(CliError {
            message: format!("no capture with id {} (no history in {})", args.id, dir.display()),
            code: 1,
        }
        .into());
    }
    let engine = Engine::open(dir)?;
    let result = replay(&engine, args);
    engine.shutdown();
    result
}

fn replay(engine: &Engine, args: &ReplayArgs) -> anyhow::Result<ExitCode> {
    let Some(capture) = engine.store().reader()?.get(args.id)? else {
        return Err(CliError {
            message: format!("no capture with id {}", args.id),
            code: 1,
        }
        .into());
    };
    let mut edits: Vec<HeaderEdit> = args
        .remove_headers
        .iter()
        .map(|n| HeaderEdit::Remove {
            name: n.trim().to_string(),
        })
        .collect();
    for h in &args.headers {
        let (name, value) = parse_header_arg(h).map_err(CliError::usage)?;
        edits.push(HeaderEdit::Set { name, value });
    }
    let body = match &args.body_file {
        Some(path) => Some(super::read_body_file(path)?),
        None => None,
    };
    let resign = if args.re_sign {
        let Some((scheme, secret)) = signing_from_args(
            engine,
            args.profile.as_deref(),
            args.scheme.as_deref(),
            args.secret.as_ref().map(crate::signature::Secret::expose),
        )?
        else {
            return Err(
                CliError::usage("--re-sign needs --profile NAME, or --scheme S with --secret K").into(),
            );
        };
        Some(Resign {
            scheme,
            secret,
            keep_original: args.keep_timestamp,
        })
    } else {
        None
    };
    let plan = ReplayPlan {
        target: args.to.clone(),
        path: args.path_from.into(),
        headers: None,
        edits,
        body,
        resign,
    };
    let now = crate::capture::now_us() / 1_000_000;
    // Only a followed redirect that drops signatures needs to know the profiles' headers.
    let signature_headers = if args.follow_redirects && !args.keep_signature_on_redirect {
        let resign_header = plan.resign.as_ref().map(|r| r.scheme.signature_header());
        profile_signature_headers(engine, resign_header)?
    } else {
        Vec::new()
    };
    let request = build_replay(&capture, &plan, now).map_err(|e| CliError::usage(e.to_string()))?;
    if capture.incomplete() && plan.body.is_none() {
        eprintln!(
            "hookscope: note: capture {} is incomplete (the client stopped mid-body{}); only the {} \
             bytes that arrived are sent, with a Content-Length to match (--body-file sends another body)",
            capture.id,
            capture
                .declared_len
                .map_or_else(String::new, |n| format!(", {n} bytes were declared")),
            capture.body.len()
        );
    }
    let client = Client::new(ClientConfig {
        timeout: Duration::from_secs(args.timeout_secs),
        follow_redirects: args.follow_redirects,
        ..ClientConfig::default()
    })
    .keep_signatures_on_redirect(args.keep_signature_on_redirect)
    .signature_headers(signature_headers);
    let runtime = crate::engine::runtime()?;
    let attempt = runtime.block_on(client.send(&request));
    drop(runtime);
    let stored = NewAttempt {
        capture_id: Some(capture.id),
        delivery_id: capture.analysis.delivery_id.clone(),
        kind: AttemptKind::Replay,
        number: 1,
        attempt: attempt.clone(),
    };
    let saved = engine
        .writer()
        .call_blocking(move |conn, _| insert_attempt(conn, &stored));
    print_attempt(&attempt, args.json)?;
    if let Err(e) = saved {
        eprintln!("hookscope: warning: the attempt could not be recorded: {e}");
    }
    Ok(if attempt.succeeded() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `[name, value]` pairs, values as text (lossy for non-UTF-8 bytes).
pub(crate) fn header_pairs(h: &HeaderList) -> Vec<(String, String)> {
    h.iter()
        .map(|h| (h.name.clone(), h.value_lossy().into_owned()))
        .collect()
}

/// Most of a response body printed on a terminal; the attempt stores all of it.
const PRINTED_BODY_BYTES: usize = 64 * 1024;

/// A text response body as printed: at most [`PRINTED_BODY_BYTES`] (with a note of what was
/// left out), and control characters other than line breaks and tabs escaped, so a response
/// cannot move the cursor or retitle the terminal.
fn printable_body(body: &str) -> String {
    let mut end = body.len().min(PRINTED_BODY_BYTES);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = crate::capture::clip::escape_controls(&body[..end], true);
    if end < body.len() {
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!(
            "… {} more bytes not shown (stored with the attempt; --json prints them all)\n",
            body.len() - end
        ));
    }
    out
}

fn print_attempt(a: &Attempt, json: bool) -> anyhow::Result<()> {
    let mut text = String::new();
    if json {
        let value = serde_json::json!({
            "target": a.target,
            "status": a.status,
            "latency_ms": (a.latency_ms() * 1000.0).round() / 1000.0,
            "response_headers": header_pairs(&a.response_headers),
            "response_body_base64": base64::engine::general_purpose::STANDARD.encode(&a.response_body),
            "error": a.error.as_ref().map(|e| e.message.clone()),
            "error_kind": a.error.as_ref().map(|e| e.kind),
            "redirects": a.redirects,
        });
        text.push_str(&serde_json::to_string(&value)?);
        text.push('\n');
    } else {
        for hop in &a.redirects {
            text.push_str(&format!("{} {} (followed)\n", hop.status, hop.url));
        }
        text.push_str(&format!("{} {}\n", a.request.method, a.target));
        text.push_str(&format!("{}\n", a.describe()));
        if a.status.is_some() {
            for h in &a.response_headers {
                text.push_str(&format!("{}: {}\n", h.name, h.value_lossy()));
            }
            text.push('\n');
            match std::str::from_utf8(&a.response_body) {
                Ok(body) => {
                    let shown = printable_body(body);
                    text.push_str(&shown);
                    if !shown.is_empty() && !shown.ends_with('\n') {
                        text.push('\n');
                    }
                }
                Err(_) => text.push_str(&format!(
                    "(binary response body, {} bytes)\n",
                    a.response_body.len()
                )),
            }
        }
    }
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_bodies_are_capped_and_cannot_drive_the_terminal() {
        assert_eq!(printable_body("ok\n"), "ok\n");
        assert_eq!(
            printable_body("a\u{1b}]0;pwned\u{7}b\tc"),
            "a\\u{1b}]0;pwned\\u{7}b\tc"
        );
        let big = "é".repeat(PRINTED_BODY_BYTES);
        let shown = printable_body(&big);
        assert!(shown.len() < PRINTED_BODY_BYTES + 200);
        assert!(shown.ends_with("more bytes not shown (stored with the attempt; --json prints them all)\n"));
        assert!(shown.contains(&format!("… {} more bytes", big.len() - PRINTED_BODY_BYTES)));
    }
}
