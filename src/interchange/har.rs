//! HAR 1.2: export for browsers and HAR viewers, import from hookscope, browsers and proxies.
//!
//! Export: one entry per capture, `request` as received (headers in order with original case,
//! `postData.text` as UTF-8, or base64 with `"encoding": "base64"` — an extension HAR has for
//! response content only, so a `comment` says so), `response` = what hookscope answered (status 0
//! when it did not answer), and `_hookscope` with what HAR has no place for. Header values that
//! are not UTF-8 are written with U+FFFD replacements (HAR strings are text).
//!
//! Import: `request.url` gives path and query; headers are kept exactly as listed (no `Host` is
//! made up), except HTTP/2 pseudo-headers (`:authority`, `:path`, ...) that browsers list and that
//! are not headers; the body is `postData.text` (base64-decoded when `encoding` is `base64`), or
//! `postData.params` form-encoded, or empty.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value, json};

use super::{ImportError, imported_capture, split_url};
use crate::capture::{Capture, HeaderList, ResponseSent, format_rfc3339_us, parse_rfc3339_us};

const BASE64_COMMENT: &str = "body is not UTF-8: text holds it in base64";

/// The captures as a pretty-printed HAR 1.2 document.
pub fn export_har(captures: &[Capture]) -> String {
    let entries: Vec<Value> = captures.iter().map(entry).collect();
    let doc = json!({
        "log": {
            "version": "1.2",
            "creator": { "name": "hookscope", "version": env!("CARGO_PKG_VERSION") },
            "entries": entries,
        }
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

fn entry(c: &Capture) -> Value {
    let delay = c.response.as_ref().map_or(0, |r| r.delay_ms);
    let mut hookscope = json!({
        "id": c.id.0,
        "remote_addr": c.remote_addr,
        "oversized": c.oversized,
        "origin": c.origin.as_str(),
    });
    // A target that a URL cannot carry exactly (no leading `/`, or a `#`) is kept verbatim.
    let target = c.target();
    if !c.path.starts_with('/') || target.contains('#') {
        hookscope["target"] = Value::from(target.clone());
    }
    if delay > 0 {
        hookscope["response_delay_ms"] = Value::from(delay);
    }
    let mut request = json!({
        "method": c.method,
        "url": format!("http://{}{target}", url_host(&c.headers)),
        "httpVersion": if c.http_version.is_empty() { "HTTP/1.1" } else { &c.http_version },
        "cookies": cookies(&c.headers),
        "headers": headers(&c.headers),
        "queryString": c.query.as_deref().map_or_else(Vec::new, query_string),
        "headersSize": -1,
        "bodySize": c.body_len,
    });
    if !c.body.is_empty() {
        let mut post = body_json(&c.headers, &c.body, "size");
        if let Some(obj) = post.as_object_mut() {
            obj.remove("size");
            if obj.contains_key("encoding") {
                obj.insert("comment".into(), BASE64_COMMENT.into());
            }
        }
        request["postData"] = post;
    }
    json!({
        "startedDateTime": format_rfc3339_us(c.received_at_us),
        "time": delay,
        "request": request,
        "response": response_json(c),
        "cache": {},
        "timings": { "send": 0, "wait": delay, "receive": 0 },
        "_hookscope": hookscope,
    })
}

/// The Host header when it can stand in a URL, else the receiver's default address.
fn url_host(headers: &HeaderList) -> &str {
    headers
        .get("host")
        .filter(|h| !h.is_empty() && !h.bytes().any(|b| b.is_ascii_whitespace() || b"/?#@".contains(&b)))
        .unwrap_or("127.0.0.1")
}

/// `_valueBase64` on a header object: the value's exact bytes when they are not UTF-8.
const VALUE_BASE64: &str = "_valueBase64";

fn headers(h: &HeaderList) -> Vec<Value> {
    h.iter()
        .map(|h| {
            let mut v = json!({ "name": h.name, "value": h.value_lossy() });
            if h.value_str().is_none() {
                v[VALUE_BASE64] = Value::from(B64.encode(&h.value));
            }
            v
        })
        .collect()
}

fn cookies(h: &HeaderList) -> Vec<Value> {
    h.get_all("cookie")
        .flat_map(|c| c.value_lossy().split(';').map(str::to_owned).collect::<Vec<_>>())
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            Some(json!({ "name": name.trim(), "value": value.trim() }))
        })
        .collect()
}

fn query_string(query: &str) -> Vec<Value> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(n, v)| json!({ "name": n, "value": v }))
        .collect()
}

