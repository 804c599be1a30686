//! Stripe: `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256("{t}.{body}")>[,v1=…]`, keyed with the
//! whole `whsec_…` string; a timestamp more than 300 s in the past is rejected.

use super::common::{Window, check_clock, hex_lower, hmac, require, sign_secs};
use super::engine::Spec;
use super::{Encoding, HmacAlgorithm, Reason, RequestParts, SignParams, Signed, Verification, VerifyOptions};

pub(crate) const HEADER: &str = "Stripe-Signature";
const SCHEME: &str = "stripe";

/// The parsed header: timestamp and every `v1` value.
#[derive(Debug, PartialEq, Eq)]
struct Parsed {
    t: i64,
    v1: Vec<String>,
}

fn parse(value: &str) -> Result<Parsed, String> {
    let semicolons = value.contains(';');
    let separator_hint = |what: &str| {
        if semicolons {
            "the elements are separated by ';' instead of ','".to_string()
        } else {
            what.to_string()
        }
    };
    let mut t = None;
    let mut v1 = Vec::new();
    let mut others = Vec::new();
    for element in value.split(',').filter(|e| !e.is_empty()) {
        let Some((key, val)) = element.split_once('=') else {
            return Err(separator_hint(&format!(
                "the element '{element}' is not written key=value"
            )));
        };
        match key {
            "t" => t = Some(val),
            "v1" => v1.push(val.to_string()),
            other => others.push(other.to_string()),
        }
    }
    let Some(t_text) = t else {
        return Err(separator_hint("the header has no t= timestamp"));
    };
    let Ok(t) = t_text.parse::<i64>() else {
        return Err(separator_hint(&format!(
            "the t= value '{t_text}' is not a Unix timestamp"
        )));
    };
    if v1.is_empty() {
        let found = if others.is_empty() {
            String::new()
        } else {
            format!(" (found: {})", others.join(", "))
        };
        return Err(separator_hint(&format!("the header has no v1= signature{found}")));
    }
    Ok(Parsed { t, v1 })
}

fn message(t: i64, body: &[u8]) -> Vec<u8> {
    [t.to_string().as_bytes(), b".", body].concat()
}

pub(crate) fn prepare<'a>(
    key: Vec<u8>,
    req: &RequestParts<'a>,
    opts: &VerifyOptions,
    tolerance: Option<u64>,
) -> Result<Spec<'a>, Box<Verification>> {
    let value = require(SCHEME, req, HEADER, false)?;
    let parsed = parse(value).map_err(|why| {
        Verification::failure(SCHEME, Reason::MalformedHeader, why).with_header(HEADER, Some(value))
    })?;
    let t = parsed.t;
    let (skew, failure) = check_clock(
        opts.now_unix,
        t.saturating_mul(1000),
        tolerance,
        Window::PastOnly,
        "the t= timestamp",
    );
    let mut spec = Spec::new(
        SCHEME,
        HmacAlgorithm::Sha256,
        Encoding::Hex,
        key,
        HEADER,
        value,
        req,
    );
    spec.candidates = parsed.v1;
    spec.skew_secs = skew;
    spec.after_match = failure;
    spec.message = Box::new(move |_, body| message(t, body));
    spec.render = Box::new(move |enc| format!("t={t},v1={enc}"));
    Ok(spec)
}

pub(crate) fn sign(key: &[u8], p: &SignParams) -> Signed {
    let t = sign_secs(p);
    let mac = hmac(HmacAlgorithm::Sha256, key, &[&message(t, p.body)]);
    Signed {
        headers: vec![(HEADER.to_string(), format!("t={t},v1={}", hex_lower(&mac)))],
        url: None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Scheme, sign as sign_any, verify};
    use super::*;
    use crate::capture::HeaderList;

    const SECRET: &str = "whsec_test_secret";

    fn check(value: &str, body: &[u8], now: Option<i64>) -> Verification {
        let headers = HeaderList::from_pairs([(HEADER, value)]);
        let req = RequestParts {
            method: "POST",
            url: "",
            headers: &headers,
            body,
        };
        verify(
            &Scheme::Stripe,
            SECRET,
            &req,
            &VerifyOptions {
                now_unix: now,
                tolerance_secs: None,
            },
        )
    }

    fn header_for(body: &[u8], t: i64) -> String {
        let p = SignParams {
            body,
            timestamp: Some(t),
            ..SignParams::default()
        };
        sign_any(&Scheme::Stripe, SECRET, &p)
            .unwrap()
            .header(HEADER)
            .unwrap()
            .to_string()
    }

    #[test]
    fn parse_rules() {
        assert_eq!(
            parse("t=5,v1=ab,v0=cd,v1=ef").unwrap(),
            Parsed {
                t: 5,
                v1: vec!["ab".into(), "ef".into()]
            }
        );
        assert!(parse("t=5;v1=ab").unwrap_err().contains("';' instead of ','"));
        assert!(parse("v1=ab").unwrap_err().contains("no t="));
        assert!(parse("t=5,v0=ab").unwrap_err().contains("found: v0"));
        assert!(parse("t=x,v1=ab").unwrap_err().contains("not a Unix timestamp"));
    }

    #[test]
    fn round_trip_and_tamper() {
        let h = header_for(b"{\"n\":42}", 1000);
        assert!(check(&h, b"{\"n\":42}", Some(1003)).valid);
        assert!(check(&h, b"{\"n\":42}", None).valid);
        // Future timestamps are accepted, old ones are not.
        assert!(check(&h, b"{\"n\":42}", Some(500)).valid);
        let stale = check(&h, b"{\"n\":42}", Some(1301));
        assert_eq!(stale.reason, Reason::TimestampOutsideTolerance);
        assert_eq!(stale.skew_secs, Some(301));
        assert_eq!(check(&h, b"{\"n\":43}", Some(1000)).reason, Reason::BodyModified);
        assert_eq!(
            check(&h.replace("v1=", "v1=0"), b"{\"n\":42}", Some(1000)).reason,
            Reason::MalformedHeader
        );
        let other = {
            let p = SignParams {
                body: b"{\"n\":42}",
                timestamp: Some(1000),
                ..SignParams::default()
            };
            sign_any(&Scheme::Stripe, "whsec_other", &p).unwrap().headers[0]
                .1
                .clone()
        };
        let v = check(&other, b"{\"n\":42}", Some(1000));
        assert_eq!(v.reason, Reason::WrongSecret);
        assert_eq!(v.expected.as_deref(), Some(h.as_str()));
    }

    #[test]
    fn tolerance_override() {
        let h = header_for(b"{}", 1000);
        let headers = HeaderList::from_pairs([(HEADER, h.as_str())]);
        let req = RequestParts {
            method: "POST",
            url: "",
            headers: &headers,
            body: b"{}",
        };
        let opts = VerifyOptions {
            now_unix: Some(1020),
            tolerance_secs: Some(10),
        };
        assert_eq!(
            verify(&Scheme::Stripe, SECRET, &req, &opts).reason,
            Reason::TimestampOutsideTolerance
        );
    }
}
