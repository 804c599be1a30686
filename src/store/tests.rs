use super::*;
use crate::capture::{Capture, CaptureId, HeaderList, ResponseSent};

fn capture(i: usize) -> Capture {
    Capture {
        received_at_us: 1_760_000_000_000_000 + i as i64,
        method: "POST".into(),
        path: format!("/hook/{i}"),
        query: i.is_multiple_of(2).then(|| format!("n={i}")),
        http_version: "HTTP/1.1".into(),
        remote_addr: Some("127.0.0.1:40000".into()),
        headers: HeaderList::from_pairs([("X-Seq", i.to_string()), ("x-seq", "again".into())]),
        body: vec![0xff, 0xfe, (i % 256) as u8],
        body_len: 3,
        response: Some(ResponseSent::default_ok()),
        ..Capture::default()
    }
}

#[test]
fn captures_survive_reopen_byte_exact() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let writer = Writer::start(&store, Box::new(NoAnalysis)).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let h = writer.handle();
    let ids: Vec<CaptureId> = rt.block_on(async {
        let mut ids = Vec::new();
        for i in 0..250 {
            ids.push(h.insert(capture(i)).await.unwrap());
        }
        ids
    });
    drop(rt);
    writer.shutdown();

    let store = Store::open(dir.path()).unwrap();
    let reader = store.reader().unwrap();
    assert_eq!(reader.count().unwrap(), 250);
    for (i, id) in ids.iter().enumerate() {
        let mut expected = capture(i);
        expected.id = *id;
        assert_eq!(reader.get(*id).unwrap().unwrap(), expected, "capture {i}");
    }
    let latest = reader.latest(10).unwrap();
    assert_eq!(latest.len(), 10);
    assert_eq!(latest.last().unwrap().id, *ids.last().unwrap());
    assert_eq!(reader.all_ids().unwrap(), ids);
}

#[test]
fn delete_and_clear() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let writer = Writer::start(&store, Box::new(NoAnalysis)).unwrap();
    let h = writer.handle();
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let ids = rt.block_on(h.insert_all((0..5).map(capture).collect())).unwrap();
    let removed = h.call_blocking(move |conn, _| delete(conn, &ids[..2])).unwrap();
    assert_eq!(removed, 2);
    assert_eq!(store.reader().unwrap().count().unwrap(), 3);
    assert_eq!(h.call_blocking(|conn, _| clear(conn)).unwrap(), 3);
    assert_eq!(store.reader().unwrap().count().unwrap(), 0);
    drop(rt);
    writer.shutdown();
}

#[test]
fn corrupt_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err}");
    assert!(err.to_string().contains("left untouched"));
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
}

#[test]
fn newer_schema_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    Store::open(dir.path()).unwrap();
    let path = dir.path().join(DB_FILE);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", schema::SCHEMA_VERSION + 5)
            .unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::Newer { .. }), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn foreign_sqlite_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE notes(x); INSERT INTO notes VALUES (1);")
            .unwrap();
    }
    let err = Store::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::Foreign), "{err}");
}

#[cfg(unix)]
#[test]
fn database_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mode = std::fs::metadata(store.path()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn subscribers_hear_committed_batches_with_ids() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let writer = Writer::start(&store, Box::new(NoAnalysis)).unwrap();
    let h = writer.handle();
    let mut sub = h.subscribe(16, None);
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let id = rt.block_on(h.insert(capture(1))).unwrap();
    let StoreEvent::Inserted(batch) = sub.events.blocking_recv().unwrap() else {
        panic!("expected a batch")
    };
    assert_eq!(batch[0].id, id);
    assert_eq!(batch[0].path, "/hook/1");
    drop(rt);
    writer.shutdown();
}

#[test]
fn a_failures_only_subscriber_is_not_sent_committed_batches() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let writer = Writer::start(&store, Box::new(NoAnalysis)).unwrap();
    let h = writer.handle();
    let mut failures = h.subscribe_failures(16);
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(h.insert(capture(1))).unwrap();
    h.notify_changed();
    assert!(
        matches!(failures.events.blocking_recv(), Some(StoreEvent::Changed)),
        "the first event it hears is the change, not the committed batch"
    );
    assert!(failures.events.try_recv().is_err());
    drop(rt);
    writer.shutdown();
}

#[test]
fn version_one_database_migrates_and_keeps_captures() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        schema::migrate_to(&mut conn, 1).unwrap();
        super::rows::insert(&conn, &capture(1)).unwrap();
        let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, 1);
    }
    let store = Store::open(dir.path()).unwrap();
    let conn = store.connect_ro().unwrap();
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(v, schema::SCHEMA_VERSION);
    let profiles: i64 = conn
        .query_row("SELECT count(*) FROM profiles", [], |r| r.get(0))
        .unwrap();
    assert_eq!(profiles, 0, "the profiles table exists after migrating");
    assert_eq!(store.reader().unwrap().count().unwrap(), 1, "captures are kept");
}

