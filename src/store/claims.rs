//! Claim rows and their revisions: ingest, read, correct, retract.
//!
//! The `claims` table holds the current version's filter and sort columns;
//! `claim_revisions` holds every version's full record (JSON snapshot) with
//! the interval it was current. Reads of the present join the two on the
//! current revision; "as of" reads pick the revision current at that time.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::resolve::Resolver;
use super::snapshot::{Snapshot, Version};
use super::{articles, bulk, StoreError};
use crate::domain::claim::check_spans_against_body;
use crate::domain::{
    Article, ClaimPatch, ClaimRecord, ClaimState, EntityRef, NewArticle, NewClaim, RevisionChange,
    SharedClaim, SubjectLink, Violations,
};

/// The transaction's timestamp: every row a request writes carries the same
/// record time.
pub(super) async fn now(conn: &mut PgConnection) -> Result<DateTime<Utc>, StoreError> {
    Ok(sqlx::query_scalar("SELECT now()")
        .fetch_one(&mut *conn)
        .await?)
}

/// What an ingest wrote or found.
pub(super) struct IngestResult {
    pub(super) article: Article,
    pub(super) claims: Vec<ClaimRecord>,
    /// Parallel to `claims`: whether each was newly inserted.
    pub(super) inserted: Vec<bool>,
    pub(super) created: bool,
}

/// Every entity reference of an ingest request, for locking.
fn all_refs<'a>(article: &'a NewArticle, claims: &'a [NewClaim]) -> Vec<&'a EntityRef> {
    let mut refs: Vec<&EntityRef> = article.publisher.iter().collect();
    for c in claims {
        refs.extend(c.speakers.iter());
        refs.extend(c.subjects.iter().map(|s| &s.entity));
        refs.extend(c.recipient.iter());
        refs.extend(c.via.iter());
    }
    refs
}

/// The advisory-lock key of an article's URL (concurrent ingests of one URL
/// serialize on it).
pub(super) fn url_lock_key(article: &NewArticle) -> String {
    format!("u:{}", article.url)
}

/// The advisory-lock keys of every name or external id an ingest may create
/// an entity for.
pub(super) fn entity_lock_keys(article: &NewArticle, claims: &[NewClaim]) -> Vec<String> {
    all_refs(article, claims)
        .into_iter()
        .filter_map(super::resolve::lock_key)
        .collect()
}

/// Stores an article and its claims (see `ClaimService.IngestArticle`): a
/// batch of one for [`super::bulk::ingest_many`].
pub(super) async fn ingest(
    conn: &mut PgConnection,
    article: &NewArticle,
    claims: &[NewClaim],
    actor: &str,
) -> Result<IngestResult, StoreError> {
    super::bulk::ingest_many(conn, &[(article, claims)], actor, super::bulk::OnBusy::Wait)
        .await?
        .pop()
        .flatten()
        .unwrap_or_else(|| Err(StoreError::Corrupt("ingest produced no result".into())))
}

/// A re-ingest must describe the same document: a different body under the
/// same URL would silently move every stored span.
pub(super) fn check_article_matches(
    existing: Option<&Article>,
    new: &NewArticle,
) -> Result<(), StoreError> {
    let Some(a) = existing else { return Ok(()) };
    if !new.body.is_empty() && a.body_sha256 != crate::domain::article::body_sha256(&new.body) {
        return Err(StoreError::Precondition {
            field: "article.body".into(),
            message: format!(
                "an article with this URL is stored with a different body (id {})",
                a.id
            ),
        });
    }
    Ok(())
}

pub(super) fn check_claim_spans(claims: &[NewClaim], body: &str) -> Result<(), StoreError> {
    if body.is_empty() {
        return Ok(());
    }
    let mut v = Violations::new();
    for (i, c) in claims.iter().enumerate() {
        check_spans_against_body(
            &mut v,
            &format!("claims[{i}].spans"),
            &c.text,
            &c.spans,
            body,
        );
    }
    v.into_result(()).map_err(StoreError::Invalid)
}

/// Deduplicates ids, keeping the first occurrence (a name and its alias may
/// resolve to the same entity).
fn dedup_ids(ids: Vec<Uuid>) -> Vec<Uuid> {
    let mut seen = std::collections::HashSet::new();
    ids.into_iter().filter(|id| seen.insert(*id)).collect()
}

