//! SMTM (SmartMaintenance): GitHub's format under its own header,
//! `X-SMTM-Signature: sha256=<hex HMAC-SHA256 of the raw body>`, keyed with the whole
//! `smtm_whsec_…` string (the `whsec` in it does not make this Standard Webhooks).

use super::common::BodyMac;
use super::{Encoding, HmacAlgorithm};

pub(crate) static SMTM: BodyMac = BodyMac {
    scheme: "smtm",
    header: "X-SMTM-Signature",
    prefix: "sha256=",
    alg: HmacAlgorithm::Sha256,
    encoding: Encoding::Hex,
    reserialized: false,
    signs_url: false,
};

#[cfg(test)]
mod tests {
    use super::super::common::{hex_lower, hmac};
    use super::super::{Reason, RequestParts, Scheme, SignParams, Verification, VerifyOptions, sign, verify};
    use super::*;
    use crate::capture::HeaderList;

    const SECRET: &str = "smtm_whsec_TestSecretValue0123456789";
    const BODY: &[u8] = br#"{"event":"task.completed","timestamp":"2026-04-24T09:15:30+07:00","company_id":"c1","data":{"task_id":"t-1001","asset_id":"a-7","technician_id":"u-3"}}"#;

    fn check(value: &str, body: &[u8]) -> Verification {
        let headers = HeaderList::from_pairs([
            ("Content-Type", "application/json"),
            ("User-Agent", "SmartMaintenance/1.0"),
            ("X-SMTM-Event", "task.completed"),
            ("X-SMTM-Signature", value),
        ]);
        let req = RequestParts {
            method: "POST",
            url: "http://127.0.0.1:8787/smtm",
            headers: &headers,
            body,
        };
        verify(
            &Scheme::Smtm,
            SECRET,
            &req,
            &VerifyOptions {
                now_unix: Some(1),
                tolerance_secs: None,
            },
        )
    }

    fn signature(body: &[u8]) -> String {
        let p = SignParams {
            body,
            ..SignParams::default()
        };
        sign(&Scheme::Smtm, SECRET, &p)
            .unwrap()
            .header("X-SMTM-Signature")
            .unwrap()
            .to_string()
    }

    #[test]
    fn key_is_the_whole_secret_string() {
        let expected = format!(
            "sha256={}",
            hex_lower(&hmac(HmacAlgorithm::Sha256, SECRET.as_bytes(), &[BODY]))
        );
        assert_eq!(signature(BODY), expected);
    }

    #[test]
    fn round_trip() {
        let v = check(&signature(BODY), BODY);
        assert!(v.valid, "{v:?}");
        assert_eq!(v.reason, Reason::Valid);
        assert_eq!(v.skew_secs, None);
    }

    #[test]
    fn tampering() {
        let sig = signature(BODY);
        let changed = String::from_utf8(BODY.to_vec())
            .unwrap()
            .replace("t-1001", "t-1002");
        let v = check(&sig, changed.as_bytes());
        assert_eq!(v.reason, Reason::BodyModified);
        assert!(v.explanation.contains("'2'"), "{}", v.explanation);
        assert_eq!(
            check(sig.trim_start_matches("sha256="), BODY).reason,
            Reason::MalformedHeader
        );
        assert_eq!(
            check(&sig[..sig.len() - 4], BODY).reason,
            Reason::TruncatedSignature
        );
        assert_eq!(check("sha256=", BODY).reason, Reason::MalformedHeader);
        let headers = HeaderList::from_pairs([("X-SMTM-Event", "task.completed")]);
        let req = RequestParts {
            method: "POST",
            url: "",
            headers: &headers,
            body: BODY,
        };
        let v = verify(&Scheme::Smtm, SECRET, &req, &VerifyOptions::default());
        assert_eq!(v.reason, Reason::MissingHeader);
        assert!(v.explanation.contains("X-SMTM-Signature"));
    }
}
