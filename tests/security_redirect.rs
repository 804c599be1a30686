//! Outgoing requests and redirects: a signature (or a token, or a cookie) made for one receiver
//! never follows a redirect to another origin unless that was asked for. Fixtures on
//! 127.0.0.1:0: a redirector, and a recording receiver on another port (another origin).
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests: a panic is a failed test

mod send_fixture;
mod support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use hookscope::capture::HeaderList;
use hookscope::send::{Client, ClientConfig, OutgoingRequest};
use send_fixture::{Fixture, runtime};

/// Answers every request with `status` and `Location: {location}{path}`.
async fn redirector(status: u16, location: String) -> SocketAddr {
    let app = Router::new()
        .fallback(
            |State((status, location)): State<(u16, String)>, req: Request| async move {
                let to = format!("{location}{}", req.uri().path());
                (StatusCode::from_u16(status).unwrap(), [("location", to)], "moved")
            },
        )
        .with_state((status, location));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

const SIGNED: [(&str, &str); 7] = [
    ("Content-Type", "application/json"),
    ("Stripe-Signature", "t=1760000000,v1=abc"),
    ("X-Hub-Signature-256", "sha256=def"),
    ("Authorization", "Bearer token-123"),
    ("X-Acme-Signature", "custom"),
    ("X-Delivery", "d-1"),
    ("Cookie", "session=1"),
];

fn request(url: String) -> OutgoingRequest {
    OutgoingRequest {
        method: "POST".into(),
        url,
        headers: HeaderList::from_pairs(SIGNED),
        body: br#"{"event":"x"}"#.to_vec(),
    }
}

fn client(follow: bool) -> Client {
    Client::new(ClientConfig {
        timeout: Duration::from_secs(5),
        follow_redirects: follow,
        ..ClientConfig::default()
    })
}

fn names(h: &HeaderList) -> Vec<String> {
    h.iter().map(|h| h.name.to_ascii_lowercase()).collect()
}

#[test]
fn cross_origin_redirects_drop_signatures_unless_asked() {
    let rt = runtime();
    rt.block_on(async {
        let landing = Fixture::start(0, Duration::ZERO).await;
        let away = redirector(307, format!("http://{}", landing.addr)).await;
        let url = format!("http://{away}/hooks/in");

        // Not following (the default): the redirect is the answer, nothing reaches the other host.
        let a = client(false).send(&request(url.clone())).await;
        assert_eq!(a.status, Some(307));
        assert!(landing.seen().is_empty());

        // Following: method and body kept (307), signature and credential headers dropped.
        let a = client(true).send(&request(url.clone())).await;
        assert_eq!(a.status, Some(200), "{:?}", a.error);
        let seen = landing.wait_for(1);
        let got = names(&seen[0].headers);
        for gone in [
            "stripe-signature",
            "x-hub-signature-256",
            "authorization",
            "x-acme-signature",
            "cookie",
        ] {
            assert!(
                !got.contains(&gone.to_string()),
                "{gone} leaked to another origin: {got:?}"
            );
        }
        assert!(got.contains(&"x-delivery".to_string()) && got.contains(&"content-type".to_string()));
        assert_eq!(
            (seen[0].method.as_str(), seen[0].body.as_slice()),
            ("POST", &br#"{"event":"x"}"#[..])
        );
        // The attempt records what was actually sent.
        assert!(!a.request.headers.contains("stripe-signature"));

        // Asked for: everything goes.
        let a = client(true)
            .keep_signatures_on_redirect(true)
            .send(&request(url))
            .await;
        assert_eq!(a.status, Some(200));
        let seen = landing.wait_for(2);
        let got = names(&seen[1].headers);
        for kept in [
            "stripe-signature",
            "x-hub-signature-256",
            "authorization",
            "x-acme-signature",
            "cookie",
        ] {
            assert!(got.contains(&kept.to_string()), "{kept} missing: {got:?}");
        }
    });
}

#[test]
fn custom_signature_headers_named_by_profiles_are_dropped_too() {
    let rt = runtime();
    rt.block_on(async {
        let landing = Fixture::start(0, Duration::ZERO).await;
        let away = redirector(307, format!("http://{}", landing.addr)).await;
        let mut req = request(format!("http://{away}/hooks/in"));
        req.headers = HeaderList::from_pairs([("Content-Type", "application/json"), ("X-My-Sig", "mac")]);
        // A name no built-in rule knows goes along...
        let a = client(true).send(&req).await;
        assert_eq!(a.status, Some(200), "{:?}", a.error);
        assert!(names(&landing.wait_for(1)[0].headers).contains(&"x-my-sig".to_string()));
        // ...unless a signing profile's scheme names it.
        let a = client(true)
            .signature_headers(vec!["x-my-sig".into()])
            .send(&req)
            .await;
        assert_eq!(a.status, Some(200), "{:?}", a.error);
        let got = names(&landing.wait_for(2)[1].headers);
        assert!(!got.contains(&"x-my-sig".to_string()), "{got:?}");
        assert!(got.contains(&"content-type".to_string()));
    });
}

/// Redirects `/first` to `/landed` on itself and records the headers `/landed` receives.
async fn self_redirector() -> (SocketAddr, Arc<Mutex<Vec<HeaderList>>>) {
    let seen: Arc<Mutex<Vec<HeaderList>>> = Arc::default();
    let app = Router::new()
        .fallback(
            |State(seen): State<Arc<Mutex<Vec<HeaderList>>>>, req: Request| async move {
                // Absolute path, relative path, a loop, and a scheme that is not followed.
                let to = match req.uri().path() {
                    "/first" => Some("/landed"),
                    "/dir/first" => Some("landed"),
                    "/dir/up" => Some("../landed?from=up"),
                    "/loop" => Some("loop"),
                    "/ftp" => Some("FTP://127.0.0.1/landed"),
                    "/creds" => Some("http://admin:TOPSECRETPW@127.0.0.1:9/landed"),
                    "/slow-loop" => {
                        tokio::time::sleep(Duration::from_millis(400)).await;
                        Some("slow-loop")
                    }
                    _ => None,
                };
                if let Some(to) = to {
                    return (StatusCode::PERMANENT_REDIRECT, [("location", to)], "moved");
                }
                let headers = HeaderList::from_pairs(
                    req.headers()
                        .iter()
                        .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec())),
                );
                seen.lock().unwrap().push(headers);
                (StatusCode::OK, [("location", "")], "ok")
            },
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, seen)
}

