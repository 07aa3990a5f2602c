//! ListClaims: histories in said order, filters, keyset pages, as-of reads.

use std::collections::HashSet;

use claimdb::pb::v1 as pb;
use tonic::Code;

use crate::helpers::{article, bad_fields, day, person, TestApp};

fn by_speaker(name: &str) -> pb::ListClaimsRequest {
    pb::ListClaimsRequest {
        speaker: Some(person(name)),
        ..Default::default()
    }
}

async fn texts(app: &mut TestApp, req: pb::ListClaimsRequest) -> Vec<String> {
    app.claims
        .list_claims(req)
        .await
        .unwrap()
        .into_inner()
        .claims
        .into_iter()
        .map(|c| c.text)
        .collect()
}

#[tokio::test]
async fn a_speakers_claims_come_in_the_order_they_were_said() {
    let mut app = TestApp::spawn().await;
    // Ingested out of order, and interleaved with another speaker.
    app.ingest(article(
        "https://e.com/3",
        &[
            ("Ana Veloso", "third", day(3, 1)),
            ("Bo Li", "other", day(1, 1)),
        ],
    ))
    .await;
    app.ingest(article(
        "https://e.com/1",
        &[("Ana Veloso", "first", day(1, 5))],
    ))
    .await;
    app.ingest(article(
        "https://e.com/2",
        &[("ana veloso", "second", day(2, 1))],
    ))
    .await;
    assert_eq!(
        texts(&mut app, by_speaker("Ana Veloso")).await,
        ["first", "second", "third"]
    );
    let desc = pb::ListClaimsRequest {
        order_by: pb::ClaimOrder::SaidTimeDesc as i32,
        ..by_speaker("Ana Veloso")
    };
    assert_eq!(texts(&mut app, desc).await, ["third", "second", "first"]);
    let window = pb::ListClaimsRequest {
        said_after: Some(day(1, 10)),
        said_before: Some(day(3, 1)),
        ..by_speaker("Ana Veloso")
    };
    assert_eq!(texts(&mut app, window).await, ["second"]);
}

#[tokio::test]
async fn a_page_read_again_comes_from_memory_yet_shows_a_snapshot_rewritten_in_place() {
    let mut app = TestApp::spawn().await;
    app.ingest(article(
        "https://e.com/1",
        &[
            ("Ana Veloso", "première", day(1, 1)),
            ("Ana Veloso", "second", day(2, 1)),
        ],
    ))
    .await;
    let req = || pb::ListClaimsRequest {
        order_by: pb::ClaimOrder::SaidTimeDesc as i32,
        ..by_speaker("Ana Veloso")
    };
    let first = app.claims.list_claims(req()).await.unwrap().into_inner();
    // The second read names the versions the server holds, and PostgreSQL
    // leaves their snapshots out: the answer is the same.
    let again = app.claims.list_claims(req()).await.unwrap().into_inner();
    assert_eq!(first, again);
    assert_eq!(first.claims.len(), 2);
    // The digest PostgreSQL keeps of each snapshot is the server's.
    let rows: Vec<(String, uuid::Uuid)> =
        sqlx::query_as("SELECT snapshot::text, snapshot_digest FROM claim_revisions")
            .fetch_all(app.store.pool())
            .await
            .unwrap();
    assert_eq!(rows.len(), 2);
    for (text, digest) in rows {
        assert_eq!(
            claimdb::store::snapshot_digest(text.as_bytes()),
            digest,
            "{text}"
        );
    }
    // A snapshot rewritten in place (as an entity merge or a statement move
    // does) gets a new digest, so the next read sees it.
    sqlx::query(
        "UPDATE claim_revisions SET snapshot = jsonb_set(snapshot::jsonb, '{text}', '\"rewritten\"')::json \
         WHERE snapshot->>'text' = 'première'",
    )
    .execute(app.store.pool())
    .await
    .unwrap();
    assert_eq!(texts(&mut app, req()).await, ["second", "rewritten"]);
    // The link rows the page is read from took the new digest.
    app.assert_links_current().await;
}