/// `{mimeType, text}` or `{mimeType, text (base64), encoding: "base64"}`, with `size_key` = length.
fn body_json(headers: &HeaderList, body: &[u8], size_key: &str) -> Value {
    let mut obj = Map::new();
    obj.insert(size_key.into(), Value::from(body.len()));
    obj.insert(
        "mimeType".into(),
        headers.get("content-type").unwrap_or_default().into(),
    );
    if let Ok(text) = std::str::from_utf8(body) {
        obj.insert("text".into(), text.into());
    } else {
        obj.insert("text".into(), B64.encode(body).into());
        obj.insert("encoding".into(), "base64".into());
    }
    Value::Object(obj)
}

fn response_json(c: &Capture) -> Value {
    let Some(r) = &c.response else {
        return json!({
            "status": 0, "statusText": "", "httpVersion": "", "cookies": [], "headers": [],
            "content": { "size": 0, "mimeType": "" }, "redirectURL": "", "headersSize": -1, "bodySize": -1,
        });
    };
    json!({
        "status": r.status,
        "statusText": status_text(r.status),
        "httpVersion": if c.http_version.is_empty() { "HTTP/1.1" } else { &c.http_version },
        "cookies": [],
        "headers": headers(&r.headers),
        "content": body_json(&r.headers, &r.body, "size"),
        "redirectURL": r.headers.get("location").unwrap_or_default(),
        "headersSize": -1,
        "bodySize": r.body.len(),
    })
}

fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

// ---- import ------------------------------------------------------------------------------------

fn err(path: impl Into<String>, message: impl Into<String>) -> ImportError {
    ImportError::Har {
        path: path.into(),
        message: message.into(),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Typed access to the fields of one JSON object, naming `path.key` in errors.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Obj<'a> {
    fn new(v: &'a Value, path: String) -> Result<Self, ImportError> {
        match v {
            Value::Object(map) => Ok(Obj { map, path }),
            other => Err(err(path, format!("expected an object, found {}", kind(other)))),
        }
    }

    fn path_of(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The field, `None` when missing or null.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn required(&self, key: &str) -> Result<&'a Value, ImportError> {
        self.get(key).ok_or_else(|| err(self.path_of(key), "missing"))
    }

    /// `convert(v)`, or an error saying that field `key` should be `what`.
    fn cast<T>(
        &self,
        key: &str,
        what: &str,
        v: &'a Value,
        convert: impl Fn(&'a Value) -> Option<T>,
    ) -> Result<T, ImportError> {
        convert(v).ok_or_else(|| err(self.path_of(key), format!("expected {what}, found {}", kind(v))))
    }

    fn str(&self, key: &str) -> Result<Option<&'a str>, ImportError> {
        self.get(key)
            .map(|v| self.cast(key, "a string", v, Value::as_str))
            .transpose()
    }

    fn req_str(&self, key: &str) -> Result<&'a str, ImportError> {
        let v = self.required(key)?;
        self.cast(key, "a string", v, Value::as_str)
    }

    fn obj(&self, key: &str) -> Result<Option<Obj<'a>>, ImportError> {
        self.get(key).map(|v| Obj::new(v, self.path_of(key))).transpose()
    }

    /// The elements of an array field with their paths (`key[i]`); empty when missing.
    fn array(&self, key: &str) -> Result<Vec<(String, &'a Value)>, ImportError> {
        let Some(v) = self.get(key) else {
            return Ok(Vec::new());
        };
        let items = self.cast(key, "an array", v, Value::as_array)?;
        let path = self.path_of(key);
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("{path}[{i}]"), v))
            .collect())
    }
}

/// Read every entry of a HAR document (hookscope's own, or from a browser or proxy).
pub fn read_har(input: &[u8]) -> Result<Vec<Capture>, ImportError> {
    let doc: Value =
        serde_json::from_slice(super::strip_bom(input)).map_err(|e| err("", format!("invalid JSON: {e}")))?;
    let root =
        Obj::new(&doc, String::new()).map_err(|_| err("", "expected a JSON object with a \"log\" field"))?;
    let log = root.obj("log")?.ok_or_else(|| err("log", "missing"))?;
    log.required("entries")?;
    log.array("entries")?
        .into_iter()
        .map(|(path, v)| read_entry(&Obj::new(v, path)?))
        .collect()
}

