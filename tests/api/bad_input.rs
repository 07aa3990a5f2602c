//! Hostile and broken input, table-driven: every case gets a precise status
//! (INVALID_ARGUMENT naming the field, or the right other code), never
//! INTERNAL or UNKNOWN, and the database is unchanged afterwards (row counts
//! of every table are compared). SQL-looking text is stored verbatim and
//! searched for safely.

use claimdb::pb::v1 as pb;
use prost_types::Timestamp;
use tonic::Code;

use crate::helpers::{article, bad_fields, day, person, TestApp};

/// The tables whose row counts must not move on a refused request.
const TABLES: [&str; 7] = [
    "articles",
    "claims",
    "claim_revisions",
    "claim_events",
    "entities",
    "statements",
    "api_keys",
];

async fn counts(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for t in TABLES {
        out.push(app.count(t).await);
    }
    out
}

/// A valid one-claim article the cases break one field at a time.
fn base() -> pb::IngestArticleRequest {
    article(
        "https://bad.example/base",
        &[("Ana Lima", "prices will fall", day(3, 1))],
    )
}

fn ts(seconds: i64, nanos: i32) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos })
}

type Mutation = fn(&mut pb::IngestArticleRequest);

/// (what, how to break the request, the field a violation must name).
fn ingest_cases() -> Vec<(&'static str, Mutation, &'static str)> {
    fn claim(r: &mut pb::IngestArticleRequest) -> &mut pb::ClaimInput {
        &mut r.claims[0]
    }
    fn art(r: &mut pb::IngestArticleRequest) -> &mut pb::ArticleInput {
        r.article.as_mut().unwrap()
    }
    vec![
        (
            "negative span start",
            |r| claim(r).spans[0].start = -1,
            "claims[0].spans",
        ),
        (
            "span end before start",
            |r| {
                let s = &mut claim(r).spans[0];
                (s.start, s.end) = (s.end, s.start);
            },
            "claims[0].spans",
        ),
        (
            "span end at i32::MAX",
            |r| claim(r).spans[0].end = i32::MAX,
            "claims[0].spans",
        ),
        (
            "span start at i32::MIN",
            |r| claim(r).spans[0].start = i32::MIN,
            "claims[0].spans",
        ),
        (
            "span that slices other text",
            |r| {
                claim(r).spans[0].start += 1;
                claim(r).spans[0].end += 1;
            },
            "claims[0]",
        ),
        (
            "empty claim text",
            |r| claim(r).text.clear(),
            "claims[0].text",
        ),
        (
            "huge claim text",
            |r| claim(r).text = "x".repeat(100_001),
            "claims[0].text",
        ),
        (
            "huge body",
            |r| art(r).body = "y".repeat(5_000_001),
            "article.body",
        ),
        (
            "huge speaker name",
            |r| claim(r).speakers[0].name = "N".repeat(301),
            "claims[0].speakers[0]",
        ),
        (
            "no speaker",
            |r| claim(r).speakers.clear(),
            "claims[0].speakers",
        ),
        (
            "unknown claim kind",
            |r| claim(r).kind = 99,
            "claims[0].kind",
        ),
        (
            "negative claim kind",
            |r| claim(r).kind = -1,
            "claims[0].kind",
        ),
        (
            "unknown said precision",
            |r| claim(r).said_precision = 1000,
            "claims[0].said_precision",
        ),
        (
            "unknown entity kind",
            |r| claim(r).speakers[0].kind = 42,
            "claims[0].speakers[0]",
        ),
        (
            "confidence above 1",
            |r| claim(r).confidence = Some(2.0),
            "claims[0].confidence",
        ),
        (
            "confidence NaN",
            |r| claim(r).confidence = Some(f32::NAN),
            "claims[0].confidence",
        ),
        (
            "said time beyond year 9999",
            |r| claim(r).said_time = ts(253_402_300_800, 0),
            "claims[0].said_time",
        ),
        (
            "said time at i64::MAX",
            |r| claim(r).said_time = ts(i64::MAX, 0),
            "claims[0].said_time",
        ),
        (
            "said time at i64::MIN",
            |r| claim(r).said_time = ts(i64::MIN, 0),
            "claims[0].said_time",
        ),
        (
            "negative nanos",
            |r| claim(r).said_time = ts(0, -1),
            "claims[0].said_time",
        ),
        (
            "nanos past a second",
            |r| claim(r).said_time = ts(0, 2_000_000_000),
            "claims[0].said_time",
        ),
        (
            "published time out of range",
            |r| art(r).published_time = ts(-377_705_116_801, 0),
            "article.published_time",
        ),
        ("no article", |r| r.article = None, "article"),
        ("empty url", |r| art(r).url.clear(), "article.url"),
        (
            "url that is not a url",
            |r| art(r).url = "not a url".into(),
            "article.url",
        ),
        (
            "javascript url",
            |r| art(r).url = "javascript:alert(1)".into(),
            "article.url",
        ),
        (
            "speaker id that is not a uuid",
            |r| {
                claim(r).speakers[0] = pb::EntityRef {
                    id: "1 OR 1=1".into(),
                    ..Default::default()
                };
            },
            "claims[0].speakers[0]",
        ),
        (
            "empty entity reference",
            |r| claim(r).speakers[0] = pb::EntityRef::default(),
            "claims[0].speakers[0]",
        ),
        (
            "NUL byte in the claim text",
            |r| claim(r).text = "a\0b".into(),
            "claims[0]",
        ),
        (
            "NUL byte in the title",
            |r| art(r).title = "t\0".into(),
            "article.title",
        ),
        (
            "NUL byte in the cue",
            |r| claim(r).cue = "said\0".into(),
            "claims[0].cue",
        ),
        (
            "NUL byte in the venue",
            |r| claim(r).venue = "\0".into(),
            "claims[0].venue",
        ),
        (
            "NUL byte in a speaker name",
            |r| claim(r).speakers[0].name = "Ana\0".into(),
            "claims[0].speakers[0]",
        ),
        (
            "NUL byte in the body",
            |r| art(r).body.push('\0'),
            "article.body",
        ),
        (
            "too many claims",
            |r| {
                let one = r.claims[0].clone();
                r.claims = vec![one; 10_001];
            },
            "claims",
        ),
    ]
}

