//! 100,000 levels of JSON nesting through everything that looks at a body: pretty view, tree
//! view, the window's render worker, signature re-serialization, signing and forensics for every
//! scheme, delivery facts, the store writer's analysis, exports and diff. A recursive
//! implementation would overflow the stack; each step here runs on a 1 MiB stack.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests: a panic is a failed test

use std::sync::Arc;

use hookscope::capture::{Capture, CaptureId, CaptureJson, HeaderList, delivery_facts};
use hookscope::signature::{self, Profile, RequestParts, Scheme, SignParams, VerifyOptions};

const DEPTH: usize = 100_000;

/// Run `f` on a thread with a small stack: depth-proportional recursion would overflow it.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .expect("no stack overflow, no panic")
}

fn bodies() -> Vec<(&'static str, Vec<u8>)> {
    let arrays = format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
    let objects = format!("{}1{}", "{\"a\":".repeat(DEPTH), "}".repeat(DEPTH));
    let unclosed = "[".repeat(DEPTH);
    let wrapped =
        format!("{{\"event\":\"task.created\",\"id\":\"evt_1\",\"data\":{arrays},\"created\":1760000000}}");
    vec![
        ("arrays", arrays.into_bytes()),
        ("objects", objects.into_bytes()),
        ("unclosed", unclosed.into_bytes()),
        ("wrapped", wrapped.into_bytes()),
    ]
}

#[test]
fn body_views_handle_deep_nesting() {
    on_small_stack(|| {
        for (name, body) in bodies() {
            let pretty = hookscope::body::pretty_json(&body);
            let compact = hookscope::body::compact_json(&body);
            assert_eq!(pretty.is_ok(), name != "unclosed", "{name}");
            assert_eq!(compact.is_ok(), name != "unclosed", "{name}");
            if name == "arrays" {
                assert_eq!(pretty.unwrap().lines().count(), 2 * DEPTH - 1);
            }
            let tree = hookscope::body::json_tree(&body, 5000);
            if name == "unclosed" {
                assert!(tree.is_err());
            } else {
                let (nodes, truncated) = tree.unwrap();
                assert!(truncated && nodes.len() == 5000, "{name}");
            }
            let _ = hookscope::body::classify(Some("application/json"), &body);
        }
    });
}

#[test]
fn the_render_worker_handles_deep_nesting() {
    use hookscope::app::render::{RenderJob, prepare};
    use hookscope::ui::detail::{BodyMode, Pane, RenderKey};
    on_small_stack(|| {
        for (name, body) in bodies() {
            let bytes = Arc::new(body);
            for pane in [
                Pane::Body(BodyMode::Pretty),
                Pane::Body(BodyMode::Text),
                Pane::Response,
                Pane::Raw,
            ] {
                let job = RenderJob {
                    key: RenderKey {
                        id: CaptureId(1),
                        pane,
                        dark: true,
                    },
                    bytes: bytes.clone(),
                    content_type: Some("application/json".into()),
                    content_encoding: None,
                    head: Some("POST / HTTP/1.1\r\n\r\n".into()),
                };
                let code = prepare(&job);
                assert!(!code.text.is_empty(), "{name} {pane:?}");
            }
        }
    });
}

