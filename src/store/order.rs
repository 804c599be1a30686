//! The request list's ids in a chosen order ([`ListSort`]), optionally filtered: one query
//! returning ids (8 bytes each) and the runs of equal sort value, never whole rows.
//!
//! Cost on a large store: verdict, status and path orders read the `captures_path` index
//! (path, verdict, status) instead of the table and sort it; method is the table's second
//! column, read before the headers and body. Every order is therefore in the cost class of
//! the arrival-order list, which scans the table itself, and needs no index of its own (each
//! index would cost every insert an entry; migration 3 keeps those for minority rows only).
//! Size is not offered: `body_len` sits after the body in the row, so reading it walks the
//! overflow pages of every large body.

use rusqlite::types::ValueRef;
use rusqlite::{Connection, params_from_iter};

use super::filter::{compile, register_functions};
use super::{StoreError, search_index};
use crate::capture::CaptureId;
use crate::capture::filter::Filter;
use crate::capture::sort::{ListSort, OrderedIds, SortRun, SortValue};

/// Ids of the captures matching `filter` (all without one) in `sort` order, ties by id.
/// `upto` is recorded in the answer (see [`OrderedIds::upto`]). Body-text terms see what the
/// search index holds: call [`search_index::catch_up`] first.
pub fn ordered_ids(
    conn: &Connection,
    filter: Option<&Filter>,
    sort: ListSort,
    upto: CaptureId,
) -> Result<OrderedIds, StoreError> {
    let (where_sql, params) = match filter {
        Some(f) if !f.is_empty() => {
            register_functions(conn)?;
            let c = compile(f, search_index::indexed_upto(conn)?);
            (c.where_sql, c.params)
        }
        _ => ("1".to_string(), Vec::new()),
    };
    let Some(col) = sort.key.column() else {
        let sql = format!(
            "SELECT c.id FROM captures c WHERE {where_sql} ORDER BY {}",
            sort.order_by_sql()
        );
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(params.iter()), |r| r.get(0).map(CaptureId))?;
        let ids = rows.collect::<Result<_, _>>()?;
        return Ok(OrderedIds {
            sort,
            ids,
            runs: Vec::new(),
            upto,
        });
    };
    let sql = format!(
        "SELECT c.id, {col} FROM captures c WHERE {where_sql} ORDER BY {}",
        sort.order_by_sql()
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(params_from_iter(params.iter()))?;
    let mut ids = Vec::new();
    let mut runs: Vec<SortRun> = Vec::new();
    while let Some(row) = rows.next()? {
        ids.push(CaptureId(row.get(0)?));
        let value = row.get_ref(1)?;
        match runs.last_mut() {
            // Most rows continue the current run: compare without allocating.
            Some(run) if same(&run.value, value) => run.end = ids.len(),
            _ => runs.push(SortRun {
                value: owned(value),
                end: ids.len(),
            }),
        }
    }
    Ok(OrderedIds {
        sort,
        ids,
        runs,
        upto,
    })
}

fn same(a: &SortValue, b: ValueRef<'_>) -> bool {
    match (a, b) {
        (SortValue::Null, ValueRef::Null) => true,
        (SortValue::Int(a), ValueRef::Integer(b)) => *a == b,
        (SortValue::Text(a), ValueRef::Text(b)) => a.as_bytes() == b,
        _ => false,
    }
}

