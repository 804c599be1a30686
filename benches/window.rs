//! Window budgets (PRODUCT.md §11), measured on the real app (`HookscopeApp` driven by
//! `egui_kittest`) with its real background (`Backend`, render worker, receiver) over a real
//! store in a temporary data dir:
//!
//! a. 1,000,000 stored captures: frame time (`Harness::step` wall time) while opening at the
//!    tail, at rest, scrolling (wheel and long jumps) and with a filter typed in the filter bar;
//!    budget: well under 16 ms. Also the resident memory of this process.
//! b. Request arrives → row in the list: a POST to the app's receiver, and the first frame in
//!    which the app's list holds the row; budget < 50 ms. Frames are stepped the way eframe
//!    would: when the app (or egui) asked for a repaint and its delay ran out.
//! c. A 10 MiB JSON body: selected in the list, pretty-printed and highlighted by the render
//!    worker; time until the Body view shows it (< 1 s) and the longest frame meanwhile
//!    (≤ 16 ms). Also the render step alone (`render::prepare`).
//!
//! Run: `scripts/bench.sh` (all benchmarks), or `cargo bench --bench window` (no display needed).
//!
//! Environment: `HOOKSCOPE_BENCH_ROWS` (stored captures, default 1000000),
//! `HOOKSCOPE_BENCH_ARRIVALS` (200), `HOOKSCOPE_BENCH_BIG_BODY` (bytes, 10485760).
//! Filling the store is timed separately and not part of any figure. Nothing is asserted.
//!
//! Harness frames include building the AccessKit tree for kittest's queries, which a real
//! window only does when a screen reader is active: they overstate the app's own frame cost.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // a benchmark: a panic ends the run

mod support;

use std::collections::VecDeque;
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use hookscope::app::HookscopeApp;
use hookscope::app::backend::{Backend, Waker};
use hookscope::app::control::ControlState;
use hookscope::app::render::{RenderJob, Renderer, prepare};
use hookscope::app::settings::Settings;
use hookscope::capture::{Capture, CaptureId, HeaderList, ResponseSent};
use hookscope::engine::{Engine, runtime};
use hookscope::store::maintenance::catch_up_index;
use hookscope::ui::detail::{BodyMode, Pane, RenderKey};
use hookscope::ui::status_bar::ReceiverStatus;
use support::{
    Frame, client_runtime, env_usize, info, mib, ms, own_rss, report, report_frames, report_slowest, section,
    summarize, time_frame,
};

const FRAME: Duration = Duration::from_millis(16);
const ARRIVAL_BUDGET: Duration = Duration::from_millis(50);
const RENDER_BUDGET: Duration = Duration::from_secs(1);
const FILL_CHUNK: usize = 10_000;
const BIG_MARKER: &str = "hookscope-big-body";
const BIG_PATH: &str = "/bench/big-body";

type App = Harness<'static, HookscopeApp>;

