use proptest::prelude::*;

use super::*;

fn parse(s: &str) -> Filter {
    Filter::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

#[test]
fn full_example() {
    let f = parse(
        r#"method:POST path:/smtm/* header:x-smtm-event header:X-SMTM-Event=task.* verdict:invalid event:task.* has:duplicate has:out-of-order has:test has:oversized has:imported status:4xx after:2026-11-01 before:2026-11-02T12:00:00Z "free text""#,
    );
    let conds: Vec<Cond> = f.terms.iter().map(|t| t.cond.clone()).collect();
    assert_eq!(conds[0], Cond::Method(vec!["POST".into()]));
    assert_eq!(conds[1], Cond::Path("/smtm/*".into()));
    assert_eq!(
        conds[2],
        Cond::Header {
            name: "x-smtm-event".into(),
            value: None
        }
    );
    assert_eq!(
        conds[3],
        Cond::Header {
            name: "x-smtm-event".into(),
            value: Some("task.*".into())
        }
    );
    assert_eq!(conds[4], Cond::Verdict(vec![Verdict::Invalid]));
    assert_eq!(conds[5], Cond::Event("task.*".into()));
    assert_eq!(conds[6], Cond::Has(Flag::Duplicate));
    assert_eq!(conds[7], Cond::Has(Flag::OutOfOrder));
    assert_eq!(conds[8], Cond::Has(Flag::Test));
    assert_eq!(conds[9], Cond::Has(Flag::Oversized));
    assert_eq!(conds[10], Cond::Has(Flag::Imported));
    assert_eq!(conds[11], Cond::Status(vec![StatusMatch::Class(4)]));
    assert_eq!(conds[12], Cond::After(1_793_491_200_000_000));
    assert_eq!(conds[13], Cond::Before(1_793_620_800_000_000));
    assert_eq!(
        conds[14],
        Cond::Text {
            text: "free text".into(),
            prefix: false
        }
    );
    assert!(f.uses_search_index());
}

#[test]
fn negation_lists_prefix_and_quotes() {
    let f = parse(r#"-method:get,put  status:200,5xx,none word* -"say ""hi""" path:"/a b""#);
    assert!(f.terms[0].negated);
    assert_eq!(f.terms[0].cond, Cond::Method(vec!["GET".into(), "PUT".into()]));
    assert_eq!(
        f.terms[1].cond,
        Cond::Status(vec![
            StatusMatch::Code(200),
            StatusMatch::Class(5),
            StatusMatch::None
        ])
    );
    assert_eq!(
        f.terms[2].cond,
        Cond::Text {
            text: "word".into(),
            prefix: true
        }
    );
    assert!(f.terms[3].negated);
    assert_eq!(
        f.terms[3].cond,
        Cond::Text {
            text: r#"say "hi""#.into(),
            prefix: false
        }
    );
    assert_eq!(f.terms[4].cond, Cond::Path("/a b".into()));
    assert!(parse("  ").is_empty());
    assert!(!parse("method:POST").uses_search_index());
}

#[test]
fn errors_are_clear() {
    for (input, needle) in [
        ("foo:bar", "unknown filter `foo:`"),
        ("verdict:maybe", "unknown verdict"),
        ("has:nothing", "unknown flag"),
        ("status:700", "is not a status"),
        ("status:6xx", "is not a status"),
        ("after:yesterday", "not a date"),
        ("\"open", "not closed"),
        ("\"a\"b", "space after a closing quote"),
        ("method:", "needs a value"),
        ("header:=x", "not a header name"),
        ("{}", "needs a letter or digit"),
        ("method:PO/ST", "not an HTTP method"),
    ] {
        let e = Filter::parse(input).unwrap_err();
        assert!(e.to_string().contains(needle), "{input:?}: {e}");
    }
    let e = Filter::parse("method:POST foo:1").unwrap_err();
    assert_eq!(e.at, 12, "points at the bad term");
}

#[test]
fn wildcards() {
    assert!(wildcard_match("task.*", "task.completed"));
    assert!(wildcard_match("*", ""));
    assert!(wildcard_match("a?c", "abc"));
    assert!(wildcard_match("*.*.*", "a.b.c"));
    assert!(!wildcard_match("task.*", "user.created"));
    assert!(!wildcard_match("a?c", "ac"));
    assert!(wildcard_match("sha256=*", "sha256=abc"));
}

fn arb_cond() -> impl Strategy<Value = Cond> {
    let word = "[a-zA-Z0-9/_.*-]{1,12}";
    prop_oneof![
        prop::collection::vec("[A-Z]{1,7}", 1..3).prop_map(Cond::Method),
        word.prop_map(|p| Cond::Path(format!("/{p}"))),
        ("[a-z][a-z0-9-]{0,10}", prop::option::of("[a-z0-9. *]{0,8}"))
            .prop_map(|(name, value)| Cond::Header { name, value }),
        prop::collection::vec(prop::sample::select(Verdict::ALL.to_vec()), 1..3).prop_map(Cond::Verdict),
        word.prop_map(Cond::Event),
        prop::sample::select(Flag::ALL.to_vec()).prop_map(Cond::Has),
        prop::collection::vec(
            prop_oneof![
                (100u16..600).prop_map(StatusMatch::Code),
                (1u8..6).prop_map(StatusMatch::Class),
                Just(StatusMatch::None)
            ],
            1..3
        )
        .prop_map(Cond::Status),
        (0i64..4_000_000_000_000_000).prop_map(Cond::After),
        (0i64..4_000_000_000_000_000).prop_map(Cond::Before),
        ("[a-zA-Z0-9][a-zA-Z0-9 \"'.:-]{0,12}", any::<bool>())
            .prop_map(|(text, prefix)| Cond::Text { text, prefix }),
    ]
}

proptest! {
    #[test]
    fn arbitrary_input_never_panics(s in "\\PC{0,80}") {
        let _ = Filter::parse(&s);
    }

    #[test]
    fn filter_like_input_never_panics(s in "(-|method:|path:|header:|has:|status:|after:|before:|verdict:|event:|\"|=|,|\\*| |[a-z0-9/.]){0,30}") {
        if let Ok(f) = Filter::parse(&s) {
            // Whatever parses prints back to the same filter.
            prop_assert_eq!(Filter::parse(&f.to_string()).unwrap(), f);
        }
    }

    #[test]
    fn display_round_trips(conds in prop::collection::vec((any::<bool>(), arb_cond()), 0..6)) {
        let f = Filter { terms: conds.into_iter().map(|(negated, cond)| Term { negated, cond }).collect() };
        let text = f.to_string();
        prop_assert_eq!(Filter::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?, f);
    }

    #[test]
    fn wildcard_never_panics(p in "[a*?]{0,12}", t in "[ab]{0,12}") {
        let _ = wildcard_match(&p, &t);
    }
}

#[test]
fn an_unknown_flag_names_every_flag() {
    let e = Filter::parse("has:nothing").unwrap_err().to_string();
    for f in Flag::ALL {
        assert!(e.contains(f.as_str()), "{e} does not name {}", f.as_str());
    }
}

#[test]
fn a_summary_has_exactly_the_flags_it_carries() {
    use crate::capture::{CaptureId, Origin, Summary};
    let plain = Summary::of(&crate::capture::Capture::default());
    assert_eq!(plain.flags().count(), 0);
    let mut s = plain.clone();
    s.duplicate_of = Some(CaptureId(3));
    s.out_of_order = true;
    s.test = true;
    s.oversized = true;
    s.origin = Origin::Imported;
    s.replayed = true;
    s.incomplete = true;
    assert_eq!(s.flags().collect::<Vec<_>>(), Flag::ALL.to_vec());
    for f in Flag::ALL {
        let one: Vec<Flag> = Flag::ALL.into_iter().filter(|g| *g == f).collect();
        let mut only = plain.clone();
        match f {
            Flag::Duplicate => only.duplicate_of = Some(CaptureId(1)),
            Flag::OutOfOrder => only.out_of_order = true,
            Flag::Test => only.test = true,
            Flag::Oversized => only.oversized = true,
            Flag::Imported => only.origin = Origin::Imported,
            Flag::Replayed => only.replayed = true,
            Flag::Incomplete => only.incomplete = true,
        }
        assert_eq!(only.flags().collect::<Vec<_>>(), one, "{}", f.as_str());
    }
}
