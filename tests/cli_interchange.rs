//! Export → import round trips, a refused malformed file, raw HTTP and curl imports, and a
//! generated curl command sending the exact bytes again — through the binary.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests: a panic is a failed test

mod support;

use std::io::Write as _;
use std::process::{Command, Stdio};

use base64::Engine as _;
use support::*;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn run_stdin(dir: &std::path::Path, args: &[&str], input: &[u8]) -> std::process::Output {
    let mut child = Command::new(bin())
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn captures(dir: &std::path::Path) -> Vec<serde_json::Value> {
    let out = hookscope(dir, &["list", "--json", "--limit", "1000"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    json_lines(&out.stdout)
}

/// Captures with a binary body and repeated headers, received for real.
fn receive_some(dir: &std::path::Path) -> Vec<u8> {
    let mut l = Listener::start(dir, &[]);
    let mut s = connect(l.port);
    let binary = [0x00u8, 0xff, 0xc3, 0x28, b'\n', 0x7f];
    exchange(&mut s, &post("/bin?a=1", "X-Dup: 1\r\nx-dup: 2\r\n", &binary)).unwrap();
    exchange(
        &mut s,
        &post(
            "/json",
            "Content-Type: application/json\r\n",
            br#"{"event":"task.assigned"}"#,
        ),
    )
    .unwrap();
    l.terminate();
    binary.to_vec()
}

#[test]
fn ndjson_and_har_round_trip_bytes() {
    let a = tempfile::tempdir().unwrap();
    receive_some(a.path());
    let original = captures(a.path());
    assert_eq!(original.len(), 2);
    for format in ["ndjson", "har"] {
        let file = a.path().join(format!("export.{format}"));
        let out = hookscope(
            a.path(),
            &["export", "--format", format, "-o", file.to_str().unwrap()],
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let b = tempfile::tempdir().unwrap();
        let out = hookscope(b.path(), &["import", file.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).lines().count(),
            2,
            "prints the new ids"
        );
        let imported = captures(b.path());
        for (o, i) in original.iter().zip(&imported) {
            assert_eq!(o["body_base64"], i["body_base64"], "{format}: body bytes");
            assert_eq!(o["headers"], i["headers"], "{format}: headers in order");
            assert_eq!(
                (&o["method"], &o["path"], &o["query"]),
                (&i["method"], &i["path"], &i["query"])
            );
            assert_eq!(i["origin"], "imported");
        }
    }
}

#[test]
fn export_selected_to_stdout() {
    let a = tempfile::tempdir().unwrap();
    receive_some(a.path());
    let out = hookscope(
        a.path(),
        &["export", "--format", "ndjson", "--id", "2", "-o", "-"],
    );
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["path"], "/json");
}

#[test]
fn malformed_har_is_refused_and_nothing_is_imported() {
    let dir = tempfile::tempdir().unwrap();
    let har = r#"{"log":{"version":"1.2","entries":[
        {"request":{"method":"POST","url":"http://x/a","headers":[],"httpVersion":"HTTP/1.1"}},
        {"request":{"method":"POST","url":"http://x/b","headers":[{"name":"A"}],"httpVersion":"HTTP/1.1"}}]}}"#;
    let out = run_stdin(dir.path(), &["import", "-"], har.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("entries[1]"), "names the field: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let out = hookscope(dir.path(), &["stats", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["captures"], 0, "nothing half-imported");
}

#[test]
fn raw_http_and_curl_from_provider_logs_import() {
    let dir = tempfile::tempdir().unwrap();
    // As pasted from a log: bare \n line ends, body by Content-Length.
    let raw = "POST /webhooks/smtm HTTP/1.1\nHost: hooks.example.com\nContent-Type: application/json\nUser-Agent: SmartMaintenance/1.0\nX-SMTM-Event: task.completed\nX-SMTM-Delivery: 3f6c1f0e-2b1a-4c1e-9a55-2d7e8f7a9b10\nX-SMTM-Signature: sha256=00\nContent-Length: 27\n\n{\"event\":\"task.completed\"}\n";
    let out = run_stdin(dir.path(), &["import", "-"], raw.as_bytes());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let curl = "curl -X POST 'https://hooks.example.com/mx' \\\n  -H 'Content-Type: application/json' \\\n  -H 'x-maintainx-event-id: evt_01' \\\n  --data-raw '{\"event\":\"workorder.created\",\"data\":{\"id\":42}}'\n";
    let out = run_stdin(dir.path(), &["import", "-"], curl.as_bytes());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let all = captures(dir.path());
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["path"], "/webhooks/smtm");
    assert_eq!(
        B64.decode(all[0]["body_base64"].as_str().unwrap()).unwrap(),
        b"{\"event\":\"task.completed\"}\n"
    );
    assert_eq!(all[0]["event"], "task.completed");
    assert_eq!(all[0]["signature"]["scheme"], "smtm");
    assert_eq!(all[1]["path"], "/mx");
    assert_eq!(
        all[1]["body_text"],
        r#"{"event":"workorder.created","data":{"id":42}}"#
    );
    assert_eq!(all[1]["origin"], "imported");
}

