//! ClaimReview JSON-LD: export, import, reviews.

use claimdb::pb::v1 as pb;
use claimdb::pb::v1::review_service_client::ReviewServiceClient;
use tonic::Code;

use crate::helpers::{bad_fields, day, org, TestApp};
use crate::statements::{ingest_one, report, statements_client};

#[tokio::test]
async fn claimreviews_round_trip_into_a_fresh_database() {
    let mut app = TestApp::spawn().await;
    let mut statements = statements_client(&app).await;
    let mut reviews = ReviewServiceClient::connect(format!("http://{}", app.addr))
        .await
        .unwrap();
    let a = ingest_one(
        &mut app,
        report(
            "https://a.example/1",
            "Outlet A",
            day(6, 18),
            "Ana Veloso",
            "Unemployment fell by 3 per cent last year.",
        ),
    )
    .await;
    ingest_one(
        &mut app,
        report(
            "https://b.example/1",
            "Outlet B",
            day(6, 17),
            "Ana Veloso",
            "“Unemployment fell by 3 per cent last year”",
        ),
    )
    .await;
    ingest_one(
        &mut app,
        report(
            "https://c.example/1",
            "Outlet C",
            day(6, 19),
            "Bo Li",
            "The vaccine is safe.",
        ),
    )
    .await;
    reviews
        .create_review(pb::CreateReviewRequest {
            statement_id: a.statement_id.clone(),
            reviewer: Some(org("FactCheck Desk")),
            rating_text: "Mostly false".into(),
            rating_value: Some(2.0),
            best_rating: Some(5.0),
            worst_rating: Some(1.0),
            url: "https://factcheck.example/unemployment".into(),
            review_time: Some(day(6, 25)),
        })
        .await
        .unwrap();
    let exported = statements
        .export_claim_reviews(pb::ExportClaimReviewsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(exported.statement_count, 2);
    let doc: serde_json::Value = serde_json::from_str(&exported.json_ld).unwrap();
    let first = &doc[0];
    assert_eq!(first["@type"], "ClaimReview");
    assert_eq!(
        first["itemReviewed"]["firstAppearance"]["url"],
        "https://b.example/1"
    );
    assert_eq!(first["reviewRating"]["ratingValue"], 2.0);

    let mut fresh = TestApp::spawn().await;
    let mut fresh_statements = statements_client(&fresh).await;
    let imported = fresh_statements
        .import_claim_reviews(pb::ImportClaimReviewsRequest {
            json_ld: exported.json_ld.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(imported.statement_ids.len(), 2);
    assert_eq!(imported.claims_created, 3);
    assert_eq!(imported.reviews_created, 1);
    let s = fresh_statements
        .get_statement(pb::GetStatementRequest {
            id: imported.statement_ids[0].clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .statement
        .unwrap();
    assert_eq!(s.appearance_count, 2);
    assert_eq!(s.speakers[0].name, "Ana Veloso");
    assert_eq!(s.first_appearance.unwrap().url, "https://b.example/1");
    assert_eq!(s.reviews.len(), 1);
    assert_eq!(s.reviews[0].rating_text, "Mostly false");
    assert_eq!(
        s.reviews[0].reviewer.as_ref().unwrap().name,
        "FactCheck Desk"
    );
    // Importing again stores nothing new, and the export reads the same.
    let again = fresh_statements
        .import_claim_reviews(pb::ImportClaimReviewsRequest {
            json_ld: exported.json_ld.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((again.claims_created, again.reviews_created), (0, 0));
    assert_eq!(again.statement_ids, imported.statement_ids);
    let re_exported = fresh_statements
        .export_claim_reviews(pb::ExportClaimReviewsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let redoc: serde_json::Value = serde_json::from_str(&re_exported.json_ld).unwrap();
    for key in ["claimReviewed", "reviewRating", "url"] {
        assert_eq!(redoc[0][key], doc[0][key], "{key}");
    }
    assert_eq!(redoc[1]["claimReviewed"], doc[1]["claimReviewed"]);
    fresh.count("reviews").await;
    let _ = &mut fresh;
}

#[tokio::test]
async fn bad_claimreview_json_ld_names_each_field_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let mut client = statements_client(&app).await;
    let doc = serde_json::json!([
        {
            "@type": "ClaimReview",
            "claimReviewed": "Fine words.",
            "itemReviewed": {"@type": "Claim", "author": {"@type": "Person", "name": "Ana Veloso"},
                             "appearance": [{"url": "https://ok.example/1"}]},
        },
        {
            "@type": "ClaimReview",
            "itemReviewed": {"@type": "Claim", "author": {"@type": "Person"},
                             "appearance": [{"url": "not a url", "datePublished": "yesterday"}]},
            "author": {"name": "Checker"},
            "url": "https://check.example/x",
            "reviewRating": {"ratingValue": 9, "bestRating": 5, "worstRating": 1},
        }
    ]);
    let err = client
        .import_claim_reviews(pb::ImportClaimReviewsRequest {
            json_ld: doc.to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let fields = bad_fields(&err);
    for f in [
        "json_ld[1].claimReviewed",
        "json_ld[1].itemReviewed.author.name",
        "json_ld[1].itemReviewed.appearance[0].url",
        "json_ld[1].itemReviewed.appearance[0].datePublished",
        "json_ld[1].reviewRating.ratingValue",
    ] {
        assert!(
            fields.contains(&f.to_string()),
            "{f} missing from {fields:?}"
        );
    }
    assert_eq!(app.count("claims").await, 0);
    assert_eq!(app.count("articles").await, 0);
    let err = client
        .import_claim_reviews(pb::ImportClaimReviewsRequest {
            json_ld: "{not json".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&err), ["json_ld"]);
}

#[tokio::test]
async fn the_cli_exports_to_a_file_and_imports_it_into_another_server() {
    use claimdb::cli::claimreview::{export, import, ExportArgs, ImportArgs};
    let mut app = TestApp::spawn().await;
    ingest_one(
        &mut app,
        report(
            "https://a.example/1",
            "Outlet A",
            day(6, 18),
            "Ana Veloso",
            "We remain fully committed to the peace process.",
        ),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reviews.jsonld");
    export(ExportArgs {
        server: claimdb::cli::client::ServerArgs {
            server: format!("http://{}", app.addr),
            api_key: None,
        },
        statements: Vec::new(),
        speaker: Some("Ana Veloso".into()),
        query: None,
        page_size: 1,
        output: Some(path.clone()),
    })
    .await
    .expect("export");
    let fresh = TestApp::spawn().await;
    import(ImportArgs {
        server: claimdb::cli::client::ServerArgs {
            server: fresh.addr.to_string(),
            api_key: None,
        },
        input: path,
        actor: "cli-test".into(),
    })
    .await
    .expect("import");
    assert_eq!(fresh.count("statements").await, 1);
    assert_eq!(fresh.count("claims").await, 1);
}
