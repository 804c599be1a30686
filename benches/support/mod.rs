//! Helpers shared by the benchmark programs: figures with their budgets, resident memory from
//! `/proc`, free ports, the release binary, and a keep-alive HTTP load generator.
#![allow(dead_code, clippy::unwrap_used, clippy::disallowed_methods)] // bench helpers: a panic ends the run

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The release `hookscope` binary that `cargo bench` builds next to the bench.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_hookscope")
}

/// A size from the environment (underscores allowed), or `default`.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").trim().parse().ok())
        .unwrap_or(default)
}

/// `true` when an X11 or Wayland display is available for a window.
pub fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// Print a section heading.
pub fn section(title: &str) {
    println!();
    println!("== {title}");
}

/// One figure against its budget: `label  value  (budget ...)  PASS|MISS`.
pub fn report(label: &str, value: &str, budget: &str, pass: bool) {
    let verdict = if pass { "PASS" } else { "MISS" };
    println!("  {label:<44} {value:>14}   budget {budget:<12} {verdict}");
}

/// A figure without a budget.
pub fn info(label: &str, value: &str) {
    println!("  {label:<44} {value:>14}");
}

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Median, p99 and max of a set of durations.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    pub n: usize,
    pub median: Duration,
    pub p99: Duration,
    pub max: Duration,
}

pub fn summarize(samples: &[Duration]) -> Summary {
    if samples.is_empty() {
        return Summary::default();
    }
    let mut s = samples.to_vec();
    s.sort_unstable();
    let at = |q: f64| s[((s.len() - 1) as f64 * q).round() as usize];
    Summary {
        n: s.len(),
        median: at(0.5),
        p99: at(0.99),
        max: s[s.len() - 1],
    }
}

/// One frame as the thread that drew it saw it: wall time, and how much of that the thread spent
/// running (`CLOCK_THREAD_CPUTIME_ID`). On a shared machine a slow frame with little CPU time
/// was preempted; one with as much CPU time as wall time was busy.
#[derive(Debug, Clone, Copy, Default)]
pub struct Frame {
    pub wall: Duration,
    pub on_cpu: Duration,
}

fn thread_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

/// Run `f` on this thread and time it as a [`Frame`].
pub fn time_frame(f: impl FnOnce()) -> Frame {
    let cpu = thread_cpu();
    let t = Instant::now();
    f();
    Frame {
        wall: t.elapsed(),
        on_cpu: thread_cpu().saturating_sub(cpu),
    }
}

/// Print median / p99 / max of frame times against a per-frame budget, and what the slowest
/// frame was made of (CPU time on the drawing thread).
pub fn report_frames(what: &str, frames: &[Frame], budget: Duration) {
    let walls: Vec<Duration> = frames.iter().map(|f| f.wall).collect();
    let s = summarize(&walls);
    let b = format!("< {}", ms(budget));
    println!("  {what} ({} frames)", s.n);
    report("    median", &ms(s.median), &b, s.median < budget);
    report("    p99", &ms(s.p99), &b, s.p99 < budget);
    report("    max", &ms(s.max), &b, s.max < budget);
    report_slowest(frames);
}

/// What the slowest of `frames` was made of, and the most CPU time any one of them took.
pub fn report_slowest(frames: &[Frame]) {
    if let Some(slowest) = frames.iter().max_by_key(|f| f.wall) {
        info(
            "      slowest frame's CPU time on its thread",
            &ms(slowest.on_cpu),
        );
    }
    if let Some(busiest) = frames.iter().map(|f| f.on_cpu).max() {
        info("      most CPU time in one frame", &ms(busiest));
    }
}

/// A field of `/proc/PID/status` in bytes (`VmRSS`, `VmHWM`), `None` when the process is gone.
pub fn proc_status_bytes(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| {
        let rest = l.strip_prefix(field)?.strip_prefix(':')?;
        let kb: u64 = rest.trim().trim_end_matches("kB").trim().parse().ok()?;
        Some(kb * 1024)
    })
}

