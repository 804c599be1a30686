//! The eframe application: state, event draining with a time budget, and intents turned into
//! commands for the background. The UI thread never does IO.

pub mod backend;
pub mod control;
mod control_view;
mod files;
pub mod messages;
pub mod render;
pub mod retire;
pub mod send_backend;
pub mod sending;
pub mod settings;
mod window;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

pub use window::run_window;

use backend::Channels;
use messages::{AppEvent, Command};
use render::{RenderJob, Renderer};
use sending::SendEvent;
use settings::{DetailLayout, SETTINGS_KEY, Settings, ThemeChoice};

use crate::capture::sort::{ListSort, OrderedIds, SortKey};
use crate::capture::{Capture, CaptureId};
use crate::ui::Intent;
use crate::ui::code_view::CodeText;
use crate::ui::detail::{DetailInput, DetailView, Pane, RenderKey, detail_ui};
use crate::ui::diff::{DiffView, diff_window};
use crate::ui::list::{ListHeader, ScrollTo, request_list_ui};
use crate::ui::list_model::ListModel;
use crate::ui::profiles::{ProfilesView, profiles_window};
use crate::ui::status_bar::{ReceiverStatus, StatusBar, status_bar_ui};
use crate::ui::subscriptions::{SubscriptionsView, subscriptions_ui};
use crate::ui::transfer::{TransferView, transfer_windows};

/// Longest time one frame spends draining background events.
const DRAIN_BUDGET: Duration = Duration::from_millis(4);

/// How far the window is behind the background after a burst.
#[derive(Debug, Default, Clone, Copy)]
struct CatchingUp {
    /// Events still queued when the last frame's drain budget ran out.
    backlog: usize,
    /// Events were dropped instead of queued; the list is being reloaded from the database.
    reloading: bool,
}

impl CatchingUp {
    fn describe(self) -> Option<String> {
        if self.reloading {
            Some("catching up: reloading the list after a burst".into())
        } else if self.backlog > 0 {
            Some(format!("catching up: {} updates queued", self.backlog))
        } else {
            None
        }
    }
}

/// A scroll the list still has to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum PendingScroll {
    #[default]
    None,
    /// To the newest row (arrival order).
    Tail,
    Top,
    /// Bring this capture into view.
    Row(CaptureId),
}

/// The window's state.
pub struct HookscopeApp {
    /// Saved by eframe between runs (no secrets).
    settings: Settings,
    /// Commands out, events in.
    channels: Channels,
    /// Background events not yet shown (bursts).
    catching_up: CatchingUp,
    /// Prepares body views off the UI thread.
    renderer: Option<Renderer>,
    /// The request list.
    list: ListModel,
    /// Selected capture.
    selected: Option<CaptureId>,
    /// Its full record, once loaded.
    detail: Option<Box<Capture>>,
    detail_loading: bool,
    detail_view: DetailView,
    /// Prepared texts for the selected capture.
    rendered: HashMap<RenderKey, CodeText>,
    /// The render job in flight.
    render_pending: Option<RenderKey>,
    receiver: ReceiverStatus,
    /// Text of the port field.
    port_text: String,
    /// Where the list should scroll on the next frame that has rows.
    pending_scroll: PendingScroll,
    /// The list's scroll offset in the last frame (points).
    list_offset: f32,
    /// Last message for the status line (`true` = error).
    message: Option<(String, bool)>,
    show_settings: bool,
    confirm_clear: bool,
    /// Where the data lives (shown in settings).
    data_dir: String,
    /// Filter bar, Rules and Stats panels.
    control: control_view::ControlView,
    /// Signing profiles as last read (secrets stay in memory only).
    profiles: Vec<crate::signature::Profile>,
    profiles_view: ProfilesView,
    subscriptions_view: SubscriptionsView,
    /// The full signature verdict of the selected capture.
    evaluation: Option<(CaptureId, crate::signature::Evaluation)>,
    transfer: TransferView,
    diff: DiffView,
    /// Text to put on the clipboard in the next frame (prepared in the background).
    clipboard: Option<String>,
    /// Replay editor, forward mode, test events, deliveries.
    sending: sending::SendingUi,
}

