//! Import/export of captures: HAR, NDJSON, curl and raw HTTP, seen from outside the crate.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // tests: a panic is a failed test

use hookscope::capture::{Capture, CaptureId, CaptureJson, HeaderList, Origin, ResponseSent};
use hookscope::interchange::{
    CurlCommand, Format, ImportError, detect_format, export_har, export_ndjson, import, import_as,
    parse_curl, parse_raw_http, parse_raw_http_many, read_har, read_ndjson, shell_quote, shell_quote_bytes,
    to_curl, to_raw_http,
};
use proptest::prelude::*;

const BASE: &str = "http://127.0.0.1:8787";

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}"
}

fn header_value() -> impl Strategy<Value = String> {
    "[ -~]{0,40}".prop_map(|v| v.trim_matches(' ').to_owned())
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((token().prop_map(|t| format!("X-{t}")), header_value()), 0..6)
}

fn capture() -> impl Strategy<Value = Capture> {
    (
        token(),
        "/[A-Za-z0-9._~%/!$&'()*+,;=:@-]{0,30}",
        prop::option::of("[A-Za-z0-9=&%._~+/?-]{0,30}"),
        headers(),
        prop::collection::vec(any::<u8>(), 0..300),
        0i64..4_000_000_000_000_000,
    )
        .prop_map(|(method, path, query, headers, body, received_at_us)| Capture {
            id: CaptureId(7),
            received_at_us,
            method,
            path,
            query,
            http_version: "HTTP/1.1".into(),
            headers: HeaderList::from_pairs(headers),
            body_len: body.len() as u64,
            body,
            ..Capture::default()
        })
}

fn with_host(c: &Capture) -> HeaderList {
    let mut h = HeaderList::from_pairs([("Host", "127.0.0.1:8787")]);
    h.0.extend(c.headers.iter().cloned());
    h
}

// ---- round trips --------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn curl_round_trip_is_byte_exact(c in capture()) {
        let cmd = to_curl(&c, BASE);
        if c.body.contains(&0) {
            prop_assert_eq!(cmd.body_file.as_deref(), Some(c.body.as_slice()));
        } else {
            prop_assert_eq!(&cmd.body_file, &None);
            let back = parse_curl(&cmd.command).map_err(|e| TestCaseError::fail(format!("{e}\n{}", cmd.command)))?;
            prop_assert_eq!(&back.method, &c.method);
            prop_assert_eq!(back.target(), c.target());
            prop_assert_eq!(back.headers, with_host(&c));
            prop_assert_eq!(back.body, c.body);
        }
    }

    #[test]
    fn raw_http_round_trip_is_byte_exact(c in capture()) {
        let mut c = c;
        c.headers.push("Content-Length", c.body.len().to_string());
        let raw = to_raw_http(&c);
        let back = parse_raw_http(&raw).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back.method, &c.method);
        prop_assert_eq!(back.target(), c.target());
        prop_assert_eq!(&back.headers, &c.headers);
        prop_assert_eq!(&back.body, &c.body);
        prop_assert_eq!(back.declared_len, Some(c.body.len() as u64));

        let mut two = raw.clone();
        two.extend_from_slice(&raw);
        let both = parse_raw_http_many(&two).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(both.len(), 2);
        prop_assert_eq!(&both[1].body, &c.body);
    }

    #[test]
    fn chunked_raw_http_round_trip(c in capture()) {
        let mut c = c;
        c.headers.push("Transfer-Encoding", "chunked");
        let back = parse_raw_http(&to_raw_http(&c)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back.body, c.body);
        prop_assert_eq!(back.headers, c.headers);
    }

    #[test]
    fn har_round_trip_keeps_request(cs in prop::collection::vec(capture(), 0..4)) {
        let har = export_har(&cs);
        let back = read_har(har.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back.len(), cs.len());
        for (b, c) in back.iter().zip(&cs) {
            prop_assert_eq!(&b.method, &c.method);
            prop_assert_eq!(&b.path, &c.path);
            prop_assert_eq!(&b.query, &c.query);
            prop_assert_eq!(&b.headers, &c.headers);
            prop_assert_eq!(&b.body, &c.body);
            prop_assert_eq!(b.received_at_us, c.received_at_us);
            prop_assert_eq!(b.origin, Origin::Imported);
        }
    }

    #[test]
    fn ndjson_round_trip(cs in prop::collection::vec(capture(), 0..4)) {
        let items: Vec<CaptureJson> = cs.iter().map(CaptureJson::from_capture).collect();
        let back = read_ndjson(export_ndjson(&items).as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let expected: Vec<Capture> =
            cs.iter().map(|c| Capture { id: CaptureId(0), origin: Origin::Imported, ..c.clone() }).collect();
        prop_assert_eq!(back, expected);
    }

    #[test]
    fn quoted_text_reads_back(s in "\\PC{0,40}", ctl in "[\\x01-\\x1f\\x7f]{0,3}") {
        let value = format!("{s}{ctl}{s}");
        let cmd = format!("curl -H {} {}", shell_quote(&format!("X-A: {value}")), shell_quote("http://h/"));
        let c = parse_curl(&cmd).map_err(|e| TestCaseError::fail(format!("{e}\n{cmd}")))?;
        prop_assert_eq!(c.headers.get("x-a").unwrap_or_default(), value.trim_matches([' ', '\t']));
    }
}