#[test]
fn after_a_burst_the_wal_file_is_cut_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let writer = Writer::start(&store, Box::new(NoAnalysis)).unwrap();
    let h = writer.handle();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let wal = dir.path().join("hookscope.db-wal");
    let wal_len = || std::fs::metadata(&wal).map_or(0, |m| m.len());
    // A burst of 96 MiB, faster than the checkpointer can keep up with.
    let body = vec![b'x'; 32 * 1024];
    rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for i in 0..96 * 32 {
            let mut c = capture(i);
            c.body.clone_from(&body);
            c.body_len = body.len() as u64;
            let h = h.clone();
            set.spawn(async move { h.insert(c).await });
            if set.len() >= 64 {
                set.join_next().await.unwrap().unwrap().unwrap();
            }
        }
        while let Some(done) = set.join_next().await {
            done.unwrap().unwrap();
        }
    });
    let peak = wal_len();
    assert!(
        peak > writer::WAL_SIZE_LIMIT as u64,
        "the burst did not outgrow the limit: {peak}"
    );
    // The load pauses: the checkpointer catches up and, with nothing arriving, has the file
    // cut back, without a commit having to pay for it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while wal_len() > writer::WAL_SIZE_LIMIT as u64 {
        assert!(
            std::time::Instant::now() < deadline,
            "the WAL file stayed at {} bytes after the burst",
            wal_len()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Commits go on as before, into the WAL started over.
    for i in 0..10 {
        rt.block_on(h.insert(capture(100_000 + i))).unwrap();
    }
    assert!(wal_len() <= writer::WAL_SIZE_LIMIT as u64);
    drop(rt);
    writer.shutdown();
    assert_eq!(store.reader().unwrap().count().unwrap() as usize, 96 * 32 + 10);
}

#[test]
fn the_unsigned_sentence_is_given_back_not_stored_per_row() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let writer = Writer::start(&store, Box::new(LiveAnalyzer::default())).unwrap();
    let h = writer.handle();
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let mut signed = capture(1);
    signed.headers = HeaderList::from_pairs([("X-Hub-Signature-256", "sha256=00")]);
    let ids = rt
        .block_on(h.insert_all(vec![capture(0), signed, capture(2)]))
        .unwrap();
    drop(rt);
    writer.shutdown();

    let conn = store.connect_ro().unwrap();
    let stored = |id: CaptureId| -> String {
        conn.query_row("SELECT explanation FROM captures WHERE id = ?1", [id.0], |r| {
            r.get(0)
        })
        .unwrap()
    };
    assert_eq!(
        stored(ids[0]),
        "",
        "the common sentence is not written into the row"
    );
    assert_ne!(stored(ids[1]), "", "any other explanation is kept as it is");
    let reader = store.reader().unwrap();
    let plain = reader.get(ids[0]).unwrap().unwrap();
    assert_eq!(plain.analysis.verdict, crate::capture::Verdict::Unsigned);
    assert_eq!(plain.analysis.explanation, crate::signature::UNSIGNED_EXPLANATION);
    let other = reader.get(ids[1]).unwrap().unwrap();
    assert_eq!(other.analysis.explanation, stored(ids[1]));
    // A capture that was never analysed (no reason) reads back exactly as it was written.
    let raw = capture(3);
    let writer = Writer::start(&store, Box::new(NoAnalysis)).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let id = rt.block_on(writer.handle().insert(raw.clone())).unwrap();
    drop(rt);
    writer.shutdown();
    assert_eq!(reader.get(id).unwrap().unwrap().analysis, raw.analysis);
}

/// Waits (bounded) for the next `Changed` on `sub`, skipping committed batches.
fn next_change(sub: &mut Subscriber) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        match sub.events.try_recv() {
            Ok(StoreEvent::Changed) => return true,
            Ok(_) => {}
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
        }
    }
    false
}

#[test]
fn what_another_connection_stores_or_clears_is_announced_as_a_change() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let writer = Writer::start(&store, Box::new(NoAnalysis)).unwrap();
    let h = writer.handle();
    let mut sub = h.subscribe(64, None);
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(h.insert(capture(1))).unwrap();
    // Our own commits are batches, not changes.
    assert!(matches!(
        sub.events.blocking_recv(),
        Some(StoreEvent::Inserted(_))
    ));
    assert!(sub.events.try_recv().is_err());

    // Another process (here another connection) imports a capture while this one is idle.
    let other = store.connect_rw().unwrap();
    rows::insert(&other, &capture(2)).unwrap();
    assert!(
        next_change(&mut sub),
        "an idle writer notices within about a second"
    );

    // It deletes the oldest capture (retention there, say).
    other.execute("DELETE FROM captures WHERE id = 1", []).unwrap();
    assert!(next_change(&mut sub), "the oldest id moved");

    // It clears everything; the next capture stored here starts again at id 1.
    other.execute("DELETE FROM captures", []).unwrap();
    let id = rt.block_on(h.insert(capture(3))).unwrap();
    assert_eq!(id, CaptureId(1));
    assert!(
        next_change(&mut sub),
        "a batch that does not follow the newest known id"
    );
    drop(other);
    drop(rt);
    writer.shutdown();
}