fn dedup_subjects(subjects: Vec<SubjectLink>) -> Vec<SubjectLink> {
    let mut seen = std::collections::HashSet::new();
    subjects
        .into_iter()
        .filter(|s| seen.insert(s.entity_id))
        .collect()
}

async fn resolve_opt(
    conn: &mut PgConnection,
    resolver: &mut Resolver<'_>,
    field: String,
    r: Option<&EntityRef>,
) -> Result<Option<Uuid>, StoreError> {
    match r {
        Some(r) => Ok(Some(resolver.resolve(conn, &field, r).await?)),
        None => Ok(None),
    }
}

async fn resolve_speakers(
    conn: &mut PgConnection,
    resolver: &mut Resolver<'_>,
    prefix: &str,
    refs: &[EntityRef],
) -> Result<Vec<Uuid>, StoreError> {
    let mut ids = Vec::with_capacity(refs.len());
    for (j, r) in refs.iter().enumerate() {
        ids.push(
            resolver
                .resolve(conn, &format!("{prefix}.speakers[{j}]"), r)
                .await?,
        );
    }
    Ok(dedup_ids(ids))
}

async fn resolve_subjects(
    conn: &mut PgConnection,
    resolver: &mut Resolver<'_>,
    prefix: &str,
    refs: &[crate::domain::SubjectRef],
) -> Result<Vec<SubjectLink>, StoreError> {
    let mut out = Vec::with_capacity(refs.len());
    for (j, s) in refs.iter().enumerate() {
        let field = format!("{prefix}.subjects[{j}].entity");
        let entity_id = resolver.resolve(conn, &field, &s.entity).await?;
        out.push(SubjectLink {
            entity_id,
            role: s.role.clone(),
        });
    }
    Ok(dedup_subjects(out))
}

/// Rewrites the speaker and subject link rows of a claim, each carrying the
/// current version's revision, state and snapshot `digest` (so a history
/// page reads them from the link index alone; migration 0036). The rows are
/// written by the same INSERTs as a batch's new claims.
async fn write_links(
    conn: &mut PgConnection,
    rec: &ClaimRecord,
    digest: Uuid,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM claim_speakers WHERE claim_id = $1")
        .bind(rec.id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM claim_subjects WHERE claim_id = $1")
        .bind(rec.id)
        .execute(&mut *conn)
        .await?;
    bulk::insert_links(conn, std::slice::from_ref(rec), &[digest]).await
}

/// Closes the current revision and appends `rec` as the new one; returns
/// the new version's snapshot digest (computed by PostgreSQL, see migration
/// 0033).
async fn insert_revision(
    conn: &mut PgConnection,
    rec: &ClaimRecord,
    change: RevisionChange,
    reason: &str,
    actor: &str,
    ts: DateTime<Utc>,
) -> Result<Uuid, StoreError> {
    sqlx::query(
        "UPDATE claim_revisions SET superseded_time = $2 WHERE claim_id = $1 AND superseded_time IS NULL",
    )
    .bind(rec.id)
    .bind(ts)
    .execute(&mut *conn)
    .await?;
    let subject_ids: Vec<Uuid> = rec.subjects.iter().map(|s| s.entity_id).collect();
    let digest: Uuid = sqlx::query_scalar(
        "INSERT INTO claim_revisions (claim_id, revision, change, snapshot, reason, actor, record_time, \
         article_id, publisher_id, kind, state, sort_time, create_time, speaker_ids, subject_ids, text) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
         RETURNING snapshot_digest",
    )
    .bind(rec.id)
    .bind(rec.revision)
    .bind(change.as_str())
    .bind(Json(rec))
    .bind(reason)
    .bind(actor)
    .bind(ts)
    .bind(rec.article_id)
    .bind(rec.publisher_id)
    .bind(rec.kind.as_str())
    .bind(rec.state.as_str())
    .bind(rec.sort_time())
    .bind(rec.create_time)
    .bind(rec.speaker_ids.clone())
    .bind(subject_ids)
    .bind(&rec.text)
    .fetch_one(&mut *conn)
    .await?;
    Ok(digest)
}

/// The snapshot of a claim's current version.
const CURRENT_SNAPSHOT: &str = "SELECT r.snapshot FROM claims c JOIN claim_revisions r \
     ON r.claim_id = c.id AND r.revision = c.revision WHERE c.id = $1";

/// The current version of a claim, through the memo (see [`Version`]).
pub(super) async fn current(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<SharedClaim>, StoreError> {
    let row: Option<Version> = sqlx::query_scalar(CURRENT_SNAPSHOT)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|s| s.0))
}

