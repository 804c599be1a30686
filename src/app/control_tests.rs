//! The control worker and the live filter over a real store.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;
use crate::app::backend::{Backend, Channels};
use crate::app::messages::Command;
use crate::capture::{Capture, HeaderList};
use crate::engine::{Engine, runtime};

fn capture(method: &str, path: &str, body: &str) -> Capture {
    Capture {
        received_at_us: crate::capture::now_us(),
        method: method.into(),
        path: path.into(),
        http_version: "HTTP/1.1".into(),
        headers: HeaderList::from_pairs([("Content-Type", "text/plain")]),
        body: body.as_bytes().to_vec(),
        body_len: body.len() as u64,
        ..Capture::default()
    }
}

/// Wait for the first event `pick` accepts.
fn wait<T>(channels: &Channels, mut pick: impl FnMut(AppEvent) -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "the expected event never came");
        if let Ok(ev) = channels.events.recv_timeout(left)
            && let Some(t) = pick(ev)
        {
            return t;
        }
    }
}

#[test]
fn filter_applies_to_history_and_live_arrivals_and_rules_are_saved() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path()).unwrap();
    let rt = runtime().unwrap();
    let writer = engine.writer();
    rt.block_on(writer.insert_all(vec![
        capture("POST", "/smtm/a", "alpha words"),
        capture("GET", "/other", "beta words"),
        capture("POST", "/smtm/b", "gamma"),
    ]))
    .unwrap();
    let control = ControlState::new(engine.maintenance());
    let rules = control.rules.clone();
    let (backend, channels) = Backend::start_with(
        engine.store(),
        &writer,
        rt.handle().clone(),
        Arc::new(|| {}),
        control,
    )
    .unwrap();

    let send = |c: ControlCommand| channels.commands.send(Command::Control(c)).unwrap();
    send(ControlCommand::SetFilter("method:POST words".into()));
    let ids = wait(&channels, |ev| match ev {
        AppEvent::Control(ControlEvent::FilterApplied { ids, .. }) => Some(ids),
        _ => None,
    });
    assert_eq!(
        ids.ids,
        vec![CaptureId(1)],
        "body words come from the search index"
    );
    assert_eq!(ids.upto, CaptureId(3));

    // Live: only the matching capture reaches the list.
    rt.block_on(writer.insert_all(vec![
        capture("GET", "/x", "words"),
        capture("POST", "/y", "more words"),
    ]))
    .unwrap();
    let live = wait(&channels, |ev| match ev {
        AppEvent::Inserted(rows) => Some(rows),
        _ => None,
    });
    assert_eq!(live.iter().map(|s| s.id).collect::<Vec<_>>(), vec![CaptureId(5)]);

    // Gap reloads use the filter too.
    channels.commands.send(Command::LoadIds).unwrap();
    let ids = wait(&channels, |ev| match ev {
        AppEvent::Ids(ids) => Some(ids),
        _ => None,
    });
    assert_eq!(ids.ids, vec![CaptureId(1), CaptureId(5)]);
    assert_eq!(
        ids.upto,
        CaptureId(5),
        "the list keeps live arrivals above what the reload saw, so it must say what it saw"
    );

    send(ControlCommand::SetFilter("verdict:bogus".into()));
    let message = wait(&channels, |ev| match ev {
        AppEvent::Control(ControlEvent::FilterFailed { message, .. }) => Some(message),
        _ => None,
    });
    assert!(message.contains("unknown verdict"), "{message}");

    // Rules: in force at once and saved for the next start.
    let set = RuleSet::from_toml("[[rule]]\npath = \"/x\"\nstatus = 418\n").unwrap();
    send(ControlCommand::SetRules(set.clone()));
    wait(&channels, |ev| {
        matches!(ev, AppEvent::Control(ControlEvent::Rules(_))).then_some(())
    });
    assert_eq!(rules.respond("GET", "/x").unwrap().status, 418);
    let saved = kv::get(&engine.store().connect_ro().unwrap(), kv::RESPONSE_RULES)
        .unwrap()
        .unwrap();
    assert_eq!(RuleSet::from_toml(&saved).unwrap(), set);

    send(ControlCommand::LoadPathStats);
    let stats = wait(&channels, |ev| match ev {
        AppEvent::Control(ControlEvent::PathStats(s)) => Some(s),
        _ => None,
    });
    assert_eq!(stats.len(), 5);

    drop(channels);
    backend.join_worker();
    drop(rt);
    engine.shutdown();
    backend.join();
}