fn read_entry(entry: &Obj<'_>) -> Result<Capture, ImportError> {
    let req = Obj::new(entry.required("request")?, entry.path_of("request"))?;
    let method = req.req_str("method")?;
    if !super::is_token(method.as_bytes()) {
        return Err(err(
            req.path_of("method"),
            format!("{} is not an HTTP method", super::clip(method)),
        ));
    }
    let url = req.req_str("url")?;
    let version = normalize_version(req.str("httpVersion")?.unwrap_or_default());
    let headers = read_headers(&req, "headers")?;
    let body = match req.obj("postData")? {
        Some(post) => read_body(&post)?,
        None => Vec::new(),
    };
    let extra = entry.obj("_hookscope")?;
    let target = match &extra {
        Some(x) => x.str("target")?,
        None => None,
    };
    let (path, query) = if let Some(t) = target {
        let (p, q) = super::split_target(t);
        (p.to_owned(), q.map(str::to_owned))
    } else {
        let parts = split_url(url);
        (parts.path.to_owned(), parts.query.map(str::to_owned))
    };
    let mut c = imported_capture(method.to_owned(), path, query, version, headers, body);
    if let Some(time) = entry.str("startedDateTime")? {
        c.received_at_us = parse_rfc3339_us(time).ok_or_else(|| {
            err(
                entry.path_of("startedDateTime"),
                format!("{} is not an RFC 3339 time", super::clip(time)),
            )
        })?;
    }
    if let Some(x) = &extra {
        c.remote_addr = x.str("remote_addr")?.map(str::to_owned);
        if let Some(v) = x.get("oversized") {
            c.oversized = x.cast("oversized", "a boolean", v, Value::as_bool)?;
        }
    }
    if c.oversized
        && let Some(size) = req.get("bodySize").and_then(Value::as_u64)
    {
        c.body_len = size.max(c.body.len() as u64);
    }
    c.response = read_response(entry, extra.as_ref())?;
    Ok(c)
}

/// `HTTP/1.1` as is; browsers' `http/2.0`, `h2`, `h3` normalised; empty → `HTTP/1.1`.
fn normalize_version(v: &str) -> String {
    match v.to_ascii_lowercase().as_str() {
        "" => "HTTP/1.1".into(),
        "h2" | "http/2" | "http/2.0" => "HTTP/2.0".into(),
        "h3" | "http/3" | "http/3.0" => "HTTP/3".into(),
        lower if lower.starts_with("http/") && !v.starts_with("HTTP/") => v.to_ascii_uppercase(),
        _ => v.to_owned(),
    }
}

fn read_headers(obj: &Obj<'_>, key: &str) -> Result<HeaderList, ImportError> {
    let mut headers = HeaderList::new();
    for (path, v) in obj.array(key)? {
        let h = Obj::new(v, path)?;
        let name = h.req_str("name")?;
        let value = match h.str(VALUE_BASE64)? {
            Some(b64) => B64
                .decode(b64)
                .map_err(|e| err(h.path_of(VALUE_BASE64), super::describe_base64(&e)))?,
            None => h.req_str("value")?.as_bytes().to_vec(),
        };
        if name.starts_with(':') {
            continue;
        }
        if !super::is_token(name.as_bytes()) {
            return Err(err(
                h.path_of("name"),
                format!("{} is not a valid header name", super::clip(name)),
            ));
        }
        headers.push(name, value);
    }
    Ok(headers)
}

/// `text` (base64 when `encoding` says so), else `params` form-encoded, else empty.
fn read_body(obj: &Obj<'_>) -> Result<Vec<u8>, ImportError> {
    if let Some(text) = obj.str("text")? {
        return if obj
            .str("encoding")?
            .is_some_and(|e| e.eq_ignore_ascii_case("base64"))
        {
            let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            B64.decode(compact)
                .map_err(|e| err(obj.path_of("text"), super::describe_base64(&e)))
        } else {
            Ok(text.as_bytes().to_vec())
        };
    }
    let mut form = form_urlencoded::Serializer::new(String::new());
    let params = obj.array("params")?;
    for (path, v) in &params {
        let p = Obj::new(v, path.clone())?;
        form.append_pair(p.req_str("name")?, p.str("value")?.unwrap_or_default());
    }
    Ok(if params.is_empty() {
        Vec::new()
    } else {
        form.finish().into_bytes()
    })
}

