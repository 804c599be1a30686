//! `HubSpot` v3: `X-HubSpot-Signature-v3: <base64 HMAC-SHA256(method + url + body + timestamp)>`, with
//! `X-HubSpot-Request-Timestamp` in Unix milliseconds; older than 300 s is rejected.

use super::common::{Window, b64, check_clock, hmac, require, url_variants};
use super::engine::Spec;
use super::{
    Encoding, HmacAlgorithm, Reason, RequestParts, SignError, SignParams, Signed, Verification, VerifyOptions,
};

pub(crate) const SIGNATURE: &str = "X-HubSpot-Signature-v3";
pub(crate) const TIMESTAMP: &str = "X-HubSpot-Request-Timestamp";
const SCHEME: &str = "hubspot-v3";

fn message(method: &str, url: &str, body: &[u8], ts: &str) -> Vec<u8> {
    [
        method.to_ascii_uppercase().as_bytes(),
        url.as_bytes(),
        body,
        ts.as_bytes(),
    ]
    .concat()
}

pub(crate) fn prepare<'a>(
    key: Vec<u8>,
    req: &RequestParts<'a>,
    opts: &VerifyOptions,
    tolerance: Option<u64>,
) -> Result<Spec<'a>, Box<Verification>> {
    let value = require(SCHEME, req, SIGNATURE, false)?;
    let ts_text = require(SCHEME, req, TIMESTAMP, true)?;
    let ts_ms = ts_text.parse::<i64>().map_err(|_| {
        Verification::failure(
            SCHEME,
            Reason::MalformedHeader,
            format!("the {TIMESTAMP} value '{ts_text}' is not a Unix timestamp in milliseconds"),
        )
        .with_header(TIMESTAMP, Some(ts_text))
    })?;
    let (skew, failure) = check_clock(
        opts.now_unix,
        ts_ms,
        tolerance,
        Window::PastOnly,
        "the request timestamp",
    );
    let mut spec = Spec::new(
        SCHEME,
        HmacAlgorithm::Sha256,
        Encoding::Base64,
        key,
        SIGNATURE,
        value,
        req,
    );
    spec.candidates = vec![value.to_string()];
    spec.skew_secs = skew;
    spec.after_match = failure;
    spec.url_alternatives = url_variants(req.url);
    spec.mismatch_hint = Some(format!(
        "HubSpot also signs the method and the URL, here taken as {} {}",
        req.method.to_ascii_uppercase(),
        req.url
    ));
    let (method, ts_text) = (req.method.to_string(), ts_text.to_string());
    spec.message = Box::new(move |url, body| message(&method, url, body, &ts_text));
    Ok(spec)
}

pub(crate) fn sign(key: &[u8], p: &SignParams) -> Result<Signed, SignError> {
    if p.url.is_empty() {
        return Err(SignError::MissingUrl {
            scheme: SCHEME.into(),
        });
    }
    let ts_ms = p
        .timestamp_ms
        .or(p.timestamp.map(|s| s.saturating_mul(1000)))
        .unwrap_or(p.now_unix.saturating_mul(1000));
    let ts = ts_ms.to_string();
    let method = if p.method.is_empty() { "POST" } else { p.method };
    let mac = hmac(
        HmacAlgorithm::Sha256,
        key,
        &[&message(method, p.url, p.body, &ts)],
    );
    Ok(Signed {
        headers: vec![(TIMESTAMP.to_string(), ts), (SIGNATURE.to_string(), b64(&mac))],
        url: None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Scheme, sign as sign_any, verify};
    use super::*;
    use crate::capture::HeaderList;

    const SECRET: &str = "c90a4912-b2de-4cf6-8e68-ab97b0c7c112";
    const URL: &str = "https://hooks.example.com/hubspot?portalId=1";

    fn headers(method: &str, url: &str, body: &[u8], ts_ms: i64) -> HeaderList {
        let p = SignParams {
            method,
            url,
            body,
            timestamp_ms: Some(ts_ms),
            ..SignParams::default()
        };
        HeaderList::from_pairs(sign_any(&Scheme::HubspotV3, SECRET, &p).unwrap().headers)
    }

    fn check(h: &HeaderList, method: &str, url: &str, body: &[u8], now: i64) -> Verification {
        let req = RequestParts {
            method,
            url,
            headers: h,
            body,
        };
        verify(
            &Scheme::HubspotV3,
            SECRET,
            &req,
            &VerifyOptions {
                now_unix: Some(now),
                tolerance_secs: None,
            },
        )
    }

    #[test]
    fn round_trip_post_and_get() {
        let h = headers("POST", URL, b"[{\"eventId\":1}]", 1_000_250);
        assert!(check(&h, "post", URL, b"[{\"eventId\":1}]", 1003).valid);
        let g = headers("GET", URL, b"", 1_000_250);
        assert!(check(&g, "GET", URL, b"", 1003).valid);
        assert_eq!(check(&g, "POST", URL, b"", 1003).reason, Reason::WrongSecret);
    }

    #[test]
    fn clock_is_past_only_in_milliseconds() {
        let h = headers("POST", URL, b"{}", 1_000_000);
        assert!(check(&h, "POST", URL, b"{}", 1300).valid);
        let v = check(&h, "POST", URL, b"{}", 1301);
        assert_eq!(v.reason, Reason::TimestampOutsideTolerance);
        assert_eq!(v.skew_secs, Some(301));
        assert!(check(&h, "POST", URL, b"{}", 10).valid);
    }

    #[test]
    fn url_and_prefix_problems() {
        let h = headers("POST", &URL.replace("https", "http"), b"{}", 1_000_000);
        assert_eq!(
            check(&h, "POST", URL, b"{}", 1000).reason,
            Reason::NotificationUrlMismatch
        );
        let mut h = headers("POST", URL, b"{}", 1_000_000);
        let sig = h.get(SIGNATURE).unwrap().to_string();
        h.set(SIGNATURE, format!("v3={sig}"));
        let v = check(&h, "POST", URL, b"{}", 1000);
        assert_eq!(v.reason, Reason::MalformedHeader);
        assert!(v.explanation.contains("'v3='"), "{}", v.explanation);
        let p = SignParams {
            body: b"{}",
            ..SignParams::default()
        };
        assert!(matches!(
            sign_any(&Scheme::HubspotV3, SECRET, &p),
            Err(SignError::MissingUrl { .. })
        ));
    }
}
