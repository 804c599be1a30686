//! Keeps each request head exactly as it arrived.
//!
//! hyper hands handlers a `HeaderMap`, which lowercases names and groups repeats by name. To keep
//! headers in arrival order with their original case, every connection's byte stream passes
//! through [`SniffStream`]: a small HTTP/1.1 framer copies each request head (and only the head;
//! body bytes are skipped by `Content-Length` or chunked framing) into a per-connection queue.
//! hyper serves a connection's requests one after another, so the handler of the n-th request
//! finds the n-th head at the front of the queue, and takes it only when its method, target and
//! headers are the ones hyper parsed. Anything the framer cannot follow (a CONNECT tunnel,
//! malformed framing) switches it off for that connection, and handlers fall back to hyper's view.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::http::{HeaderMap, Uri};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::capture::HeaderList;

/// Largest head the framer follows; hyper refuses larger ones long before.
const MAX_HEAD_BYTES: usize = 512 * 1024;
/// Most headers parsed per head; hyper refuses more (431) by default.
const MAX_HEADERS: usize = 256;

/// A request head as it was on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawHead {
    pub method: String,
    /// Request target exactly as sent (`/path?query`, or absolute form).
    pub target: String,
    pub headers: HeaderList,
}

/// Per-connection state shared between the stream and the handlers.
#[derive(Debug)]
pub struct ConnInfo {
    pub peer: SocketAddr,
    heads: Mutex<VecDeque<RawHead>>,
    /// The bytes of a head the framer could not parse (or never saw the end of), left when the
    /// connection ended: what a malformed request sent, for the receiver to record.
    rejected: Mutex<Option<Vec<u8>>>,
}

impl ConnInfo {
    pub fn new(peer: SocketAddr) -> Self {
        ConnInfo {
            peer,
            heads: Mutex::new(VecDeque::new()),
            rejected: Mutex::new(None),
        }
    }

    /// The bytes of the head that could not be parsed, once the connection has ended.
    pub fn take_rejected(&self) -> Option<Vec<u8>> {
        self.rejected.lock().ok()?.take()
    }

    fn push(&self, head: RawHead) {
        if let Ok(mut q) = self.heads.lock() {
            q.push_back(head);
        }
    }

    /// The oldest head not yet taken, when it is the request being handled: same method, same
    /// target, and the same headers as hyper parsed (`map`). Anything else means the framer and
    /// hyper read this request differently: the head is dropped and the handler uses hyper's
    /// view, so a capture never carries another request's headers. Later heads are each checked
    /// the same way.
    pub fn take(&self, method: &str, path_and_query: &str, map: &HeaderMap) -> Option<RawHead> {
        let mut q = self.heads.lock().ok()?;
        let head = q.pop_front()?;
        let same = head.method == method
            && same_target(&head.target, path_and_query)
            && same_headers(&head.headers, map);
        same.then_some(head)
    }
}

/// Whether the target as sent is the one hyper parsed into `path_and_query` (absolute and
/// authority forms, and fragments, which hyper's URI drops).
fn same_target(sent: &str, path_and_query: &str) -> bool {
    sent == path_and_query
        || sent
            .parse::<Uri>()
            .is_ok_and(|uri| uri.path_and_query().map_or("/", |pq| pq.as_str()) == path_and_query)
}