// ---- never panic -------------------------------------------------------------------------------

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let keys = prop::sample::select(vec![
        "log",
        "entries",
        "request",
        "response",
        "method",
        "url",
        "headers",
        "name",
        "value",
        "postData",
        "text",
        "encoding",
        "params",
        "status",
        "content",
        "_hookscope",
        "target",
        "startedDateTime",
        "oversized",
        "bodySize",
        "remote_addr",
        "response_delay_ms",
        "httpVersion",
    ]);
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        prop::sample::select(vec![
            "GET",
            "base64",
            "/a?b",
            "http://h/x",
            "%%",
            "AAAA",
            "2026-01-01T00:00:00Z",
            ":p",
            ""
        ])
        .prop_map(serde_json::Value::from),
        "\\PC{0,8}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..6).prop_map(|kv| serde_json::Value::Object(
                kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = import(&input);
        let _ = detect_format(&input);
        let _ = parse_raw_http(&input);
        let _ = parse_raw_http_many(&input);
        let _ = read_har(&input);
        let _ = read_ndjson(&input);
        let _ = parse_curl(&String::from_utf8_lossy(&input));
        for f in [Format::Har, Format::Ndjson, Format::Curl, Format::RawHttp] {
            let _ = import_as(f, &input);
        }
    }

    #[test]
    fn shell_like_text_never_panics(s in "[-a-zA-Z0-9 '\"\\\\$\\n\\t\\r<>|;&@=:#{}xuUc!]{0,120}") {
        let _ = parse_curl(&format!("curl {s}"));
        let _ = parse_curl(&format!("curl -d @- http://h <<{s}"));
        let _ = import(format!("$ curl {s}").as_bytes());
    }

    #[test]
    fn http_like_text_never_panics(tail in prop::collection::vec(prop::sample::select(vec![
        &b"\r\n"[..], b"\n", b" ", b"\t", b":", b"X-A", b"Content-Length: 3", b"Content-Length: 99999999999999999999",
        b"Transfer-Encoding: chunked", b"0", b"5", b"ffffffffffffffffff", b";x", b"abc", b"GET / HTTP/1.1", b"\xff",
    ]), 0..24)) {
        let mut input = b"POST /x HTTP/1.1\r\n".to_vec();
        for piece in tail {
            input.extend_from_slice(piece);
        }
        let _ = parse_raw_http(&input);
        let _ = parse_raw_http_many(&input);
        let _ = import(&input);
    }

    #[test]
    fn har_shaped_json_never_panics(v in json_value(), entries in prop::collection::vec(json_value(), 0..3)) {
        let _ = read_har(v.to_string().as_bytes());
        let doc = serde_json::json!({ "log": { "entries": entries } });
        let _ = read_har(doc.to_string().as_bytes());
        let _ = import(doc.to_string().as_bytes());
    }
}

