//! Memory budgets (PRODUCT.md §11): resident memory after 100,000 captures, < 64 MiB headless
//! (`hookscope listen`) and < 200 MiB with the window open.
//!
//! Run: `scripts/bench.sh` (all benchmarks, starts Xvfb when there is no display), or
//! `cargo bench --bench memory` (the window figure needs `DISPLAY`, e.g. `Xvfb :99 &` and
//! `DISPLAY=:99`).
//!
//! Each process gets a fresh temporary data dir. Requests are 1 KiB JSON POSTs over keep-alive
//! connections; the count is checked with `hookscope stats --json` afterwards. Figures: the
//! resident set (`VmRSS` in `/proc/PID/status`) right after the last answer, after a short
//! settle, and the peak (`VmHWM`) over the run. Nothing is asserted: figures are printed with
//! their budget and PASS / MISS.
//!
//! Environment: `HOOKSCOPE_BENCH_CAPTURES` (default 100000), `HOOKSCOPE_BENCH_CONNS` (16).
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // a benchmark: a panic ends the run

mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use support::{
    bin, env_usize, free_port, has_display, info, mib, post_many, report, rss, section, start_listen,
    stop_child, stored_captures, wait_healthy,
};

const MIB: u64 = 1024 * 1024;
const SETTLE: Duration = Duration::from_secs(3);

fn main() {
    let captures = env_usize("HOOKSCOPE_BENCH_CAPTURES", 100_000);
    let conns = env_usize("HOOKSCOPE_BENCH_CONNS", 16);
    println!("hookscope memory benchmark: {captures} captures of 1 KiB JSON over {conns} connections");

    section("headless: hookscope listen");
    let dir = tempfile::tempdir().unwrap();
    let (mut child, port) = start_listen(dir.path());
    measure(&mut child, port, dir.path(), captures, conns, 64 * MIB);
    stop_child(&mut child, Duration::from_secs(20));

    section("window: hookscope --port P");
    if !has_display() {
        println!("  skipped (no DISPLAY)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = Command::new(bin())
        .arg("--data-dir")
        .arg(dir.path())
        .arg("--port")
        .arg(port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    if !wait_healthy(port, Duration::from_secs(30)) {
        println!("  the window's receiver did not answer on port {port}; skipped");
        stop_child(&mut child, Duration::from_secs(5));
        return;
    }
    // Let the first frames be drawn before the idle figure.
    std::thread::sleep(Duration::from_millis(500));
    measure(&mut child, port, dir.path(), captures, conns, 200 * MIB);
    stop_child(&mut child, Duration::from_secs(20));
}

/// Post `captures` requests to the process, sampling its resident set, then print the figures.
fn measure(child: &mut Child, port: u16, dir: &Path, captures: usize, conns: usize, budget: u64) {
    let pid = child.id();
    let idle = rss(pid).unwrap_or(0);
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        std::thread::Builder::new()
            .name("rss-sampler".into())
            .spawn(move || {
                let mut peak = 0;
                while !done.load(Ordering::Relaxed) {
                    peak = peak.max(rss(pid).unwrap_or(0));
                    std::thread::sleep(Duration::from_millis(50));
                }
                peak
            })
            .unwrap()
    };
    let progress = Arc::new(AtomicUsize::new(0));
    let body = support::json_body(1024);
    let load = post_many(port, captures, conns, &body, &progress);
    let after = rss(pid).unwrap_or(0);
    std::thread::sleep(SETTLE);
    let settled = rss(pid).unwrap_or(0);
    done.store(true, Ordering::Relaxed);
    let sampled_peak = sampler.join().unwrap_or(0);
    let hwm = support::proc_status_bytes(pid, "VmHWM").unwrap_or(0);
    let stored = stored_captures(dir);

    let budget_text = format!("< {}", mib(budget));
    info("RSS before the load", &mib(idle));
    info(
        "load",
        &format!(
            "{} ok, {} failed in {:.1} s ({:.0} req/s)",
            load.ok,
            load.failed,
            load.elapsed.as_secs_f64(),
            load.ok as f64 / load.elapsed.as_secs_f64()
        ),
    );
    info(
        "stored (hookscope stats --json)",
        &stored.map_or_else(|| "unknown".into(), |n| n.to_string()),
    );
    report(
        "RSS right after the last answer",
        &mib(after),
        &budget_text,
        after < budget,
    );
    report(
        &format!("RSS {} s later", SETTLE.as_secs()),
        &mib(settled),
        &budget_text,
        settled < budget,
    );
    let peak = hwm.max(sampled_peak);
    report(
        "peak RSS over the run (VmHWM)",
        &mib(peak),
        &budget_text,
        peak < budget,
    );
}
