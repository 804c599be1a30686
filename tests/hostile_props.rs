//! Property tests for parsers of outside input that had none: the receiver's request-head framer,
//! the capture JSON (`show --json`, NDJSON), the stored header block, and the CLI `--header`,
//! `--set` parsers. None may panic; each round-trips where a round trip is defined.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests: a panic is a failed test

use hookscope::capture::{
    Capture, CaptureId, CaptureJson, HeaderList, Origin, ResponseSent, decode_header_block,
    encode_header_block,
};
use hookscope::server::sniff::{Framer, RawHead};
use proptest::prelude::*;

// ---- the request-head framer -------------------------------------------------------------------

fn feed_split(wire: &[u8], cuts: &[usize]) -> Vec<RawHead> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (wire.len() + 1)).collect();
    cuts.sort_unstable();
    let mut framer = Framer::default();
    let mut out = Vec::new();
    let mut from = 0;
    for cut in cuts.into_iter().chain([wire.len()]) {
        framer.feed(&wire[from..cut], &mut |h| out.push(h));
        from = cut;
    }
    out
}

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]{0,15}"
}

/// A header value as HTTP allows it: visible ASCII, obs-text bytes, inner spaces and tabs.
fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            8 => 0x21u8..=0x7e,
            2 => 0x80u8..=0xff,
            1 => Just(b' '),
            1 => Just(b'\t'),
        ],
        0..24,
    )
    .prop_map(|v| {
        // Leading and trailing whitespace is not part of a field value.
        let start = v
            .iter()
            .position(|b| !matches!(b, b' ' | b'\t'))
            .unwrap_or(v.len());
        let end = v
            .iter()
            .rposition(|b| !matches!(b, b' ' | b'\t'))
            .map_or(start, |e| e + 1);
        v[start..end].to_vec()
    })
}

#[derive(Debug, Clone)]
struct Req {
    method: String,
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    /// `None`: Content-Length; `Some(sizes)`: chunked, in chunks of these sizes.
    chunks: Option<Vec<usize>>,
}

fn request() -> impl Strategy<Value = Req> {
    (
        prop::sample::select(vec![
            "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "X-CUSTOM",
        ]),
        "/[A-Za-z0-9/%._~!$&'()*+,;=:@?-]{0,30}",
        prop::collection::vec((token(), header_value()), 0..6),
        // Bodies may contain text that looks like a request head.
        prop::collection::vec(prop_oneof![any::<u8>(), Just(b'\n'), Just(b'\r')], 0..80).prop_map(|mut b| {
            b.extend_from_slice(b"GET /fake HTTP/1.1\r\n\r\n");
            b
        }),
        prop::option::of(prop::collection::vec(1usize..20, 1..6)),
    )
        .prop_map(|(method, target, headers, body, chunks)| Req {
            method: method.to_string(),
            target,
            headers: headers
                .into_iter()
                .filter(|(n, _)| {
                    !["content-length", "transfer-encoding", "upgrade"]
                        .contains(&n.to_ascii_lowercase().as_str())
                })
                .collect(),
            body,
            chunks,
        })
}