#[tokio::test]
async fn pages_neither_skip_nor_repeat_while_claims_are_inserted() {
    let mut app = TestApp::spawn().await;
    let originals: Vec<String> = (0..30).map(|i| format!("claim {i:02}")).collect();
    for (i, t) in originals.iter().enumerate() {
        let d = day(1 + (i as u32 % 12), 1 + (i as u32 % 28));
        app.ingest(article(
            &format!("https://e.com/p{i}"),
            &[("Ana Veloso", t, d)],
        ))
        .await;
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut page = 0;
    loop {
        let out = app
            .claims
            .list_claims(pb::ListClaimsRequest {
                page_size: 7,
                page_token: token.clone(),
                ..by_speaker("Ana Veloso")
            })
            .await
            .unwrap()
            .into_inner();
        seen.extend(
            out.claims
                .iter()
                .map(|c| (c.said_time.unwrap().seconds, c.id.clone(), c.text.clone())),
        );
        if out.next_page_token.is_empty() {
            break;
        }
        token = out.next_page_token;
        // Insert claims both before and after the cursor between pages.
        page += 1;
        for (j, d) in [day(1, 1), day(12, 31)].into_iter().enumerate() {
            app.ingest(article(
                &format!("https://e.com/new{page}-{j}"),
                &[("Ana Veloso", &format!("new {page}-{j}"), d)],
            ))
            .await;
        }
    }
    let ids: HashSet<_> = seen.iter().map(|s| s.1.clone()).collect();
    assert_eq!(ids.len(), seen.len(), "no claim is served twice");
    let texts: HashSet<_> = seen.iter().map(|s| s.2.clone()).collect();
    for t in &originals {
        assert!(texts.contains(t), "{t} was skipped");
    }
    let keys: Vec<_> = seen.iter().map(|s| (s.0, s.1.clone())).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "served in said order throughout");
}

