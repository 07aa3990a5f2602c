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
}
