//! The outgoing-request model and the exact head that goes on the wire.
//!
//! Headers are sent in the order and case they are listed, byte for byte, except the hop-by-hop
//! ones: `Host` and `Content-Length` are recomputed for the target and the body (at the position
//! the original had them), `Connection`, `Keep-Alive`, `Transfer-Encoding`, `TE`, `Trailer`,
//! `Upgrade` and `Proxy-Connection` are dropped (the body is always sent with a length).

use crate::capture::{Header, HeaderList};

/// Headers that belong to one connection and are never copied to another.
pub const HOP_BY_HOP: [&str; 7] = [
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-connection",
];

/// Methods whose requests carry a body by convention: an empty body still gets `Content-Length: 0`.
const BODY_METHODS: [&str; 3] = ["POST", "PUT", "PATCH"];

/// One request to send.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutgoingRequest {
    /// Method exactly as it goes on the request line.
    pub method: String,
    /// Absolute `http://` or `https://` URL; its path and query form the request target.
    pub url: String,
    /// Headers in order and case. `Host` and `Content-Length` here only mark where the
    /// recomputed values go; their values are replaced.
    pub headers: HeaderList,
    pub body: Vec<u8>,
}

/// A target URL taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub https: bool,
    pub host: String,
    pub port: u16,
    /// `Host` header value: the host, and the port when it is not the scheme's default.
    pub authority: String,
    /// Path and query as they go on the request line (never empty: at least `/`).
    pub path_and_query: String,
}

/// Why a URL cannot be used as a target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid target URL '{url}': {reason}")]
pub struct UrlError {
    pub url: String,
    pub reason: String,
}

/// Parse and check a target URL (`http` or `https`, with a host).
pub fn parse_target(url: &str) -> Result<Target, UrlError> {
    let err = |reason: &str| UrlError {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let trimmed = url.trim();
    let (https, rest) = if let Some(r) = strip_prefix_ci(trimmed, "http://") {
        (false, r)
    } else if let Some(r) = strip_prefix_ci(trimmed, "https://") {
        (true, r)
    } else {
        return Err(err("it must start with http:// or https://"));
    };
    let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(split);
    // Credentials in a URL would be neither sent (no Basic auth is built from them) nor kept
    // secret (targets are printed and stored with each attempt): refused, with the way out.
    if let Some((userinfo, _)) = authority.rsplit_once('@') {
        return Err(UrlError {
            url: url.replacen(userinfo, "***", 1),
            reason: "it has a user:password@ part, which would be stored and printed with every \
                     attempt; leave it out (send credentials with --header 'Authorization: ...')"
                .into(),
        });
    }
    if authority.is_empty() {
        return Err(err("it has no host"));
    }
    let (host, port) = split_host_port(authority).ok_or_else(|| err(&port_problem(authority)))?;
    if host.is_empty() {
        return Err(err("it has no host"));
    }
    let default_port = if https { 443 } else { 80 };
    let port = port.unwrap_or(default_port);
    let tail = tail.split('#').next().unwrap_or_default();
    let path_and_query = if tail.is_empty() {
        "/".to_string()
    } else if tail.starts_with('?') {
        format!("/{tail}")
    } else {
        tail.to_string()
    };
    if path_and_query.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(err("the path contains spaces or control characters"));
    }
    let authority = if port == default_port {
        host.clone()
    } else if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    Ok(Target {
        https,
        host,
        port,
        authority,
        path_and_query,
    })
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

/// Why [`split_host_port`] refused `authority`: an IPv6 address left open, a port out of range,
/// or a port that is not a number at all.
fn port_problem(authority: &str) -> String {
    if authority.starts_with('[') && !authority.contains(']') {
        return "the IPv6 address has no closing ]".into();
    }
    let port = authority.rsplit_once(':').map_or("", |(_, p)| p);
    if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
        format!("the port {port} is out of range (1-65535)")
    } else {
        "the port is not a number".into()
    }
}

