//! The background half of sending: replays, forward mode and test-event runs go to the runtime;
//! reads of attempts and deliveries use the worker's read connection. Results come back as
//! [`SendEvent`]s through the bounded event channel.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::backend::EventSink;
use super::messages::AppEvent;
use super::sending::{SendCommand, SendEvent};
use crate::capture::now_us;
use crate::send::forward::points_at;
use crate::send::{
    AttemptKind, Cancel, Client, ClientConfig, ForwardConfig, ForwardEvent, Forwarder, RunContext,
    build_replay, deliver, prepare_batch,
};
use crate::store::outgoing::{
    NewAttempt, attempts_for_capture, attempts_for_delivery, recent_deliveries, save_attempt,
    target_summaries,
};
use crate::store::{Reader, WriterHandle};

/// Deliveries listed in the window.
const DELIVERIES_SHOWN: usize = 500;

/// What the worker lends for one command.
pub struct BackendCtx<'a> {
    pub reader: &'a Reader,
    pub writer: &'a WriterHandle,
    pub runtime: &'a tokio::runtime::Handle,
    pub sink: &'a EventSink,
    /// Where the embedded receiver listens (forwarding there would loop).
    pub receiver: Option<SocketAddr>,
}

/// Forwarder and running jobs.
#[derive(Default)]
pub struct SendBackend {
    forwarder: Option<Forwarder>,
    jobs: Arc<Mutex<HashMap<u64, Cancel>>>,
}

fn emit(sink: &EventSink, ev: SendEvent) {
    sink.send(AppEvent::Send(Box::new(ev)));
}

impl SendBackend {
    pub fn handle(&mut self, cmd: SendCommand, ctx: &BackendCtx<'_>) {
        match cmd {
            SendCommand::Replay {
                job,
                capture,
                plan,
                timeout_secs,
            } => {
                let request = match build_replay(&capture, &plan, now_us() / 1_000_000) {
                    Ok(r) => r,
                    Err(e) => {
                        emit(
                            ctx.sink,
                            SendEvent::ReplayFailed {
                                job,
                                message: e.to_string(),
                            },
                        );
                        return;
                    }
                };
                let client = Client::new(ClientConfig {
                    timeout: Duration::from_secs(timeout_secs.max(1)),
                    follow_redirects: false,
                    ..ClientConfig::default()
                });
                let (writer, sink) = (ctx.writer.clone(), ctx.sink.clone());
                ctx.runtime.spawn(async move {
                    let attempt = client.send(&request).await;
                    let stored = NewAttempt {
                        capture_id: Some(capture.id),
                        delivery_id: capture.analysis.delivery_id.clone(),
                        kind: AttemptKind::Replay,
                        number: 1,
                        attempt: attempt.clone(),
                    };
                    if let Err(e) = save_attempt(&writer, stored).await {
                        sink.send(AppEvent::Error(format!("the replay could not be recorded: {e}")));
                    }
                    emit(
                        &sink,
                        SendEvent::ReplayDone {
                            job,
                            capture: capture.id,
                            attempt: Box::new(attempt),
                        },
                    );
                });
            }
            SendCommand::LoadAttempts(id) => match attempts_for_capture(ctx.reader.connection(), id) {
                Ok(attempts) => emit(
                    ctx.sink,
                    SendEvent::Attempts {
                        capture: id,
                        attempts,
                    },
                ),
                Err(e) => ctx
                    .sink
                    .send(AppEvent::Error(format!("cannot read attempts: {e}"))),
            },
            SendCommand::StartForward { target } => self.start_forward(target, ctx),
            SendCommand::StopForward => {
                if let Some(f) = self.forwarder.take() {
                    ctx.runtime.spawn(f.stop());
                }
                emit(ctx.sink, SendEvent::ForwardStopped);
            }
            SendCommand::SendTest { job, spec } => self.send_test(job, &spec, ctx),
            SendCommand::Cancel(job) => {
                if let Some(c) = self.jobs.lock().ok().and_then(|j| j.get(&job).cloned()) {
                    c.cancel();
                }
            }
            SendCommand::LoadDeliveries => {
                let conn = ctx.reader.connection();
                match recent_deliveries(conn, DELIVERIES_SHOWN)
                    .and_then(|d| Ok((d, target_summaries(conn, now_us())?)))
                {
                    Ok((deliveries, targets)) => {
                        emit(ctx.sink, SendEvent::Deliveries { deliveries, targets });
                    }
                    Err(e) => ctx
                        .sink
                        .send(AppEvent::Error(format!("cannot read deliveries: {e}"))),
                }
            }
            SendCommand::LoadDeliveryAttempts(d) => {
                match attempts_for_delivery(ctx.reader.connection(), &d) {
                    Ok(attempts) => emit(ctx.sink, SendEvent::DeliveryAttempts { row: d.id, attempts }),
                    Err(e) => ctx
                        .sink
                        .send(AppEvent::Error(format!("cannot read attempts: {e}"))),
                }
            }
        }
    }

