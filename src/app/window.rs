//! Opening the window: engine, runtime, background threads, eframe.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::HookscopeApp;
use super::backend::{Backend, Waker};
use super::render::Renderer;
use super::settings::{SETTINGS_KEY, Settings};
use crate::cli::{Cli, data_dir};
use crate::engine::{Engine, runtime};

/// File (inside the data dir) where eframe keeps settings and window geometry.
pub const WINDOW_STATE_FILE: &str = "window.ron";

/// Benchmark hook (`benches/startup.rs`): when this variable is `1`, the window prints
/// `first frame` to stderr during its first frame and then closes, so a cold start can be timed
/// from outside.
pub const EXIT_AFTER_FIRST_FRAME_ENV: &str = "HOOKSCOPE_EXIT_AFTER_FIRST_FRAME";

/// Open the window; returns when it is closed.
pub fn run_window(cli: &Cli) -> anyhow::Result<ExitCode> {
    let dir = data_dir(cli.data_dir.as_ref())?;
    let engine = match Engine::open(&dir) {
        Ok(e) => e,
        Err(e) => {
            // Show the problem in a window too: someone who double-clicked sees no terminal.
            let message = format!("hookscope cannot open its database in {}:\n\n{e}", dir.display());
            let _ = show_error_window(&message);
            return Err(e.into());
        }
    };
    let runtime = runtime()?;
    let backend_slot: Arc<Mutex<Option<Backend>>> = Arc::default();
    let slot = backend_slot.clone();
    let store = engine.store().clone();
    let writer = engine.writer();
    let control = super::control::ControlState::new(engine.maintenance());
    let handle = runtime.handle().clone();
    let (port, bind) = (cli.port, cli.bind);
    let dir_text = dir.display().to_string();

    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("hookscope")
            .with_app_id("hookscope")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([720.0, 420.0]),
        persistence_path: Some(dir.join(WINDOW_STATE_FILE)),
        ..Default::default()
    };
    let result = eframe::run_native(
        "hookscope",
        options,
        Box::new(move |cc| {
            let mut settings: Settings = cc
                .storage
                .and_then(|s| eframe::get_value(s, SETTINGS_KEY))
                .unwrap_or_default();
            if let Some(p) = port {
                settings.port = p;
            }
            if let Some(b) = bind {
                settings.bind = b;
            }
            let ctx = cc.egui_ctx.clone();
            // One repaint per burst of events, at most ~60 per second.
            let wake: Waker = Arc::new(move || ctx.request_repaint_after(Duration::from_millis(16)));
            control.maintenance.set_policy(settings.retention_policy());
            let (backend, channels) = Backend::start_with(&store, &writer, handle, wake.clone(), control)?;
            let render_sink = backend.sink();
            if let Ok(mut s) = slot.lock() {
                *s = Some(backend);
            }
            let renderer = Renderer::start(render_sink).ok();
            let app = HookscopeApp::new(settings, channels, renderer, dir_text);
            if std::env::var_os(EXIT_AFTER_FIRST_FRAME_ENV).is_some_and(|v| v == "1") {
                return Ok(Box::new(ExitAfterFirstFrame { app, done: false }));
            }
            Ok(Box::new(app))
        }),
    );
    // The app is gone: the worker stops the receiver; then the writer commits what is queued.
    let backend = backend_slot.lock().ok().and_then(|mut s| s.take());
    if let Some(b) = &backend {
        b.join_worker();
    }
    drop(runtime);
    engine.shutdown();
    if let Some(b) = backend {
        b.join();
    }
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => Err(anyhow::anyhow!(
            "cannot open a window ({e}); `hookscope listen` runs the receiver without one"
        )),
    }
}

/// A minimal window that shows one message.
fn show_error_window(message: &str) -> Result<(), eframe::Error> {
    let message = message.to_string();
    eframe::run_ui_native(
        "hookscope",
        eframe::NativeOptions {
            viewport: egui::ViewportBuilder::default()
                .with_title("hookscope")
                .with_inner_size([640.0, 240.0]),
            ..Default::default()
        },
        move |ui, _| {
            egui::CentralPanel::default().show(ui, |ui| {
                ui.heading("hookscope could not start");
                ui.add_space(8.0);
                ui.label(&message);
            });
        },
    )
}

/// The app, closed after its first frame (see [`EXIT_AFTER_FIRST_FRAME_ENV`]).
struct ExitAfterFirstFrame {
    app: HookscopeApp,
    done: bool,
}

impl eframe::App for ExitAfterFirstFrame {
    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        self.app.logic(ctx, frame);
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.app.ui(ui, frame);
        if !self.done {
            self.done = true;
            eprintln!("first frame");
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.app.save(storage);
    }
}
