//! Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256("v0:{X-Slack-Request-Timestamp}:{body}")>`, keyed
//! with the signing secret as text (it looks like hex but is not decoded), ±300 s.

use super::common::{Window, check_clock, hex_lower, hmac, parse_unix, require, sign_secs, strip_prefix};
use super::engine::Spec;
use super::{Encoding, HmacAlgorithm, Reason, RequestParts, SignParams, Signed, Verification, VerifyOptions};

pub(crate) const SIGNATURE: &str = "X-Slack-Signature";
pub(crate) const TIMESTAMP: &str = "X-Slack-Request-Timestamp";
const SCHEME: &str = "slack";

fn message(ts: &str, body: &[u8]) -> Vec<u8> {
    [b"v0:", ts.as_bytes(), b":", body].concat()
}

pub(crate) fn prepare<'a>(
    key: Vec<u8>,
    req: &RequestParts<'a>,
    opts: &VerifyOptions,
    tolerance: Option<u64>,
) -> Result<Spec<'a>, Box<Verification>> {
    let value = require(SCHEME, req, SIGNATURE, false)?;
    let ts_text = require(SCHEME, req, TIMESTAMP, true)?;
    let sig = strip_prefix(value, "v0=").map_err(|why| {
        Verification::failure(SCHEME, Reason::MalformedHeader, why).with_header(SIGNATURE, Some(value))
    })?;
    let ts = parse_unix(SCHEME, TIMESTAMP, ts_text)?;
    let (skew, failure) = check_clock(
        opts.now_unix,
        ts.saturating_mul(1000),
        tolerance,
        Window::Both,
        "the X-Slack-Request-Timestamp",
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
    let ts_text = ts_text.to_string();
    spec.message = Box::new(move |_, body| message(&ts_text, body));
    spec.render = Box::new(|enc| format!("v0={enc}"));
    Ok(spec)
}

pub(crate) fn sign(key: &[u8], p: &SignParams) -> Signed {
    let ts = sign_secs(p).to_string();
    let mac = hmac(HmacAlgorithm::Sha256, key, &[&message(&ts, p.body)]);
    Signed {
        headers: vec![
            (TIMESTAMP.to_string(), ts),
            (SIGNATURE.to_string(), format!("v0={}", hex_lower(&mac))),
        ],
        url: None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Scheme, sign as sign_any, verify};
    use super::*;
    use crate::capture::HeaderList;

    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

    fn headers_for(body: &[u8], ts: i64) -> HeaderList {
        let p = SignParams {
            body,
            timestamp: Some(ts),
            ..SignParams::default()
        };
        HeaderList::from_pairs(sign_any(&Scheme::Slack, SECRET, &p).unwrap().headers)
    }

    fn check(headers: &HeaderList, body: &[u8], now: i64) -> Verification {
        let req = RequestParts {
            method: "POST",
            url: "",
            headers,
            body,
        };
        verify(
            &Scheme::Slack,
            SECRET,
            &req,
            &VerifyOptions {
                now_unix: Some(now),
                tolerance_secs: None,
            },
        )
    }

    #[test]
    fn slack_documented_example() {
        // Slack's "Verifying requests" walkthrough.
        let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        let h = headers_for(body, 1_531_420_618);
        assert_eq!(
            h.get(SIGNATURE),
            Some("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")
        );
    }

    #[test]
    fn round_trip_and_failures() {
        let body = b"{\"event\":{\"ts\":\"1\"}}";
        let h = headers_for(body, 1000);
        assert!(check(&h, body, 1003).valid);
        assert_eq!(check(&h, body, 699).reason, Reason::TimestampOutsideTolerance);
        assert_eq!(check(&h, body, 1301).reason, Reason::TimestampOutsideTolerance);
        assert_eq!(
            check(&h, b"{\"event\":{\"ts\":\"2\"}}", 1000).reason,
            Reason::BodyModified
        );
        let mut bad = h.clone();
        bad.set(SIGNATURE, h.get(SIGNATURE).unwrap().replace("v0=", "v1="));
        let v = check(&bad, body, 1000);
        assert_eq!(v.reason, Reason::MalformedHeader);
        assert!(v.explanation.contains("'v1='"), "{}", v.explanation);
        let mut no_ts = h.clone();
        no_ts.remove(TIMESTAMP);
        let v = check(&no_ts, body, 1000);
        assert_eq!(v.reason, Reason::MissingHeader);
        assert!(v.explanation.contains(TIMESTAMP));
    }
}
