//! Hostile and broken clients against the real receiver on 127.0.0.1:0 (in process, with short
//! timeouts): oversized heads, thousands of headers, slowloris, stalled and abandoned bodies,
//! bytes that are not UTF-8, the reserved path prefix, and a store that cannot write.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests: a panic is a failed test

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use hookscope::capture::{Capture, CaptureId};
use hookscope::engine::Engine;
use hookscope::server::limits::{INCOMPLETE_PREFIX, Limits, MAX_HEADERS};
use hookscope::server::{ServerConfig, ServerHandle, bind, serve};
use hookscope::store::StoreEvent;

/// Short enough to test, long enough that a normal request on loopback never trips them.
const SHORT: Duration = Duration::from_millis(300);

/// A receiver with its own data dir and runtime; stops on drop.
struct Rx {
    _dir: tempfile::TempDir,
    engine: Option<Engine>,
    rt: tokio::runtime::Runtime,
    handle: Option<ServerHandle>,
    addr: SocketAddr,
}

impl Rx {
    fn start() -> Rx {
        Rx::with(Limits {
            header_read_timeout: SHORT,
            body_idle_timeout: SHORT,
            ..Limits::default()
        })
    }

    fn with(limits: Limits) -> Rx {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(dir.path()).unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let state = engine.receiver_state(1 << 20).with_limits(limits);
        let handle = rt.block_on(async {
            let listener = bind(&ServerConfig {
                port: 0,
                ..ServerConfig::default()
            })
            .await
            .unwrap();
            serve(listener, state)
        });
        Rx {
            addr: handle.addr,
            _dir: dir,
            engine: Some(engine),
            rt,
            handle: Some(handle),
        }
    }

    fn engine(&self) -> &Engine {
        self.engine.as_ref().unwrap()
    }

    fn captures(&self) -> Vec<Capture> {
        let reader = self.engine().store().reader().unwrap();
        reader.captures_after(CaptureId(0), 10_000).unwrap()
    }

    /// Wait (up to 5 s) until `n` captures are stored.
    fn wait_for(&self, n: usize) -> Vec<Capture> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let got = self.captures();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// A normal request still works afterwards: the receiver survived.
    fn assert_still_serving(&self) {
        let answer = talk(
            self.addr,
            b"POST /still-alive HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
        );
        assert!(answer.starts_with(b"HTTP/1.1 200"), "{}", lossy(&answer));
    }
}

impl Drop for Rx {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            self.rt.block_on(h.stop());
        }
        if let Some(e) = self.engine.take() {
            e.shutdown();
        }
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(&b[..b.len().min(300)]).into_owned()
}