fn main() {
    let rows = env_usize("HOOKSCOPE_BENCH_ROWS", 1_000_000);
    let arrivals = env_usize("HOOKSCOPE_BENCH_ARRIVALS", 200);
    let big = env_usize("HOOKSCOPE_BENCH_BIG_BODY", 10 * 1024 * 1024);
    println!("hookscope window benchmark: {rows} stored captures, {arrivals} arrivals, {big} byte body");

    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path()).unwrap();
    let rt = runtime().unwrap();

    section("setup (not part of any figure)");
    let started = Instant::now();
    fill(&engine, &rt, rows);
    info(
        "fill through the store writer",
        &format!("{:.1} s", started.elapsed().as_secs_f64()),
    );
    let started = Instant::now();
    let indexed = catch_up_index(&engine.writer()).unwrap();
    info(
        &format!("search index caught up ({indexed} captures indexed here)"),
        &format!("{:.1} s", started.elapsed().as_secs_f64()),
    );
    info("database file", &mib(db_size(dir.path())));

    // The app, wired as `app::run_window` wires it; the waker asks the harness's context for
    // a repaint, which the arrival phase turns into frames the way eframe would.
    let ctx_slot: Arc<OnceLock<egui::Context>> = Arc::default();
    let wake: Waker = {
        let slot = ctx_slot.clone();
        Arc::new(move || {
            if let Some(ctx) = slot.get() {
                ctx.request_repaint_after(FRAME);
            }
        })
    };
    let control = ControlState::new(engine.maintenance());
    let (backend, channels) = Backend::start_with(
        engine.store(),
        &engine.writer(),
        rt.handle().clone(),
        wake,
        control,
    )
    .unwrap();
    let renderer = Renderer::start(backend.sink()).ok();
    let settings = Settings {
        port: support::free_port(),
        listen_on_start: true,
        ..Settings::default()
    };
    let dir_text = dir.path().display().to_string();
    let rss_before = own_rss();

    section(&format!("a. {rows} stored captures: frame time"));
    let opened = Instant::now();
    let mut harness: App = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |_cc| HookscopeApp::new(settings, channels, renderer, dir_text));
    let _ = ctx_slot.set(harness.ctx.clone());
    let repaint = RepaintClock::install(&harness.ctx);

    open_at_tail(&mut harness, rows, opened);
    let mut rest = Vec::new();
    for _ in 0..120 {
        rest.push(timed_step(&mut harness));
    }
    report_frames("at the tail, at rest", &rest, FRAME);
    scroll(&mut harness);
    let rss_app = own_rss();
    info("RSS of this process before the app", &mib(rss_before));
    info("RSS with the app open and scrolled", &mib(rss_app));
    info(
        &format!("  growth for {} ids + cached rows", harness.state().list().len()),
        &mib(rss_app.saturating_sub(rss_before)),
    );
    info(
        "  rows cached by the list",
        &harness.state().list().cached_rows().to_string(),
    );

    let Some(port) = receiver_port(&mut harness) else {
        println!("  the app's receiver did not start; parts b and c skipped");
        return shutdown(harness, backend, rt, engine);
    };

    section("b. request arrives → visible in the list");
    arrivals_latency(&mut harness, &repaint, port, arrivals);

    section(&format!(
        "c. {} JSON body: pretty + highlight off the UI thread",
        mib(big as u64)
    ));
    big_body(&mut harness, port, big);

    section(&format!("a (continued). filters over {rows} captures"));
    type_filter(&mut harness, "path:/hooks/github*");
    clear_filter(&mut harness);
    type_filter(&mut harness, "\"order-424242\"");
    info("RSS of this process at the end", &mib(own_rss()));

    shutdown(harness, backend, rt, engine);
}

/// Stop like `run_window`: the app, the worker (and receiver), the runtime, the writer.
fn shutdown(harness: App, backend: Backend, rt: tokio::runtime::Runtime, engine: Engine) {
    drop(harness);
    backend.join_worker();
    drop(rt);
    engine.shutdown();
    backend.join();
}

fn timed_step(harness: &mut App) -> Frame {
    time_frame(|| harness.step())
}

/// Frames from the app's creation until the newest rows are on screen.
fn open_at_tail(harness: &mut App, rows: usize, opened: Instant) {
    let mut frames = Vec::new();
    let deadline = opened + Duration::from_mins(2);
    loop {
        frames.push(timed_step(harness));
        let list = harness.state().list();
        let tail_shown = list.len() >= rows && list.last_id().and_then(|id| list.row(id)).is_some();
        if tail_shown {
            break;
        }
        if Instant::now() > deadline {
            println!("  the tail rows did not show within 120 s");
            break;
        }
    }
    let shown = opened.elapsed();
    report_frames("opening, until the newest rows show", &frames, FRAME);
    info("  time from app creation to the newest rows", &ms(shown));
}

/// Wheel scrolling up from the tail, then long jumps through the whole list.
fn scroll(harness: &mut App) {
    // Over the list (the detail pane is at the right).
    harness.hover_at(egui::pos2(320.0, 420.0));
    harness.step();
    let wheel = |unit, dy: f32| egui::Event::MouseWheel {
        unit,
        delta: egui::vec2(0.0, dy),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Unknown,
        modifiers: egui::Modifiers::NONE,
    };
    let mut frames = Vec::new();
    for _ in 0..300 {
        harness.event(wheel(egui::MouseWheelUnit::Line, 3.0));
        frames.push(timed_step(harness));
    }
    report_frames("wheel scrolling (3 lines per frame)", &frames, FRAME);

    // Long jumps: ~1/25 of the list per jump, up then down; rows come from the database.
    let row_height = 20.0_f32;
    let rows = harness.state().list().len() as f32;
    let pages_per_jump = (rows * row_height / 800.0 / 25.0).max(1.0);
    let mut frames = Vec::new();
    let mut fill_times = Vec::new();
    for i in 0..40 {
        let dy = if i < 20 { pages_per_jump } else { -pages_per_jump };
        harness.event(wheel(egui::MouseWheelUnit::Page, dy));
        let jumped = Instant::now();
        frames.push(timed_step(harness));
        // Placeholder rows ("…") until their summaries arrive.
        let deadline = jumped + Duration::from_secs(5);
        while harness.query_all_by_label("…").next().is_some() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
            frames.push(timed_step(harness));
        }
        fill_times.push(jumped.elapsed());
    }
    report_frames("long jumps (40 × ~4 % of the list)", &frames, FRAME);
    let s = summarize(&fill_times);
    info(
        "  jump → rows filled from the database",
        &format!("median {} max {}", ms(s.median), ms(s.max)),
    );
    // Back to the newest rows for what follows.
    harness.event(wheel(egui::MouseWheelUnit::Page, -1.0e9));
    harness.step();
    harness.step();
}