impl Req {
    /// The head the framer must report, and the bytes on the wire.
    fn wire(&self) -> (RawHead, Vec<u8>) {
        let mut headers = HeaderList::from_pairs(self.headers.iter().cloned());
        match &self.chunks {
            None => headers.push("Content-Length", self.body.len().to_string()),
            Some(_) => headers.push("Transfer-Encoding", "chunked"),
        }
        let mut w = format!("{} {} HTTP/1.1\r\n", self.method, self.target).into_bytes();
        for h in &headers {
            w.extend_from_slice(h.name.as_bytes());
            w.extend_from_slice(b": ");
            w.extend_from_slice(&h.value);
            w.extend_from_slice(b"\r\n");
        }
        w.extend_from_slice(b"\r\n");
        match &self.chunks {
            None => w.extend_from_slice(&self.body),
            Some(sizes) => {
                let mut rest: &[u8] = &self.body;
                let mut sizes = sizes.iter().cycle();
                while !rest.is_empty() {
                    let n = (*sizes.next().unwrap()).min(rest.len());
                    w.extend_from_slice(format!("{n:x};ext=1\r\n").as_bytes());
                    w.extend_from_slice(&rest[..n]);
                    w.extend_from_slice(b"\r\n");
                    rest = &rest[n..];
                }
                w.extend_from_slice(b"0\r\nX-Trailer: t\r\n\r\n");
            }
        }
        let head = RawHead {
            method: self.method.clone(),
            target: self.target.clone(),
            headers,
        };
        (head, w)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn framer_reports_every_pipelined_head_exactly_however_the_bytes_are_split(
        reqs in prop::collection::vec(request(), 1..4),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let mut expected = Vec::new();
        let mut wire = Vec::new();
        for r in &reqs {
            let (head, bytes) = r.wire();
            expected.push(head);
            wire.extend_from_slice(&bytes);
        }
        prop_assert_eq!(feed_split(&wire, &[]), expected.clone());
        prop_assert_eq!(feed_split(&wire, &cuts), expected);
    }

    #[test]
    fn framer_never_panics_and_split_points_never_matter(
        input in prop::collection::vec(any::<u8>(), 0..600),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        prop_assert_eq!(feed_split(&input, &cuts), feed_split(&input, &[]));
    }

    #[test]
    fn framer_on_http_like_noise(
        pieces in prop::collection::vec(prop::sample::select(vec![
            &b"POST / HTTP/1.1\r\n"[..], b"\r\n", b"\n", b"Content-Length: 3\r\n", b"Content-Length: x\r\n",
            b"Transfer-Encoding: chunked\r\n", b"Transfer-Encoding: gzip\r\n", b"3\r\nabc\r\n", b"0\r\n\r\n",
            b"ffffffffffffffffffff\r\n", b"Upgrade: h2c\r\n", b"X: \xff\r\n", b"abc", b" ", b":",
        ]), 0..30),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let input: Vec<u8> = pieces.concat();
        prop_assert_eq!(feed_split(&input, &cuts), feed_split(&input, &[]));
    }
}

// ---- capture JSON and the stored header block ---------------------------------------------------

/// Header values as HTTP can carry them: any byte but CR and LF (obs-text and invalid UTF-8 included).
fn raw_headers() -> impl Strategy<Value = HeaderList> {
    let value = prop::collection::vec(
        any::<u8>().prop_filter("no CR/LF", |b| *b != b'\r' && *b != b'\n'),
        0..16,
    );
    prop::collection::vec((token(), value), 0..6).prop_map(HeaderList::from_pairs)
}

fn capture() -> impl Strategy<Value = Capture> {
    (
        (
            0i64..4_000_000_000_000_000,
            prop::sample::select(vec!["GET", "POST", "PATCH", "X-Odd"]),
            "/[a-zA-Z0-9/%._-]{0,20}",
            prop::option::of("[a-zA-Z0-9=&%+._-]{0,20}"),
            prop::sample::select(vec!["HTTP/1.0", "HTTP/1.1", "HTTP/2.0"]),
            prop::option::of("127\\.0\\.0\\.1:[0-9]{1,5}"),
        ),
        (
            raw_headers(),
            prop::collection::vec(any::<u8>(), 0..64),
            any::<bool>(),
            prop::option::of(any::<u64>()),
            prop::option::of((
                100u16..600,
                prop::collection::vec((token(), "[ -~]{0,12}"), 0..3),
                prop::collection::vec(any::<u8>(), 0..32),
                0u64..10_000,
            )),
            any::<bool>(),
            0u64..1_000_000,
        ),
    )
        .prop_map(
            |(
                (at, method, path, query, version, remote),
                (headers, body, oversized, declared_len, response, imported, extra),
            )| Capture {
                id: CaptureId(0),
                received_at_us: at,
                method: method.to_string(),
                path,
                query,
                http_version: version.to_string(),
                remote_addr: remote,
                headers,
                body_len: body.len() as u64 + if oversized { extra } else { 0 },
                body,
                declared_len,
                oversized,
                response: response.map(|(status, headers, body, delay_ms)| ResponseSent {
                    status,
                    headers: HeaderList::from_pairs(headers),
                    body,
                    delay_ms,
                }),
                origin: if imported { Origin::Imported } else { Origin::Live },
                ..Capture::default()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn capture_json_round_trips_every_byte(c in capture()) {
        let text = serde_json::to_string(&CaptureJson::from_capture(&c)).unwrap();
        let back: CaptureJson = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(back.to_capture().unwrap(), c);
    }

    #[test]
    fn capture_json_from_arbitrary_json_never_panics(
        fields in prop::collection::vec((
            prop::sample::select(vec![
                "method", "path", "received_at", "headers", "header_bytes_base64", "body_base64",
                "body_text", "oversized", "body_len", "response", "status", "origin", "declared_len",
            ]),
            prop_oneof![
                Just(serde_json::json!(null)),
                Just(serde_json::json!("POST")),
                Just(serde_json::json!("2026-01-01T00:00:00Z")),
                Just(serde_json::json!("@@not base64")),
                Just(serde_json::json!("aGk=")),
                Just(serde_json::json!(-1)),
                Just(serde_json::json!(u64::MAX)),
                Just(serde_json::json!([[0, "aGk="], [99, "aGk="]])),
                Just(serde_json::json!([["A", "b"], ["C"]])),
                Just(serde_json::json!({"status": 200, "headers": [], "body_base64": "!"})),
                Just(serde_json::json!(true)),
            ],
        ), 0..8),
    ) {
        let obj: serde_json::Map<String, serde_json::Value> =
            fields.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        let text = serde_json::Value::Object(obj).to_string();
        if let Ok(j) = serde_json::from_str::<CaptureJson>(&text) {
            let _ = j.to_capture();
        }
    }

    #[test]
    fn stored_header_blocks_round_trip_and_garbage_never_panics(
        h in raw_headers(),
        garbage in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        prop_assert_eq!(decode_header_block(&encode_header_block(&h)), h);
        let _ = decode_header_block(&garbage);
    }
}

// ---- CLI argument parsers ------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn header_args_round_trip(name in token(), value in "[!-~]([ -~]{0,20}[!-~])?", pad in "[ \t]{0,3}") {
        let line = format!("{name}:{pad}{value}");
        let (n, v) = hookscope::cli::signature::parse_header(&line).unwrap();
        prop_assert_eq!((n.as_str(), v.as_str()), (name.as_str(), value.as_str()));
        let (n, v) = hookscope::send::parse_header_arg(&line).unwrap();
        prop_assert_eq!((n.as_str(), v.as_str()), (name.as_str(), value.as_str()));
    }

    #[test]
    fn header_args_never_panic(s in "\\PC{0,40}", ctl in "[\\x00-\\x1f]{0,2}") {
        let line = format!("{s}{ctl}");
        let verify = hookscope::cli::signature::parse_header(&line);
        let replay = hookscope::send::parse_header_arg(&line);
        if !line.contains(':') {
            prop_assert!(verify.is_err() && replay.is_err());
        }
        if let Ok((name, _)) = verify {
            prop_assert!(!name.is_empty() && !name.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control()));
        }
    }

    #[test]
    fn set_args_never_panic_and_apply_or_refuse(s in "[a-z0-9.\\[\\]=\"{}:, -]{0,40}") {
        if let Ok((path, raw)) = hookscope::events::parse_set_arg(&s) {
            let mut body = serde_json::json!({"data": {"items": [1, 2]}, "test": true});
            let _ = hookscope::events::apply_set(&mut body, &path, &raw);
        }
    }
}
