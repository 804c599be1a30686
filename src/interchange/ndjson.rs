//! NDJSON: one capture JSON object ([`CaptureJson`]) per line, as `list --json`, `listen --json`
//! and exports write it. The body travels as `body_base64` (and `body_text` when it is UTF-8), so
//! reading it back gives the same bytes; header values are text (invalid UTF-8 bytes in a header
//! value become U+FFFD in the JSON, a limit of the capture JSON).

use super::ImportError;
use crate::capture::{Capture, CaptureId, CaptureJson, Origin};

/// One compact JSON object per line, each line ending in `\n`.
pub fn export_ndjson(items: &[CaptureJson]) -> String {
    let mut out = String::new();
    for item in items {
        // Serializing these plain structs cannot fail (string keys, no maps with other keys).
        if let Ok(line) = serde_json::to_string(item) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

/// Read capture JSON lines. Blank lines are skipped; `\r\n` line ends are accepted. Every capture
/// comes back with `origin = Imported` and `id = 0`.
pub fn read_ndjson(input: &[u8]) -> Result<Vec<Capture>, ImportError> {
    let input = super::strip_bom(input);
    let mut captures = Vec::new();
    for (index, raw_line) in input.split(|&b| b == b'\n').enumerate() {
        let line_no = index + 1;
        if raw_line.trim_ascii().is_empty() {
            continue;
        }
        let err = |message: String| ImportError::Ndjson {
            line: line_no,
            message,
        };
        let mut de = serde_json::Deserializer::from_slice(raw_line);
        let item: CaptureJson = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let message = describe(e.inner());
            err(if path == "." || message.starts_with("invalid JSON") {
                message
            } else {
                format!("{path}: {message}")
            })
        })?;
        de.end().map_err(|e| err(describe(&e)))?;
        let mut c = item.to_capture().map_err(|e| err(e.to_string()))?;
        super::check_capture(&c).map_err(err)?;
        c.id = CaptureId(0);
        c.origin = Origin::Imported;
        captures.push(c);
    }
    Ok(captures)
}

/// `invalid JSON at column 17: expected ...` for syntax errors, the bare message for a field that
/// is missing or has the wrong type (its name is in it).
fn describe(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full);
    match e.classify() {
        serde_json::error::Category::Data => plain_expectation(message),
        _ => format!("invalid JSON at column {}: {message}", e.column()),
    }
}

