//! Crash safety: `kill -9` of `hookscope listen` under load from several keep-alive connections.
//! Every request that got a 2xx answer must be stored and read back byte-exact after a restart on
//! the same data dir, and the database must always reopen.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests: a panic is a failed test

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use support::*;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const WORKERS: usize = 6;

/// A body that starts with the request's id and goes on with bytes that are not UTF-8; some
/// workers send larger bodies so that kills land inside bigger commits too.
fn body_for(id: &str, worker: usize, n: usize) -> Vec<u8> {
    let mut body = id.as_bytes().to_vec();
    body.extend_from_slice(&[0x00, 0xff, 0xfe, worker as u8, (n % 251) as u8]);
    let extra = if worker.is_multiple_of(3) {
        16 * 1024 + n % 977
    } else {
        n % 300
    };
    body.extend((0..extra).map(|i| (i * 31 + n) as u8));
    body
}

struct Sent {
    id: String,
    body: Vec<u8>,
}

/// Load the receiver until `stop`; returns what was answered 2xx.
fn load(port: u16, round: usize, worker: usize, stop: &AtomicBool, acked: &AtomicUsize) -> Vec<Sent> {
    let mut out = Vec::new();
    let mut s = connect(port);
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let id = format!("r{round}-w{worker}-n{n}");
        let body = body_for(&id, worker, n);
        let req = post(
            &format!("/load/{worker}?n={n}"),
            &format!("X-Request-Id: {id}\r\nContent-Type: application/octet-stream\r\n"),
            &body,
        );
        match exchange(&mut s, &req) {
            Ok(r) if (200..300).contains(&r.status) => {
                out.push(Sent { id, body });
                acked.fetch_add(1, Ordering::Relaxed);
            }
            // Killed mid-exchange (reset, EOF) or refused: this request was not acknowledged.
            _ => break,
        }
        n += 1;
    }
    out
}

