//! Black-box tests of `hookscope listen` and the read commands, through the binary.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests: a panic is a failed test

mod support;

use std::io::{BufRead, BufReader};
use std::time::Duration;

use base64::Engine as _;
use support::*;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

#[test]
fn non_utf8_body_and_repeated_headers_come_back_byte_exact() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = Listener::start(dir.path(), &[]);
    let body = [0xc3u8, 0x28, 0x00, 0xff, b'\n', 0xfe];
    let mut s = connect(l.port);
    let req = post(
        "/hooks/raw?x=1&x=2",
        "X-Dup: first\r\nx-other: o\r\nX-DUP: second\r\n",
        &body,
    );
    let resp = exchange(&mut s, &req).unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, br#"{"ok":true}"#);
    l.terminate();

    let out = hookscope(dir.path(), &["show", "1", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(B64.decode(v["body_base64"].as_str().unwrap()).unwrap(), body);
    assert!(v.get("body_text").is_none(), "no body_text for invalid UTF-8");
    assert_eq!(v["body_len"], 6);
    assert_eq!(v["method"], "POST");
    assert_eq!(v["path"], "/hooks/raw");
    assert_eq!(v["query"], "x=1&x=2");
    assert_eq!(v["status"], 200);
    assert_eq!(v["oversized"], false);
    assert_eq!(v["http_version"], "HTTP/1.1");
    assert!(v["remote_addr"].as_str().unwrap().starts_with("127.0.0.1:"));
    let headers: Vec<(String, String)> = serde_json::from_value(v["headers"].clone()).unwrap();
    let expected = [
        ("Host", "127.0.0.1"),
        ("X-Dup", "first"),
        ("x-other", "o"),
        ("X-DUP", "second"),
        ("Content-Length", "6"),
    ];
    let got: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    assert_eq!(got, expected);
    assert!(v["received_at"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn oversized_post_gets_413_and_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = Listener::start(dir.path(), &["--max-body-bytes", "1000"]);
    let mut s = connect(l.port);
    let resp = exchange(
        &mut s,
        &post("/big", "Content-Type: text/plain\r\n", &[b'a'; 5000]),
    )
    .unwrap();
    assert_eq!(resp.status, 413);
    l.terminate();
    let out = hookscope(dir.path(), &["list", "--json"]);
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["oversized"], true);
    assert_eq!(lines[0]["status"], 413);
    assert_eq!(lines[0]["path"], "/big");
    assert_eq!(lines[0]["declared_len"], 5000);
    let human = String::from_utf8(hookscope(dir.path(), &["list"]).stdout).unwrap();
    assert!(human.contains("[oversized]"), "{human}");
}

#[test]
fn captures_survive_a_restart_and_stats_count_them() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..2 {
        let mut l = Listener::start(dir.path(), &[]);
        let mut s = connect(l.port);
        for i in 0..3 {
            let body = format!("{{\"round\":{round},\"i\":{i}}}");
            assert_eq!(
                exchange(&mut s, &post("/r", "", body.as_bytes())).unwrap().status,
                200
            );
        }
        l.terminate();
    }
    let stats: serde_json::Value =
        serde_json::from_slice(&hookscope(dir.path(), &["stats", "--json"]).stdout).unwrap();
    assert_eq!(stats["captures"], 6);
    let lines = json_lines(&hookscope(dir.path(), &["list", "--json", "--limit", "4"]).stdout);
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[3]["body_text"], "{\"round\":1,\"i\":2}");
    let cleared = hookscope(dir.path(), &["clear"]);
    assert!(String::from_utf8_lossy(&cleared.stdout).contains("deleted 6"));
    let stats: serde_json::Value =
        serde_json::from_slice(&hookscope(dir.path(), &["stats", "--json"]).stdout).unwrap();
    assert_eq!(stats["captures"], 0);
}

#[test]
fn listen_json_prints_one_line_per_capture_as_committed() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = Listener::start(dir.path(), &["--json"]);
    let stdout = l.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut s = connect(l.port);
    exchange(&mut s, &post("/one", "", b"1")).unwrap();
    let first = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("a line before the next request");
    let v: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(v["path"], "/one");
    exchange(&mut s, &post("/two", "", b"2")).unwrap();
    l.terminate();
    let second: serde_json::Value =
        serde_json::from_str(&rx.recv_timeout(Duration::from_secs(10)).unwrap()).unwrap();
    assert_eq!(second["path"], "/two");
    assert_eq!(second["id"], 2);
}

#[test]
fn health_answers_and_is_not_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = Listener::start(dir.path(), &[]);
    let mut s = connect(l.port);
    let resp = exchange(&mut s, b"GET /__hookscope/health HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    assert_eq!(resp.status, 200);
    let v: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(v["status"], "ok");
    l.terminate();
    let stats: serde_json::Value =
        serde_json::from_slice(&hookscope(dir.path(), &["stats", "--json"]).stdout).unwrap();
    assert_eq!(stats["captures"], 0);
}

#[test]
fn port_in_use_is_one_line_and_exit_2() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = hookscope(dir.path(), &["listen", "--port", &port]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("already in use"), "{err}");
}

#[test]
fn corrupt_database_is_a_clear_error_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hookscope.db");
    std::fs::write(&db, b"this is not a database, but it is somebody's file").unwrap();
    for args in [&["list"][..], &["listen", "--port", "0"][..]] {
        let out = hookscope(dir.path(), args);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("left untouched"), "{err}");
    }
    assert_eq!(
        std::fs::read(&db).unwrap(),
        b"this is not a database, but it is somebody's file"
    );
}