impl HookscopeApp {
    /// Build the app over `channels`. Asks for the history and, if configured, starts the
    /// receiver.
    pub fn new(settings: Settings, channels: Channels, renderer: Option<Renderer>, data_dir: String) -> Self {
        let mut app = HookscopeApp {
            port_text: settings.port.to_string(),
            settings,
            channels,
            catching_up: CatchingUp::default(),
            renderer,
            list: ListModel::default(),
            selected: None,
            detail: None,
            detail_loading: false,
            detail_view: DetailView::default(),
            rendered: HashMap::new(),
            render_pending: None,
            receiver: ReceiverStatus::Stopped,
            pending_scroll: PendingScroll::Tail,
            list_offset: 0.0,
            message: None,
            show_settings: false,
            confirm_clear: false,
            data_dir,
            control: control_view::ControlView::default(),
            profiles: Vec::new(),
            profiles_view: ProfilesView::default(),
            subscriptions_view: SubscriptionsView::default(),
            evaluation: None,
            transfer: TransferView::default(),
            diff: DiffView::default(),
            clipboard: None,
            sending: sending::SendingUi::default(),
        };
        if app.settings.list_sort.is_arrival() {
            app.settings.list_sort = ListSort::ARRIVAL;
            app.send(Command::LoadIds);
        } else {
            let sort = app.settings.list_sort;
            app.send(Command::Control(control::ControlCommand::SetSort(sort)));
        }
        app.send(Command::LoadProfiles);
        if app.settings.listen_on_start {
            app.start_receiver();
        }
        app
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn receiver_status(&self) -> &ReceiverStatus {
        &self.receiver
    }

    pub fn list(&self) -> &ListModel {
        &self.list
    }

    fn send(&mut self, cmd: Command) {
        self.try_command(cmd);
    }

    /// Queue `cmd`; `false` (and a message) when the background did not take it.
    fn try_command(&mut self, cmd: Command) -> bool {
        let lists = matches!(
            cmd,
            Command::LoadIds
                | Command::Control(
                    control::ControlCommand::SetFilter(_) | control::ControlCommand::SetSort(_)
                )
        );
        let sent = self.channels.commands.try_send(cmd).is_ok();
        if sent && lists {
            self.list.reload_requested();
        }
        if !sent {
            self.message = Some((
                "busy: the background did not take the request, try again".into(),
                true,
            ));
        }
        sent
    }

    /// A column header was clicked: ask the background for the ids in the new order. The
    /// header shows the new order at once; the list changes when the answer arrives.
    fn sort_by(&mut self, key: SortKey) {
        let sort = self.settings.list_sort.clicked(key);
        self.settings.list_sort = sort;
        if !self.try_command(Command::Control(control::ControlCommand::SetSort(sort))) {
            self.settings.list_sort = self.list.sort();
        }
    }

    /// Take a new id list, unless it is in an order no longer asked for (the answer for the
    /// newer order follows). Returns whether it was taken.
    fn apply_ids(&mut self, ids: OrderedIds) -> bool {
        if ids.sort != self.settings.list_sort {
            return false;
        }
        let reordered = ids.sort != self.list.sort();
        if !self.list.set_ids(ids) {
            // A live arrival that raced the query could not be placed: read everything again.
            self.send(Command::LoadIds);
        }
        if let Some(id) = self.selected.filter(|id| self.list.index_of(*id).is_none()) {
            self.deselect(id);
        }
        if reordered {
            // The selection stays selected and in view; without one, start at the top (or
            // at the newest row in arrival order).
            self.pending_scroll = match self.selected {
                Some(id) => PendingScroll::Row(id),
                None if self.list.sort().is_arrival() => PendingScroll::Tail,
                None => PendingScroll::Top,
            };
        }
        true
    }

    fn start_receiver(&mut self) {
        self.receiver = ReceiverStatus::Starting;
        self.send(Command::StartReceiver {
            bind: self.settings.bind,
            port: self.settings.port,
            max_body_bytes: self.settings.max_body_bytes,
        });
    }

    /// Apply queued background events, for at most [`DRAIN_BUDGET`].
    fn drain_events(&mut self, ctx: &egui::Context) {
        let start = Instant::now();
        self.catching_up.backlog = 0;
        while let Some(event) = self.channels.try_next() {
            self.apply(event);
            if start.elapsed() > DRAIN_BUDGET {
                // More is waiting: continue next frame instead of freezing this one.
                self.catching_up.backlog = self.channels.queued.load(Ordering::Acquire).max(1);
                ctx.request_repaint();
                break;
            }
        }
        if self.channels.gap.swap(false, Ordering::AcqRel) {
            // Events were dropped rather than block the background: the list reloads.
            self.catching_up.reloading = true;
            self.list.forget_requests();
            self.send(Command::LoadIds);
            for cmd in self.sending.on_gap() {
                self.send(cmd);
            }
        }
    }

    fn apply(&mut self, event: AppEvent) {
        match event {
            AppEvent::ReceiverStarted { addr } => {
                self.receiver = ReceiverStatus::Listening(addr);
                self.port_text = addr.port().to_string();
            }
            AppEvent::ReceiverStopped => self.receiver = ReceiverStatus::Stopped,
            AppEvent::ReceiverFailed { message } => self.receiver = ReceiverStatus::Failed(message),
            AppEvent::Inserted(rows) => {
                self.list.insert_live(rows);
                // Following the newest row means something in arrival order only.
                if self.settings.follow_tail && self.list.sort().is_arrival() {
                    self.pending_scroll = PendingScroll::Tail;
                }
            }
            AppEvent::Ids(ids) => {
                self.catching_up.reloading = false;
                self.apply_ids(ids);
            }
            AppEvent::Summaries(rows) => self.list.insert_loaded(rows),
            AppEvent::Detail(c) => {
                if self.selected == Some(c.id) {
                    retire::retire(self.detail.replace(c));
                    self.detail_loading = false;
                } else {
                    retire::retire(c);
                }
            }
            AppEvent::DetailMissing(id) => self.deselect(id),
            AppEvent::Rendered(done) => {
                let (key, code) = *done;
                if self.render_pending == Some(key) {
                    self.render_pending = None;
                }
                // Prepared texts no longer shown (or replaced) are freed off this thread.
                if self.selected == Some(key.id) {
                    retire::retire(self.rendered.insert(key, code));
                } else {
                    retire::retire(code);
                }
            }
            AppEvent::Changed => {
                self.send(Command::LoadIds);
                // Verdicts may have changed: reload the selected capture too.
                if let Some(id) = self.selected {
                    self.send(Command::LoadDetail(id));
                }
            }
            AppEvent::Error(message) => self.message = Some((message, true)),
            AppEvent::Control(event) => self.apply_control(event),
            AppEvent::Info(message) => self.message = Some((message, false)),
            AppEvent::Profiles(profiles) => self.profiles = profiles,
            AppEvent::SignatureDetail { id, evaluation } => {
                if self.selected == Some(id) {
                    self.evaluation = Some((id, *evaluation));
                }
            }
            AppEvent::VerifyResult { id, verification } => {
                self.detail_view.verify.result = Some((id, *verification));
            }
            AppEvent::Imported(ids) => {
                self.transfer.error = None;
                self.transfer.import_open = false;
                self.transfer.import_text.clear();
                self.message = Some((format!("imported {} captures", ids.len()), false));
                if let Some(last) = ids.last() {
                    self.select(*last);
                }
            }
            AppEvent::ImportFailed(message) => {
                self.transfer.error = Some(message.clone());
                self.message = Some((message, true));
            }
            AppEvent::Clipboard { text, note } => {
                self.clipboard = Some(text);
                self.message = Some((note, false));
            }
            AppEvent::Diffed { left, right, diff } => self.diff.set_result(left, right, *diff),
            AppEvent::SubscriptionsListed(result) => self.subscriptions_view.listed(result),
            AppEvent::SubscriptionsChanged(result) => self.subscriptions_view.changed(result),
            AppEvent::Send(ev) => {
                if let SendEvent::ReplayDone { capture, .. } = &*ev {
                    self.list.mark_replayed(*capture);
                }
                for cmd in self.sending.apply(*ev) {
                    self.send(cmd);
                }
            }
        }
    }

    fn deselect(&mut self, id: CaptureId) {
        if self.selected == Some(id) {
            self.selected = None;
            self.detail_loading = false;
            self.retire_detail();
        }
    }

    /// Let go of the selected capture and its prepared views, freed off the UI thread (a big
    /// body's are a frame's worth of work to free).
    fn retire_detail(&mut self) {
        retire::retire((self.detail.take(), std::mem::take(&mut self.rendered)));
    }

    fn select(&mut self, id: CaptureId) {
        if self.selected == Some(id) {
            return;
        }
        self.selected = Some(id);
        self.detail_loading = true;
        self.retire_detail();
        self.render_pending = None;
        self.send(Command::LoadDetail(id));
    }

    fn handle(&mut self, ctx: &egui::Context, intent: Intent) {
        match intent {
            Intent::Select(id) => self.select(id),
            Intent::SortBy(key) => self.sort_by(key),
            Intent::StartReceiver => self.start_receiver(),
            Intent::StopReceiver => self.send(Command::StopReceiver),
            Intent::ChangePort(port) => {
                self.settings.port = port;
                self.start_receiver();
            }
            Intent::ClearAll => {
                self.send(Command::ClearAll);
                self.message = Some(("history cleared".into(), false));
            }
            Intent::Delete(ids) => self.send(Command::Delete(ids)),
            Intent::CopyText(text) => {
                ctx.copy_text(text);
                self.message = Some(("copied to the clipboard".into(), false));
            }
            Intent::Control(c) => self.handle_control(c),
            Intent::VerifyWith {
                id,
                scheme,
                secret,
                tolerance_secs,
            } => {
                self.send(Command::VerifyWith {
                    id,
                    scheme,
                    secret: secret.into(),
                    tolerance_secs,
                });
            }
            Intent::SaveProfile { profile, replace } => {
                self.message = Some((format!("saving profile '{}'…", profile.name), false));
                self.send(Command::SaveProfile { profile, replace });
            }
            Intent::RemoveProfile(name) => {
                self.profiles_view.revealed.remove(&name);
                self.send(Command::RemoveProfile(name));
            }
            Intent::Import(source) => {
                self.transfer.error = None;
                self.send(Command::Import(source));
            }
            Intent::Export { kind, ids, path } => {
                self.transfer.export_open = false;
                self.send(Command::Export { kind, ids, path });
            }
            Intent::CopyCurl(id) => self.send(Command::CopyCurl(id)),
            Intent::MarkForDiff(id) => {
                self.diff.marked = Some(id);
                self.message = Some((
                    format!("#{id} marked: select another request and press Diff"),
                    false,
                ));
            }
            Intent::Diff { left, right } => {
                self.diff.open = true;
                self.diff.result = None;
                self.send(Command::Diff { left, right });
            }
        }
    }

    /// This frame's scroll for the list: a pending one once there are rows, else keep what is
    /// on screen still while rows are merged in above it.
    fn take_scroll(&mut self) -> ScrollTo {
        let shift = self.list.take_shift();
        if self.list.is_empty() {
            return ScrollTo::None;
        }
        match std::mem::take(&mut self.pending_scroll) {
            PendingScroll::Tail => ScrollTo::Row(self.list.len() - 1),
            PendingScroll::Top => ScrollTo::Reveal(0),
            PendingScroll::Row(id) => self.list.index_of(id).map_or(ScrollTo::None, ScrollTo::Reveal),
            PendingScroll::None if shift > 0 => ScrollTo::Shift {
                offset_y: self.list_offset,
                rows: shift,
            },
            PendingScroll::None => ScrollTo::None,
        }
    }

    /// Ask the render worker for `pane` of the selected capture unless it is ready or asked.
    fn request_render(&mut self, pane: Pane, dark: bool) {
        let (Some(c), Some(renderer)) = (&self.detail, &self.renderer) else {
            return;
        };
        let key = RenderKey { id: c.id, pane, dark };
        if self.rendered.contains_key(&key) || self.render_pending == Some(key) {
            return;
        }
        let (bytes, headers) = match pane {
            Pane::Response => match &c.response {
                Some(r) => (r.body.clone(), &r.headers),
                None => return,
            },
            Pane::Body(_) | Pane::Raw => (c.body.clone(), &c.headers),
        };
        let head = (pane == Pane::Raw).then(|| {
            let raw = Capture {
                body: Vec::new(),
                ..(**c).clone()
            }
            .raw_http();
            String::from_utf8_lossy(&raw).into_owned()
        });
        let job = RenderJob {
            key,
            bytes: Arc::new(bytes),
            content_type: headers.get("content-type").map(str::to_owned),
            content_encoding: headers.get("content-encoding").map(str::to_owned),
            head,
        };
        if renderer.request(job) {
            self.render_pending = Some(key);
        }
    }

    fn toolbar_ui(&mut self, ui: &mut egui::Ui, intents: &mut Vec<Intent>) {
        ui.horizontal_wrapped(|ui| {
            ui.heading("hookscope");
            ui.separator();
            if let Some(id) = self.selected
                && ui
                    .button("Delete")
                    .on_hover_text("Delete the selected capture")
                    .clicked()
            {
                intents.push(Intent::Delete(vec![id]));
            }
            let cmds = self.sending.toolbar_ui(
                ui,
                self.detail.as_deref(),
                &mut self.settings.sending,
                &self.profiles,
            );
            for cmd in cmds {
                self.send(cmd);
            }
            ui.separator();
            if ui
                .button("Import…")
                .on_hover_text("HAR, NDJSON, a curl command or a raw HTTP request")
                .clicked()
            {
                self.transfer.import_open = true;
            }
            if ui.button("Export…").on_hover_text("HAR 1.2 or NDJSON").clicked() {
                self.transfer.export_open = true;
            }
            ui.separator();
            if ui
                .button("Profiles…")
                .on_hover_text("Signing profiles: path pattern → scheme + secret")
                .clicked()
            {
                self.profiles_view.open = !self.profiles_view.open;
                self.send(Command::LoadProfiles);
            }
            if ui
                .button("Subscriptions…")
                .on_hover_text("MaintainX webhook subscriptions: list, create, delete")
                .clicked()
            {
                self.subscriptions_view.open = !self.subscriptions_view.open;
            }
            if ui.button("Settings").clicked() {
                self.show_settings = !self.show_settings;
            }
            ui.menu_button("View", |ui| {
                ui.label("Detail pane");
                ui.radio_value(&mut self.settings.layout, DetailLayout::Right, "at the right");
                ui.radio_value(&mut self.settings.layout, DetailLayout::Bottom, "below the list");
                ui.separator();
                ui.label("Theme");
                ui.radio_value(&mut self.settings.theme, ThemeChoice::Dark, "dark");
                ui.radio_value(&mut self.settings.theme, ThemeChoice::Light, "light");
            });
        });
    }

    fn dialogs_ui(&mut self, ctx: &egui::Context, intents: &mut Vec<Intent>) {
        if self.confirm_clear {
            let mut open = true;
            egui::Window::new("Clear all captures?")
                .collapsible(false)
                .resizable(false)
                .open(&mut open)
                .show(ctx, |ui| {
                    ui.label(format!(
                        "This deletes all {} stored captures. It cannot be undone.",
                        self.list.len()
                    ));
                    ui.horizontal(|ui| {
                        if ui.button("Delete everything").clicked() {
                            intents.push(Intent::ClearAll);
                            self.confirm_clear = false;
                        }
                        if ui.button("Cancel").clicked() {
                            self.confirm_clear = false;
                        }
                    });
                });
            self.confirm_clear &= open;
        }
        transfer_windows(ctx, &mut self.transfer, self.selected, intents);
        if self.diff.open {
            diff_window(ctx, &mut self.diff);
        }
        if self.profiles_view.open {
            profiles_window(ctx, &mut self.profiles_view, &self.profiles, intents);
        }
        if self.subscriptions_view.open {
            let mut open = true;
            let mut action = None;
            egui::Window::new("MaintainX subscriptions")
                .open(&mut open)
                .default_size([720.0, 480.0])
                .vscroll(true)
                .show(ctx, |ui| {
                    action = subscriptions_ui(
                        ui,
                        &mut self.subscriptions_view,
                        &mut self.settings.maintainx_api_url,
                    );
                });
            self.subscriptions_view.open = open;
            if let Some(action) = action {
                self.subscriptions_view.started();
                self.send(Command::Subscriptions(Box::new(action)));
            }
        }
        if self.show_settings {
            let mut open = true;
            egui::Window::new("Settings")
                .open(&mut open)
                .show(ctx, |ui| self.settings_ui(ui, intents));
            self.show_settings = open;
        }
    }

    fn settings_ui(&mut self, ui: &mut egui::Ui, intents: &mut Vec<Intent>) {
        egui::Grid::new("settings-grid")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                ui.label("Data folder");
                ui.label(egui::RichText::new(&self.data_dir).monospace());
                ui.end_row();
                ui.label("Bind address");
                let mut bind = self.settings.bind.to_string();
                if ui.text_edit_singleline(&mut bind).changed()
                    && let Ok(addr) = bind.trim().parse()
                {
                    self.settings.bind = addr;
                }
                ui.end_row();
                ui.label("Body cap (bytes)");
                ui.add(
                    egui::DragValue::new(&mut self.settings.max_body_bytes)
                        .range(1024..=1usize << 31)
                        .speed(1024),
                );
                ui.end_row();
                ui.label("Start receiver on launch");
                ui.checkbox(&mut self.settings.listen_on_start, "");
                ui.end_row();
            });
        if !self.settings.bind.is_loopback() {
            ui.colored_label(
                crate::ui::palette::WARN,
                "A non-loopback address exposes the receiver to your network.",
            );
        }
        if ui.button("Apply and restart receiver").clicked() {
            intents.push(Intent::StartReceiver);
        }
        self.retention_settings_ui(ui, intents);
    }
}

