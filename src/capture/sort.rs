//! How the request list is ordered: arrival order (by id) or by one summary column, ties by
//! id. The store produces the ordered ids with SQL; the list places live arrivals with
//! [`ListSort::value_of`] and [`ListSort::cmp_rows`], which order exactly as that SQL does.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use super::{CaptureId, Summary};

/// The column the list is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    /// By id: the order captures were stored in.
    #[default]
    Arrival,
    Method,
    /// Verdicts sort as their stored names, which reads worst first: `invalid`, `no_secret`,
    /// `unsigned`, `valid`.
    Verdict,
    /// The path without the query string.
    Path,
    /// The status hookscope answered; captures without an answer come first.
    Status,
}

impl SortKey {
    /// The `captures` column (alias `c`) holding the key; `None` for arrival order.
    pub fn column(self) -> Option<&'static str> {
        match self {
            SortKey::Arrival => None,
            SortKey::Method => Some("c.method"),
            SortKey::Verdict => Some("c.verdict"),
            SortKey::Path => Some("c.path"),
            SortKey::Status => Some("c.status"),
        }
    }
}

/// A list order. Descending reverses the whole order, ties included (newest first).
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ListSort {
    pub key: SortKey,
    pub descending: bool,
}

impl ListSort {
    /// Arrival order, oldest first.
    pub const ARRIVAL: ListSort = ListSort {
        key: SortKey::Arrival,
        descending: false,
    };

    pub fn by(key: SortKey) -> Self {
        ListSort {
            key,
            descending: false,
        }
    }

    /// Arrival order (which has one direction: `descending` is ignored).
    pub fn is_arrival(self) -> bool {
        self.key == SortKey::Arrival
    }

    /// The order after clicking `key`'s column header: ascending, then descending, then back
    /// to arrival order. Arrival order has only one direction.
    pub fn clicked(self, key: SortKey) -> Self {
        match (key, self.key == key, self.descending) {
            (SortKey::Arrival, ..) | (_, true, true) => ListSort::ARRIVAL,
            (_, true, false) => ListSort {
                key,
                descending: true,
            },
            (_, false, _) => ListSort::by(key),
        }
    }

    /// `s`'s value of the sort key (`Null` in arrival order).
    pub fn value_of(self, s: &Summary) -> SortValue {
        match self.key {
            SortKey::Arrival => SortValue::Null,
            SortKey::Method => SortValue::Text(s.method.clone()),
            SortKey::Verdict => SortValue::Text(s.verdict.as_str().to_string()),
            // A request-target's path ends at its first `?`, so the split gives the stored path.
            SortKey::Path => SortValue::Text(
                s.target
                    .split_once('?')
                    .map_or(s.target.as_str(), |(path, _)| path)
                    .to_string(),
            ),
            SortKey::Status => s.status.map_or(SortValue::Null, |c| SortValue::Int(i64::from(c))),
        }
    }

    /// Compare values in list order (reversed when descending).
    pub fn cmp_values(self, a: &SortValue, b: &SortValue) -> Ordering {
        self.directed(a.cmp(b))
    }

    /// Compare two rows in list order: by value, ties by id.
    pub fn cmp_rows(self, a: (&SortValue, CaptureId), b: (&SortValue, CaptureId)) -> Ordering {
        self.directed(a.0.cmp(b.0).then(a.1.cmp(&b.1)))
    }

    fn directed(self, o: Ordering) -> Ordering {
        if self.descending && !self.is_arrival() {
            o.reverse()
        } else {
            o
        }
    }

    /// The `ORDER BY` clause over `captures c`.
    pub fn order_by_sql(self) -> String {
        let dir = if self.descending { " DESC" } else { "" };
        match self.key.column() {
            Some(col) => format!("{col}{dir}, c.id{dir}"),
            None => "c.id".to_string(),
        }
    }
}

/// One value of a sort key, ordered as `SQLite` orders its storage classes: `NULL`, then
/// integers, then text (byte-wise, the `BINARY` collation).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SortValue {
    Null,
    Int(i64),
    Text(String),
}

/// A run of consecutive list rows sharing one sort value; `end` is the index just past it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortRun {
    pub value: SortValue,
    pub end: usize,
}

/// The list's ids in the order of `sort`, as the background read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderedIds {
    pub sort: ListSort,
    pub ids: Vec<CaptureId>,
    /// Runs of equal sort value covering `ids`, in list order (empty in arrival order).
    pub runs: Vec<SortRun>,
    /// Every capture up to this id was visible to the query; a list keeps the newer ids it
    /// already holds (live arrivals that raced the query).
    pub upto: CaptureId,
}

impl OrderedIds {
    /// Ids in arrival order.
    pub fn arrival(ids: Vec<CaptureId>, upto: CaptureId) -> Self {
        OrderedIds {
            sort: ListSort::ARRIVAL,
            ids,
            runs: Vec::new(),
            upto,
        }
    }
}

/// A complete list in arrival order: nothing newer to keep.
impl From<Vec<CaptureId>> for OrderedIds {
    fn from(ids: Vec<CaptureId>) -> Self {
        OrderedIds::arrival(ids, CaptureId(i64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Verdict;

    #[test]
    fn clicks_cycle_ascending_descending_arrival() {
        let s = ListSort::ARRIVAL.clicked(SortKey::Verdict);
        assert_eq!(s, ListSort::by(SortKey::Verdict));
        let s = s.clicked(SortKey::Verdict);
        assert!(s.descending && s.key == SortKey::Verdict);
        assert_eq!(s.clicked(SortKey::Verdict), ListSort::ARRIVAL);
        // Another column starts ascending; "#" returns to arrival order.
        assert_eq!(s.clicked(SortKey::Path), ListSort::by(SortKey::Path));
        assert_eq!(s.clicked(SortKey::Arrival), ListSort::ARRIVAL);
        assert_eq!(ListSort::ARRIVAL.clicked(SortKey::Arrival), ListSort::ARRIVAL);
    }

    #[test]
    fn verdict_names_sort_worst_first() {
        let mut names: Vec<&str> = Verdict::ALL.iter().map(|v| v.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, ["invalid", "no_secret", "unsigned", "valid"]);
    }

    #[test]
    fn values_order_like_sqlite() {
        assert!(SortValue::Null < SortValue::Int(-5));
        assert!(SortValue::Int(500) < SortValue::Text(String::new()));
        assert!(SortValue::Text("GET".into()) < SortValue::Text("POST".into()));
        assert!(
            SortValue::Text("Z".into()) < SortValue::Text("a".into()),
            "byte order"
        );
        let s = ListSort {
            key: SortKey::Status,
            descending: true,
        };
        let (a, b) = (SortValue::Int(200), SortValue::Int(500));
        assert_eq!(
            s.cmp_rows((&a, CaptureId(9)), (&b, CaptureId(1))),
            Ordering::Greater
        );
        assert_eq!(s.cmp_rows((&a, CaptureId(9)), (&a, CaptureId(1))), Ordering::Less);
        assert_eq!(s.order_by_sql(), "c.status DESC, c.id DESC");
        assert_eq!(ListSort::ARRIVAL.order_by_sql(), "c.id");
    }
}
