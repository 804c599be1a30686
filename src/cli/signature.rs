//! `verify`, `sign` and `profile add|list|remove`.

use std::io::{BufRead as _, IsTerminal as _, Read as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::CliError;
use crate::capture::{Capture, CaptureId, HeaderList, now_us};
use crate::engine::Engine;
use crate::signature::{
    CustomScheme, Encoding, HmacAlgorithm, Profile, RequestParts, Scheme, SignInputs, SignParams,
    Verification, VerifyOptions, detect, diagnose, inputs_from_headers, redact, sign,
};
use crate::store::{Store, get_profile, list_profiles, remove_profile, save_profile};

/// Which scheme and secret: `--scheme` + `--secret`/`--secret-env`, or a stored `--profile`.
#[derive(Debug, Args, Default)]
pub struct KeyArgs {
    /// Signature scheme (standard-webhooks, svix, stripe, github, slack, twilio, shopify, paddle, zoom,
    /// twitch, hubspot-v3, square, typeform, linear, intercom, maintainx, smtm, custom).
    #[arg(long, value_name = "SCHEME")]
    pub scheme: Option<String>,
    /// The signing secret, exactly as the provider shows it.
    #[arg(long, value_name = "SECRET", conflicts_with = "secret_env", value_parser = super::secret_arg)]
    pub secret: Option<crate::signature::Secret>,
    /// Read the secret from this environment variable instead.
    #[arg(long, value_name = "VAR")]
    pub secret_env: Option<String>,
    /// Use a stored signing profile's scheme, secret and tolerance.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["scheme", "secret", "secret_env"])]
    pub profile: Option<String>,
    #[command(flatten)]
    pub custom: CustomArgs,
}

/// The definition of `--scheme custom`.
#[derive(Debug, Args, Default)]
pub struct CustomArgs {
    /// custom: the signature header's name.
    #[arg(long, value_name = "NAME")]
    pub custom_header: Option<String>,
    /// custom: sha1, sha256 or sha512.
    #[arg(long, value_name = "ALG", default_value = "sha256")]
    pub custom_algorithm: String,
    /// custom: hex or base64.
    #[arg(long, value_name = "ENC", default_value = "hex")]
    pub custom_encoding: String,
    /// custom: literal text before the MAC, e.g. `sha256=`.
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub custom_prefix: String,
    /// custom: the signed message; placeholders {body} {timestamp} {id} {method} {url}.
    #[arg(long, value_name = "TEMPLATE", default_value = "{body}")]
    pub custom_template: String,
    /// custom: header holding {timestamp}.
    #[arg(long, value_name = "NAME")]
    pub custom_timestamp_header: Option<String>,
    /// custom: header holding {id}.
    #[arg(long, value_name = "NAME")]
    pub custom_id_header: Option<String>,
}

/// The request: flags, or a stored capture.
#[derive(Debug, Args, Default)]
pub struct RequestArgs {
    /// Use a stored capture's method, URL, headers and body.
    #[arg(long, value_name = "ID")]
    pub capture: Option<CaptureId>,
    /// HTTP method (signed by hubspot-v3).
    #[arg(long, value_name = "METHOD")]
    pub method: Option<String>,
    /// The full URL the provider called (signed by twilio, hubspot-v3, square).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// A request header, `Name: value` (repeatable; the value is kept whole).
    #[arg(long = "header", value_name = "'Name: value'")]
    pub headers: Vec<String>,
    /// The body bytes (`-` for stdin).
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub key: KeyArgs,
    #[command(flatten)]
    pub request: RequestArgs,
    /// The verifier's clock, Unix seconds (default: the system clock).
    #[arg(long, value_name = "UNIX")]
    pub now: Option<i64>,
    /// Override the scheme's timestamp tolerance.
    #[arg(long, value_name = "SECS")]
    pub tolerance_secs: Option<u64>,
    /// Print `{"valid", "scheme", "reason", "explanation"}`.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    #[command(flatten)]
    pub key: KeyArgs,
    #[command(flatten)]
    pub request: RequestArgs,
    /// Timestamp to sign with: Unix seconds (milliseconds for hubspot-v3) or RFC 3339 (twitch).
    /// Default: now, or the request's own when `--header`s carry it.
    #[arg(long, value_name = "T")]
    pub timestamp: Option<String>,
    /// Message id (standard-webhooks, svix, twitch, custom {id}); default: fresh, or the request's own.
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,
    /// Print an object of header name → value.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Add (or with --replace, change) a signing profile. The secret comes from --secret-env or
    /// stdin and is never echoed.
    Add(Box<ProfileAddArgs>),
    /// List profiles (secrets redacted).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a profile.
    Remove { name: String },
}

#[derive(Debug, Args)]
pub struct ProfileAddArgs {
    pub name: String,
    /// Scheme name, or `custom` with the --custom-* flags.
    #[arg(long, value_name = "SCHEME")]
    pub scheme: String,
    /// Request paths this profile applies to (glob).
    #[arg(long, value_name = "GLOB", default_value = "*")]
    pub path: String,
    /// Read the secret from this environment variable (otherwise from stdin).
    #[arg(long, value_name = "VAR")]
    pub secret_env: Option<String>,
    /// Override the scheme's timestamp tolerance.
    #[arg(long, value_name = "SECS")]
    pub tolerance_secs: Option<u64>,
    /// Replace an existing profile of this name.
    #[arg(long)]
    pub replace: bool,
    #[command(flatten)]
    pub custom: CustomArgs,
}

fn usage(message: impl Into<String>) -> anyhow::Error {
    CliError::usage(message).into()
}

fn parse_scheme(name: &str, custom: &CustomArgs) -> anyhow::Result<Scheme> {
    if name.trim().eq_ignore_ascii_case("custom") {
        let algorithm = match custom.custom_algorithm.to_ascii_lowercase().as_str() {
            "sha1" => HmacAlgorithm::Sha1,
            "sha256" => HmacAlgorithm::Sha256,
            "sha512" => HmacAlgorithm::Sha512,
            other => {
                return Err(usage(format!(
                    "unknown --custom-algorithm '{other}' (sha1, sha256, sha512)"
                )));
            }
        };
        let encoding = match custom.custom_encoding.to_ascii_lowercase().as_str() {
            "hex" => Encoding::Hex,
            "base64" | "b64" => Encoding::Base64,
            other => {
                return Err(usage(format!(
                    "unknown --custom-encoding '{other}' (hex, base64)"
                )));
            }
        };
        let header = custom
            .custom_header
            .clone()
            .ok_or_else(|| usage("--scheme custom needs --custom-header NAME"))?;
        return Ok(Scheme::Custom(CustomScheme {
            header,
            algorithm,
            encoding,
            prefix: custom.custom_prefix.clone(),
            template: custom.custom_template.clone(),
            timestamp_header: custom.custom_timestamp_header.clone(),
            id_header: custom.custom_id_header.clone(),
        }));
    }
    Scheme::parse(name).ok_or_else(|| {
        let names: Vec<&str> = Scheme::all_builtin().iter().map(Scheme::name).collect();
        usage(format!(
            "unknown scheme '{name}'; one of: {}, custom",
            names.join(", ")
        ))
    })
}

fn secret_from_env(var: &str) -> anyhow::Result<String> {
    std::env::var(var).map_err(|_| usage(format!("environment variable {var} is not set (or not UTF-8)")))
}

/// Scheme, secret and tolerance from the flags or a stored profile. `detect_from` picks the
/// scheme from the request's headers when none is named.
fn resolve_key(dir: &Path, key: &KeyArgs, detect_from: Option<&HeaderList>) -> anyhow::Result<Profile> {
    if let Some(name) = &key.profile {
        let store =
            Store::open_existing(dir)?.ok_or_else(|| usage(format!("there is no profile named '{name}'")))?;
        return get_profile(&store.connect_ro()?, name)?.ok_or_else(|| {
            usage(format!(
                "there is no profile named '{name}' (see `hookscope profile list`)"
            ))
        });
    }
    let scheme = match (&key.scheme, detect_from.and_then(detect)) {
        (Some(name), _) => parse_scheme(name, &key.custom)?,
        (None, Some(found)) => found,
        (None, None) => {
            return Err(usage(
                "give --scheme (no signature header to detect it from) or --profile",
            ));
        }
    };
    let secret = match (&key.secret, &key.secret_env) {
        (Some(s), _) => s.expose().to_owned(),
        (None, Some(var)) => secret_from_env(var)?,
        (None, None) => {
            return Err(usage(
                "give the secret with --secret, --secret-env VAR, or --profile",
            ));
        }
    };
    Ok(Profile {
        name: String::new(),
        path_pattern: "*".into(),
        scheme,
        secret,
        tolerance_secs: None,
    })
}

pub fn parse_header(line: &str) -> anyhow::Result<(String, String)> {
    let (name, value) = line
        .split_once(':')
        .ok_or_else(|| usage(format!("--header '{line}' is not 'Name: value'")))?;
    let name = name.trim();
    if name.is_empty()
        || name
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Err(usage(format!("--header '{line}' has no valid header name")));
    }
    Ok((
        name.to_string(),
        value.trim_start_matches([' ', '\t']).to_string(),
    ))
}

