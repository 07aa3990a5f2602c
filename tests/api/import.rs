//! ImportArticles: per-item commits, errors by index, one summary.

use claimdb::pb::v1 as pb;
use tonic::Code;

use crate::helpers::{article, day, TestApp};

#[tokio::test]
async fn importing_a_thousand_articles_with_ten_bad_ones_stores_the_rest() {
    let app = TestApp::spawn().await;
    let bad: Vec<usize> = (0..10).map(|i| 37 + i * 97).collect();
    let items: Vec<pb::ImportArticlesRequest> = (0..1000)
        .map(|i| {
            let speaker = format!("Speaker {}", i % 50);
            let mut req = article(
                &format!("https://e.com/i{i}"),
                &[(&speaker, &format!("quote {i}"), day(4, 1 + (i % 28) as u32))],
            );
            if bad.contains(&i) {
                if i % 2 == 0 {
                    req.claims[0].spans[0].end += 3; // does not slice to the text
                } else {
                    req.claims[0].text.clear(); // invalid before the database
                }
            }
            pb::ImportArticlesRequest { article: Some(req) }
        })
        .collect();
    let summary = app
        .claims
        .clone()
        .import_articles(tokio_stream::iter(items))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(summary.stored, 990);
    assert_eq!(summary.failed, 10);
    assert_eq!(summary.claims_stored, 990);
    let mut indexes: Vec<usize> = summary.errors.iter().map(|e| e.index as usize).collect();
    indexes.sort();
    assert_eq!(indexes, bad);
    for e in &summary.errors {
        assert_eq!(e.code, Code::InvalidArgument as i32);
        assert!(!e.field_violations.is_empty(), "{e:?}");
        assert_eq!(e.url, format!("https://e.com/i{}", e.index));
    }
    assert_eq!(app.count("articles").await, 990);
    assert_eq!(app.count("claims").await, 990);
    assert_eq!(app.count("claim_events").await, 990);
    assert_eq!(
        app.count("entities").await,
        51,
        "50 speakers and one publisher, created once each"
    );

    // Importing again changes nothing.
    let again: Vec<pb::ImportArticlesRequest> = (0..1000)
        .filter(|i| !bad.contains(i))
        .map(|i| {
            let speaker = format!("Speaker {}", i % 50);
            let req = article(
                &format!("https://e.com/i{i}"),
                &[(&speaker, &format!("quote {i}"), day(4, 1 + (i % 28) as u32))],
            );
            pb::ImportArticlesRequest { article: Some(req) }
        })
        .collect();
    let summary = app
        .claims
        .clone()
        .import_articles(tokio_stream::iter(again))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (summary.stored, summary.unchanged, summary.failed),
        (0, 990, 0)
    );
    assert_eq!(app.count("claims").await, 990);
    app.assert_links_current().await;
}

/// An item naming an entity that another transaction is creating is left
/// out of its batch rather than waited for: the rest of the batch commits at
/// once, and the item is written once that transaction has ended.
#[tokio::test]
async fn items_naming_an_entity_being_created_elsewhere_do_not_hold_up_their_batch() {
    use claimdb::domain::text::fold_name;
    use std::time::Duration;

    let app = TestApp::spawn().await;
    // Another session "is creating" Nadia Petrova: it holds her name's lock.
    let mut holder = app.store.pool().acquire().await.unwrap();
    sqlx::query("SELECT pg_advisory_lock(hashtextextended($1, 0))")
        .bind(format!("n:{}", fold_name("Nadia Petrova")))
        .execute(&mut *holder)
        .await
        .unwrap();
    let items: Vec<pb::ImportArticlesRequest> = [
        ("Ana Veloso", "The bridge opens in May."),
        ("Nadia Petrova", "Tariffs will rise next year."),
        ("Bruno Lage", "The harbour needs dredging."),
    ]
    .iter()
    .enumerate()
    .map(|(i, (who, text))| pb::ImportArticlesRequest {
        article: Some(article(
            &format!("https://d.example/{i}"),
            &[(who, text, day(3, 1 + i as u32))],
        )),
    })
    .collect();
    let mut client = app.claims.clone();
    let importing =
        tokio::spawn(async move { client.import_articles(tokio_stream::iter(items)).await });

    // The two other items are committed while the lock is held...
    let mut committed = 0;
    for _ in 0..200 {
        committed = app.count("articles").await;
        if committed == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        committed, 2,
        "the items naming stored or free names are written"
    );
    let urls: Vec<String> = sqlx::query_scalar("SELECT url FROM articles ORDER BY url")
        .fetch_all(app.store.pool())
        .await
        .unwrap();
    assert_eq!(urls, ["https://d.example/0", "https://d.example/2"]);
    assert!(!importing.is_finished());

    // ...and the third once it is released.
    let summary = crate::helpers::release_then_join(&mut holder, importing).await;
    assert_eq!((summary.stored, summary.failed), (3, 0));
    assert_eq!(app.count("articles").await, 3);
    let nadia: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM entities WHERE kind = 'person' AND name = 'Nadia Petrova'",
    )
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    assert_eq!(nadia, 1);
}
