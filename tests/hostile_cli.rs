//! Broken input through the binary: malformed imports, corrupt and newer databases (left
//! byte-for-byte untouched), a full disk while listening, and a non-loopback bind.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests: a panic is a failed test

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use support::*;

fn sha(path: &Path) -> Vec<u8> {
    Sha256::digest(std::fs::read(path).unwrap()).to_vec()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Run a subcommand that is expected to fail at once; a command still running after 15 s
/// (a `listen` that started after all) is killed and fails the test.
fn run_bounded(dir: &Path, args: &[&str]) -> Output {
    run_bounded_with_stdin(dir, args, Stdio::inherit())
}

/// [`run_bounded`] with `stdin` as the command's standard input.
fn run_bounded_with_stdin(dir: &Path, args: &[&str], stdin: Stdio) -> Output {
    let mut child = Command::new(bin())
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("`{}` did not stop", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

/// Each command fails with exit 1 and says `expected`.
fn refused_by_each(dir: &Path, commands: &[&[&str]], expected: &str) {
    for args in commands {
        let out = run_bounded(dir, args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "`{}`: {err}", args.join(" "));
        assert!(err.contains(expected), "`{}`: {err}", args.join(" "));
    }
}

fn captures_in(dir: &Path) -> u64 {
    let out = hookscope(dir, &["stats", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["captures"].as_u64().unwrap()
}

#[test]
fn malformed_imports_are_one_line_errors_and_import_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let good = r#"{"received_at":"2026-01-01T00:00:00Z","method":"POST","path":"/ok","headers":[],"body_base64":"aGk="}"#;
    let deep = format!("{{\"log\":{}", "[".repeat(100_000));
    let huge = "A".repeat(1_000_000);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "ndjson-huge-wrong-type",
            good.replace("\"path\":\"/ok\"", &format!("\"path\":\"/ok\",\"status\":\"{huge}\"")).into_bytes(),
            "status: invalid type",
        ),
        (
            "curl-huge-file-name",
            format!("curl http://h/x -d @{huge}").into_bytes(),
            "reads a file",
        ),
        (
            "raw-huge-header-name",
            format!("POST /x HTTP/1.1\r\nHost: h\r\n{huge}[: 1\r\n\r\n").into_bytes(),
            "not a valid header name",
        ),
        ("empty", Vec::new(), "nothing to import"),
        ("binary", vec![0x00, 0xff, 0xfe, 0x01, 0x02], "unknown format"),
        ("har-truncated", br#"{"log":{"entries":[{"request":"#.to_vec(), "HAR"),
        (
            "har-wrong-type",
            br#"{"log":{"entries":[{"request":{"method":"GET","url":"/","headers":[{"name":"A","value":1}]}}]}}"#.to_vec(),
            "log.entries[0].request.headers[0].value",
        ),
        ("har-deep", deep.into_bytes(), "HAR"),
        (
            "ndjson-bad-line-3",
            format!("{good}\n{good}\n{{\"method\":\"GET\",\n").into_bytes(),
            "NDJSON line 3",
        ),
        (
            "ndjson-bad-base64",
            format!("{good}\n{}\n", good.replace("aGk=", "@@@")).into_bytes(),
            "NDJSON line 2",
        ),
        ("curl-unknown-option", b"curl --no-such-thing http://h/x".to_vec(), "unknown option"),
        ("curl-unclosed-quote", b"curl -d 'open http://h/x".to_vec(), "curl command"),
        (
            "raw-short-body",
            b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 50\r\n\r\nshort".to_vec(),
            "raw HTTP line",
        ),
        (
            "raw-bad-chunk",
            b"POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n".to_vec(),
            "raw HTTP line",
        ),
    ];
    for (name, bytes, expected) in cases {
        let file = dir.path().join(format!("{name}.in"));
        std::fs::write(&file, &bytes).unwrap();
        let out = hookscope(dir.path(), &["import", file.to_str().unwrap()]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{name}: one line: {err}");
        assert!(err.starts_with("hookscope: error: "), "{name}: {err}");
        assert!(err.contains(expected), "{name}: expected {expected:?} in {err}");
        assert!(
            err.len() < 400,
            "{name}: the bad input is not echoed whole ({} bytes)",
            err.len()
        );
        assert!(out.stdout.is_empty(), "{name}: no ids printed");
    }
    assert_eq!(captures_in(dir.path()), 0, "nothing half-imported");
}

/// A real hookscope database with `n` captures, closed cleanly.
fn real_database(dir: &Path, n: usize) {
    let engine = hookscope::engine::Engine::open(dir).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let writer = engine.writer();
    rt.block_on(async {
        for i in 0..n {
            let c = hookscope::capture::Capture {
                received_at_us: 1_760_000_000_000_000 + i as i64,
                method: "POST".into(),
                path: format!("/c/{i}"),
                http_version: "HTTP/1.1".into(),
                body: vec![b'a' + (i % 26) as u8; 3000],
                body_len: 3000,
                ..Default::default()
            };
            writer.insert(c).await.unwrap();
        }
    });
    drop(rt);
    engine.shutdown();
}

/// Every command that opens the database, against a file it must refuse.
const COMMANDS: &[&[&str]] = &[
    &["list"],
    &["list", "--json", "--limit", "100000"],
    &["show", "1"],
    &["stats", "--json"],
    &["export", "--format", "ndjson", "-o", "-"],
    &["clear"],
    &["profile", "list"],
    &["listen", "--port", "0"],
];

fn assert_refused_untouched(dir: &Path, what: &str, expected: &str) {
    let db = dir.join("hookscope.db");
    let before = sha(&db);
    let len = std::fs::metadata(&db).unwrap().len();
    for args in COMMANDS {
        let out = run_bounded(dir, args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{what}, `{}`: {err}", args.join(" "));
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{what}, `{}`: {err}",
            args.join(" ")
        );
        assert!(
            err.contains(expected) && err.contains("left untouched"),
            "{what}, `{}`: {err}",
            args.join(" ")
        );
        assert_eq!(sha(&db), before, "{what}: `{}` changed the file", args.join(" "));
        for suffix in ["-wal", "-shm", "-journal"] {
            assert!(
                !dir.join(format!("hookscope.db{suffix}")).exists(),
                "{what}: `{}` left hookscope.db{suffix} beside it",
                args.join(" ")
            );
        }
    }
    // Importing into it is refused too, after the input was read and found valid.
    let input = dir.join("in.http");
    std::fs::write(
        &input,
        b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi",
    )
    .unwrap();
    let out = run_bounded(dir, &["import", input.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{what}, import: {}", stderr(&out));
    assert_eq!(sha(&db), before, "{what}: import changed the file");
    assert_eq!(std::fs::metadata(&db).unwrap().len(), len);
    for suffix in ["-wal", "-journal"] {
        let side = dir.join(format!("hookscope.db{suffix}"));
        assert!(
            !side.exists() || std::fs::metadata(&side).unwrap().len() == 0,
            "{what}: nothing was written beside it ({suffix})"
        );
    }
}

#[test]
fn corrupt_and_newer_databases_are_refused_and_left_byte_for_byte() {
    // Truncated to half: SQLite's header promises pages the file does not have.
    let truncated = tempfile::tempdir().unwrap();
    real_database(truncated.path(), 300);
    let db = truncated.path().join("hookscope.db");
    let bytes = std::fs::read(&db).unwrap();
    std::fs::write(&db, &bytes[..bytes.len() / 2]).unwrap();
    assert_refused_untouched(truncated.path(), "truncated", "corrupt");

    // Garbage over the header.
    let garbage = tempfile::tempdir().unwrap();
    real_database(garbage.path(), 20);
    let db = garbage.path().join("hookscope.db");
    let mut bytes = std::fs::read(&db).unwrap();
    bytes[..100].fill(0xA5);
    std::fs::write(&db, &bytes).unwrap();
    assert_refused_untouched(garbage.path(), "garbage header", "corrupt");

    // Another program's SQLite database.
    let foreign = tempfile::tempdir().unwrap();
    {
        let conn = rusqlite::Connection::open(foreign.path().join("hookscope.db")).unwrap();
        conn.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('mine');")
            .unwrap();
    }
    assert_refused_untouched(foreign.path(), "foreign", "not a hookscope database");

    // Written by a newer hookscope.
    let newer = tempfile::tempdir().unwrap();
    real_database(newer.path(), 5);
    {
        let conn = rusqlite::Connection::open(newer.path().join("hookscope.db")).unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
        conn.pragma_update(None, "user_version", hookscope::store::schema::SCHEMA_VERSION + 1)
            .unwrap();
    }
    assert_refused_untouched(newer.path(), "newer", "newer hookscope");

    // Its tables, but the schema version wiped: migrating would create them again.
    for version in [0, -1] {
        let wiped = tempfile::tempdir().unwrap();
        real_database(wiped.path(), 5);
        {
            let conn = rusqlite::Connection::open(wiped.path().join("hookscope.db")).unwrap();
            conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
            conn.pragma_update(None, "user_version", version).unwrap();
        }
        assert_refused_untouched(wiped.path(), "version wiped", "schema version");
    }
}

#[test]
fn an_empty_database_file_is_an_empty_history_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hookscope.db"), b"").unwrap();
    let out = hookscope(dir.path(), &["list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "no captures yet\n");
    assert_eq!(captures_in(dir.path()), 0);
    // The first writer makes it a database.
    let request = dir.path().join("request.http");
    std::fs::write(
        &request,
        b"POST /first HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok",
    )
    .unwrap();
    let out = hookscope(dir.path(), &["import", request.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(captures_in(dir.path()), 1);
}

#[test]
fn damage_inside_the_file_is_reported_as_corruption_by_readers() {
    let dir = tempfile::tempdir().unwrap();
    real_database(dir.path(), 300);
    let db = dir.path().join("hookscope.db");
    let mut bytes = std::fs::read(&db).unwrap();
    let (from, to) = (bytes.len() * 2 / 5, bytes.len() * 3 / 5);
    bytes[from..to].fill(0xA5);
    std::fs::write(&db, &bytes).unwrap();
    let before = sha(&db);
    for args in [
        &["list", "--json", "--limit", "100000"][..],
        &["export", "--format", "har", "-o", "-"][..],
    ] {
        let out = run_bounded(dir.path(), args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "`{}`: {err}", args.join(" "));
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains("corrupt") && err.contains("left untouched"), "{err}");
        assert_eq!(sha(&db), before);
    }
}

/// `listen` with extra environment, its stderr lines on a channel.
struct Spawned {
    child: std::process::Child,
    port: u16,
    /// What it said before "listening on".
    before: Vec<String>,
    lines: mpsc::Receiver<String>,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_listen(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Spawned {
    let mut child = Command::new(bin())
        .args(["listen", "--data-dir"])
        .arg(dir)
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, lines) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut before = Vec::new();
    let port = loop {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("listen did not start");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            let addr = rest.split_whitespace().next().unwrap();
            break addr.rsplit(':').next().unwrap().parse().unwrap();
        }
        before.push(line);
    };
    Spawned {
        child,
        port,
        before,
        lines,
    }
}

#[test]
fn a_full_disk_while_listening_is_503_and_one_clear_line_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let l = spawn_listen(
        dir.path(),
        &["--port", "0"],
        &[(hookscope::store::MAX_PAGES_ENV, "40")],
    );
    let mut s = connect(l.port);
    let mut acked = Vec::new();
    let mut refused = None;
    for i in 0..200 {
        let tag = format!("req-{i}-");
        let mut body = tag.clone().into_bytes();
        body.resize(8 * 1024, b'.');
        let r = exchange(&mut s, &post("/fill", "", &body)).unwrap();
        match r.status {
            200 => acked.push(tag),
            503 => {
                refused = Some((tag, String::from_utf8_lossy(&r.body).into_owned()));
                break;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    let (refused_tag, answer) = refused.expect("the database filled up");
    assert!(!acked.is_empty());
    assert!(answer.contains("database or disk is full"), "{answer}");
    let line = loop {
        let line = l
            .lines
            .recv_timeout(Duration::from_secs(10))
            .expect("a line on stderr about the failure");
        if line.contains("could not store") {
            break line;
        }
    };
    assert!(line.starts_with("hookscope: error: "), "{line}");
    assert!(line.contains("database or disk is full"), "{line}");
    assert!(line.contains("answered 503 and not stored"), "{line}");
    drop(s);
    drop(l);
    let out = hookscope(dir.path(), &["list", "--json", "--limit", "1000"]);
    let bodies: Vec<String> = json_lines(&out.stdout)
        .iter()
        .map(|v| v["body_text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        bodies.len(),
        acked.len(),
        "exactly the acknowledged requests are stored"
    );
    for (body, tag) in bodies.iter().zip(&acked) {
        assert!(body.starts_with(tag.as_str()));
    }
    assert!(!bodies.iter().any(|b| b.starts_with(refused_tag.as_str())));
}

#[test]
fn binding_beyond_loopback_is_warned_about_before_anything_listens() {
    // The port is taken, so nothing is ever exposed while the warning is checked.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = run_bounded(dir.path(), &["listen", "--bind", "0.0.0.0", "--port", &port]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with("hookscope: warning: binding 0.0.0.0 exposes the receiver"),
        "{err}"
    );
    assert!(lines[1].contains("already in use"), "{err}");

    // Loopback (the default) says nothing of the sort.
    let l = spawn_listen(dir.path(), &["--port", "0"], &[]);
    assert!(l.before.is_empty(), "{:?}", l.before);
    let mut s = connect(l.port);
    assert_eq!(exchange(&mut s, &post("/x", "", b"1")).unwrap().status, 200);
    drop(l);
}

#[test]
fn output_into_a_closed_pipe_ends_quietly_for_every_printing_command() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("req.http");
    std::fs::write(
        &raw,
        "POST /hooks/a?x=1 HTTP/1.1\r\nHost: example\r\nContent-Type: application/json\r\n\r\n{\"a\":1}",
    )
    .unwrap();
    for _ in 0..2 {
        let out = hookscope(dir.path(), &["import", raw.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let commands: &[&[&str]] = &[
        &["list"],
        &["show", "1"],
        &["curl", "1"],
        &["diff", "1", "2"],
        &["export", "--format", "ndjson", "-o", "-"],
        &["stats"],
        &["events"],
        &["profile", "list"],
        &["sign", "--scheme", "github", "--secret", "s", "--capture", "1"],
        &["verify", "--scheme", "github", "--secret", "s", "--capture", "1"],
    ];
    for args in commands {
        // The read end is closed before the command starts: its first write fails.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(bin())
            .args(*args)
            .arg("--data-dir")
            .arg(dir.path())
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = stderr(&out);
        assert!(!err.contains("panicked"), "`{}` panicked: {err}", args.join(" "));
        assert_ne!(out.status.code(), Some(101), "`{}`: {err}", args.join(" "));
    }
}

#[test]
fn a_data_dir_that_is_a_file_or_a_database_that_is_a_directory_is_said_plainly() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("not-a-dir");
    std::fs::write(&file, b"keep me").unwrap();
    refused_by_each(
        &file,
        &[&["list"], &["stats", "--json"], &["listen", "--port", "0"]],
        "is a file, not a directory",
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");
    // A data dir that cannot be made says which, once.
    let out = run_bounded(&file.join("sub"), &["listen", "--port", "0"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cannot create the data dir") && err.contains("not-a-dir/sub"),
        "{err}"
    );
    assert_eq!(err.matches("Not a directory").count(), 1, "{err}");
    let dir = tmp.path().join("data");
    std::fs::create_dir_all(dir.join("hookscope.db")).unwrap();
    let out = run_bounded(&dir, &["list"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(
        err.matches("is a directory, not a database file").count(),
        1,
        "{err}"
    );
    // A database that is a symlink to nothing is said to be so, and nothing is made at its target.
    let linked = tmp.path().join("linked");
    std::fs::create_dir_all(&linked).unwrap();
    let target = tmp.path().join("gone.db");
    std::os::unix::fs::symlink(&target, linked.join("hookscope.db")).unwrap();
    let request = tmp.path().join("request.http");
    std::fs::write(&request, "POST /a HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    refused_by_each(
        &linked,
        &[
            &["list"],
            &["stats", "--json"],
            &["export", "--format", "ndjson", "-o", "-"],
            &["listen", "--port", "0"],
            &["import", request.to_str().unwrap()],
        ],
        "which does not exist",
    );
    assert!(!target.exists());
}

#[test]
fn a_database_that_is_a_pipe_is_refused_at_once_instead_of_blocking() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("hookscope.db");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    // run_bounded kills (and fails) a command still blocked after 15 s.
    refused_by_each(
        tmp.path(),
        &[
            &["list"],
            &["stats", "--json"],
            &["listen", "--port", "0"],
            &["profile", "list"],
        ],
        "is not a regular file",
    );
}

/// Several processes opening one brand-new data dir at the same moment all create, check and
/// migrate it without tripping over each other ("table captures already exists", or tables
/// seen before the id that marks them as hookscope's).
#[test]
fn processes_creating_one_new_data_dir_at_once_all_succeed() {
    let root = tempfile::tempdir().unwrap();
    let request = root.path().join("request.http");
    std::fs::write(
        &request,
        b"POST /race HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok",
    )
    .unwrap();
    for round in 0..6 {
        let dir = root.path().join(format!("round-{round}"));
        let children: Vec<_> = (0..4)
            .map(|_| {
                Command::new(bin())
                    .arg("import")
                    .arg(&request)
                    .arg("--data-dir")
                    .arg(&dir)
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "round {round}: {}", stderr(&out));
        }
        let out = hookscope(&dir, &["stats", "--json"]);
        let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(stats["captures"], 4, "round {round}");
    }
}

/// Inputs that would take memory without bound are refused with a clear line: an endless import
/// (`/dev/zero`) stops at the cap, an absurd `--count` before anything is prepared.
#[test]
fn endless_imports_and_absurd_counts_are_refused_not_buffered() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_bounded(dir.path(), &["import", "/dev/zero"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("/dev/zero is larger than 512 MiB"), "{err}");
    // A regular file that large is refused by its size, before it is read.
    let big = dir.path().join("big.har");
    std::fs::File::create(&big).unwrap().set_len(600 << 20).unwrap();
    let out = run_bounded(dir.path(), &["import", big.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("big.har is larger than 512 MiB"), "{err}");
    let out = run_bounded(
        dir.path(),
        &[
            "send",
            "--url",
            "http://127.0.0.1:9/",
            "--event",
            "github:ping",
            "--unsigned",
            "--count",
            "1000000000",
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("more than 100000 deliveries"), "{err}");
}

#[test]
fn exports_write_through_symlinks_and_pipes_instead_of_replacing_them() {
    use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
    let dir = tempfile::tempdir().unwrap();
    real_database(dir.path(), 3);
    let out_dir = tempfile::tempdir().unwrap();

    // A symlink stays a symlink; the file it points to gets the export, keeping its mode.
    let target = out_dir.path().join("target.ndjson");
    std::fs::write(&target, "old").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
    let link = out_dir.path().join("link.ndjson");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = run_bounded(
        dir.path(),
        &["export", "--format", "ndjson", "-o", link.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(&target).unwrap().lines().count(), 3);
    assert_eq!(
        std::fs::metadata(&target).unwrap().permissions().mode() & 0o777,
        0o644
    );

    // A FIFO is written into, not replaced by a plain file.
    let fifo = out_dir.path().join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let out = run_bounded(
        dir.path(),
        &["export", "--format", "ndjson", "-o", fifo.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(reader.join().unwrap().lines().count(), 3);
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());

    // A directory is refused by name.
    let out = run_bounded(
        dir.path(),
        &[
            "export",
            "--format",
            "har",
            "-o",
            out_dir.path().to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("is a directory"), "{}", stderr(&out));
}

#[test]
fn output_that_cannot_be_written_is_a_failure_not_a_success() {
    let dir = tempfile::tempdir().unwrap();
    real_database(dir.path(), 2);
    for args in [
        &["export", "--format", "ndjson", "-o", "-"][..],
        &["list"],
        &["show", "1"],
        &["stats", "--json"],
    ] {
        let out = Command::new(bin())
            .args(args)
            .arg("--data-dir")
            .arg(dir.path())
            .stdout(std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "`{}`: {}",
            args.join(" "),
            stderr(&out)
        );
        assert!(
            stderr(&out).contains("cannot write") && stderr(&out).contains("No space left"),
            "`{}`: {}",
            args.join(" "),
            stderr(&out)
        );
    }
}

#[test]
fn an_endless_secret_on_stdin_is_refused_not_buffered() {
    let dir = tempfile::tempdir().unwrap();
    let zeros = Stdio::from(std::fs::File::open("/dev/zero").unwrap());
    let out = run_bounded_with_stdin(dir.path(), &["profile", "add", "s", "--scheme", "github"], zeros);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("longer than 64 KiB"), "{}", stderr(&out));
    let list = hookscope(dir.path(), &["profile", "list"]);
    assert!(
        String::from_utf8_lossy(&list.stdout).starts_with("no profiles"),
        "nothing was saved"
    );
}

#[test]
fn a_profile_saved_beside_a_damaged_row_says_it_was_saved() {
    let dir = tempfile::tempdir().unwrap();
    real_database(dir.path(), 3);
    let conn = rusqlite::Connection::open(dir.path().join("hookscope.db")).unwrap();
    conn.execute("UPDATE captures SET received_at_us = 'abc' WHERE id = 2", [])
        .unwrap();
    drop(conn);
    let out = Command::new(bin())
        .args([
            "profile",
            "add",
            "p2",
            "--scheme",
            "stripe",
            "--secret-env",
            "HS_TEST_SECRET",
            "--data-dir",
        ])
        .arg(dir.path())
        .env("HS_TEST_SECRET", "whsec_x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("profile 'p2' saved, but re-verifying the stored captures failed"),
        "{}",
        stderr(&out)
    );
    let list = hookscope(dir.path(), &["profile", "list"]);
    assert!(String::from_utf8_lossy(&list.stdout).contains("p2"));
}
