//! Secrets stay secret: signing-profile secrets live only in the database (0600, in a 0700 data
//! dir) and never show in what the commands print — listings, exports, stats, verdicts,
//! forensics, `listen` output, errors — nor in `Debug` output.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests: a panic is a failed test

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use support::*;

const SECRET: &str = "hs-SENTINEL-7f3a9c2e-prod-secret";
const OTHER_SECRET: &str = "hs-SENTINEL-0b44d1-staging-secret";
/// A piece of both secrets that no redaction shows (it keeps only the last 4 characters).
const FRAGMENT: &str = "SENTINEL";

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(bin())
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn assert_clean(what: &str, output: &str) {
    assert!(
        !output.contains(SECRET) && !output.contains(OTHER_SECRET) && !output.contains(FRAGMENT),
        "{what} shows a secret:\n{output}"
    );
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// The signature headers `hookscope sign --profile` makes for `body`.
fn signed_headers(dir: &Path, profile: &str, body_file: &Path) -> String {
    let out = run(
        dir,
        &[
            "sign",
            "--profile",
            profile,
            "--body-file",
            body_file.to_str().unwrap(),
            "--json",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_clean("sign", &text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut block = String::new();
    for (k, v) in v.as_object().unwrap() {
        block.push_str(&format!("{k}: {}\r\n", v.as_str().unwrap()));
    }
    block
}

#[test]
fn profile_secrets_never_appear_in_output_files_or_exports() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data"); // created by hookscope
    let dir = dir.as_path();
    let mut outputs: Vec<(String, String)> = Vec::new();
    for (name, path, secret) in [
        ("production", "/gh/*", SECRET),
        ("staging", "/staging/*", OTHER_SECRET),
    ] {
        let out = run(
            dir,
            &[
                "profile",
                "add",
                name,
                "--scheme",
                "github",
                "--path",
                path,
                "--secret-env",
                "HS_SECRET",
            ],
            &[("HS_SECRET", secret)],
        );
        assert!(out.status.success(), "{}", text(&out));
        outputs.push((format!("profile add {name}"), text(&out)));
    }
    #[cfg(unix)]
    {
        assert_eq!(mode(dir), 0o700, "data dir");
        assert_eq!(mode(&dir.join("hookscope.db")), 0o600, "database");
    }

    let body = dir.join("..").join("body.json");
    std::fs::write(&body, br#"{"action":"opened","id":1}"#).unwrap();
    let good = signed_headers(dir, "production", &body);
    let wrong_env = signed_headers(dir, "staging", &body);

    // Receive: one valid delivery, one signed with the other environment's secret.
    let mut child = Command::new(bin())
        .args(["listen", "--port", "0", "--json", "--data-dir"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr_lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = stderr_lines.next().unwrap().unwrap();
    let port: u16 = first
        .split("listening on http://127.0.0.1:")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let mut s = connect(port);
    let payload = std::fs::read(&body).unwrap();
    for headers in [&good, &wrong_env] {
        let r = exchange(
            &mut s,
            &post(
                "/gh/push",
                &format!("{headers}X-GitHub-Event: push\r\n"),
                &payload,
            ),
        )
        .unwrap();
        assert_eq!(r.status, 200);
        assert_clean("the receiver's answer", &String::from_utf8_lossy(&r.body));
    }
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm"] {
        let p = dir.join(format!("hookscope.db{suffix}"));
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }
    drop(s);
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let listen = child.wait_with_output().unwrap();
    let rest: Vec<String> = stderr_lines.map_while(Result::ok).collect();
    outputs.push((
        "listen --json".into(),
        format!(
            "{}\n{first}\n{}",
            String::from_utf8_lossy(&listen.stdout),
            rest.join("\n")
        ),
    ));

    // The verdicts are what they should be, so the secrets were really used.
    let show = run(dir, &["show", "2", "--json"], &[]);
    let v: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(v["signature"]["verdict"], "invalid");
    assert!(
        v["signature"]["explanation"]
            .as_str()
            .unwrap()
            .contains("staging"),
        "forensics names the other profile: {v}"
    );
    let first_show = run(dir, &["show", "1", "--json"], &[]);
    let v: serde_json::Value = serde_json::from_slice(&first_show.stdout).unwrap();
    assert_eq!(v["signature"]["verdict"], "valid");

    let export_dir = root.path().join("exports");
    std::fs::create_dir(&export_dir).unwrap();
    let har = export_dir.join("all.har");
    let ndjson = export_dir.join("all.ndjson");
    let body_file = body.to_str().unwrap();
    let gh_header = good.lines().next().unwrap().to_owned();
    let commands: Vec<Vec<&str>> = vec![
        vec!["list"],
        vec!["list", "--json"],
        vec!["show", "1"],
        vec!["show", "2"],
        vec!["show", "1", "--json"],
        vec!["show", "2", "--json"],
        vec!["stats"],
        vec!["stats", "--json"],
        vec!["export", "--format", "har", "-o", har.to_str().unwrap()],
        vec!["export", "--format", "ndjson", "-o", ndjson.to_str().unwrap()],
        vec!["export", "--format", "ndjson", "-o", "-"],
        vec!["profile", "list"],
        vec!["profile", "list", "--json"],
        vec!["curl", "1"],
        vec!["diff", "1", "2"],
        vec![
            "verify",
            "--profile",
            "production",
            "--body-file",
            body_file,
            "--header",
            gh_header.as_str(),
            "--json",
        ],
        vec![
            "verify",
            "--profile",
            "production",
            "--body-file",
            body_file,
            "--header",
            "X-Hub-Signature-256: sha256=00",
        ],
        vec![
            "verify",
            "--profile",
            "staging",
            "--body-file",
            body_file,
            "--header",
            gh_header.as_str(),
        ],
        // Error paths.
        vec!["verify", "--profile", "nope", "--body-file", body_file],
        vec!["show", "999"],
        vec![
            "replay",
            "1",
            "--to",
            "http://127.0.0.1:9/x",
            "--re-sign",
            "--profile",
            "production",
            "--json",
        ],
        vec![
            "replay",
            "1",
            "--to",
            "not a url",
            "--re-sign",
            "--profile",
            "production",
        ],
    ];
    for args in &commands {
        let out = run(dir, args, &[]);
        outputs.push((args.join(" "), text(&out)));
    }
    // A duplicate profile name is refused without echoing the secret it was given.
    let out = run(
        dir,
        &[
            "profile",
            "add",
            "production",
            "--scheme",
            "github",
            "--secret-env",
            "HS_SECRET",
        ],
        &[("HS_SECRET", SECRET)],
    );
    assert!(!out.status.success());
    outputs.push(("duplicate profile add".into(), text(&out)));

    for (what, output) in &outputs {
        assert_clean(what, output);
    }
    for file in [&har, &ndjson] {
        assert_clean(
            &file.display().to_string(),
            &std::fs::read_to_string(file).unwrap(),
        );
    }
    // Nothing else in the data dir holds them (the database itself is where they live).
    for entry in walk(dir) {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("hookscope.db") {
            continue;
        }
        let bytes = std::fs::read(&entry).unwrap();
        assert_clean(&entry.display().to_string(), &String::from_utf8_lossy(&bytes));
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn debug_output_never_shows_a_secret() {
    let profile = hookscope::signature::Profile {
        name: "production".into(),
        path_pattern: "*".into(),
        scheme: hookscope::signature::Scheme::Github,
        secret: SECRET.into(),
        tolerance_secs: None,
    };
    assert_clean("Profile Debug", &format!("{profile:?} {profile:#?}"));
    let cmd = hookscope::app::messages::Command::VerifyWith {
        id: hookscope::capture::CaptureId(1),
        scheme: hookscope::signature::Scheme::Github,
        secret: SECRET.into(),
        tolerance_secs: None,
    };
    assert_clean("Command Debug", &format!("{cmd:?}"));
    let cli = <hookscope::cli::Cli as clap::Parser>::parse_from([
        "hookscope",
        "verify",
        "--scheme",
        "github",
        "--secret",
        SECRET,
        "--body-file",
        "x",
    ]);
    assert_clean("Cli Debug", &format!("{cli:?}"));
    let cli = <hookscope::cli::Cli as clap::Parser>::parse_from([
        "hookscope",
        "replay",
        "1",
        "--to",
        "http://h",
        "--re-sign",
        "--scheme",
        "github",
        "--secret",
        SECRET,
    ]);
    assert_clean("Cli Debug", &format!("{cli:?}"));
    let cli = <hookscope::cli::Cli as clap::Parser>::parse_from([
        "hookscope",
        "send",
        "--url",
        "http://h",
        "--event",
        "github:push",
        "--scheme",
        "github",
        "--secret",
        SECRET,
    ]);
    assert_clean("Cli Debug", &format!("{cli:?}"));
}
