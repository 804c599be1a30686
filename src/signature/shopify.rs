//! Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the raw body>`, no prefix, keyed with the
//! app secret (`shpss_…`) as text. `X-Shopify-Topic`, `-Shop-Domain`, `-API-Version` and
//! `-Webhook-Id` accompany it but are not signed, so their absence does not fail verification.

use super::common::BodyMac;
use super::{Encoding, HmacAlgorithm};

pub(crate) static SHOPIFY: BodyMac = BodyMac {
    scheme: "shopify",
    header: "X-Shopify-Hmac-Sha256",
    prefix: "",
    alg: HmacAlgorithm::Sha256,
    encoding: Encoding::Base64,
    reserialized: false,
    signs_url: false,
};

#[cfg(test)]
mod tests {
    use super::super::{Reason, RequestParts, Scheme, SignParams, Verification, VerifyOptions, sign, verify};
    use crate::capture::HeaderList;

    const SECRET: &str = "shpss_0123456789abcdef";
    const BODY: &[u8] = "{\"id\":820982911946154508,\"note\":\"Grüße\"}".as_bytes();

    fn check(value: &str, body: &[u8]) -> Verification {
        let headers = HeaderList::from_pairs([
            ("X-Shopify-Topic", "orders/create"),
            ("X-Shopify-Hmac-Sha256", value),
            ("X-Shopify-Shop-Domain", "example.myshopify.com"),
        ]);
        let req = RequestParts {
            method: "POST",
            url: "",
            headers: &headers,
            body,
        };
        verify(&Scheme::Shopify, SECRET, &req, &VerifyOptions::default())
    }

    fn signature(body: &[u8]) -> String {
        let p = SignParams {
            body,
            ..SignParams::default()
        };
        sign(&Scheme::Shopify, SECRET, &p)
            .unwrap()
            .header("x-shopify-hmac-sha256")
            .unwrap()
            .to_string()
    }

    #[test]
    fn round_trip_and_tamper() {
        let sig = signature(BODY);
        assert_eq!(sig.len(), 44);
        assert!(check(&sig, BODY).valid);
        assert_eq!(
            check(&sig, "{\"id\":820982911946154509,\"note\":\"Grüße\"}".as_bytes()).reason,
            Reason::BodyModified
        );
        let v = check(&format!("sha256={sig}"), BODY);
        assert_eq!(v.reason, Reason::MalformedHeader);
        assert!(v.explanation.contains("stray 'sha256='"), "{}", v.explanation);
        assert_eq!(check(&sig[..40], BODY).reason, Reason::TruncatedSignature);
        let urlsafe = sig.replace('+', "-").replace('/', "_");
        if urlsafe != sig {
            assert_eq!(check(&urlsafe, BODY).reason, Reason::WrongEncoding);
        }
    }

    #[test]
    fn key_is_the_secret_text_and_companions_are_optional() {
        use super::super::HmacAlgorithm;
        use super::super::common::{b64, hmac};
        let expected = b64(&hmac(HmacAlgorithm::Sha256, SECRET.as_bytes(), &[BODY]));
        assert_eq!(signature(BODY), expected);
        let headers = HeaderList::from_pairs([("x-shopify-hmac-sha256", expected.as_str())]);
        let req = RequestParts {
            method: "POST",
            url: "",
            headers: &headers,
            body: BODY,
        };
        assert!(verify(&Scheme::Shopify, SECRET, &req, &VerifyOptions::default()).valid);
        let v = verify(&Scheme::Shopify, "shpss_other", &req, &VerifyOptions::default());
        assert_eq!(v.reason, Reason::WrongSecret);
        assert_eq!(v.received.as_deref(), Some(expected.as_str()));
        assert_ne!(v.expected.as_deref(), Some(expected.as_str()));
        assert!(!v.explanation.contains("shpss_other"));
    }
}
