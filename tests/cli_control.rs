//! Receiver control through the binary: response rules, `list --filter`, decoded bodies,
//! per-path stats and retention.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests: a panic is a failed test

mod support;

use std::io::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine as _;
use support::*;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

const RULES: &str = r#"
[[rule]]
path = "/fail/*"
fail_next = 2
fail_status = 503

[[rule]]
path = "/slow"
delay_ms = 1500
status = 202
"#;

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn rules_file_fails_twice_then_answers_and_slow_waits() {
    let dir = tempfile::tempdir().unwrap();
    let rules = write(dir.path(), "rules.toml", RULES);
    let data = dir.path().join("data");
    let mut l = Listener::start(&data, &["--rules", rules.to_str().unwrap()]);
    let mut s = connect(l.port);
    let statuses: Vec<u16> = (0..3)
        .map(|i| {
            exchange(&mut s, &post(&format!("/fail/{i}"), "", b"{}"))
                .unwrap()
                .status
        })
        .collect();
    assert_eq!(statuses, vec![503, 503, 200]);

    // The slow answer is held back while another connection is served.
    let port = l.port;
    let slow = std::thread::spawn(move || {
        let mut s = connect(port);
        let r = exchange(&mut s, &post("/slow", "", b"{}")).unwrap();
        (r.status, Instant::now())
    });
    std::thread::sleep(Duration::from_millis(200));
    let fast = exchange(&mut s, &post("/fast", "", b"{}")).unwrap();
    let fast_done = Instant::now();
    assert_eq!(fast.status, 200);
    let (slow_status, slow_done) = slow.join().unwrap();
    assert_eq!(slow_status, 202);
    assert!(
        slow_done > fast_done,
        "the delayed answer came after the later request's"
    );
    l.terminate();

    let out = hookscope(&data, &["list", "--json", "--filter", "path:/slow"]);
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["status"], 202);
    assert_eq!(lines[0]["response"]["delay_ms"], 1500);
    let out = hookscope(&data, &["list", "--json", "--filter", "path:/fail/*"]);
    let stored: Vec<u64> = json_lines(&out.stdout)
        .iter()
        .map(|v| v["status"].as_u64().unwrap())
        .collect();
    assert_eq!(stored, vec![503, 503, 200]);
}