#[test]
fn same_origin_redirects_keep_the_signature() {
    let rt = runtime();
    rt.block_on(async {
        let (addr, seen) = self_redirector().await;
        let a = client(true).send(&request(format!("http://{addr}/first"))).await;
        assert_eq!(a.status, Some(200), "{:?}", a.error);
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 1);
        assert!(seen[0].contains("stripe-signature") && seen[0].contains("authorization"));
    });
}

#[test]
fn relative_locations_are_resolved_and_loops_and_other_schemes_stop_with_a_reason() {
    let rt = runtime();
    rt.block_on(async {
        let (addr, seen) = self_redirector().await;
        for (path, landed) in [("/dir/first", "/dir/landed"), ("/dir/up", "/landed?from=up")] {
            let a = client(true).send(&request(format!("http://{addr}{path}"))).await;
            assert_eq!(a.status, Some(200), "{path}: {:?}", a.error);
            assert!(a.error.is_none(), "{path}: {:?}", a.error);
            // Every hop is recorded; the attempt's target is where it landed.
            assert_eq!(
                a.redirects,
                vec![hookscope::send::Hop {
                    status: 308,
                    url: format!("http://{addr}{path}")
                }]
            );
            assert_eq!(a.target, format!("http://{addr}{landed}"));
        }
        assert_eq!(seen.lock().unwrap().len(), 2, "both landed");

        let a = client(true).send(&request(format!("http://{addr}/loop"))).await;
        assert_eq!(a.status, Some(308));
        assert_eq!(a.redirects.len(), 10, "the ten hops followed are on record");
        let why = a.error.expect("a loop is reported").message;
        assert!(why.contains("stopped after 10 redirects"), "{why}");

        let a = client(true).send(&request(format!("http://{addr}/ftp"))).await;
        assert_eq!(a.status, Some(308));
        let why = a.error.expect("an ftp: Location is reported").message;
        assert!(why.contains("only http and https"), "{why}");

        // Credentials in a Location are neither followed nor repeated.
        let a = client(true).send(&request(format!("http://{addr}/creds"))).await;
        assert_eq!(a.status, Some(308));
        let why = a.error.expect("a Location with credentials is reported").message;
        assert!(
            why.contains("user:password@") && !why.contains("TOPSECRETPW"),
            "{why}"
        );
        assert!(
            !a.target.contains("TOPSECRETPW") && a.redirects.is_empty(),
            "{}",
            a.target
        );
        assert_eq!(seen.lock().unwrap().len(), 2, "nothing else landed");

        // The timeout covers the whole exchange, not each hop: 400 ms per hop against a 1 s
        // timeout stops after a few hops with a timeout, never at the 10-hop limit.
        let short = Client::new(ClientConfig {
            timeout: Duration::from_secs(1),
            follow_redirects: true,
            ..ClientConfig::default()
        });
        let a = short.send(&request(format!("http://{addr}/slow-loop"))).await;
        let why = a.error.expect("the timeout is reported").message;
        assert!(
            why.contains("(timeout)") && why.contains("redirect(s) followed"),
            "{why}"
        );
        assert!(
            a.redirects.len() < 3,
            "{} hops within 1 s of 400 ms each",
            a.redirects.len()
        );
    });
}

