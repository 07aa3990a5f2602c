//! IngestArticle: atomic, idempotent, validated, resolving entities.

use claimdb::pb::v1 as pb;
use tonic::Code;

use crate::helpers::{article, bad_fields, day, person, worked_example, TestApp};

#[tokio::test]
async fn the_worked_example_is_stored_with_its_attribution_chain() {
    let mut app = TestApp::spawn().await;
    let out = app.ingest(worked_example()).await;
    assert!(out.created);
    let a = out.article.unwrap();
    assert_eq!(
        a.url,
        "https://meridianwire.example/world/2025/06/18/ekwall-valdoria-port-visit"
    );
    assert_eq!(a.publisher.unwrap().name, "Meridian Wire");
    assert_eq!(out.claims.len(), 5);
    let split = &out.claims[1];
    assert_eq!(split.spans.len(), 2, "the split quote keeps both parts");
    let interview = &out.claims[2];
    assert_eq!(
        interview.recipient.as_ref().unwrap().name,
        "Kestrel News Agency"
    );
    assert_eq!(
        interview.via.as_ref().unwrap().name,
        "Valdorian Foreign Ministry"
    );
    assert_eq!(interview.said_precision, pb::SaidPrecision::Week as i32);
    let told = &out.claims[3];
    assert_eq!(told.cue, "told");
    assert_eq!(told.recipient.as_ref().unwrap().name, "Meridian Wire");
    let joint = &out.claims[4];
    let names: Vec<_> = joint.speakers.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Dana Okafor", "Milan Sebek"]);
    // One entity per distinct name: Ekwall is one person across two claims,
    // Meridian Wire is publisher and recipient.
    assert_eq!(out.claims[0].speakers[0].id, out.claims[1].speakers[0].id);
    assert_eq!(app.count("entities").await, 10);
    assert_eq!(app.count("claim_revisions").await, 5);
}

#[tokio::test]
async fn ingesting_the_same_article_again_stores_nothing_new() {
    let mut app = TestApp::spawn().await;
    let first = app.ingest(worked_example()).await;
    let mut again = worked_example();
    // The same URL with tracking parameters and different case still matches.
    again.article.as_mut().unwrap().url =
        "HTTPS://MeridianWire.example/world/2025/06/18/ekwall-valdoria-port-visit/?utm_medium=x"
            .into();
    let second = app.ingest(again).await;
    assert!(!second.created);
    let ids =
        |r: &pb::IngestArticleResponse| r.claims.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&first), ids(&second));
    assert_eq!(app.count("articles").await, 1);
    assert_eq!(app.count("claims").await, 5);
    assert_eq!(app.count("claim_revisions").await, 5);
}

#[tokio::test]
async fn twenty_concurrent_identical_ingests_store_one_article_and_one_set_of_claims() {
    let app = TestApp::spawn().await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let mut client = app.claims.clone();
            tokio::spawn(async move { client.ingest_article(worked_example()).await })
        })
        .collect();
    let mut created = 0;
    let mut claim_sets = std::collections::HashSet::new();
    for t in tasks {
        let out = t
            .await
            .unwrap()
            .expect("every concurrent ingest succeeds")
            .into_inner();
        created += usize::from(out.created);
        claim_sets.insert(out.claims.iter().map(|c| c.id.clone()).collect::<Vec<_>>());
    }
    assert_eq!(created, 1, "exactly one ingest created the article");
    assert_eq!(claim_sets.len(), 1, "every caller got the same claims");
    assert_eq!(app.count("articles").await, 1);
    assert_eq!(app.count("claims").await, 5);
    assert_eq!(app.count("entities").await, 10);
}

#[tokio::test]
async fn a_request_with_one_bad_claim_stores_nothing() {
    let mut app = TestApp::spawn().await;
    let mut req = worked_example();
    req.claims[3].spans[0].end += 1;
    let err = app.claims.ingest_article(req).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&err), ["claims[3].spans"]);
    for table in [
        "articles",
        "claims",
        "entities",
        "claim_revisions",
        "claim_speakers",
    ] {
        assert_eq!(app.count(table).await, 0, "{table} must be empty");
    }
}