#[tokio::test]
async fn each_malformed_ingest_is_invalid_argument_naming_the_field_and_stores_nothing() {
    let mut app = TestApp::spawn().await;
    let before = counts(&app).await;
    let mut tried = 0;
    for (what, mutate, field) in ingest_cases() {
        let mut req = base();
        mutate(&mut req);
        let err = app.claims.ingest_article(req).await.expect_err(what);
        assert_eq!(err.code(), Code::InvalidArgument, "{what}: {err:?}");
        let fields = bad_fields(&err);
        assert!(
            fields.iter().any(|f| f.starts_with(field)),
            "{what}: expected a violation of {field}, got {fields:?}"
        );
        assert!(err.message().len() < 2000, "{what}: short message");
        tried += 1;
    }
    assert_eq!(counts(&app).await, before, "nothing was written");
    // The base request itself is fine: the cases fail for their one change.
    assert!(app.ingest(base()).await.created);
    eprintln!("bad ingest inputs tried: {tried}");
}

/// Text that would do damage if it reached SQL unbound.
const SQLISH: [&str; 6] = [
    "'; DROP TABLE claims; --",
    "\" OR 1=1 --",
    "%' OR '1'='1",
    "Robert'); DELETE FROM articles;--",
    "\\x00\\'); SELECT pg_sleep(10); --",
    "&|!:*() <-> !!",
];