#[test]
fn set_sort_answers_in_order_with_the_filter_and_reloads_keep_it() {
    use crate::capture::sort::{SortKey, SortValue};
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path()).unwrap();
    let rt = runtime().unwrap();
    let writer = engine.writer();
    rt.block_on(writer.insert_all(vec![
        capture("POST", "/b", "x"),
        capture("GET", "/a", "x"),
        capture("POST", "/c", "x"),
        capture("POST", "/a", "x"),
    ]))
    .unwrap();
    let (backend, channels) = Backend::start_with(
        engine.store(),
        &writer,
        rt.handle().clone(),
        Arc::new(|| {}),
        ControlState::new(engine.maintenance()),
    )
    .unwrap();
    let send = |c: ControlCommand| channels.commands.send(Command::Control(c)).unwrap();
    let by_path_desc = ListSort {
        key: SortKey::Path,
        descending: true,
    };
    send(ControlCommand::SetSort(by_path_desc));
    let list = wait(&channels, |ev| match ev {
        AppEvent::Ids(ids) => Some(ids),
        _ => None,
    });
    assert_eq!(list.sort, by_path_desc);
    assert_eq!(list.ids, [3, 1, 4, 2].map(CaptureId));
    assert_eq!(
        list.upto,
        CaptureId(4),
        "arrivals during the query are kept by the list"
    );
    assert_eq!(list.runs.len(), 3);
    assert_eq!(list.runs[2].value, SortValue::Text("/a".into()));

    // The filter answer comes in the same order; so do reloads.
    send(ControlCommand::SetFilter("method:POST".into()));
    let filtered = wait(&channels, |ev| match ev {
        AppEvent::Control(ControlEvent::FilterApplied { ids, .. }) => Some(ids),
        _ => None,
    });
    assert_eq!(filtered.ids, [3, 1, 4].map(CaptureId));
    channels.commands.send(Command::LoadIds).unwrap();
    let reloaded = wait(&channels, |ev| match ev {
        AppEvent::Ids(ids) => Some(ids),
        _ => None,
    });
    assert_eq!(reloaded.ids, [3, 1, 4].map(CaptureId));
    assert_eq!(
        reloaded.upto,
        CaptureId(4),
        "a reload says what it saw: the list keeps only later arrivals (rows held before are \
         in the answer or gone)"
    );

    drop(channels);
    backend.join_worker();
    drop(rt);
    engine.shutdown();
    backend.join();
}

#[test]
fn delete_and_clear_all_run_in_steps_and_reset_the_search_index() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path()).unwrap();
    let rt = runtime().unwrap();
    let writer = engine.writer();
    let many: Vec<Capture> = (0..2500)
        .map(|i| capture("POST", &format!("/p/{i}"), "some words"))
        .collect();
    rt.block_on(writer.insert_all(many)).unwrap();
    let control = ControlState::new(engine.maintenance());
    catch_up_index(&writer).unwrap();
    let ids: Vec<CaptureId> = (1..=1200).map(CaptureId).collect();
    assert_eq!(control.delete(&writer, &ids).unwrap(), 1200);
    let reader = engine.store().reader().unwrap();
    assert_eq!(reader.count().unwrap(), 1300);
    let f = Filter::parse("words").unwrap();
    assert_eq!(
        filter::matching_ids(reader.connection(), &f, None).unwrap().len(),
        1300
    );
    assert_eq!(control.clear_all(&writer).unwrap(), 1300);
    assert_eq!(reader.count().unwrap(), 0);
    assert_eq!(
        crate::store::search_index::indexed_upto(reader.connection()).unwrap(),
        0
    );
    drop(rt);
    engine.shutdown();
}