fn open(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

/// Everything the server sends until it closes the connection (or 5 s pass). A reset counts
/// as a close; write errors (the server closed first) are expected with hostile input.
fn read_all(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
}

fn talk(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut s = open(addr);
    let _ = s.write_all(bytes);
    read_all(&mut s)
}

/// `head` + `Host` + the given header lines + an empty body, `Connection: close`.
fn request_with_headers(lines: impl IntoIterator<Item = String>) -> Vec<u8> {
    let mut r = b"POST /many HTTP/1.1\r\nHost: x\r\n".to_vec();
    for l in lines {
        r.extend_from_slice(l.as_bytes());
        r.extend_from_slice(b"\r\n");
    }
    r.extend_from_slice(b"Content-Length: 0\r\nConnection: close\r\n\r\n");
    r
}

fn refused_cleanly(answer: &[u8]) -> bool {
    // 431, or (when the server closed while the client was still writing) a plain close.
    answer.is_empty() || answer.starts_with(b"HTTP/1.1 431")
}

#[test]
fn oversized_head_is_refused_and_nothing_is_stored() {
    let rx = Rx::start();
    let mut req = b"POST /big-head HTTP/1.1\r\nHost: x\r\nX-Big: ".to_vec();
    req.extend(std::iter::repeat_n(b'a', 100_000));
    req.extend_from_slice(b"\r\nContent-Length: 2\r\n\r\nhi");
    let answer = talk(rx.addr, &req);
    assert!(refused_cleanly(&answer), "{}", lossy(&answer));
    // Just over the limit, small enough to be read whole: a deterministic 431.
    let mut req = b"GET /over HTTP/1.1\r\nHost: x\r\nX-Big: ".to_vec();
    req.extend(std::iter::repeat_n(b'b', Limits::default().max_head_bytes));
    req.extend_from_slice(b"\r\n\r\n");
    let answer = talk(rx.addr, &req);
    assert!(refused_cleanly(&answer), "{}", lossy(&answer));
    assert!(rx.captures().is_empty(), "nothing half-stored");
    rx.assert_still_serving();
    assert_eq!(rx.wait_for(1).len(), 1);
}

#[test]
fn ten_thousand_headers_are_refused_and_the_limit_is_where_it_says() {
    let rx = Rx::start();
    let answer = talk(
        rx.addr,
        &request_with_headers((0..10_000).map(|i| format!("X-H-{i}: v"))),
    );
    assert!(refused_cleanly(&answer), "{}", lossy(&answer));
    // One line more than the limit, in a small head: 431.
    let answer = talk(
        rx.addr,
        &request_with_headers((0..MAX_HEADERS - 2).map(|i| format!("X-H-{i}: v"))),
    );
    assert!(answer.starts_with(b"HTTP/1.1 431"), "{}", lossy(&answer));
    assert!(rx.captures().is_empty());
    // Exactly at the limit (Host + lines + Content-Length + Connection): stored, in order.
    let answer = talk(
        rx.addr,
        &request_with_headers((0..MAX_HEADERS - 3).map(|i| format!("X-H-{i}: v{i}"))),
    );
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{}", lossy(&answer));
    let stored = rx.wait_for(1);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].headers.len(), MAX_HEADERS);
    assert_eq!(stored[0].headers.0[1].name, "X-H-0");
    assert_eq!(stored[0].headers.0[97].value, b"v96");
}

#[test]
fn slowloris_and_idle_connections_are_closed_by_the_head_timeout() {
    let rx = Rx::start();
    // A head dripped one byte at a time never completes within the timeout.
    let mut s = open(rx.addr);
    s.write_all(b"POST /slow HTTP/1.1\r\nHost: x\r\n").unwrap();
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let closed = loop {
        if Instant::now() > deadline {
            break false;
        }
        if s.write_all(b"X").is_err() {
            break true;
        }
        let mut buf = [0u8; 256];
        match s.read(&mut buf) {
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            // EOF, an error status before closing, or a reset.
            Ok(_) | Err(_) => break true,
        }
    };
    assert!(closed, "a dripping head kept the connection open for 5 s");
    // A connection that sends nothing is closed too.
    let mut idle = open(rx.addr);
    let started = Instant::now();
    let got = read_all(&mut idle);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "an idle connection stayed open"
    );
    assert!(!got.starts_with(b"HTTP/1.1 2"), "{}", lossy(&got));
    assert!(rx.captures().is_empty());
    rx.assert_still_serving();
}

