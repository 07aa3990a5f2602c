//! Overrides: merging and splitting statements, merging entities.

use claimdb::pb::v1 as pb;
use tonic::Code;

use crate::helpers::{article, day, org, person, TestApp};
use crate::statements::{ingest_one, report, statements_client};

fn with_actor<T>(msg: T) -> tonic::Request<T> {
    let mut req = tonic::Request::new(msg);
    req.metadata_mut()
        .insert("claimdb-actor", "desk-editor".parse().unwrap());
    req
}

async fn revisions(app: &mut TestApp, id: &str) -> Vec<pb::ClaimRevision> {
    app.claims
        .list_claim_revisions(pb::ListClaimRevisionsRequest {
            id: id.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .revisions
}

#[tokio::test]
async fn merging_and_splitting_statements_round_trips_with_revisions() {
    let mut app = TestApp::spawn().await;
    let mut client = statements_client(&app).await;
    let a = ingest_one(
        &mut app,
        report(
            "https://a.example/1",
            "A",
            day(6, 18),
            "Ana Veloso",
            "We are ready to talk.",
        ),
    )
    .await;
    let b = ingest_one(
        &mut app,
        report(
            "https://b.example/1",
            "B",
            day(6, 19),
            "Ana Veloso",
            "We are ready for talks with them.",
        ),
    )
    .await;
    assert_ne!(a.statement_id, b.statement_id);

    let merged = client
        .merge_statements(with_actor(pb::MergeStatementsRequest {
            from_id: b.statement_id.clone(),
            into_id: a.statement_id.clone(),
            reason: "the same interview, translated differently".into(),
        }))
        .await
        .unwrap()
        .into_inner()
        .statement
        .unwrap();
    assert_eq!(merged.id, a.statement_id);
    assert_eq!(merged.appearance_count, 2);
    let revs = revisions(&mut app, &b.id).await;
    let last = revs.last().unwrap();
    assert_eq!(last.change, pb::RevisionChange::Regrouped as i32);
    assert_eq!(last.actor, "desk-editor");
    assert_eq!(last.reason, "the same interview, translated differently");
    assert_eq!(last.claim.as_ref().unwrap().statement_id, a.statement_id);
    // The merged-away id resolves to the survivor.
    let got = client
        .get_statement(pb::GetStatementRequest {
            id: b.statement_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.statement.unwrap().id, a.statement_id);
    assert_eq!(got.resolved_from, b.statement_id);

    let split = client
        .split_claim_from_statement(with_actor(pb::SplitClaimFromStatementRequest {
            claim_id: b.id.clone(),
            reason: "on reflection, a different remark".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    let new_id = split.statement.unwrap().id;
    assert_ne!(new_id, a.statement_id);
    assert_eq!(split.claim.unwrap().statement_id, new_id);
    let revs = revisions(&mut app, &b.id).await;
    assert_eq!(
        revs.len(),
        3,
        "created, regrouped by the merge, regrouped by the split"
    );
    let survivor = client
        .get_statement(pb::GetStatementRequest {
            id: a.statement_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .statement
        .unwrap();
    assert_eq!(survivor.appearance_count, 1);
    // Splitting the only claim of a statement is refused.
    let err = client
        .split_claim_from_statement(pb::SplitClaimFromStatementRequest {
            claim_id: b.id.clone(),
            reason: "again".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn statements_of_different_speakers_do_not_merge() {
    let mut app = TestApp::spawn().await;
    let mut client = statements_client(&app).await;
    let a = ingest_one(
        &mut app,
        report(
            "https://a.example/1",
            "A",
            day(6, 18),
            "Ana Veloso",
            "Words.",
        ),
    )
    .await;
    let b = ingest_one(
        &mut app,
        report("https://b.example/1", "B", day(6, 18), "Bo Li", "Words."),
    )
    .await;
    let err = client
        .merge_statements(pb::MergeStatementsRequest {
            from_id: b.statement_id,
            into_id: a.statement_id,
            reason: "no".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn merging_entities_moves_their_claims_and_the_old_id_keeps_resolving() {
    let mut app = TestApp::spawn().await;
    let a = ingest_one(
        &mut app,
        report(
            "https://a.example/1",
            "A",
            day(6, 18),
            "Ana Veloso",
            "The talks were constructive.",
        ),
    )
    .await;
    let b = ingest_one(
        &mut app,
        report(
            "https://b.example/1",
            "B",
            day(6, 19),
            "A. Veloso",
            "The talks were constructive.",
        ),
    )
    .await;
    assert_ne!(
        a.statement_id, b.statement_id,
        "two entities: two speaker sets"
    );
    let survivor = a.speakers[0].id.clone();
    let dup = b.speakers[0].id.clone();
    let out = app
        .entities
        .merge_entities(with_actor(pb::MergeEntitiesRequest {
            from_id: dup.clone(),
            into_id: survivor.clone(),
            reason: "the same person".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(out.claims_rewritten, 1);
    let e = out.entity.unwrap();
    assert!(e.aliases.contains(&"A. Veloso".to_string()));
    // The claim follows, with a MERGED revision.
    let revs = revisions(&mut app, &b.id).await;
    let last = revs.last().unwrap();
    assert_eq!(last.change, pb::RevisionChange::Merged as i32);
    assert_eq!(last.claim.as_ref().unwrap().speakers[0].id, survivor);
    let listed = app
        .claims
        .list_claims(pb::ListClaimsRequest {
            speaker: Some(pb::EntityRef {
                id: survivor.clone(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.claims.len(), 2);
    // The old id, and the old name, still resolve to the survivor.
    let got = app
        .entities
        .get_entity(pb::GetEntityRequest { id: dup.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.entity.unwrap().id, survivor);
    assert_eq!(got.resolved_from, dup);
    let by_old_id = app
        .claims
        .list_claims(pb::ListClaimsRequest {
            speaker: Some(pb::EntityRef {
                id: dup.clone(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_old_id.claims.len(), 2);
    let c = ingest_one(
        &mut app,
        report(
            "https://c.example/1",
            "C",
            day(6, 20),
            "A. Veloso",
            "The talks were constructive!",
        ),
    )
    .await;
    assert_eq!(c.speakers[0].id, survivor);
    assert_eq!(c.statement_id, a.statement_id, "the survivor's statement");
    let kinds: Vec<(String, String)> = sqlx::query_as(
        "SELECT change, reason FROM entity_revisions WHERE change <> 'updated' ORDER BY change",
    )
    .fetch_all(app.store.pool())
    .await
    .unwrap();
    assert_eq!(kinds.len(), 2);
    assert_eq!(kinds[0].1, "the same person");
    let _ = person("unused");
    app.assert_links_current().await;
}

/// A claim names its recipient and its carrier only in its snapshot (the
/// link tables cover speakers and subjects): a merge still finds and
/// rewrites the claims that name the merged entity there, through the
/// indexes of migration 0038 rather than by reading every snapshot.
#[tokio::test]
async fn merging_an_entity_rewrites_the_claims_it_received_or_carried() {
    let mut app = TestApp::spawn().await;
    let mut req = article(
        "https://c.example/1",
        &[
            ("Ana Veloso", "We are ready to talk.", day(6, 18)),
            ("Bo Li", "The port will reopen.", day(6, 18)),
        ],
    );
    req.claims[0].recipient = Some(org("Kestrel Agency"));
    req.claims[1].via = Some(org("Kestrel Agency"));
    req.claims[1].via_text = "in comments carried by the agency".into();
    let stored = app.ingest(req).await;
    let dup = stored.claims[0].recipient.clone().unwrap().id;
    assert_eq!(stored.claims[1].via.clone().unwrap().id, dup);
    let mut other = article(
        "https://c.example/2",
        &[("Ana Veloso", "Talks resume on Monday.", day(6, 19))],
    );
    other.claims[0].recipient = Some(org("Kestrel News Agency"));
    let survivor = app.ingest(other).await.claims[0]
        .recipient
        .clone()
        .unwrap()
        .id;
    assert_ne!(dup, survivor);

    let out = app
        .entities
        .merge_entities(with_actor(pb::MergeEntitiesRequest {
            from_id: dup.clone(),
            into_id: survivor.clone(),
            reason: "the same agency".into(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(out.claims_rewritten, 2);
    for (claim, role) in stored.claims.iter().zip(["recipient", "via"]) {
        let got = app
            .claims
            .get_claim(pb::GetClaimRequest {
                id: claim.id.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .claim
            .unwrap();
        let named = if role == "recipient" {
            got.recipient
        } else {
            got.via
        };
        let named = named.unwrap();
        assert_eq!((role, &*named.id), (role, &*survivor));
        assert_eq!(named.name, "Kestrel News Agency");
        let revs = revisions(&mut app, &claim.id).await;
        assert_eq!(
            revs.last().map(|r| r.change),
            Some(pb::RevisionChange::Merged as i32)
        );
    }

    // The merge's look-up by recipient and by carrier uses the indexes.
    let mut tx = app.store.pool().begin().await.unwrap();
    sqlx::query("SET LOCAL enable_seqscan = off")
        .execute(&mut *tx)
        .await
        .unwrap();
    let plan: Vec<String> = sqlx::query_scalar(
        "EXPLAIN SELECT c.id FROM claims c JOIN claim_revisions r \
           ON r.claim_id = c.id AND r.revision = c.revision \
         WHERE r.snapshot->>'recipient_id' = $1::text OR r.snapshot->>'via_id' = $1::text",
    )
    .bind(uuid::Uuid::now_v7())
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    let plan = plan.join("\n");
    assert!(plan.contains("claim_revisions_recipient_idx"), "{plan}");
    assert!(plan.contains("claim_revisions_via_idx"), "{plan}");
}

#[tokio::test]
async fn a_speaker_and_subject_history_between_two_dates_is_one_index_scan() {
    let mut app = TestApp::spawn().await;
    ingest_one(
        &mut app,
        report(
            "https://a.example/1",
            "A",
            day(6, 18),
            "Ana Veloso",
            "Words.",
        ),
    )
    .await;
    let pool = app.store.pool();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SET LOCAL enable_seqscan = off")
        .execute(&mut *tx)
        .await
        .unwrap();
    let plan: Vec<String> = sqlx::query_scalar(
        "EXPLAIN SELECT d.claim_id FROM claim_speakers d JOIN claims c ON c.id = d.claim_id \
         WHERE d.entity_id = $1 AND d.sort_time >= $2 AND d.sort_time < $3 \
         AND EXISTS (SELECT 1 FROM claim_subjects s WHERE s.claim_id = c.id AND s.entity_id = $4) \
         ORDER BY d.sort_time, d.claim_id LIMIT 51",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(chrono::Utc::now())
    .bind(chrono::Utc::now())
    .bind(uuid::Uuid::now_v7())
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    let plan = plan.join("\n");
    assert!(plan.contains("claim_speakers_history_idx"), "{plan}");
}