/// The current versions of many claims, by id.
pub(super) async fn current_many(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, ClaimRecord>, StoreError> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<(Uuid, Snapshot)> = sqlx::query_as(
        "SELECT c.id, r.snapshot FROM claims c JOIN claim_revisions r \
         ON r.claim_id = c.id AND r.revision = c.revision WHERE c.id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|(id, j)| (id, j.record())).collect())
}

/// The version of a claim that was current at record time `t`.
pub(super) async fn as_of(
    conn: &mut PgConnection,
    id: Uuid,
    t: DateTime<Utc>,
) -> Result<Option<SharedClaim>, StoreError> {
    let row: Option<Version> = sqlx::query_scalar(
        "SELECT snapshot FROM claim_revisions WHERE claim_id = $1 AND record_time <= $2 \
         AND (superseded_time IS NULL OR superseded_time > $2)",
    )
    .bind(id)
    .bind(t)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|s| s.0))
}

/// Locks a claim row and checks the caller's expected revision; returns the
/// current version.
pub(super) async fn lock_current(
    conn: &mut PgConnection,
    id: Uuid,
    expected_revision: i64,
) -> Result<ClaimRecord, StoreError> {
    let revision: Option<i64> =
        sqlx::query_scalar("SELECT revision FROM claims WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let revision =
        revision.ok_or_else(|| StoreError::not_found("id", format!("no claim with id {id}")))?;
    if expected_revision != 0 && expected_revision != revision {
        return Err(StoreError::RevisionMismatch {
            expected: expected_revision,
            actual: revision,
        });
    }
    let row: Option<Snapshot> = sqlx::query_scalar(CURRENT_SNAPSHOT)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(Snapshot::record)
        .ok_or_else(|| StoreError::Corrupt("claim without a current revision".into()))
}

/// Writes a changed version of a claim: the row, a revision, then the links
/// (which carry the revision's digest).
pub(super) async fn save_version(
    conn: &mut PgConnection,
    rec: &ClaimRecord,
    change: RevisionChange,
    reason: &str,
    actor: &str,
    ts: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE claims SET fingerprint = $2, kind = $3, text = $4, state = $5, revision = $6, \
         said_time = $7, sort_time = $8, update_time = $9 WHERE id = $1",
    )
    .bind(rec.id)
    .bind(rec.fingerprint())
    .bind(rec.kind.as_str())
    .bind(&rec.text)
    .bind(rec.state.as_str())
    .bind(rec.revision)
    .bind(rec.said.time)
    .bind(rec.sort_time())
    .bind(ts)
    .execute(&mut *conn)
    .await?;
    let digest = insert_revision(conn, rec, change, reason, actor, ts).await?;
    write_links(conn, rec, digest).await
}

/// Applies a correction (see `ClaimService.UpdateClaim`).
pub(super) async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    patch: &ClaimPatch,
    expected_revision: i64,
    reason: &str,
    actor: &str,
) -> Result<ClaimRecord, StoreError> {
    // The statement lock shared first, as every writer takes it: a merge
    // must not move an entity away between its look-up and its link.
    super::statements::lock_shared(conn).await?;
    let old = lock_current(conn, id, expected_revision).await?;
    let refs = patch_refs(patch);
    super::resolve::lock_refs(conn, refs.into_iter()).await?;
    let ts = now(conn).await?;
    let mut resolver = Resolver::new(actor);
    let mut rec = apply_patch(conn, &mut resolver, old, patch).await?;
    if patch.text.is_some() || patch.spans.is_some() {
        let body = articles::body(conn, rec.article_id).await?;
        let mut v = Violations::new();
        check_spans_against_body(&mut v, "claim.spans", &rec.text, &rec.spans, &body);
        v.into_result(()).map_err(StoreError::Invalid)?;
    }
    rec.revision += 1;
    rec.update_time = ts;
    save_version(conn, &rec, RevisionChange::Corrected, reason, actor, ts).await?;
    Ok(rec)
}

