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
        // Read a few events, then drop the connection mid-stream.
        for _ in 0..7 {
            if received.len() == total {
                break;
            }
            let e = next_event(&mut stream).await;
            received.push(e.claim.unwrap().id);
            cursor = e.cursor;
        }
        drop(stream);
        reconnects += 1;
    }
    let ids = ingest.await.unwrap();
    assert!(reconnects > 5);
    let unique: HashSet<_> = received.iter().cloned().collect();
    assert_eq!(unique.len(), received.len(), "no event delivered twice");
    assert_eq!(received, ids, "every event, in commit order");
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
