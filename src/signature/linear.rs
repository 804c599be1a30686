//! Linear: `Linear-Signature: <bare hex HMAC-SHA256 of the raw body>`. Replay protection lives in
//! the signed body: a numeric `webhookTimestamp` (Unix milliseconds) within ±60 s of now.

use super::common::{BodyMac, Window, check_clock};
use super::engine::{Failure, Spec};
use super::{Encoding, HmacAlgorithm, Reason, RequestParts, Verification, VerifyOptions};

pub(crate) static LINEAR: BodyMac = BodyMac {
    scheme: "linear",
    header: "Linear-Signature",
    prefix: "",
    alg: HmacAlgorithm::Sha256,
    encoding: Encoding::Hex,
    reserialized: false,
    signs_url: false,
};

/// The body's `webhookTimestamp` in milliseconds, or why there is none.
fn body_timestamp(body: &[u8]) -> Result<i64, String> {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Err(
            "the signature is right but the body is not a JSON object, so it has no webhookTimestamp, \
                    which Linear's replay check requires"
                .into(),
        );
    };
    match value.get("webhookTimestamp") {
        None => Err(
            "the signature is right but the body has no webhookTimestamp, which Linear's replay check \
                     requires"
                .into(),
        ),
        Some(n) => match n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)) {
            Some(ms) => Ok(ms),
            None => Err(format!(
                "the signature is right but the body's webhookTimestamp is not a number of milliseconds ({n})"
            )),
        },
    }
}

pub(crate) fn prepare<'a>(
    key: Vec<u8>,
    req: &RequestParts<'a>,
    opts: &VerifyOptions,
    tolerance: Option<u64>,
) -> Result<Spec<'a>, Box<Verification>> {
    let mut spec = LINEAR.prepare(key, req)?;
    match body_timestamp(req.body) {
        Ok(ms) => {
            let (skew, failure) = check_clock(
                opts.now_unix,
                ms,
                tolerance,
                Window::Both,
                "the body's webhookTimestamp",
            );
            spec.skew_secs = skew;
            spec.after_match = failure;
        }
        Err(explanation) => {
            spec.after_match = Some(Failure {
                reason: Reason::MissingBodyTimestamp,
                explanation,
            });
        }
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::super::{Scheme, SignParams, sign, verify};
    use super::*;
    use crate::capture::HeaderList;

    const SECRET: &str = "lin_wh_abcdefghijklmnop";

    fn run(body: &[u8], signed_body: &[u8], now: Option<i64>) -> Verification {
        let p = SignParams {
            body: signed_body,
            ..SignParams::default()
        };
        let sig = sign(&Scheme::Linear, SECRET, &p).unwrap().headers.remove(0).1;
        let headers = HeaderList::from_pairs([("Linear-Signature", sig.as_str()), ("Linear-Event", "Issue")]);
        let req = RequestParts {
            method: "POST",
            url: "",
            headers: &headers,
            body,
        };
        verify(
            &Scheme::Linear,
            SECRET,
            &req,
            &VerifyOptions {
                now_unix: now,
                tolerance_secs: None,
            },
        )
    }

    #[test]
    fn body_timestamp_window() {
        let body = br#"{"action":"create","webhookTimestamp":1760000000250}"#;
        let v = run(body, body, Some(1_760_000_003));
        assert!(v.valid, "{v:?}");
        assert_eq!(v.skew_secs, Some(3));
        let v = run(body, body, Some(1_760_000_120));
        assert_eq!(v.reason, Reason::TimestampOutsideTolerance);
        assert_eq!(v.skew_secs, Some(120));
        assert_eq!(
            run(body, body, Some(1_759_999_900)).reason,
            Reason::TimestampOutsideTolerance
        );
        assert!(run(body, body, None).valid);
    }

    #[test]
    fn missing_or_bad_body_timestamp() {
        assert_eq!(run(b"{}", b"{}", Some(1)).reason, Reason::MissingBodyTimestamp);
        let v = run(
            br#"{"webhookTimestamp":"soon"}"#,
            br#"{"webhookTimestamp":"soon"}"#,
            Some(1),
        );
        assert_eq!(v.reason, Reason::MissingBodyTimestamp);
        assert!(v.explanation.contains("not a number"));
        assert_eq!(
            run(b"plain", b"plain", Some(1)).reason,
            Reason::MissingBodyTimestamp
        );
    }

    #[test]
    fn tamper_and_prefix() {
        let body = br#"{"webhookTimestamp":1760000000250,"n":5}"#;
        let v = run(
            br#"{"webhookTimestamp":1760000000250,"n":6}"#,
            body,
            Some(1_760_000_000),
        );
        assert_eq!(v.reason, Reason::BodyModified);
        let p = SignParams {
            body,
            ..SignParams::default()
        };
        let sig = sign(&Scheme::Linear, SECRET, &p).unwrap().headers.remove(0).1;
        let prefixed = format!("sha256={sig}");
        let headers = HeaderList::from_pairs([("Linear-Signature", prefixed.as_str())]);
        let req = RequestParts {
            method: "POST",
            url: "",
            headers: &headers,
            body,
        };
        let v = verify(&Scheme::Linear, SECRET, &req, &VerifyOptions::default());
        assert_eq!(v.reason, Reason::MalformedHeader);
    }
}
