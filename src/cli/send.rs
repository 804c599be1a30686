//! `hookscope send` (synthetic test events with delivery simulation) and `hookscope events`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::replay::{parse_scheme, signing_from_args};
use super::{CliError, out};
use crate::engine::Engine;
use crate::events;
use crate::send::{
    BatchShape, Cancel, Client, ClientConfig, DeliveryState, PreparedDelivery, Progress, RunContext,
    RunSummary, Signer, SimOptions, deliver, parse_schedule, prepare_batch, prepare_body_file,
};

/// Most deliveries one `send` prepares: every one is built, signed and recorded up front.
pub const MAX_COUNT: usize = 100_000;

#[derive(Debug, Args)]
#[command(after_help = "\
Signing: with --event the scheme defaults to the provider's (smtm, maintainx, github, stripe, \
standard-webhooks, slack). A signed provider needs --secret K or --profile NAME; pass --unsigned \
to send without a signature on purpose. A --body-file is signed only when --scheme (or --profile) is given.

Every template body carries a top-level \"test\": true; a --set that would change or remove it is refused.

Retries: after a non-2xx answer, a timeout or a connection error the delivery is retried after \
each delay of --retry-schedule (times --time-scale), then it is permanently failed.

Output: one line per attempt (with --json: {\"delivery_id\", \"attempt\", \"status\", \"latency_ms\", \
\"error\", ...}) and a summary. Exit status: 0 when every delivery finally got a 2xx, 1 otherwise, \
2 on a usage error. Attempts are recorded in the data dir.")]
pub struct SendArgs {
    /// Where to deliver: an http or https URL.
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// A built-in template, PROVIDER:EVENT (see `hookscope events`).
    #[arg(
        long,
        value_name = "PROVIDER:EVENT",
        required_unless_present = "body_file",
        conflicts_with = "body_file"
    )]
    pub event: Option<String>,
    /// Send this file's bytes as the body, unchanged.
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,
    /// Signature scheme (defaults to the event's provider).
    #[arg(long, value_name = "SCHEME")]
    pub scheme: Option<String>,
    /// Signing secret.
    #[arg(long, value_name = "SECRET", conflicts_with = "profile", value_parser = super::secret_arg)]
    pub secret: Option<crate::signature::Secret>,
    /// Sign with a stored signing profile (its scheme and secret).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Send without a signature even when the provider signs its deliveries.
    #[arg(long, conflicts_with_all = ["secret", "profile"])]
    pub unsigned: bool,
    /// Edit the template payload: dot path = value (JSON when it parses, else text). Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE", requires = "event")]
    pub sets: Vec<String>,
    /// Delays before each retry, in seconds ("none": no retries).
    #[arg(long, default_value = "1,5,25,125,625", value_name = "SECS,...")]
    pub retry_schedule: String,
    /// Multiply every retry delay (0.01 turns seconds into 10 ms).
    #[arg(long, default_value_t = 1.0, value_name = "X")]
    pub time_scale: f64,
    /// Response timeout per attempt.
    #[arg(long, default_value_t = crate::send::DEFAULT_TIMEOUT_SECS, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..=super::MAX_TIMEOUT_SECS))]
    pub timeout_secs: u64,
    /// Deliver each event twice with the same delivery id.
    #[arg(long)]
    pub duplicate: bool,
    /// Out-of-order batch: events about one resource, payload timestamps 1 s apart, sent shuffled
    /// (at least 3; --count sets how many).
    #[arg(long, requires = "event")]
    pub shuffle: bool,
    /// Number of events (a burst; at most 100000).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub count: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 1, value_name = "C")]
    pub concurrency: usize,
    /// Deliveries started per second (default: as fast as --concurrency allows).
    #[arg(long, value_name = "PER_SEC")]
    pub rate: Option<f64>,
    /// One JSON line per attempt, then a summary line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Print this template's payload (PROVIDER:EVENT), filled as it would be sent now.
    pub name: Option<String>,
    /// One JSON object per template.
    #[arg(long)]
    pub json: bool,
}

