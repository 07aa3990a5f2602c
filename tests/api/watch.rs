//! WatchClaims: filtered, resumable, bounded, and ended by shutdown.

use std::collections::HashSet;
use std::time::Duration;

use claimdb::pb::v1 as pb;
use tokio_stream::StreamExt;
use tonic::Code;

use crate::helpers::{article, day, person, TestApp};

fn watch(speaker: Option<&str>, cursor: &str, from_beginning: bool) -> pb::WatchClaimsRequest {
    pb::WatchClaimsRequest {
        speaker: speaker.map(person),
        cursor: cursor.into(),
        from_beginning,
        ..Default::default()
    }
}

async fn next_event(
    stream: &mut tonic::Streaming<pb::WatchClaimsResponse>,
) -> pb::WatchClaimsResponse {
    tokio::time::timeout(Duration::from_secs(20), stream.next())
        .await
        .expect("an event within 20 s")
        .expect("the stream is open")
        .expect("no error")
}

/// Watches the whole log until `total` claims arrived, reading `per_stream`
/// events from each stream, then dropping it and resuming from the last
/// cursor. Returns the claim ids in arrival order and the reconnects.
async fn watch_with_reconnects(
    app: &TestApp,
    total: usize,
    per_stream: usize,
) -> (Vec<String>, usize) {
    let mut received: Vec<String> = Vec::new();
    let mut cursor = String::new();
    let mut reconnects = 0;
    while received.len() < total {
        let req = watch(None, &cursor, cursor.is_empty());
        let mut stream = app
            .claims
            .clone()
            .watch_claims(req)
            .await
            .unwrap()
            .into_inner();
        for _ in 0..per_stream {
            if received.len() == total {
                break;
            }
            let e = next_event(&mut stream).await;
            received.push(e.claim.unwrap().id);
            cursor = e.cursor;
        }
        reconnects += 1;
    }
    (received, reconnects)
}

#[tokio::test]
async fn a_watcher_receives_the_events_of_matching_claims_only() {
    let mut app = TestApp::spawn().await;
    app.ingest(article(
        "https://e.com/w0",
        &[("Ana Veloso", "before the watch", day(1, 1))],
    ))
    .await;
    let mut stream = app
        .claims
        .watch_claims(watch(Some("Ana Veloso"), "", false))
        .await
        .unwrap()
        .into_inner();
    app.ingest(article(
        "https://e.com/w1",
        &[("Bo Li", "not hers", day(1, 2))],
    ))
    .await;
    let out = app
        .ingest(article(
            "https://e.com/w2",
            &[
                ("Ana Veloso", "hers", day(1, 3)),
                ("Bo Li", "also not", day(1, 3)),
            ],
        ))
        .await;
    let created = next_event(&mut stream).await;
    assert_eq!(created.change, pb::RevisionChange::Created as i32);
    assert_eq!(created.claim.as_ref().unwrap().text, "hers");
    app.claims
        .retract_claim(pb::RetractClaimRequest {
            id: out.claims[0].id.clone(),
            reason: "duplicate".into(),
            expected_revision: 1,
        })
        .await
        .unwrap();
    let retracted = next_event(&mut stream).await;
    assert_eq!(retracted.change, pb::RevisionChange::Retracted as i32);
    assert_eq!(
        retracted.claim.unwrap().state,
        pb::ClaimState::Retracted as i32
    );
    // Nothing else arrives: Bo Li's claims never match.
    let more = tokio::time::timeout(Duration::from_millis(1500), stream.next()).await;
    assert!(more.is_err(), "unexpected event {more:?}");
}

#[tokio::test]
async fn reconnecting_with_a_cursor_loses_and_duplicates_nothing_while_ingest_continues() {
    let app = TestApp::spawn().await;
    let total = 60usize;
    let mut writer = app.claims.clone();
    let ingest = tokio::spawn(async move {
        let mut ids = Vec::new();
        for i in 0..total {
            let req = article(
                &format!("https://e.com/r{i}"),
                &[("Ana Veloso", &format!("claim {i}"), day(2, 1))],
            );
            let out = writer.ingest_article(req).await.unwrap().into_inner();
            ids.push(out.claims[0].id.clone());
        }
        ids
    });
    let (received, reconnects) = watch_with_reconnects(&app, total, 7).await;
    let ids = ingest.await.unwrap();
    assert!(reconnects > 5);
    let unique: HashSet<_> = received.iter().cloned().collect();
    assert_eq!(unique.len(), received.len(), "no event delivered twice");
    assert_eq!(received, ids, "every event, in the order written");
}

#[tokio::test]
async fn a_stalled_reader_is_cut_off_without_blocking_ingest() {
    let app = TestApp::spawn_with_watch_buffer(8).await;
    let mut stream = app
        .claims
        .clone()
        .watch_claims(watch(None, "", false))
        .await
        .unwrap()
        .into_inner();
    // ~4 MB of events, far past the buffer and the HTTP/2 windows, while the
    // watcher reads nothing.
    let big = "word ".repeat(4000);
    let mut writer = app.claims.clone();
    for i in 0..200 {
        let req = article(
            &format!("https://e.com/s{i}"),
            &[("Ana Veloso", big.trim_end(), day(3, 1))],
        );
        tokio::time::timeout(Duration::from_secs(30), writer.ingest_article(req))
            .await
            .expect("ingest is never held up by a watcher")
            .unwrap();
    }
    assert_eq!(app.count("claims").await, 200);
    let mut got = 0;
    let status = loop {
        match tokio::time::timeout(Duration::from_secs(20), stream.next())
            .await
            .expect("stream moves")
        {
            Some(Ok(_)) => got += 1,
            Some(Err(s)) => break s,
            None => panic!("stream ended without an error after {got} events"),
        }
    };
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(
        got < 200,
        "the stalled reader was cut off before the end ({got})"
    );
}