#[tokio::test]
async fn sql_looking_text_in_every_string_field_is_stored_verbatim() {
    let mut app = TestApp::spawn().await;
    for (i, sql) in SQLISH.iter().enumerate() {
        let body = format!("{sql} said: “{sql}”\n");
        let start = sql.chars().count() as i32 + 8;
        let req = pb::IngestArticleRequest {
            article: Some(pb::ArticleInput {
                url: format!("https://bad.example/{i}?q={}", urlencode(sql)),
                title: sql.to_string(),
                publisher: Some(person(&format!("{sql} Wire"))),
                published_time: Some(day(2, 1)),
                language: "en".into(),
                body,
            }),
            claims: vec![pb::ClaimInput {
                speakers: vec![person(sql)],
                speaker_role: sql.to_string(),
                kind: pb::ClaimKind::Direct as i32,
                text: sql.to_string(),
                spans: vec![pb::Span {
                    start,
                    end: start + sql.chars().count() as i32,
                }],
                cue: sql.to_string(),
                venue: sql.to_string(),
                via_text: sql.to_string(),
                said_time: Some(day(2, 1)),
                said_precision: pb::SaidPrecision::Day as i32,
                said_time_text: sql.to_string(),
                subjects: vec![pb::SubjectInput {
                    entity: Some(person(&format!("{sql} subject"))),
                    role: sql.to_string(),
                }],
                ..Default::default()
            }],
            extract: false,
        };
        let out = app.ingest(req).await;
        let claim = &out.claims[0];
        assert_eq!(claim.text, *sql);
        assert_eq!(claim.cue, *sql);
        assert_eq!(claim.speaker_role, *sql);
        assert_eq!(claim.speakers[0].name, *sql);
        assert_eq!(out.article.unwrap().title, *sql);
    }
    assert_eq!(app.count("articles").await, SQLISH.len() as i64);
    assert_eq!(app.count("claims").await, SQLISH.len() as i64);
    // The text query and name searches take the same strings safely.
    for sql in SQLISH {
        let found = app
            .claims
            .list_claims(pb::ListClaimsRequest {
                query: sql.to_string(),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("query {sql:?}: {e:?}"));
        let _ = found.into_inner().claims.len();
        let mut entities = app.entities.clone();
        entities
            .list_entities(pb::ListEntitiesRequest {
                query: sql.to_string(),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("entity search {sql:?}: {e:?}"));
        let speaker = app
            .claims
            .list_claims(pb::ListClaimsRequest {
                speaker: Some(person(sql)),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("speaker {sql:?}: {e:?}"))
            .into_inner();
        assert_eq!(speaker.claims.len(), 1, "{sql:?} finds its own claim");
    }
    assert_eq!(
        app.count("claims").await,
        SQLISH.len() as i64,
        "tables intact"
    );
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[tokio::test]
async fn malformed_tampered_and_foreign_page_tokens_are_invalid_argument() {
    let mut app = TestApp::spawn().await;
    app.ingest(article(
        "https://bad.example/pages",
        &[
            ("Ana Lima", "one", day(1, 1)),
            ("Ana Lima", "two", day(1, 2)),
            ("Rui Costa", "three", day(1, 3)),
        ],
    ))
    .await;
    let by = |name: &str, token: &str| pb::ListClaimsRequest {
        speaker: Some(person(name)),
        page_size: 1,
        page_token: token.to_string(),
        ..Default::default()
    };
    let token = app
        .claims
        .list_claims(by("Ana Lima", ""))
        .await
        .unwrap()
        .into_inner()
        .next_page_token;
    assert!(!token.is_empty());
    let tampered = {
        use base64::Engine;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut json: serde_json::Value =
            serde_json::from_slice(&engine.decode(&token).unwrap()).unwrap();
        json["f"] = serde_json::Value::String("000000000000000000000000".into());
        engine.encode(serde_json::to_vec(&json).unwrap())
    };
    let injected = {
        use base64::Engine;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut json: serde_json::Value =
            serde_json::from_slice(&engine.decode(&token).unwrap()).unwrap();
        json["c"]["id"] = serde_json::Value::String("'; DROP TABLE claims; --".into());
        engine.encode(serde_json::to_vec(&json).unwrap())
    };
    let mut flipped = token.clone().into_bytes();
    let mid = flipped.len() / 2;
    flipped[mid] = if flipped[mid] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    let cases = [
        ("garbage", by("Ana Lima", "!!not base64!!")),
        ("base64 of nonsense", by("Ana Lima", "bm90IGpzb24")),
        ("a flipped character", by("Ana Lima", &flipped)),
        ("a rewritten filter hash", by("Ana Lima", &tampered)),
        ("a cursor id that is SQL", by("Ana Lima", &injected)),
        ("another speaker's filter", by("Rui Costa", &token)),
        ("a huge token", by("Ana Lima", &"A".repeat(1 << 20))),
        (
            "negative page size",
            pb::ListClaimsRequest {
                page_size: -1,
                ..Default::default()
            },
        ),
    ];
    let before = counts(&app).await;
    for (what, req) in cases {
        let err = app.claims.list_claims(req).await.expect_err(what);
        assert_eq!(err.code(), Code::InvalidArgument, "{what}: {err:?}");
        let fields = bad_fields(&err);
        assert!(
            fields.iter().any(|f| f == "page_token" || f == "page_size"),
            "{what}: {fields:?}"
        );
    }
    // A token from ListClaims is not one for ListArticles either.
    let err = app
        .articles
        .list_articles(pb::ListArticlesRequest {
            page_token: token.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    assert_eq!(counts(&app).await, before);
    // And the genuine token still works.
    let next = app
        .claims
        .list_claims(by("Ana Lima", &token))
        .await
        .unwrap();
    assert_eq!(next.into_inner().claims.len(), 1);
}

#[tokio::test]
async fn empty_malformed_and_duplicate_ids_get_precise_codes_and_change_nothing() {
    let mut app = TestApp::spawn().await;
    let out = app.ingest(base()).await;
    let claim_id = out.claims[0].id.clone();
    let speaker_id = out.claims[0].speakers[0].id.clone();
    let before = counts(&app).await;
    let missing = uuid::Uuid::now_v7().to_string();

    for (what, id, code) in [
        ("empty id", "", Code::InvalidArgument),
        ("not a uuid", "claim-1", Code::InvalidArgument),
        ("SQL as id", "1' OR '1'='1", Code::InvalidArgument),
        ("huge id", &*"f".repeat(100_000), Code::InvalidArgument),
        ("unknown id", &*missing, Code::NotFound),
    ] {
        let err = app
            .claims
            .get_claim(pb::GetClaimRequest {
                id: id.to_string(),
                as_of: None,
            })
            .await
            .expect_err(what);
        assert_eq!(err.code(), code, "GetClaim {what}: {err:?}");
        let err = app
            .claims
            .retract_claim(pb::RetractClaimRequest {
                id: id.to_string(),
                reason: "r".into(),
                expected_revision: 1,
            })
            .await
            .expect_err(what);
        assert_eq!(err.code(), code, "RetractClaim {what}: {err:?}");
    }
    let err = app
        .claims
        .get_claim(pb::GetClaimRequest {
            id: claim_id.clone(),
            as_of: ts(i64::MAX, 0),
        })
        .await
        .unwrap_err();
    assert_eq!(
        err.code(),
        Code::InvalidArgument,
        "as_of out of range: {err:?}"
    );
    let err = app
        .claims
        .update_claim(pb::UpdateClaimRequest {
            id: claim_id.clone(),
            claim: Some(pb::ClaimInput::default()),
            update_mask: Some(prost_types::FieldMask {
                paths: vec![
                    "no_such_field".into(),
                    "speaker_role".into(),
                    "speaker_role".into(),
                ],
            }),
            expected_revision: 1,
            reason: "r".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "bad mask: {err:?}");
    let err = app
        .claims
        .update_claim(pb::UpdateClaimRequest {
            id: claim_id.clone(),
            claim: Some(pb::ClaimInput::default()),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["speaker_role".into()],
            }),
            expected_revision: -5,
            reason: "r".into(),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err.code(), Code::InvalidArgument | Code::FailedPrecondition),
        "negative revision: {err:?}"
    );
    // Merging an entity into itself.
    let err = app
        .entities
        .merge_entities(pb::MergeEntitiesRequest {
            from_id: speaker_id.clone(),
            into_id: speaker_id.clone(),
            reason: "dup".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "self-merge: {err:?}");
    let err = app
        .entities
        .merge_entities(pb::MergeEntitiesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "empty merge: {err:?}");
    assert_eq!(counts(&app).await, before, "nothing changed");
    // The same claim twice in one article is one claim (a claim's identity
    // is its kind, text, spans and speakers).
    let mut twice = base();
    twice.article.as_mut().unwrap().url = "https://bad.example/twice".into();
    let one = twice.claims[0].clone();
    twice.claims.push(one);
    let out = app.ingest(twice).await;
    assert_eq!(out.claims.len(), 2);
    assert_eq!(
        out.claims[0].id, out.claims[1].id,
        "one claim, returned twice"
    );
    assert_eq!(app.count("claims").await, before[1] + 1);
}

#[tokio::test]
async fn out_of_range_filters_are_invalid_argument() {
    let app = TestApp::spawn().await;
    let mut claims = app.claims.clone();
    let cases = [
        (
            "said_after after said_before",
            pb::ListClaimsRequest {
                said_after: Some(day(5, 1)),
                said_before: Some(day(1, 1)),
                ..Default::default()
            },
        ),
        (
            "said_after out of range",
            pb::ListClaimsRequest {
                said_after: ts(i64::MAX, 0),
                ..Default::default()
            },
        ),
        (
            "unknown order",
            pb::ListClaimsRequest {
                order_by: 77,
                ..Default::default()
            },
        ),
        (
            "unknown kind filter",
            pb::ListClaimsRequest {
                kinds: vec![9],
                ..Default::default()
            },
        ),
        (
            "article id that is not a uuid",
            pb::ListClaimsRequest {
                article_id: "x".into(),
                ..Default::default()
            },
        ),
        (
            "huge query",
            pb::ListClaimsRequest {
                query: "q ".repeat(100_000),
                ..Default::default()
            },
        ),
    ];
    for (what, req) in cases {
        let err = claims.list_claims(req).await.expect_err(what);
        assert_eq!(err.code(), Code::InvalidArgument, "{what}: {err:?}");
    }
}

#[tokio::test]
async fn thousands_of_bad_claims_still_get_a_well_formed_invalid_argument() {
    // Every violation is reported, but the status must still cross HTTP/2
    // intact (STACK.md trap 1: huge statuses break h2).
    let mut app = TestApp::spawn().await;
    let mut req = base();
    let mut bad = req.claims[0].clone();
    bad.text.clear();
    req.claims = vec![bad; 10_000];
    let err = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        app.claims.ingest_article(req),
    )
    .await
    .expect("an answer, not a hang")
    .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument, "{:?}", err.code());
    assert!(!bad_fields(&err).is_empty(), "field violations arrive");
    assert_eq!(app.count("claims").await, 0);
}

#[tokio::test]
async fn a_message_over_the_size_limit_is_refused_before_any_work() {
    let app = crate::auth::SecureApp::spawn(
        claimdb::auth::AuthMode::Off,
        std::time::Duration::from_secs(30),
    )
    .await;
    let mut req = base();
    req.article.as_mut().unwrap().title = "t".repeat(9 << 20);
    let err = app.claims().ingest_article(req).await.unwrap_err();
    assert!(
        matches!(err.code(), Code::OutOfRange | Code::ResourceExhausted),
        "{:?}: {}",
        err.code(),
        err.message()
    );
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM articles")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(rows, 0);
}
