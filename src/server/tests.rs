use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

use super::*;
use crate::capture::CaptureId;
use crate::store::{NoAnalysis, Store, Writer};

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    writer: Option<Writer>,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let writer = Writer::start(&store, Box::new(NoAnalysis)).unwrap();
        Fixture {
            _dir: dir,
            store,
            writer: Some(writer),
        }
    }

    fn state(&self, cap: usize) -> ReceiverState {
        ReceiverState::new(self.writer.as_ref().unwrap().handle(), cap)
    }

    /// The real receiver on 127.0.0.1 (a free port), 1 MiB body cap.
    fn serve_loopback(&self, rt: &tokio::runtime::Runtime) -> ServerHandle {
        rt.block_on(async {
            let listener = bind(&ServerConfig {
                port: 0,
                ..ServerConfig::default()
            })
            .await
            .unwrap();
            serve(listener, self.state(1 << 20))
        })
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(w) = self.writer.take() {
            w.shutdown();
        }
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn oneshot_stores_request_and_answers_ok_json() {
    let fx = Fixture::new();
    let rt = rt();
    let resp = rt.block_on(async {
        let req = Request::post("/hooks/a?x=1&y")
            .header("X-Test", "yes")
            .body(Body::from(vec![0xff, 0x00, 0x41]))
            .unwrap();
        router(fx.state(1024)).oneshot(req).await.unwrap()
    });
    assert_eq!(resp.status(), 200);
    let body = rt.block_on(resp.into_body().collect()).unwrap().to_bytes();
    assert_eq!(&body[..], br#"{"ok":true}"#);
    let c = fx.store.reader().unwrap().get(CaptureId(1)).unwrap().unwrap();
    assert_eq!(c.method, "POST");
    assert_eq!(c.path, "/hooks/a");
    assert_eq!(c.query.as_deref(), Some("x=1&y"));
    assert_eq!(c.body, vec![0xff, 0x00, 0x41]);
    assert_eq!(c.headers.get("x-test"), Some("yes"));
    assert_eq!(c.status(), Some(200));
    assert_eq!(c.response.unwrap().body, br#"{"ok":true}"#);
}

#[test]
fn oneshot_health_is_not_recorded() {
    let fx = Fixture::new();
    let rt = rt();
    let resp = rt.block_on(async {
        router(fx.state(1024))
            .oneshot(Request::get(HEALTH_PATH).body(Body::empty()).unwrap())
            .await
            .unwrap()
    });
    assert_eq!(resp.status(), 200);
    let body = rt.block_on(resp.into_body().collect()).unwrap().to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(fx.store.reader().unwrap().count().unwrap(), 0);
}

#[test]
fn oneshot_oversized_gets_413_and_is_recorded() {
    let fx = Fixture::new();
    let rt = rt();
    let big = vec![b'x'; 5000];
    let resp = rt.block_on(async {
        let req = Request::post("/big")
            .header("content-length", "5000")
            .body(Body::from(big))
            .unwrap();
        router(fx.state(1000)).oneshot(req).await.unwrap()
    });
    assert_eq!(resp.status(), 413);
    let c = fx.store.reader().unwrap().get(CaptureId(1)).unwrap().unwrap();
    assert!(c.oversized);
    assert_eq!(c.declared_len, Some(5000));
    assert_eq!(c.status(), Some(413));
    assert!(!c.body.is_empty() && c.body.iter().all(|b| *b == b'x'));
}

#[test]
fn oneshot_chunked_body_over_the_cap_is_cut_and_recorded() {
    let fx = Fixture::new();
    let rt = rt();
    let resp = rt.block_on(async {
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..10).map(|_| Ok(vec![b'y'; 500])).collect();
        let body = Body::from_stream(futures_util::stream::iter(chunks));
        router(fx.state(1200))
            .oneshot(Request::post("/stream").body(body).unwrap())
            .await
            .unwrap()
    });
    assert_eq!(resp.status(), 413);
    let c = fx.store.reader().unwrap().get(CaptureId(1)).unwrap().unwrap();
    assert!(c.oversized);
    assert_eq!(c.declared_len, None);
    assert!(c.body_len > 1200);
    assert_eq!(
        c.body,
        vec![b'y'; 1500],
        "the chunks up to and including the one past the cap"
    );

    // One chunk larger than the cap still leaves its first bytes as the preview.
    let resp = rt.block_on(async {
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![Ok(vec![b'z'; 1300])];
        let body = Body::from_stream(futures_util::stream::iter(chunks));
        router(fx.state(1200))
            .oneshot(Request::post("/stream").body(body).unwrap())
            .await
            .unwrap()
    });
    assert_eq!(resp.status(), 413);
    let c = fx.store.reader().unwrap().get(CaptureId(2)).unwrap().unwrap();
    assert_eq!((c.body_len, c.body), (1300, vec![b'z'; 1300]));
}

/// Send raw bytes on a fresh connection and read the whole answer (the server closes).
fn raw_exchange(addr: std::net::SocketAddr, bytes: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(bytes).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn loopback_keeps_header_order_case_repeats_and_binary_body() {
    let fx = Fixture::new();
    let rt = rt();
    let handle = fx.serve_loopback(&rt);
    let addr = handle.addr;
    let mut wire = b"POST /p/q?z=%20&a HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Dup: one\r\nx-other: 1\r\nX-DUP: two\r\nContent-Length: 4\r\nConnection: close\r\n\r\n".to_vec();
    wire.extend_from_slice(&[0xc3, 0x28, 0x00, 0xff]);
    let answer = raw_exchange(addr, &wire);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let answer = raw_exchange(
        addr,
        b"GET /__hookscope/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(answer.contains(r#""status":"ok""#), "{answer}");
    rt.block_on(handle.stop());

    let reader = fx.store.reader().unwrap();
    assert_eq!(reader.count().unwrap(), 1, "health checks are not captures");
    let c = reader.get(CaptureId(1)).unwrap().unwrap();
    let names: Vec<_> = c.headers.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Host",
            "X-Dup",
            "x-other",
            "X-DUP",
            "Content-Length",
            "Connection"
        ]
    );
    assert_eq!(c.body, vec![0xc3, 0x28, 0x00, 0xff]);
    assert_eq!(c.path, "/p/q");
    assert_eq!(c.query.as_deref(), Some("z=%20&a"));
    assert!(c.remote_addr.unwrap().starts_with("127.0.0.1:"));
    assert_eq!(c.http_version, "HTTP/1.1");
}

#[test]
fn pipelined_requests_keep_their_own_headers_after_odd_chunk_endings() {
    let fx = Fixture::new();
    let rt = rt();
    let handle = fx.serve_loopback(&rt);
    let mut wire = b"POST /hook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\nPOST /hook HTTP/1.1\r\nX-Seq: injected\r\n\r\n".to_vec();
    for n in 1..=3 {
        let close = if n == 3 { "Connection: close\r\n" } else { "" };
        wire.extend_from_slice(
            format!(
                "POST /hook HTTP/1.1\r\nHost: x\r\nX-Seq: {n}\r\n{close}Content-Length: 6\r\n\r\nbody-{n}"
            )
            .as_bytes(),
        );
    }
    let answer = raw_exchange(handle.addr, &wire);
    assert_eq!(answer.matches("HTTP/1.1 200").count(), 4, "{answer}");
    rt.block_on(handle.stop());
    let reader = fx.store.reader().unwrap();
    for id in 2..=4 {
        let c = reader.get(CaptureId(id)).unwrap().unwrap();
        let n = id - 1;
        assert_eq!(c.body, format!("body-{n}").into_bytes());
        assert_eq!(
            c.headers.get("x-seq"),
            Some(n.to_string().as_str()),
            "capture {id}"
        );
    }
    let first = reader.get(CaptureId(1)).unwrap().unwrap();
    assert!(!first.headers.contains("x-seq"), "{:?}", first.headers);
}

#[test]
fn equal_duplicate_content_lengths_keep_every_head_byte_exact() {
    let fx = Fixture::new();
    let rt = rt();
    let handle = fx.serve_loopback(&rt);
    let wire = b"POST /w HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nxyz\
POST /b/1 HTTP/1.1\r\nHost: h\r\nX-Case: Up\r\nContent-Length: 2\r\n\r\nok\
POST /b/2 HTTP/1.1\r\nHost: h\r\nX-Case: Up\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    let answer = raw_exchange(handle.addr, wire);
    assert_eq!(answer.matches("HTTP/1.1 200").count(), 3, "{answer}");
    rt.block_on(handle.stop());
    let reader = fx.store.reader().unwrap();
    let names = |id| {
        let c = reader.get(CaptureId(id)).unwrap().unwrap();
        c.headers.iter().map(|h| h.name.clone()).collect::<Vec<_>>()
    };
    assert_eq!(names(1), ["Host", "Content-Length", "Content-Length"]);
    assert_eq!(names(2), ["Host", "X-Case", "Content-Length"]);
    assert_eq!(names(3), ["Host", "X-Case", "Content-Length", "Connection"]);
}

#[test]
fn port_in_use_is_a_clear_error() {
    let rt = rt();
    rt.block_on(async {
        let first = bind(&ServerConfig {
            port: 0,
            ..ServerConfig::default()
        })
        .await
        .unwrap();
        let port = first.local_addr().unwrap().port();
        let err = bind(&ServerConfig {
            port,
            ..ServerConfig::default()
        })
        .await
        .unwrap_err();
        assert!(matches!(err, BindError::InUse { .. }));
        assert!(err.to_string().contains("already in use"), "{err}");
    });
}