#[test]
fn bad_flags_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        hookscope(dir.path(), &["listen", "--port", "99999"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(hookscope(dir.path(), &["show", "abc"]).status.code(), Some(2));
    let missing = hookscope(dir.path(), &["show", "12"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no capture with id 12"));
    let zero = hookscope(
        dir.path(),
        &[
            "replay",
            "1",
            "--to",
            "http://127.0.0.1:9/",
            "--timeout-secs",
            "0",
        ],
    );
    assert_eq!(zero.status.code(), Some(2), "{zero:?}");
    assert!(
        String::from_utf8_lossy(&zero.stderr).contains("--timeout-secs"),
        "{zero:?}"
    );
    // Retention limits that would delete every stored capture at start-up are refused.
    for args in [["--keep-count", "0"], ["--keep-days", "0"], ["--keep-bytes", "1"]] {
        let out = hookscope(dir.path(), &["listen", "--port", "0", args[0], args[1]]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(args[0]), "{out:?}");
    }
}

/// `kill -9` under load: every request answered 2xx is stored and readable afterwards.
#[test]
fn kill_9_under_load_loses_no_acknowledged_request() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..3 {
        let mut l = Listener::start(dir.path(), &[]);
        let port = l.port;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let workers: Vec<_> = (0..4)
            .map(|w| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut acked = Vec::new();
                    let mut s = connect(port);
                    let mut n = 0;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let tag = format!("r{round}-w{w}-n{n}");
                        match exchange(&mut s, &post("/load", "", tag.as_bytes())) {
                            Ok(r) if r.status == 200 => acked.push(tag),
                            _ => break,
                        }
                        n += 1;
                    }
                    acked
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(400));
        l.child.kill().unwrap(); // SIGKILL
        l.child.wait().unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let acked: Vec<String> = workers.into_iter().flat_map(|w| w.join().unwrap()).collect();
        assert!(!acked.is_empty(), "the load reached the receiver");

        let out = hookscope(dir.path(), &["list", "--json", "--limit", "100000000"]);
        assert!(
            out.status.success(),
            "database opens after kill -9: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stored: std::collections::HashSet<String> = json_lines(&out.stdout)
            .iter()
            .filter_map(|v| v["body_text"].as_str().map(str::to_owned))
            .collect();
        let lost: Vec<_> = acked.iter().filter(|t| !stored.contains(*t)).collect();
        assert!(
            lost.is_empty(),
            "round {round}: {} acknowledged requests lost, e.g. {:?}",
            lost.len(),
            lost.first()
        );
    }
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

#[test]
fn declared_lengths_alone_do_not_make_the_receiver_set_memory_aside() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let l = Listener::start(dir.path(), &[]);
    let pid = l.child.id();
    let before = rss_kib(pid);
    // 300 clients each declare 20 MB (under the 25 MiB cap), send two bytes and wait.
    let mut held = Vec::new();
    for _ in 0..300 {
        let mut s = connect(l.port);
        s.write_all(b"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 20000000\r\n\r\nab")
            .unwrap();
        held.push(s);
    }
    let mut peak = before;
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(100));
        peak = peak.max(rss_kib(pid));
    }
    let grown_mib = (peak.saturating_sub(before)) / 1024;
    assert!(
        grown_mib < 150,
        "resident memory grew by {grown_mib} MiB for 600 bytes of body"
    );
    drop(held);
}

#[test]
fn list_and_show_never_send_a_request_s_control_characters_to_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = Listener::start(dir.path(), &[]);
    let body = br#"{"id":"evt_1","object":"event","type":"\u001b[2J\u001b]0;pwned\u0007evil\r\n     99  fake-row","created":1}"#;
    let mut s = connect(l.port);
    let resp = exchange(&mut s, &post("/esc", "", body)).unwrap();
    assert_eq!(resp.status, 200);
    let mut s = connect(l.port);
    let text = b"line one\r\n\x1b[31mred\x1b]0;title\x07\ttab\n";
    let req = post("/text", "Content-Type: text/plain\r\n", text);
    assert_eq!(exchange(&mut s, &req).unwrap().status, 200);
    l.terminate();

    let list = hookscope(dir.path(), &["list"]);
    let list = String::from_utf8(list.stdout).unwrap();
    assert!(!list.contains(['\x1b', '\x07']), "{list:?}");
    assert_eq!(
        list.lines().filter(|l| l.contains("fake-row")).count(),
        1,
        "{list}"
    );
    assert!(list.contains(r"\u{1b}[2J"), "{list}");

    let show = String::from_utf8(hookscope(dir.path(), &["show", "1"]).stdout).unwrap();
    assert!(!show.contains('\x1b'), "{show:?}");
    assert!(
        show.contains(r"\u001b]0;pwned\u0007evil"),
        "the JSON text as sent: {show}"
    );
    let show = String::from_utf8(hookscope(dir.path(), &["show", "2"]).stdout).unwrap();
    assert!(!show.contains(['\x1b', '\x07']), "{show:?}");
    assert!(
        show.contains("line one\r\n") && show.contains("\ttab\n"),
        "line breaks and tabs stay: {show:?}"
    );
    // --json is exact (escaped by JSON itself).
    let json = hookscope(dir.path(), &["show", "2", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["body_text"].as_str().unwrap().as_bytes(), text);
}