#[tokio::test]
async fn spans_must_slice_the_body_to_the_claim_text() {
    let mut app = TestApp::spawn().await;
    type Case<'a> = (&'a str, Vec<(i32, i32)>, &'a str);
    let cases: [Case<'_>; 6] = [
        ("one character off", vec![(19, 26)], "claims[0].spans"),
        (
            "past the end of the body",
            vec![(18, 900)],
            "claims[0].spans[0].end",
        ),
        ("negative", vec![(-1, 17)], "claims[0].spans[0]"),
        ("empty", vec![(18, 18)], "claims[0].spans[0]"),
        (
            "overlapping parts",
            vec![(18, 21), (20, 25)],
            "claims[0].spans[1]",
        ),
        (
            "out of order",
            vec![(21, 25), (18, 20)],
            "claims[0].spans[1]",
        ),
    ];
    for (what, spans, field) in cases {
        let mut req = article(
            "https://example.com/spans",
            &[("Ana Veloso", "no deal ", day(3, 1))],
        );
        req.claims[0].text = "no deal".into();
        req.claims[0].spans = spans
            .iter()
            .map(|&(start, end)| pb::Span { start, end })
            .collect();
        let err = app.claims.ingest_article(req).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{what}");
        assert_eq!(bad_fields(&err), [field], "{what}");
    }
    // And the right span is accepted.
    let ok = article(
        "https://example.com/spans",
        &[("Ana Veloso", "no deal", day(3, 1))],
    );
    assert_eq!(ok.claims[0].spans[0].start, 18);
    app.ingest(ok).await;
}

#[tokio::test]
async fn every_bad_field_is_reported_at_once() {
    let app = TestApp::spawn().await;
    let req = pb::IngestArticleRequest {
        article: Some(pb::ArticleInput {
            url: "ftp://example.com/x".into(),
            language: "not a tag!".into(),
            ..Default::default()
        }),
        claims: vec![pb::ClaimInput {
            speakers: vec![pb::EntityRef {
                id: "not-a-uuid".into(),
                ..Default::default()
            }],
            kind: 0,
            text: "   ".into(),
            confidence: Some(1.5),
            said_time: Some(prost_types::Timestamp {
                seconds: i64::MAX,
                nanos: 0,
            }),
            ..Default::default()
        }],
        extract: false,
    };
    let err = app.claims.clone().ingest_article(req).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let fields = bad_fields(&err);
    for f in [
        "article.url",
        "article.language",
        "claims[0].kind",
        "claims[0].said_time",
        "claims[0].speakers[0].id",
        "claims[0].text",
        "claims[0].confidence",
    ] {
        assert!(
            fields.contains(&f.to_string()),
            "{f} missing from {fields:?}"
        );
    }
}

