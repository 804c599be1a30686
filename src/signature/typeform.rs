//! Typeform: `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the raw body>` — a `sha256=` prefix
//! with base64, not hex.

use super::common::BodyMac;
use super::{Encoding, HmacAlgorithm};

pub(crate) static TYPEFORM: BodyMac = BodyMac {
    scheme: "typeform",
    header: "Typeform-Signature",
    prefix: "sha256=",
    alg: HmacAlgorithm::Sha256,
    encoding: Encoding::Base64,
    reserialized: false,
    signs_url: false,
};

#[cfg(test)]
mod tests {
    use super::super::common::{hex_lower, hmac};
    use super::super::{Reason, RequestParts, Scheme, SignParams, Verification, VerifyOptions, sign, verify};
    use super::*;
    use crate::capture::HeaderList;

    const BODY: &[u8] = br#"{"event_id":"01H","form_response":{"answers":[{"number":42}]}}"#;

    fn check(value: &str, body: &[u8]) -> Verification {
        let headers = HeaderList::from_pairs([("Typeform-Signature", value)]);
        let req = RequestParts {
            method: "POST",
            url: "",
            headers: &headers,
            body,
        };
        verify(&Scheme::Typeform, "tf-secret", &req, &VerifyOptions::default())
    }

    fn signature(body: &[u8]) -> String {
        let p = SignParams {
            body,
            ..SignParams::default()
        };
        sign(&Scheme::Typeform, "tf-secret", &p)
            .unwrap()
            .headers
            .remove(0)
            .1
    }

    #[test]
    fn round_trip_and_tamper() {
        let sig = signature(BODY);
        assert!(sig.starts_with("sha256=") && sig.ends_with('='), "{sig}");
        assert!(check(&sig, BODY).valid);
        let changed = String::from_utf8(BODY.to_vec()).unwrap().replace("42", "43");
        assert_eq!(check(&sig, changed.as_bytes()).reason, Reason::BodyModified);
        assert_eq!(
            check(sig.trim_start_matches("sha256="), BODY).reason,
            Reason::MalformedHeader
        );
    }

    #[test]
    fn hex_instead_of_base64() {
        let hex = format!(
            "sha256={}",
            hex_lower(&hmac(HmacAlgorithm::Sha256, b"tf-secret", &[BODY]))
        );
        let v = check(&hex, BODY);
        assert_eq!(v.reason, Reason::WrongEncoding);
        assert!(v.explanation.contains("hex where base64"), "{}", v.explanation);
    }

    #[test]
    fn missing_header_and_reserialized_body() {
        let headers = HeaderList::from_pairs([("Content-Type", "application/json")]);
        let req = RequestParts {
            method: "POST",
            url: "",
            headers: &headers,
            body: BODY,
        };
        let v = verify(&Scheme::Typeform, "tf-secret", &req, &VerifyOptions::default());
        assert_eq!(v.reason, Reason::MissingHeader);
        assert_eq!(v.header_used.as_deref(), Some("Typeform-Signature"));
        let pretty =
            b"{\n  \"event_id\": \"01H\",\n  \"form_response\": {\"answers\": [{\"number\": 42}]}\n}\n";
        let v = check(&signature(BODY), pretty);
        assert_eq!(v.reason, Reason::SignatureForReserializedBody);
        let sha1 = signature(BODY).replace("sha256=", "sha1=");
        assert!(check(&sha1, BODY).explanation.contains("'sha1='"));
    }
}
