//! The shared signature vectors through the command line, as a user (or a script) runs them:
//! `hookscope verify --json` must give every expected verdict and reason, and `hookscope sign --json`
//! must reproduce every valid vector's signature header. Also profiles: add/list/remove, secrets
//! never echoed, and `--capture` verification with stored profiles.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests: a panic is a failed test

mod support;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

#[derive(Deserialize)]
struct File {
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    id: String,
    scheme: String,
    secret: String,
    method: String,
    url: String,
    headers: serde_json::Map<String, serde_json::Value>,
    body_base64: String,
    now_unix: Option<i64>,
    expected: String,
    reason: String,
}

fn vectors() -> Vec<Vector> {
    let dir = std::env::var_os("HOOKSCOPE_VECTORS_DIR").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/vectors")),
        PathBuf::from,
    );
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .flat_map(|p| {
            serde_json::from_str::<File>(&std::fs::read_to_string(p).unwrap())
                .unwrap()
                .vectors
        })
        .collect()
}

fn header_args(v: &Vector) -> Vec<String> {
    v.headers
        .iter()
        .flat_map(|(k, val)| {
            [
                "--header".to_string(),
                format!("{k}: {}", val.as_str().unwrap_or_default()),
            ]
        })
        .collect()
}

#[test]
fn every_shared_vector_through_verify_and_sign() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut failures = Vec::new();
    let all = vectors();
    assert!(all.len() >= 17, "the shared vectors were not found");
    let mut signed = 0;
    for (i, v) in all.iter().enumerate() {
        let body = tmp.path().join(format!("body-{i}"));
        std::fs::write(&body, STANDARD.decode(&v.body_base64).unwrap()).unwrap();
        let mut args = vec![
            "verify".to_string(),
            "--json".into(),
            "--scheme".into(),
            v.scheme.clone(),
            "--secret".into(),
            v.secret.clone(),
            "--method".into(),
            v.method.clone(),
            "--url".into(),
            v.url.clone(),
            "--body-file".into(),
            body.display().to_string(),
        ];
        if let Some(now) = v.now_unix {
            args.extend(["--now".into(), now.to_string()]);
        }
        args.extend(header_args(v));
        let out = Command::new(support::bin())
            .args(&args)
            .arg("--data-dir")
            .arg(&data)
            .output()
            .unwrap();
        let json: serde_json::Value = match serde_json::from_slice(&out.stdout) {
            Ok(j) => j,
            Err(e) => {
                failures.push(format!(
                    "{} [{}]: no JSON ({e}): {}",
                    v.id,
                    v.reason,
                    String::from_utf8_lossy(&out.stderr)
                ));
                continue;
            }
        };
        let valid = json["valid"].as_bool().unwrap();
        let want = v.expected == "valid";
        let code = out.status.code().unwrap();
        if valid != want || code != i32::from(!want) {
            failures.push(format!(
                "{} [{}]: expected {}, got {json} (exit {code})",
                v.id, v.reason, v.expected
            ));
        } else if !want && json["reason"] != v.reason.as_str() {
            failures.push(format!("{} [{}]: reason {}", v.id, v.reason, json["reason"]));
        } else if want && json["reason"] != "valid" {
            failures.push(format!(
                "{} [{}]: a valid verdict has reason {}",
                v.id, v.reason, json["reason"]
            ));
        }
        if !want || v.reason == "multiple_signatures_one_valid" {
            continue;
        }
        // Sign with the inputs the request carries (its headers give id and timestamp).
        let url = if v.reason == "valid_port_normalization" {
            v.url.replacen(":443", "", 1)
        } else {
            v.url.clone()
        };
        let mut sign = vec![
            "sign".to_string(),
            "--json".into(),
            "--scheme".into(),
            v.scheme.clone(),
            "--secret".into(),
            v.secret.clone(),
            "--method".into(),
            v.method.clone(),
            "--url".into(),
            url,
            "--body-file".into(),
            body.display().to_string(),
        ];
        sign.extend(header_args(v));
        let out = Command::new(support::bin())
            .args(&sign)
            .arg("--data-dir")
            .arg(&data)
            .output()
            .unwrap();
        let produced: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| {
                panic!(
                    "{}: sign gave no JSON ({e}): {}",
                    v.id,
                    String::from_utf8_lossy(&out.stderr)
                )
            });
        let mut matched = 0;
        for (name, value) in &produced {
            match v
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, x)| x)
            {
                Some(sent) if sent == value => matched += 1,
                Some(sent) => failures.push(format!(
                    "{} [{}]: sign gave {name}: {value}, vector has {sent}",
                    v.id, v.reason
                )),
                None => {}
            }
        }
        if matched == 0 {
            failures.push(format!(
                "{} [{}]: sign reproduced none of the vector's headers: {produced:?}",
                v.id, v.reason
            ));
        }
        signed += 1;
    }
    println!(
        "{} vectors verified through the CLI, {signed} re-signed",
        all.len()
    );
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn usage_errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let body = tmp.path().join("b");
    std::fs::write(&body, "{}").unwrap();
    let b = body.display().to_string();
    for args in [
        vec!["verify", "--scheme", "nope", "--secret", "k", "--body-file", &b],
        vec!["verify", "--scheme", "github", "--body-file", &b],
        vec!["verify", "--scheme", "github", "--secret", "k"],
        vec![
            "verify",
            "--scheme",
            "github",
            "--secret",
            "k",
            "--body-file",
            "/nonexistent/x",
        ],
        vec![
            "verify",
            "--scheme",
            "github",
            "--secret",
            "k",
            "--body-file",
            &b,
            "--header",
            "no colon",
        ],
        vec!["sign", "--scheme", "custom", "--secret", "k", "--body-file", &b],
    ] {
        let out = support::hookscope(tmp.path(), &args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "one clear line: {err}");
    }
}

