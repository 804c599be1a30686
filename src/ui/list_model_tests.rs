use super::*;
use crate::capture::sort::SortKey;
use crate::capture::{Origin, Verdict};

fn summary(id: i64) -> Summary {
    Summary {
        id: CaptureId(id),
        received_at_us: id,
        method: "POST".into(),
        target: format!("/{id}"),
        status: Some(200),
        body_len: 1,
        oversized: false,
        origin: Origin::Live,
        scheme: None,
        verdict: Verdict::Unsigned,
        event: None,
        duplicate_of: None,
        out_of_order: false,
        test: false,
        replayed: false,
        incomplete: false,
    }
}

fn with_verdict(id: i64, verdict: Verdict) -> Summary {
    Summary {
        verdict,
        ..summary(id)
    }
}

fn ids(v: &[i64]) -> Vec<CaptureId> {
    v.iter().copied().map(CaptureId).collect()
}

/// What the store answers for `rows` sorted by `sort` (runs included), computed in memory.
fn ordered(rows: &[Summary], sort: ListSort, upto: i64) -> OrderedIds {
    let mut rows: Vec<&Summary> = rows.iter().collect();
    rows.sort_by(|a, b| sort.cmp_rows((&sort.value_of(a), a.id), (&sort.value_of(b), b.id)));
    let mut runs: Vec<SortRun> = Vec::new();
    for (i, s) in rows.iter().enumerate() {
        let value = sort.value_of(s);
        match runs.last_mut() {
            Some(r) if r.value == value => r.end = i + 1,
            _ => runs.push(SortRun { value, end: i + 1 }),
        }
    }
    OrderedIds {
        sort,
        ids: rows.iter().map(|s| s.id).collect(),
        runs,
        upto: CaptureId(upto),
    }
}

/// Ten captures, verdicts cycling invalid, valid, unsigned, no secret, valid, ...
fn ten() -> Vec<Summary> {
    let cycle = [
        Verdict::Invalid,
        Verdict::Valid,
        Verdict::Unsigned,
        Verdict::NoSecret,
        Verdict::Valid,
    ];
    (1..=10)
        .map(|i| with_verdict(i, cycle[(i as usize - 1) % 5]))
        .collect()
}

fn by_verdict(descending: bool) -> ListSort {
    ListSort {
        key: SortKey::Verdict,
        descending,
    }
}

/// The model's order and runs must equal a fresh in-memory sort of everything it holds.
fn assert_consistent(m: &ListModel, all: &[Summary]) {
    let expected = ordered(all, m.sort(), i64::MAX);
    assert_eq!(m.ids(), expected.ids.as_slice());
    assert_eq!(m.runs, expected.runs);
    for (i, id) in m.ids().iter().enumerate() {
        assert_eq!(m.index_of(*id), Some(i), "index_of({id})");
    }
}

#[test]
fn missing_rows_are_requested_once() {
    let mut m = ListModel::default();
    m.set_ids((1..=1000).map(CaptureId).collect::<Vec<_>>().into());
    let first = m.missing_around(0..20);
    assert_eq!(first.len(), 220);
    assert!(m.missing_around(0..20).is_empty(), "already requested");
    m.insert_loaded(first.iter().map(|id| summary(id.0)).collect());
    assert_eq!(m.row(CaptureId(5)).unwrap().target, "/5");
}

#[test]
fn live_inserts_append_and_cache() {
    let mut m = ListModel::default();
    m.set_ids(ids(&[1, 2]).into());
    m.insert_live(vec![summary(3), summary(4)]);
    assert_eq!(m.len(), 4);
    assert_eq!(m.last_id(), Some(CaptureId(4)));
    assert!(m.row(CaptureId(4)).is_some());
    // A duplicate delivery of the same batch does not duplicate rows.
    m.insert_live(vec![summary(4)]);
    assert_eq!(m.len(), 4);
    assert_eq!(m.take_shift(), 0, "arrival order never shifts the view");
}

#[test]
fn filtered_list_keeps_live_arrivals_newer_than_the_query() {
    let mut m = ListModel::default();
    m.set_ids(ids(&[1, 2, 3]).into());
    m.insert_live(vec![summary(4), summary(5)]);
    // The query saw ids up to 4 and matched 2 and 4; 5 arrived after it.
    assert!(m.set_ids(OrderedIds::arrival(ids(&[2, 4]), CaptureId(4))));
    assert_eq!(m.ids(), ids(&[2, 4, 5]).as_slice());
}

