//! The curl options an import understands, and what each one means for the request.
//!
//! Options that change the request have their own meaning; options that only change how curl
//! runs (output, timeouts, TLS, proxies, retries) are accepted and ignored, the ones with a value
//! consuming it; options that need files or run-time work are refused with a reason.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opt {
    Request,
    Header,
    /// `-d`, `--data`, `--data-ascii`: `@file` is read with CR and LF removed.
    Data,
    /// `--data-binary`: `@file` is read as is.
    DataBinary,
    /// `--data-raw`: no `@` meaning.
    DataRaw,
    DataUrlencode,
    Json,
    UrlQuery,
    User,
    UserAgent,
    Cookie,
    Referer,
    Url,
    /// `--request-target`: the target sent instead of the URL's path and query (`*`).
    RequestTarget,
    Get,
    Head,
    Range,
    Bearer,
    Http10,
    Http2,
    Http3,
    /// A switch with no effect on the request.
    Flag,
    /// An option with a value and no effect on the request.
    Valued,
    /// An option that cannot be imported, with the reason.
    Unsupported(&'static str),
}

impl Opt {
    pub(crate) fn takes_value(self) -> bool {
        !matches!(
            self,
            Opt::Get | Opt::Head | Opt::Http10 | Opt::Http2 | Opt::Http3 | Opt::Flag
        )
    }
}

pub(crate) const NO_FILES: &str =
    "reads a file, which is not part of the paste; paste the raw HTTP request instead";
const NO_FORMS: &str = "multipart forms are not supported; paste the raw HTTP request instead";
const NO_SIGNING: &str = "signs the request when it runs; paste the raw HTTP request instead";

/// Long name, short letter, meaning.
const OPTIONS: &[(&str, Option<u8>, Opt)] = &[
    ("request", Some(b'X'), Opt::Request),
    ("header", Some(b'H'), Opt::Header),
    ("data", Some(b'd'), Opt::Data),
    ("data-ascii", None, Opt::Data),
    ("data-binary", None, Opt::DataBinary),
    ("data-raw", None, Opt::DataRaw),
    ("data-urlencode", None, Opt::DataUrlencode),
    ("json", None, Opt::Json),
    ("url-query", None, Opt::UrlQuery),
    ("user", Some(b'u'), Opt::User),
    ("user-agent", Some(b'A'), Opt::UserAgent),
    ("cookie", Some(b'b'), Opt::Cookie),
    ("referer", Some(b'e'), Opt::Referer),
    ("url", None, Opt::Url),
    ("request-target", None, Opt::RequestTarget),
    ("get", Some(b'G'), Opt::Get),
    ("head", Some(b'I'), Opt::Head),
    ("range", Some(b'r'), Opt::Range),
    ("oauth2-bearer", None, Opt::Bearer),
    ("http1.0", Some(b'0'), Opt::Http10),
    ("http2-prior-knowledge", None, Opt::Http2),
    ("http3", None, Opt::Http3),
    ("http3-only", None, Opt::Http3),
    ("form", Some(b'F'), Opt::Unsupported(NO_FORMS)),
    ("form-string", None, Opt::Unsupported(NO_FORMS)),
    ("upload-file", Some(b'T'), Opt::Unsupported(NO_FILES)),
    ("config", Some(b'K'), Opt::Unsupported(NO_FILES)),
    ("aws-sigv4", None, Opt::Unsupported(NO_SIGNING)),
];

/// Switches that change nothing in the request (long names, then short letters).
const IGNORED_SWITCHES: &str = "\
    http1.1 http2 insecure silent show-error verbose include location location-trusted \
    compressed fail fail-with-body no-buffer globoff progress-bar no-progress-meter ipv4 ipv6 \
    remote-name remote-header-name remote-time junk-session-cookies netrc disable tlsv1 \
    tlsv1.2 tlsv1.3 raw tr-encoding path-as-is basic digest anyauth keepalive tcp-nodelay ssl \
    ssl-reqd ssl-no-revoke proxy-insecure retry-connrefused retry-all-errors create-dirs \
    styled-output post301 post302 post303";