/// The request to verify or sign, from a capture or from the flags (flags override the capture).
fn build_request(dir: &Path, args: &RequestArgs, need_body: bool) -> anyhow::Result<Capture> {
    let mut c = match args.capture {
        Some(id) => {
            let store =
                Store::open_existing(dir)?.ok_or_else(|| usage(format!("no capture with id {id}")))?;
            store
                .reader()?
                .get(id)?
                .ok_or_else(|| usage(format!("no capture with id {id}")))?
        }
        None => Capture {
            method: "POST".into(),
            ..Capture::default()
        },
    };
    if let Some(m) = &args.method {
        c.method = m.trim().to_ascii_uppercase();
    }
    for line in &args.headers {
        let (name, value) = parse_header(line)?;
        if args.capture.is_some() {
            c.headers.set(&name, value);
        } else {
            c.headers.push(name, value);
        }
    }
    match &args.body_file {
        Some(path) => c.body = super::read_body_file(path)?,
        None if args.capture.is_none() && need_body => {
            return Err(usage(
                "give the body with --body-file FILE (or - for stdin), or use --capture ID",
            ));
        }
        None => {}
    }
    Ok(c)
}

fn request_url(c: &Capture, args: &RequestArgs) -> String {
    match (&args.url, args.capture) {
        (Some(url), _) => url.clone(),
        (None, Some(_)) => c.url(),
        (None, None) => String::new(),
    }
}