#[tokio::test]
async fn a_page_token_only_works_with_its_own_filter() {
    let mut app = TestApp::spawn().await;
    for i in 0..3 {
        app.ingest(article(
            &format!("https://e.com/t{i}"),
            &[("Ana Veloso", &format!("t{i}"), day(1, i + 1))],
        ))
        .await;
    }
    let first = app
        .claims
        .list_claims(pb::ListClaimsRequest {
            page_size: 1,
            ..by_speaker("Ana Veloso")
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!first.next_page_token.is_empty());
    let cases = [
        (
            "another filter",
            by_speaker("Someone Else"),
            first.next_page_token.clone(),
        ),
        (
            "tampered",
            by_speaker("Ana Veloso"),
            format!("x{}", first.next_page_token),
        ),
        (
            "garbage",
            by_speaker("Ana Veloso"),
            "'; DROP TABLE claims; --".to_string(),
        ),
    ];
    for (what, req, token) in cases {
        let err = app
            .claims
            .list_claims(pb::ListClaimsRequest {
                page_size: 1,
                page_token: token,
                ..req
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{what}");
        assert_eq!(bad_fields(&err), ["page_token"], "{what}");
    }
    assert_eq!(app.count("claims").await, 3);
}

#[tokio::test]
async fn filters_combine_subject_publisher_kind_and_text() {
    let mut app = TestApp::spawn().await;
    let mut req = article(
        "https://e.com/f1",
        &[
            ("Ana Veloso", "The gas transit accord will lapse", day(3, 1)),
            ("Ana Veloso", "Borders are settled", day(3, 2)),
        ],
    );
    req.claims[0].subjects = vec![pb::SubjectInput {
        entity: Some(pb::EntityRef {
            name: "Korvan Federation".into(),
            kind: pb::EntityKind::Place as i32,
            ..Default::default()
        }),
        role: "target".into(),
    }];
    req.claims[1].kind = pb::ClaimKind::Indirect as i32;
    app.ingest(req).await;
    let mut other = article(
        "https://e.com/f2",
        &[("Bo Li", "Gas prices will rise", day(3, 3))],
    );
    other.article.as_mut().unwrap().publisher = Some(crate::helpers::org("Other Times"));
    app.ingest(other).await;

    let about = pb::ListClaimsRequest {
        subject: Some(pb::EntityRef {
            name: "korvan federation".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    assert_eq!(
        texts(&mut app, about).await,
        ["The gas transit accord will lapse"]
    );
    let gas = pb::ListClaimsRequest {
        query: "gas".into(),
        ..Default::default()
    };
    assert_eq!(texts(&mut app, gas).await.len(), 2);
    let gas_by_pub = pb::ListClaimsRequest {
        query: "gas -prices".into(),
        publisher: Some(crate::helpers::org("Test Wire")),
        ..Default::default()
    };
    assert_eq!(
        texts(&mut app, gas_by_pub).await,
        ["The gas transit accord will lapse"]
    );
    let indirect = pb::ListClaimsRequest {
        kinds: vec![pb::ClaimKind::Indirect as i32],
        ..Default::default()
    };
    assert_eq!(texts(&mut app, indirect).await, ["Borders are settled"]);
    let unknown = app
        .claims
        .list_claims(by_speaker("Nobody Known"))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    // An unknown id too (ids are tried before they are checked).
    let unknown_id = app
        .claims
        .list_claims(pb::ListClaimsRequest {
            speaker: Some(pb::EntityRef {
                id: uuid::Uuid::now_v7().to_string(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(unknown_id.code(), Code::NotFound);
    assert!(
        unknown_id.message().contains("speaker"),
        "{}",
        unknown_id.message()
    );
}

#[tokio::test]
async fn as_of_answers_exactly_as_the_database_stood_then() {
    let mut app = TestApp::spawn().await;
    let before_anything = prost_types::Timestamp::from(std::time::SystemTime::now());
    let out = app
        .ingest(article(
            "https://e.com/asof",
            &[("Ana Veloso", "We will sign", day(4, 1))],
        ))
        .await;
    let claim = out.claims[0].clone();
    let created_at = claim.update_time;
    let mut corrected = pb::ClaimInput {
        text: "We will not sign".into(),
        spans: vec![],
        ..Default::default()
    };
    corrected.speakers.clear();
    app.claims
        .update_claim(pb::UpdateClaimRequest {
            id: claim.id.clone(),
            claim: Some(corrected),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["text".into(), "spans".into()],
            }),
            expected_revision: 1,
            reason: "misquoted".into(),
        })
        .await
        .unwrap();
    let get = |as_of| pb::GetClaimRequest {
        id: claim.id.clone(),
        as_of,
    };
    let now = app
        .claims
        .get_claim(get(None))
        .await
        .unwrap()
        .into_inner()
        .claim
        .unwrap();
    assert_eq!(now.text, "We will not sign");
    let then = app
        .claims
        .get_claim(get(created_at))
        .await
        .unwrap()
        .into_inner()
        .claim
        .unwrap();
    assert_eq!(then.text, "We will sign");
    assert_eq!(then.revision, 1);
    let err = app
        .claims
        .get_claim(get(Some(before_anything)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let list_then = pb::ListClaimsRequest {
        as_of: created_at,
        ..by_speaker("Ana Veloso")
    };
    assert_eq!(texts(&mut app, list_then).await, ["We will sign"]);
    let list_text_then = pb::ListClaimsRequest {
        as_of: created_at,
        query: "sign".into(),
        ..Default::default()
    };
    assert_eq!(texts(&mut app, list_text_then).await, ["We will sign"]);
}

/// Full-text lists take two plans (walk the newest claims, or read every
/// match through the index); both must give the exact newest matches, page
/// after page, for a term in a handful of old claims and one in many.
#[tokio::test]
async fn text_search_pages_newest_first_for_rare_and_common_terms() {
    let mut app = TestApp::spawn().await;
    // 1,100 claims: more than the newest-claims window (1,000 here).
    let base = chrono::NaiveDate::from_ymd_opt(2020, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let text = |i: usize| {
        let mut t = format!("Routine remark number {i} on the harbour budget");
        if i < 3 {
            t.push_str(" and the zeppelin hangar");
        }
        if i % 10 == 0 {
            t.push_str(" near the “quay” wall");
        }
        t
    };
    let at = |i: usize| {
        let t = base + chrono::Duration::days(i as i64);
        prost_types::Timestamp {
            seconds: t.timestamp(),
            nanos: 0,
        }
    };
    let items: Vec<pb::ImportArticlesRequest> = (0..220)
        .map(|a| {
            let claims: Vec<(String, prost_types::Timestamp)> =
                (0..5).map(|j| (text(a * 5 + j), at(a * 5 + j))).collect();
            let refs: Vec<(&str, &str, prost_types::Timestamp)> = claims
                .iter()
                .map(|(t, d)| ("Port Official", t.as_str(), *d))
                .collect();
            pb::ImportArticlesRequest {
                article: Some(crate::helpers::article(
                    &format!("https://w.example/{a}"),
                    &refs,
                )),
            }
        })
        .collect();
    let summary = app
        .claims
        .import_articles(tokio_stream::iter(items))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(summary.claims_stored, 1100);
    let list = |query: &str, page_size: i32, order: pb::ClaimOrder| {
        let mut claims = app.claims.clone();
        let query = query.to_string();
        async move {
            let mut texts = Vec::new();
            let mut token = String::new();
            loop {
                let page = claims
                    .list_claims(pb::ListClaimsRequest {
                        query: query.clone(),
                        order_by: order as i32,
                        page_size,
                        page_token: token,
                        ..Default::default()
                    })
                    .await
                    .unwrap()
                    .into_inner();
                texts.extend(page.claims.into_iter().map(|c| c.text));
                if page.next_page_token.is_empty() {
                    return texts;
                }
                token = page.next_page_token;
            }
        }
    };
    let desc = pb::ClaimOrder::SaidTimeDesc;
    // Rare and old: outside the window, found through the index.
    assert_eq!(list("zeppelin", 2, desc).await, [text(2), text(1), text(0)]);
    // Common: 110 matches, the newest first; a word inside curly quotes
    // is a word of its own.
    let quay: Vec<String> = (0..1100).rev().filter(|i| i % 10 == 0).map(text).collect();
    assert_eq!(list("quay", 20, desc).await, quay);
    let oldest_first: Vec<String> = quay.iter().rev().cloned().collect();
    assert_eq!(
        list("quay", 7, pb::ClaimOrder::SaidTimeAsc).await,
        oldest_first
    );
}

/// Index and sequential scans PostgreSQL has counted on each of the tables
/// a history page could read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Scans {
    claims: i64,
    revisions: i64,
    speakers: i64,
    subjects: i64,
    /// Rows inserted into `claim_speakers`: once the ingest's are counted,
    /// so are its scans (a backend reports all its counts at once).
    speaker_rows: i64,
}

async fn scans(app: &TestApp) -> Scans {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT relname::text, (coalesce(idx_scan, 0) + seq_scan)::bigint, n_tup_ins \
         FROM pg_stat_user_tables \
         WHERE relname IN ('claims', 'claim_revisions', 'claim_speakers', 'claim_subjects')",
    )
    .fetch_all(app.store.pool())
    .await
    .unwrap();
    let of = |name: &str| {
        rows.iter()
            .find(|(n, _, _)| n == name)
            .map_or((0, 0), |r| (r.1, r.2))
    };
    Scans {
        claims: of("claims").0,
        revisions: of("claim_revisions").0,
        speakers: of("claim_speakers").0,
        subjects: of("claim_subjects").0,
        speaker_rows: of("claim_speakers").1,
    }
}

/// Waits until the server's backends have reported their scans (each does
/// so within about a second of going idle) and `ready` holds.
async fn reported_scans(app: &TestApp, ready: impl Fn(&Scans) -> bool) -> Scans {
    for _ in 0..150 {
        let s = scans(app).await;
        if ready(&s) {
            return s;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the scans were not reported: {:?}", scans(app).await);
}

/// A speaker's or a subject's history reads its link rows and nothing
/// else of a claim it already holds: each link row carries the claim's
/// current revision, state and digest (migration 0036), so there is no
/// look-up in `claims`, and a page read again, whose versions the server
/// holds, makes none in `claim_revisions` either. Counted by PostgreSQL's
/// own statistics of the server's scans.
#[tokio::test]
async fn a_history_read_again_scans_only_its_link_index() {
    let mut app = TestApp::spawn().await;
    let mut req = article(
        "https://e.com/links",
        &[
            ("Ana Veloso", "one", day(1, 1)),
            ("Ana Veloso", "two", day(2, 1)),
        ],
    );
    for c in &mut req.claims {
        c.subjects = vec![pb::SubjectInput {
            entity: Some(person("Bo Li")),
            role: String::new(),
        }];
    }
    app.ingest(req).await;
    let about = pb::ListClaimsRequest {
        subject: Some(person("Bo Li")),
        ..Default::default()
    };
    let start = reported_scans(&app, |s| s.speaker_rows == 2).await;
    // The first reads fetch the snapshots (by key, from claim_revisions).
    assert_eq!(
        texts(&mut app, by_speaker("Ana Veloso")).await,
        ["one", "two"]
    );
    assert_eq!(texts(&mut app, about.clone()).await, ["one", "two"]);
    let before = reported_scans(&app, |s| {
        s.speakers > start.speakers && s.subjects > start.subjects && s.revisions > start.revisions
    })
    .await;
    for _ in 0..5 {
        assert_eq!(
            texts(&mut app, by_speaker("Ana Veloso")).await,
            ["one", "two"]
        );
        assert_eq!(texts(&mut app, about.clone()).await, ["one", "two"]);
    }
    let after = reported_scans(&app, |s| {
        s.speakers >= before.speakers + 5 && s.subjects >= before.subjects + 5
    })
    .await;
    assert_eq!(
        after.claims, start.claims,
        "no look-up in claims: {after:?}"
    );
    assert_eq!(
        after.revisions, before.revisions,
        "held versions are not looked up: {after:?}"
    );
}