#[test]
fn cache_stays_bounded_when_scrolling_far() {
    let mut m = ListModel::default();
    m.set_ids((1..=200_000).map(CaptureId).collect::<Vec<_>>().into());
    for start in (0..200_000).step_by(1000) {
        let ids = m.missing_around(start..start + 40);
        m.insert_loaded(ids.iter().map(|id| summary(id.0)).collect());
    }
    assert!(
        m.cached_rows() <= MAX_CACHED_ROWS + 2 * PREFETCH_ROWS + 40,
        "{}",
        m.cached_rows()
    );
}

#[test]
fn sorted_list_finds_rows_cached_or_not() {
    let all = ten();
    let mut m = ListModel::default();
    assert!(m.set_ids(ordered(&all, by_verdict(false), 10)));
    // invalid 1 6 · no_secret 4 9 · unsigned 3 8 · valid 2 5 7 10
    assert_eq!(m.ids(), ids(&[1, 6, 4, 9, 3, 8, 2, 5, 7, 10]).as_slice());
    assert_eq!(
        m.index_of(CaptureId(8)),
        Some(5),
        "found by scanning: nothing cached"
    );
    assert_eq!(m.index_of(CaptureId(11)), None);
    m.insert_loaded(all.clone());
    assert_consistent(&m, &all);
    assert_eq!(m.index_of(CaptureId(11)), None);

    m.set_ids(ordered(&all, by_verdict(true), 10));
    assert_eq!(m.ids(), ids(&[10, 7, 5, 2, 8, 3, 9, 4, 6, 1]).as_slice());
    assert_consistent(&m, &all);
}

#[test]
fn sorted_list_merges_live_arrivals_into_place() {
    for descending in [false, true] {
        let mut all = ten();
        let mut m = ListModel::default();
        m.set_ids(ordered(&all, by_verdict(descending), 10));
        m.insert_loaded(all.clone());
        let batch = vec![
            with_verdict(11, Verdict::Invalid),
            with_verdict(12, Verdict::Valid),
            with_verdict(13, Verdict::Invalid),
        ];
        all.extend(batch.clone());
        m.insert_live(batch.clone());
        assert_consistent(&m, &all);
        // The same batch again changes nothing.
        m.insert_live(batch);
        assert_consistent(&m, &all);
        // A value the list did not hold yet starts a run of its own.
        let mut only_valid: Vec<Summary> = all
            .iter()
            .filter(|s| s.verdict == Verdict::Valid)
            .cloned()
            .collect();
        let mut m = ListModel::default();
        m.set_ids(ordered(&only_valid, by_verdict(descending), 12));
        let fresh = vec![
            with_verdict(20, Verdict::NoSecret),
            with_verdict(21, Verdict::Unsigned),
        ];
        only_valid.extend(fresh.clone());
        m.insert_live(fresh);
        assert_consistent(&m, &only_valid);
    }
}

#[test]
fn sorted_list_into_an_empty_list() {
    let mut m = ListModel::default();
    m.set_ids(ordered(&[], by_verdict(false), 0));
    let rows = vec![with_verdict(1, Verdict::Valid), with_verdict(2, Verdict::Invalid)];
    m.insert_live(rows.clone());
    assert_consistent(&m, &rows);
    assert_eq!(m.ids(), ids(&[2, 1]).as_slice());
}

#[test]
fn rows_inserted_above_the_view_are_reported_as_a_shift() {
    let all = ten();
    let mut m = ListModel::default();
    m.set_ids(ordered(&all, by_verdict(false), 10));
    // At the top, new rows simply appear there.
    m.missing_around(0..5);
    m.insert_live(vec![with_verdict(11, Verdict::Invalid)]);
    assert_eq!(m.take_shift(), 0);
    // Scrolled to the valid rows: an invalid and a no-secret arrival land above them, a
    // valid one below.
    let first_valid = m.index_of(CaptureId(2)).unwrap();
    m.missing_around(first_valid..first_valid + 3);
    m.insert_live(vec![
        with_verdict(12, Verdict::Invalid),
        with_verdict(13, Verdict::NoSecret),
        with_verdict(14, Verdict::Valid),
    ]);
    assert_eq!(m.take_shift(), 2);
    assert_eq!(m.take_shift(), 0, "taken");
}