/// serde's names for what it expected, in the words of the capture JSON: an object, a
/// `[name, value]` pair.
fn plain_expectation(message: &str) -> String {
    let mut out = message.replace("a tuple of size 2", "a [name, value] pair");
    if let Some(at) = out.find("expected struct ") {
        out.replace_range(at.., "expected an object");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{HeaderList, ResponseSent};

    fn sample(i: u8) -> Capture {
        Capture {
            id: CaptureId(i64::from(i) + 1),
            received_at_us: 1_760_000_000_000_000 + i64::from(i),
            method: "POST".into(),
            path: format!("/hook/{i}"),
            query: i.is_multiple_of(2).then(|| "x=1".to_string()),
            http_version: "HTTP/1.1".into(),
            remote_addr: Some("127.0.0.1:9".into()),
            headers: HeaderList::from_pairs([("B", "1"), ("a", "2"), ("B", "3")]),
            body: vec![i, 0xff, b'\n', 0],
            body_len: 4,
            response: Some(ResponseSent::default_ok()),
            ..Capture::default()
        }
    }

    #[test]
    fn round_trip_keeps_everything_but_id_and_origin() {
        let captures: Vec<Capture> = (0..3).map(sample).collect();
        let items: Vec<CaptureJson> = captures.iter().map(CaptureJson::from_capture).collect();
        let text = export_ndjson(&items);
        assert_eq!(text.lines().count(), 3);
        assert!(text.ends_with('\n'));
        assert!(!text.trim_end().contains("\n\n"));
        let back = read_ndjson(format!("\n{}\r\n\n", text.replace('\n', "\r\n")).as_bytes()).unwrap();
        assert_eq!(back.len(), 3);
        for (b, c) in back.iter().zip(&captures) {
            let expected = Capture {
                id: CaptureId(0),
                origin: Origin::Imported,
                ..c.clone()
            };
            assert_eq!(b, &expected);
        }
    }

    #[test]
    fn errors_name_the_line() {
        let good = serde_json::to_string(&CaptureJson::from_capture(&sample(1))).unwrap();
        let input = format!("{good}\n\n  {{\"method\": \"GET\", \"received_at\": oops}}\n{good}\n");
        let e = read_ndjson(input.as_bytes()).unwrap_err();
        assert_eq!(
            e,
            ImportError::Ndjson {
                line: 3,
                message: "invalid JSON at column 36: expected value".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "NDJSON line 3: invalid JSON at column 36: expected value"
        );

        let e = read_ndjson(format!("{good}\n{{\"method\": \"GET\"}}").as_bytes()).unwrap_err();
        assert_eq!(e.to_string(), "NDJSON line 2: missing field `received_at`");

        let bad_b64 = good.replace("\"body_base64\":\"", "\"body_base64\":\"@@");
        let e = read_ndjson(bad_b64.as_bytes()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "NDJSON line 1: field `body_base64` is not valid base64"
        );

        let bad_type = good.replace("\"method\":\"POST\"", "\"method\":7");
        let e = read_ndjson(bad_type.as_bytes()).unwrap_err().to_string();
        assert!(
            e.starts_with("NDJSON line 1: method: invalid type: integer `7`, expected a string"),
            "{e}"
        );

        let bad_header = good.replace("[\"B\",\"1\"]", "\"A\"");
        let e = read_ndjson(bad_header.as_bytes()).unwrap_err().to_string();
        assert_eq!(
            e,
            "NDJSON line 1: headers[0]: invalid type: string \"A\", expected a [name, value] pair"
        );
        let bad_response = good.replace("\"response\":{", "\"response\":5,\"x\":{");
        let e = read_ndjson(bad_response.as_bytes()).unwrap_err().to_string();
        assert_eq!(
            e,
            "NDJSON line 1: response: invalid type: integer `5`, expected an object"
        );
    }

    #[test]
    fn what_a_live_capture_cannot_hold_is_refused_so_exports_read_back() {
        let good = serde_json::to_string(&CaptureJson::from_capture(&sample(1))).unwrap();
        let cases = [
            (
                good.replace("\"method\":\"POST\"", "\"method\":\"::::\""),
                "method: \"::::\" is not an HTTP method",
            ),
            (
                good.replace("[\"B\",\"1\"]", "[\"\\u0000\",\"1\"]"),
                "is not a valid header name",
            ),
            (
                good.replace("[\"a\",\"2\"]", "[\"c{{{\",\"2\"]"),
                "headers: \"c{{{\" (header 2)",
            ),
            (
                good.replace(
                    "\"method\":\"POST\"",
                    &format!("\"method\":\"{}\"", "::".repeat(500_000)),
                ),
                "(1000000 characters) is not an HTTP method",
            ),
        ];
        for (line, needle) in cases {
            let e = read_ndjson(line.as_bytes()).unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
            assert!(e.len() < 200, "{e}");
        }
        let crlf = good.replace("\"path\":\"/hook/1\"", "\"path\":\"/a\\r\\nX: 1\"");
        assert!(
            read_ndjson(crlf.as_bytes())
                .unwrap_err()
                .to_string()
                .contains("path: \"/a\\r\\nX: 1\" holds"),
            "a line break in the path is refused"
        );
        let pseudo = good.replace("[\"a\",\"2\"]", "[\":authority\",\"example\"]");
        assert_eq!(
            read_ndjson(pseudo.as_bytes()).unwrap()[0]
                .headers
                .get(":authority"),
            Some("example")
        );
        // What is accepted goes out as HAR and reads back.
        let back = read_ndjson(good.as_bytes()).unwrap();
        let har = super::super::har::export_har(&back);
        assert_eq!(super::super::har::read_har(har.as_bytes()).unwrap().len(), 1);
    }

    #[test]
    fn body_text_alone_is_accepted() {
        let line = r#"{"received_at":"2026-04-24T09:15:30+07:00","method":"POST","path":"/h","headers":[["Content-Type","application/json"]],"body_text":"{\"a\":1}"}"#;
        let cs = read_ndjson(line.as_bytes()).unwrap();
        assert_eq!(cs[0].body, br#"{"a":1}"#);
        assert_eq!(cs[0].http_version, "HTTP/1.1");
        assert_eq!(cs[0].origin, Origin::Imported);
    }
}
