//! GitHub (`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`) and Intercom, which uses
//! GitHub's legacy form (`X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>`). Both are instances of
//! the shared [`BodyMac`] scheme, as is SMTM.

use super::common::BodyMac;
use super::{Encoding, HmacAlgorithm};

pub(crate) static GITHUB: BodyMac = BodyMac {
    scheme: "github",
    header: "X-Hub-Signature-256",
    prefix: "sha256=",
    alg: HmacAlgorithm::Sha256,
    encoding: Encoding::Hex,
    reserialized: false,
    signs_url: false,
};

pub(crate) static INTERCOM: BodyMac = BodyMac {
    scheme: "intercom",
    header: "X-Hub-Signature",
    prefix: "sha1=",
    alg: HmacAlgorithm::Sha1,
    encoding: Encoding::Hex,
    reserialized: false,
    signs_url: false,
};

#[cfg(test)]
mod tests {
    use super::super::{Reason, RequestParts, Scheme, SignParams, Verification, VerifyOptions, sign, verify};
    use crate::capture::HeaderList;

    fn check(scheme: &Scheme, secret: &str, header: (&str, &str), body: &[u8]) -> Verification {
        let headers = HeaderList::from_pairs([header, ("X-GitHub-Event", "push")]);
        let req = RequestParts {
            method: "POST",
            url: "https://h/x",
            headers: &headers,
            body,
        };
        verify(scheme, secret, &req, &VerifyOptions::default())
    }

    fn signature(scheme: &Scheme, secret: &str, body: &[u8]) -> String {
        let p = SignParams {
            body,
            ..SignParams::default()
        };
        let s = sign(scheme, secret, &p).unwrap();
        assert_eq!(s.headers.len(), 1);
        s.headers[0].1.clone()
    }

    #[test]
    fn github_known_answer() {
        // From GitHub's documentation on validating webhook deliveries.
        let sig = signature(&Scheme::Github, "It's a Secret to Everybody", b"Hello, World!");
        assert_eq!(
            sig,
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }

    #[test]
    fn round_trip_and_tamper() {
        for scheme in [Scheme::Github, Scheme::Intercom] {
            let header = scheme.signature_header();
            let body = b"{\"id\":17,\"ok\":true}\n";
            let sig = signature(&scheme, "s3cret", body);
            let v = check(&scheme, "s3cret", (header, &sig), body);
            assert!(v.valid, "{v:?}");
            assert_eq!(v.header_used.as_deref(), Some(header));
            assert_eq!(
                check(&scheme, "other", (header, &sig), body).reason,
                Reason::WrongSecret
            );
            assert_eq!(
                check(&scheme, "s3cret", (header, &sig), b"{\"id\":18,\"ok\":true}\n").reason,
                Reason::BodyModified
            );
            let bare = sig.split_once('=').unwrap().1;
            let v = check(&scheme, "s3cret", (header, bare), body);
            assert_eq!(v.reason, Reason::MalformedHeader);
            assert!(v.explanation.contains("missing"), "{}", v.explanation);
            let upper = sig.to_uppercase();
            assert_eq!(
                check(&scheme, "s3cret", (header, &upper), body).reason,
                Reason::MalformedHeader
            );
        }
    }

    #[test]
    fn reserialized_body_is_named() {
        let pretty = b"{\n  \"a\": 1\n}\n";
        let sig = signature(&Scheme::Github, "k", b"{\"a\":1}");
        let v = check(&Scheme::Github, "k", ("X-Hub-Signature-256", &sig), pretty);
        assert_eq!(v.reason, Reason::SignatureForReserializedBody);
    }

    #[test]
    fn trailing_newline_is_named() {
        let sig = signature(&Scheme::Github, "k", b"{\"a\":1}");
        let v = check(
            &Scheme::Github,
            "k",
            ("X-Hub-Signature-256", &sig),
            b"{\"a\":1}\r\n",
        );
        assert_eq!(v.reason, Reason::BodyModified);
        assert!(v.explanation.contains("trailing CRLF"), "{}", v.explanation);
    }

    #[test]
    fn wrong_prefix_and_encoding() {
        use base64::Engine as _;
        let sig = signature(&Scheme::Github, "k", b"x");
        let sha1 = sig.replace("sha256=", "sha1=");
        let v = check(&Scheme::Github, "k", ("X-Hub-Signature-256", &sha1), b"x");
        assert!(v.explanation.contains("'sha1='"), "{}", v.explanation);
        let hex = sig.strip_prefix("sha256=").unwrap();
        let bytes: Vec<u8> = (0..32)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        let b64 = format!(
            "sha256={}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        );
        assert_eq!(
            check(&Scheme::Github, "k", ("X-Hub-Signature-256", &b64), b"x").reason,
            Reason::WrongEncoding
        );
        let cut = &sig[..sig.len() - 4];
        assert_eq!(
            check(&Scheme::Github, "k", ("X-Hub-Signature-256", cut), b"x").reason,
            Reason::TruncatedSignature
        );
    }
}