#[test]
fn re_sorting_keeps_racing_arrivals_and_drops_stale_rows() {
    let mut all = ten();
    let mut m = ListModel::default();
    m.set_ids(ids(&(1..=10).collect::<Vec<_>>()).into());
    m.insert_loaded(all.clone());
    // 11 arrives while the sorted query (which saw ids up to 10) runs.
    let late = with_verdict(11, Verdict::Invalid);
    m.insert_live(vec![late.clone()]);
    assert!(m.set_ids(ordered(&all, by_verdict(false), 10)));
    all.push(late);
    assert_consistent(&m, &all);

    // Captures re-verified: 2 is now invalid, its cached summary says valid.
    let mut changed = all.clone();
    changed[1].verdict = Verdict::Invalid;
    assert!(m.set_ids(ordered(&changed, by_verdict(false), 11)));
    assert!(
        m.row(CaptureId(2)).is_none(),
        "stale summary dropped, to be loaded again"
    );
    assert_eq!(m.index_of(CaptureId(2)), Some(1), "found by scanning");
    assert!(m.row(CaptureId(5)).is_some(), "unchanged rows stay cached");

    // A racing arrival whose summary is gone cannot be placed: the caller reloads.
    let mut m = ListModel::default();
    m.set_ids(ids(&[1, 2]).into());
    m.insert_live(vec![summary(3)]);
    m.rows.remove(&CaptureId(3));
    assert!(!m.set_ids(ordered(&all[..2], by_verdict(false), 2)));
}

#[test]
fn selection_is_found_after_every_re_sort() {
    let all = ten();
    let mut m = ListModel::default();
    m.insert_loaded(all.clone());
    let selected = CaptureId(9);
    for sort in [
        by_verdict(false),
        by_verdict(true),
        ListSort::by(SortKey::Path),
        ListSort::ARRIVAL,
    ] {
        let list = if sort.is_arrival() {
            ids(&(1..=10).collect::<Vec<_>>()).into()
        } else {
            ordered(&all, sort, 10)
        };
        let expected = list.ids.iter().position(|id| *id == selected);
        m.set_ids(list);
        assert_eq!(m.index_of(selected), expected, "{sort:?}");
        assert!(expected.is_some());
    }
}

#[test]
fn sorted_cache_trims_around_the_viewport() {
    let rows: Vec<Summary> = (1..=60_000)
        .map(|i| {
            let v = if i % 3 == 0 {
                Verdict::Invalid
            } else {
                Verdict::Valid
            };
            with_verdict(i, v)
        })
        .collect();
    let mut m = ListModel::default();
    m.set_ids(ordered(&rows, by_verdict(false), 60_000));
    for start in (0..60_000).step_by(500) {
        let missing = m.missing_around(start..start + 40);
        let loaded: Vec<Summary> = missing.iter().map(|id| rows[id.0 as usize - 1].clone()).collect();
        m.insert_loaded(loaded);
    }
    assert!(m.cached_rows() <= MAX_CACHED_ROWS + 2 * PREFETCH_ROWS + 40);
    // What is on screen stays cached.
    let on_screen = m.id_at(59_520).unwrap();
    assert!(m.row(on_screen).is_some());
}

#[test]
fn a_reload_keeps_arrivals_that_raced_it_and_drops_rows_gone_before_it() {
    let mut m = ListModel::default();
    m.set_ids(ids(&[1, 2, 3, 4, 5]).into());
    m.insert_live(vec![summary(6)]);
    // 5 and 6 are deleted; the reload is asked for, then 7 and 8 arrive while it runs.
    m.reload_requested();
    m.insert_live(vec![summary(7), summary(8)]);
    // Its snapshot saw up to 7.
    assert!(m.set_ids(OrderedIds::arrival(ids(&[1, 2, 3, 4, 7]), CaptureId(7))));
    assert_eq!(m.ids(), ids(&[1, 2, 3, 4, 7, 8]).as_slice());
    assert!(m.row(CaptureId(8)).is_some());

    // Everything cleared (by another process): new ids start again at 1.
    m.reload_requested();
    m.insert_live(vec![summary(1)]);
    assert!(m.set_ids(OrderedIds::arrival(ids(&[1]), CaptureId(1))));
    assert_eq!(m.ids(), ids(&[1]).as_slice(), "no stale rows above the new ids");
}