/// Frames scheduled like eframe's: a repaint request (with its delay) from the app or egui.
struct RepaintClock {
    due: Arc<Mutex<Option<Instant>>>,
}

impl RepaintClock {
    fn install(ctx: &egui::Context) -> Self {
        let due: Arc<Mutex<Option<Instant>>> = Arc::default();
        let slot = due.clone();
        ctx.set_request_repaint_callback(move |info| {
            let at = Instant::now() + info.delay;
            let mut d = slot.lock().unwrap();
            *d = Some(d.map_or(at, |p| p.min(at)));
        });
        RepaintClock { due }
    }

    /// Whether a frame is due now (and consume the request).
    fn take_due(&self) -> bool {
        let mut d = self.due.lock().unwrap();
        match *d {
            Some(at) if at <= Instant::now() => {
                *d = None;
                true
            }
            _ => false,
        }
    }

    /// After a frame: egui's own request for another one (`repaint_delay`).
    fn after_frame(&self, harness: &App) {
        let delay = harness
            .output()
            .viewport_output
            .get(&egui::ViewportId::ROOT)
            .map_or(Duration::MAX, |v| v.repaint_delay);
        if delay < Duration::from_hours(1) {
            let at = Instant::now() + delay;
            let mut d = self.due.lock().unwrap();
            *d = Some(d.map_or(at, |p| p.min(at)));
        }
    }
}

fn receiver_port(harness: &mut App) -> Option<u16> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        match harness.state().receiver_status() {
            ReceiverStatus::Listening(addr) => return Some(addr.port()),
            ReceiverStatus::Failed(m) => {
                println!("  receiver failed: {m}");
                return None;
            }
            _ => {}
        }
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    None
}

