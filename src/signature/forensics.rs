//! Forensics: when a signature does not match, look for the cause an expert would name — another
//! configured secret that matches (wrong environment), a secret with surrounding whitespace, or a
//! secret used in the wrong form (base64 vs raw). The request-level causes (encoding, truncation,
//! re-serialized body, changed body, clock, URL) are already named by [`verify`].

use super::common::{b64_decode_any, hex_decode};
use super::{Reason, RequestParts, Scheme, Verification, VerifyOptions, derive_key, engine, prepare, verify};

/// Does the MAC match with key `key`?
fn key_matches(scheme: &Scheme, key: Vec<u8>, req: &RequestParts, opts: &VerifyOptions) -> bool {
    prepare(scheme, key, req, opts).is_ok_and(|spec| engine::mac_matches(&spec))
}

/// Other keys the sender may have derived from the same secret.
fn key_variants(scheme: &Scheme, secret: &str) -> Vec<(Vec<u8>, &'static str)> {
    let mut out = Vec::new();
    match scheme {
        Scheme::StandardWebhooks | Scheme::Svix => {
            out.push((
                secret.as_bytes().to_vec(),
                "the sender used the secret's text as the key; this scheme keys with the base64 decoding after whsec_",
            ));
            if let Some(rest) = secret.strip_prefix("whsec_") {
                out.push((
                    rest.as_bytes().to_vec(),
                    "the sender used the text after whsec_ as the key without base64-decoding it",
                ));
            }
        }
        _ => {
            let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
            if let Some(key) = b64_decode_any(encoded).filter(|k| !k.is_empty()) {
                out.push((
                    key,
                    "the sender used the base64-decoded secret as the key; this scheme keys with the secret text as written",
                ));
            }
            if let Some(key) = hex_decode(secret).filter(|k| !k.is_empty()) {
                out.push((
                    key,
                    "the sender used the hex-decoded secret as the key; this scheme keys with the secret text as written",
                ));
            }
        }
    }
    out
}

