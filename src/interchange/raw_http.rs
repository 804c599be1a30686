//! Raw HTTP/1.1 request text, as a server log or a proxy shows it.
//!
//! Parsing is tolerant of how text gets pasted and strict about bytes:
//! - lines may end in `\r\n` or `\n`; blank lines and whitespace before the request are skipped;
//! - request line `METHOD target HTTP/x.y`, target in origin form (`/path?query`), absolute form
//!   (`https://host/path`: path and query taken from it, `Host` added first when absent),
//!   authority form or `*`;
//! - headers keep their order, case and repeats; an obs-fold continuation line is joined to the
//!   previous value with one space; a missing blank line after the headers means no body;
//! - body: `Transfer-Encoding: chunked` is decoded; otherwise `Content-Length` bytes, exactly (too
//!   few is an error saying how many follow); otherwise everything up to the end of the input,
//!   byte for byte (a trailing newline of a `\n`-ended paste stays part of the body), or nothing
//!   when only whitespace is left. Body bytes are never converted (`\n` stays `\n`).

use super::{
    ImportError, imported_capture, is_token, line_of, split_header_line, split_target, split_url, strip_cr,
};
use crate::capture::{Capture, HeaderList};

/// The request as HTTP/1.1 text (CRLF line ends). A chunked capture's body, stored decoded, is
/// written as one chunk so that [`parse_raw_http`] reads back the same bytes.
pub fn to_raw_http(c: &Capture) -> Vec<u8> {
    let mut out = c.raw_http();
    if is_chunked(&c.headers) {
        out.truncate(out.len() - c.body.len());
        if !c.body.is_empty() {
            out.extend_from_slice(format!("{:x}\r\n", c.body.len()).as_bytes());
            out.extend_from_slice(&c.body);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n\r\n");
    }
    out
}

/// Parse one request. Text after a `Content-Length` or chunked body, other than whitespace, is an
/// error (use [`parse_raw_http_many`] for several requests).
pub fn parse_raw_http(input: &[u8]) -> Result<Capture, ImportError> {
    let mut p = Parser { input, pos: 0 };
    p.skip_space();
    if p.pos >= input.len() {
        return Err(p.err(p.pos, "no request found: the input is empty"));
    }
    let c = p.request(false)?;
    let rest = &input[p.pos..];
    if !rest.trim_ascii().is_empty() {
        let declared = c.body.len();
        return Err(p.err(
            p.pos,
            format!(
                "{} more bytes follow the {declared}-byte body; is this several requests?",
                rest.len()
            ),
        ));
    }
    Ok(c)
}

/// Parse one request or several in a row. Each body is framed by `Content-Length` or chunked
/// encoding; a request with neither ends where a line starting the next request line begins (the
/// line ends just before it are separators, not body).
pub fn parse_raw_http_many(input: &[u8]) -> Result<Vec<Capture>, ImportError> {
    let mut p = Parser { input, pos: 0 };
    let mut out = Vec::new();
    loop {
        p.skip_space();
        if p.pos >= input.len() {
            break;
        }
        out.push(p.request(true)?);
    }
    if out.is_empty() {
        return Err(p.err(0, "no request found: the input is empty"));
    }
    Ok(out)
}

/// Is `line` (without its line end) an HTTP request line?
pub(crate) fn is_request_line(line: &[u8]) -> bool {
    parse_request_line(line).is_ok()
}

/// Does the last `Transfer-Encoding` end in `chunked`?
fn is_chunked(headers: &HeaderList) -> bool {
    headers.get_all("transfer-encoding").last().is_some_and(|h| {
        h.value_lossy()
            .rsplit(',')
            .next()
            .is_some_and(|coding| coding.trim().eq_ignore_ascii_case("chunked"))
    })
}

struct RequestLine {
    method: String,
    path: String,
    query: Option<String>,
    version: String,
    /// From an absolute-form target.
    host: Option<String>,
}

fn parse_request_line(line: &[u8]) -> Result<RequestLine, String> {
    let expected = "expected a request line like \"POST /path HTTP/1.1\"";
    let text =
        std::str::from_utf8(line).map_err(|_| format!("{expected}, found bytes that are not UTF-8"))?;
    let parts: Vec<&str> = text.split_ascii_whitespace().collect();
    let [method, target, version] = parts[..] else {
        return Err(format!("{}, found {}", expected, super::clip(text)));
    };
    let version_ok = version.strip_prefix("HTTP/").is_some_and(|v| {
        let (major, minor) = v.split_once('.').unwrap_or((v, "0"));
        [major, minor]
            .iter()
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    });
    if !version_ok {
        return Err(format!(
            "{}, found {} (the version should be like HTTP/1.1)",
            expected,
            super::clip(text)
        ));
    }
    if !is_token(method.as_bytes()) {
        return Err(format!("{} is not an HTTP method", super::clip(method)));
    }
    let (path, query, host) = if target.starts_with('/') {
        let (path, query) = split_target(target);
        (path, query, None)
    } else if target.contains("://") {
        let url = split_url(target);
        (url.path, url.query, Some(url.authority).filter(|a| !a.is_empty()))
    } else {
        (target, None, None)
    };
    Ok(RequestLine {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.map(str::to_owned),
        version: version.to_owned(),
        host: host.map(str::to_owned),
    })
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn err(&self, pos: usize, message: impl Into<String>) -> ImportError {
        ImportError::RawHttp {
            line: line_of(self.input, pos),
            message: message.into(),
        }
    }

    fn skip_space(&mut self) {
        if self.pos == 0 && self.input.starts_with(b"\xEF\xBB\xBF") {
            self.pos = 3;
        }
        while self.input.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
    }

    /// The next line without its line end, and where it starts; `None` at the end of the input.
    fn line(&mut self) -> Option<(&'a [u8], usize)> {
        let start = self.pos;
        let rest = self.input.get(start..).filter(|r| !r.is_empty())?;
        let len = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        self.pos = (start + len + 1).min(self.input.len());
        Some((strip_cr(&rest[..len]), start))
    }

    fn request(&mut self, many: bool) -> Result<Capture, ImportError> {
        let (line, at) = self
            .line()
            .ok_or_else(|| self.err(self.pos, "no request found"))?;
        let rl = parse_request_line(line).map_err(|m| self.err(at, m))?;
        let mut headers = HeaderList::new();
        let mut content_length: Option<(u64, usize)> = None;
        while let Some((line, at)) = self.line() {
            if line.trim_ascii().is_empty() {
                break;
            }
            if line[0] == b' ' || line[0] == b'\t' {
                let Some(last) = headers.0.last_mut() else {
                    return Err(self.err(
                        at,
                        "a continuation line (starting with a space) before any header",
                    ));
                };
                if !last.value.is_empty() {
                    last.value.push(b' ');
                }
                last.value.extend_from_slice(line.trim_ascii());
                continue;
            }
            let Some((name, value)) = split_header_line(line) else {
                let shown = String::from_utf8_lossy(line);
                return Err(self.err(
                    at,
                    format!(
                        "expected a header line \"Name: value\", found {}",
                        super::clip(shown)
                    ),
                ));
            };
            if !is_token(name) {
                let shown = String::from_utf8_lossy(name);
                return Err(self.err(at, format!("{} is not a valid header name", super::clip(shown))));
            }
            let name = String::from_utf8_lossy(name).into_owned();
            if name.eq_ignore_ascii_case("content-length") {
                let n = parse_content_length(value).ok_or_else(|| {
                    self.err(
                        at,
                        format!(
                            "Content-Length {:?} is not a number",
                            String::from_utf8_lossy(value)
                        ),
                    )
                })?;
                if content_length.is_some_and(|(m, _)| m != n) {
                    return Err(self.err(at, "two Content-Length headers with different values"));
                }
                content_length = Some((n, at));
            }
            headers.push(name, value);
        }
        if let Some(host) = rl.host
            && !headers.contains("host")
        {
            headers.0.insert(0, crate::capture::Header::new("Host", host));
        }
        let body = if is_chunked(&headers) {
            self.chunked_body()?
        } else if let Some((n, _)) = content_length {
            let available = self.input.len() - self.pos;
            if (available as u64) < n {
                return Err(self.err(
                    self.pos,
                    format!("Content-Length says {n} bytes but {available} follow"),
                ));
            }
            let n = n as usize;
            let body = self.input[self.pos..self.pos + n].to_vec();
            self.pos += n;
            body
        } else {
            self.unframed_body(many)
        };
        Ok(imported_capture(
            rl.method, rl.path, rl.query, rl.version, headers, body,
        ))
    }

    /// No framing: to the end, or (several requests) to the next request line.
    fn unframed_body(&mut self, many: bool) -> Vec<u8> {
        let rest = &self.input[self.pos..];
        let mut end = rest.len();
        if many {
            let mut line_start = 0;
            while line_start < rest.len() {
                let len = rest[line_start..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .unwrap_or(rest.len() - line_start);
                if is_request_line(strip_cr(&rest[line_start..line_start + len])) {
                    end = line_start;
                    break;
                }
                line_start += len + 1;
            }
        }
        let mut body = &rest[..end];
        if end < rest.len() {
            while let Some(shorter) = body.strip_suffix(b"\n") {
                body = shorter.strip_suffix(b"\r").unwrap_or(shorter);
            }
        }
        self.pos += end;
        if body.trim_ascii().is_empty() {
            Vec::new()
        } else {
            body.to_vec()
        }
    }

    fn chunked_body(&mut self) -> Result<Vec<u8>, ImportError> {
        let mut body = Vec::new();
        loop {
            let Some((line, at)) = self.line() else {
                return Err(self.err(self.pos, "the chunked body ends before its last (0-size) chunk"));
            };
            let size_text = String::from_utf8_lossy(line.split(|&b| b == b';').next().unwrap_or_default());
            let size = usize::from_str_radix(size_text.trim(), 16).map_err(|_| {
                self.err(
                    at,
                    format!("{} is not a chunk size (hex digits)", super::clip(size_text)),
                )
            })?;
            if size == 0 {
                // Trailer fields, up to a blank line, are not part of the request's headers.
                while let Some((l, _)) = self.line() {
                    if l.trim_ascii().is_empty() {
                        break;
                    }
                }
                return Ok(body);
            }
            let available = self.input.len() - self.pos;
            if available < size {
                return Err(self.err(at, format!("a chunk of {size} bytes but {available} follow")));
            }
            body.extend_from_slice(&self.input[self.pos..self.pos + size]);
            self.pos += size;
            let rest = &self.input[self.pos..];
            if rest.starts_with(b"\r\n") {
                self.pos += 2;
            } else if rest.starts_with(b"\n") {
                self.pos += 1;
            } else {
                return Err(self.err(self.pos, "expected a line end after the chunk data"));
            }
        }
    }
}

/// `120`, or a list of equal values (`120, 120`) as some proxies send.
fn parse_content_length(value: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(value).ok()?;
    let mut values = text.split(',').map(|v| v.trim().parse::<u64>().ok());
    let first = values.next()??;
    values.all(|v| v == Some(first)).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMTM: &str = "POST /smtm/webhook HTTP/1.1\r\n\
        Host: hooks.example.com\r\n\
        User-Agent: SmartMaintenance/1.0\r\n\
        Content-Type: application/json\r\n\
        X-SMTM-Event: task.completed\r\n\
        X-SMTM-Delivery: 5f0c6f5e-2d7a-4a53-9a3e-8f1b2c3d4e5f\r\n\
        X-SMTM-Signature: sha256=9c1185a5c5e9fc54612808977ee8f548b2258d31f2f7e1d4a4fd1b6c8b1d3f0e\r\n\
        Content-Length: 149\r\n\
        \r\n\
        {\"event\":\"task.completed\",\"timestamp\":\"2026-04-24T09:15:30+07:00\",\"company_id\":\"c_1\",\"company_name\":\"Acme\",\"data\":{\"task_id\":\"t_9\",\"asset_id\":\"a_3\"}}";

    #[test]
    fn smtm_request_from_a_log() {
        let c = parse_raw_http(SMTM.as_bytes()).unwrap();
        assert_eq!(
            (c.method.as_str(), c.path.as_str(), c.query.as_deref()),
            ("POST", "/smtm/webhook", None)
        );
        assert_eq!(c.headers.len(), 7);
        assert_eq!(c.headers.get("x-smtm-event"), Some("task.completed"));
        assert!(
            c.headers
                .get("X-SMTM-Signature")
                .unwrap()
                .starts_with("sha256=9c11")
        );
        assert_eq!(c.body.len(), 149);
        assert_eq!(c.declared_len, Some(149));
        assert!(c.body.ends_with(b"}}"));
        assert_eq!(to_raw_http(&c), SMTM.as_bytes());
    }

    #[test]
    fn lf_pastes_with_leading_blank_lines_keep_body_bytes() {
        let input = b"\n\n   GET /a?b=1 HTTP/1.1\nHost: x\nX-A:  1 \n\nline1\nline2\n";
        let c = parse_raw_http(input).unwrap();
        assert_eq!(c.query.as_deref(), Some("b=1"));
        assert_eq!(c.headers, HeaderList::from_pairs([("Host", "x"), ("X-A", "1")]));
        assert_eq!(
            c.body, b"line1\nline2\n",
            "no Content-Length: everything to the end, as is"
        );
        let no_body = parse_raw_http(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n\r\n").unwrap();
        assert!(no_body.body.is_empty());
        let no_blank_line = parse_raw_http(b"GET / HTTP/1.0\nHost: x").unwrap();
        assert_eq!(no_blank_line.http_version, "HTTP/1.0");
    }

    #[test]
    fn absolute_form_folds_repeats_and_binary_values() {
        let input = b"PATCH https://api.example.com:8443/v1/x?y=2 HTTP/1.1\r\nX-Fold: a\r\n  b\r\n\tc\r\nx-rep: 1\r\nX-Rep: 2\r\nX-Bin: \xff\xfe\r\n\r\n";
        let c = parse_raw_http(input).unwrap();
        assert_eq!((c.path.as_str(), c.query.as_deref()), ("/v1/x", Some("y=2")));
        let expected = HeaderList::from_pairs([
            ("Host", &b"api.example.com:8443"[..]),
            ("X-Fold", b"a b c"),
            ("x-rep", b"1"),
            ("X-Rep", b"2"),
            ("X-Bin", b"\xff\xfe"),
        ]);
        assert_eq!(c.headers, expected);
    }

    #[test]
    fn chunked_bodies_are_decoded_and_written_back_chunked() {
        let input = b"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n";
        let c = parse_raw_http(input).unwrap();
        assert_eq!(c.body, b"hello, world");
        assert_eq!(parse_raw_http(&to_raw_http(&c)).unwrap().body, c.body);
        let e = parse_raw_http(b"POST /c HTTP/1.1\nTransfer-Encoding: chunked\n\nzz\nab\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "raw HTTP line 4: \"zz\" is not a chunk size (hex digits)"
        );
    }

    #[test]
    fn several_requests_in_a_row() {
        let input = format!(
            "{SMTM}\r\n\r\nGET /health HTTP/1.1\nHost: x\n\nGET /b HTTP/1.1\n\nbody here\n\nDELETE /c HTTP/1.1\n"
        );
        let cs = parse_raw_http_many(input.as_bytes()).unwrap();
        let methods: Vec<_> = cs.iter().map(|c| c.method.as_str()).collect();
        assert_eq!(methods, ["POST", "GET", "GET", "DELETE"]);
        assert_eq!(cs[0].body.len(), 149);
        assert!(cs[1].body.is_empty());
        assert_eq!(cs[2].body, b"body here");
        let e = parse_raw_http(input.as_bytes()).unwrap_err().to_string();
        assert!(
            e.starts_with("raw HTTP line 10: ") && e.contains("several requests"),
            "{e}"
        );
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse_raw_http(b"\nPOST /x\nHost: x\n\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "raw HTTP line 2: expected a request line like \"POST /path HTTP/1.1\", found \"POST /x\""
        );
        let e = parse_raw_http(b"POST /x HTTP/1.1\nHost: x\nbad header\n\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "raw HTTP line 3: expected a header line \"Name: value\", found \"bad header\""
        );
        let mut short = SMTM.as_bytes().to_vec();
        short.truncate(short.len() - 2);
        let e = parse_raw_http(&short).unwrap_err();
        assert_eq!(
            e.to_string(),
            "raw HTTP line 10: Content-Length says 149 bytes but 147 follow"
        );
        let e = parse_raw_http(b"POST /x HTTP/1.1\nContent-Length: ten\n\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "raw HTTP line 2: Content-Length \"ten\" is not a number"
        );
        assert!(parse_raw_http(b"   \n").is_err());
        assert!(parse_raw_http(b"GET / HTTP/x\n\n").is_err());
        assert!(parse_raw_http(b"G(T / HTTP/1.1\n\n").is_err());
        assert!(parse_raw_http(b"GET / HTTP/1.1\n  folded\n\n").is_err());
    }
}