/// Post requests one at a time (~20 ms apart) from another thread; on this thread, step frames
/// when a repaint is due and note the first frame whose list holds each new row.
fn arrivals_latency(harness: &mut App, repaint: &RepaintClock, port: u16, n: usize) {
    let (tx, rx) = sync_channel::<(usize, Instant)>(n.max(1));
    let poster = std::thread::Builder::new()
        .name("bench-poster".into())
        .spawn(move || {
            let rt = client_runtime();
            let client = reqwest::Client::builder().http1_only().build().unwrap();
            rt.block_on(async {
                for i in 0..n {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    let url = format!("http://127.0.0.1:{port}/bench/arrival/{i}");
                    let t0 = Instant::now();
                    let _ = tx.send((i, t0));
                    let _ = client
                        .post(url)
                        .header("content-type", "application/json")
                        .body(format!(r#"{{"event":"bench.arrival","seq":{i}}}"#))
                        .send()
                        .await;
                }
            });
        })
        .unwrap();

    let mut pending: VecDeque<(usize, Instant)> = VecDeque::new();
    let mut latencies = Vec::new();
    let mut frames = Vec::new();
    let mut sent = 0;
    let deadline = Instant::now() + Duration::from_secs(30 + n as u64 / 10);
    while (sent < n || !pending.is_empty()) && Instant::now() < deadline {
        while let Ok(p) = rx.try_recv() {
            pending.push_back(p);
            sent += 1;
        }
        if !repaint.take_due() {
            std::thread::sleep(Duration::from_micros(200));
            continue;
        }
        frames.push(timed_step(harness));
        repaint.after_frame(harness);
        let now = Instant::now();
        while let Some(&(i, t0)) = pending.front() {
            if !list_has_tail_path(harness, &format!("/bench/arrival/{i}")) {
                break;
            }
            latencies.push(now - t0);
            pending.pop_front();
        }
    }
    let _ = poster.join();
    if latencies.len() < n {
        println!("  {} of {n} arrivals were not seen in time", n - latencies.len());
    }
    let s = summarize(&latencies);
    let budget = format!("< {}", ms(ARRIVAL_BUDGET));
    info("arrivals measured", &s.n.to_string());
    report("median", &ms(s.median), &budget, s.median < ARRIVAL_BUDGET);
    report("p99", &ms(s.p99), &budget, s.p99 < ARRIVAL_BUDGET);
    info("max", &ms(s.max));
    report_frames("frames meanwhile", &frames, FRAME);
}

/// Whether one of the newest rows of the list has `target`.
fn list_has_tail_path(harness: &App, target: &str) -> bool {
    let list = harness.state().list();
    list.ids()
        .iter()
        .rev()
        .take(8)
        .any(|id| list.row(*id).is_some_and(|r| r.target == target))
}

/// A compact JSON document of at least `size` bytes: an array of small objects.
fn big_json(size: usize) -> Vec<u8> {
    let mut out = format!(r#"{{"marker":"{BIG_MARKER}","items":["#).into_bytes();
    let mut i = 0u64;
    while out.len() < size {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(
            format!(
                r#"{{"id":{i},"sku":"SKU-{i:08}","name":"item number {i}","price":{}.{:02},"tags":["red","large"],"active":{},"dims":{{"w":{},"h":{}}}}}"#,
                i % 1000,
                i % 100,
                i.is_multiple_of(2),
                i % 37,
                i % 53
            )
            .as_bytes(),
        );
        i += 1;
    }
    out.extend_from_slice(b"]}");
    out
}

fn big_body(harness: &mut App, port: u16, size: usize) {
    let body = big_json(size);
    let len = body.len();
    let poster = {
        let body = body.clone();
        std::thread::Builder::new()
            .name("bench-big-post".into())
            .spawn(move || {
                let rt = client_runtime();
                let client = reqwest::Client::new();
                let url = format!("http://127.0.0.1:{port}{BIG_PATH}");
                rt.block_on(async {
                    client
                        .post(url)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                })
            })
            .unwrap()
    };
    // Its row arrives (frames at ~60 Hz meanwhile).
    let deadline = Instant::now() + Duration::from_secs(30);
    while !list_has_tail_path(harness, BIG_PATH) && Instant::now() < deadline {
        harness.step();
        std::thread::sleep(FRAME);
    }
    let status = poster.join().unwrap();
    info("posted", &format!("{len} bytes, answered {status:?}"));
    if !list_has_tail_path(harness, BIG_PATH) {
        println!("  the big capture never reached the list; skipped");
        return;
    }
    // Bring the newest rows fully into view (the row may start under the bottom panel), then
    // click the row.
    harness.hover_at(egui::pos2(320.0, 420.0));
    harness.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Page,
        delta: egui::vec2(0.0, -1.0e6),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Unknown,
        modifiers: egui::Modifiers::NONE,
    });
    for _ in 0..5 {
        harness.step();
    }
    let rect = harness.get_all_by_label(BIG_PATH).next().unwrap().rect();
    click_at(harness, rect.center());
    let selected = Instant::now();
    let mut frames = Vec::new();
    let deadline = selected + Duration::from_mins(1);
    let mut shown = None;
    // Frames at ~60 Hz, as a window would draw while the user waits (or scrolls).
    while Instant::now() < deadline {
        let frame_start = Instant::now();
        frames.push(timed_step(harness));
        if harness.query_all_by_label_contains(BIG_MARKER).next().is_some() {
            shown = Some(selected.elapsed());
            break;
        }
        if let Some(rest) = FRAME.checked_sub(frame_start.elapsed()) {
            std::thread::sleep(rest);
        }
    }
    for _ in 0..30 {
        frames.push(timed_step(harness));
    }
    let budget = format!("< {}", ms(RENDER_BUDGET));
    match shown {
        Some(t) => report(
            "click → highlighted body on screen",
            &ms(t),
            &budget,
            t < RENDER_BUDGET,
        ),
        None => report(
            "click → highlighted body on screen",
            "never (60 s)",
            &budget,
            false,
        ),
    }
    let walls: Vec<Duration> = frames.iter().map(|f| f.wall).collect();
    let s = summarize(&walls);
    report(
        &format!("longest frame meanwhile ({} frames)", s.n),
        &ms(s.max),
        "<= 16.00 ms",
        s.max <= FRAME,
    );
    report_slowest(&frames);
    info("  median frame meanwhile", &ms(s.median));

    // The render step alone, on this thread: what the worker does for the Body view.
    let job = RenderJob {
        key: RenderKey {
            id: CaptureId(0),
            pane: Pane::Body(BodyMode::Pretty),
            dark: true,
        },
        bytes: Arc::new(body),
        content_type: Some("application/json".into()),
        content_encoding: None,
        head: None,
    };
    let t = Instant::now();
    let code = prepare(&job);
    let took = t.elapsed();
    report(
        &format!("render::prepare alone ({} lines)", code.lines.len()),
        &ms(took),
        &budget,
        took < RENDER_BUDGET,
    );
}

/// A primary click at `pos` (move, press, release: a frame each).
fn click_at(harness: &mut App, pos: egui::Pos2) {
    harness.event(egui::Event::PointerMoved(pos));
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
    }
    harness.step();
}