pub fn rss(pid: u32) -> Option<u64> {
    proc_status_bytes(pid, "VmRSS")
}

/// Resident set of this process.
pub fn own_rss() -> u64 {
    rss(std::process::id()).unwrap_or(0)
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// `hookscope stats --json` → `captures`.
pub fn stored_captures(dir: &Path) -> Option<u64> {
    let out = Command::new(bin())
        .args(["stats", "--json", "--data-dir"])
        .arg(dir)
        .output()
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    v.get("captures")?.as_u64()
}

/// Stop a child with SIGTERM, then SIGKILL after `grace`.
pub fn stop_child(child: &mut Child, grace: Duration) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .stderr(Stdio::null())
        .status();
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Start `hookscope listen --port 0` on `dir` and return it with the port it reports.
pub fn start_listen(dir: &Path) -> (Child, u16) {
    let mut child = Command::new(bin())
        .args(["listen", "--port", "0", "--data-dir"])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let port = loop {
        let line = lines
            .next()
            .expect("listen exited before it said where it listens")
            .unwrap();
        if let Some(rest) = line.split("listening on http://127.0.0.1:").nth(1) {
            break rest.split_whitespace().next().unwrap().parse().unwrap();
        }
    };
    // Keep draining stderr so the child never blocks on a full pipe.
    std::thread::Builder::new()
        .name("listen-stderr".into())
        .spawn(move || for _ in lines {})
        .unwrap();
    (child, port)
}

/// A single-threaded runtime for a bench's HTTP client.
pub fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Wait until `GET /__hookscope/health` answers on `port` (bounded).
pub fn wait_healthy(port: u16, timeout: Duration) -> bool {
    let rt = client_runtime();
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/__hookscope/health");
    let deadline = Instant::now() + timeout;
    rt.block_on(async {
        while Instant::now() < deadline {
            if let Ok(r) = client.get(&url).send().await
                && r.status().is_success()
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    })
}

/// A webhook-like JSON document of about `size` bytes.
pub fn json_body(size: usize) -> Vec<u8> {
    let head = r#"{"event":"order.created","id":"evt_0001","created":1700000000,"data":{"order_id":"ord_42","amount":1999,"currency":"usd","note":""#;
    let tail = r#""}}"#;
    let fill = size.saturating_sub(head.len() + tail.len());
    let mut body = Vec::with_capacity(size);
    body.extend_from_slice(head.as_bytes());
    body.extend(std::iter::repeat_n(b'x', fill));
    body.extend_from_slice(tail.as_bytes());
    body
}

/// Outcome of [`post_many`].
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub ok: usize,
    pub failed: usize,
    pub elapsed: Duration,
}

/// POST `total` copies of `body` to `127.0.0.1:port` over `conns` keep-alive connections
/// (HTTP/1.1), each request to `/bench/<n % 64>`. `progress` counts answered requests.
pub fn post_many(port: u16, total: usize, conns: usize, body: &[u8], progress: &Arc<AtomicUsize>) -> Load {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let body = bytes::Bytes::copy_from_slice(body);
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    rt.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..conns.max(1) {
            // One client (one pooled connection) per task: `conns` connections in all.
            let client = reqwest::Client::builder()
                .http1_only()
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap();
            let (next, failed, progress, body) =
                (next.clone(), failed.clone(), progress.clone(), body.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= total {
                        break;
                    }
                    let url = format!("http://127.0.0.1:{port}/bench/{}", n % 64);
                    let sent = client
                        .post(url)
                        .header("content-type", "application/json")
                        .header("x-bench-seq", n.to_string())
                        .body(body.clone())
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                        }
                        _ => {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    progress.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
    });
    let failed = failed.load(Ordering::Relaxed);
    Load {
        ok: total.saturating_sub(failed),
        failed,
        elapsed: start.elapsed(),
    }
}