/// `host[:port]` or `[v6]:port` → host (brackets removed) and port (1-65535).
fn split_host_port(authority: &str) -> Option<(String, Option<u16>)> {
    let port = |p: &str| p.parse::<u16>().ok().filter(|p| *p != 0);
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) if !p.is_empty() => Some(port(p)?),
            _ => None,
        };
        return Some((host.to_string(), port));
    }
    match authority.rsplit_once(':') {
        Some((host, p)) => Some((host.to_ascii_lowercase(), Some(port(p)?))),
        None => Some((authority.to_ascii_lowercase(), None)),
    }
}

/// Replace the path and query of `url` with `path_and_query` (which starts with `/`).
pub fn with_path(url: &str, path_and_query: &str) -> Result<String, UrlError> {
    parse_target(url)?;
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[scheme_end..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Ok(format!(
        "{}{}{}",
        &url[..scheme_end],
        &rest[..end],
        path_and_query
    ))
}

impl OutgoingRequest {
    /// The headers exactly as they go on the wire for `target`: hop-by-hop headers dropped,
    /// `Host` and `Content-Length` recomputed where the originals stood (`Host` first and
    /// `Content-Length` last when absent).
    pub fn wire_headers(&self, target: &Target) -> HeaderList {
        let needs_length = !self.body.is_empty()
            || BODY_METHODS.iter().any(|m| m.eq_ignore_ascii_case(&self.method))
            || self.headers.contains("content-length")
            || self.headers.contains("transfer-encoding");
        let length = self.body.len().to_string();
        let mut out = Vec::with_capacity(self.headers.len() + 2);
        let mut host_done = false;
        let mut length_done = !needs_length;
        for h in &self.headers {
            if h.is("host") {
                if !host_done {
                    out.push(Header::new(h.name.clone(), target.authority.clone()));
                    host_done = true;
                }
            } else if h.is("content-length") || h.is("transfer-encoding") {
                if !length_done {
                    let name = if h.is("content-length") {
                        h.name.clone()
                    } else {
                        "Content-Length".to_string()
                    };
                    out.push(Header::new(name, length.clone()));
                    length_done = true;
                }
            } else if !HOP_BY_HOP.iter().any(|n| h.is(n)) {
                out.push(h.clone());
            }
        }
        if !host_done {
            out.insert(0, Header::new("Host", target.authority.clone()));
        }
        if !length_done {
            out.push(Header::new("Content-Length", length));
        }
        HeaderList(out)
    }

    /// The request head (request line and headers) as bytes, ending with the blank line.
    pub fn head_bytes(&self, target: &Target, headers: &HeaderList) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(self.method.as_bytes());
        out.push(b' ');
        out.extend_from_slice(target.path_and_query.as_bytes());
        out.extend_from_slice(b" HTTP/1.1\r\n");
        for h in headers {
            out.extend_from_slice(h.name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(&h.value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out
    }

    /// Check what would make the head invalid HTTP: a bad method token, header names that are not
    /// tokens, CR/LF inside values.
    pub fn validate(&self) -> Result<(), String> {
        if self.method.is_empty() || !self.method.bytes().all(is_token_byte) {
            return Err(format!("'{}' is not a valid HTTP method", self.method));
        }
        if self.method.eq_ignore_ascii_case("CONNECT") {
            return Err("CONNECT requests cannot be replayed".into());
        }
        for h in &self.headers {
            if h.name.is_empty() || !h.name.bytes().all(is_token_byte) {
                return Err(format!("'{}' is not a valid header name", h.name));
            }
            if h.value.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0) {
                return Err(format!("the value of {} contains a line break", h.name));
            }
        }
        Ok(())
    }
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets() {
        let t = parse_target("http://127.0.0.1:3000/hooks?a=1#frag").unwrap();
        assert_eq!(
            (
                t.https,
                t.host.as_str(),
                t.port,
                t.authority.as_str(),
                t.path_and_query.as_str()
            ),
            (false, "127.0.0.1", 3000, "127.0.0.1:3000", "/hooks?a=1")
        );
        let t = parse_target("HTTPS://Example.COM").unwrap();
        assert_eq!(
            (t.port, t.authority.as_str(), t.path_and_query.as_str()),
            (443, "example.com", "/")
        );
        let t = parse_target("http://[::1]:8080?x").unwrap();
        assert_eq!(
            (t.host.as_str(), t.authority.as_str(), t.path_and_query.as_str()),
            ("::1", "[::1]:8080", "/?x")
        );
        assert!(parse_target("ftp://x").is_err());
        assert!(parse_target("http://:80/").is_err());
        let out_of_range = parse_target("http://h:99999/").unwrap_err().to_string();
        assert!(
            out_of_range.contains("port 99999 is out of range"),
            "{out_of_range}"
        );
        let not_a_number = parse_target("http://h:8o8o/").unwrap_err().to_string();
        assert!(not_a_number.contains("port is not a number"), "{not_a_number}");
        let zero = parse_target("http://h:0/").unwrap_err().to_string();
        assert!(zero.contains("port 0 is out of range"), "{zero}");
        for open in ["http://[::1/", "http://[fe80::1/x"] {
            let e = parse_target(open).unwrap_err().to_string();
            assert!(e.contains("no closing ]"), "{open}: {e}");
        }
        assert!(parse_target("http://h/a b").is_err());
        // A password in the URL would end up in every stored attempt: refused.
        let e = parse_target("http://user:secret@h/x").unwrap_err().to_string();
        assert!(e.contains("user:password@") && !e.contains("secret@"), "{e}");
        // An @ after the host is part of the path.
        assert_eq!(parse_target("http://h/a@b").unwrap().path_and_query, "/a@b");
    }

    #[test]
    fn with_path_replaces_path_and_query() {
        assert_eq!(
            with_path("http://h:1/old?q=1", "/new?x=2").unwrap(),
            "http://h:1/new?x=2"
        );
        assert_eq!(with_path("http://h", "/p").unwrap(), "http://h/p");
    }

    #[test]
    fn hop_by_hop_headers_are_recomputed_in_place() {
        let req = OutgoingRequest {
            method: "POST".into(),
            url: "http://127.0.0.1:9/x".into(),
            headers: HeaderList::from_pairs([
                ("X-First", "1"),
                ("host", "old.example"),
                ("Connection", "keep-alive"),
                ("CONTENT-LENGTH", "999"),
                ("Transfer-Encoding", "chunked"),
                ("X-Last", "2"),
            ]),
            body: b"abc".to_vec(),
        };
        let t = parse_target(&req.url).unwrap();
        let wire = req.wire_headers(&t);
        let pairs: Vec<_> = wire
            .iter()
            .map(|h| (h.name.as_str(), h.value_lossy().into_owned()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("X-First", "1".to_string()),
                ("host", "127.0.0.1:9".into()),
                ("CONTENT-LENGTH", "3".into()),
                ("X-Last", "2".into()),
            ]
        );
        let head = req.head_bytes(&t, &wire);
        assert!(head.starts_with(b"POST /x HTTP/1.1\r\nX-First: 1\r\nhost: 127.0.0.1:9\r\n"));
        assert!(head.ends_with(b"X-Last: 2\r\n\r\n"));
    }

    #[test]
    fn missing_host_and_length_are_added() {
        let req = OutgoingRequest {
            method: "GET".into(),
            url: "http://h/".into(),
            headers: HeaderList::from_pairs([("A", "1")]),
            body: Vec::new(),
        };
        let t = parse_target(&req.url).unwrap();
        let wire = req.wire_headers(&t);
        assert_eq!(wire.0[0], Header::new("Host", "h"));
        assert!(
            !wire.contains("content-length"),
            "a GET without a body gets no length"
        );
        let post = OutgoingRequest {
            method: "POST".into(),
            ..req
        };
        assert_eq!(post.wire_headers(&t).get("content-length"), Some("0"));
    }

    #[test]
    fn validation_names_the_problem() {
        let mut req = OutgoingRequest {
            method: "POST".into(),
            url: "http://h/".into(),
            headers: HeaderList::from_pairs([("Bad Name", "1")]),
            body: Vec::new(),
        };
        assert!(req.validate().unwrap_err().contains("Bad Name"));
        req.headers = HeaderList::from_pairs([("X", b"a\r\nb".to_vec())]);
        assert!(req.validate().unwrap_err().contains("line break"));
        req.headers = HeaderList::from_pairs([("X", vec![0xff, b'a'])]);
        assert!(req.validate().is_ok(), "non-UTF-8 values are allowed (obs-text)");
        req.method = "GE T".into();
        assert!(req.validate().is_err());
    }
}