#[test]
fn generated_curl_sends_the_exact_bytes() {
    let a = tempfile::tempdir().unwrap();
    let binary = receive_some(a.path());
    let b = tempfile::tempdir().unwrap();
    let mut target = Listener::start(b.path(), &[]);
    let work = tempfile::tempdir().unwrap();
    for id in ["1", "2"] {
        let out = Command::new(bin())
            .args([
                "curl",
                id,
                "--to",
                &format!("http://127.0.0.1:{}", target.port),
                "--data-dir",
            ])
            .arg(a.path())
            .current_dir(work.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let command = String::from_utf8(out.stdout).unwrap();
        let sent = Command::new("bash")
            .args([
                "-c",
                &format!("{} -s -o /dev/null -w '%{{http_code}}'", command.trim()),
            ])
            .current_dir(work.path())
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&sent.stdout), "200", "{command}");
    }
    target.terminate();
    let got = captures(b.path());
    assert_eq!(
        B64.decode(got[0]["body_base64"].as_str().unwrap()).unwrap(),
        binary
    );
    assert_eq!(got[0]["query"], "a=1");
    let dups: Vec<&str> = got[0]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h[0].as_str().unwrap().eq_ignore_ascii_case("x-dup"))
        .map(|h| h[1].as_str().unwrap())
        .collect();
    assert_eq!(dups, ["1", "2"]);
    assert_eq!(got[1]["body_text"], r#"{"event":"task.assigned"}"#);
}

#[test]
fn diff_names_the_changes() {
    let a = tempfile::tempdir().unwrap();
    receive_some(a.path());
    let out = hookscope(a.path(), &["diff", "1", "2"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("-target: /bin?a=1\n+target: /json"), "{text}");
    assert!(text.contains("-X-Dup: 1"), "{text}");
    assert!(text.contains("+Content-Type: application/json"), "{text}");
    assert_eq!(
        out.status.code(),
        Some(1),
        "different captures: exit 1, as diff(1)"
    );
    let same = hookscope(a.path(), &["diff", "2", "2"]);
    assert_eq!(same.status.code(), Some(0), "{same:?}");
    // An error is never mistaken for "they differ" (1) or, for verify, "invalid" (1).
    let missing = hookscope(a.path(), &["diff", "1", "999"]);
    assert_eq!(missing.status.code(), Some(2), "{missing:?}");
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("999"),
        "{missing:?}"
    );
    let verify = hookscope(
        a.path(),
        &[
            "verify",
            "--capture",
            "999",
            "--scheme",
            "github",
            "--secret",
            "s",
        ],
    );
    assert_eq!(verify.status.code(), Some(2), "{verify:?}");
}