    fn start_forward(&mut self, target: String, ctx: &BackendCtx<'_>) {
        if let Some(f) = self.forwarder.take() {
            ctx.runtime.spawn(f.stop());
        }
        if let Some(addr) = ctx.receiver
            && points_at(&target, addr)
        {
            emit(
                ctx.sink,
                SendEvent::ForwardFailed {
                    message: format!("{target} is this receiver ({addr}): forwarding there would loop"),
                },
            );
            return;
        }
        let sink = ctx.sink.clone();
        let forward_sink = Arc::new(move |ev: ForwardEvent| match ev {
            ForwardEvent::Sent { capture, attempt } => emit(
                &sink,
                SendEvent::Forwarded {
                    capture,
                    ok: attempt.succeeded(),
                    text: attempt.describe(),
                },
            ),
            ForwardEvent::Skipped { after, before } => {
                emit(&sink, SendEvent::ForwardSkipped { after, before });
            }
            ForwardEvent::Abandoned { count } => emit(
                &sink,
                SendEvent::ForwardFailed {
                    message: format!("{count} captures were not forwarded: forwarding stopped first"),
                },
            ),
        });
        let forwarder = Forwarder::start(
            ctx.runtime,
            ctx.writer,
            ForwardConfig::new(target.clone()),
            Some(forward_sink),
        );
        self.forwarder = Some(forwarder);
        emit(ctx.sink, SendEvent::ForwardStarted { target });
    }

    fn send_test(&mut self, job: u64, spec: &crate::ui::send_panel::TestSpec, ctx: &BackendCtx<'_>) {
        let prepared = crate::events::catalog()
            .map_err(|e| e.to_string())
            .and_then(|c| {
                c.provider(&spec.provider)
                    .ok_or_else(|| format!("no provider '{}'", spec.provider))
            })
            .and_then(|provider| {
                prepare_batch(
                    provider,
                    &spec.event,
                    &spec.payload,
                    &spec.url,
                    spec.signer.as_ref(),
                    spec.shape,
                    jiff::Timestamp::now(),
                )
            });
        let batch = match prepared {
            Ok(b) => b,
            Err(message) => {
                emit(ctx.sink, SendEvent::SendFailed { job, message });
                return;
            }
        };
        let cancel = Cancel::new();
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.insert(job, cancel.clone());
        }
        let progress_sink = ctx.sink.clone();
        let run_ctx = RunContext {
            client: Client::new(ClientConfig {
                timeout: Duration::from_secs(spec.timeout_secs.max(1)),
                follow_redirects: false,
                max_response_bytes: crate::send::response_cap_for(spec.opts.concurrency),
            }),
            cancel,
            sink: Arc::new(move |p| {
                emit(
                    &progress_sink,
                    SendEvent::Progress {
                        job,
                        progress: Box::new(p),
                    },
                );
            }),
            writer: Some(ctx.writer.clone()),
        };
        let opts = spec.opts.clone();
        let (sink, jobs) = (ctx.sink.clone(), self.jobs.clone());
        ctx.runtime.spawn(async move {
            let summary = deliver::run(batch, &opts, &run_ctx).await;
            if let Ok(mut j) = jobs.lock() {
                j.remove(&job);
            }
            emit(&sink, SendEvent::SendFinished { job, summary });
        });
    }

    /// Cancel runs and stop forwarding (the window is closing).
    pub fn shutdown(&mut self, runtime: &tokio::runtime::Handle) {
        if let Ok(jobs) = self.jobs.lock() {
            for c in jobs.values() {
                c.cancel();
            }
        }
        if let Some(f) = self.forwarder.take() {
            runtime.block_on(f.stop());
        }
    }
}
