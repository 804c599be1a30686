//! What a followed redirect may carry.
//!
//! A signature (or a bearer token, or a cookie) is meant for the receiver it was made for. When a
//! followed redirect leads to another origin (scheme, host or port), those headers are dropped
//! unless the caller asked to keep them ([`super::Client::keep_signatures_on_redirect`]).

use super::request::parse_target;
use crate::capture::HeaderList;
use crate::signature::Scheme;

/// Headers that carry credentials without being anyone's signature header.
const CREDENTIALS: [&str; 3] = ["authorization", "proxy-authorization", "cookie"];

/// Does a header carry a signature or a credential? Every built-in scheme's signature header,
/// `Authorization`, `Proxy-Authorization`, `Cookie`, and any name that says `signature` or
/// `hmac` (custom schemes).
pub fn is_credential_header(name: &str) -> bool {
    let lower = name.trim().to_ascii_lowercase();
    CREDENTIALS.contains(&lower.as_str())
        || lower.contains("signature")
        || lower.contains("hmac")
        || Scheme::all_builtin()
            .iter()
            .any(|s| s.signature_header().eq_ignore_ascii_case(&lower))
}

/// Do two URLs share scheme, host and port? Unparseable URLs never do.
pub fn same_origin(a: &str, b: &str) -> bool {
    match (parse_target(a), parse_target(b)) {
        (Ok(a), Ok(b)) => a.https == b.https && a.host.eq_ignore_ascii_case(&b.host) && a.port == b.port,
        _ => false,
    }
}

/// Remove signature and credential headers, and those named in `also` (custom schemes'
/// signature headers); returns the names removed, in order.
pub fn strip_credentials(headers: &mut HeaderList, also: &[String]) -> Vec<String> {
    let mut removed = Vec::new();
    headers.0.retain(|h| {
        let drop = is_credential_header(&h.name)
            || also.iter().any(|a| a.trim().eq_ignore_ascii_case(h.name.trim()));
        if drop {
            removed.push(h.name.clone());
        }
        !drop
    });
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_and_credential_headers_are_recognised() {
        for name in [
            "Stripe-Signature",
            "X-Hub-Signature-256",
            "X-Hub-Signature",
            "webhook-signature",
            "X-Shopify-Hmac-Sha256",
            "x-maintainx-signature",
            "X-SMTM-Signature",
            "Authorization",
            "cookie",
            "X-My-Custom-Signature",
        ] {
            assert!(is_credential_header(name), "{name}");
        }
        for name in [
            "Content-Type",
            "X-GitHub-Event",
            "webhook-id",
            "User-Agent",
            "Host",
        ] {
            assert!(!is_credential_header(name), "{name}");
        }
        for s in Scheme::all_builtin() {
            assert!(is_credential_header(s.signature_header()), "{s}");
        }
    }

    #[test]
    fn origins() {
        assert!(same_origin("http://h:80/a", "http://H/b?x"));
        assert!(!same_origin("http://h/a", "https://h/a"));
        assert!(!same_origin("http://h:1/a", "http://h:2/a"));
        assert!(!same_origin("http://h/a", "http://other/a"));
        assert!(!same_origin("http://h/a", "not a url"));
    }

    #[test]
    fn strip_keeps_everything_else_in_order() {
        let mut h = HeaderList::from_pairs([
            ("A", "1"),
            ("Stripe-Signature", "t=1,v1=x"),
            ("B", "2"),
            ("Authorization", "Bearer k"),
            ("X-My-Sig", "mac"),
        ]);
        assert_eq!(
            strip_credentials(&mut h, &["x-my-sig".to_string()]),
            ["Stripe-Signature", "Authorization", "X-My-Sig"]
        );
        let names: Vec<_> = h.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["A", "B"]);
    }
}