/// Type `text` into the filter bar a character per frame, press Enter, and step until the list
/// shows the matches; then scroll the filtered list a little.
fn type_filter(harness: &mut App, text: &str) {
    let before = harness.state().list().len();
    harness.get_by_label("Filter").focus();
    harness.step();
    let mut frames = Vec::new();
    for c in text.chars() {
        harness.get_by_label("Filter").type_text(&c.to_string());
        frames.push(timed_step(harness));
    }
    // One frame per event, as a window gets them.
    harness.key_down(egui::Key::Enter);
    let applied = Instant::now();
    frames.push(timed_step(harness));
    harness.key_up(egui::Key::Enter);
    frames.push(timed_step(harness));
    let deadline = applied + Duration::from_mins(1);
    while harness.query_all_by_label_contains(" matching").next().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
        frames.push(timed_step(harness));
    }
    let took = applied.elapsed();
    harness.hover_at(egui::pos2(320.0, 420.0));
    for _ in 0..60 {
        harness.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Line,
            delta: egui::vec2(0.0, 3.0),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Unknown,
            modifiers: egui::Modifiers::NONE,
        });
        frames.push(timed_step(harness));
    }
    report_frames(
        &format!("filter `{text}`: typing, searching, scrolling the matches"),
        &frames,
        FRAME,
    );
    info(
        &format!(
            "  Enter → {} of {before} rows listed",
            harness.state().list().len()
        ),
        &ms(took),
    );
}

fn clear_filter(harness: &mut App) {
    harness.get_by_label("Clear").click();
    let deadline = Instant::now() + Duration::from_mins(1);
    while harness.query_all_by_label_contains(" matching").next().is_some() && Instant::now() < deadline {
        harness.step();
        std::thread::sleep(Duration::from_millis(1));
    }
    harness.step();
}

/// Synthetic webhook captures, in chunks of [`FILL_CHUNK`] per writer transaction.
fn fill(engine: &Engine, rt: &tokio::runtime::Runtime, rows: usize) {
    let writer = engine.writer();
    let now_us = jiff::Timestamp::now().as_microsecond();
    let start_us = now_us - rows as i64 * 1000;
    let mut done = 0;
    while done < rows {
        let n = FILL_CHUNK.min(rows - done);
        let batch: Vec<Capture> = (done..done + n).map(|k| synthetic(k, start_us)).collect();
        rt.block_on(writer.insert_all(batch)).unwrap();
        done += n;
        if done % 200_000 == 0 {
            println!("  filled {done}");
        }
    }
}

fn synthetic(k: usize, start_us: i64) -> Capture {
    const PATHS: [&str; 5] = [
        "/hooks/github",
        "/hooks/stripe",
        "/hooks/smtm/tasks",
        "/hooks/maintainx",
        "/api/callback",
    ];
    let path = PATHS[k % PATHS.len()];
    let method = if k.is_multiple_of(50) { "GET" } else { "POST" };
    let body = format!(
        r#"{{"id":"evt_{k}","type":"order.updated","order":"order-{k}","amount":{},"currency":"usd","items":[{{"sku":"SKU-{}","qty":{}}}],"created":{}}}"#,
        k % 10_000,
        k % 997,
        k % 7 + 1,
        1_700_000_000 + k
    );
    Capture {
        received_at_us: start_us + k as i64 * 1000,
        method: method.into(),
        path: path.into(),
        query: (k.is_multiple_of(10)).then(|| format!("attempt={}", k % 3 + 1)),
        http_version: "HTTP/1.1".into(),
        remote_addr: Some(format!("127.0.0.1:{}", 40_000 + k % 20_000)),
        headers: HeaderList::from_pairs([
            ("Host", "127.0.0.1:8787".to_string()),
            ("User-Agent", "bench-sender/1.0".to_string()),
            ("Content-Type", "application/json".to_string()),
            ("X-Request-Id", format!("req-{k}")),
        ]),
        body_len: body.len() as u64,
        body: body.into_bytes(),
        response: Some(ResponseSent::default_ok()),
        ..Capture::default()
    }
}

fn db_size(dir: &std::path::Path) -> u64 {
    ["hookscope.db", "hookscope.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum()
}
