//! Cold start budget (PRODUCT.md §11): release binary, spawn → first frame < 500 ms.
//!
//! Run: `scripts/bench.sh` (all benchmarks, starts Xvfb when there is no display), or
//! `DISPLAY=:99 cargo bench --bench startup` with an X server on `:99` (`Xvfb :99 &`).
//!
//! Each run starts `hookscope --data-dir <fresh temp dir> --port <free port>` with
//! `HOOKSCOPE_EXIT_AFTER_FIRST_FRAME=1`: the window prints `first frame` to stderr during its
//! first frame and closes. The figure is the time from spawn to that line. Without a display
//! the benchmark prints "skipped (no DISPLAY)". Nothing is asserted.
//!
//! Environment: `HOOKSCOPE_BENCH_STARTUP_RUNS` (default 5).
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // a benchmark: a panic ends the run

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};

use support::{bin, env_usize, free_port, has_display, info, ms, report, section, stop_child, summarize};

const BUDGET: Duration = Duration::from_millis(500);
const TIMEOUT: Duration = Duration::from_secs(30);

fn main() {
    let runs = env_usize("HOOKSCOPE_BENCH_STARTUP_RUNS", 5).max(1);
    println!("hookscope startup benchmark: {runs} cold starts of the release binary");
    section("spawn → first frame");
    if !has_display() {
        println!("  skipped (no DISPLAY)");
        return;
    }
    let mut times = Vec::new();
    for run in 1..=runs {
        match start_once() {
            Ok(t) => {
                info(&format!("run {run}"), &ms(t));
                times.push(t);
            }
            Err(e) => println!("  run {run}: {e}"),
        }
    }
    if times.is_empty() {
        println!("  no run reached its first frame");
        return;
    }
    let s = summarize(&times);
    let budget = format!("< {}", ms(BUDGET));
    report("median", &ms(s.median), &budget, s.median < BUDGET);
    report("max", &ms(s.max), &budget, s.max < BUDGET);
}

/// One cold start in a fresh data dir; the time from spawn to the `first frame` line.
fn start_once() -> Result<Duration, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut child = Command::new(bin())
        .arg("--data-dir")
        .arg(dir.path())
        .arg("--port")
        .arg(free_port().to_string())
        .env("HOOKSCOPE_EXIT_AFTER_FIRST_FRAME", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin()))?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let (tx, rx) = sync_channel::<Result<Duration, String>>(1);
    std::thread::Builder::new()
        .name("startup-stderr".into())
        .spawn(move || {
            let mut said = Vec::new();
            let mut seen = false;
            // Read to the end, so the child never writes into a closed pipe.
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !seen && line.trim() == "first frame" {
                    seen = true;
                    let _ = tx.send(Ok(started.elapsed()));
                } else if !seen {
                    said.push(line);
                }
            }
            if !seen {
                let _ = tx.send(Err(format!("exited without a first frame: {}", said.join(" | "))));
            }
        })
        .map_err(|e| e.to_string())?;
    let result = rx
        .recv_timeout(TIMEOUT)
        .unwrap_or_else(|_| Err(format!("no first frame within {} s", TIMEOUT.as_secs())));
    // The window closes itself after its first frame; give it time to save and exit cleanly.
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return result;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    stop_child(&mut child, Duration::from_secs(5));
    result
}
