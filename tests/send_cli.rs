//! `hookscope send` and `hookscope events` run as a user would, against loopback receivers.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests: a panic is a failed test

mod send_fixture;

use std::process::{Command, Output};
use std::time::Duration;

use send_fixture::{Fixture, dead_url, runtime};

const SECRET: &str = "smtm_whsec_TestSecretValue0123456789";

fn hookscope(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hookscope"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .unwrap()
}

fn lines(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(out)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn events_lists_every_template() {
    let dir = tempfile::tempdir().unwrap();
    let out = hookscope(dir.path(), &["events"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 20);
    assert!(text.lines().any(|l| l == "smtm:audit.exported"));
    assert!(text.lines().any(|l| l == "maintainx:workorder.status_changed"));
    let json = lines(&hookscope(dir.path(), &["events", "--json"]).stdout);
    assert_eq!(json.len(), 20);
    assert!(
        json.iter()
            .any(|j| j["name"] == "github:ping" && j["scheme"] == "github")
    );
    let one = hookscope(dir.path(), &["events", "stripe:payment_intent.succeeded"]);
    assert!(String::from_utf8_lossy(&one.stdout).contains("\"test\": true"));
    assert_eq!(
        hookscope(dir.path(), &["events", "stripe:nope"]).status.code(),
        Some(2)
    );
}

#[test]
fn send_retries_per_schedule_and_exits_zero_once_delivered() {
    let rt = runtime();
    let fixture = rt.block_on(Fixture::start(2, Duration::ZERO));
    let dir = tempfile::tempdir().unwrap();
    let out = hookscope(
        dir.path(),
        &[
            "send",
            "--url",
            &fixture.url("/smtm"),
            "--event",
            "smtm:task.completed",
            "--secret",
            SECRET,
            "--set",
            "data.notes=edited by QA",
            "--set",
            "data.duration_minutes=12",
            "--retry-schedule",
            "1,5,25",
            "--time-scale",
            "0.01",
            "--json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = lines(&out.stdout);
    let attempts: Vec<_> = json.iter().filter(|j| j.get("attempt").is_some()).collect();
    assert_eq!(attempts.len(), 3);
    let statuses: Vec<_> = attempts.iter().map(|a| a["status"].as_u64()).collect();
    assert_eq!(statuses, vec![Some(500), Some(500), Some(200)]);
    let numbers: Vec<_> = attempts.iter().map(|a| a["attempt"].as_u64().unwrap()).collect();
    assert_eq!(numbers, vec![1, 2, 3]);
    let id = attempts[0]["delivery_id"].as_str().unwrap();
    assert!(
        attempts
            .iter()
            .all(|a| a["delivery_id"] == id && a["latency_ms"].is_number())
    );
    let summary = &json.last().unwrap()["summary"];
    assert_eq!(
        (summary["delivered"].as_u64(), summary["attempts"].as_u64()),
        (Some(1), Some(3))
    );
    let seen = fixture.seen();
    assert_eq!(seen.len(), 3);
    let body: serde_json::Value = serde_json::from_slice(&seen[2].body).unwrap();
    assert_eq!(body["data"]["notes"], "edited by QA");
    assert_eq!(body["data"]["duration_minutes"], 12);
    assert_eq!(body["test"], true);
    assert_eq!(seen[2].headers.get("x-smtm-delivery"), Some(id));
    drop(rt);
}

#[test]
fn send_to_a_dead_target_is_permanently_failed_and_exits_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = hookscope(
        dir.path(),
        &[
            "send",
            "--url",
            &dead_url(),
            "--event",
            "maintainx:workorder.created",
            "--secret",
            "k",
            "--time-scale",
            "0.0001",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("connection refused").count(), 6, "{text}");
    assert!(text.contains("permanently failed after 6 attempts"), "{text}");
}

#[test]
fn duplicate_repeats_the_delivery_id() {
    let rt = runtime();
    let fixture = rt.block_on(Fixture::start(0, Duration::ZERO));
    let dir = tempfile::tempdir().unwrap();
    let out = hookscope(
        dir.path(),
        &[
            "send",
            "--url",
            &fixture.url("/"),
            "--event",
            "smtm:shutdown.reported",
            "--secret",
            SECRET,
            "--duplicate",
            "--json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = lines(&out.stdout);
    let ids: Vec<_> = json.iter().filter_map(|j| j["delivery_id"].as_str()).collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1]);
    let seen = fixture.seen();
    assert_eq!(
        seen[0].headers.get("x-smtm-delivery"),
        seen[1].headers.get("x-smtm-delivery")
    );
    drop(rt);
}

#[test]
fn usage_errors_exit_two_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let url = "http://127.0.0.1:9/x";
    // A complete signed send, to which each case adds one wrong flag.
    let base = [
        "send",
        "--url",
        url,
        "--event",
        "smtm:task.completed",
        "--secret",
        "k",
    ];
    let with = |extra: &[&'static str]| [&base[..], extra].concat();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["send", "--url", url, "--event", "smtm:task.completed"],
            "--secret",
        ),
        (with(&["--set", "test=false"]), "\"test\": true"),
        (
            vec!["send", "--url", url, "--event", "smtm:nope", "--secret", "k"],
            "task.completed",
        ),
        (
            vec![
                "send",
                "--url",
                "nope",
                "--event",
                "smtm:task.completed",
                "--secret",
                "k",
            ],
            "http://",
        ),
        (with(&["--retry-schedule", "1,x"]), "'x'"),
        (vec!["send", "--url", url], "--event"),
        // Waits too long to represent used to panic (--rate) or wrap round to no wait at all.
        (with(&["--rate", "1e-300", "--count", "2"]), "more than a year"),
        (with(&["--retry-schedule", "1e300"]), "more than a year"),
        (
            with(&["--time-scale", "1e308", "--retry-schedule", "10"]),
            "more than a year",
        ),
        (with(&["--count", "0"]), "--count"),
        (with(&["--timeout-secs", "0"]), "--timeout-secs"),
        (
            with(&["--timeout-secs", "18446744073709551615"]),
            "--timeout-secs",
        ),
        // A blank secret signs nothing a receiver accepts: refused before anything is sent.
        (
            vec![
                "send",
                "--url",
                url,
                "--event",
                "smtm:task.completed",
                "--secret",
                " ",
            ],
            "the secret is empty",
        ),
        (
            vec![
                "replay",
                "1",
                "--to",
                url,
                "--re-sign",
                "--scheme",
                "github",
                "--secret",
                "",
            ],
            "the secret is empty",
        ),
    ];
    for (args, needle) in cases {
        let out = hookscope(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn unsigned_and_body_file_sends() {
    let rt = runtime();
    let fixture = rt.block_on(Fixture::start(0, Duration::ZERO));
    let dir = tempfile::tempdir().unwrap();
    let out = hookscope(
        dir.path(),
        &[
            "send",
            "--url",
            &fixture.url("/u"),
            "--event",
            "github:ping",
            "--unsigned",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!fixture.seen()[0].headers.contains("x-hub-signature-256"));
    assert_eq!(fixture.seen()[0].headers.get("x-github-event"), Some("ping"));

    let file = dir.path().join("body.bin");
    std::fs::write(&file, [0xffu8, 0, 1]).unwrap();
    let out = hookscope(
        dir.path(),
        &[
            "send",
            "--url",
            &fixture.url("/b"),
            "--body-file",
            file.to_str().unwrap(),
            "--count",
            "2",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen = fixture.seen();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[1].body, [0xff, 0, 1]);
    assert_eq!(seen[2].body, [0xff, 0, 1]);
    drop(rt);
}

#[test]
fn a_body_file_over_the_cap_is_refused_before_it_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    // Sparse: 1 byte over the cap, no disk used.
    let big = dir.path().join("big.json");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(hookscope::cli::MAX_BODY_FILE_BYTES as u64 + 1)
        .unwrap();
    let big = big.to_str().unwrap();
    let url = dead_url();
    // A capture to replay.
    let raw = dir.path().join("one.http");
    std::fs::write(
        &raw,
        b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}",
    )
    .unwrap();
    let out = hookscope(dir.path(), &["import", raw.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for args in [
        &["send", "--url", url.as_str(), "--body-file", big, "--unsigned"][..],
        &[
            "verify",
            "--scheme",
            "github",
            "--secret",
            "k",
            "--header",
            "X-Hub-Signature-256: sha256=00",
            "--body-file",
            big,
        ][..],
        &["replay", "1", "--to", url.as_str(), "--body-file", big][..],
    ] {
        let out = hookscope(dir.path(), args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("larger than 25 MiB"), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
}
