//! MaintainX webhook subscriptions through `hookscope subscriptions`, against a fake MaintainX
//! API on 127.0.0.1 that checks the bearer key.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests: a panic is a failed test

use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, get};
use serde_json::{Value, json};

const KEY: &str = "mx_api_key_4417";

#[derive(Default)]
struct Fake {
    hooks: Vec<Value>,
    next: u64,
}

type Shared = Arc<Mutex<Fake>>;

fn authorised(h: &HeaderMap) -> bool {
    h.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {KEY}"))
}

async fn list(State(s): State<Shared>, h: HeaderMap) -> (StatusCode, String) {
    if !authorised(&h) {
        return (StatusCode::UNAUTHORIZED, r#"{"error":"unauthorized"}"#.into());
    }
    let hooks = s.lock().unwrap().hooks.clone();
    (StatusCode::OK, json!({ "webhooks": hooks }).to_string())
}

async fn create(State(s): State<Shared>, h: HeaderMap, body: Bytes) -> (StatusCode, String) {
    if !authorised(&h) {
        return (StatusCode::UNAUTHORIZED, String::new());
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, r#"{"error":"bad json"}"#.into());
    };
    let mut f = s.lock().unwrap();
    f.next += 1;
    let hook = json!({ "id": f.next, "url": v["url"], "events": v["events"] });
    f.hooks.push(hook.clone());
    (StatusCode::CREATED, hook.to_string())
}

async fn remove(State(s): State<Shared>, h: HeaderMap, Path(id): Path<u64>) -> StatusCode {
    if !authorised(&h) {
        return StatusCode::UNAUTHORIZED;
    }
    let mut f = s.lock().unwrap();
    let before = f.hooks.len();
    f.hooks.retain(|hk| hk["id"] != id);
    if f.hooks.len() < before {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

/// The fake API on a free port; it stops with the runtime.
fn fake_api() -> (tokio::runtime::Runtime, String) {
    serve(
        Router::new()
            .route("/v1/webhooks", get(list).post(create))
            .route("/v1/webhooks/{id}", delete(remove))
            .with_state(Shared::default()),
    )
}

/// An API whose `GET /v1/webhooks` always answers `body`.
fn answering(body: &'static str) -> (tokio::runtime::Runtime, String) {
    serve(Router::new().route("/v1/webhooks", get(move || async move { body })))
}

fn serve(app: Router) -> (tokio::runtime::Runtime, String) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move { axum::serve(listener, app).await });
    (rt, format!("http://{addr}"))
}

fn hookscope(base: &str, key: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hookscope"));
    cmd.arg("subscriptions")
        .args(args)
        .args(["--base-url", base])
        .env_remove("MAINTAINX_API_KEY");
    if let Some(k) = key {
        cmd.env("MAINTAINX_API_KEY", k);
    }
    let out = cmd.output().unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains(KEY), "the API key was printed: {all}");
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn create_list_and_delete_webhooks_with_the_bearer_key() {
    let (_rt, base) = fake_api();
    let created = hookscope(
        &base,
        Some(KEY),
        &[
            "create",
            "--url",
            "https://tunnel.example/maintainx",
            "--event",
            "workorder.created,workorder.status_changed",
            "--json",
        ],
    );
    assert!(created.status.success(), "{created:?}");
    let v: Value = serde_json::from_str(stdout(&created).trim()).unwrap();
    assert_eq!(v["id"], "1");
    assert_eq!(
        v["events"],
        json!(["workorder.created", "workorder.status_changed"])
    );

    let listed = hookscope(&base, Some(KEY), &["list", "--json"]);
    assert!(listed.status.success(), "{listed:?}");
    let v: Value = serde_json::from_str(stdout(&listed).trim()).unwrap();
    assert_eq!(
        v,
        json!([{ "id": "1", "url": "https://tunnel.example/maintainx",
                 "events": ["workorder.created", "workorder.status_changed"] }])
    );
    let table = hookscope(&base, Some(KEY), &["list"]);
    assert!(stdout(&table).contains("https://tunnel.example/maintainx"));

    let deleted = hookscope(&base, Some(KEY), &["delete", "1"]);
    assert!(deleted.status.success(), "{deleted:?}");
    let listed = hookscope(&base, Some(KEY), &["list", "--json"]);
    assert_eq!(stdout(&listed).trim(), "[]");

    // Deleting again: the API's 404, said in one line.
    let again = hookscope(&base, Some(KEY), &["delete", "1"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("404"));
}

#[test]
fn a_wrong_or_missing_key_is_said_plainly() {
    let (_rt, base) = fake_api();
    let wrong = hookscope(&base, Some("not-the-key"), &["list"]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("refused the key"));
    let missing = hookscope(&base, None, &["list"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("MAINTAINX_API_KEY"));
    // Nothing listening: a connection failure in plain words.
    let dead = hookscope("http://127.0.0.1:9", Some(KEY), &["list"]);
    assert_eq!(dead.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&dead.stderr).contains("could not list the webhooks"));
    // A base URL that cannot be used is a usage error, found before anything is sent.
    for bad in ["ftp://127.0.0.1:9", "127.0.0.1:9", "http://127.0.0.1:9/?token=x"] {
        let out = hookscope(bad, Some(KEY), &["list"]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {out:?}");
    }
    // A key that is not text is said to be so, not to be missing.
    let out = Command::new(env!("CARGO_BIN_EXE_hookscope"))
        .args(["subscriptions", "list", "--base-url", &base])
        .env(
            "MAINTAINX_API_KEY",
            <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(b"k\xff"),
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not valid text"),
        "{out:?}"
    );
}

#[test]
fn what_the_api_sends_is_printed_escaped_and_entries_without_ids_are_counted() {
    let (_rt, base) = answering(
        r#"{"webhooks": [
            {"id": "wh\u001b]0;owned\u0007", "url": "https://a.example/h\nFAKE 2 https://b", "events": ["x\u001b[2J"]},
            {"url": "https://no-id.example"}
        ]}"#,
    );
    let out = hookscope(&base, Some(KEY), &["list"]);
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'), "{text:?}");
    assert!(text.contains("wh\\u{1b}]0;owned\\u{7}"), "{text}");
    assert_eq!(text.lines().count(), 2, "header and one row: {text}");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("1 entry in the API's answer has no id and is not shown"),
        "{out:?}"
    );

    // Entries, none readable: not "no webhooks".
    let (_rt2, base) = answering(r#"[{"name": "a"}, {"name": "b"}]"#);
    let out = hookscope(&base, Some(KEY), &["list"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("lists 2 entries but none has an id"));
    assert!(!stdout(&out).contains("no webhooks"));

    // A base URL with a query would have put the path inside the query.
    let with_query = format!("{base}/api?tenant=7");
    let out = hookscope(&with_query, Some(KEY), &["list"]);
    assert_eq!(out.status.code(), Some(2), "a usage error: {out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("query or fragment"));
}