fn patch_refs(p: &ClaimPatch) -> Vec<&EntityRef> {
    let mut refs: Vec<&EntityRef> = Vec::new();
    refs.extend(p.speakers.iter().flatten());
    refs.extend(p.subjects.iter().flatten().map(|s| &s.entity));
    refs.extend(p.recipient.iter().flatten());
    refs.extend(p.via.iter().flatten());
    refs
}

async fn apply_patch(
    conn: &mut PgConnection,
    resolver: &mut Resolver<'_>,
    mut rec: ClaimRecord,
    p: &ClaimPatch,
) -> Result<ClaimRecord, StoreError> {
    if let Some(s) = &p.speakers {
        rec.speaker_ids = resolve_speakers(conn, resolver, "claim", s).await?;
    }
    if let Some(s) = &p.subjects {
        rec.subjects = resolve_subjects(conn, resolver, "claim", s).await?;
    }
    if let Some(r) = &p.recipient {
        rec.recipient_id =
            resolve_opt(conn, resolver, "claim.recipient".into(), r.as_ref()).await?;
    }
    if let Some(r) = &p.via {
        rec.via_id = resolve_opt(conn, resolver, "claim.via".into(), r.as_ref()).await?;
    }
    macro_rules! set {
        ($($field:ident => $target:expr),* $(,)?) => {
            $(if let Some(v) = &p.$field { $target = v.clone(); })*
        };
    }
    set!(
        speaker_role => rec.speaker_role,
        kind => rec.kind,
        text => rec.text,
        spans => rec.spans,
        cue => rec.cue,
        venue => rec.venue,
        via_text => rec.via_text,
        said_time => rec.said.time,
        said_precision => rec.said.precision,
        said_time_text => rec.said.text,
        said_time_inferred => rec.said.inferred,
        confidence => rec.confidence,
    );
    Ok(rec)
}

/// Retracts a claim (see `ClaimService.RetractClaim`).
pub(super) async fn retract(
    conn: &mut PgConnection,
    id: Uuid,
    expected_revision: i64,
    reason: &str,
    actor: &str,
) -> Result<ClaimRecord, StoreError> {
    let mut rec = lock_current(conn, id, expected_revision).await?;
    if rec.state == ClaimState::Retracted {
        return Err(StoreError::Precondition {
            field: "id".into(),
            message: "the claim is already retracted".into(),
        });
    }
    let ts = now(conn).await?;
    rec.state = ClaimState::Retracted;
    rec.revision += 1;
    rec.update_time = ts;
    save_version(conn, &rec, RevisionChange::Retracted, reason, actor, ts).await?;
    Ok(rec)
}

/// One stored revision with its metadata.
#[derive(Debug, Clone)]
pub struct RevisionEntry {
    /// The claim as this revision recorded it.
    pub record: ClaimRecord,
    /// What the revision did.
    pub change: RevisionChange,
    /// Why.
    pub reason: String,
    /// Who.
    pub actor: String,
    /// When recorded.
    pub record_time: DateTime<Utc>,
    /// When replaced.
    pub superseded_time: Option<DateTime<Utc>>,
}

type RevisionRow = (
    Snapshot,
    String,
    String,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

/// A page of a claim's revisions, oldest first, after revision `after`.
pub(super) async fn revisions(
    conn: &mut PgConnection,
    id: Uuid,
    after: i64,
    limit: i64,
) -> Result<Vec<RevisionEntry>, StoreError> {
    let exists: Option<i64> = sqlx::query_scalar("SELECT revision FROM claims WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    if exists.is_none() {
        return Err(StoreError::not_found(
            "id",
            format!("no claim with id {id}"),
        ));
    }
    let rows: Vec<RevisionRow> = sqlx::query_as(
        "SELECT snapshot, change, reason, actor, record_time, superseded_time FROM claim_revisions \
         WHERE claim_id = $1 AND revision > $2 ORDER BY revision LIMIT $3",
    )
    .bind(id)
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(
            |(snap, change, reason, actor, record_time, superseded_time)| {
                Ok(RevisionEntry {
                    record: snap.record(),
                    change: RevisionChange::parse(&change).ok_or_else(|| {
                        StoreError::Corrupt(format!("revision change {change:?}"))
                    })?,
                    reason,
                    actor,
                    record_time,
                    superseded_time,
                })
            },
        )
        .collect()
}