#[test]
fn a_stalled_body_gets_408_and_is_stored_marked_incomplete() {
    let rx = Rx::start();
    let mut s = open(rx.addr);
    s.write_all(b"POST /stall HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
        .unwrap();
    let answer = read_all(&mut s);
    assert!(answer.starts_with(b"HTTP/1.1 408"), "{}", lossy(&answer));
    let c = &rx.wait_for(1)[0];
    assert_eq!(c.body, b"0123456789");
    assert_eq!((c.body_len, c.declared_len), (10, Some(100)));
    assert_eq!(c.status(), Some(408));
    assert!(c.incomplete() && !c.oversized);
    let recorded = String::from_utf8(c.response.as_ref().unwrap().body.clone()).unwrap();
    assert!(recorded.contains(INCOMPLETE_PREFIX), "{recorded}");
    assert!(recorded.contains("10 of 100 bytes"), "{recorded}");
}

#[test]
fn a_body_trickled_too_slowly_gets_408_although_it_never_pauses_long() {
    // A byte every 50 ms never trips the idle timeout (300 ms), but averages 20 bytes/s.
    let rx = Rx::with(Limits {
        header_read_timeout: SHORT,
        body_idle_timeout: SHORT,
        body_grace: Duration::from_millis(600),
        min_body_bytes_per_sec: 1000,
        ..Limits::default()
    });
    let mut s = open(rx.addr);
    s.write_all(b"POST /trickle HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        .unwrap();
    let started = Instant::now();
    let mut sent = 0;
    while started.elapsed() < Duration::from_secs(5) && s.write_all(b"x").is_ok() {
        sent += 1;
        std::thread::sleep(Duration::from_millis(50));
        // The answer comes while the client is still trickling.
        s.set_nonblocking(true).unwrap();
        let mut peek = [0u8; 1];
        let answered = matches!(s.peek(&mut peek), Ok(n) if n > 0);
        s.set_nonblocking(false).unwrap();
        if answered {
            break;
        }
    }
    let answer = read_all(&mut s);
    assert!(answer.starts_with(b"HTTP/1.1 408"), "{}", lossy(&answer));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "cut off soon after the grace period"
    );
    let c = &rx.wait_for(1)[0];
    assert!(c.incomplete(), "marked incomplete");
    assert!(
        c.body_len > 0 && c.body_len <= sent,
        "{} of {sent} bytes kept",
        c.body_len
    );
    let recorded = String::from_utf8(c.response.as_ref().unwrap().body.clone()).unwrap();
    assert!(recorded.contains("too slowly"), "{recorded}");
}

#[test]
fn a_client_that_disconnects_mid_body_leaves_a_capture_marked_incomplete() {
    let rx = Rx::start();
    let mut s = open(rx.addr);
    s.write_all(b"POST /cut HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n\xff\x00partial")
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    drop(s);
    let mut chunked = open(rx.addr);
    chunked
        .write_all(
            b"POST /cut-chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        )
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    drop(chunked);
    let stored = rx.wait_for(2);
    assert_eq!(stored.len(), 2, "both attempts are kept as evidence");
    let by_path = |p: &str| stored.iter().find(|c| c.path == p).unwrap();
    let c = by_path("/cut");
    assert_eq!(c.body, b"\xff\x00partial");
    assert_eq!((c.body_len, c.declared_len), (9, Some(1000)));
    assert!(c.incomplete(), "{c:?}");
    assert_eq!(c.status(), Some(400));
    let c = by_path("/cut-chunked");
    assert_eq!(c.body, b"hello");
    assert_eq!(c.declared_len, None);
    assert!(c.incomplete(), "marked by the recorded error: {c:?}");
    // A complete request is not incomplete.
    rx.assert_still_serving();
    let done = rx.wait_for(3);
    assert!(
        !done
            .iter()
            .find(|c| c.path == "/still-alive")
            .unwrap()
            .incomplete()
    );
}

#[test]
fn bytes_that_are_not_utf8_are_kept_where_http_allows_them() {
    let rx = Rx::start();
    // Header values may carry obs-text; the body may be anything.
    let mut req = b"POST /caf%C3%A9/%FF?q=%FE%00&raw HTTP/1.1\r\nHost: x\r\nX-Latin1: caf\xe9\r\nX-Broken: \xc3\x28 \xff\r\n".to_vec();
    req.extend_from_slice(b"Content-Length: 4\r\nConnection: close\r\n\r\n\xc3\x28\x00\xff");
    let answer = talk(rx.addr, &req);
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{}", lossy(&answer));
    let c = &rx.wait_for(1)[0];
    assert_eq!(c.path, "/caf%C3%A9/%FF", "percent-encoding kept as sent");
    assert_eq!(c.query.as_deref(), Some("q=%FE%00&raw"));
    assert_eq!(c.headers.0[1].value, b"caf\xe9");
    assert_eq!(c.headers.0[2].value, b"\xc3\x28 \xff");
    assert_eq!(c.body, b"\xc3\x28\x00\xff");
    // The capture JSON carries the exact header bytes and reads back to the same capture.
    let json = hookscope::capture::CaptureJson::from_capture(c);
    let back =
        serde_json::from_str::<hookscope::capture::CaptureJson>(&serde_json::to_string(&json).unwrap())
            .unwrap()
            .to_capture()
            .unwrap();
    assert_eq!(back.headers, c.headers);

    // Raw bytes above 0x7f in the request target or a header name are not HTTP: refused with 400,
    // and recorded as malformed with their bytes (the target only where it is valid).
    let bad: [&[u8]; 2] = [
        b"POST /caf\xe9 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
        b"POST /x HTTP/1.1\r\nHost: x\r\nX-N\xe9me: v\r\nContent-Length: 0\r\n\r\n",
    ];
    for wire in bad {
        let answer = talk(rx.addr, wire);
        assert!(answer.starts_with(b"HTTP/1.1 400"), "{}", lossy(&answer));
    }
    let got = rx.wait_for(3);
    assert_eq!(got.len(), 3);
    for (c, wire, path) in [(&got[1], bad[0], "/"), (&got[2], bad[1], "/x")] {
        assert_eq!(
            (c.method.as_str(), c.path.as_str(), c.body.as_slice()),
            ("POST", path, wire)
        );
        assert_eq!(c.response.as_ref().map(|r| r.status), Some(400));
    }
    rx.assert_still_serving();
}

#[test]
fn the_reserved_prefix_has_no_admin_api_only_health() {
    let rx = Rx::start();
    let health = talk(
        rx.addr,
        b"GET /__hookscope/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    let body = &health[health.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4..];
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["max_body_bytes", "service", "status", "uptime_secs", "version"],
        "health says nothing about captures, paths or secrets"
    );
    let others: [&[u8]; 6] = [
        b"GET /__hookscope/anything-else HTTP/1.1\r\n",
        b"GET /__hookscope/captures HTTP/1.1\r\n",
        b"DELETE /__hookscope/captures/1 HTTP/1.1\r\n",
        b"POST /__hookscope/health HTTP/1.1\r\n",
        b"GET /__hookscope/profiles?secret=1 HTTP/1.1\r\n",
        b"GET /__hookscope HTTP/1.1\r\n",
    ];
    for line in others {
        let mut req = line.to_vec();
        req.extend_from_slice(b"Host: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        let answer = talk(rx.addr, &req);
        assert!(answer.starts_with(b"HTTP/1.1 200"), "{}", lossy(&answer));
        assert!(
            answer.ends_with(br#"{"ok":true}"#),
            "captured like any path, nothing exposed: {}",
            lossy(&answer)
        );
    }
    let stored = rx.wait_for(others.len());
    let paths: Vec<&str> = stored.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/__hookscope/anything-else",
            "/__hookscope/captures",
            "/__hookscope/captures/1",
            "/__hookscope/health",
            "/__hookscope/profiles",
            "/__hookscope"
        ]
    );
}

#[test]
fn a_full_disk_is_answered_503_and_nothing_is_acknowledged() {
    let rx = Rx::start();
    let writer = rx.engine().writer();
    let mut events = writer.subscribe(64, None);
    // Simulate a full disk: the database may not grow past the pages it has now.
    let pages: i64 = writer
        .call_blocking(|conn, _| {
            let n: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
            conn.pragma_update(None, "max_page_count", n)?;
            Ok(n)
        })
        .unwrap();
    assert!(pages > 0);
    let body = vec![b'z'; 64 * 1024];
    let mut req = format!(
        "POST /full HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(&body);
    let answer = talk(rx.addr, &req);
    let text = lossy(&answer);
    assert!(answer.starts_with(b"HTTP/1.1 503"), "{text}");
    assert!(text.contains("database or disk is full"), "{text}");
    assert_eq!(rx.captures().len(), 0, "a 503 is never stored");
    // Subscribers (the window's status line, listen's stderr) hear why.
    let event = rx.rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(5), events.events.recv())
            .await
            .unwrap()
            .unwrap()
    });
    let StoreEvent::WriteFailed(message) = event else {
        panic!("expected WriteFailed, got {event:?}");
    };
    assert!(message.contains("database or disk is full"), "{message}");
    assert!(message.contains("503"), "{message}");
    // Space again: the same request is stored and acknowledged.
    writer
        .call_blocking(|conn, _| Ok(conn.pragma_update(None, "max_page_count", 1_000_000_000)?))
        .unwrap();
    let answer = talk(rx.addr, &req);
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{}", lossy(&answer));
    assert_eq!(rx.wait_for(1)[0].body, body);
}

