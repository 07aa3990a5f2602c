//! Overrides and merges: moving claims between statements
//! (`MergeStatements`, `SplitClaimFromStatement`) and merging one entity
//! into another (`MergeEntities`). Each moved or rewritten claim gets a new
//! revision (REGROUPED or MERGED) with the actor and reason, and each move
//! between statements a decision row.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::claims::{lock_current, now, save_version};
use super::statements::{self, Decision};
use super::{entities, StoreError};
use crate::domain::statement::{match_score, normalize_text, speaker_key};
use crate::domain::{ClaimRecord, Entity, RevisionChange, SubjectLink};

/// Who asks for a change, and why.
pub(super) struct Change<'a> {
    pub(super) reason: &'a str,
    pub(super) actor: &'a str,
}

/// The speaker key and merged state of a statement, locked.
async fn lock_statement(
    conn: &mut PgConnection,
    field: &str,
    id: Uuid,
) -> Result<String, StoreError> {
    let row: Option<(String, Option<Uuid>)> =
        sqlx::query_as("SELECT speaker_key, merged_into FROM statements WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    match row {
        None => Err(StoreError::not_found(
            field,
            format!("no statement with id {id}"),
        )),
        Some((_, Some(into))) => Err(StoreError::Precondition {
            field: field.into(),
            message: format!("statement {id} was merged into {into}; use that one"),
        }),
        Some((key, None)) => Ok(key),
    }
}

/// Moves one claim to a statement: a REGROUPED revision and a decision.
async fn move_claim(
    conn: &mut PgConnection,
    claim_id: Uuid,
    to: Uuid,
    method: &str,
    score: Option<f64>,
    change: &Change<'_>,
    ts: DateTime<Utc>,
) -> Result<ClaimRecord, StoreError> {
    let mut rec = lock_current(conn, claim_id, 0).await?;
    let previous = rec.statement_id;
    rec.statement_id = Some(to);
    rec.revision += 1;
    rec.update_time = ts;
    save_version(
        conn,
        &rec,
        RevisionChange::Regrouped,
        change.reason,
        change.actor,
        ts,
    )
    .await?;
    let decision = Decision {
        method,
        score,
        threshold: None,
        previous,
        reason: change.reason,
        actor: change.actor,
    };
    let key = speaker_key(&rec.speaker_ids);
    let norm = normalize_text(&rec.text);
    statements::place(conn, rec.id, to, &key, &norm, &decision, ts).await?;
    Ok(rec)
}

/// Moves one claim into statement `to` (an import's override), keeping both
/// statements' aggregates current. The caller holds the statements lock.
pub(super) async fn move_into(
    conn: &mut PgConnection,
    claim_id: Uuid,
    to: Uuid,
    change: &Change<'_>,
) -> Result<ClaimRecord, StoreError> {
    let ts = now(conn).await?;
    let old = lock_current(conn, claim_id, 0).await?.statement_id;
    let rec = move_claim(conn, claim_id, to, "imported", None, change, ts).await?;
    for id in old.into_iter().chain([to]) {
        statements::refresh(conn, id, ts).await?;
    }
    Ok(rec)
}

/// Moves every claim of `from` into `into` (same speakers) and marks `from`
/// merged; returns the moved claims' new versions.
pub(super) async fn merge_statements(
    conn: &mut PgConnection,
    from: Uuid,
    into: Uuid,
    change: &Change<'_>,
) -> Result<Vec<ClaimRecord>, StoreError> {
    statements::lock(conn).await?;
    if from == into {
        return Err(StoreError::Invalid(crate::domain::Violations::single(
            "into_id",
            "must differ from from_id",
        )));
    }
    let from_key = lock_statement(conn, "from_id", from).await?;
    let into_key = lock_statement(conn, "into_id", into).await?;
    if from_key != into_key {
        return Err(StoreError::Precondition {
            field: "into_id".into(),
            message:
                "the statements have different speakers; only the same speakers' remarks merge"
                    .into(),
        });
    }
    let ts = now(conn).await?;
    let target: Option<String> =
        sqlx::query_scalar("SELECT normalized_text FROM statements WHERE id = $1")
            .bind(into)
            .fetch_optional(&mut *conn)
            .await?;
    let target = target.unwrap_or_default();
    let mut moved = Vec::new();
    for id in statements::claim_ids(conn, from).await? {
        let text: String = sqlx::query_scalar("SELECT text FROM claims WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
        let score = match_score(&normalize_text(&text), &target).0;
        moved.push(move_claim(conn, id, into, "merged", Some(score), change, ts).await?);
    }
    sqlx::query("UPDATE statements SET merged_into = $2 WHERE id = $1 OR merged_into = $1")
        .bind(from)
        .bind(into)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE reviews r SET statement_id = $2 WHERE r.statement_id = $1 AND NOT EXISTS \
         (SELECT 1 FROM reviews o WHERE o.statement_id = $2 AND o.url = r.url)",
    )
    .bind(from)
    .bind(into)
    .execute(&mut *conn)
    .await?;
    statements::refresh(conn, from, ts).await?;
    statements::refresh(conn, into, ts).await?;
    Ok(moved)
}

