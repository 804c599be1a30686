//! In-process HTTP fixtures on 127.0.0.1:0 for outgoing-send tests: a recording receiver that can
//! fail its first N requests or answer slowly, and hookscope's own receiver (which keeps header
//! order and case) for byte-exact checks.
#![allow(dead_code, clippy::unwrap_used, clippy::disallowed_methods)] // test helpers: a panic is a failed test

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use hookscope::capture::{Capture, CaptureId, HeaderList};
use hookscope::engine::Engine;
use hookscope::server::{ServerConfig, ServerHandle, serve};
use http_body_util::BodyExt as _;

/// A multi-threaded runtime for a test.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// One request as the fixture saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub uri: String,
    /// Lower-case names (as hyper reports them), in order.
    pub headers: HeaderList,
    pub body: Vec<u8>,
    pub at: Instant,
}

#[derive(Default)]
struct FixtureState {
    seen: Mutex<Vec<Seen>>,
    fail_first: usize,
    fail_status: u16,
    delay: Duration,
}

/// A recording receiver: the first `fail_first` requests get `fail_status`, the rest 200.
pub struct Fixture {
    pub addr: SocketAddr,
    state: Arc<FixtureState>,
}

impl Fixture {
    /// Start on the current runtime.
    pub async fn start(fail_first: usize, delay: Duration) -> Fixture {
        let state = Arc::new(FixtureState {
            fail_first,
            fail_status: 500,
            delay,
            ..FixtureState::default()
        });
        let app = Router::new().fallback(record).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Fixture { addr, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// Wait until at least `n` requests arrived (fails after 20 s).
    pub fn wait_for(&self, n: usize) -> Vec<Seen> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let seen = self.seen();
            if seen.len() >= n {
                return seen;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {n} requests arrived",
                seen.len()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

async fn record(
    State(state): State<Arc<FixtureState>>,
    req: Request,
) -> (StatusCode, [(&'static str, &'static str); 1], Bytes) {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    let headers = HeaderList::from_pairs(
        parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec())),
    );
    let n = {
        let mut seen = state.seen.lock().unwrap();
        seen.push(Seen {
            method: parts.method.to_string(),
            uri: parts.uri.to_string(),
            headers,
            body,
            at: Instant::now(),
        });
        seen.len()
    };
    if !state.delay.is_zero() {
        tokio::time::sleep(state.delay).await;
    }
    let ct = [("content-type", "application/json")];
    if n <= state.fail_first {
        let status = StatusCode::from_u16(state.fail_status).unwrap();
        (status, ct, Bytes::from_static(br#"{"error":"try again"}"#))
    } else {
        (StatusCode::OK, ct, Bytes::from_static(br#"{"received":true}"#))
    }
}

/// A URL where nothing listens.
pub fn dead_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}/hooks")
}

/// hookscope's own receiver in `dir`: keeps every request byte-exact, headers in order and case.
pub struct Receiver {
    pub engine: Option<Engine>,
    pub handle: Option<ServerHandle>,
    pub addr: SocketAddr,
}

impl Receiver {
    pub async fn start(dir: &std::path::Path) -> Receiver {
        let engine = Engine::open(dir).unwrap();
        let config = ServerConfig {
            port: 0,
            ..ServerConfig::default()
        };
        let listener = hookscope::server::bind(&config).await.unwrap();
        let handle = serve(listener, engine.receiver_state(1 << 20));
        let addr = handle.addr;
        Receiver {
            engine: Some(engine),
            handle: Some(handle),
            addr,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn captures(&self) -> Vec<Capture> {
        let reader = self.engine.as_ref().unwrap().store().reader().unwrap();
        reader.captures_after(CaptureId(0), 10_000).unwrap()
    }

    /// Stop the server (inside the runtime) — call before dropping the runtime.
    pub async fn stop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.stop().await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(e) = self.engine.take()
            && tokio::runtime::Handle::try_current().is_err()
        {
            e.shutdown();
        }
    }
}
