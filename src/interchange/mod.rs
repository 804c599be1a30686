//! Import and export of captured requests: HAR 1.2, NDJSON, curl command lines and raw HTTP/1.1 text.
//!
//! Support engineers paste what a customer saw; [`import`] recognises the format and turns it into
//! captures marked [`Origin::Imported`]. Imports are all-or-nothing: one bad entry, line or header
//! gives an [`ImportError`] naming the line or JSON field, and no capture at all.
//!
//! No I/O happens here: files named by a pasted command (`curl -d @file`) cannot be read and are
//! reported as errors; generated curl commands hand large bodies back as bytes to write next to them.

mod curl_gen;
mod curl_options;
mod curl_parse;
mod har;
mod ndjson;
mod raw_http;
mod shell;

pub use curl_gen::{CurlCommand, INLINE_BODY_LIMIT, to_curl};
pub use curl_parse::parse_curl;
pub use har::{export_har, read_har};
pub use ndjson::{export_ndjson, read_ndjson};
pub use raw_http::{parse_raw_http, parse_raw_http_many, to_raw_http};
pub use shell::{shell_quote, shell_quote_bytes};

use crate::capture::clip::clip_quoted;
use crate::capture::{Capture, CaptureId, HeaderList, Origin, now_us};

/// An interchange format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// HTTP Archive 1.2 (browser dev tools, proxies, hookscope exports).
    Har,
    /// One capture JSON object per line (hookscope's own export and `--json` output).
    Ndjson,
    /// A `curl` command line as printed by docs, dashboards and "copy as cURL".
    Curl,
    /// An HTTP/1.1 request as text, e.g. pasted from a server log.
    RawHttp,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Har => "HAR",
            Format::Ndjson => "NDJSON",
            Format::Curl => "curl command",
            Format::RawHttp => "raw HTTP request",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why an import failed. The message is one line naming the line number or the JSON field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("nothing to import: the input is empty")]
    Empty,
    #[error("unknown format: expected HAR, NDJSON, a curl command or a raw HTTP request")]
    UnknownFormat,
    /// `path` is a JSON field path such as `log.entries[3].request.headers[1].value`; empty when
    /// the file is not JSON at all.
    #[error("HAR{}: {}", har_where(.path), clip_quoted(.message))]
    Har { path: String, message: String },
    #[error("NDJSON line {line}: {}", clip_quoted(.message))]
    Ndjson { line: usize, message: String },
    #[error("curl command line {line}: {}", clip_quoted(.message))]
    Curl { line: usize, message: String },
    #[error("raw HTTP line {line}: {}", clip_quoted(.message))]
    RawHttp { line: usize, message: String },
}

fn har_where(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" {path}")
    }
}

/// Guess the format of `input` without parsing it fully.
///
/// HAR: a JSON object with a `"log"` field. NDJSON: the first line is a JSON object with a
/// `"method"` field. curl: starts with `curl ` (after whitespace and an optional `$ ` prompt).
/// Raw HTTP: the first line is `METHOD target HTTP/x.y`.
pub fn detect_format(input: &[u8]) -> Option<Format> {
    let s = trim_start(strip_bom(input));
    if s.first() == Some(&b'{') {
        if looks_like_har(s) {
            return Some(Format::Har);
        }
        let first_line = s.split(|&b| b == b'\n').next().unwrap_or_default();
        return contains(first_line, b"\"method\"").then_some(Format::Ndjson);
    }
    if is_curl_command(strip_prompt(s)) {
        return Some(Format::Curl);
    }
    let first_line = s.split(|&b| b == b'\n').next().unwrap_or_default();
    raw_http::is_request_line(strip_cr(first_line)).then_some(Format::RawHttp)
}

/// Detect the format and import every request in `input` (a HAR or NDJSON file holds many, a
/// raw HTTP paste may hold several in a row, a curl command one).
pub fn import(input: &[u8]) -> Result<Vec<Capture>, ImportError> {
    if trim_start(strip_bom(input)).is_empty() {
        return Err(ImportError::Empty);
    }
    let format = detect_format(input).ok_or(ImportError::UnknownFormat)?;
    import_as(format, input)
}

