//! URL helpers for the schemes that sign the request URL (twilio, hubspot-v3, square): port
//! normalization, the near-miss variants a sender may have signed, and query parameters.

/// `scheme://authority` and the rest (`/path?query`).
fn split_origin(url: &str) -> Option<(&str, &str, &str)> {
    let (scheme, after) = url.split_once("://")?;
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    Some((scheme, &after[..end], &after[end..]))
}

/// Host part and explicit port of an authority (`user@host:port`).
fn split_port(authority: &str) -> (&str, Option<&str>) {
    let host_start = authority.rfind('@').map_or(0, |i| i + 1);
    let host = &authority[host_start..];
    let bracket_end = host.rfind(']').map_or(0, |i| i + 1);
    match host[bracket_end..].rfind(':') {
        Some(i) => {
            let at = host_start + bracket_end + i;
            (&authority[..at], Some(&authority[at + 1..]))
        }
        None => (authority, None),
    }
}

/// The URL with its explicit port removed, or the scheme's default port added when it has none.
pub(crate) fn toggle_port(url: &str) -> Option<String> {
    let (scheme, authority, rest) = split_origin(url)?;
    match split_port(authority) {
        (host, Some(_)) => Some(format!("{scheme}://{host}{rest}")),
        (host, None) => {
            let port = if scheme.eq_ignore_ascii_case("https") {
                443
            } else {
                80
            };
            Some(format!("{scheme}://{host}:{port}{rest}"))
        }
    }
}

/// Plausible other forms of a configured URL: trailing slash toggled, `http`↔`https`, both.
pub(crate) fn url_variants(url: &str) -> Vec<String> {
    let Some((scheme, authority, rest)) = split_origin(url) else {
        return Vec::new();
    };
    let split = rest.find(['?', '#']).unwrap_or(rest.len());
    let (path, tail) = rest.split_at(split);
    let other_path = match path.strip_suffix('/') {
        Some(p) => p.to_string(),
        None => format!("{path}/"),
    };
    let other_scheme = match scheme {
        "https" => "http",
        "http" => "https",
        _ => scheme,
    };
    let mut out = vec![format!("{scheme}://{authority}{other_path}{tail}")];
    if other_scheme != scheme {
        out.push(format!("{other_scheme}://{authority}{path}{tail}"));
        out.push(format!("{other_scheme}://{authority}{other_path}{tail}"));
    }
    out.extend(toggle_port(url));
    out.retain(|u| u != url);
    out
}

/// The value of query parameter `name` (not decoded).
pub(crate) fn query_param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then_some(v)
    })
}

/// The URL with query parameter `name` set to `value` (replaced in place, or appended).
pub(crate) fn set_query_param(url: &str, name: &str, value: &str) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let mut out = match base.split_once('?') {
        Some((path, query)) => {
            let mut found = false;
            let pairs: Vec<String> = query
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let key = pair.split_once('=').map_or(pair, |(k, _)| k);
                    if key == name && !found {
                        found = true;
                        format!("{name}={value}")
                    } else {
                        pair.to_string()
                    }
                })
                .collect();
            let mut q = pairs.join("&");
            if !found {
                if !q.is_empty() {
                    q.push('&');
                }
                q.push_str(name);
                q.push('=');
                q.push_str(value);
            }
            format!("{path}?{q}")
        }
        None => format!("{base}?{name}={value}"),
    };
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            toggle_port("https://h.example.com:443/a?b=1").unwrap(),
            "https://h.example.com/a?b=1"
        );
        assert_eq!(toggle_port("http://h/a").unwrap(), "http://h:80/a");
        assert_eq!(toggle_port("https://u:p@h?x").unwrap(), "https://u:p@h:443?x");
        let v = url_variants("https://h/n?x=1");
        assert!(v.contains(&"https://h/n/?x=1".to_string()));
        assert!(v.contains(&"http://h/n?x=1".to_string()));
        assert_eq!(
            query_param("https://h/p?a=1&bodySHA256=ff", "bodySHA256"),
            Some("ff")
        );
        assert_eq!(
            set_query_param("https://h/p?a=1&b=2", "b", "9"),
            "https://h/p?a=1&b=9"
        );
        assert_eq!(set_query_param("https://h/p", "b", "9"), "https://h/p?b=9");
        assert_eq!(
            set_query_param("https://h/p?a=1", "b", "9"),
            "https://h/p?a=1&b=9"
        );
    }

    #[test]
    fn variants_cover_slash_scheme_and_port() {
        let v = url_variants("https://h.example.com/a/");
        assert_eq!(
            v,
            vec![
                "https://h.example.com/a".to_string(),
                "http://h.example.com/a/".into(),
                "http://h.example.com/a".into(),
                "https://h.example.com:443/a/".into(),
            ]
        );
        assert!(url_variants("not a url").is_empty());
        assert_eq!(toggle_port("https://[::1]:8443/x").unwrap(), "https://[::1]/x");
        assert_eq!(toggle_port("https://[::1]/x").unwrap(), "https://[::1]:443/x");
        assert_eq!(query_param("https://h/p?a&b=2#frag", "b"), Some("2"));
        assert_eq!(query_param("https://h/p", "b"), None);
        assert_eq!(
            set_query_param("https://h/p?a=1#f", "b", "2"),
            "https://h/p?a=1&b=2#f"
        );
    }
}