/// Takes a claim out of its statement into a new one of its own; returns the
/// claim's new version (its `statement_id` is the new statement).
pub(super) async fn split_claim(
    conn: &mut PgConnection,
    claim_id: Uuid,
    change: &Change<'_>,
) -> Result<ClaimRecord, StoreError> {
    statements::lock(conn).await?;
    let rec = lock_current(conn, claim_id, 0).await?;
    let Some(old) = rec.statement_id else {
        return Err(StoreError::Precondition {
            field: "claim_id".into(),
            message: "the claim belongs to no statement".into(),
        });
    };
    let others: i64 =
        sqlx::query_scalar("SELECT count(*) FROM claims WHERE statement_id = $1 AND id <> $2")
            .bind(old)
            .bind(claim_id)
            .fetch_one(&mut *conn)
            .await?;
    if others == 0 {
        return Err(StoreError::Precondition {
            field: "claim_id".into(),
            message: "the claim is already the only one in its statement".into(),
        });
    }
    let ts = now(conn).await?;
    let norm = normalize_text(&rec.text);
    let new = statements::create(conn, &rec.speaker_ids, &rec.text, &norm, ts).await?;
    let rec = move_claim(conn, claim_id, new, "split", None, change, ts).await?;
    statements::refresh(conn, old, ts).await?;
    statements::refresh(conn, new, ts).await?;
    Ok(rec)
}

/// Locks an entity row; NOT_FOUND when missing, FAILED_PRECONDITION when it
/// was merged already.
async fn lock_entity(conn: &mut PgConnection, field: &str, id: Uuid) -> Result<(), StoreError> {
    let row: Option<Option<Uuid>> =
        sqlx::query_scalar("SELECT merged_into FROM entities WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    match row {
        None => Err(StoreError::not_found(
            field,
            format!("no entity with id {id}"),
        )),
        Some(Some(into)) => Err(StoreError::Precondition {
            field: field.into(),
            message: format!("entity {id} was already merged into {into}"),
        }),
        Some(None) => Ok(()),
    }
}

/// The claims whose current version refers to `id` in any role.
async fn claims_naming(conn: &mut PgConnection, id: Uuid) -> Result<Vec<Uuid>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT claim_id FROM claim_speakers WHERE entity_id = $1 \
         UNION SELECT claim_id FROM claim_subjects WHERE entity_id = $1 \
         UNION SELECT id FROM claims WHERE publisher_id = $1 \
         UNION SELECT c.id FROM claims c JOIN claim_revisions r \
           ON r.claim_id = c.id AND r.revision = c.revision \
         WHERE r.snapshot->>'recipient_id' = $1::text OR r.snapshot->>'via_id' = $1::text \
         ORDER BY 1",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?)
}

/// `rec` with every reference to `from` pointing at `into` (duplicates that
/// the rewrite creates dropped).
fn rewrite(mut rec: ClaimRecord, from: Uuid, into: Uuid) -> ClaimRecord {
    let swap = |id: Uuid| if id == from { into } else { id };
    let mut seen = std::collections::HashSet::new();
    rec.speaker_ids = rec
        .speaker_ids
        .into_iter()
        .map(swap)
        .filter(|id| seen.insert(*id))
        .collect();
    let mut seen = std::collections::HashSet::new();
    rec.subjects = rec
        .subjects
        .into_iter()
        .map(|s| SubjectLink {
            entity_id: swap(s.entity_id),
            role: s.role,
        })
        .filter(|s| seen.insert(s.entity_id))
        .collect();
    rec.recipient_id = rec.recipient_id.map(swap);
    rec.via_id = rec.via_id.map(swap);
    rec.publisher_id = rec.publisher_id.map(swap);
    rec
}