fn owned(v: ValueRef<'_>) -> SortValue {
    match v {
        ValueRef::Null => SortValue::Null,
        ValueRef::Integer(i) => SortValue::Int(i),
        // Not produced by hookscope's schema; kept distinct rather than dropped.
        ValueRef::Real(f) => SortValue::Int(f as i64),
        ValueRef::Text(t) | ValueRef::Blob(t) => SortValue::Text(String::from_utf8_lossy(t).into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::params_from_iter;

    use super::*;
    use crate::capture::sort::SortKey;
    use crate::store::filter::tests::mixed_set;

    fn ids(o: &OrderedIds) -> Vec<i64> {
        o.ids.iter().map(|id| id.0).collect()
    }

    fn text(s: &str) -> SortValue {
        SortValue::Text(s.into())
    }

    #[test]
    fn verdict_order_with_and_without_a_filter() {
        let dir = tempfile::tempdir().unwrap();
        let store = mixed_set(dir.path());
        let conn = store.connect_ro().unwrap();
        // Verdicts of ids 1..=6: invalid, valid, unsigned, valid, no_secret, unsigned.
        let by_verdict = ListSort::by(SortKey::Verdict);
        let all = ordered_ids(&conn, None, by_verdict, CaptureId(6)).unwrap();
        assert_eq!(ids(&all), vec![1, 5, 3, 6, 2, 4]);
        assert_eq!(
            all.runs,
            vec![
                SortRun {
                    value: text("invalid"),
                    end: 1
                },
                SortRun {
                    value: text("no_secret"),
                    end: 2
                },
                SortRun {
                    value: text("unsigned"),
                    end: 4
                },
                SortRun {
                    value: text("valid"),
                    end: 6
                },
            ]
        );
        assert_eq!(all.upto, CaptureId(6));

        let post = Filter::parse("method:POST").unwrap();
        let desc = ListSort {
            key: SortKey::Verdict,
            descending: true,
        };
        let got = ordered_ids(&conn, Some(&post), desc, CaptureId(6)).unwrap();
        assert_eq!(
            ids(&got),
            vec![4, 2, 6, 1],
            "POSTs: valid 4, 2; unsigned 6; invalid 1"
        );
        assert_eq!(got.runs.iter().map(|r| r.end).collect::<Vec<_>>(), vec![2, 3, 4]);

        let arrival = ordered_ids(&conn, Some(&post), ListSort::ARRIVAL, CaptureId(6)).unwrap();
        assert_eq!(ids(&arrival), vec![1, 2, 4, 6]);
        assert!(arrival.runs.is_empty());
    }

    #[test]
    fn every_key_orders_like_the_summaries_compare() {
        let dir = tempfile::tempdir().unwrap();
        let store = mixed_set(dir.path());
        let reader = store.reader().unwrap();
        let all: Vec<CaptureId> = (1..=6).map(CaptureId).collect();
        let summaries = reader.summaries(&all).unwrap();
        for key in [SortKey::Method, SortKey::Verdict, SortKey::Path, SortKey::Status] {
            for descending in [false, true] {
                let sort = ListSort { key, descending };
                let got = ordered_ids(reader.connection(), None, sort, CaptureId(6)).unwrap();
                let mut expected = summaries.clone();
                expected.sort_by(|a, b| sort.cmp_rows((&sort.value_of(a), a.id), (&sort.value_of(b), b.id)));
                let expected: Vec<CaptureId> = expected.iter().map(|s| s.id).collect();
                assert_eq!(got.ids, expected, "{sort:?}");
                // Runs cover the list and hold each row's value.
                assert_eq!(got.runs.last().map(|r| r.end), Some(6), "{sort:?}");
                let mut start = 0;
                for run in &got.runs {
                    for id in &got.ids[start..run.end] {
                        let s = summaries.iter().find(|s| s.id == *id).unwrap();
                        assert_eq!(sort.value_of(s), run.value, "{sort:?} #{id}");
                    }
                    start = run.end;
                }
            }
        }
    }

    #[test]
    fn verdict_status_and_path_orders_read_an_index_not_the_table() {
        let dir = tempfile::tempdir().unwrap();
        let store = mixed_set(dir.path());
        let conn = store.connect_ro().unwrap();
        for key in [SortKey::Verdict, SortKey::Status, SortKey::Path] {
            let sort = ListSort::by(key);
            let sql = format!(
                "EXPLAIN QUERY PLAN SELECT c.id, {} FROM captures c ORDER BY {}",
                key.column().unwrap(),
                sort.order_by_sql()
            );
            let mut stmt = conn.prepare(&sql).unwrap();
            let plan: Vec<String> = stmt
                .query_map(params_from_iter(Vec::<i64>::new()), |r| r.get::<_, String>(3))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert!(
                plan.iter().any(|p| p.contains("COVERING INDEX captures_path")),
                "{key:?}: {plan:?}"
            );
        }
    }
}