#[test]
fn replay_follow_redirects_through_the_cli_drops_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("signed.http");
    std::fs::write(
        &raw,
        b"POST /hooks/in HTTP/1.1\r\nHost: 127.0.0.1:8787\r\nStripe-Signature: t=1,v1=abc\r\nX-Keep: yes\r\nContent-Length: 2\r\n\r\n{}",
    )
    .unwrap();
    let out = support::hookscope(dir.path(), &["import", raw.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rt = runtime();
    let (landing, away) = rt.block_on(async {
        let landing = Fixture::start(0, Duration::ZERO).await;
        let away = redirector(307, format!("http://{}", landing.addr)).await;
        (landing, away)
    });
    let to = format!("http://{away}");
    for extra in [None, Some("--keep-signature-on-redirect")] {
        let mut args = vec!["replay", "1", "--to", to.as_str(), "--follow-redirects"];
        args.extend(extra);
        let out = support::hookscope(dir.path(), &args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let printed = String::from_utf8_lossy(&out.stdout);
        assert!(
            printed.starts_with(&format!("307 http://{away}/hooks/in (followed)\n")),
            "the hop is printed before the answer: {printed}"
        );
    }
    let seen = landing.wait_for(2);
    assert!(!seen[0].headers.contains("stripe-signature"));
    assert!(seen[0].headers.contains("x-keep"));
    assert!(seen[1].headers.contains("stripe-signature"));
    // The option only makes sense with --follow-redirects.
    let out = support::hookscope(
        dir.path(),
        &["replay", "1", "--to", to.as_str(), "--keep-signature-on-redirect"],
    );
    assert_eq!(out.status.code(), Some(2));
    drop(rt);
}

/// A target answering far more than anyone reads: the attempt keeps the first 8 MiB, says it
/// was cut, and still reports the status the target gave.
#[test]
fn a_huge_answer_is_cut_and_said_so() {
    let rt = runtime();
    rt.block_on(async {
        let app = Router::new().fallback(|| async {
            let chunk = axum::body::Bytes::from(vec![b'x'; 1 << 20]);
            let stream = futures_util::stream::iter(
                (0..64).map(move |_| Ok::<_, std::convert::Infallible>(chunk.clone())),
            );
            (StatusCode::OK, axum::body::Body::from_stream(stream))
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let a = client(false).send(&request(format!("http://{addr}/big"))).await;
        assert_eq!(a.status, Some(200));
        assert_eq!(a.response_body.len(), 8 << 20);
        let error = a.error.expect("the cut is reported");
        assert!(error.message.contains("larger than 8 MiB"), "{}", error.message);

        // A burst of many sends at once keeps less of each answer: all of them together stay
        // within the in-flight budget.
        let cap = hookscope::send::response_cap_for(256);
        assert_eq!(cap, hookscope::send::RESPONSES_IN_FLIGHT_BYTES / 256);
        assert_eq!(hookscope::send::response_cap_for(4), 8 << 20);
        assert_eq!(hookscope::send::response_cap_for(100_000), 64 << 10);
        let burst = Client::new(ClientConfig {
            max_response_bytes: cap,
            ..ClientConfig::default()
        });
        let a = burst.send(&request(format!("http://{addr}/big"))).await;
        assert_eq!(a.response_body.len(), cap);
        let error = a.error.expect("the cut is reported");
        assert!(error.message.contains("larger than 256 KiB"), "{}", error.message);
    });
}

#[test]
fn an_answer_with_many_headers_is_read_not_refused() {
    let rt = runtime();
    rt.block_on(async {
        let app = Router::new().fallback(|| async {
            let mut headers = axum::http::HeaderMap::new();
            for i in 0..150 {
                headers.insert(
                    axum::http::HeaderName::try_from(format!("x-h{i}")).unwrap(),
                    axum::http::HeaderValue::from_static("v"),
                );
            }
            (StatusCode::OK, headers, "ok")
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let a = client(false).send(&request(format!("http://{addr}/many"))).await;
        assert!(a.error.is_none(), "{:?}", a.error);
        assert_eq!(a.status, Some(200));
        assert!(a.response_headers.len() >= 150, "{}", a.response_headers.len());
    });
}

/// A server that answers every connection with `head` + `partial`, then stalls (`close` false)
/// or closes the connection.
async fn half_answer(partial: &'static [u8], close: bool) -> SocketAddr {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nX-Seen: yes\r\n\r\n")
                    .await;
                let _ = s.write_all(partial).await;
                if close {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
        }
    });
    addr
}

#[test]
fn an_answer_whose_body_stalls_or_breaks_keeps_its_status_headers_and_bytes() {
    let rt = runtime();
    rt.block_on(async {
        let quick = Client::new(ClientConfig {
            timeout: Duration::from_secs(1),
            ..ClientConfig::default()
        });
        let stalled = half_answer(b"first bytes", false).await;
        let a = quick.send(&request(format!("http://{stalled}/x"))).await;
        assert_eq!(a.status, Some(200));
        assert_eq!(a.response_headers.get("x-seen"), Some("yes"));
        assert_eq!(a.response_body, b"first bytes");
        assert!(!a.succeeded(), "a 200 whose body never finished is not a success");
        let e = a.error.expect("the stall is reported");
        assert_eq!(e.kind, hookscope::send::FailureKind::IncompleteBody);
        assert!(
            e.message.contains("head arrived (200)") && e.message.contains("11 bytes"),
            "{}",
            e.message
        );

        let broken = half_answer(b"some", true).await;
        let a = quick.send(&request(format!("http://{broken}/x"))).await;
        assert_eq!((a.status, a.response_body.as_slice()), (Some(200), &b"some"[..]));
        let e = a.error.expect("the cut is reported");
        assert!(e.message.contains("broke off after 4 bytes"), "{}", e.message);
    });
}
