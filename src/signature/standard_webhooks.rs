//! Standard Webhooks (and Svix, the same rule under other header names):
//! `webhook-signature: v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")> [v1,<...> ...]`, keyed with
//! the base64 decoding of the secret after `whsec_`, ±300 s.

use super::common::{Window, b64, b64_decode_any, check_clock, hmac, parse_unix, require, sign_secs};
use super::engine::Spec;
use super::{Encoding, HmacAlgorithm, Reason, RequestParts, SignParams, Signed, Verification, VerifyOptions};

/// The header names of one flavour.
pub(crate) struct Names {
    pub scheme: &'static str,
    pub id: &'static str,
    pub timestamp: &'static str,
    pub signature: &'static str,
}

pub(crate) const STANDARD: Names = Names {
    scheme: "standard-webhooks",
    id: "webhook-id",
    timestamp: "webhook-timestamp",
    signature: "webhook-signature",
};

pub(crate) const SVIX: Names = Names {
    scheme: "svix",
    id: "svix-id",
    timestamp: "svix-timestamp",
    signature: "svix-signature",
};

/// The HMAC key: base64 after an optional `whsec_` prefix.
pub(crate) fn decode_secret(secret: &str) -> Result<Vec<u8>, String> {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    match b64_decode_any(encoded) {
        Some(key) if !key.is_empty() => Ok(key),
        _ => Err(
            "the secret is not 'whsec_' followed by base64, so no signing key can be derived from it".into(),
        ),
    }
}

fn message(id: &str, ts: &str, body: &[u8]) -> Vec<u8> {
    [id.as_bytes(), b".", ts.as_bytes(), b".", body].concat()
}

/// Why a signature list holds no `v1,<sig>` entry.
fn explain_no_v1(value: &str) -> String {
    let entries: Vec<&str> = value.split(' ').filter(|e| !e.is_empty()).collect();
    if entries.is_empty() {
        return "the signature header is empty".into();
    }
    if let Some(e) = entries.iter().find(|e| !e.contains(',')) {
        if let Some((version, _)) = e.split_once('=')
            && version.len() <= 4
            && version.starts_with('v')
        {
            return format!(
                "the entry is written '{version}=…': the version separator must be ',' ('{version},<base64>')"
            );
        }
        return "an entry has no version prefix: entries are written 'v1,<base64>'".into();
    }
    let versions: Vec<&str> = entries
        .iter()
        .filter_map(|e| e.split_once(',').map(|(v, _)| v))
        .collect();
    format!(
        "the header holds no 'v1' signature (only: {})",
        versions.join(", ")
    )
}

pub(crate) fn prepare<'a>(
    names: &'static Names,
    key: Vec<u8>,
    req: &RequestParts<'a>,
    opts: &VerifyOptions,
    tolerance: Option<u64>,
) -> Result<Spec<'a>, Box<Verification>> {
    let value = require(names.scheme, req, names.signature, false)?;
    let id = require(names.scheme, req, names.id, true)?;
    let ts_text = require(names.scheme, req, names.timestamp, true)?;
    let ts = parse_unix(names.scheme, names.timestamp, ts_text)?;

    let candidates: Vec<String> = value
        .split(' ')
        .filter_map(|entry| entry.split_once(','))
        .filter(|(version, _)| *version == "v1")
        .map(|(_, sig)| sig.to_string())
        .collect();
    if candidates.is_empty() {
        return Err(Box::new(
            Verification::failure(names.scheme, Reason::MalformedHeader, explain_no_v1(value))
                .with_header(names.signature, Some(value)),
        ));
    }

    let (skew, failure) = check_clock(
        opts.now_unix,
        ts.saturating_mul(1000),
        tolerance,
        Window::Both,
        &format!("the {} header", names.timestamp),
    );
    let mut spec = Spec::new(
        names.scheme,
        HmacAlgorithm::Sha256,
        Encoding::Base64,
        key,
        names.signature,
        value,
        req,
    );
    spec.candidates = candidates;
    spec.skew_secs = skew;
    spec.after_match = failure;
    let (id, ts_text) = (id.to_string(), ts_text.to_string());
    spec.message = Box::new(move |_, body| message(&id, &ts_text, body));
    spec.render = Box::new(|enc| format!("v1,{enc}"));
    Ok(spec)
}