/// Every stored capture, by its `X-Request-Id`, with its body bytes. Fails on a repeated id.
fn stored(dir: &std::path::Path) -> HashMap<String, (i64, Vec<u8>)> {
    let out = hookscope(dir, &["list", "--json", "--limit", "100000000"]);
    assert!(
        out.status.success(),
        "the database opens after kill -9: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut map = HashMap::new();
    for v in json_lines(&out.stdout) {
        let headers: Vec<(String, String)> = serde_json::from_value(v["headers"].clone()).unwrap();
        let id = headers
            .iter()
            .find(|(n, _)| n == "X-Request-Id")
            .map(|(_, v)| v.clone())
            .expect("every capture carries its id, name in original case");
        let body = B64.decode(v["body_base64"].as_str().unwrap()).unwrap();
        assert_eq!(v["body_len"].as_u64().unwrap(), body.len() as u64);
        let previous = map.insert(id.clone(), (v["id"].as_i64().unwrap(), body));
        assert!(previous.is_none(), "{id} stored twice");
    }
    map
}

#[test]
fn kill_9_mid_load_loses_no_acknowledged_request_and_keeps_bytes_exact() {
    let dir = tempfile::tempdir().unwrap();
    let mut total_acked = 0;
    // Different kill points: shortly after the first answers, and deeper into the load.
    for (round, extra_ms) in [0u64, 150, 400, 50].into_iter().enumerate() {
        let mut l = Listener::start(dir.path(), &[]);
        let port = l.port;
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                let (stop, acked) = (stop.clone(), acked.clone());
                std::thread::spawn(move || load(port, round, w, &stop, &acked))
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(10);
        while acked.load(Ordering::Relaxed) < 30 {
            assert!(Instant::now() < deadline, "the load never reached the receiver");
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(extra_ms));
        l.child.kill().unwrap(); // SIGKILL while requests are in flight
        l.child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        let sent: Vec<Sent> = workers.into_iter().flat_map(|w| w.join().unwrap()).collect();
        total_acked += sent.len();

        let stored = stored(dir.path());
        let mut lost = Vec::new();
        for s in &sent {
            match stored.get(&s.id) {
                Some((_, body)) => assert_eq!(body, &s.body, "{}: body bytes differ", s.id),
                None => lost.push(s.id.as_str()),
            }
        }
        assert!(
            lost.is_empty(),
            "round {round}: {} of {} acknowledged requests lost, e.g. {:?}",
            lost.len(),
            sent.len(),
            lost.first()
        );
        // `show --json` reads the same bytes, headers in arrival order.
        for s in [sent.first(), sent.get(sent.len() / 2), sent.last()]
            .into_iter()
            .flatten()
        {
            let (capture_id, _) = &stored[&s.id];
            let out = hookscope(dir.path(), &["show", &capture_id.to_string(), "--json"]);
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(B64.decode(v["body_base64"].as_str().unwrap()).unwrap(), s.body);
            assert!(v.get("body_text").is_none(), "the body is not UTF-8");
            let names: Vec<String> = v["headers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h[0].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(names, ["Host", "X-Request-Id", "Content-Type", "Content-Length"]);
            assert_eq!(v["status"], 200);
        }
    }
    assert!(total_acked >= 4 * 30);

    // The file is sound, not just readable.
    let conn = rusqlite::Connection::open_with_flags(
        dir.path().join("hookscope.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    // A last clean start and stop on the same dir.
    let mut l = Listener::start(dir.path(), &[]);
    let mut s = connect(l.port);
    assert_eq!(
        exchange(&mut s, &post("/after", "", b"after")).unwrap().status,
        200
    );
    l.terminate();
    assert!(l.child.try_wait().unwrap().unwrap().success());
}

/// `hookscope profile add NAME --scheme github EXTRA...` in its own process; fails the test
/// unless it succeeds.
fn add_profile(dir: &std::path::Path, name: &str, extra: &[&str]) {
    let out = std::process::Command::new(bin())
        .args(["--data-dir", dir.to_str().unwrap()])
        .args([
            "profile",
            "add",
            name,
            "--scheme",
            "github",
            "--secret-env",
            "PROFILE_SECRET",
        ])
        .args(extra)
        .env("PROFILE_SECRET", "s3cret")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "profile add {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Another process that writes to the same data dir while the receiver runs (here `profile add`)
/// must find the receiver's lock on the database: otherwise its last connection takes itself for
/// the only one, checkpoints and deletes the WAL, and the receiver goes on committing into a file
/// that no longer has a name, which a `kill -9` then loses.
#[test]
fn a_command_writing_beside_the_receiver_leaves_its_wal_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = Listener::start(dir.path(), &[]);
    let mut s = connect(l.port);
    assert_eq!(
        exchange(&mut s, &post("/before", "", b"before")).unwrap().status,
        200
    );
    let wal = dir.path().join("hookscope.db-wal");
    assert!(wal.exists());

    add_profile(dir.path(), "beside", &[]);
    assert!(wal.exists(), "the other process deleted the receiver's WAL");

    for n in 0..20 {
        let body = format!("after-{n}");
        let answer = exchange(&mut s, &post("/after", "", body.as_bytes())).unwrap();
        assert_eq!(answer.status, 200);
    }
    l.child.kill().unwrap(); // before any checkpoint could copy the commits elsewhere
    l.child.wait().unwrap();
    let out = hookscope(dir.path(), &["list", "--json", "--limit", "1000"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let paths: Vec<String> = json_lines(&out.stdout)
        .iter()
        .map(|v| v["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(paths.len(), 21, "every answered request is stored: {paths:?}");
    assert_eq!(paths.iter().filter(|p| *p == "/after").count(), 20);
}

/// Commands that write beside a receiver under load wait their turn for the write lock instead
/// of failing with "database is locked", and the receiver answers every request 2xx meanwhile.
#[test]
fn profile_adds_beside_a_loaded_receiver_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let l = Listener::start(dir.path(), &[]);
    let port = l.port;
    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut s = connect(port);
            let mut answered = 0;
            while !stop.load(Ordering::Relaxed) {
                let r = exchange(&mut s, &post("/busy", "", b"{\"id\":1}")).unwrap();
                assert_eq!(r.status, 200);
                answered += 1;
            }
            answered
        })
    };
    for n in 0..40 {
        add_profile(dir.path(), &format!("p{n}"), &["--path", "/busy"]);
    }
    stop.store(true, Ordering::Relaxed);
    let answered = load.join().unwrap();
    assert!(answered > 0);
    let out = hookscope(dir.path(), &["stats", "--json"]);
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["captures"], answered);
}
