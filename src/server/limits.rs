//! What a client may send the receiver, and how long it may take.
//!
//! Every limit is a named constant; [`Limits`] carries them to the connection builder and the
//! handler so tests can shorten the timeouts instead of waiting for them.
//!
//! | situation | answer |
//! | --- | --- |
//! | head (request line + headers) over [`MAX_HEAD_BYTES`] | `431`, connection closed, nothing stored |
//! | more than [`MAX_HEADERS`] header lines | `431`, connection closed, nothing stored |
//! | head not complete within [`HEADER_READ_TIMEOUT`] (slowloris, idle connection) | connection closed, nothing stored |
//! | body pauses longer than [`BODY_IDLE_TIMEOUT`] | `408`, stored with what arrived, marked incomplete |
//! | body still arriving after [`BODY_GRACE`] at under [`MIN_BODY_BYTES_PER_SEC`] on average (a trickle) | `408`, stored with what arrived, marked incomplete |
//! | client disconnects mid-body | stored with what arrived, marked incomplete (answer `400`, which nobody reads) |
//! | body over the body cap | `413`, stored with the first bytes, marked oversized |
//!
//! "Marked incomplete": the recorded response carries the status above and an error starting
//! with [`INCOMPLETE_PREFIX`], and `body_len` is less than the declared `Content-Length` when
//! there was one (see [`crate::capture::Capture::incomplete`]).

use std::time::Duration;

/// How long a client may take to send a complete request head. Also closes connections that
/// stay open without sending anything.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest pause allowed between two pieces of a body.
pub const BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a body may take before its average rate is checked.
pub const BODY_GRACE: Duration = Duration::from_secs(30);
/// Slowest average body rate accepted after [`BODY_GRACE`]: a client trickling a byte now and
/// then (never pausing long enough for [`BODY_IDLE_TIMEOUT`]) cannot hold a connection for ever.
pub const MIN_BODY_BYTES_PER_SEC: u64 = 1024;
/// Largest request head (request line and headers) accepted.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Most header lines accepted in one head. This is hyper's default, left in place on purpose:
/// asking hyper for another number moves its header buffer to the heap for every request.
pub const MAX_HEADERS: usize = 100;
/// Start of the recorded error of a request whose body did not arrive completely.
pub use crate::capture::INCOMPLETE_BODY as INCOMPLETE_PREFIX;

/// The receiver's limits; [`Limits::default`] holds the constants above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub body_idle_timeout: Duration,
    pub body_grace: Duration,
    pub min_body_bytes_per_sec: u64,
    pub max_head_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: HEADER_READ_TIMEOUT,
            body_idle_timeout: BODY_IDLE_TIMEOUT,
            body_grace: BODY_GRACE,
            min_body_bytes_per_sec: MIN_BODY_BYTES_PER_SEC,
            max_head_bytes: MAX_HEAD_BYTES,
        }
    }
}

/// `30 s`, `250 ms`: a duration as the receiver's messages spell it.
pub(crate) fn describe(d: Duration) -> String {
    if d.subsec_millis() == 0 && d.as_secs() > 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_named_constants() {
        let l = Limits::default();
        assert_eq!(l.header_read_timeout, HEADER_READ_TIMEOUT);
        assert_eq!(l.body_idle_timeout, BODY_IDLE_TIMEOUT);
        assert_eq!(l.body_grace, BODY_GRACE);
        assert_eq!(l.min_body_bytes_per_sec, MIN_BODY_BYTES_PER_SEC);
        assert_eq!(l.max_head_bytes, MAX_HEAD_BYTES);
        assert_eq!(describe(Duration::from_secs(30)), "30 s");
        assert_eq!(describe(Duration::from_millis(300)), "300 ms");
    }
}