const IGNORED_SHORT_SWITCHES: &[u8] = b"ksSviLfNg#46OJRjnq1";
/// Options whose value changes nothing in the request.
const IGNORED_WITH_VALUE: &str = "\
    output max-time connect-timeout write-out retry retry-delay retry-max-time max-redirs \
    proxy proxy-user noproxy cacert capath cert cert-type key key-type pass pinnedpubkey \
    ciphers resolve connect-to interface local-port unix-socket cookie-jar dump-header \
    output-dir stderr trace trace-ascii limit-rate max-filesize speed-limit speed-time \
    keepalive-time expect100-timeout proto proto-default proto-redir";
const IGNORED_SHORT_WITH_VALUE: &[u8] = b"omwxUEcDYy";

pub(crate) fn long_option(name: &str) -> Option<Opt> {
    let find = |n: &str| {
        let known = OPTIONS
            .iter()
            .find(|(long, _, _)| *long == n)
            .map(|&(_, _, opt)| opt);
        known
            .or_else(|| {
                IGNORED_SWITCHES
                    .split_ascii_whitespace()
                    .any(|s| s == n)
                    .then_some(Opt::Flag)
            })
            .or_else(|| {
                IGNORED_WITH_VALUE
                    .split_ascii_whitespace()
                    .any(|s| s == n)
                    .then_some(Opt::Valued)
            })
    };
    find(name).or_else(|| {
        // `--no-compressed`, `--no-keepalive`, ...: negated switches.
        name.strip_prefix("no-")
            .and_then(find)
            .filter(|&opt| opt == Opt::Flag)
    })
}

pub(crate) fn short_option(letter: u8) -> Option<Opt> {
    let known = OPTIONS
        .iter()
        .find(|(_, short, _)| *short == Some(letter))
        .map(|&(_, _, opt)| opt);
    known
        .or_else(|| IGNORED_SHORT_SWITCHES.contains(&letter).then_some(Opt::Flag))
        .or_else(|| IGNORED_SHORT_WITH_VALUE.contains(&letter).then_some(Opt::Valued))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_and_short_names_map_to_the_same_meaning() {
        for &(long, short, opt) in OPTIONS {
            assert_eq!(long_option(long), Some(opt), "{long}");
            if let Some(letter) = short {
                assert_eq!(short_option(letter), Some(opt), "{long}");
            }
        }
        assert_eq!(long_option("max-time"), Some(Opt::Valued));
        assert_eq!(short_option(b'm'), Some(Opt::Valued));
        assert_eq!(long_option("compressed"), Some(Opt::Flag));
        assert_eq!(long_option("no-compressed"), Some(Opt::Flag));
        assert_eq!(long_option("no-max-time"), None, "only switches can be negated");
        assert_eq!(long_option("frobnicate"), None);
        assert_eq!(short_option(b'z'), None);
    }

    #[test]
    fn ignored_lists_have_no_duplicates_or_clashes() {
        let mut longs: Vec<&str> = OPTIONS.iter().map(|(l, _, _)| *l).collect();
        longs.extend(IGNORED_SWITCHES.split_ascii_whitespace());
        longs.extend(IGNORED_WITH_VALUE.split_ascii_whitespace());
        let mut shorts: Vec<u8> = OPTIONS.iter().filter_map(|(_, s, _)| *s).collect();
        shorts.extend_from_slice(IGNORED_SHORT_SWITCHES);
        shorts.extend_from_slice(IGNORED_SHORT_WITH_VALUE);
        let (n, m) = (longs.len(), shorts.len());
        longs.sort_unstable();
        longs.dedup();
        shorts.sort_unstable();
        shorts.dedup();
        assert_eq!((longs.len(), shorts.len()), (n, m));
        assert!(!Opt::Flag.takes_value() && Opt::Valued.takes_value() && Opt::Header.takes_value());
    }
}