#[test]
fn signatures_and_delivery_facts_handle_deep_nesting() {
    on_small_stack(|| {
        for (name, body) in bodies() {
            // JSON.stringify(JSON.parse(..)) as the re-serializing schemes compute it.
            let re = signature::js_reserialize(&body);
            assert!(
                re.is_none(),
                "{name}: deeper than a JavaScript engine re-serializes"
            );
            let headers = HeaderList::from_pairs([("Content-Type", "application/json")]);
            let _ = delivery_facts(Some("stripe"), &headers, &body);
            let _ = delivery_facts(None, &headers, &body);
            for scheme in Scheme::all_builtin() {
                let params = SignParams {
                    method: "POST",
                    url: "http://127.0.0.1:8787/hooks",
                    body: &body,
                    now_unix: 1_760_000_000,
                    timestamp: Some(1_760_000_000),
                    ..SignParams::default()
                };
                let secret = "whsec_c2VjcmV0LWtleS1ieXRlcy0xMjM0NTY3OA==";
                let Ok(signed) = signature::sign(scheme, secret, &params) else {
                    continue;
                };
                let mut headers = HeaderList::from_pairs(signed.headers.clone());
                headers.push("Content-Type", "application/json");
                let url = signed.url.clone().unwrap_or_else(|| params.url.to_string());
                let parts = RequestParts {
                    method: "POST",
                    url: &url,
                    headers: &headers,
                    body: &body,
                };
                let opts = VerifyOptions {
                    now_unix: Some(1_760_000_000),
                    tolerance_secs: None,
                };
                let v = signature::verify(scheme, secret, &parts, &opts);
                // Linear's replay check needs `webhookTimestamp` in a JSON object: a bare array
                // is refused for that reason alone, with the signature itself matching.
                let body_timestamp_only = v.reason == signature::Reason::MissingBodyTimestamp
                    && v.expected.is_some()
                    && v.expected == v.received;
                assert!(v.valid || body_timestamp_only, "{name} {scheme}: {v:?}");
                // Forensics with a wrong secret tries re-serializations and body changes.
                let wrong = "whsec_d3Jvbmctc2VjcmV0LWJ5dGVzLTAwMDAwMDA=";
                let d = signature::diagnose(scheme, wrong, &parts, &opts, &[("other", secret)]);
                assert!(!d.valid, "{name} {scheme}");
            }
        }
    });
}

#[test]
fn the_store_writer_analyses_stores_and_exports_deep_bodies() {
    on_small_stack(|| {
        let dir = tempfile::tempdir().unwrap();
        let store = hookscope::store::Store::open(dir.path()).unwrap();
        for (name, scheme) in [("zoom", Scheme::Zoom), ("maintainx", Scheme::Maintainx)] {
            let p = Profile {
                name: name.into(),
                path_pattern: format!("/{name}/*"),
                scheme,
                secret: "a-secret-for-deep-json".into(),
                tolerance_secs: None,
            };
            hookscope::store::save_profile(&store.connect_rw().unwrap(), &p, None).unwrap();
        }
        drop(store);
        let engine = hookscope::engine::Engine::open(dir.path()).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let writer = engine.writer();
        let mut sent = Vec::new();
        for (i, (name, body)) in bodies().into_iter().enumerate() {
            for (path, header) in [
                ("/zoom/hook", ("x-zm-signature", "v0=00")),
                ("/maintainx/hook", ("x-maintainx-signature", "t=1,v1=00")),
                ("/plain", ("Stripe-Signature", "t=1,v1=00")),
            ] {
                let c = Capture {
                    received_at_us: 1_760_000_000_000_000 + i as i64,
                    method: "POST".into(),
                    path: path.into(),
                    http_version: "HTTP/1.1".into(),
                    headers: HeaderList::from_pairs([
                        ("Content-Type", "application/json"),
                        header,
                        ("x-zm-request-timestamp", "1760000000"),
                    ]),
                    body_len: body.len() as u64,
                    body: body.clone(),
                    ..Capture::default()
                };
                let id = rt.block_on(writer.insert(c)).unwrap();
                sent.push((id, name, body.clone()));
            }
        }
        let reader = engine.store().reader().unwrap();
        let stored: Vec<Capture> = sent
            .iter()
            .map(|(id, _, _)| reader.get(*id).unwrap().unwrap())
            .collect();
        for (c, (_, name, body)) in stored.iter().zip(&sent) {
            assert_eq!(&c.body, body, "{name}: stored byte-exact");
            assert_ne!(c.analysis.verdict.as_str(), "valid", "{name}");
        }
        let har = hookscope::interchange::export_har(&stored);
        assert!(har.len() > DEPTH);
        let json: Vec<CaptureJson> = stored.iter().map(CaptureJson::from_capture).collect();
        let nd = hookscope::interchange::export_ndjson(&json);
        let back = hookscope::interchange::read_ndjson(nd.as_bytes()).unwrap();
        assert_eq!(back.len(), stored.len());
        let _ = hookscope::capture::diff_captures(&stored[0], &stored[3]);
        let _ = hookscope::interchange::to_curl(&stored[0], "http://127.0.0.1:1");
        drop(reader);
        drop(rt);
        engine.shutdown();
    });
}