pub fn events(args: &EventsArgs) -> anyhow::Result<ExitCode> {
    let catalog = events::catalog()?;
    if let Some(name) = &args.name {
        let (p, t) = catalog.find(name).map_err(|e| CliError::usage(e.to_string()))?;
        let filled = events::fill(p, t, &mut events::FillContext::at(jiff::Timestamp::now()));
        let mut text = String::new();
        for (n, v) in &filled.headers {
            text.push_str(&format!("{n}: {v}\n"));
        }
        text.push_str(&format!("{}: (computed at send time)\n\n", p.scheme));
        text.push_str(&serde_json::to_string_pretty(&filled.body)?);
        text.push('\n');
        out(&text);
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = String::new();
    for p in &catalog.providers {
        for e in &p.events {
            if args.json {
                let line = serde_json::json!({
                    "name": format!("{}:{}", p.provider, e.event),
                    "provider": p.provider,
                    "event": e.event,
                    "scheme": p.scheme,
                    "title": p.title,
                });
                text.push_str(&line.to_string());
            } else {
                text.push_str(&format!("{}:{}", p.provider, e.event));
            }
            text.push('\n');
        }
    }
    out(&text);
    Ok(ExitCode::SUCCESS)
}

/// The deliveries `args` describe.
fn prepare(engine: &Engine, args: &SendArgs) -> anyhow::Result<Vec<PreparedDelivery>> {
    crate::send::parse_target(&args.url).map_err(|e| CliError::usage(e.to_string()))?;
    let catalog = events::catalog()?;
    let template = match &args.event {
        Some(name) => Some(catalog.find(name).map_err(|e| CliError::usage(e.to_string()))?),
        None => None,
    };
    let scheme_name = args
        .scheme
        .clone()
        .or_else(|| template.map(|(p, _)| p.scheme.clone()));
    let signer = if args.unsigned {
        None
    } else {
        let explicit = signing_from_args(
            engine,
            args.profile.as_deref(),
            args.scheme.as_deref(),
            args.secret.as_ref().map(crate::signature::Secret::expose),
        )?;
        match (explicit, scheme_name) {
            (Some((scheme, secret)), _) => Some(Signer { scheme, secret }),
            (None, Some(name)) => {
                let scheme = parse_scheme(&name)?;
                let Some(secret) = &args.secret else {
                    return Err(CliError::usage(format!(
                        "{name} deliveries are signed: pass --secret K or --profile NAME \
                         (or --unsigned to send without a signature)"
                    ))
                    .into());
                };
                Some(Signer {
                    scheme,
                    secret: secret.expose().to_owned(),
                })
            }
            (None, None) => None,
        }
    };
    let now = jiff::Timestamp::now();
    if let Some((provider, t)) = template {
        let mut body = t.body.clone();
        for set in &args.sets {
            let (path, value) = events::parse_set_arg(set).map_err(|e| CliError::usage(e.to_string()))?;
            events::apply_set(&mut body, &path, &value).map_err(|e| CliError::usage(e.to_string()))?;
        }
        let shape = BatchShape {
            count: args.count.max(1),
            shuffle: args.shuffle,
        };
        let batch = prepare_batch(provider, &t.event, &body, &args.url, signer.as_ref(), shape, now)
            .map_err(CliError::usage)?;
        return Ok(batch);
    }
    let Some(path) = &args.body_file else {
        return Err(CliError::usage("give --event PROVIDER:EVENT or --body-file FILE").into());
    };
    let bytes = super::read_body_file(path)?;
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes)
        && v.is_object()
        && events::check_test_flag(&v).is_err()
    {
        eprintln!(
            "hookscope: note: {} has no top-level \"test\": true; receivers cannot tell it is synthetic",
            path.display()
        );
    }
    let mut batch = Vec::new();
    for _ in 0..args.count.max(1) {
        batch.push(
            prepare_body_file(bytes.clone(), &args.url, signer.as_ref(), now).map_err(CliError::usage)?,
        );
    }
    Ok(batch)
}