#[test]
fn invalid_rules_file_names_the_line_and_nothing_listens() {
    let dir = tempfile::tempdir().unwrap();
    let rules = write(
        dir.path(),
        "bad.toml",
        "[[rule]]\npath = \"/a\"\n\nstatus = 700\n",
    );
    let data = dir.path().join("data");
    let out = Command::new(bin())
        .args([
            "listen",
            "--port",
            "0",
            "--rules",
            rules.to_str().unwrap(),
            "--data-dir",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 4"), "{err}");
    assert!(err.contains("between 200 and 599"), "{err}");
    assert!(!err.contains("listening"), "{err}");
    assert_eq!(err.lines().count(), 1, "one clear line: {err}");
    assert!(!data.join("hookscope.db").exists(), "nothing was opened");
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn list_filter_returns_exactly_the_matching_captures() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = Listener::start(dir.path(), &[]);
    let mut s = connect(l.port);
    let json = "Content-Type: application/json\r\n";
    let sends: Vec<(String, String, Vec<u8>)> = vec![
        (
            "/smtm/tasks".into(),
            format!("{json}X-SMTM-Event: task.completed\r\n"),
            br#"{"event":"task.completed","data":{"task_id":"T-1001"}}"#.to_vec(),
        ),
        (
            "/smtm/tasks".into(),
            format!("{json}X-SMTM-Event: task.assigned\r\n"),
            br#"{"event":"task.assigned","data":{"task_id":"T-1002"}}"#.to_vec(),
        ),
        (
            "/maintainx".into(),
            format!("{json}Content-Encoding: gzip\r\n"),
            gzip(br#"{"event":"workorder.created","note":"hidden needle"}"#),
        ),
        ("/other".into(), String::new(), b"plain words".to_vec()),
    ];
    for (path, headers, body) in &sends {
        assert_eq!(exchange(&mut s, &post(path, headers, body)).unwrap().status, 200);
    }
    let mut g = connect(l.port);
    g.write_all(b"GET /smtm/ping HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        .unwrap();
    assert_eq!(exchange(&mut g, b"").unwrap().status, 200);
    l.terminate();

    let ids = |expr: &str| -> Vec<u64> {
        let out = hookscope(dir.path(), &["list", "--json", "--filter", expr]);
        assert!(
            out.status.success(),
            "{expr}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        json_lines(&out.stdout)
            .iter()
            .map(|v| v["id"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(ids("method:POST path:/smtm/*"), vec![1, 2]);
    assert_eq!(ids("path:/smtm/*"), vec![1, 2, 5]);
    assert_eq!(ids("method:GET"), vec![5]);
    assert_eq!(ids("header:X-SMTM-Event=task.c*"), vec![1]);
    assert_eq!(ids("\"T-1002\""), vec![2]);
    assert_eq!(ids("needle"), vec![3], "gzip bodies are searched decoded");
    assert_eq!(ids("-header:x-smtm-event -method:GET"), vec![3, 4]);
    assert_eq!(ids("status:2xx"), vec![1, 2, 3, 4, 5]);
    assert_eq!(ids("has:duplicate"), Vec::<u64>::new());

    // The table names the verdict (with the detected scheme) and the event of each row.
    let out = hookscope(dir.path(), &["list"]);
    let table = String::from_utf8_lossy(&out.stdout);
    let header = table.lines().next().unwrap();
    assert!(
        header.contains("SIGNATURE") && header.contains("EVENT"),
        "{table}"
    );
    let row1 = table.lines().find(|l| l.trim_start().starts_with("1 ")).unwrap();
    assert!(
        row1.contains("task.completed") && row1.contains("/smtm/tasks"),
        "{row1}"
    );
    let row4 = table.lines().find(|l| l.trim_start().starts_with("4 ")).unwrap();
    assert!(row4.contains("unsigned") && row4.contains("/other"), "{row4}");

    // A filter that matches nothing says so, not that the history is empty.
    let out = hookscope(dir.path(), &["list", "--filter", "has:duplicate"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "no captures match `has:duplicate`\n"
    );

    let out = hookscope(dir.path(), &["list", "--filter", "verdict:sometimes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown verdict"));

    // The gzip body: shown decoded, kept byte-exact in the JSON.
    let out = hookscope(dir.path(), &["show", "3"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("decoded from gzip"), "{text}");
    assert!(text.contains(r#""note":"hidden needle""#), "{text}");
    let out = hookscope(dir.path(), &["show", "3", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        B64.decode(v["body_base64"].as_str().unwrap()).unwrap(),
        sends[2].2
    );

    // Per-path stats next to the totals.
    let out = hookscope(dir.path(), &["stats", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["captures"], 5);
    let paths = v["paths"].as_array().unwrap();
    assert_eq!(paths[0]["path"], "/smtm/tasks");
    assert_eq!(paths[0]["count"], 2);
    assert_eq!(paths[0]["statuses"]["200"], 2);
    assert_eq!(paths[0]["verdicts"]["unsigned"], 2);
    assert!(paths[0]["last_received_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(paths.len(), 4);
}

#[test]
fn listen_keep_count_trims_history_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = Listener::start(dir.path(), &["--keep-count", "3"]);
    let mut s = connect(l.port);
    for i in 0..8 {
        assert_eq!(
            exchange(&mut s, &post(&format!("/r/{i}"), "", b"x"))
                .unwrap()
                .status,
            200
        );
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = hookscope(dir.path(), &["list", "--json"]);
        let ids: Vec<u64> = json_lines(&out.stdout)
            .iter()
            .map(|v| v["id"].as_u64().unwrap())
            .collect();
        if ids == vec![6, 7, 8] {
            break;
        }
        assert!(Instant::now() < deadline, "retention never applied: {ids:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    l.terminate();
}