#[derive(Serialize)]
struct VerifyJson<'a> {
    valid: bool,
    scheme: &'a str,
    reason: &'a str,
    explanation: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    header: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    skew_secs: Option<i64>,
}

pub fn verify(dir: &Path, args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let c = build_request(dir, &args.request, true)?;
    let key = resolve_key(dir, &args.key, Some(&c.headers))?;
    let url = request_url(&c, &args.request);
    let parts = RequestParts {
        method: &c.method,
        url: &url,
        headers: &c.headers,
        body: &c.body,
    };
    let opts = VerifyOptions {
        now_unix: Some(args.now.unwrap_or_else(|| now_us().div_euclid(1_000_000))),
        tolerance_secs: args.tolerance_secs.or(key.tolerance_secs),
    };
    // Other stored profiles' secrets let forensics name a wrong environment.
    let others: Vec<Profile> = match Store::open_existing(dir) {
        Ok(Some(store)) => list_profiles(&store.connect_ro()?)?
            .into_iter()
            .filter(|p| p.name != key.name)
            .collect(),
        _ => Vec::new(),
    };
    let other_keys: Vec<(&str, &str)> = others
        .iter()
        .map(|p| (p.name.as_str(), p.secret.as_str()))
        .collect();
    let v = diagnose(&key.scheme, &key.secret, &parts, &opts, &other_keys);
    if args.json {
        let json = VerifyJson {
            valid: v.valid,
            scheme: &v.scheme,
            reason: v.reason.as_str(),
            explanation: &v.explanation,
            header: v.header_used.as_deref(),
            skew_secs: v.skew_secs,
        };
        outln!("{}", serde_json::to_string(&json)?);
    } else {
        outp!("{}", describe_verification(&v));
    }
    Ok(if v.valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn describe_verification(v: &Verification) -> String {
    let mut s = if v.valid {
        format!("valid ({})\n", v.scheme)
    } else {
        format!("invalid ({}): {}\n", v.scheme, v.reason)
    };
    s.push_str(&format!("  {}\n", v.explanation));
    if let Some(h) = &v.header_used {
        s.push_str(&format!("  header:   {h}\n"));
    }
    if let Some(r) = &v.received {
        s.push_str(&format!("  received: {r}\n"));
    }
    if let Some(e) = v.expected.as_ref().filter(|_| !v.valid) {
        s.push_str(&format!("  expected: {e}\n"));
    }
    if let Some(skew) = v.skew_secs {
        s.push_str(&format!("  skew:     {skew} s\n"));
    }
    s
}

pub fn sign_command(dir: &Path, args: &SignArgs) -> anyhow::Result<ExitCode> {
    let c = build_request(dir, &args.request, true)?;
    let key = resolve_key(dir, &args.key, None)?;
    let url = request_url(&c, &args.request);
    let mut inputs = inputs_from_headers(&key.scheme, &c.headers);
    if let Some(t) = &args.timestamp {
        let given =
            SignInputs::parse_timestamp(&key.scheme, t).map_err(|e| usage(format!("--timestamp: {e}")))?;
        inputs = SignInputs {
            id: inputs.id,
            ..given
        };
    }
    if let Some(id) = &args.id {
        inputs.id = Some(id.clone());
    }
    let mut params = SignParams {
        method: &c.method,
        url: &url,
        body: &c.body,
        now_unix: now_us().div_euclid(1_000_000),
        ..SignParams::default()
    };
    inputs.apply(&mut params);
    let signed = sign(&key.scheme, &key.secret, &params).map_err(|e| usage(e.to_string()))?;
    if args.json {
        let map: serde_json::Map<String, serde_json::Value> = signed
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), serde_json::Value::String(v.clone())))
            .collect();
        outln!("{}", serde_json::Value::Object(map));
    } else {
        for (n, v) in &signed.headers {
            outln!("{n}: {v}");
        }
    }
    if let Some(new_url) = &signed.url {
        eprintln!("hookscope: send to this URL (the signature covers it): {new_url}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Read a secret from stdin: without echo on a terminal, the first line otherwise. Only the line
/// ending is removed (whitespace inside a secret is the user's to keep).
fn secret_from_stdin() -> anyhow::Result<String> {
    let secret = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("secret (not echoed): ")
            .map_err(|e| usage(format!("cannot read the secret: {e}")))?
    } else {
        // Bounded: a secret is one short line, whatever is piped in.
        let limit = crate::signature::MAX_SECRET_BYTES + 2;
        let mut line = Vec::new();
        std::io::stdin()
            .lock()
            .take(limit as u64)
            .read_until(b'\n', &mut line)
            .map_err(|e| usage(format!("cannot read the secret from stdin: {e}")))?;
        if line.len() >= limit && !line.ends_with(b"\n") {
            return Err(usage(format!(
                "the secret on stdin is longer than {} KiB; a signing secret is one short line",
                crate::signature::MAX_SECRET_BYTES / 1024
            )));
        }
        String::from_utf8(line)
            .map_err(|_| usage("the secret on stdin is not UTF-8"))?
            .trim_end_matches(['\n', '\r'])
            .to_string()
    };
    if secret.is_empty() {
        return Err(usage(
            "the secret is empty (give it on stdin or with --secret-env VAR)",
        ));
    }
    Ok(secret)
}

#[derive(Serialize)]
struct ProfileJson<'a> {
    name: &'a str,
    path_pattern: &'a str,
    scheme: &'a Scheme,
    secret: String,
    tolerance_secs: Option<u64>,
}

