//! Plain `http://` sends with an exact head.
//!
//! hyper frames the request body and parses the response, but it writes header names in lower
//! case and groups repeated names. [`HeadSwap`] sits between hyper and the socket and replaces
//! the head hyper wrote with the head hookscope computed ([`OutgoingRequest::head_bytes`]), so the
//! request line and headers go out byte for byte, in order and case, repeats kept.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::attempt::{FailureKind, SendFailure};
use super::request::Target;
use crate::capture::HeaderList;

/// Responses larger than this are cut (the first bytes are kept and the attempt says so). An
/// answer is kept to be looked at: a target answering gigabytes must not fill memory (up to 8
/// forwards run at once) or the database (every attempt is recorded).
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// Most header lines an answer may have.
const MAX_RESPONSE_HEADERS: usize = 1000;

/// A response as read.
pub struct RawResponse {
    pub status: u16,
    pub headers: HeaderList,
    pub body: Vec<u8>,
    /// Set when the body was cut at the cap (at most [`MAX_RESPONSE_BYTES`]).
    pub truncated: bool,
    /// The head arrived but the body did not finish (the server stalled past the deadline or
    /// broke the connection): status, headers and the bytes that came are kept with the reason.
    pub failure: Option<SendFailure>,
}

/// Append `chunk` to `out` up to `cap` bytes in all; `false` when it had to be cut there.
pub(crate) fn keep_within(out: &mut Vec<u8>, chunk: &[u8], cap: usize) -> bool {
    let room = cap.saturating_sub(out.len());
    out.extend_from_slice(&chunk[..chunk.len().min(room)]);
    chunk.len() <= room
}

/// What went wrong reading an answer's body, after its head had arrived.
pub(crate) fn body_failure(status: u16, received: usize, why: Option<String>) -> SendFailure {
    match why {
        None => SendFailure::new(
            FailureKind::IncompleteBody,
            format!(
                "the answer's head arrived ({status}) but its body did not finish before the timeout \
                 ({received} bytes of it arrived)"
            ),
        ),
        Some(why) => SendFailure::new(
            FailureKind::IncompleteBody,
            format!(
                "the answer's head arrived ({status}) but its body broke off after {received} bytes: {why}"
            ),
        ),
    }
}

/// Resolve, connect and send `head` + `body`; read the whole response.
pub async fn send(
    target: &Target,
    method: &str,
    head: Vec<u8>,
    body: Bytes,
    has_length: bool,
    max_body: usize,
    deadline: tokio::time::Instant,
) -> Result<RawResponse, SendFailure> {
    let stream = connect(target).await?;
    let _ = stream.set_nodelay(true);
    let io = TokioIo::new(HeadSwap::new(stream, head));
    let (mut sender, conn) = hyper::client::conn::http1::Builder::new()
        // Answers are looked at, not trusted: as many header lines as the receiver would take
        // from a request and more, not hyper's default 100.
        .max_headers(MAX_RESPONSE_HEADERS)
        .handshake::<_, Full<Bytes>>(io)
        .await
        .map_err(|e| broken(&e))?;
    let driver = tokio::spawn(async move {
        let _ = conn.await;
    });
    let result = exchange(&mut sender, method, body, has_length, max_body, deadline).await;
    driver.abort();
    result
}

async fn exchange(
    sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    method: &str,
    body: Bytes,
    has_length: bool,
    max_body: usize,
    deadline: tokio::time::Instant,
) -> Result<RawResponse, SendFailure> {
    let method = hyper::Method::from_bytes(method.as_bytes()).map_err(|_| {
        SendFailure::new(
            FailureKind::Invalid,
            format!("'{method}' is not a valid HTTP method"),
        )
    })?;
    let len = body.len();
    let mut builder = hyper::Request::builder().method(method).uri("/");
    if has_length {
        // Makes hyper frame the body by length; the value on the wire comes from our head.
        builder = builder.header(hyper::header::CONTENT_LENGTH, len);
    }
    let request = builder
        .body(Full::new(body))
        .map_err(|e| SendFailure::new(FailureKind::Invalid, format!("cannot build the request: {e}")))?;
    let response = sender.send_request(request).await.map_err(|e| broken(&e))?;
    let status = response.status().as_u16();
    let headers = HeaderList::from_pairs(
        response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec())),
    );
    let mut incoming = response.into_body();
    let mut out = Vec::new();
    let mut truncated = false;
    let mut failure = None;
    loop {
        let frame = match tokio::time::timeout_at(deadline, incoming.frame()).await {
            Ok(Some(Ok(frame))) => frame,
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                failure = Some(body_failure(status, out.len(), Some(broken(&e).message)));
                break;
            }
            Err(_) => {
                failure = Some(body_failure(status, out.len(), None));
                break;
            }
        };
        if let Ok(data) = frame.into_data()
            && !keep_within(&mut out, &data, max_body)
        {
            truncated = true;
            break;
        }
    }
    Ok(RawResponse {
        status,
        headers,
        body: out,
        truncated,
        failure,
    })
}