#[test]
fn deeply_nested_json_is_an_error_not_a_crash() {
    let deep = format!("{{\"log\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(matches!(read_har(deep.as_bytes()), Err(ImportError::Har { .. })));
    let deep_line = format!("{{\"method\":{}", "[".repeat(100_000));
    assert!(matches!(
        read_ndjson(deep_line.as_bytes()),
        Err(ImportError::Ndjson { line: 1, .. })
    ));
}

#[test]
fn control_characters_a_request_cannot_carry_are_refused_by_every_importer() {
    let har = |url: &str, headers: &str, version: &str| {
        format!(
            r#"{{"log":{{"entries":[{{"request":{{"method":"POST","url":{url},"httpVersion":{version},"headers":{headers}}}}}]}}}}"#
        )
    };
    let cases = [
        (har(r#""http://ex.com/a\r\nX: y""#, "[]", r#""HTTP/1.1""#), "path"),
        (
            har(
                r#""http://ex.com/a""#,
                r#"[{"name":"X","value":"a\u0000b"}]"#,
                r#""HTTP/1.1""#,
            ),
            "control character",
        ),
        (
            har(
                r#""http://ex.com/a""#,
                r#"[{"name":"X","value":"a\u001b[2Jb"}]"#,
                r#""HTTP/1.1""#,
            ),
            "control character",
        ),
        (
            har(r#""http://ex.com/a""#, "[]", r#""FOO/9\r\n""#),
            "http_version",
        ),
        ("curl $'http://ex.com/a\\r\\nb'".to_string(), "path"),
        (
            "curl http://ex.com/ -H $'X: a\\x1bb'".to_string(),
            "control character",
        ),
        ("POST /a\x1bb HTTP/1.1\r\nHost: x\r\n\r\n".to_string(), "path"),
        (
            "POST /a HTTP/1.1\r\nX: a\x00b\r\n\r\n".to_string(),
            "control character",
        ),
    ];
    for (input, says) in cases {
        let e = import(input.as_bytes()).expect_err(&input).to_string();
        assert!(e.contains(says), "{input:?}: {e}");
    }
    // Tabs are allowed in header values, as HTTP allows them.
    let ok = import(
        har(
            r#""http://ex.com/a""#,
            r#"[{"name":"X","value":"a\tb"}]"#,
            r#""HTTP/1.1""#,
        )
        .as_bytes(),
    );
    assert_eq!(ok.unwrap()[0].headers.get("x"), Some("a\tb"));
}

// ---- bash agrees with the generated commands ----------------------------------------------------

/// Run `command` in bash with `curl` replaced by a function printing its arguments, NUL-separated.
fn bash_args(command: &str) -> Option<Vec<Vec<u8>>> {
    let script = format!("curl() {{ for a in \"$@\"; do printf '%s\\0' \"$a\"; done; }}\n{command}\n");
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(script)
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "bash failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut args: Vec<Vec<u8>> = out.stdout.split(|&b| b == 0).map(<[u8]>::to_vec).collect();
    args.pop();
    Some(args)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn bash_receives_the_exact_bytes(c in capture()) {
        prop_assume!(!c.body.contains(&0));
        let CurlCommand { command, .. } = to_curl(&c, BASE);
        let Some(args) = bash_args(&command) else { return Ok(()) };
        prop_assert_eq!(&args[0], b"-X");
        prop_assert_eq!(&args[1], c.method.as_bytes());
        let url = format!("{BASE}{}", c.target());
        prop_assert_eq!(&args[2], url.as_bytes());
        let mut expected_headers: Vec<Vec<u8>> = c
            .headers
            .iter()
            .map(|h| if h.value.is_empty() { format!("{};", h.name).into_bytes() } else { [h.name.as_bytes(), b": ", &h.value].concat() })
            .collect();
        // curl's own defaults are switched off (the generated captures have neither).
        expected_headers.push(b"User-Agent:".to_vec());
        expected_headers.push(b"Accept:".to_vec());
        if !c.body.is_empty() {
            expected_headers.push(b"Content-Type:".to_vec());
        }
        let header_args: Vec<Vec<u8>> = args[3..].chunks(2).filter(|p| p[0] == b"-H").map(|p| p[1].clone()).collect();
        prop_assert_eq!(header_args, expected_headers);
        if c.body.is_empty() {
            prop_assert_eq!(args.len(), 3 + 2 * (c.headers.len() + 2));
        } else {
            prop_assert_eq!(args.last(), Some(&c.body));
        }
    }
}

#[test]
fn bash_agrees_on_awkward_bodies() {
    let bodies: [&[u8]; 3] = [
        b"it's \"x\" $HOME `id` \\ !! \n\r\t\x1b",
        &[0xff, 0x80, b'\'', b'9', 0x7f],
        "\u{85}\u{2028}\u{e9}".as_bytes(),
    ];
    for body in bodies {
        let quoted = shell_quote_bytes(body);
        if let Some(args) = bash_args(&format!("curl {quoted}")) {
            assert_eq!(args, vec![body.to_vec()], "{quoted}");
        }
    }
}

// ---- realistic pastes through `import` ----------------------------------------------------------

#[test]
fn import_detects_and_reads_each_paste() {
    let raw = "POST /smtm/webhook HTTP/1.1\nHost: hooks.example.com\nUser-Agent: SmartMaintenance/1.0\nContent-Type: application/json\nX-SMTM-Event: task.assigned\nX-SMTM-Delivery: 0d7e6c1a-7f38-4c8e-9d7b-1f2e3a4b5c6d\nX-SMTM-Signature: sha256=4f1c0b2a\nContent-Length: 17\n\n{\"event\":\"task\"}\n";
    let cs = import(raw.as_bytes()).unwrap();
    assert_eq!(cs[0].body, b"{\"event\":\"task\"}\n");
    assert_eq!(
        cs[0].headers.get("X-SMTM-Delivery"),
        Some("0d7e6c1a-7f38-4c8e-9d7b-1f2e3a4b5c6d")
    );

    let curl = "curl -X POST https://hooks.example.com/smtm/webhook \\\n  -H 'Content-Type: application/json' \\\n  -H 'X-SMTM-Signature: sha256=4f1c0b2a' \\\n  --data-binary '{\"event\":\"task\"}'";
    let cs = import(curl.as_bytes()).unwrap();
    assert_eq!(cs[0].headers.get("host"), Some("hooks.example.com"));
    assert_eq!(cs[0].origin, Origin::Imported);

    let c = Capture {
        response: Some(ResponseSent::default_ok()),
        ..cs[0].clone()
    };
    let har = export_har(std::slice::from_ref(&c));
    assert_eq!(detect_format(har.as_bytes()), Some(Format::Har));
    assert_eq!(import(har.as_bytes()).unwrap()[0].body, c.body);

    let nd = export_ndjson(&[CaptureJson::from_capture(&c), CaptureJson::from_capture(&c)]);
    assert_eq!(detect_format(nd.as_bytes()), Some(Format::Ndjson));
    assert_eq!(import(nd.as_bytes()).unwrap().len(), 2);
}

const CHROME: &str = r#"{
  "log": {
"version": "1.2",
"creator": { "name": "WebInspector", "version": "537.36" },
"pages": [],
"entries": [
  {
    "_initiator": { "type": "script" },
    "_priority": "High",
    "_resourceType": "fetch",
    "cache": {},
    "connection": "443",
    "request": {
      "method": "POST",
      "url": "https://api.example.com/v1/hooks?source=dashboard&page=2#top",
      "httpVersion": "http/2.0",
      "headers": [
        { "name": ":authority", "value": "api.example.com" },
        { "name": ":method", "value": "POST" },
        { "name": ":path", "value": "/v1/hooks?source=dashboard&page=2" },
        { "name": ":scheme", "value": "https" },
        { "name": "accept", "value": "application/json" },
        { "name": "content-type", "value": "application/json" },
        { "name": "cookie", "value": "sid=abc" }
      ],
      "queryString": [
        { "name": "source", "value": "dashboard" },
        { "name": "page", "value": "2" }
      ],
      "cookies": [ { "name": "sid", "value": "abc", "path": "/", "domain": ".example.com", "expires": "2027-01-01T00:00:00.000Z", "httpOnly": true, "secure": true } ],
      "headersSize": -1,
      "bodySize": 24,
      "postData": { "mimeType": "application/json", "text": "{\"event\":\"ping\",\"n\":1}\n" }
    },
    "response": {
      "status": 202,
      "statusText": "",
      "httpVersion": "http/2.0",
      "headers": [ { "name": "content-type", "value": "application/json" } ],
      "cookies": [],
      "content": { "size": 11, "mimeType": "application/json", "text": "{\"ok\":true}" },
      "redirectURL": "",
      "headersSize": -1,
      "bodySize": -1,
      "_transferSize": 120,
      "_error": null
    },
    "serverIPAddress": "203.0.113.7",
    "startedDateTime": "2026-04-24T09:15:30.123+07:00",
    "time": 87.5,
    "timings": { "blocked": 1.2, "dns": -1, "ssl": -1, "connect": -1, "send": 0.1, "wait": 80.0, "receive": 6.2, "_blocked_queueing": 0.9 }
  },
  {
    "startedDateTime": "2026-04-24T02:15:31Z",
    "time": 5,
    "request": {
      "method": "POST", "url": "https://api.example.com/form", "httpVersion": "HTTP/1.1",
      "headers": [], "queryString": [], "cookies": [], "headersSize": -1, "bodySize": -1,
      "postData": { "mimeType": "application/x-www-form-urlencoded", "params": [ { "name": "a b", "value": "c&d" }, { "name": "e" } ] }
    },
    "response": { "status": 0, "statusText": "", "httpVersion": "", "headers": [], "cookies": [], "content": { "size": 0, "mimeType": "x-unknown" }, "redirectURL": "", "headersSize": -1, "bodySize": -1, "_error": "net::ERR_FAILED" },
    "cache": {}, "timings": { "send": 0, "wait": 0, "receive": 0 }
  }
]
  }
}"#;

#[test]
fn reads_a_chrome_export() {
    let cs = read_har(CHROME.as_bytes()).unwrap();
    assert_eq!(cs.len(), 2);
    let c = &cs[0];
    assert_eq!((c.method.as_str(), c.path.as_str()), ("POST", "/v1/hooks"));
    assert_eq!(c.query.as_deref(), Some("source=dashboard&page=2"));
    assert_eq!(c.http_version, "HTTP/2.0");
    let names: Vec<_> = c.headers.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(
        names,
        ["accept", "content-type", "cookie"],
        "pseudo-headers dropped, no Host invented"
    );
    assert_eq!(c.body, b"{\"event\":\"ping\",\"n\":1}\n");
    assert_eq!(
        c.received_at_us,
        hookscope::capture::parse_rfc3339_us("2026-04-24T02:15:30.123Z").unwrap()
    );
    let r = c.response.as_ref().unwrap();
    assert_eq!((r.status, r.body.as_slice()), (202, &b"{\"ok\":true}"[..]));
    assert_eq!(cs[1].body, b"a+b=c%26d&e=");
    assert_eq!(cs[1].response, None);
}

#[test]
fn oversized_captures_keep_their_full_size() {
    let c = Capture {
        method: "POST".into(),
        path: "/big".into(),
        body: b"first bytes".to_vec(),
        body_len: 30_000_000,
        oversized: true,
        origin: Origin::Imported,
        response: Some(ResponseSent {
            status: 413,
            ..ResponseSent::default()
        }),
        ..Capture::default()
    };
    let har = export_har(std::slice::from_ref(&c));
    let v: serde_json::Value = serde_json::from_str(&har).unwrap();
    assert_eq!(v["log"]["entries"][0]["request"]["bodySize"], 30_000_000);
    assert_eq!(
        v["log"]["entries"][0]["response"]["statusText"],
        "Content Too Large"
    );
    assert_eq!(v["log"]["entries"][0]["_hookscope"]["origin"], "imported");
    let back = &read_har(har.as_bytes()).unwrap()[0];
    assert!(back.oversized);
    assert_eq!(
        (back.body.as_slice(), back.body_len),
        (&b"first bytes"[..], 30_000_000)
    );
    assert_eq!(back.response.as_ref().map(|r| r.status), Some(413));
}

#[test]
fn bad_input_imports_nothing_and_says_where() {
    let c = Capture {
        method: "GET".into(),
        path: "/".into(),
        ..Capture::default()
    };
    let good = serde_json::to_string(&CaptureJson::from_capture(&c)).unwrap();
    let nd = format!("{good}\n{good}\n{{\"method\":\"GET\",\n{good}\n");
    assert_eq!(
        import(nd.as_bytes()).unwrap_err().to_string(),
        "NDJSON line 3: invalid JSON at column 16: EOF while parsing a value"
    );

    let har = r#"{"log":{"entries":[{"request":{"method":"GET","url":"/","headers":[{"name":"A","value":["x"]}]}}]}}"#;
    assert_eq!(
        import(har.as_bytes()).unwrap_err().to_string(),
        "HAR log.entries[0].request.headers[0].value: expected a string, found an array"
    );
    let raw = "GET / HTTP/1.1\nHost: x\n\nPOST /x HTTP/1.1\nContent-Length: 10\n\nshort";
    assert_eq!(
        import(raw.as_bytes()).unwrap_err().to_string(),
        "raw HTTP line 7: Content-Length says 10 bytes but 5 follow"
    );
    assert_eq!(
        import(b"curl --nope http://h").unwrap_err().to_string(),
        "curl command line 1: unknown option --nope"
    );
}
