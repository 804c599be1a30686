use super::*;
use crate::capture::{Capture, HeaderList, ResponseSent};
use crate::store::{Store, rows};

const DAY_US: i64 = 86_400_000_000;
const NOW_US: i64 = 1_793_318_400_000_000;

fn fill(store: &Store, n: i64, body_len: usize) {
    let mut conn = store.connect_rw().unwrap();
    let tx = conn.transaction().unwrap();
    for i in 0..n {
        let c = Capture {
            // One capture per day, the newest received "now".
            received_at_us: NOW_US - (n - 1 - i) * DAY_US,
            method: "POST".into(),
            path: "/r".into(),
            http_version: "HTTP/1.1".into(),
            headers: HeaderList::from_pairs([("X-N", i.to_string())]),
            body: vec![b'a'; body_len],
            body_len: body_len as u64,
            response: Some(ResponseSent::default_ok()),
            ..Capture::default()
        };
        rows::insert(&tx, &c).unwrap();
    }
    tx.commit().unwrap();
}

fn ids(conn: &Connection) -> Vec<i64> {
    let mut stmt = conn.prepare("SELECT id FROM captures ORDER BY id").unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Run steps until the policy holds; returns how many steps it took.
fn enforce(conn: &mut Connection, policy: &RetentionPolicy, batch: usize) -> usize {
    let mut steps = 0;
    while enforce_step(conn, policy, NOW_US, batch).unwrap() > 0 {
        steps += 1;
        assert!(steps < 10_000, "retention never settles");
    }
    steps
}

#[test]
fn keep_count_deletes_the_oldest_in_small_steps() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    fill(&store, 50, 10);
    let mut conn = store.connect_rw().unwrap();
    let policy = RetentionPolicy {
        keep_count: Some(20),
        ..RetentionPolicy::default()
    };
    let steps = enforce(&mut conn, &policy, 8);
    assert_eq!(steps, 4, "30 deletions in batches of at most 8");
    assert_eq!(ids(&conn), (31..=50).collect::<Vec<_>>());
}

#[test]
fn keep_days_deletes_what_is_older() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    fill(&store, 10, 10);
    let mut conn = store.connect_rw().unwrap();
    let policy = RetentionPolicy {
        keep_days: Some(3),
        ..RetentionPolicy::default()
    };
    enforce(&mut conn, &policy, 100);
    // Received now, 1, 2 and exactly 3 days ago stay.
    assert_eq!(ids(&conn), vec![7, 8, 9, 10]);
}

#[test]
fn keep_bytes_shrinks_the_database_and_compaction_returns_pages() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    fill(&store, 400, 8 * 1024);
    let mut conn = store.connect_rw().unwrap();
    assert_eq!(
        auto_vacuum_mode(&conn).unwrap(),
        2,
        "new databases compact incrementally"
    );
    let before = used_bytes(&conn).unwrap();
    assert!(before > 3 * 1024 * 1024, "{before}");
    let budget = 1024 * 1024;
    let policy = RetentionPolicy {
        keep_bytes: Some(budget),
        ..RetentionPolicy::default()
    };
    enforce(&mut conn, &policy, 50);
    assert!(used_bytes(&conn).unwrap() <= budget);
    let left = ids(&conn);
    assert!(!left.is_empty() && left.len() < 400, "{}", left.len());
    assert_eq!(*left.last().unwrap(), 400, "the newest are kept");
    let (free, _) = free_pages(&conn).unwrap();
    assert!(free > 0);
    while compact_step(&conn, 64).unwrap() == Compacted::More {}
    assert_eq!(
        free_pages(&conn).unwrap().0,
        0,
        "free pages returned to the file system"
    );
}

#[test]
fn unlimited_policy_deletes_nothing_and_old_databases_can_be_converted() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    fill(&store, 5, 10);
    let mut conn = store.connect_rw().unwrap();
    assert_eq!(
        enforce_step(&mut conn, &RetentionPolicy::default(), NOW_US, 10).unwrap(),
        0
    );
    conn.execute_batch("PRAGMA auto_vacuum = NONE; VACUUM;").unwrap();
    assert_eq!(auto_vacuum_mode(&conn).unwrap(), 0);
    full_vacuum(&conn).unwrap();
    assert_eq!(auto_vacuum_mode(&conn).unwrap(), 2);
    assert_eq!(ids(&conn).len(), 5);
}