pub(crate) fn sign(names: &Names, key: &[u8], p: &SignParams) -> Signed {
    let id = p.id.map_or_else(
        || format!("msg_{}", uuid::Uuid::new_v4().simple()),
        str::to_string,
    );
    let ts = sign_secs(p).to_string();
    let mac = hmac(HmacAlgorithm::Sha256, key, &[&message(&id, &ts, p.body)]);
    Signed {
        headers: vec![
            (names.id.to_string(), id),
            (names.timestamp.to_string(), ts),
            (names.signature.to_string(), format!("v1,{}", b64(&mac))),
        ],
        url: None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Scheme, sign as sign_any, verify};
    use super::*;
    use crate::capture::HeaderList;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn signed(scheme: &Scheme, body: &[u8], ts: i64) -> HeaderList {
        let p = SignParams {
            body,
            timestamp: Some(ts),
            id: Some("msg_1"),
            ..SignParams::default()
        };
        HeaderList::from_pairs(sign_any(scheme, SECRET, &p).unwrap().headers)
    }

    fn check(scheme: &Scheme, headers: &HeaderList, body: &[u8], now: i64) -> Verification {
        let req = RequestParts {
            method: "POST",
            url: "",
            headers,
            body,
        };
        verify(
            scheme,
            SECRET,
            &req,
            &VerifyOptions {
                now_unix: Some(now),
                tolerance_secs: None,
            },
        )
    }

    #[test]
    fn round_trip_both_flavours() {
        for scheme in [Scheme::StandardWebhooks, Scheme::Svix] {
            let h = signed(&scheme, b"{\"a\":1}", 1000);
            let v = check(&scheme, &h, b"{\"a\":1}", 1010);
            assert!(v.valid, "{v:?}");
            assert_eq!(v.skew_secs, Some(10));
            assert_eq!(
                check(&scheme, &h, b"{\"a\":2}", 1010).reason,
                Reason::BodyModified
            );
            assert_eq!(
                check(&scheme, &h, b"{\"a\":1}", 1400).reason,
                Reason::TimestampOutsideTolerance
            );
            assert_eq!(
                check(&scheme, &h, b"{\"a\":1}", 600).reason,
                Reason::TimestampOutsideTolerance
            );
        }
    }

    #[test]
    fn sign_generates_an_id_when_none_is_given() {
        let p = SignParams {
            body: b"{}",
            now_unix: 5,
            ..SignParams::default()
        };
        let s = sign_any(&Scheme::StandardWebhooks, SECRET, &p).unwrap();
        assert!(s.header("webhook-id").unwrap().starts_with("msg_"));
        assert_eq!(s.header("webhook-timestamp"), Some("5"));
        assert!(sign_any(&Scheme::Svix, "whsec_!!!", &p).is_err());
    }

    #[test]
    fn list_parsing() {
        let mut h = signed(&Scheme::StandardWebhooks, b"{}", 1000);
        let good = h.get("webhook-signature").unwrap().to_string();
        h.set("webhook-signature", format!("v1a,xyz v1,AAAA {good}"));
        assert!(check(&Scheme::StandardWebhooks, &h, b"{}", 1000).valid);
        h.set("webhook-signature", good.replacen("v1,", "v1=", 1));
        let v = check(&Scheme::StandardWebhooks, &h, b"{}", 1000);
        assert_eq!(v.reason, Reason::MalformedHeader);
        assert!(v.explanation.contains("separator"), "{}", v.explanation);
        h.set("webhook-signature", "v1a,abc");
        assert!(
            check(&Scheme::StandardWebhooks, &h, b"{}", 1000)
                .explanation
                .contains("no 'v1'")
        );
        h.set("webhook-timestamp", "soon");
        assert_eq!(
            check(&Scheme::StandardWebhooks, &h, b"{}", 1000).reason,
            Reason::MalformedHeader
        );
        h.remove("webhook-id");
        assert_eq!(
            check(&Scheme::StandardWebhooks, &h, b"{}", 1000).reason,
            Reason::MissingHeader
        );
    }

    #[test]
    fn bad_secret_is_a_secret_encoding_problem() {
        let h = signed(&Scheme::StandardWebhooks, b"{}", 1000);
        let req = RequestParts {
            method: "POST",
            url: "",
            headers: &h,
            body: b"{}",
        };
        let v = verify(
            &Scheme::StandardWebhooks,
            "whsec_***",
            &req,
            &VerifyOptions::default(),
        );
        assert_eq!(v.reason, Reason::SecretEncoding);
        assert!(!v.explanation.contains("***"));
    }
}