fn read_response(entry: &Obj<'_>, extra: Option<&Obj<'_>>) -> Result<Option<ResponseSent>, ImportError> {
    let Some(resp) = entry.obj("response")? else {
        return Ok(None);
    };
    let status = match resp.get("status") {
        None => 0,
        Some(v) => resp.cast("status", "an HTTP status code", v, |v| {
            v.as_u64().filter(|&s| s < 1000)
        })?,
    };
    if status == 0 {
        return Ok(None);
    }
    let body = match resp.obj("content")? {
        Some(content) => read_body(&content)?,
        None => Vec::new(),
    };
    let delay_ms = match extra.and_then(|x| x.get("response_delay_ms")) {
        Some(v) => extra.map_or(Ok(0), |x| {
            x.cast("response_delay_ms", "a number", v, Value::as_u64)
        })?,
        None => 0,
    };
    Ok(Some(ResponseSent {
        status: status as u16,
        headers: read_headers(&resp, "headers")?,
        body,
        delay_ms,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{CaptureId, Origin};

    fn sample() -> Capture {
        Capture {
            id: CaptureId(42),
            received_at_us: 1_760_000_000_123_456,
            method: "POST".into(),
            path: "/smtm/webhook".into(),
            query: Some("a=1&b=x%20y&a=2".into()),
            http_version: "HTTP/1.1".into(),
            remote_addr: Some("127.0.0.1:50123".into()),
            headers: HeaderList::from_pairs([
                ("Host", "127.0.0.1:8787"),
                ("content-type", "application/octet-stream"),
                ("X-Repeat", "1"),
                ("x-repeat", "2"),
                ("Cookie", "a=1; b=2"),
            ]),
            body: vec![0xff, 0x00, b'{', 0xc3],
            body_len: 4,
            response: Some(ResponseSent {
                delay_ms: 250,
                ..ResponseSent::default_ok()
            }),
            ..Capture::default()
        }
    }

    #[test]
    fn export_then_read_keeps_request_bytes_and_order() {
        let c = sample();
        let har = export_har(std::slice::from_ref(&c));
        let back = read_har(har.as_bytes()).unwrap();
        assert_eq!(back.len(), 1);
        let b = &back[0];
        assert_eq!(
            (b.method.as_str(), b.path.as_str(), b.query.as_deref()),
            ("POST", "/smtm/webhook", c.query.as_deref())
        );
        assert_eq!(b.headers, c.headers);
        assert_eq!(b.body, c.body);
        assert_eq!(b.received_at_us, c.received_at_us);
        assert_eq!(b.remote_addr, c.remote_addr);
        assert_eq!(b.response, c.response);
        assert_eq!((b.id, b.origin), (CaptureId(0), Origin::Imported));
    }

    #[test]
    fn export_shape_follows_har_1_2() {
        let mut text = sample();
        text.body = br#"{"ok":1}"#.to_vec();
        let har = export_har(&[sample(), text]);
        let v: Value = serde_json::from_str(&har).unwrap();
        let log = &v["log"];
        assert_eq!(log["version"], "1.2");
        assert_eq!(log["creator"]["name"], "hookscope");
        let e = &log["entries"][0];
        assert_eq!(e["startedDateTime"], "2025-10-09T08:53:20.123456Z");
        assert_eq!(
            e["request"]["url"],
            "http://127.0.0.1:8787/smtm/webhook?a=1&b=x%20y&a=2"
        );
        assert_eq!(
            e["request"]["queryString"][1],
            json!({"name": "b", "value": "x y"})
        );
        assert_eq!(e["request"]["cookies"][1], json!({"name": "b", "value": "2"}));
        assert_eq!(
            e["request"]["headers"][3],
            json!({"name": "x-repeat", "value": "2"})
        );
        assert_eq!(e["request"]["postData"]["encoding"], "base64");
        assert_eq!(e["request"]["postData"]["text"], "/wB7ww==");
        assert_eq!(e["request"]["postData"]["comment"], BASE64_COMMENT);
        assert_eq!(e["response"]["status"], 200);
        assert_eq!(e["response"]["statusText"], "OK");
        assert_eq!(e["response"]["content"]["text"], r#"{"ok":true}"#);
        assert_eq!(
            e["_hookscope"],
            json!({"id": 42, "remote_addr": "127.0.0.1:50123", "oversized": false, "origin": "live", "response_delay_ms": 250})
        );
        let t = &log["entries"][1]["request"]["postData"];
        assert_eq!(
            t,
            &json!({"mimeType": "application/octet-stream", "text": "{\"ok\":1}"})
        );
    }

    #[test]
    fn non_utf8_header_values_round_trip_byte_for_byte() {
        let mut c = sample();
        c.headers.push("X-Latin1", b"caf\xe9 \xff".to_vec());
        let response = c.response.get_or_insert_with(ResponseSent::default_ok);
        response.headers.push("X-Raw", b"\x80ok".to_vec());
        let har = export_har(std::slice::from_ref(&c));
        let v: Value = serde_json::from_str(&har).unwrap();
        let last = v["log"]["entries"][0]["request"]["headers"]
            .as_array()
            .and_then(|h| h.last().cloned())
            .unwrap();
        assert_eq!(
            last,
            json!({"name": "X-Latin1", "value": "caf\u{fffd} \u{fffd}", "_valueBase64": "Y2Fm6SD/"})
        );
        // UTF-8 values carry no extra field.
        assert!(
            v["log"]["entries"][0]["request"]["headers"][0]
                .get(VALUE_BASE64)
                .is_none()
        );
        let back = read_har(har.as_bytes()).unwrap().remove(0);
        assert_eq!(back.headers, c.headers);
        assert_eq!(back.response.unwrap().headers, c.response.unwrap().headers);

        let bad = har.replace("Y2Fm6SD/", "%%");
        let e = read_har(bad.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("_valueBase64"), "{e}");
    }

    #[test]
    fn odd_targets_and_missing_responses_round_trip() {
        let c = Capture {
            method: "OPTIONS".into(),
            path: "*".into(),
            headers: HeaderList::from_pairs([("Host", "bad host/")]),
            ..Capture::default()
        };
        let back = read_har(export_har(std::slice::from_ref(&c)).as_bytes()).unwrap();
        assert_eq!((back[0].path.as_str(), back[0].query.as_deref()), ("*", None));
        assert_eq!(back[0].response, None);
        assert_eq!(back[0].headers, c.headers);
    }

    fn har_error(doc: &str) -> String {
        read_har(doc.as_bytes()).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(
            har_error(r#"{"log": {"version": "1.2"}}"#),
            "HAR log.entries: missing"
        );
        assert_eq!(har_error(r#"{"nolog": 1}"#), "HAR log: missing");
        assert_eq!(
            har_error("[1]"),
            "HAR: expected a JSON object with a \"log\" field"
        );
        assert!(har_error("{\"log\": ").starts_with("HAR: invalid JSON: EOF while parsing"));
        let entry = |req: &str| {
            format!(
                r#"{{"log": {{"entries": [{{"request": {{"method": "GET", "url": "/"}}}}, {{"request": {req}}}]}}}}"#
            )
        };
        assert_eq!(
            har_error(&entry(
                r#"{"method": "GET", "url": "/", "headers": [{"name": "A", "value": "1"}, {"name": "B", "value": 2}]}"#
            )),
            "HAR log.entries[1].request.headers[1].value: expected a string, found a number"
        );
        assert_eq!(
            har_error(&entry(
                r#"{"method": "POST", "url": "/", "postData": {"text": "%%%", "encoding": "base64"}}"#
            )),
            "HAR log.entries[1].request.postData.text: not valid base64 ('%' at character 1)"
        );
        assert_eq!(
            har_error(&entry(r#"{"url": "/"}"#)),
            "HAR log.entries[1].request.method: missing"
        );
        assert_eq!(
            har_error(&entry(r#"{"method": "G T", "url": "/"}"#)),
            "HAR log.entries[1].request.method: \"G T\" is not an HTTP method"
        );
        assert_eq!(
            har_error(r#"{"log": {"entries": [{"request": 1}]}}"#),
            "HAR log.entries[0].request: expected an object, found a number"
        );
        assert_eq!(
            har_error(
                r#"{"log": {"entries": [{"startedDateTime": "yesterday", "request": {"method": "GET", "url": "/"}}]}}"#
            ),
            "HAR log.entries[0].startedDateTime: \"yesterday\" is not an RFC 3339 time"
        );
    }

    #[test]
    fn versions_are_normalised() {
        assert_eq!(normalize_version("h2"), "HTTP/2.0");
        assert_eq!(normalize_version("http/1.1"), "HTTP/1.1");
        assert_eq!(normalize_version(""), "HTTP/1.1");
        assert_eq!(normalize_version("HTTP/1.0"), "HTTP/1.0");
    }
}
