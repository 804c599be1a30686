//! The window's sending features: replay editor, forward mode, "Send test event" and the
//! deliveries view. Their state lives here and their drawing in `ui/`; the work is done by
//! [`super::send_backend`] on the runtime and comes back as [`SendEvent`]s.

use serde::{Deserialize, Serialize};

use super::messages::Command;
use crate::capture::{Capture, CaptureId};
use crate::send::{Attempt, AttemptRecord, DeliveryRecord, Progress, ReplayPlan, RunSummary, TargetSummary};
use crate::signature::Profile;
use crate::ui::deliveries::{DeliveriesAction, DeliveriesView, deliveries_ui};
use crate::ui::palette;
use crate::ui::replay::{ReplayAction, ReplayEditor, replay_editor_ui};
use crate::ui::send_panel::{RunView, SendPanel, SendPanelAction, TestSpec, URL_HISTORY, send_panel_ui};

/// What is saved between runs (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SendSettings {
    /// Target URLs of "Send test event", newest first.
    pub url_history: Vec<String>,
    /// Last replay target.
    pub replay_target: String,
    /// Forward-mode target.
    pub forward_url: String,
}

/// Sending work for the background.
#[derive(Debug, Clone, PartialEq)]
pub enum SendCommand {
    Replay {
        job: u64,
        capture: Box<Capture>,
        plan: Box<ReplayPlan>,
        timeout_secs: u64,
    },
    LoadAttempts(CaptureId),
    StartForward {
        target: String,
    },
    StopForward,
    SendTest {
        job: u64,
        spec: Box<TestSpec>,
    },
    Cancel(u64),
    LoadDeliveries,
    LoadDeliveryAttempts(Box<DeliveryRecord>),
}

/// What the background answers.
#[derive(Debug, Clone)]
pub enum SendEvent {
    ReplayDone {
        job: u64,
        capture: CaptureId,
        attempt: Box<Attempt>,
    },
    ReplayFailed {
        job: u64,
        message: String,
    },
    Attempts {
        capture: CaptureId,
        attempts: Vec<AttemptRecord>,
    },
    ForwardStarted {
        target: String,
    },
    ForwardStopped,
    ForwardFailed {
        message: String,
    },
    Forwarded {
        capture: CaptureId,
        ok: bool,
        text: String,
    },
    ForwardSkipped {
        after: CaptureId,
        before: CaptureId,
    },
    Progress {
        job: u64,
        progress: Box<Progress>,
    },
    SendFinished {
        job: u64,
        summary: RunSummary,
    },
    SendFailed {
        job: u64,
        message: String,
    },
    Deliveries {
        deliveries: Vec<DeliveryRecord>,
        targets: Vec<TargetSummary>,
    },
    DeliveryAttempts {
        row: i64,
        attempts: Vec<AttemptRecord>,
    },
}

/// Forward mode as the window knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForwardState {
    /// Forwarding to this target.
    pub active: Option<String>,
    /// Asked to start, not confirmed yet.
    pub starting: bool,
    pub forwarded: u64,
    pub failed: u64,
    /// Last result, for the status line.
    pub last: Option<(String, bool)>,
}

/// The state of every sending panel.
#[derive(Debug, Default)]
pub struct SendingUi {
    next_job: u64,
    pub replay: Option<ReplayEditor>,
    pub send_panel: SendPanel,
    pub show_send_panel: bool,
    pub deliveries: DeliveriesView,
    pub show_deliveries: bool,
    pub forward: ForwardState,
}

fn cmd(c: SendCommand) -> Command {
    Command::Send(Box::new(c))
}

impl SendingUi {
    fn job(&mut self) -> u64 {
        self.next_job += 1;
        self.next_job
    }

    /// Open the replay editor on `capture`.
    pub fn open_replay(
        &mut self,
        capture: &Capture,
        settings: &SendSettings,
        profiles: &[Profile],
    ) -> Vec<Command> {
        let target = if settings.replay_target.is_empty() {
            "http://localhost:3000"
        } else {
            &settings.replay_target
        };
        self.replay = Some(ReplayEditor::new(capture, target, profiles));
        vec![cmd(SendCommand::LoadAttempts(capture.id))]
    }

    /// The background fell behind and events were dropped: reload what is shown.
    pub fn on_gap(&mut self) -> Vec<Command> {
        let mut out = Vec::new();
        if let Some(ed) = &mut self.replay {
            ed.sending = None;
            out.push(cmd(SendCommand::LoadAttempts(ed.capture.id)));
        }
        if self.show_deliveries {
            out.push(cmd(SendCommand::LoadDeliveries));
        }
        out
    }