#[tokio::test]
async fn names_resolve_ignoring_case_and_accents_and_through_aliases() {
    let mut app = TestApp::spawn().await;
    let created = app
        .entities
        .create_entity(pb::CreateEntityRequest {
            entity: Some(pb::Entity {
                kind: pb::EntityKind::Person as i32,
                name: "José Álvarez".into(),
                aliases: vec!["Pepe Alvarez".into()],
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .entity
        .unwrap();
    let out = app
        .ingest(article(
            "https://example.com/names",
            &[
                ("jose alvarez", "one", day(1, 1)),
                ("PEPE ÁLVAREZ", "two", day(1, 2)),
            ],
        ))
        .await;
    for c in &out.claims {
        assert_eq!(c.speakers[0].id, created.id);
        assert_eq!(c.speakers[0].name, "José Álvarez");
    }
}

#[tokio::test]
async fn an_ambiguous_name_fails_listing_the_candidates_and_stores_nothing() {
    let mut app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let e = app
            .entities
            .create_entity(pb::CreateEntityRequest {
                entity: Some(pb::Entity {
                    kind: pb::EntityKind::Person as i32,
                    name: "John Smith".into(),
                    ..Default::default()
                }),
            })
            .await
            .unwrap()
            .into_inner()
            .entity
            .unwrap();
        ids.push(e.id);
    }
    let err = app
        .claims
        .ingest_article(article(
            "https://example.com/amb",
            &[("John Smith", "hello", day(2, 2))],
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    for id in &ids {
        assert!(
            err.message().contains(id.as_str()),
            "{} lacks {id}",
            err.message()
        );
    }
    assert_eq!(app.count("articles").await, 0);
    // Referring by id resolves it.
    let mut req = article(
        "https://example.com/amb",
        &[("John Smith", "hello", day(2, 2))],
    );
    req.claims[0].speakers = vec![pb::EntityRef {
        id: ids[1].clone(),
        ..Default::default()
    }];
    let out = app.ingest(req).await;
    assert_eq!(out.claims[0].speakers[0].id, ids[1]);
}

#[tokio::test]
async fn an_external_id_creates_once_and_then_resolves() {
    let mut app = TestApp::spawn().await;
    let mut req = article(
        "https://example.com/ext1",
        &[("Douglas Adams", "42", day(3, 3))],
    );
    req.claims[0].speakers = vec![pb::EntityRef {
        external_id: "Q42".into(),
        name: "Douglas Adams".into(),
        kind: pb::EntityKind::Person as i32,
        ..Default::default()
    }];
    let first = app.ingest(req).await.claims[0].speakers[0].id.clone();
    let mut req = article("https://example.com/ext2", &[("x", "42", day(3, 4))]);
    req.claims[0].speakers = vec![pb::EntityRef {
        external_id: "wikidata:Q42".into(),
        ..Default::default()
    }];
    let second = app.ingest(req).await.claims[0].speakers[0].id.clone();
    assert_eq!(first, second);
    let e = app
        .entities
        .get_entity(pb::GetEntityRequest { id: first })
        .await
        .unwrap()
        .into_inner()
        .entity
        .unwrap();
    assert_eq!(e.external_ids, ["wikidata:Q42"]);
}

#[tokio::test]
async fn the_same_url_with_a_different_body_is_refused() {
    let mut app = TestApp::spawn().await;
    app.ingest(article(
        "https://example.com/b",
        &[("A B", "first", day(1, 1))],
    ))
    .await;
    let err = app
        .claims
        .ingest_article(article(
            "https://example.com/b",
            &[("A B", "other", day(1, 1))],
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(app.count("claims").await, 1);
}

#[tokio::test]
async fn a_missing_speaker_id_is_not_found_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let mut req = article("https://example.com/nf", &[("A", "x", day(1, 1))]);
    req.claims[0].speakers = vec![pb::EntityRef {
        id: uuid::Uuid::now_v7().to_string(),
        ..Default::default()
    }];
    let err = app.claims.clone().ingest_article(req).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(app.count("articles").await, 0);
    let _ = person("unused");
}

#[tokio::test]
async fn extract_claims_returns_claims_ready_to_ingest_and_stores_nothing() {
    let mut app = TestApp::spawn().await;
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/eval/article_04.txt"
    ))
    .unwrap();
    let file = claimdb::extract::parse_article_file(&text);
    let out = app
        .claims
        .extract_claims(pb::ExtractClaimsRequest {
            text: file.body.clone(),
            published_time: Some(day(3, 12)),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(out.extractor, "claimdb-rules");
    assert!(out.claims.len() >= 8, "{} claims", out.claims.len());
    let chars: Vec<char> = file.body.chars().collect();
    for c in &out.claims {
        let parts: Vec<String> = c
            .spans
            .iter()
            .map(|s| chars[s.start as usize..s.end as usize].iter().collect())
            .collect();
        assert_eq!(parts.join(" "), c.text);
        assert_eq!(c.provenance.as_ref().unwrap().extractor, "claimdb-rules");
    }
    assert_eq!(app.count("claims").await, 0);
    // The same claims ingest as they are, alongside the article body.
    let req = pb::IngestArticleRequest {
        article: Some(pb::ArticleInput {
            url: "https://e.com/extracted".into(),
            body: file.body.clone(),
            published_time: Some(day(3, 12)),
            ..Default::default()
        }),
        claims: out.claims.clone(),
        extract: false,
    };
    let stored = app.ingest(req).await;
    assert_eq!(stored.claims.len(), out.claims.len());
}

#[tokio::test]
async fn extraction_on_ingest_needs_a_body() {
    let app = TestApp::spawn().await;
    let req = pb::IngestArticleRequest {
        article: Some(pb::ArticleInput {
            url: "https://e.com/nobody".into(),
            ..Default::default()
        }),
        claims: vec![],
        extract: true,
    };
    let err = app.claims.clone().ingest_article(req).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&err), ["article.body"]);
}