/// Merges entity `from` into `into` (see `EntityService.MergeEntities`);
/// returns the survivor, the rewritten claims' new versions.
pub(super) async fn merge_entities(
    conn: &mut PgConnection,
    from: Uuid,
    into: Uuid,
    change: &Change<'_>,
) -> Result<(Entity, Vec<ClaimRecord>), StoreError> {
    if from == into {
        return Err(StoreError::Invalid(crate::domain::Violations::single(
            "into_id",
            "must differ from from_id",
        )));
    }
    // Statements first (the order every writer uses), then the entity rows
    // in id order.
    statements::lock(conn).await?;
    let (first, second) = if from < into {
        (from, into)
    } else {
        (into, from)
    };
    for id in [first, second] {
        let field = if id == from { "from_id" } else { "into_id" };
        lock_entity(conn, field, id).await?;
    }
    let ts = now(conn).await?;
    let mut rewritten = Vec::new();
    for id in claims_naming(conn, from).await? {
        let old = lock_current(conn, id, 0).await?;
        let mut rec = rewrite(old, from, into);
        rec.revision += 1;
        rec.update_time = ts;
        save_version(
            conn,
            &rec,
            RevisionChange::Merged,
            change.reason,
            change.actor,
            ts,
        )
        .await?;
        rewritten.push(rec);
    }
    move_references(conn, from, into).await?;
    rekey_statements(conn, from, into, ts).await?;
    mark_merged(conn, from, into, change, ts).await?;
    let survivor = entities::get(conn, into)
        .await?
        .ok_or_else(|| StoreError::Corrupt("entity vanished under lock".into()))?;
    Ok((survivor, rewritten))
}

/// Points the plain columns that name `from` at `into`: publishers, reviews,
/// earlier merges, and the names and external ids (so they resolve to the
/// survivor directly).
async fn move_references(
    conn: &mut PgConnection,
    from: Uuid,
    into: Uuid,
) -> Result<(), StoreError> {
    for sql in [
        "UPDATE claims SET publisher_id = $2 WHERE publisher_id = $1",
        "UPDATE articles SET publisher_id = $2 WHERE publisher_id = $1",
        "UPDATE reviews SET reviewer_id = $2 WHERE reviewer_id = $1",
        "UPDATE entities SET merged_into = $2 WHERE merged_into = $1",
        "UPDATE entity_external_ids SET entity_id = $2 WHERE entity_id = $1",
        "INSERT INTO entity_names (entity_id, name, name_norm, is_canonical) \
         SELECT $2, name, name_norm, false FROM entity_names WHERE entity_id = $1 \
         ON CONFLICT DO NOTHING",
    ] {
        sqlx::query(sql)
            .bind(from)
            .bind(into)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Rewrites the speaker sets of statements that named `from`.
async fn rekey_statements(
    conn: &mut PgConnection,
    from: Uuid,
    into: Uuid,
    ts: DateTime<Utc>,
) -> Result<(), StoreError> {
    let rows: Vec<(Uuid, Vec<Uuid>)> = sqlx::query_as(
        "SELECT id, speaker_ids FROM statements WHERE speaker_ids @> ARRAY[$1]::uuid[]",
    )
    .bind(from)
    .fetch_all(&mut *conn)
    .await?;
    for (id, ids) in rows {
        let mut ids: Vec<Uuid> = ids
            .into_iter()
            .map(|x| if x == from { into } else { x })
            .collect();
        ids.sort();
        ids.dedup();
        let key = speaker_key(&ids);
        sqlx::query("UPDATE statements SET speaker_ids = $2, speaker_key = $3, update_time = $4 WHERE id = $1")
            .bind(id)
            .bind(ids)
            .bind(&key)
            .bind(ts)
            .execute(&mut *conn)
            .await?;
        sqlx::query("UPDATE statement_members SET speaker_key = $2 WHERE statement_id = $1")
            .bind(id)
            .bind(&key)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Sets `merged_into` and appends an entity revision to both entities.
async fn mark_merged(
    conn: &mut PgConnection,
    from: Uuid,
    into: Uuid,
    change: &Change<'_>,
    ts: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE entities SET merged_into = $2, revision = revision + 1, update_time = $3 WHERE id = $1")
        .bind(from)
        .bind(into)
        .bind(ts)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE entities SET revision = revision + 1, update_time = $2 WHERE id = $1")
        .bind(into)
        .bind(ts)
        .execute(&mut *conn)
        .await?;
    for (id, kind) in [(from, "merged"), (into, "absorbed")] {
        let e = entities::get(conn, id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("entity vanished under lock".into()))?;
        sqlx::query(
            "INSERT INTO entity_revisions (entity_id, revision, snapshot, actor, record_time, change, reason) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(e.id)
        .bind(e.revision)
        .bind(serde_json::to_value(&e)?)
        .bind(change.actor)
        .bind(ts)
        .bind(kind)
        .bind(change.reason)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