/// Import `input` as `format`. Every capture gets `origin = Imported` and `id = CaptureId(0)`.
pub fn import_as(format: Format, input: &[u8]) -> Result<Vec<Capture>, ImportError> {
    let mut captures = match format {
        Format::Har => read_har(input)?,
        Format::Ndjson => read_ndjson(input)?,
        Format::RawHttp => parse_raw_http_many(input)?,
        Format::Curl => {
            let text = std::str::from_utf8(strip_bom(input)).map_err(|e| {
                let line = line_of(input, e.valid_up_to());
                ImportError::Curl {
                    line,
                    message: "the command is not valid UTF-8 text".into(),
                }
            })?;
            vec![parse_curl(text)?]
        }
    };
    for (i, c) in captures.iter_mut().enumerate() {
        check_capture(c).map_err(|message| match format {
            Format::Har => ImportError::Har {
                path: format!("log.entries[{i}].request"),
                message,
            },
            // NDJSON lines are checked as they are read, with their line numbers.
            Format::Ndjson => ImportError::Ndjson { line: i + 1, message },
            Format::Curl => ImportError::Curl { line: 1, message },
            Format::RawHttp => ImportError::RawHttp {
                line: 1,
                message: format!("request {}: {message}", i + 1),
            },
        })?;
        c.id = CaptureId(0);
        c.origin = Origin::Imported;
    }
    Ok(captures)
}

// ---- helpers shared by the formats -------------------------------------------------------------

/// A URL split into its parts. The fragment (`#...`) is dropped, as HTTP clients do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UrlParts<'a> {
    pub scheme: Option<&'a str>,
    pub userinfo: Option<&'a str>,
    /// `host[:port]`, empty for a relative URL such as `/path?x`.
    pub authority: &'a str,
    /// Never empty: `/` when the URL has no path.
    pub path: &'a str,
    pub query: Option<&'a str>,
}

/// Split an absolute URL (`https://user@host:8443/p?q#f`), a scheme-less one (`localhost:3000/p`,
/// taken as `http`, like curl does) or a relative one (`/p?q`).
pub(crate) fn split_url(url: &str) -> UrlParts<'_> {
    let url = url.split('#').next().unwrap_or_default();
    let (scheme, rest) = match url.find("://") {
        Some(i)
            if i > 0
                && url[..i]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) =>
        {
            (Some(&url[..i]), &url[i + 3..])
        }
        _ => (None, url),
    };
    let (authority, target) = if scheme.is_none() && rest.starts_with('/') {
        ("", rest)
    } else {
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        rest.split_at(end)
    };
    let (userinfo, authority) = match authority.rfind('@') {
        Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
        None => (None, authority),
    };
    let (path, query) = split_target(target);
    UrlParts {
        scheme,
        userinfo,
        authority,
        path: if path.is_empty() { "/" } else { path },
        query,
    }
}

/// Split a request target at the first `?` (nothing else is interpreted).
pub(crate) fn split_target(target: &str) -> (&str, Option<&str>) {
    match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    }
}

/// Split a `Name: value` line. The name and the value lose surrounding blanks (space, tab); the
/// value bytes are otherwise kept as they are. `None` when there is no `:`.
pub(crate) fn split_header_line(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = line.iter().position(|&b| b == b':')?;
    Some((trim_blanks(&line[..colon]), trim_blanks(&line[colon + 1..])))
}