    /// Apply an event from the background.
    pub fn apply(&mut self, ev: SendEvent) -> Vec<Command> {
        let mut out = Vec::new();
        match ev {
            SendEvent::ReplayDone { job, capture, .. } => {
                if let Some(ed) = self.replay.as_mut().filter(|e| e.sending == Some(job)) {
                    ed.sending = None;
                    ed.error = None;
                }
                out.push(cmd(SendCommand::LoadAttempts(capture)));
            }
            SendEvent::ReplayFailed { job, message } => {
                if let Some(ed) = self.replay.as_mut().filter(|e| e.sending == Some(job)) {
                    ed.sending = None;
                    ed.error = Some(message);
                }
            }
            SendEvent::Attempts { capture, attempts } => {
                if let Some(ed) = self.replay.as_mut().filter(|e| e.capture.id == capture) {
                    // Show the newest attempt after a send.
                    if ed.selected_attempt.is_none() || attempts.len() > ed.attempts.len() {
                        ed.selected_attempt = attempts.last().map(|a| a.id);
                    }
                    ed.attempts = attempts;
                }
            }
            SendEvent::ForwardStarted { target } => {
                self.forward.active = Some(target);
                self.forward.starting = false;
            }
            SendEvent::ForwardStopped => {
                self.forward.active = None;
                self.forward.starting = false;
            }
            SendEvent::ForwardFailed { message } => {
                self.forward.starting = false;
                self.forward.last = Some((message, false));
            }
            SendEvent::Forwarded { capture, ok, text } => {
                if ok {
                    self.forward.forwarded += 1;
                } else {
                    self.forward.failed += 1;
                }
                self.forward.last = Some((format!("#{capture}: {text}"), ok));
                if self.replay.as_ref().is_some_and(|e| e.capture.id == capture) {
                    out.push(cmd(SendCommand::LoadAttempts(capture)));
                }
            }
            SendEvent::ForwardSkipped { after, before } => {
                self.forward.last = Some((
                    format!(
                        "target too slow: captures after #{after} and before #{before} were not forwarded"
                    ),
                    false,
                ));
            }
            SendEvent::Progress { job, progress } => {
                if let Some(run) = self.send_panel.run.as_mut().filter(|r| r.job == job) {
                    run.apply(&progress);
                }
            }
            SendEvent::SendFinished { job, summary } => {
                if let Some(run) = self.send_panel.run.as_mut().filter(|r| r.job == job) {
                    run.running = false;
                    run.summary = Some(summary);
                }
                if self.show_deliveries {
                    out.push(cmd(SendCommand::LoadDeliveries));
                }
            }
            SendEvent::SendFailed { job, message } => {
                if let Some(run) = self.send_panel.run.as_mut().filter(|r| r.job == job) {
                    run.running = false;
                    run.error = Some(message);
                }
            }
            SendEvent::Deliveries { deliveries, targets } => {
                self.deliveries.deliveries = deliveries;
                self.deliveries.targets = targets;
                self.deliveries.loading = false;
            }
            SendEvent::DeliveryAttempts { row, attempts } => {
                if self.deliveries.selected == Some(row) {
                    self.deliveries.selected_attempt = attempts.last().map(|a| a.id);
                    self.deliveries.attempts = attempts;
                }
            }
        }
        out
    }

    /// Toolbar buttons: Replay…, Send test event, Deliveries, forward mode.
    pub fn toolbar_ui(
        &mut self,
        ui: &mut egui::Ui,
        selected: Option<&Capture>,
        settings: &mut SendSettings,
        profiles: &[Profile],
    ) -> Vec<Command> {
        let mut out = Vec::new();
        let replay = ui
            .add_enabled(selected.is_some(), egui::Button::new("Replay…"))
            .on_hover_text("Send the selected request again, edited and re-signed if you like");
        if replay.clicked()
            && let Some(c) = selected
        {
            out.extend(self.open_replay(c, settings, profiles));
        }
        if ui.button("Send test event").clicked() {
            self.show_send_panel = !self.show_send_panel;
        }
        if ui.button("Deliveries").clicked() {
            self.show_deliveries = !self.show_deliveries;
            if self.show_deliveries {
                self.deliveries.loading = true;
                out.push(cmd(SendCommand::LoadDeliveries));
            }
        }
        ui.separator();
        let mut on = self.forward.active.is_some() || self.forward.starting;
        if ui
            .checkbox(&mut on, "Forward to")
            .on_hover_text("Send every new capture on to this URL as it arrives")
            .changed()
        {
            if on {
                settings.forward_url = settings.forward_url.trim().to_string();
                match crate::send::parse_target(&settings.forward_url) {
                    Ok(_) => {
                        self.forward.starting = true;
                        out.push(cmd(SendCommand::StartForward {
                            target: settings.forward_url.clone(),
                        }));
                    }
                    Err(e) => self.forward.last = Some((e.to_string(), false)),
                }
            } else {
                out.push(cmd(SendCommand::StopForward));
            }
        }
        ui.add_enabled(
            self.forward.active.is_none() && !self.forward.starting,
            egui::TextEdit::singleline(&mut settings.forward_url)
                .hint_text("http://localhost:3000/hooks")
                .desired_width(200.0),
        );
        out
    }

