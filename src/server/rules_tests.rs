use super::*;

const FILE: &str = r#"
# failures first, then the slow path
[[rule]]
path = "/fail/*"
fail_next = 2
fail_status = 503

[[rule]]
name = "slow"
path = "/slow"
method = "post"
delay_ms = 2000
status = 202
body = '{"queued":true}'
headers = { "Retry-After" = "5", "X-Trace" = "abc" }
"#;

#[test]
fn file_parses_with_defaults() {
    let set = RuleSet::from_toml(FILE).unwrap();
    assert_eq!(set.rule.len(), 2);
    let fail = &set.rule[0];
    assert_eq!(fail.path.as_str(), "/fail/*");
    assert_eq!(fail.status, StatusCode(200));
    assert_eq!(fail.fail_status, StatusCode(503));
    assert_eq!(fail.fail_next, 2);
    assert!(fail.enabled);
    let slow = &set.rule[1];
    assert_eq!(slow.method, Some(MethodName("POST".into())));
    assert_eq!(slow.delay_ms, DelayMs(2000));
    assert_eq!(
        slow.headers.0,
        vec![
            ("Retry-After".to_string(), "5".to_string()),
            ("X-Trace".into(), "abc".into())
        ]
    );
}

#[test]
fn fail_next_counts_down_then_answers_normally() {
    let rules = Rules::compile(&RuleSet::from_toml(FILE).unwrap());
    let statuses: Vec<u16> = (0..4)
        .map(|_| rules.respond("POST", "/fail/x").unwrap().status)
        .collect();
    assert_eq!(statuses, vec![503, 503, 200, 200]);
    assert_eq!(rules.remaining_failures(), vec![0, 0]);
    let ok = rules.respond("GET", "/fail/a/b").unwrap();
    assert_eq!(ok.body, br#"{"ok":true}"#);
    assert_eq!(ok.headers.get("content-type"), Some("application/json"));
}

#[test]
fn method_and_glob_select_the_rule() {
    let rules = Rules::compile(&RuleSet::from_toml(FILE).unwrap());
    let slow = rules.respond("POST", "/slow").unwrap();
    assert_eq!(slow.status, 202);
    assert_eq!(slow.delay_ms, 2000);
    assert_eq!(slow.body, br#"{"queued":true}"#);
    assert_eq!(slow.headers.get("retry-after"), Some("5"));
    assert!(rules.respond("GET", "/slow").is_none(), "method must match");
    assert!(rules.respond("POST", "/slower").is_none());
    assert!(rules.respond("POST", "/other").is_none());
}

#[test]
fn disabled_rules_are_skipped_and_first_match_wins() {
    let mut set = RuleSet::from_toml(
        r#"
        [[rule]]
        path = "/a"
        status = 418
        enabled = false
        [[rule]]
        path = "/*"
        status = 201
        [[rule]]
        path = "/a"
        status = 500
        "#,
    )
    .unwrap();
    let live = LiveRules::new(&set);
    assert_eq!(live.respond("GET", "/a").unwrap().status, 201);
    set.rule[0].enabled = true;
    live.replace(&set);
    assert_eq!(live.respond("GET", "/a").unwrap().status, 418);
}

#[test]
fn errors_name_the_line() {
    let cases = [
        ("[[rule]]\npath = \"/a\"\nstatus = 99\n", 3, "between 200 and 599"),
        ("[[rule]]\npath = \"/a\"\nstatus = 101\n", 3, "not a final answer"),
        (
            "[[rule]]\npath = \"/a\"\nfail_status = 100\n",
            3,
            "between 200 and 599",
        ),
        (
            "[[rule]]\npath = \"/a\"\nheaders = { \"Content-Length\" = \"3\" }\n",
            3,
            "a rule cannot set it",
        ),
        (
            "[[rule]]\npath = \"/a\"\nheaders = { \"transfer-encoding\" = \"chunked\" }\n",
            3,
            "a rule cannot set it",
        ),
        ("[[rule]]\npath = \"/a\"\n\nstatuss = 200\n", 4, "statuss"),
        ("[[rule]]\npath = \"a[\"\n", 2, "must start with"),
        ("[[rule]]\npath = \"/a[\"\n", 2, "path pattern"),
        ("[[rule]]\nstatus = 200\n", 1, "path"),
        ("[[rule]]\npath = \"/a\"\ndelay_ms = -1\n", 3, "delay_ms"),
        (
            "[[rule]]\npath = \"/a\"\nheaders = { \"Bad Name\" = \"x\" }\n",
            3,
            "not a valid header name",
        ),
        (
            "[[rule]]\npath = \"/a\"\nmethod = \"PO ST\"\n",
            3,
            "not an HTTP method",
        ),
        ("[[rule]]\npath = \"/a\n", 2, ""),
    ];
    let nested = format!(
        "[[rule]]\n\npath = \"/{}x{}\"\n",
        "{a,".repeat(250),
        "}".repeat(250)
    );
    let long = format!("[[rule]]\npath = \"/{}\"\n", "*".repeat(100_000));
    let cases = cases.into_iter().chain([
        (nested.as_str(), 3, "too complex"),
        (long.as_str(), 2, "at most 1024"),
    ]);
    for (text, line, needle) in cases {
        let err = RuleSet::from_toml(text).unwrap_err();
        assert!(err.message.len() < 300, "the message stays short: {err}");
        assert_eq!(err.line, line, "{text:?}: {err}");
        assert!(err.message.contains(needle), "{text:?}: {err}");
    }
}

#[test]
fn toml_round_trip() {
    let set = RuleSet::from_toml(FILE).unwrap();
    let text = set.to_toml();
    assert_eq!(RuleSet::from_toml(&text).unwrap(), set, "{text}");
    assert_eq!(RuleSet::from_toml("").unwrap(), RuleSet::default());
}

#[test]
fn failure_body_and_type() {
    let mut rule = RuleConfig::new("/x").unwrap();
    rule.fail_body = Some("nope".into());
    let f = rule.failure();
    assert_eq!(f.status, 503);
    assert_eq!(f.body, b"nope");
    assert_eq!(f.headers.get("content-type"), Some("text/plain; charset=utf-8"));
    rule.body = Some(String::new());
    assert!(rule.answer().body.is_empty());
    assert!(RuleConfig::new("x").is_err());
}

#[test]
fn status_codes_outside_200_to_599_are_refused_with_the_right_reason() {
    assert_eq!(StatusCode::new(204), Ok(StatusCode(204)));
    let informational = StatusCode::new(101).unwrap_err();
    assert!(
        informational.contains("a 1xx is not a final answer"),
        "{informational}"
    );
    for code in [600, -1, 70_000] {
        let e = StatusCode::new(code).unwrap_err();
        assert_eq!(e, format!("status {code} is not between 200 and 599"));
    }
}
