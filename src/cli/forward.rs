//! `listen --forward-to URL`: start the forwarder next to the receiver.

use std::net::SocketAddr;
use std::sync::Arc;

use super::CliError;
use crate::engine::Engine;
use crate::send::forward::points_at;
use crate::send::{ForwardConfig, ForwardEvent, Forwarder, parse_target};

/// Start forwarding to `target`; refuses a target that is the receiver itself (a loop).
/// Call inside the runtime.
pub fn start(engine: &Engine, target: &str, listening: SocketAddr) -> Result<Forwarder, CliError> {
    parse_target(target).map_err(|e| CliError::usage(format!("--forward-to: {e}")))?;
    if points_at(target, listening) {
        return Err(CliError::usage(format!(
            "--forward-to {target} points at this receiver ({listening}); every forward would be captured \
             and forwarded again"
        )));
    }
    let sink = Arc::new(|event: ForwardEvent| match event {
        ForwardEvent::Sent { capture, attempt } => {
            eprintln!(
                "hookscope: forwarded #{capture} to {}: {}",
                attempt.target,
                attempt.describe()
            );
        }
        ForwardEvent::Skipped { after, before } => eprintln!(
            "hookscope: warning: the forward target is too slow; captures after #{after} and before #{before} \
             were not forwarded"
        ),
        ForwardEvent::Abandoned { count } => eprintln!(
            "hookscope: warning: {count} capture{} not forwarded: forwarding stopped first (they are stored)",
            if count == 1 { " was" } else { "s were" }
        ),
    });
    let forwarder = Forwarder::start(
        &tokio::runtime::Handle::current(),
        &engine.writer(),
        ForwardConfig::new(target.trim()),
        Some(sink),
    );
    eprintln!("hookscope: forwarding every capture to {}", target.trim());
    Ok(forwarder)
}