/// Whether `headers` (in arrival order) are exactly the entries of hyper's `map`. hyper keeps
/// one `Content-Length` of several equal ones (`3` and `03`, or `3, 3`): those only need to say
/// the same number.
fn same_headers(headers: &HeaderList, map: &HeaderMap) -> bool {
    let length = axum::http::header::CONTENT_LENGTH;
    let sent_lengths = headers.iter().filter(|h| h.is("content-length")).count();
    let parsed_lengths = map.get_all(&length).iter().count();
    let lengths_agree = match map.get(&length) {
        Some(v) => {
            let n = v.to_str().ok().and_then(parse_content_length);
            n.is_some()
                && sent_lengths > 0
                && headers
                    .iter()
                    .filter(|h| h.is("content-length"))
                    .all(|h| h.value_str().and_then(parse_content_length) == n)
        }
        None => sent_lengths == 0,
    };
    lengths_agree
        && headers.len() - sent_lengths == map.len() - parsed_lengths
        && headers.iter().filter(|h| !h.is("content-length")).all(|h| {
            map.get_all(h.name.as_str())
                .iter()
                .any(|v| v.as_bytes() == h.value.as_slice())
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Head,
    Fixed(u64),
    ChunkSize,
    ChunkData(u64),
    ChunkDataEnd,
    Trailers,
    Off,
}

/// Incremental HTTP/1.1 request framer.
#[derive(Debug)]
pub struct Framer {
    state: State,
    buf: Vec<u8>,
    /// Where to resume looking for the end of the head in `buf`.
    scan_from: usize,
    /// A complete head that did not parse, with the bytes read after it (up to
    /// [`MAX_REJECTED_BYTES`]).
    unparsed: Option<Vec<u8>>,
}

/// Most bytes of a malformed head kept for the record.
const MAX_REJECTED_BYTES: usize = 64 * 1024;

impl Default for Framer {
    fn default() -> Self {
        Framer {
            state: State::Head,
            buf: Vec::new(),
            scan_from: 0,
            unparsed: None,
        }
    }
}

impl Framer {
    /// Feed bytes read from the client; complete heads go to `out`.
    pub fn feed(&mut self, mut data: &[u8], out: &mut impl FnMut(RawHead)) {
        if self.state == State::Off {
            return;
        }
        // Fast path for body bytes: skip them without copying.
        if self.buf.is_empty()
            && let State::Fixed(n) = self.state
        {
            let take = n.min(data.len() as u64);
            data = &data[take as usize..];
            self.state = if n == take {
                State::Head
            } else {
                State::Fixed(n - take)
            };
        }
        self.buf.extend_from_slice(data);
        let mut pos = 0;
        while pos < self.buf.len() {
            let rest = &self.buf[pos..];
            match self.state {
                State::Off => break,
                State::Head => {
                    if self.scan_from == 0 {
                        let skip = rest.iter().take_while(|b| **b == b'\r' || **b == b'\n').count();
                        pos += skip;
                        if skip == rest.len() {
                            break;
                        }
                    }
                    let rest = &self.buf[pos..];
                    match find_head_end(rest, self.scan_from) {
                        Ok(end) => {
                            self.state = parse_head(&rest[..end], out).unwrap_or_else(|()| {
                                // The head and whatever came after it in what was read.
                                self.unparsed = Some(rest[..rest.len().min(MAX_REJECTED_BYTES)].to_vec());
                                State::Off
                            });
                            pos += end;
                            self.scan_from = 0;
                        }
                        Err(resume) => {
                            self.scan_from = resume;
                            if rest.len() > MAX_HEAD_BYTES {
                                self.state = State::Off;
                            }
                            break;
                        }
                    }
                }
                State::Fixed(n) => {
                    let take = n.min(rest.len() as u64);
                    pos += take as usize;
                    self.state = if n == take {
                        State::Head
                    } else {
                        State::Fixed(n - take)
                    };
                }
                State::ChunkSize | State::ChunkDataEnd => {
                    // hyper ends chunk-size lines and chunk data with CRLF, never a bare LF.
                    let Some(nl) = rest.iter().position(|b| *b == b'\n') else {
                        if rest.len() > 64 * 1024 {
                            self.state = State::Off;
                        }
                        break;
                    };
                    let Some(line) = rest[..nl].strip_suffix(b"\r") else {
                        self.state = State::Off;
                        break;
                    };
                    pos += nl + 1;
                    self.state = match (self.state, parse_chunk_size(line)) {
                        (State::ChunkSize, Some(0)) => State::Trailers,
                        (State::ChunkSize, Some(n)) => State::ChunkData(n),
                        (State::ChunkDataEnd, _) if line.is_empty() => State::ChunkSize,
                        _ => State::Off,
                    };
                }
                State::Trailers => {
                    // As hyper reads them: a trailer line runs to the first CR, which must be
                    // followed by LF (a bare LF is part of the line); an empty line ends them.
                    let Some(cr) = rest.iter().position(|b| *b == b'\r') else {
                        if rest.len() > MAX_HEAD_BYTES {
                            self.state = State::Off;
                        }
                        break;
                    };
                    match rest.get(cr + 1) {
                        None => break,
                        Some(b'\n') => {
                            pos += cr + 2;
                            if cr == 0 {
                                self.state = State::Head;
                            }
                        }
                        Some(_) => self.state = State::Off,
                    }
                }
                State::ChunkData(n) => {
                    let take = n.min(rest.len() as u64);
                    pos += take as usize;
                    self.state = if n == take {
                        State::ChunkDataEnd
                    } else {
                        State::ChunkData(n - take)
                    };
                }
            }
        }
        self.buf.drain(..pos.min(self.buf.len()));
        if self.state == State::Off {
            self.buf = Vec::new();
        }
    }
}

/// A chunk-size line's size (extensions after `;` ignored); leading zeros allowed, as hyper
/// allows them.
fn parse_chunk_size(line: &[u8]) -> Option<u64> {
    let hex = line.split(|b| *b == b';').next()?;
    let hex = std::str::from_utf8(hex).ok()?.trim_end_matches([' ', '\t']);
    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let significant = hex.trim_start_matches('0');
    if significant.len() > 16 {
        return None;
    }
    Some(u64::from_str_radix(significant, 16).unwrap_or(0))
}

/// A `Content-Length` value: one number, or a comma-separated list of equal numbers.
fn parse_content_length(value: &str) -> Option<u64> {
    let mut found = None;
    for part in value.split(',') {
        let n = part.trim().parse::<u64>().ok()?;
        if found.is_some_and(|m| m != n) {
            return None;
        }
        found = Some(n);
    }
    found
}

/// End of the head (index after the blank line), or where to resume scanning.
fn find_head_end(buf: &[u8], from: usize) -> Result<usize, usize> {
    let mut i = from;
    while let Some(off) = buf.get(i..).and_then(|s| s.iter().position(|b| *b == b'\n')) {
        let nl = i + off;
        match buf.get(nl + 1) {
            Some(b'\n') => return Ok(nl + 2),
            Some(b'\r') => match buf.get(nl + 2) {
                Some(b'\n') => return Ok(nl + 3),
                Some(_) => {}
                None => return Err(nl),
            },
            Some(_) => {}
            None => return Err(nl),
        }
        i = nl + 1;
    }
    Err(buf.len())
}

/// Parse one complete head, hand it out, and say how its body is framed.
fn parse_head(head: &[u8], out: &mut impl FnMut(RawHead)) -> Result<State, ()> {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut slots);
    let Ok(httparse::Status::Complete(_)) = req.parse(head) else {
        return Err(());
    };
    let (Some(method), Some(target)) = (req.method, req.path) else {
        return Err(());
    };
    let headers: HeaderList = HeaderList::from_pairs(req.headers.iter().map(|h| (h.name, h.value)));
    let mut chunked = false;
    let mut has_te = false;
    let mut length: Option<u64> = None;
    let mut bad_length = false;
    // A CONNECT answered 2xx turns the connection into a tunnel. Other `Upgrade` requests are
    // answered like any other (the receiver never sends 101), so the connection stays HTTP.
    let tunnel = method.eq_ignore_ascii_case("CONNECT");
    for h in &headers {
        if h.is("transfer-encoding") {
            has_te = true;
            let v = h.value_lossy().to_ascii_lowercase();
            chunked = v.rsplit(',').next().is_some_and(|last| last.trim() == "chunked");
        } else if h.is("content-length") {
            match (h.value_str().and_then(parse_content_length), length) {
                (Some(n), None) => length = Some(n),
                (Some(n), Some(m)) if n == m => {}
                _ => bad_length = true,
            }
        }
    }
    out(RawHead {
        method: method.to_string(),
        target: target.to_string(),
        headers,
    });
    Ok(if tunnel || (has_te && !chunked) {
        State::Off
    } else if chunked {
        // Transfer-Encoding wins over Content-Length.
        State::ChunkSize
    } else if bad_length {
        State::Off
    } else {
        match length {
            Some(0) | None => State::Head,
            Some(n) => State::Fixed(n),
        }
    })
}

/// A TCP stream that copies request heads into its [`ConnInfo`] as hyper reads them.
pub struct SniffStream {
    inner: TcpStream,
    framer: Framer,
    info: Arc<ConnInfo>,
}

impl SniffStream {
    pub fn new(inner: TcpStream, info: Arc<ConnInfo>) -> Self {
        SniffStream {
            inner,
            framer: Framer::default(),
            info,
        }
    }
}

impl AsyncRead for SniffStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let res = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = res {
            let info = &this.info;
            this.framer
                .feed(&buf.filled()[before..], &mut |head| info.push(head));
        }
        res
    }
}