    /// Forwarding's counts and last outcome, for the status row (the toolbar has no room for a
    /// sentence).
    pub fn forward_status_ui(&self, ui: &mut egui::Ui) {
        if self.forward.active.is_none() && self.forward.last.is_none() {
            return;
        }
        ui.separator();
        if self.forward.active.is_some() {
            ui.weak(format!(
                "forwarding: {} sent, {} failed",
                self.forward.forwarded, self.forward.failed
            ));
        }
        if let Some((text, ok)) = &self.forward.last {
            let color = if *ok {
                ui.visuals().weak_text_color()
            } else {
                palette::WARN
            };
            ui.colored_label(color, crate::capture::clip::cut(text))
                .on_hover_text(text);
        }
    }

    /// The sending windows (replay editor, send panel, deliveries).
    pub fn windows_ui(
        &mut self,
        ctx: &egui::Context,
        settings: &mut SendSettings,
        profiles: &[Profile],
    ) -> Vec<Command> {
        let mut out = Vec::new();
        self.replay_window(ctx, settings, profiles, &mut out);
        if self.show_send_panel {
            let mut open = true;
            let mut action = None;
            egui::Window::new("Send test event")
                .open(&mut open)
                .default_size([760.0, 640.0])
                .vscroll(true)
                .show(ctx, |ui| {
                    action = send_panel_ui(ui, &mut self.send_panel, &settings.url_history, profiles);
                });
            self.show_send_panel = open;
            match action {
                Some(SendPanelAction::Send(spec)) => {
                    remember(&mut settings.url_history, &spec.url);
                    let job = self.job();
                    self.send_panel.run = Some(RunView {
                        job,
                        running: true,
                        ..RunView::default()
                    });
                    out.push(cmd(SendCommand::SendTest { job, spec }));
                }
                Some(SendPanelAction::Cancel(job)) => out.push(cmd(SendCommand::Cancel(job))),
                None => {}
            }
        }
        if self.show_deliveries {
            let mut open = true;
            let mut action = None;
            egui::Window::new("Deliveries")
                .open(&mut open)
                .default_size([860.0, 600.0])
                .vscroll(true)
                .show(ctx, |ui| action = deliveries_ui(ui, &mut self.deliveries));
            self.show_deliveries = open;
            match action {
                Some(DeliveriesAction::Refresh) => {
                    self.deliveries.loading = true;
                    out.push(cmd(SendCommand::LoadDeliveries));
                }
                Some(DeliveriesAction::Select(d)) => out.push(cmd(SendCommand::LoadDeliveryAttempts(d))),
                None => {}
            }
        }
        out
    }

    fn replay_window(
        &mut self,
        ctx: &egui::Context,
        settings: &mut SendSettings,
        profiles: &[Profile],
        out: &mut Vec<Command>,
    ) {
        let Some(ed) = &mut self.replay else {
            return;
        };
        let mut open = true;
        let mut action = None;
        egui::Window::new(format!("Replay capture #{}", ed.capture.id))
            .id(egui::Id::unique("replay-window"))
            .open(&mut open)
            .default_size([760.0, 680.0])
            .vscroll(true)
            .show(ctx, |ui| action = replay_editor_ui(ui, ed, profiles));
        match action {
            Some(ReplayAction::Send(plan)) => {
                settings.replay_target.clone_from(&plan.target);
                self.next_job += 1;
                let job = self.next_job;
                ed.sending = Some(job);
                ed.error = None;
                out.push(cmd(SendCommand::Replay {
                    job,
                    capture: ed.capture.clone(),
                    plan,
                    timeout_secs: ed.timeout_secs,
                }));
            }
            Some(ReplayAction::Refresh) => out.push(cmd(SendCommand::LoadAttempts(ed.capture.id))),
            None => {}
        }
        if !open {
            self.replay = None;
        }
    }

    /// A send or replay is in flight (the window is not idle).
    pub fn busy(&self) -> bool {
        self.send_panel.is_running() || self.replay.as_ref().is_some_and(|e| e.sending.is_some())
    }
}

/// Put `url` first in the history, without repeats, keeping at most [`URL_HISTORY`].
fn remember(history: &mut Vec<String>, url: &str) {
    history.retain(|u| u != url);
    history.insert(0, url.to_string());
    history.truncate(URL_HISTORY);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_keeps_newest_first_without_repeats() {
        let mut h = vec!["a".to_string(), "b".to_string()];
        remember(&mut h, "b");
        assert_eq!(h, ["b", "a"]);
        for i in 0..20 {
            remember(&mut h, &i.to_string());
        }
        assert_eq!(h.len(), URL_HISTORY);
        assert_eq!(h[0], "19");
    }
}
