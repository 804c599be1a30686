//! `MaintainX`: `x-maintainx-signature: <hex HMAC-SHA256>` over `JSON.stringify(JSON.parse(body))` —
//! the sample receiver re-serializes the parsed body before hashing, so the signature does not cover
//! the bytes on the wire. The key is the 64-hex-digit secret as text (not hex-decoded).

use super::common::BodyMac;
use super::{Encoding, HmacAlgorithm};

pub(crate) static MAINTAINX: BodyMac = BodyMac {
    scheme: "maintainx",
    header: "x-maintainx-signature",
    prefix: "",
    alg: HmacAlgorithm::Sha256,
    encoding: Encoding::Hex,
    reserialized: true,
    signs_url: false,
};

#[cfg(test)]
mod tests {
    use super::super::common::{hex_lower, hmac};
    use super::super::{
        Reason, RequestParts, Scheme, SignError, SignParams, Verification, VerifyOptions, sign, verify,
    };
    use super::*;
    use crate::capture::HeaderList;

    const SECRET: &str = "08dd566fd255a4d5c55df7ebe2fd810ac4b363e2e6f8a2c7ad42934efb801d5d";
    const PRETTY: &[u8] =
        b"{\n  \"event\": \"workorder.created\",\n  \"data\": {\"id\": 991, \"priority\": \"HIGH\"}\n}\n";
    const COMPACT: &[u8] = br#"{"event":"workorder.created","data":{"id":991,"priority":"HIGH"}}"#;

    fn check(value: &str, body: &[u8]) -> Verification {
        let headers = HeaderList::from_pairs([
            ("x-maintainx-signature", value),
            ("x-maintainx-event-id", "evt-1"),
        ]);
        let req = RequestParts {
            method: "POST",
            url: "",
            headers: &headers,
            body,
        };
        verify(&Scheme::Maintainx, SECRET, &req, &VerifyOptions::default())
    }

    fn signature(body: &[u8]) -> Result<String, SignError> {
        let p = SignParams {
            body,
            ..SignParams::default()
        };
        Ok(sign(&Scheme::Maintainx, SECRET, &p)?.headers.remove(0).1)
    }

    #[test]
    fn signs_the_compact_form() {
        assert_eq!(signature(PRETTY).unwrap(), signature(COMPACT).unwrap());
        let raw = hex_lower(&hmac(HmacAlgorithm::Sha256, SECRET.as_bytes(), &[COMPACT]));
        assert_eq!(signature(PRETTY).unwrap(), raw);
        assert_eq!(
            signature(b"not json"),
            Err(SignError::BodyNotJson {
                scheme: "maintainx".into()
            })
        );
    }

    #[test]
    fn pretty_body_is_valid_with_a_note() {
        let v = check(&signature(COMPACT).unwrap(), PRETTY);
        assert!(v.valid, "{v:?}");
        assert!(v.note.unwrap().contains("re-serialized"));
        let v = check(&signature(COMPACT).unwrap(), COMPACT);
        assert!(v.valid && v.note.is_none());
    }

    #[test]
    fn raw_byte_signature_is_explained() {
        let raw = hex_lower(&hmac(HmacAlgorithm::Sha256, SECRET.as_bytes(), &[PRETTY]));
        assert_eq!(
            check(&raw, PRETTY).reason,
            Reason::SignatureOverRawBytesNotReserialized
        );
    }

    #[test]
    fn invalid_json_and_tampering() {
        let sig = signature(COMPACT).unwrap();
        assert_eq!(check(&sig, b"{\"event\":").reason, Reason::InvalidJsonBody);
        let changed = String::from_utf8(COMPACT.to_vec()).unwrap().replace("991", "992");
        assert_eq!(check(&sig, changed.as_bytes()).reason, Reason::BodyModified);
        assert_eq!(
            check(&format!("sha256={sig}"), COMPACT).reason,
            Reason::MalformedHeader
        );
    }

    #[test]
    fn escapes_in_the_source_do_not_matter() {
        // `\u00e9`, `\/` and a surrogate-pair escape are written as plain characters by JSON.stringify.
        let escaped = br#"{ "title": "V\u00e9rifier \/ pompe \ud83d\udd27", "n": 1.0 }"#;
        let plain = r#"{"title":"Vérifier / pompe 🔧","n":1}"#;
        let sig = signature(plain.as_bytes()).unwrap();
        let v = check(&sig, escaped);
        assert!(v.valid, "{v:?}");
        assert!(v.note.is_some());
    }
}