impl Drop for SniffStream {
    /// What the framer could not parse, or a head it never saw the end of, is left with the
    /// connection's info: if hyper refused the request as malformed, the receiver records it.
    fn drop(&mut self) {
        let framer = &mut self.framer;
        let leftover = framer.unparsed.take().or_else(|| {
            (framer.state == State::Head && framer.buf.iter().any(|b| !b"\r\n".contains(b)))
                .then(|| framer.buf[..framer.buf.len().min(MAX_REJECTED_BYTES)].to_vec())
        });
        if let (Some(bytes), Ok(mut slot)) = (leftover, self.info.rejected.lock()) {
            *slot = Some(bytes);
        }
    }
}

impl AsyncWrite for SniffStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heads(chunks: &[&[u8]]) -> Vec<RawHead> {
        let mut f = Framer::default();
        let mut out = Vec::new();
        for c in chunks {
            f.feed(c, &mut |h| out.push(h));
        }
        out
    }

    #[test]
    fn keeps_order_case_and_repeats() {
        let h =
            heads(&[b"POST /a?x=1 HTTP/1.1\r\nX-B: 1\r\nhost: h\r\nX-b: 2\r\nContent-Length: 3\r\n\r\nabc"]);
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].method, "POST");
        assert_eq!(h[0].target, "/a?x=1");
        let names: Vec<_> = h[0].headers.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["X-B", "host", "X-b", "Content-Length"]);
    }

    #[test]
    fn follows_pipelined_requests_split_anywhere() {
        let wire: &[u8] = b"POST /1 HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello\
POST /2 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n\
GET /3 HTTP/1.1\n\n";
        for split in 1..wire.len() {
            let got = heads(&[&wire[..split], &wire[split..]]);
            let targets: Vec<_> = got.iter().map(|h| h.target.as_str()).collect();
            assert_eq!(targets, ["/1", "/2", "/3"], "split at {split}");
        }
        let bytewise: Vec<&[u8]> = wire.chunks(1).collect();
        assert_eq!(heads(&bytewise).len(), 3);
    }

    #[test]
    fn body_bytes_that_look_like_a_head_are_skipped() {
        let got = heads(&[b"POST /1 HTTP/1.1\r\nContent-Length: 22\r\n\r\nGET /evil HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n"]);
        let targets: Vec<_> = got.iter().map(|h| h.target.as_str()).collect();
        assert_eq!(targets, ["/1", "/2"]);
    }

    fn targets(chunks: &[&[u8]]) -> Vec<String> {
        heads(chunks).into_iter().map(|h| h.target).collect()
    }

    #[test]
    fn connect_and_garbage_switch_the_framer_off_but_upgrade_requests_do_not() {
        // The receiver never answers 101: a connection that asked to upgrade stays HTTP.
        assert_eq!(
            targets(&[b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\nGET /x HTTP/1.1\r\n\r\n"]),
            ["/ws", "/x"]
        );
        assert_eq!(
            targets(&[b"CONNECT h:443 HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\n\r\n"]),
            ["h:443"]
        );
        assert!(heads(&[b"\x00\x01 nonsense\r\n\r\nGET /x HTTP/1.1\r\n\r\n"]).is_empty());
    }

    #[test]
    fn chunk_lines_and_trailers_are_read_as_hyper_reads_them() {
        // A bare LF after the last chunk starts a trailer line for hyper, so the "request"
        // inside is trailer text, not a head.
        let wire: &[u8] = b"POST /1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\nPOST /1 HTTP/1.1\r\nX-Seq: injected\r\n\r\n\
POST /2 HTTP/1.1\r\nContent-Length: 1\r\n\r\nx";
        for split in 1..wire.len() {
            assert_eq!(
                targets(&[&wire[..split], &wire[split..]]),
                ["/1", "/2"],
                "split at {split}"
            );
        }
        // Bare LF where hyper wants CRLF: hyper fails the request, the framer stops.
        assert_eq!(
            targets(&[b"POST /1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\nx\r\n0\r\n\r\nGET /2 HTTP/1.1\r\n\r\n"]),
            ["/1"]
        );
        // Leading zeros beyond 16 digits, as hyper accepts them.
        assert_eq!(
            targets(&[b"POST /1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000003\r\nabc\r\n0\r\n\r\nGET /2 HTTP/1.1\r\n\r\n"]),
            ["/1", "/2"]
        );
    }

    #[test]
    fn content_length_lists_and_transfer_encoding_win() {
        assert_eq!(
            targets(&[b"POST /1 HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\nabcGET /2 HTTP/1.1\r\n\r\n"]),
            ["/1", "/2"]
        );
        assert_eq!(
            targets(&[b"POST /1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n1\r\na\r\n0\r\n\r\nGET /2 HTTP/1.1\r\n\r\n"]),
            ["/1", "/2"]
        );
        assert_eq!(parse_content_length("3, 4"), None);
        assert_eq!(parse_content_length("12"), Some(12));
    }

    #[test]
    fn a_head_is_taken_only_when_hyper_parsed_the_same_request() {
        let info = ConnInfo::new(([127, 0, 0, 1], 1).into());
        let head = |target: &str, value: &str| RawHead {
            method: "POST".into(),
            target: target.into(),
            headers: HeaderList::from_pairs([("X-Seq", value)]),
        };
        let mut map = HeaderMap::new();
        map.insert("x-seq", "1".parse().unwrap());
        info.push(head("http://h/p?q", "1"));
        assert!(info.take("POST", "/p?q", &map).is_some(), "absolute form");
        info.push(head("/frag#x", "1"));
        assert!(info.take("POST", "/frag", &map).is_some(), "fragment");
        info.push(head("/p", "other"));
        info.push(head("/p", "1"));
        assert!(
            info.take("POST", "/p", &map).is_none(),
            "another request's headers"
        );
        assert!(
            info.take("POST", "/p", &map).is_some(),
            "only the mismatched head was dropped"
        );

        // Equal Content-Lengths that hyper folded into one still match; different ones do not.
        let with_lengths = |values: &[&str]| RawHead {
            method: "POST".into(),
            target: "/w".into(),
            headers: HeaderList::from_pairs(
                std::iter::once(("Host", "h")).chain(values.iter().map(|v| ("Content-Length", *v))),
            ),
        };
        let mut map = HeaderMap::new();
        map.insert("host", "h".parse().unwrap());
        map.insert("content-length", "3".parse().unwrap());
        for (values, ok) in [
            (&["3", "3"][..], true),
            (&["03"][..], true),
            (&["3, 3"][..], true),
            (&["3"][..], true),
            (&["4"][..], false),
            (&["3", "4"][..], false),
            (&[][..], false),
        ] {
            info.push(with_lengths(values));
            assert_eq!(info.take("POST", "/w", &map).is_some(), ok, "{values:?}");
        }
    }

    #[test]
    fn non_utf8_header_values_are_kept() {
        let got = heads(&[b"POST / HTTP/1.1\r\nX-Raw: caf\xe9\r\n\r\n"]);
        assert_eq!(got[0].headers.0[0].value, b"caf\xe9");
    }
}