#[test]
fn profiles_hold_secrets_privately_and_drive_capture_verdicts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let secret = "smtm_whsec_profile_secret_9f2c";
    let mut child = Command::new(support::bin())
        .args([
            "profile",
            "add",
            "smtm-prod",
            "--scheme",
            "smtm",
            "--path",
            "/smtm/*",
            "--data-dir",
        ])
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{secret}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let all = [out.stdout, out.stderr].concat();
    assert!(
        !String::from_utf8_lossy(&all).contains(secret),
        "the secret is never echoed"
    );

    let out = support::hookscope(dir, &["profile", "list", "--json"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains(secret) && text.contains("••••9f2c"), "{text}");
    assert!(text.contains("\"smtm-prod\""));

    // A capture signed with that secret verifies by the stored profile.
    let body = br#"{"event":"task.completed","data":{"task_id":"T-1"}}"#;
    let sig = {
        let out = Command::new(support::bin())
            .args([
                "sign",
                "--json",
                "--profile",
                "smtm-prod",
                "--body-file",
                "-",
                "--data-dir",
            ])
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = out;
        out.stdin.take().unwrap().write_all(body).unwrap();
        let out = out.wait_with_output().unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json["X-SMTM-Signature"].as_str().unwrap().to_string()
    };
    let mut l = support::Listener::start(dir, &[]);
    let mut conn = support::connect(l.port);
    let headers = format!("X-SMTM-Signature: {sig}\r\nX-SMTM-Event: task.completed\r\n");
    let r = support::exchange(&mut conn, &support::post("/smtm/a", &headers, body)).unwrap();
    assert_eq!(r.status, 200);
    let mut tampered = body.to_vec();
    tampered.push(b'\n');
    let r = support::exchange(&mut conn, &support::post("/smtm/a", &headers, &tampered)).unwrap();
    assert_eq!(r.status, 200);
    l.terminate();
    let out = support::hookscope(dir, &["list", "--json"]);
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["signature"]["verdict"], "valid", "{}", rows[0]);
    assert_eq!(rows[1]["signature"]["verdict"], "invalid", "{}", rows[1]);
    assert_eq!(rows[0]["event"], "task.completed");

    // verify --capture uses the stored request and profile.
    let id = rows[1]["id"].to_string();
    let out = support::hookscope(
        dir,
        &["verify", "--json", "--capture", &id, "--profile", "smtm-prod"],
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert!(v["explanation"].as_str().unwrap().contains("newline"), "{v}");

    // Removing the profile re-verifies: the captures now have no secret.
    let out = support::hookscope(dir, &["profile", "remove", "smtm-prod"]);
    assert!(out.status.success());
    let out = support::hookscope(dir, &["list", "--json"]);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .all(|l| l.contains("\"no_secret\""))
    );
    let out = support::hookscope(dir, &["profile", "remove", "smtm-prod"]);
    assert_eq!(out.status.code(), Some(1));
}
