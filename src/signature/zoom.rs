//! Zoom: `x-zm-signature: v0=<hex HMAC-SHA256("v0:{x-zm-request-timestamp}:" + JSON.stringify(JSON.parse(body)))>`.
//! A re-serialization scheme: the official receiver hashes the compact form of the parsed body, so
//! a pretty body signed in compact form is valid and an HMAC over the raw pretty bytes is not. The
//! timestamp is signed but its age is not checked (unless a tolerance is set explicitly).

use super::common::{
    Window, check_clock, hex_lower, hmac, js_reserialize, parse_unix, require, sign_secs, strip_prefix,
};
use super::engine::Spec;
use super::{
    Encoding, HmacAlgorithm, Reason, RequestParts, SignError, SignParams, Signed, Verification, VerifyOptions,
};

pub(crate) const SIGNATURE: &str = "x-zm-signature";
pub(crate) const TIMESTAMP: &str = "x-zm-request-timestamp";
const SCHEME: &str = "zoom";

fn message(ts: &str, compact_body: &[u8]) -> Vec<u8> {
    [b"v0:", ts.as_bytes(), b":", compact_body].concat()
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
    let mut spec = Spec::new(
        SCHEME,
        HmacAlgorithm::Sha256,
        Encoding::Hex,
        key,
        SIGNATURE,
        value,
        req,
    );
    // The age is only checked when a tolerance was set explicitly; the skew is shown when it parses.
    if tolerance.is_some() {
        let ts = parse_unix(SCHEME, TIMESTAMP, ts_text)?;
        let (skew, failure) = check_clock(
            opts.now_unix,
            ts.saturating_mul(1000),
            tolerance,
            Window::Both,
            "the x-zm-request-timestamp",
        );
        spec.skew_secs = skew;
        spec.after_match = failure;
    } else if let Ok(ts) = ts_text.parse::<i64>() {
        spec.skew_secs = check_clock(opts.now_unix, ts.saturating_mul(1000), None, Window::Both, "").0;
    }
    spec.candidates = vec![sig.to_string()];
    spec.reserialized = true;
    let ts_text = ts_text.to_string();
    spec.message = Box::new(move |_, body| message(&ts_text, body));
    spec.render = Box::new(|enc| format!("v0={enc}"));
    Ok(spec)
}

pub(crate) fn sign(key: &[u8], p: &SignParams) -> Result<Signed, SignError> {
    let compact = js_reserialize(p.body).ok_or_else(|| SignError::BodyNotJson {
        scheme: SCHEME.into(),
    })?;
    let ts = sign_secs(p).to_string();
    let mac = hmac(HmacAlgorithm::Sha256, key, &[&message(&ts, &compact)]);
    Ok(Signed {
        headers: vec![
            (TIMESTAMP.to_string(), ts),
            (SIGNATURE.to_string(), format!("v0={}", hex_lower(&mac))),
        ],
        url: None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Scheme, sign as sign_any, verify};
    use super::*;
    use crate::capture::HeaderList;

    const SECRET: &str = "zoom-secret-token";
    const PRETTY: &[u8] =
        b"{\n  \"event\": \"meeting.ended\",\n  \"event_ts\": 1760000000456,\n  \"payload\": {}\n}\n";

    fn headers_for(body: &[u8]) -> HeaderList {
        let p = SignParams {
            body,
            timestamp: Some(1000),
            ..SignParams::default()
        };
        HeaderList::from_pairs(sign_any(&Scheme::Zoom, SECRET, &p).unwrap().headers)
    }

    fn check(headers: &HeaderList, body: &[u8], opts: VerifyOptions) -> Verification {
        let req = RequestParts {
            method: "POST",
            url: "",
            headers,
            body,
        };
        verify(&Scheme::Zoom, SECRET, &req, &opts)
    }

    #[test]
    fn pretty_and_compact_bodies_share_a_signature() {
        let h = headers_for(PRETTY);
        let v = check(&h, PRETTY, VerifyOptions::default());
        assert!(v.valid, "{v:?}");
        assert_eq!(
            v.note.as_deref(),
            Some("signature covers re-serialized JSON, not the bytes received")
        );
        let compact = js_reserialize(PRETTY).unwrap();
        assert!(check(&h, &compact, VerifyOptions::default()).valid);
    }

    #[test]
    fn raw_bytes_signature_is_named() {
        let mac = hmac(
            HmacAlgorithm::Sha256,
            SECRET.as_bytes(),
            &[&message("1000", PRETTY)],
        );
        let h = HeaderList::from_pairs([
            (SIGNATURE, format!("v0={}", hex_lower(&mac))),
            (TIMESTAMP, "1000".to_string()),
        ]);
        let v = check(&h, PRETTY, VerifyOptions::default());
        assert_eq!(v.reason, Reason::SignatureOverRawBytesNotReserialized);
    }

    #[test]
    fn no_clock_unless_asked() {
        let h = headers_for(b"{}");
        let far = VerifyOptions {
            now_unix: Some(1_000_000),
            tolerance_secs: None,
        };
        let v = check(&h, b"{}", far);
        assert!(v.valid);
        assert_eq!(v.skew_secs, Some(999_000));
        let strict = VerifyOptions {
            now_unix: Some(1_000_000),
            tolerance_secs: Some(300),
        };
        assert_eq!(check(&h, b"{}", strict).reason, Reason::TimestampOutsideTolerance);
    }

    #[test]
    fn sign_requires_json_and_tamper_fails() {
        let p = SignParams {
            body: b"<xml/>",
            ..SignParams::default()
        };
        assert!(matches!(
            sign_any(&Scheme::Zoom, SECRET, &p),
            Err(SignError::BodyNotJson { .. })
        ));
        let h = headers_for(PRETTY);
        let changed = String::from_utf8(PRETTY.to_vec()).unwrap().replace("456", "457");
        assert_eq!(
            check(&h, changed.as_bytes(), VerifyOptions::default()).reason,
            Reason::BodyModified
        );
        assert_eq!(
            check(&h, b"not json", VerifyOptions::default()).reason,
            Reason::InvalidJsonBody
        );
    }
}