impl eframe::App for HookscopeApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.drain_events(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        let dark = self.settings.theme == ThemeChoice::Dark;
        let theme = if dark {
            egui::Theme::Dark
        } else {
            egui::Theme::Light
        };
        if ctx.theme() != theme {
            ctx.set_theme(theme);
        }
        let mut intents = Vec::new();
        if let Some(text) = self.clipboard.take() {
            ctx.copy_text(text);
        }

        egui::Panel::top("toolbar").show(ui, |ui| self.toolbar_ui(ui, &mut intents));
        egui::Panel::top("status").show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                status_bar_ui(
                    ui,
                    &mut StatusBar {
                        receiver: &self.receiver,
                        captures: self.list.len(),
                        port_text: &mut self.port_text,
                        follow_tail: &mut self.settings.follow_tail,
                        follow_applies: self.list.sort().is_arrival(),
                        exposed: !self.settings.bind.is_loopback(),
                        catching_up: self.catching_up.describe(),
                    },
                    &mut intents,
                );
                ui.separator();
                self.control_buttons_ui(ui, &mut intents);
                if ui.button("Clear all…").clicked() {
                    self.confirm_clear = true;
                }
                self.sending.forward_status_ui(ui);
            });
        });
        if let Some((text, is_error)) = &self.message {
            let color = if *is_error {
                crate::ui::palette::ERROR
            } else {
                ui.visuals().weak_text_color()
            };
            let text = text.clone();
            egui::Panel::bottom("message").show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.colored_label(color, text);
                    if ui.small_button("Dismiss").clicked() {
                        self.message = None;
                    }
                });
            });
        }
        let input = DetailInput {
            capture: self.detail.as_deref(),
            loading: self.detail_loading,
            code: None,
            marked: self.diff.marked,
            evaluation: self
                .evaluation
                .as_ref()
                .filter(|(id, _)| self.selected == Some(*id))
                .map(|(_, e)| e),
        };
        let wanted_key = |pane: Pane, id: CaptureId| RenderKey { id, pane, dark };
        let current_code = self.detail.as_ref().and_then(|c| {
            let pane = match self.detail_view.tab {
                crate::ui::detail::DetailTab::Body => Pane::Body(self.detail_view.body_mode),
                crate::ui::detail::DetailTab::Raw => Pane::Raw,
                crate::ui::detail::DetailTab::Response => Pane::Response,
                _ => return None,
            };
            self.rendered.get(&wanted_key(pane, c.id))
        });
        let input = DetailInput {
            code: current_code,
            ..input
        };
        let mut wanted = None;
        let detail_panel = match self.settings.layout {
            DetailLayout::Right => egui::Panel::right("detail").resizable(true).default_size(520.0),
            DetailLayout::Bottom => egui::Panel::bottom("detail").resizable(true).default_size(360.0),
        };
        detail_panel.show(ui, |ui| {
            wanted = detail_ui(ui, &input, &mut self.detail_view, &mut intents);
        });
        let scroll = self.take_scroll();
        let mut visible = 0..0;
        egui::CentralPanel::default().show(ui, |ui| {
            self.filter_bar_ui(ui, &mut intents);
            let header = ListHeader {
                sort: self.settings.list_sort,
                sorting: self.settings.list_sort != self.list.sort(),
                receiver: match &self.receiver {
                    ReceiverStatus::Listening(addr) => Some(*addr),
                    _ => None,
                },
            };
            let out = request_list_ui(ui, &self.list, header, self.selected, scroll, &mut intents);
            visible = out.visible;
            self.list_offset = out.offset_y;
        });
        self.dialogs_ui(&ctx, &mut intents);
        self.control_windows_ui(&ctx, &mut intents);
        for cmd in self
            .sending
            .windows_ui(&ctx, &mut self.settings.sending, &self.profiles)
        {
            self.send(cmd);
        }

        let missing = self.list.missing_around(visible);
        if !missing.is_empty() {
            self.send(Command::LoadSummaries(missing));
        }
        if let Some(pane) = wanted {
            self.request_render(pane, dark);
        }
        for intent in intents {
            self.handle(&ctx, intent);
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, SETTINGS_KEY, &self.settings);
    }
}