/// [`verify`], and when the MAC does not match, name the cause if another key explains it.
/// `other_secrets` are the other configured profiles as `(profile name, secret)`.
pub fn diagnose(
    scheme: &Scheme,
    secret: &str,
    req: &RequestParts,
    opts: &VerifyOptions,
    other_secrets: &[(&str, &str)],
) -> Verification {
    let v = verify(scheme, secret, req, opts);
    if v.valid || !matches!(v.reason, Reason::WrongSecret | Reason::SecretEncoding) {
        return v;
    }
    let found = |reason: Reason, explanation: String| Verification {
        reason,
        explanation,
        ..v.clone()
    };

    for (name, other) in other_secrets {
        if *other == secret {
            continue;
        }
        if let Ok(key) = derive_key(scheme, other)
            && key_matches(scheme, key, req, opts)
        {
            return found(
                Reason::OtherProfileSecret,
                format!("the signature matches profile '{name}' — wrong environment?"),
            );
        }
    }

    let trimmed = secret.trim();
    if trimmed != secret
        && !trimmed.is_empty()
        && let Ok(key) = derive_key(scheme, trimmed)
        && key_matches(scheme, key, req, opts)
    {
        return found(
            Reason::SecretWhitespace,
            "the configured secret has surrounding whitespace; without it the signature matches".into(),
        );
    }

    for (key, why) in key_variants(scheme, trimmed) {
        if key_matches(scheme, key, req, opts) {
            return found(Reason::SecretEncoding, why.to_string());
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::super::common::{b64, hmac};
    use super::super::{HmacAlgorithm, SignParams, sign};
    use super::*;
    use crate::capture::HeaderList;

    const BODY: &[u8] = br#"{"event":"task.completed","data":{"task_id":"t-1"}}"#;
    const NOW: i64 = 1_760_000_000;

    fn signed(scheme: &Scheme, secret: &str, body: &[u8], ts: i64) -> HeaderList {
        let p = SignParams {
            url: "https://hooks.example.com/in",
            body,
            timestamp: Some(ts),
            id: Some("msg_1"),
            ..SignParams::default()
        };
        HeaderList::from_pairs(sign(scheme, secret, &p).unwrap().headers)
    }

    fn diag(
        scheme: &Scheme,
        secret: &str,
        h: &HeaderList,
        body: &[u8],
        others: &[(&str, &str)],
    ) -> Verification {
        let req = RequestParts {
            method: "POST",
            url: "https://hooks.example.com/in",
            headers: h,
            body,
        };
        diagnose(
            scheme,
            secret,
            &req,
            &VerifyOptions {
                now_unix: Some(NOW),
                tolerance_secs: None,
            },
            others,
        )
    }

    #[test]
    fn valid_passes_through() {
        let h = signed(&Scheme::Smtm, "smtm_whsec_prod", BODY, NOW);
        assert!(diag(&Scheme::Smtm, "smtm_whsec_prod", &h, BODY, &[]).valid);
    }

    #[test]
    fn other_profile_secret() {
        let h = signed(&Scheme::Stripe, "whsec_staging", BODY, NOW);
        let others = [("production", "whsec_prod"), ("staging", "whsec_staging")];
        let v = diag(&Scheme::Stripe, "whsec_prod", &h, BODY, &others);
        assert_eq!(v.reason, Reason::OtherProfileSecret);
        assert!(v.explanation.contains("'staging'"));
        assert!(!v.explanation.contains("whsec_staging"));
        assert_eq!(
            diag(&Scheme::Stripe, "whsec_prod", &h, BODY, &others[..1]).reason,
            Reason::WrongSecret
        );
    }

    #[test]
    fn secret_with_whitespace() {
        let h = signed(&Scheme::Github, "gh-secret", BODY, NOW);
        let v = diag(&Scheme::Github, "gh-secret\n", &h, BODY, &[]);
        assert_eq!(v.reason, Reason::SecretWhitespace);
        let sw = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let h = signed(&Scheme::StandardWebhooks, sw, BODY, NOW);
        assert_eq!(
            diag(&Scheme::StandardWebhooks, &format!(" {sw} "), &h, BODY, &[]).reason,
            Reason::SecretWhitespace
        );
    }

    #[test]
    fn base64_versus_raw_secret() {
        // The sender keyed with the decoded bytes; the scheme wants the text.
        let secret = "c2VjcmV0LWtleS1ieXRlcw==";
        let key = b64_decode_any(secret).unwrap();
        let mac = hmac(HmacAlgorithm::Sha256, &key, &[BODY]);
        let h = HeaderList::from_pairs([("X-Shopify-Hmac-Sha256", b64(&mac))]);
        let v = diag(&Scheme::Shopify, secret, &h, BODY, &[]);
        assert_eq!(v.reason, Reason::SecretEncoding);
        assert!(v.explanation.contains("base64-decoded"));
        // Standard Webhooks signed with the raw text of the secret.
        let sw = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let msg = [b"msg_1.1760000000.".as_slice(), BODY].concat();
        let mac = hmac(HmacAlgorithm::Sha256, sw.as_bytes(), &[&msg]);
        let h = HeaderList::from_pairs([
            ("webhook-id", "msg_1".to_string()),
            ("webhook-timestamp", "1760000000".to_string()),
            ("webhook-signature", format!("v1,{}", b64(&mac))),
        ]);
        let v = diag(&Scheme::StandardWebhooks, sw, &h, BODY, &[]);
        assert_eq!(v.reason, Reason::SecretEncoding);
        assert!(v.explanation.contains("text"));
    }

    #[test]
    fn request_level_causes_are_kept() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let s = Scheme::StandardWebhooks;
        // Signed over compact JSON, delivered pretty.
        let h = signed(&s, secret, b"{\"a\":1}", NOW);
        assert_eq!(
            diag(&s, secret, &h, b"{\n  \"a\": 1\n}\n", &[]).reason,
            Reason::SignatureForReserializedBody
        );
        // Trailing newline added by a proxy.
        let h = signed(&s, secret, BODY, NOW);
        let v = diag(&s, secret, &h, &[BODY, b"\n"].concat(), &[]);
        assert_eq!(v.reason, Reason::BodyModified);
        assert!(v.explanation.contains("trailing newline"));
        // Stale timestamp, with the skew.
        let h = signed(&s, secret, BODY, NOW - 900);
        let v = diag(&s, secret, &h, BODY, &[]);
        assert_eq!(v.reason, Reason::TimestampOutsideTolerance);
        assert_eq!(v.skew_secs, Some(900));
        assert!(v.explanation.contains("900 s"));
        // Wrong version separator, missing header, wrong encoding.
        let mut bad = h.clone();
        bad.set(
            "webhook-signature",
            h.get("webhook-signature").unwrap().replacen(',', "=", 1),
        );
        assert_eq!(diag(&s, secret, &bad, BODY, &[]).reason, Reason::MalformedHeader);
        bad.remove("webhook-signature");
        assert_eq!(diag(&s, secret, &bad, BODY, &[]).reason, Reason::MissingHeader);
        let gh = signed(&Scheme::Github, "k", BODY, NOW);
        let hex = gh
            .get("X-Hub-Signature-256")
            .unwrap()
            .trim_start_matches("sha256=")
            .to_string();
        let raw = hex_decode(&hex).unwrap();
        let as_b64 = HeaderList::from_pairs([("X-Hub-Signature-256", format!("sha256={}", b64(&raw)))]);
        assert_eq!(
            diag(&Scheme::Github, "k", &as_b64, BODY, &[]).reason,
            Reason::WrongEncoding
        );
    }

    #[test]
    fn unexplained_mismatch_stays_generic() {
        let h = signed(&Scheme::Slack, "one", BODY, NOW);
        let v = diag(&Scheme::Slack, "two", &h, BODY, &[("other", "three")]);
        assert_eq!(v.reason, Reason::WrongSecret);
        assert!(v.explanation.contains("wrong secret, or the body changed"));
    }
}
