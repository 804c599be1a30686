//! `hookscope listen`: the receiver without a window.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::Ordering;

use anyhow::Context as _;

use super::{CliError, ListenArgs};
use crate::capture::{Capture, CaptureId, CaptureJson};
use crate::engine::Engine;
use crate::server::{LiveRules, ServerConfig, serve};
use crate::store::{Reader, StoreEvent, Subscriber};

pub fn run(dir: &Path, args: &ListenArgs) -> anyhow::Result<ExitCode> {
    // A bad rules file stops here: nothing is opened, nothing listens.
    let file_rules = args
        .rules
        .as_deref()
        .map(super::rules::load_rules_file)
        .transpose()?;
    let engine = Engine::open(dir)?;
    let rule_set = file_rules.or_else(|| super::rules::saved_rules(engine.store()));
    let rules = LiveRules::new(&rule_set.clone().unwrap_or_default());
    let policy = super::rules::policy(&args.retention);
    if !policy.is_unlimited() {
        engine.maintenance().set_policy(policy);
    }
    // Always subscribed: store failures go to stderr; captures go to stdout with --json (without
    // it the printer is not woken for every committed batch).
    let sub = if args.json {
        engine.writer().subscribe(1024, None)
    } else {
        engine.writer().subscribe_failures(1024)
    };
    let reader = engine.store().reader()?;
    let json = args.json;
    let printer = std::thread::Builder::new()
        .name("listen-printer".into())
        .spawn(move || print_events(sub, &reader, json))
        .context("cannot start the output thread")?;
    let runtime = crate::engine::runtime()?;
    let config = ServerConfig {
        bind: args.bind,
        port: args.port,
        max_body_bytes: args.max_body_bytes,
    };
    // Said before binding, so it is seen even when the address turns out to be unavailable.
    if let Some(warning) = exposure_warning(&config) {
        eprintln!("hookscope: warning: {warning}");
    }
    let served = runtime.block_on(async {
        let listener = crate::server::bind(&config)
            .await
            .map_err(|e| CliError::usage(e.to_string()))?;
        // Subscribed before serving, so the first capture is forwarded too.
        let forwarder = match (&args.forward_to, listener.local_addr()) {
            (Some(url), Ok(addr)) => Some(super::forward::start(&engine, url, addr)?),
            _ => None,
        };
        let handle = serve(
            listener,
            engine.receiver_state(args.max_body_bytes).with_rules(rules),
        );
        eprintln!(
            "hookscope: listening on http://{} (body cap {} bytes, data in {})",
            handle.addr,
            args.max_body_bytes,
            dir.display()
        );
        if let Some(set) = rule_set.as_ref().filter(|s| !s.rule.is_empty()) {
            let from = args
                .rules
                .as_ref()
                .map_or_else(|| "saved in the window".to_string(), |p| p.display().to_string());
            eprintln!("hookscope: {} response rules from {from}", set.rule.len());
        }
        wait_for_stop_signal().await;
        eprintln!("hookscope: stopping; finishing requests in flight");
        handle.stop().await;
        if let Some(f) = forwarder {
            f.stop().await;
        }
        Ok::<(), CliError>(())
    });
    drop(runtime);
    // Commits everything still queued, then ends the printer's subscription.
    engine.shutdown();
    let _ = printer.join();
    served?;
    Ok(ExitCode::SUCCESS)
}

async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The warning printed when the receiver is reachable from other machines.
pub fn exposure_warning(config: &ServerConfig) -> Option<String> {
    config.is_exposed().then(|| {
        format!(
            "binding {} exposes the receiver to the network: anyone who can reach this address can \
             send requests and read what hookscope answers (use --bind 127.0.0.1 to keep it local)",
            config.bind
        )
    })
}

/// Store failures are printed at most this often (plus whenever the reason changes).
const FAILURE_REPORT_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// With `json`, print each committed capture as one JSON line, flushed per batch (lagging never
/// drops a line: after a gap the missing captures are read back from the database). Always
/// report store failures on stderr, one line each, without flooding.
fn print_events(mut sub: Subscriber, reader: &Reader, json: bool) {
    let mut last = CaptureId(0);
    if json && let Ok(ids) = reader.all_ids() {
        last = ids.last().copied().unwrap_or(CaptureId(0));
    }
    let stdout = std::io::stdout();
    let mut ok = json;
    let mut reported: Option<(String, std::time::Instant)> = None;
    while let Some(event) = sub.events.blocking_recv() {
        if let StoreEvent::WriteFailed(message) = &event {
            let due = reported
                .as_ref()
                .is_none_or(|(m, at)| m != message || at.elapsed() >= FAILURE_REPORT_EVERY);
            if due {
                eprintln!("hookscope: error: {message}");
                reported = Some((message.clone(), std::time::Instant::now()));
            }
        }
        if !ok {
            continue;
        }
        if sub.gap.swap(false, Ordering::AcqRel) {
            ok = catch_up(reader, &mut last, &stdout);
            continue;
        }
        if let StoreEvent::Inserted(batch) = event {
            let from = last;
            ok = write_lines(
                &mut stdout.lock(),
                batch.iter().filter(|c| c.id > from),
                &mut last,
            );
        }
    }
    if ok {
        catch_up(reader, &mut last, &stdout);
    }
}

fn catch_up(reader: &Reader, last: &mut CaptureId, stdout: &std::io::Stdout) -> bool {
    loop {
        let Ok(page) = reader.captures_after(*last, 1000) else {
            return false;
        };
        if page.is_empty() {
            return true;
        }
        if !write_lines(&mut stdout.lock(), page.iter(), last) {
            return false;
        }
    }
}

fn write_lines<'a>(
    out: &mut impl std::io::Write,
    captures: impl Iterator<Item = &'a Capture>,
    last: &mut CaptureId,
) -> bool {
    for c in captures {
        let Ok(line) = serde_json::to_string(&CaptureJson::from_capture(c)) else {
            continue;
        };
        if writeln!(out, "{line}").is_err() {
            return false;
        }
        *last = c.id;
    }
    out.flush().is_ok()
}