#[tokio::test]
async fn shutdown_completes_promptly_with_open_streams() {
    let app = TestApp::spawn().await;
    let mut streams = Vec::new();
    for _ in 0..3 {
        streams.push(
            app.claims
                .clone()
                .watch_claims(watch(None, "", true))
                .await
                .unwrap()
                .into_inner(),
        );
    }
    let started = std::time::Instant::now();
    assert!(app.stop().await, "the server stopped");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "well within the grace period"
    );
    for mut s in streams {
        let end = tokio::time::timeout(Duration::from_secs(5), s.next())
            .await
            .expect("stream ends");
        assert!(matches!(end, None | Some(Err(_))), "{end:?}");
    }
}

/// Plays another writer between its event append and the end of its
/// commit: holds the appenders' lock and a copy of the first event, so its
/// position is taken but not yet visible.
async fn open_append(app: &TestApp) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut holder = app.store.pool().begin().await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock_shared($1)")
        .bind(claimdb::store::APPEND_LOCK)
        .execute(&mut *holder)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO claim_events (claim_id, revision, change, record_time, article_id, \
         publisher_id, kind, speaker_ids, subject_ids, text) \
         SELECT claim_id, revision, change, record_time, article_id, publisher_id, kind, \
         speaker_ids, subject_ids, text FROM claim_events ORDER BY seq LIMIT 1",
    )
    .execute(&mut *holder)
    .await
    .unwrap();
    holder
}

#[tokio::test]
async fn an_event_that_commits_after_a_later_one_is_delivered_in_log_order() {
    let mut app = TestApp::spawn().await;
    app.ingest(article(
        "https://e.com/h0",
        &[("Ana Veloso", "first", day(4, 1))],
    ))
    .await;
    let holder = open_append(&app).await;
    // Ingest does not wait for the open append: writers commit side by side.
    tokio::time::timeout(
        Duration::from_secs(10),
        app.ingest(article(
            "https://e.com/h1",
            &[("Ana Veloso", "second", day(4, 2))],
        )),
    )
    .await
    .expect("ingest does not wait for another writer's commit");
    let mut stream = app
        .claims
        .clone()
        .watch_claims(watch(None, "", true))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(next_event(&mut stream).await.claim.unwrap().text, "first");
    // "second" is committed, but the position before it is not yet.
    let early = tokio::time::timeout(Duration::from_millis(2500), stream.next()).await;
    assert!(early.is_err(), "delivered past an open append: {early:?}");
    holder.commit().await.unwrap();
    let texts = [
        next_event(&mut stream).await.claim.unwrap().text,
        next_event(&mut stream).await.claim.unwrap().text,
    ];
    assert_eq!(texts, ["first", "second"], "the late commit, then the rest");

    // An append that rolls back leaves a hole for good: the stream goes on.
    let holder = open_append(&app).await;
    app.ingest(article(
        "https://e.com/h2",
        &[("Ana Veloso", "third", day(4, 3))],
    ))
    .await;
    holder.rollback().await.unwrap();
    assert_eq!(next_event(&mut stream).await.claim.unwrap().text, "third");
    let more = tokio::time::timeout(Duration::from_millis(1500), stream.next()).await;
    assert!(more.is_err(), "unexpected event {more:?}");
}

#[tokio::test]
async fn a_watcher_from_now_waits_for_open_appends_and_skips_what_committed_before() {
    let mut app = TestApp::spawn().await;
    app.ingest(article(
        "https://e.com/n0",
        &[("Ana Veloso", "before", day(5, 1))],
    ))
    .await;
    let holder = open_append(&app).await;
    let claims = app.claims.clone();
    // Starting a watch "from now" settles the log: it waits for the open
    // append to commit, so that event counts as before the watch.
    let start = tokio::spawn(async move {
        let mut claims = claims;
        claims.watch_claims(watch(None, "", false)).await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    holder.commit().await.unwrap();
    let mut stream = tokio::time::timeout(Duration::from_secs(10), start)
        .await
        .expect("the watch starts once the append commits")
        .unwrap()
        .unwrap()
        .into_inner();
    app.ingest(article(
        "https://e.com/n1",
        &[("Ana Veloso", "after", day(5, 2))],
    ))
    .await;
    assert_eq!(next_event(&mut stream).await.claim.unwrap().text, "after");
}

#[tokio::test]
async fn concurrent_writers_lose_and_duplicate_nothing_for_a_reconnecting_watcher() {
    let app = TestApp::spawn().await;
    let (writers, each) = (4usize, 20usize);
    let mut tasks = Vec::new();
    for w in 0..writers {
        let mut client = app.claims.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..each {
                let req = article(
                    &format!("https://e.com/c{w}-{i}"),
                    &[(&format!("Writer {w}"), &format!("claim {w}/{i}"), day(6, 1))],
                );
                let out = client.ingest_article(req).await.unwrap().into_inner();
                ids.push(out.claims[0].id.clone());
            }
            ids
        }));
    }
    let total = writers * each;
    let (received, _) = watch_with_reconnects(&app, total, 11).await;
    let mut written = HashSet::new();
    for t in tasks {
        written.extend(t.await.unwrap());
    }
    let unique: HashSet<_> = received.iter().cloned().collect();
    assert_eq!(unique.len(), received.len(), "no event delivered twice");
    assert_eq!(unique, written, "every event");
}