#[test]
fn a_client_that_shuts_its_sending_side_after_the_request_still_gets_its_answer() {
    let rx = Rx::start();
    let requests: [&[u8]; 2] = [
        b"POST /half HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi",
        b"POST /half-expect HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
    ];
    for request in requests {
        let mut s = open(rx.addr);
        s.write_all(request).unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let answer = read_all(&mut s);
        let text = lossy(&answer);
        assert!(
            text.contains("HTTP/1.1 200"),
            "no answer after a half-close: {text:?}"
        );
    }
    let stored = rx.wait_for(2);
    let paths: Vec<&str> = stored.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, ["/half", "/half-expect"]);
    assert!(stored.iter().all(|c| c.body == b"hi" && c.status() == Some(200)));
}

#[test]
fn a_malformed_request_is_answered_400_and_recorded_with_the_bytes_that_arrived() {
    let rx = Rx::start();
    // (bytes, method, path, what the recorded 400 says; None: closed without an answer)
    let cases: [(&[u8], &str, &str, Option<&str>); 3] = [
        (
            b"GET /x?y=1 HTTP/1.1\r\nHost: h\r\nBad Header Line\r\n\r\n",
            "GET",
            "/x",
            Some("invalid HTTP header"),
        ),
        // TLS on the plain port: never a head at all.
        (
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\xfe\xed",
            "-",
            "/",
            Some("malformed request"),
        ),
        // HTTP/2 with prior knowledge: hyper closes without a word.
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "PRI", "*", None),
    ];
    for (i, (wire, method, path, says)) in cases.iter().enumerate() {
        let answer = talk(rx.addr, wire);
        let got = rx.wait_for(i + 1);
        let c = got.last().unwrap();
        assert_eq!(
            (c.method.as_str(), c.path.as_str()),
            (*method, *path),
            "{}",
            lossy(wire)
        );
        assert_eq!(c.body, *wire, "every byte that arrived is kept");
        assert!(c.headers.is_empty());
        if let Some(says) = says {
            assert!(answer.starts_with(b"HTTP/1.1 400"), "{}", lossy(&answer));
            let response = c.response.as_ref().unwrap();
            assert_eq!(response.status, 400);
            let text = String::from_utf8_lossy(&response.body);
            assert!(
                text.contains("malformed request") && text.contains(says),
                "{text}"
            );
            assert!(c.malformed());
        } else {
            assert!(answer.is_empty(), "{}", lossy(&answer));
            assert!(c.response.is_none(), "no answer was sent: {:?}", c.response);
            assert_eq!(c.http_version, "HTTP/2.0");
        }
    }
    assert_eq!(rx.wait_for(3)[0].query.as_deref(), Some("y=1"));
    rx.assert_still_serving();
    assert!(
        !rx.wait_for(4)[3].malformed(),
        "an ordinary request is not flagged"
    );
}