pub fn profile(dir: &Path, command: &ProfileCommand) -> anyhow::Result<ExitCode> {
    match command {
        ProfileCommand::Add(args) => {
            let scheme = parse_scheme(&args.scheme, &args.custom)?;
            let secret = match &args.secret_env {
                Some(var) => secret_from_env(var)?,
                None => secret_from_stdin()?,
            };
            let p = Profile {
                name: args.name.clone(),
                path_pattern: args.path.clone(),
                scheme,
                secret,
                tolerance_secs: args.tolerance_secs,
            };
            crate::signature::validate_profile(&p).map_err(usage)?;
            let engine = Engine::open(dir)?;
            let writer = engine.writer();
            let replace = args.replace.then(|| args.name.clone());
            let saved = writer.call_blocking(move |conn, _| save_profile(conn, &p, replace.as_deref()));
            let reverified = saved.as_ref().ok().map(|()| writer.reverify_all_blocking());
            engine.shutdown();
            saved.map_err(|e| usage(e.to_string()))?;
            if let Some(Err(e)) = reverified {
                // The profile is in; only the stored verdicts are not all up to date.
                return Err(CliError {
                    message: format!(
                        "profile '{}' saved, but re-verifying the stored captures failed: {e}",
                        args.name
                    ),
                    code: 1,
                }
                .into());
            }
            eprintln!(
                "hookscope: profile '{}' saved; stored captures re-verified",
                args.name
            );
        }
        ProfileCommand::List { json } => {
            let profiles = match Store::open_existing(dir)? {
                Some(store) => list_profiles(&store.connect_ro()?)?,
                None => Vec::new(),
            };
            for p in &profiles {
                if *json {
                    let row = ProfileJson {
                        name: &p.name,
                        path_pattern: &p.path_pattern,
                        scheme: &p.scheme,
                        secret: redact(&p.secret),
                        tolerance_secs: p.tolerance_secs,
                    };
                    outln!("{}", serde_json::to_string(&row)?);
                } else {
                    let tol = p
                        .tolerance_secs
                        .map_or_else(String::new, |t| format!("  tolerance {t} s"));
                    outln!(
                        "{:<20} {:<18} {:<24} {}{tol}",
                        p.name,
                        p.scheme.name(),
                        p.path_pattern,
                        redact(&p.secret)
                    );
                }
            }
            if profiles.is_empty() && !json {
                outln!("no profiles (add one with `hookscope profile add NAME --scheme S --path GLOB`)");
            }
        }
        ProfileCommand::Remove { name } => {
            let engine = Engine::open(dir)?;
            let writer = engine.writer();
            let n = name.clone();
            let removed = writer.call_blocking(move |conn, _| remove_profile(conn, &n));
            let result = match removed {
                Ok(true) => writer.reverify_all_blocking().map(|()| true),
                other => other,
            };
            engine.shutdown();
            if !result? {
                return Err(CliError {
                    message: format!("there is no profile named '{name}'"),
                    code: 1,
                }
                .into());
            }
            eprintln!("hookscope: profile '{name}' removed; stored captures re-verified");
        }
    }
    Ok(ExitCode::SUCCESS)
}
