//! Twitch `EventSub`: `Twitch-Eventsub-Message-Signature: sha256=<hex HMAC-SHA256(id + timestamp + body)>`,
//! the timestamp used verbatim as RFC 3339 with nanoseconds; messages older than 10 minutes are
//! rejected (future ones are not).

use super::common::{Window, check_clock, hex_lower, hmac, require, sign_secs, strip_prefix};
use super::engine::Spec;
use super::{
    Encoding, HmacAlgorithm, Reason, RequestParts, SignError, SignParams, Signed, Verification, VerifyOptions,
};

pub(crate) const ID: &str = "Twitch-Eventsub-Message-Id";
pub(crate) const TIMESTAMP: &str = "Twitch-Eventsub-Message-Timestamp";
pub(crate) const SIGNATURE: &str = "Twitch-Eventsub-Message-Signature";
const SCHEME: &str = "twitch";

fn message(id: &str, ts: &str, body: &[u8]) -> Vec<u8> {
    [id.as_bytes(), ts.as_bytes(), body].concat()
}

fn parse_ts_ms(ts: &str) -> Option<i64> {
    let t: jiff::Timestamp = ts.parse().ok()?;
    Some(t.as_millisecond())
}

pub(crate) fn prepare<'a>(
    key: Vec<u8>,
    req: &RequestParts<'a>,
    opts: &VerifyOptions,
    tolerance: Option<u64>,
) -> Result<Spec<'a>, Box<Verification>> {
    let value = require(SCHEME, req, SIGNATURE, false)?;
    let id = require(SCHEME, req, ID, true)?;
    let ts_text = require(SCHEME, req, TIMESTAMP, true)?;
    let sig = strip_prefix(value, "sha256=").map_err(|why| {
        Verification::failure(SCHEME, Reason::MalformedHeader, why).with_header(SIGNATURE, Some(value))
    })?;
    let ts_ms = parse_ts_ms(ts_text).ok_or_else(|| {
        Verification::failure(
            SCHEME,
            Reason::MalformedHeader,
            format!("the {TIMESTAMP} value '{ts_text}' is not an RFC 3339 timestamp"),
        )
        .with_header(TIMESTAMP, Some(ts_text))
    })?;
    let (skew, failure) = check_clock(
        opts.now_unix,
        ts_ms,
        tolerance,
        Window::PastOnly,
        "the message timestamp",
    );
    let mut spec = Spec::new(
        SCHEME,
        HmacAlgorithm::Sha256,
        Encoding::Hex,
        key,
        SIGNATURE,
        value,
        req,
    );
    spec.candidates = vec![sig.to_string()];
    spec.skew_secs = skew;
    spec.after_match = failure;
    let (id, ts_text) = (id.to_string(), ts_text.to_string());
    spec.message = Box::new(move |_, body| message(&id, &ts_text, body));
    spec.render = Box::new(|enc| format!("sha256={enc}"));
    Ok(spec)
}

pub(crate) fn sign(key: &[u8], p: &SignParams) -> Result<Signed, SignError> {
    let id = p.id.map_or_else(super::common::fresh_id, str::to_string);
    let ts = if let Some(s) = p.timestamp_str {
        parse_ts_ms(s).ok_or_else(|| SignError::InvalidTimestamp(format!("'{s}' is not RFC 3339")))?;
        s.to_string()
    } else {
        let secs = sign_secs(p);
        let t = jiff::Timestamp::from_second(secs)
            .map_err(|e| SignError::InvalidTimestamp(format!("{secs}: {e}")))?;
        format!("{t:.9}")
    };
    let mac = hmac(HmacAlgorithm::Sha256, key, &[&message(&id, &ts, p.body)]);
    Ok(Signed {
        headers: vec![
            (ID.to_string(), id),
            (TIMESTAMP.to_string(), ts),
            (SIGNATURE.to_string(), format!("sha256={}", hex_lower(&mac))),
        ],
        url: None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Scheme, sign as sign_any, verify};
    use super::*;
    use crate::capture::HeaderList;

    const SECRET: &str = "twitch-secret-0123456789";
    const BODY: &[u8] = br#"{"subscription":{"type":"channel.follow"},"event":{"user_id":"1234"}}"#;

    fn headers(ts: &str) -> HeaderList {
        let p = SignParams {
            body: BODY,
            timestamp_str: Some(ts),
            id: Some("m-1"),
            ..SignParams::default()
        };
        HeaderList::from_pairs(sign_any(&Scheme::Twitch, SECRET, &p).unwrap().headers)
    }

    fn check(h: &HeaderList, body: &[u8], now: i64) -> Verification {
        let req = RequestParts {
            method: "POST",
            url: "",
            headers: h,
            body,
        };
        verify(
            &Scheme::Twitch,
            SECRET,
            &req,
            &VerifyOptions {
                now_unix: Some(now),
                tolerance_secs: None,
            },
        )
    }

    #[test]
    fn round_trip_with_verbatim_timestamp() {
        let h = headers("2025-10-09T08:53:20.123456789Z");
        assert_eq!(h.get(TIMESTAMP), Some("2025-10-09T08:53:20.123456789Z"));
        let v = check(&h, BODY, 1_760_000_003);
        assert!(v.valid, "{v:?}");
        assert_eq!(v.skew_secs, Some(3));
        // Future timestamps pass, stale ones fail.
        assert!(check(&h, BODY, 1_759_990_000).valid);
        assert_eq!(
            check(&h, BODY, 1_760_000_700).reason,
            Reason::TimestampOutsideTolerance
        );
    }

    #[test]
    fn sign_formats_timestamp_and_makes_an_id() {
        let p = SignParams {
            body: BODY,
            timestamp: Some(1_760_000_000),
            ..SignParams::default()
        };
        let s = sign_any(&Scheme::Twitch, SECRET, &p).unwrap();
        assert_eq!(s.header(TIMESTAMP), Some("2025-10-09T08:53:20.000000000Z"));
        assert_eq!(s.header(ID).unwrap().len(), 36);
        let bad = SignParams {
            timestamp_str: Some("yesterday"),
            ..p
        };
        assert!(matches!(
            sign_any(&Scheme::Twitch, SECRET, &bad),
            Err(SignError::InvalidTimestamp(_))
        ));
    }

    #[test]
    fn missing_id_and_malformed() {
        let mut h = headers("2025-10-09T08:53:20.123456789Z");
        let sig = h.get(SIGNATURE).unwrap().to_string();
        h.set(SIGNATURE, sig.trim_start_matches("sha256="));
        assert_eq!(check(&h, BODY, 1_760_000_000).reason, Reason::MalformedHeader);
        h.set(SIGNATURE, sig);
        h.set(TIMESTAMP, "not a time");
        assert_eq!(check(&h, BODY, 1_760_000_000).reason, Reason::MalformedHeader);
        h.remove(ID);
        let v = check(&h, BODY, 1_760_000_000);
        assert_eq!(v.reason, Reason::MissingHeader);
        assert!(v.explanation.contains(ID));
    }
}
