//! StatementService: the same remark across outlets is one statement.

use claimdb::pb::v1 as pb;
use claimdb::pb::v1::statement_service_client::StatementServiceClient;
use tonic::transport::Channel;

use crate::helpers::{day, org, person, TestApp};

/// A statement client on the app's server.
pub(crate) async fn statements_client(app: &TestApp) -> StatementServiceClient<Channel> {
    StatementServiceClient::connect(format!("http://{}", app.addr))
        .await
        .expect("connecting the statement client")
}

/// An article by `outlet` published on `published` with one direct claim
/// (no body, so no spans).
// Other engineers add fields to IngestArticleRequest; the update keeps this
// compiling either way.
#[allow(clippy::needless_update)]
pub(crate) fn report(
    url: &str,
    outlet: &str,
    published: prost_types::Timestamp,
    speaker: &str,
    text: &str,
) -> pb::IngestArticleRequest {
    pb::IngestArticleRequest {
        extract: false,
        article: Some(pb::ArticleInput {
            url: url.into(),
            title: "Report".into(),
            publisher: Some(org(outlet)),
            published_time: Some(published),
            language: "en".into(),
            body: String::new(),
        }),
        claims: vec![pb::ClaimInput {
            speakers: vec![person(speaker)],
            kind: pb::ClaimKind::Direct as i32,
            text: text.into(),
            subjects: vec![pb::SubjectInput {
                entity: Some(pb::EntityRef {
                    name: "Valdoria".into(),
                    kind: pb::EntityKind::Place as i32,
                    ..Default::default()
                }),
                role: "topic".into(),
            }],
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// Ingests a one-claim report and returns the claim.
pub(crate) async fn ingest_one(app: &mut TestApp, req: pb::IngestArticleRequest) -> pb::Claim {
    app.ingest(req).await.claims.remove(0)
}

async fn get(client: &mut StatementServiceClient<Channel>, id: &str) -> pb::GetStatementResponse {
    client
        .get_statement(pb::GetStatementRequest { id: id.into() })
        .await
        .expect("GetStatement")
        .into_inner()
}

#[tokio::test]
async fn the_same_quote_in_three_articles_is_one_statement_first_seen_in_the_earliest() {
    let mut app = TestApp::spawn().await;
    let mut client = statements_client(&app).await;
    // Ingested latest first; punctuation and quote marks vary.
    let c = ingest_one(
        &mut app,
        report(
            "https://c.example/3",
            "Outlet C",
            day(6, 20),
            "Tomas Ekwall",
            "“We will not give up a single inch of our territory,” he said",
        ),
    )
    .await;
    let a = ingest_one(
        &mut app,
        report(
            "https://a.example/1",
            "Outlet A",
            day(6, 18),
            "Tomas Ekwall",
            "We will not give up a single inch of our territory.",
        ),
    )
    .await;
    let b = ingest_one(
        &mut app,
        report(
            "https://b.example/2",
            "Outlet B",
            day(6, 19),
            "tomas ekwall",
            "\"WE WILL NOT GIVE UP A SINGLE INCH OF OUR TERRITORY!\"",
        ),
    )
    .await;
    assert!(!a.statement_id.is_empty());
    assert_eq!(a.statement_id, b.statement_id);
    assert_eq!(a.statement_id, c.statement_id);
    let s = get(&mut client, &a.statement_id).await.statement.unwrap();
    assert_eq!(s.appearance_count, 3);
    assert_eq!(s.outlet_count, 3);
    let first = s.first_appearance.unwrap();
    assert_eq!(
        first.claim_id, a.id,
        "the earliest publication, not the first ingested"
    );
    assert_eq!(first.url, "https://a.example/1");
    assert_eq!(first.publisher.unwrap().name, "Outlet A");
    assert_eq!(s.canonical_text, a.text);
    let outlets: Vec<_> = s.outlets.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(outlets, ["Outlet A", "Outlet B", "Outlet C"]);
    let apps = client
        .list_appearances(pb::ListAppearancesRequest {
            id: a.statement_id.clone(),
            page_size: 2,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<_> = apps.claims.iter().map(|c| c.id.clone()).collect();
    assert_eq!(ids, [a.id.clone(), b.id.clone()]);
    let rest = client
        .list_appearances(pb::ListAppearancesRequest {
            id: a.statement_id.clone(),
            page_size: 2,
            page_token: apps.next_page_token,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rest.claims[0].id, c.id);
    assert!(rest.next_page_token.is_empty());
    // ListClaims filters by statement.
    let listed = app
        .claims
        .list_claims(pb::ListClaimsRequest {
            statement: a.statement_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.claims.len(), 3);
}

#[tokio::test]
async fn a_different_speaker_with_the_same_words_is_a_different_statement() {
    let mut app = TestApp::spawn().await;
    let words = "The port is open for business.";
    let a = ingest_one(
        &mut app,
        report(
            "https://a.example/1",
            "A",
            day(6, 18),
            "Tomas Ekwall",
            words,
        ),
    )
    .await;
    let b = ingest_one(
        &mut app,
        report("https://b.example/1", "B", day(6, 18), "Ana Veloso", words),
    )
    .await;
    assert_ne!(a.statement_id, b.statement_id);
}

#[tokio::test]
async fn a_trimmed_quote_joins_the_longer_one_but_a_negated_remark_does_not() {
    let mut app = TestApp::spawn().await;
    let long = "The joint administration of the islands is the only realistic path, and we will pursue it with patience.";
    let a = ingest_one(
        &mut app,
        report("https://a.example/1", "A", day(6, 18), "Ana Veloso", long),
    )
    .await;
    let trimmed = "the joint administration of the islands is the only realistic path";
    let b = ingest_one(
        &mut app,
        report(
            "https://b.example/1",
            "B",
            day(6, 19),
            "Ana Veloso",
            trimmed,
        ),
    )
    .await;
    assert_eq!(a.statement_id, b.statement_id);
    let negated = "The joint administration of the islands is not the only realistic path.";
    let c = ingest_one(
        &mut app,
        report(
            "https://c.example/1",
            "C",
            day(6, 19),
            "Ana Veloso",
            negated,
        ),
    )
    .await;
    assert_ne!(a.statement_id, c.statement_id);
    // Every decision is recorded with its score.
    let rows: Vec<(String, Option<f64>)> =
        sqlx::query_as("SELECT method, score FROM statement_decisions ORDER BY id")
            .fetch_all(app.store.pool())
            .await
            .unwrap();
    assert_eq!(rows[0].0, "new");
    assert_eq!(rows[1], ("contained".to_string(), Some(1.0)));
    assert_eq!(rows[2].0, "new");
}

#[tokio::test]
async fn concurrent_ingests_of_the_same_new_remark_make_one_statement() {
    let app = TestApp::spawn().await;
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let mut client = app.claims.clone();
            let req = report(
                &format!("https://o{i}.example/x"),
                &format!("Outlet {i}"),
                day(6, 1 + i),
                "Ana Veloso",
                "Inflation has peaked; we are confident of that.",
            );
            tokio::spawn(async move { client.ingest_article(req).await })
        })
        .collect();
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        let out = t.await.unwrap().expect("ingest").into_inner();
        ids.insert(out.claims[0].statement_id.clone());
    }
    assert_eq!(ids.len(), 1, "one statement, not {}", ids.len());
    assert_eq!(app.count("statements").await, 1);
}

/// Writers lock only what a new claim can be matched by (its text's key and
/// sketch keys) and the names that may create an entity. While another
/// session holds the key of one remark and the names of its speaker and
/// outlet, a different remark by the same (stored) speaker through the same
/// (stored) outlet is ingested at once, and the same remark waits for the
/// lock, then joins the stored statement.
#[tokio::test]
async fn writers_wait_only_for_writers_of_a_remark_they_could_match() {
    use claimdb::domain::statement::{exact_key, normalize_text, speaker_key};
    use claimdb::domain::text::fold_name;
    use std::time::Duration;

    let remark = "Inflation has peaked; we are confident of that.";
    let mut app = TestApp::spawn().await;
    let first = ingest_one(
        &mut app,
        report(
            "https://a.example/1",
            "Outlet A",
            day(6, 1),
            "Ana Veloso",
            remark,
        ),
    )
    .await;
    let speaker: uuid::Uuid = first.speakers[0].id.parse().unwrap();
    let mut holder = app.store.pool().acquire().await.unwrap();
    sqlx::query(
        "SELECT pg_advisory_lock(hashtextextended($1, 0)), \
           pg_advisory_lock(hashtextextended($2, 0)), pg_advisory_lock($3)",
    )
    .bind(format!("n:{}", fold_name("Ana Veloso")))
    .bind(format!("n:{}", fold_name("Outlet A")))
    .bind(exact_key(&speaker_key(&[speaker]), &normalize_text(remark)))
    .execute(&mut *holder)
    .await
    .unwrap();

    let other = report(
        "https://a.example/2",
        "Outlet A",
        day(6, 2),
        "Ana Veloso",
        "Unemployment will fall below five percent next year.",
    );
    let mut client = app.claims.clone();
    let done = tokio::time::timeout(Duration::from_secs(20), client.ingest_article(other))
        .await
        .expect("a different remark must not wait for the held locks")
        .expect("ingest");
    assert_ne!(done.into_inner().claims[0].statement_id, first.statement_id);

    let same = report(
        "https://b.example/1",
        "Outlet A",
        day(6, 3),
        "Ana Veloso",
        remark,
    );
    let mut client = app.claims.clone();
    let waiting = tokio::spawn(async move { client.ingest_article(same).await });
    // Proof that it waits on the lock (not merely that it is slow).
    let mut blocked = false;
    for _ in 0..200 {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
        )
        .fetch_one(&mut *holder)
        .await
        .unwrap();
        if n > 0 {
            blocked = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(blocked, "the same remark should wait for the held key");
    assert!(!waiting.is_finished());
    let joined = crate::helpers::release_then_join(&mut holder, waiting).await;
    assert_eq!(joined.claims[0].statement_id, first.statement_id);
}

#[tokio::test]
async fn statements_list_by_speaker_and_subject_ordered_by_first_appearance_or_count() {
    let mut app = TestApp::spawn().await;
    let mut client = statements_client(&app).await;
    for (i, d) in [18, 19, 20].into_iter().enumerate() {
        ingest_one(
            &mut app,
            report(
                &format!("https://x{i}.example/a"),
                &format!("X{i}"),
                day(6, d),
                "Ana Veloso",
                "Prices at the pump will come down by the end of the summer.",
            ),
        )
        .await;
    }
    ingest_one(
        &mut app,
        report(
            "https://y.example/a",
            "Y",
            day(6, 1),
            "Ana Veloso",
            "The central bank acted too late and too timidly.",
        ),
    )
    .await;
    ingest_one(
        &mut app,
        report(
            "https://z.example/a",
            "Z",
            day(6, 2),
            "Bo Li",
            "Something else entirely, said by another person.",
        ),
    )
    .await;
    let list = |order: pb::StatementOrder| pb::ListStatementsRequest {
        speaker: Some(person("Ana Veloso")),
        subject: Some(pb::EntityRef {
            name: "Valdoria".into(),
            ..Default::default()
        }),
        order_by: order as i32,
        page_size: 1,
        ..Default::default()
    };
    let first = client
        .list_statements(list(pb::StatementOrder::FirstAppearance))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        first.statements[0].canonical_text,
        "The central bank acted too late and too timidly."
    );
    let second = client
        .list_statements(pb::ListStatementsRequest {
            page_token: first.next_page_token,
            ..list(pb::StatementOrder::FirstAppearance)
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.statements[0].appearance_count, 3);
    assert!(second.next_page_token.is_empty());
    let by_count = client
        .list_statements(list(pb::StatementOrder::AppearanceCount))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_count.statements[0].appearance_count, 3);
    let words = client
        .list_statements(pb::ListStatementsRequest {
            query: "central bank".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(words.statements.len(), 1);
}

#[tokio::test]
async fn the_rust_trigram_similarity_agrees_with_pg_trgm_on_the_labelled_pairs() {
    use claimdb::domain::statement::{normalize_text, similarity};
    let app = TestApp::spawn().await;
    let fixture = include_str!("../fixtures/statement_pairs.jsonl");
    for line in fixture.lines().filter(|l| !l.trim().is_empty()) {
        let pair: serde_json::Value = serde_json::from_str(line).unwrap();
        let a = normalize_text(pair["a"].as_str().unwrap());
        let b = normalize_text(pair["b"].as_str().unwrap());
        let pg: f32 = sqlx::query_scalar("SELECT similarity($1, $2)")
            .bind(&a)
            .bind(&b)
            .fetch_one(app.store.pool())
            .await
            .unwrap();
        let ours = similarity(&a, &b);
        assert!(
            (ours - f64::from(pg)).abs() < 1e-4,
            "{a:?} / {b:?}: {ours} vs {pg}"
        );
    }
}

/// One labelled pair of `tests/fixtures/statement_pairs.jsonl`.
#[derive(serde::Deserialize)]
struct Pair {
    kind: String,
    same_speaker: bool,
    same: bool,
    a: String,
    b: String,
}

/// Precision and recall of the matching rule on the labelled pairs at
/// several thresholds; `cargo test --test api statement_pairs -- --nocapture`
/// prints the table quoted in docs/STATEMENTS.md.
#[test]
fn statement_pairs_precision_and_recall() {
    use claimdb::domain::statement::{match_score, normalize_text, DEFAULT_SIMILARITY};
    let pairs: Vec<Pair> = include_str!("../fixtures/statement_pairs.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a labelled pair"))
        .collect();
    assert!(pairs.len() >= 40);
    let scored: Vec<(&Pair, f64)> = pairs
        .iter()
        .map(|p| {
            let score = if p.same_speaker {
                match_score(&normalize_text(&p.a), &normalize_text(&p.b)).0
            } else {
                0.0 // different speakers never share a statement
            };
            (p, score)
        })
        .collect();
    println!("threshold  tp  fp  fn  tn  precision  recall  f1");
    let mut at_default = (0.0, 0.0);
    for t in [0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9] {
        let (mut tp, mut fp, mut fn_, mut tn) = (0, 0, 0, 0);
        for (p, s) in &scored {
            match (*s >= t, p.same) {
                (true, true) => tp += 1,
                (true, false) => fp += 1,
                (false, true) => fn_ += 1,
                (false, false) => tn += 1,
            }
        }
        let precision = tp as f64 / (tp + fp).max(1) as f64;
        let recall = tp as f64 / (tp + fn_).max(1) as f64;
        let f1 = 2.0 * precision * recall / (precision + recall).max(1e-9);
        println!("{t:>9.2}  {tp:>2}  {fp:>2}  {fn_:>2}  {tn:>2}  {precision:>9.3}  {recall:>6.3}  {f1:.3}");
        if t == DEFAULT_SIMILARITY {
            at_default = (precision, recall);
        }
    }
    for (p, s) in &scored {
        let hit = *s >= DEFAULT_SIMILARITY;
        if hit != p.same {
            println!("miss at default: {} {s:.3} {:?} / {:?}", p.kind, p.a, p.b);
        }
    }
    assert!(
        at_default.0 >= 0.95,
        "precision at the default {at_default:?}"
    );
    assert!(at_default.1 >= 0.85, "recall at the default {at_default:?}");
}

/// A batch too big for fine locks is placed before it takes its speaker-set
/// locks and placed again once it holds them, after writing its claim rows
/// (so the locks that exclude every writer quoting the same people are not
/// held while it writes). A remark another writer commits in between joins
/// that writer's statement: the claim row, its revision's snapshot and the
/// decision say so, and the statement the batch had started is gone.
#[tokio::test]
async fn a_big_batch_joins_a_remark_committed_while_it_was_writing() {
    use claimdb::domain::statement::speaker_key;
    use std::time::Duration;
    use uuid::Uuid;

    let remark = "Inflation has peaked; we are confident of that.";
    let mut app = TestApp::spawn().await;
    // Both speakers and the small report's outlet and subject exist, so
    // neither writer below creates an entity the other needs.
    let mut keys = Vec::new();
    for (i, name) in ["Ana Veloso", "Bruno Lage"].into_iter().enumerate() {
        let c = ingest_one(
            &mut app,
            report(
                &format!("https://seed.example/{i}"),
                "Outlet B",
                day(5, 1 + i as u32),
                name,
                &format!("Seed remark {i} on the fishing quotas of the northern coast."),
            ),
        )
        .await;
        let id: Uuid = c.speakers[0].id.parse().unwrap();
        keys.push((format!("sk:{}", speaker_key(&[id])), name));
    }
    // The batch locks its speaker sets in key order: hold the first, so it
    // waits there without holding the second, the remark's speaker's.
    keys.sort();
    let (blocker, blocker_name) = keys[0].clone();
    let quoted = keys[1].1;
    let mut holder = app.store.pool().acquire().await.unwrap();
    sqlx::query("SELECT pg_advisory_lock(hashtextextended($1, 0))")
        .bind(&blocker)
        .execute(&mut *holder)
        .await
        .unwrap();

    let texts: Vec<String> = (0..60)
        .map(|i| match i {
            30 => remark.to_string(),
            _ => format!(
                "Point {i}: the {} budget {} {} million in year {}.",
                ["road", "school", "port", "court", "water", "farm"][i % 6],
                ["grows by", "loses", "moves", "keeps"][i % 4],
                10 + i * 7,
                2000 + i
            ),
        })
        .collect();
    let claims: Vec<(&str, &str, prost_types::Timestamp)> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let who = if i == 59 { blocker_name } else { quoted };
            (who, t.as_str(), day(6, 10))
        })
        .collect();
    let big = crate::helpers::article("https://big.example/1", &claims);
    let mut client = app.claims.clone();
    let importing = tokio::spawn(async move {
        let item = pb::ImportArticlesRequest { article: Some(big) };
        client.import_articles(tokio_stream::iter(vec![item])).await
    });

    // It waits on the held key with its claim rows already written.
    let mut waiting_pid = None;
    for _ in 0..200 {
        waiting_pid = sqlx::query_scalar(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted LIMIT 1",
        )
        .fetch_optional(&mut *holder)
        .await
        .unwrap();
        if waiting_pid.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid: i32 = waiting_pid.expect("the batch should wait for the held speaker set");
    let writing: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
         WHERE l.pid = $1 AND c.relname = 'claims' AND l.mode = 'RowExclusiveLock')",
    )
    .bind(pid)
    .fetch_one(&mut *holder)
    .await
    .unwrap();
    assert!(writing, "the claim rows are written before the set locks");

    // Meanwhile another writer stores the remark and commits.
    let first = tokio::time::timeout(
        Duration::from_secs(20),
        app.claims.clone().ingest_article(report(
            "https://small.example/1",
            "Outlet B",
            day(6, 9),
            quoted,
            remark,
        )),
    )
    .await
    .expect("the small report does not wait for the batch")
    .expect("ingest")
    .into_inner()
    .claims
    .remove(0);
    let summary = crate::helpers::release_then_join(&mut holder, importing).await;
    assert_eq!(summary.stored, 1);
    assert_eq!(summary.claims_stored, 60);

    let sid: Uuid = first.statement_id.parse().unwrap();
    let (row, snap, decided, method): (Uuid, String, Uuid, String) = sqlx::query_as(
        "SELECT c.statement_id, r.snapshot->>'statement_id', d.statement_id, d.method \
         FROM claims c JOIN articles a ON a.id = c.article_id \
         JOIN claim_revisions r ON r.claim_id = c.id \
         JOIN statement_decisions d ON d.claim_id = c.id \
         WHERE a.url = 'https://big.example/1' AND c.text = $1",
    )
    .bind(remark)
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    assert_eq!((row, decided), (sid, sid));
    assert_eq!(snap, sid.to_string());
    assert_eq!(method, "exact");
    let empty: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM statements s \
         WHERE NOT EXISTS (SELECT 1 FROM claims c WHERE c.statement_id = s.id)",
    )
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    assert_eq!(empty, 0, "no statement is left without claims");
    let count: i64 = sqlx::query_scalar("SELECT appearance_count FROM statements WHERE id = $1")
        .bind(sid)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(count, 2);
    // The batch's claim moved to the committed statement inside its first
    // revision's snapshot: its link rows took the new digest.
    app.assert_links_current().await;
}