/// Resolve the host and connect to the first address that accepts.
async fn connect(target: &Target) -> Result<TcpStream, SendFailure> {
    let addrs: Vec<_> = match tokio::net::lookup_host((target.host.as_str(), target.port)).await {
        Ok(a) => a.collect(),
        Err(e) => {
            return Err(SendFailure::new(
                FailureKind::Dns,
                format!("DNS lookup failed for {}: {e}", target.host),
            ));
        }
    };
    if addrs.is_empty() {
        return Err(SendFailure::new(
            FailureKind::Dns,
            format!("DNS lookup for {} returned no address", target.host),
        ));
    }
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(s) => return Ok(s),
            Err(e) => last = Some((addr, e)),
        }
    }
    let Some((addr, e)) = last else {
        return Err(SendFailure::new(FailureKind::Connect, "no address to connect to"));
    };
    Err(connect_failure(&addr.to_string(), &e))
}

/// A connect error in plain words.
pub fn connect_failure(addr: &str, e: &io::Error) -> SendFailure {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => SendFailure::new(
            FailureKind::Refused,
            format!("connection refused by {addr} (nothing is listening there)"),
        ),
        io::ErrorKind::TimedOut => {
            SendFailure::new(FailureKind::Timeout, format!("connecting to {addr} timed out"))
        }
        _ => SendFailure::new(FailureKind::Connect, format!("cannot connect to {addr}: {e}")),
    }
}

fn broken(e: &hyper::Error) -> SendFailure {
    if e.is_incomplete_message() || e.is_canceled() || e.is_closed() {
        SendFailure::new(
            FailureKind::Protocol,
            "the server closed the connection before a complete response",
        )
    } else if e.is_parse() {
        SendFailure::new(
            FailureKind::Protocol,
            format!("the server's answer is not valid HTTP/1.1: {e}"),
        )
    } else {
        SendFailure::new(FailureKind::Protocol, format!("the connection failed: {e}"))
    }
}

/// Passes reads through; replaces the first request head written with `head`.
struct HeadSwap<S> {
    inner: S,
    /// The head to write instead of hyper's.
    head: Option<Vec<u8>>,
    /// hyper's head so far, until its blank line is seen.
    seen: Vec<u8>,
    /// Bytes accepted from hyper but not yet written to the socket.
    pending: Vec<u8>,
    pending_from: usize,
}

impl<S> HeadSwap<S> {
    fn new(inner: S, head: Vec<u8>) -> Self {
        HeadSwap {
            inner,
            head: Some(head),
            seen: Vec::new(),
            pending: Vec::new(),
            pending_from: 0,
        }
    }
}

impl<S: AsyncWrite + Unpin> HeadSwap<S> {
    /// Write out `pending`; `Ready(Ok)` once it is all on the socket.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.pending_from < self.pending.len() {
            match Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.pending_from..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => self.pending_from += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        self.pending.clear();
        self.pending_from = 0;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for HeadSwap<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for HeadSwap<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if let Some(head) = &this.head {
            // Still inside hyper's head: swallow it; once complete, queue ours and the rest.
            let before = this.seen.len();
            this.seen.extend_from_slice(data);
            let from = before.saturating_sub(3);
            if let Some(pos) = this.seen[from..].windows(4).position(|w| w == b"\r\n\r\n") {
                let end = from + pos + 4;
                let mut out = head.clone();
                out.extend_from_slice(&this.seen[end..]);
                this.pending = out;
                this.pending_from = 0;
                this.head = None;
                this.seen = Vec::new();
            }
            return Poll::Ready(Ok(data.len()));
        }
        match this.drain(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.inner).poll_write(cx, data),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match this.drain(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.inner).poll_flush(cx),
            other => other,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match this.drain(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.inner).poll_shutdown(cx),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt as _;

    #[tokio::test]
    async fn head_is_swapped_and_body_passes_through() {
        let (a, mut b) = tokio::io::duplex(1 << 16);
        let mut swap = HeadSwap::new(a, b"POST /X HTTP/1.1\r\nX-Case: 1\r\n\r\n".to_vec());
        // hyper may split its head across writes and append the body to the last one.
        swap.write_all(b"POST / HTTP/1.1\r\nx-case: 1\r").await.unwrap();
        swap.write_all(b"\n\r\nbo").await.unwrap();
        swap.write_all(b"dy").await.unwrap();
        swap.flush().await.unwrap();
        drop(swap);
        let mut got = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut b, &mut got)
            .await
            .unwrap();
        assert_eq!(got, b"POST /X HTTP/1.1\r\nX-Case: 1\r\n\r\nbody");
    }
}