/// Is `s` an HTTP token (method or header name)?
pub(crate) fn is_token(s: &[u8]) -> bool {
    !s.is_empty()
        && s.iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// What a live capture can never hold, refused by every importer (an export of the imported
/// capture must read back, and a replay must be able to send it): a method or header name that
/// is not an HTTP token (pseudo-header names such as `:authority` are allowed), a path, query or
/// HTTP version with spaces or control characters, a request header value with a control
/// character other than tab (a line break would end the header early on the wire).
pub(crate) fn check_capture(c: &Capture) -> Result<(), String> {
    if !is_token(c.method.as_bytes()) {
        return Err(format!("method: {} is not an HTTP method", clip(&c.method)));
    }
    let target = [("path", Some(&c.path)), ("query", c.query.as_ref())];
    for (field, text) in target.into_iter().filter_map(|(f, t)| Some((f, t?))) {
        if text.bytes().any(|b| b.is_ascii_control() || b == b' ') {
            return Err(format!(
                "{field}: {} holds spaces or control characters, which a request target cannot",
                clip(text)
            ));
        }
    }
    if c.http_version.bytes().any(|b| b.is_ascii_control() || b == b' ') {
        return Err(format!(
            "http_version: {} holds spaces or control characters",
            clip(&c.http_version)
        ));
    }
    if let Some((i, h)) = c
        .headers
        .iter()
        .enumerate()
        .find(|(_, h)| h.value.iter().any(|&b| b < 0x20 && b != b'\t'))
    {
        return Err(format!(
            "headers: the value of {} (header {}) holds a control character (a line break, NUL or escape), which a header cannot",
            clip(&h.name),
            i + 1
        ));
    }
    let request = c.headers.iter().map(|h| ("headers", h));
    let response = c
        .response
        .iter()
        .flat_map(|r| r.headers.iter().map(|h| ("response.headers", h)));
    for (i, (field, h)) in request.chain(response).enumerate() {
        let name = h.name.strip_prefix(':').unwrap_or(&h.name);
        if !is_token(name.as_bytes()) {
            return Err(format!(
                "{field}: {} (header {}) is not a valid header name",
                clip(&h.name),
                i + 1
            ));
        }
    }
    Ok(())
}

/// A new imported capture: now as arrival time, body length from the body, declared length from
/// the `Content-Length` header when it holds a number.
pub(crate) fn imported_capture(
    method: String,
    path: String,
    query: Option<String>,
    http_version: String,
    headers: HeaderList,
    body: Vec<u8>,
) -> Capture {
    let declared_len = headers.get("content-length").and_then(|v| v.trim().parse().ok());
    Capture {
        id: CaptureId(0),
        received_at_us: now_us(),
        method,
        path,
        query,
        http_version,
        headers,
        body_len: body.len() as u64,
        body,
        declared_len,
        origin: Origin::Imported,
        ..Capture::default()
    }
}

pub(crate) fn trim_blanks(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&c| c != b' ' && c != b'\t').unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|&c| c != b' ' && c != b'\t')
        .map_or(start, |i| i + 1);
    &b[start..end]
}

/// A piece of the input quoted for an error message, cut short when long (an error line never
/// echoes megabytes of bad input back).
pub(crate) fn clip(text: impl AsRef<str>) -> String {
    crate::capture::clip::quote_clipped(text.as_ref())
}

/// A base64 decoding error in words: the offending character and where, not its byte value.
pub(crate) fn describe_base64(e: &base64::DecodeError) -> String {
    use base64::DecodeError as E;
    match *e {
        E::InvalidByte(at, byte) | E::InvalidLastSymbol(at, byte) => {
            let shown = if byte.is_ascii_graphic() {
                format!("'{}'", byte as char)
            } else {
                format!("byte 0x{byte:02x}")
            };
            format!("not valid base64 ({shown} at character {})", at + 1)
        }
        E::InvalidLength(n) => format!("not valid base64 ({n} characters is not a possible length)"),
        E::InvalidPadding => "not valid base64 (wrong `=` padding)".into(),
    }
}

pub(crate) fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)
}

pub(crate) fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// 1-based line number of byte offset `pos`.
pub(crate) fn line_of(input: &[u8], pos: usize) -> usize {
    input[..pos.min(input.len())].split(|&b| b == b'\n').count()
}

fn trim_start(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(b.len());
    &b[start..]
}

/// Drop a shell prompt (`$ `) in front of a pasted command.
pub(crate) fn strip_prompt(s: &[u8]) -> &[u8] {
    match s.strip_prefix(b"$") {
        Some(rest) if rest.first().is_some_and(|&b| b == b' ' || b == b'\t') => trim_start(rest),
        _ => s,
    }
}

