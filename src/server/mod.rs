//! The embedded HTTP receiver: axum catch-all served by hyper over [`sniff::SniffStream`],
//! with an explicit body cap, the health endpoint and graceful stop.

mod handler;
pub mod limits;
pub mod rules;
pub mod sniff;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt as _;

pub use handler::{HEALTH_PATH, ReceiverState, router};
pub use rules::{LiveRules, RuleConfig, RuleSet, RulesError};
use sniff::{ConnInfo, SniffStream};

/// Default port of the receiver.
pub const DEFAULT_PORT: u16 = 8787;
/// Default body cap: 25 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 25 * 1024 * 1024;
/// How long a stop waits for requests in flight.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Where and how the receiver listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    pub bind: IpAddr,
    pub port: u16,
    pub max_body_bytes: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: DEFAULT_PORT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

impl ServerConfig {
    /// Binding anything but loopback exposes captured traffic to the network.
    pub fn is_exposed(&self) -> bool {
        !self.bind.is_loopback()
    }
}

/// Why the receiver could not start.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("{addr} is already in use; choose another port (--port) or stop the program using it")]
    InUse { addr: SocketAddr },
    #[error("cannot listen on {addr}: permission denied (ports below 1024 need privileges)")]
    Denied { addr: SocketAddr },
    #[error("cannot listen on {addr}: {source}")]
    Other {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Bind the listening socket (separate from [`serve`] so a port clash is reported at once).
pub async fn bind(config: &ServerConfig) -> Result<TcpListener, BindError> {
    let addr = SocketAddr::new(config.bind, config.port);
    TcpListener::bind(addr)
        .await
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AddrInUse => BindError::InUse { addr },
            std::io::ErrorKind::PermissionDenied => BindError::Denied { addr },
            _ => BindError::Other { addr, source },
        })
}

/// A running receiver.
pub struct ServerHandle {
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    done: tokio::task::JoinHandle<()>,
}

impl ServerHandle {
    /// Stop accepting, let requests in flight finish (each waits for its commit), then return.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.done.await;
    }

    /// Ask the receiver to stop without waiting.
    pub fn request_stop(&self) {
        let _ = self.stop.send(true);
    }
}

/// Serve `listener` on the current runtime until stopped.
pub fn serve(listener: TcpListener, state: ReceiverState) -> ServerHandle {
    let addr = listener
        .local_addr()
        .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
    let (stop, mut stopped) = watch::channel(false);
    let limits = state.limits;
    let writer = state.writer.clone();
    let app = router(state);
    let done = tokio::spawn(async move {
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        loop {
            tokio::select! {
                _ = stopped.changed() => break,
                accepted = listener.accept() => match accepted {
                    Ok((tcp, peer)) => {
                        let _ = tcp.set_nodelay(true);
                        let info = Arc::new(ConnInfo::new(peer));
                        let conn_info = info.clone();
                        let io = TokioIo::new(SniffStream::new(tcp, info.clone()));
                        let app = app.clone();
                        let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                            req.extensions_mut().insert(info.clone());
                            app.clone().oneshot(req.map(axum::body::Body::new))
                        });
                        let conn = hyper::server::conn::http1::Builder::new()
                            .timer(TokioTimer::new())
                            .header_read_timeout(limits.header_read_timeout)
                            .max_header_size(limits.max_head_bytes)
                            .keep_alive(true)
                            // A client may send its request and shut its sending side while it
                            // waits: it still gets its answer.
                            .half_close(true)
                            .serve_connection(io, service);
                        let conn = graceful.watch(conn);
                        let writer = writer.clone();
                        tokio::spawn(async move {
                            // Client errors (resets, timeouts, malformed HTTP) end only that
                            // connection. A request hyper refused as malformed (and answered 400)
                            // is recorded with the bytes that arrived; a head over the limits
                            // (431) is not.
                            let result = conn.await;
                            if let Err(e) = result
                                && e.is_parse()
                                && !e.is_parse_too_large()
                                && let Some(bytes) = conn_info.take_rejected()
                            {
                                let capture = handler::malformed_capture(conn_info.peer, bytes, &e);
                                let _ = writer.insert(capture).await;
                            }
                        });
                    }
                    // Out of file descriptors and the like: back off briefly, keep serving.
                    Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                },
            }
        }
        drop(listener);
        let _ = tokio::time::timeout(STOP_GRACE, graceful.shutdown()).await;
    });
    ServerHandle { addr, stop, done }
}

#[cfg(test)]
mod rules_http_tests;
#[cfg(test)]
mod tests;