pub fn send(dir: &Path, args: &SendArgs) -> anyhow::Result<ExitCode> {
    let schedule = parse_schedule(&args.retry_schedule).map_err(CliError::usage)?;
    if !(args.time_scale.is_finite() && args.time_scale >= 0.0) {
        return Err(CliError::usage("--time-scale must be zero or a positive number").into());
    }
    if args.rate.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
        return Err(CliError::usage("--rate must be a positive number of deliveries per second").into());
    }
    if args.count == 0 {
        return Err(CliError::usage("--count must be at least 1").into());
    }
    if args.count > MAX_COUNT {
        return Err(CliError::usage(format!(
            "--count {} is more than {MAX_COUNT} deliveries in one run (each is prepared, signed \
             and recorded); for a longer load, run several",
            args.count
        ))
        .into());
    }
    // Waits longer than a year are refused rather than overflowing (or waiting forever).
    let longest = crate::send::LONGEST_WAIT.as_secs_f64();
    if let Some(rate) = args.rate
        && args.count.saturating_sub(1) as f64 / rate > longest
    {
        return Err(CliError::usage(format!(
            "--rate with --count {} spreads the deliveries over more than a year",
            args.count
        ))
        .into());
    }
    if schedule.iter().any(|d| d * args.time_scale > longest) {
        return Err(
            CliError::usage("a --retry-schedule delay (times --time-scale) is more than a year").into(),
        );
    }
    let engine = Engine::open(dir)?;
    let result = prepare(&engine, args).and_then(|batch| {
        let opts = SimOptions {
            schedule_secs: schedule,
            time_scale: args.time_scale,
            duplicate: args.duplicate,
            concurrency: args.concurrency.max(1),
            rate_per_sec: args.rate,
        };
        let json = args.json;
        let ctx = RunContext {
            client: Client::new(ClientConfig {
                timeout: Duration::from_secs(args.timeout_secs),
                follow_redirects: false,
                max_response_bytes: crate::send::response_cap_for(args.concurrency),
            }),
            cancel: Cancel::new(),
            sink: Arc::new(move |p| print_progress(&p, json)),
            writer: Some(engine.writer()),
        };
        let runtime = crate::engine::runtime()?;
        let summary = runtime.block_on(async {
            let cancel = ctx.cancel.clone();
            let run = deliver::run(batch, &opts, &ctx);
            tokio::pin!(run);
            tokio::select! {
                s = &mut run => s,
                _ = tokio::signal::ctrl_c() => {
                    eprintln!("hookscope: cancelling pending retries");
                    cancel.cancel();
                    run.await
                }
            }
        });
        drop(runtime);
        Ok(summary)
    });
    engine.shutdown();
    let summary = result?;
    print_summary(&summary, args.json);
    Ok(if summary.all_delivered() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

fn print_progress(p: &Progress, json: bool) {
    let line = match p {
        Progress::Attempt {
            index,
            delivery_id,
            duplicate,
            number,
            next_retry_secs,
            attempt,
        } => {
            if json {
                serde_json::json!({
                    "delivery_id": delivery_id,
                    "attempt": number,
                    "status": attempt.status,
                    "latency_ms": (attempt.latency_ms() * 1000.0).round() / 1000.0,
                    "error": attempt.error.as_ref().map(|e| e.message.clone()),
                    "index": index,
                    "duplicate": duplicate,
                    "next_retry_secs": next_retry_secs,
                })
                .to_string()
            } else {
                let retry = next_retry_secs.map_or_else(String::new, |s| {
                    let d = crate::send::secs_to_delay(s);
                    format!("; retry in {}", crate::send::describe_duration(d))
                });
                let dup = if *duplicate { " (duplicate)" } else { "" };
                format!(
                    "#{} {}{dup} attempt {number}: {}{retry}",
                    index + 1,
                    short(delivery_id),
                    attempt.describe()
                )
            }
        }
        Progress::Started {
            index,
            delivery_id,
            name,
            duplicate,
            payload_timestamp,
        } if !json => {
            let ts = payload_timestamp
                .as_deref()
                .map_or_else(String::new, |t| format!(" (payload time {t})"));
            let dup = if *duplicate { " again (duplicate)" } else { "" };
            format!("#{} {name} delivery {delivery_id}{dup}{ts}", index + 1)
        }
        Progress::Finished {
            index,
            delivery_id,
            duplicate,
            state,
            attempts,
        } => {
            let dup = if *duplicate { " (duplicate)" } else { "" };
            let text = format!(
                "#{} {}{dup} {} after {attempts} attempt{}",
                index + 1,
                short(delivery_id),
                state.label(),
                if *attempts == 1 { "" } else { "s" }
            );
            if json {
                // Keep stdout to attempt lines; the outcome goes to stderr for people.
                eprintln!("hookscope: {text}");
                return;
            }
            text
        }
        Progress::Note(text) => {
            eprintln!("hookscope: {text}");
            return;
        }
        Progress::Started { .. } => return,
    };
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

fn print_summary(s: &RunSummary, json: bool) {
    let text = format!(
        "{} deliver{}: {} delivered, {} {}, {} cancelled ({} attempts)",
        s.deliveries,
        if s.deliveries == 1 { "y" } else { "ies" },
        s.delivered,
        s.failed,
        DeliveryState::Failed.label(),
        s.cancelled,
        s.attempts
    );
    if json {
        let line = serde_json::json!({
            "summary": {
                "deliveries": s.deliveries,
                "delivered": s.delivered,
                "permanently_failed": s.failed,
                "cancelled": s.cancelled,
                "attempts": s.attempts,
                "ok": s.all_delivered(),
            }
        });
        out(&format!("{line}\n"));
        eprintln!("hookscope: {text}");
    } else {
        out(&format!("{text}\n"));
    }
}