fn is_curl_command(s: &[u8]) -> bool {
    s.strip_prefix(b"curl")
        .is_some_and(|rest| rest.first().is_some_and(|b| b" \t\r\n\\".contains(b)))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn looks_like_har(s: &[u8]) -> bool {
    // Fast path: `{"log": ...` as every HAR writer puts it; otherwise any object with "log".
    if trim_start(&s[1..]).starts_with(b"\"log\"") {
        return true;
    }
    // A whole document that parses as one object is HAR when it has "log", or when it is a HAR
    // that lost its "log" wrapper ("entries" or "version"/"creator" at the top): the HAR reader
    // then says what is missing, rather than the NDJSON reader asking for `received_at`.
    matches!(serde_json::from_slice::<serde_json::Value>(s), Ok(serde_json::Value::Object(m))
        if m.contains_key("log")
            || (!m.contains_key("received_at")
                && (m.contains_key("entries") || m.contains_key("creator"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_format() {
        assert_eq!(
            detect_format(b"\xEF\xBB\xBF {\n  \"log\": {}}"),
            Some(Format::Har)
        );
        assert_eq!(detect_format(br#"{"version":"1.2","log":{}}"#), Some(Format::Har));
        let unwrapped = br#"{"version":"1.2","creator":{"name":"x"},"entries":[{"request":{"method":"GET","url":"http://h/"}}]}"#;
        assert_eq!(
            detect_format(unwrapped),
            Some(Format::Har),
            "a HAR without its log wrapper"
        );
        assert!(
            import(unwrapped).unwrap_err().to_string().contains("log"),
            "the HAR reader says the log is missing"
        );
        assert_eq!(
            detect_format(b"{\"method\":\"GET\"}\n{\"method\":\"POST\"}\n"),
            Some(Format::Ndjson)
        );
        assert_eq!(detect_format(b"  $ curl -X POST http://x"), Some(Format::Curl));
        assert_eq!(detect_format(b"curl \\\n  http://x"), Some(Format::Curl));
        assert_eq!(
            detect_format(b"\r\n\r\nPOST /hook?x=1 HTTP/1.1\r\nHost: x\r\n\r\n"),
            Some(Format::RawHttp)
        );
        assert_eq!(detect_format(b"curly braces"), None);
        assert_eq!(detect_format(b"{\"a\":1}"), None);
        assert_eq!(detect_format(b"hello world"), None);
    }

    #[test]
    fn import_reports_empty_and_unknown_input() {
        assert_eq!(import(b"  \n "), Err(ImportError::Empty));
        let e = import(b"hello").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown format: expected HAR, NDJSON, a curl command or a raw HTTP request"
        );
    }

    #[test]
    fn import_marks_captures_imported() {
        let cs = import(b"curl -d 'a=1' http://example.com/hook").unwrap();
        assert_eq!(cs.len(), 1);
        assert_eq!(cs[0].origin, Origin::Imported);
        assert_eq!(cs[0].id, CaptureId(0));
        assert_eq!(cs[0].method, "POST");
    }

    #[test]
    fn split_url_handles_absolute_relative_and_schemeless() {
        let u = split_url("https://me:pw@Example.com:8443/a/b?x=1&y#frag");
        assert_eq!(u.scheme, Some("https"));
        assert_eq!(u.userinfo, Some("me:pw"));
        assert_eq!(
            (u.authority, u.path, u.query),
            ("Example.com:8443", "/a/b", Some("x=1&y"))
        );
        let u = split_url("http://host?q");
        assert_eq!((u.authority, u.path, u.query), ("host", "/", Some("q")));
        let u = split_url("/only/path");
        assert_eq!((u.authority, u.path, u.query), ("", "/only/path", None));
        let u = split_url("localhost:3000/x");
        assert_eq!((u.scheme, u.authority, u.path), (None, "localhost:3000", "/x"));
    }

    #[test]
    fn header_lines_are_trimmed_but_otherwise_kept() {
        assert_eq!(
            split_header_line(b" X-A :\t v a \xff "),
            Some((&b"X-A"[..], &b"v a \xff"[..]))
        );
        assert_eq!(split_header_line(b"X-Empty:"), Some((&b"X-Empty"[..], &b""[..])));
        assert_eq!(split_header_line(b"no colon"), None);
        assert!(is_token(b"X-SMTM-Signature"));
        assert!(!is_token(b"X A"));
        assert!(!is_token(b""));
    }

    #[test]
    fn error_messages_name_the_place() {
        let e = ImportError::Har {
            path: "log.entries[3].request.headers[1].value".into(),
            message: "expected a string".into(),
        };
        assert_eq!(
            e.to_string(),
            "HAR log.entries[3].request.headers[1].value: expected a string"
        );
        let e = ImportError::Har {
            path: String::new(),
            message: "invalid JSON".into(),
        };
        assert_eq!(e.to_string(), "HAR: invalid JSON");
        let e = ImportError::Ndjson {
            line: 4,
            message: "invalid JSON at column 17: x".into(),
        };
        assert_eq!(e.to_string(), "NDJSON line 4: invalid JSON at column 17: x");
        assert_eq!(line_of(b"a\nb\nc", 4), 3);
    }
}
