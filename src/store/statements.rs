//! Statements: grouping claims into the remarks they report.
//!
//! New claims are put into statements at ingest by `statement_assign`; this
//! module holds the statement rows themselves (create, place a claim,
//! refresh the aggregates), the locks, and the reads behind StatementService.
//!
//! Concurrency: ingests take the statement lock shared plus a lock per
//! speaker set (see `statement_assign`); every operation that moves claims
//! between statements (merge, split, ClaimReview import) takes it exclusively
//! ([`lock`]), so it never interleaves with an ingest's matching. Both are
//! taken after the entity and URL locks, in that order.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::snapshot::Snapshot;
use super::StoreError;
use crate::domain::page::{Cursor, PageSize};
use crate::domain::statement::StatementOrder;
use crate::domain::statement::{parse_threshold, speaker_key, Statement, DEFAULT_SIMILARITY};
use crate::domain::ClaimRecord;

/// Takes the statement lock exclusively: for operations that move claims
/// between statements (merge, split, ClaimReview import), which must not
/// interleave with any ingest's matching.
pub(super) async fn lock(conn: &mut PgConnection) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(LOCK_NAME)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Takes the statement lock shared (ingests and corrections: they may run
/// together, but not during a merge or a split).
pub(super) async fn lock_shared(conn: &mut PgConnection) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))")
        .bind(LOCK_NAME)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The advisory-lock name of the statement lock (taken shared by ingests,
/// see `statement_assign`).
pub(super) const LOCK_NAME: &str = "claimdb:statements";

/// The connection setting that carries `--statement-similarity` (set at
/// connect time, see [`super::Store::connect_lazy`]).
pub const SIMILARITY_SETTING: &str = "claimdb.statement_similarity";

/// The matching threshold from the connection setting's value when
/// present and valid, else [`DEFAULT_SIMILARITY`].
pub(super) fn parse_setting(raw: Option<String>) -> f64 {
    raw.and_then(|r| parse_threshold(&r).ok())
        .unwrap_or(DEFAULT_SIMILARITY)
}

/// How a claim came to be in a statement, as `statement_decisions` records it.
pub(super) struct Decision<'a> {
    pub(super) method: &'a str,
    pub(super) score: Option<f64>,
    pub(super) threshold: Option<f64>,
    pub(super) previous: Option<Uuid>,
    pub(super) reason: &'a str,
    pub(super) actor: &'a str,
}

/// Creates an empty statement; [`place`] and [`refresh`] fill it.
pub(super) async fn create(
    conn: &mut PgConnection,
    speaker_ids: &[Uuid],
    text: &str,
    norm: &str,
    ts: DateTime<Utc>,
) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    let mut ids = speaker_ids.to_vec();
    ids.sort();
    ids.dedup();
    sqlx::query(
        "INSERT INTO statements (id, speaker_key, speaker_ids, canonical_text, normalized_text, \
         create_time, update_time) VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(id)
    .bind(speaker_key(&ids))
    .bind(ids)
    .bind(text)
    .bind(norm)
    .bind(ts)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// Records that a claim belongs to a statement: the claim row, its matching
/// keys, and the decision.
pub(super) async fn place(
    conn: &mut PgConnection,
    claim_id: Uuid,
    statement_id: Uuid,
    key: &str,
    norm: &str,
    d: &Decision<'_>,
    ts: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE claims SET statement_id = $2 WHERE id = $1")
        .bind(claim_id)
        .bind(statement_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO statement_members (claim_id, statement_id, speaker_key, normalized_text, sketch) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (claim_id) DO UPDATE SET \
         statement_id = EXCLUDED.statement_id, speaker_key = EXCLUDED.speaker_key, \
         normalized_text = EXCLUDED.normalized_text, sketch = EXCLUDED.sketch",
    )
    .bind(claim_id)
    .bind(statement_id)
    .bind(key)
    .bind(norm)
    .bind(crate::domain::statement::sketch(key, norm))
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO statement_decisions (claim_id, statement_id, previous_statement_id, method, \
         score, threshold, actor, reason, record_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(claim_id)
    .bind(statement_id)
    .bind(d.previous)
    .bind(d.method)
    .bind(d.score)
    .bind(d.threshold)
    .bind(d.actor)
    .bind(d.reason)
    .bind(ts)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Recomputes a statement's aggregates from its claims: the first
/// appearance by article publication time (the claim's sort time when the
/// article has none), whatever the ingest order; its text as the canonical
/// text; the appearance and outlet counts.
pub(super) async fn refresh(
    conn: &mut PgConnection,
    id: Uuid,
    ts: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "WITH m AS ( \
           SELECT c.id, c.publisher_id, c.text, coalesce(a.published_time, c.sort_time) AS t \
           FROM claims c JOIN articles a ON a.id = c.article_id WHERE c.statement_id = $1 \
         ), f AS (SELECT id, text, t FROM m ORDER BY t, id LIMIT 1) \
         UPDATE statements SET first_claim_id = (SELECT id FROM f), first_time = (SELECT t FROM f), \
           canonical_text = coalesce((SELECT text FROM f), canonical_text), \
           appearance_count = (SELECT count(*) FROM m), \
           outlet_count = (SELECT count(DISTINCT publisher_id) FROM m), update_time = $2 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(ts)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// [`refresh`] for many statements in one statement.
///
/// The rows are locked in id order first: ingests that add to the same
/// stored statements need not hold a common matching lock (each may have
/// found it through a different member), and an UPDATE locks rows in
/// whatever order its plan visits them, so two of them could deadlock.
pub(super) async fn refresh_many(
    conn: &mut PgConnection,
    ids: &[Uuid],
    ts: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("SELECT count(*) FROM (SELECT 1 FROM statements WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE) l")
        .bind(ids)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "WITH m AS ( \
           SELECT c.statement_id AS sid, c.id, c.publisher_id, c.text, \
             coalesce(a.published_time, c.sort_time) AS t \
           FROM claims c JOIN articles a ON a.id = c.article_id WHERE c.statement_id = ANY($1) \
         ), f AS (SELECT DISTINCT ON (sid) sid, id, text, t FROM m ORDER BY sid, t, id), \
         n AS (SELECT sid, count(*) AS cnt, count(DISTINCT publisher_id) AS outlets FROM m GROUP BY sid) \
         UPDATE statements s SET first_claim_id = f.id, first_time = f.t, canonical_text = f.text, \
           appearance_count = n.cnt, outlet_count = n.outlets, update_time = $2 \
         FROM f JOIN n USING (sid) WHERE s.id = f.sid",
    )
    .bind(ids)
    .bind(ts)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Columns of [`StatementRow`], for `... FROM statements s`.
const COLUMNS: &str =
    "s.id, s.speaker_ids, s.canonical_text, s.normalized_text, s.first_claim_id, \
    c.article_id AS first_article_id, a.url AS first_url, a.publisher_id AS first_publisher_id, \
    s.first_time, s.appearance_count, s.outlet_count, s.create_time, s.merged_into, \
    coalesce((SELECT array_agg(o.publisher_id ORDER BY o.t, o.publisher_id) FROM ( \
        SELECT c2.publisher_id, min(coalesce(a2.published_time, c2.sort_time)) AS t \
        FROM claims c2 JOIN articles a2 ON a2.id = c2.article_id \
        WHERE c2.statement_id = s.id AND c2.publisher_id IS NOT NULL GROUP BY c2.publisher_id) o), \
      '{}') AS outlet_ids";

/// Joins that give the first appearance's article.
const FIRST_JOINS: &str =
    "LEFT JOIN claims c ON c.id = s.first_claim_id LEFT JOIN articles a ON a.id = c.article_id";

#[derive(sqlx::FromRow)]
struct StatementRow {
    id: Uuid,
    speaker_ids: Vec<Uuid>,
    canonical_text: String,
    normalized_text: String,
    first_claim_id: Option<Uuid>,
    first_article_id: Option<Uuid>,
    first_url: Option<String>,
    first_publisher_id: Option<Uuid>,
    first_time: Option<DateTime<Utc>>,
    appearance_count: i64,
    outlet_count: i64,
    create_time: DateTime<Utc>,
    merged_into: Option<Uuid>,
    outlet_ids: Vec<Uuid>,
}

impl StatementRow {
    fn into_statement(self) -> Statement {
        Statement {
            id: self.id,
            speaker_ids: self.speaker_ids,
            canonical_text: self.canonical_text,
            normalized_text: self.normalized_text,
            first_claim_id: self.first_claim_id,
            first_article_id: self.first_article_id,
            first_url: self.first_url,
            first_publisher_id: self.first_publisher_id,
            first_time: self.first_time,
            appearance_count: self.appearance_count,
            outlet_count: self.outlet_count,
            outlet_ids: self.outlet_ids,
            create_time: self.create_time,
        }
    }
}

/// One statement as stored, with the statement it was merged into (if any).
pub(super) async fn get(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<(Statement, Option<Uuid>)>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM statements s {FIRST_JOINS} WHERE s.id = $1");
    let row: Option<StatementRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| {
        let merged = r.merged_into;
        (r.into_statement(), merged)
    }))
}

/// A statement, following merges to the survivor; the second value is the
/// id asked for when it was merged away.
pub(super) async fn resolve(
    conn: &mut PgConnection,
    field: &str,
    id: Uuid,
) -> Result<(Statement, Option<Uuid>), StoreError> {
    let mut current = id;
    for _ in 0..16 {
        let Some((s, merged)) = get(conn, current).await? else {
            break;
        };
        match merged {
            Some(next) => current = next,
            None => return Ok((s, (current != id).then_some(id))),
        }
    }
    Err(StoreError::not_found(
        field,
        format!("no statement with id {id}"),
    ))
}

/// A statement filter with entity references resolved to ids.
#[derive(Debug, Clone, Default)]
pub(super) struct ResolvedStatementFilter {
    pub(super) speaker: Option<Uuid>,
    pub(super) subject: Option<Uuid>,
    pub(super) after: Option<DateTime<Utc>>,
    pub(super) before: Option<DateTime<Utc>>,
    pub(super) query: Option<String>,
    pub(super) order: StatementOrder,
}

/// One page of statements (`size + 1` rows at most), each with its cursor.
pub(super) async fn list(
    conn: &mut PgConnection,
    f: &ResolvedStatementFilter,
    size: PageSize,
    after: Option<&Cursor>,
) -> Result<Vec<(Statement, Cursor)>, StoreError> {
    let mut qb = sqlx::QueryBuilder::new(format!(
        "SELECT {COLUMNS} FROM statements s {FIRST_JOINS} WHERE s.appearance_count > 0"
    ));
    if let Some(sp) = f.speaker {
        qb.push(" AND s.speaker_ids @> ARRAY[")
            .push_bind(sp)
            .push("]::uuid[]");
    }
    if let Some(su) = f.subject {
        qb.push(
            " AND EXISTS (SELECT 1 FROM claims cs JOIN claim_subjects j ON j.claim_id = cs.id \
             WHERE cs.statement_id = s.id AND j.entity_id = ",
        )
        .push_bind(su)
        .push(")");
    }
    if let Some(t) = f.after {
        qb.push(" AND s.first_time >= ").push_bind(t);
    }
    if let Some(t) = f.before {
        qb.push(" AND s.first_time < ").push_bind(t);
    }
    if let Some(q) = &f.query {
        // Any appearance's words count (outlets word a remark differently),
        // through the claims' own full-text index.
        qb.push(
            " AND s.id IN (SELECT qc.statement_id FROM claims qc \
             WHERE qc.search @@ websearch_to_tsquery('english', ",
        )
        .push_bind(q.clone())
        .push("))");
    }
    let by_count = f.order == StatementOrder::AppearanceCount;
    match (after, by_count) {
        (Some(c), false) => {
            qb.push(" AND (s.first_time, s.id) > (")
                .push_bind(c.time.unwrap_or_default())
                .push(", ")
                .push_bind(c.id)
                .push(")");
        }
        (Some(c), true) => {
            let n = c.number.unwrap_or(0);
            qb.push(" AND (s.appearance_count < ")
                .push_bind(n)
                .push(" OR (s.appearance_count = ")
                .push_bind(n)
                .push(" AND s.id > ")
                .push_bind(c.id)
                .push("))");
        }
        (None, _) => {}
    }
    qb.push(if by_count {
        " ORDER BY s.appearance_count DESC, s.id LIMIT "
    } else {
        " ORDER BY s.first_time, s.id LIMIT "
    })
    .push_bind(size.get() as i64 + 1);
    let rows: Vec<StatementRow> = qb
        .build_query_as()
        .persistent(f.query.is_none())
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let cursor = Cursor {
                time: if by_count { None } else { r.first_time },
                text: None,
                score: None,
                number: by_count.then_some(r.appearance_count),
                id: r.id,
            };
            (r.into_statement(), cursor)
        })
        .collect())
}

/// One page of a statement's claims in publication order (`limit` rows).
pub(super) async fn appearances(
    conn: &mut PgConnection,
    id: Uuid,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<(ClaimRecord, Cursor)>, StoreError> {
    let rows: Vec<(Snapshot, DateTime<Utc>, Uuid)> = sqlx::query_as(
        "SELECT r.snapshot, coalesce(a.published_time, c.sort_time) AS t, c.id \
         FROM claims c JOIN articles a ON a.id = c.article_id \
         JOIN claim_revisions r ON r.claim_id = c.id AND r.revision = c.revision \
         WHERE c.statement_id = $1 \
           AND ($2::timestamptz IS NULL OR (coalesce(a.published_time, c.sort_time), c.id) > ($2, $3)) \
         ORDER BY t, c.id LIMIT $4",
    )
    .bind(id)
    .bind(after.and_then(|c| c.time))
    .bind(after.map(|c| c.id))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(rec, t, id)| (rec.record(), Cursor::at_time(t, id)))
        .collect())
}

/// The ids of a statement's claims, oldest first (for merges).
pub(super) async fn claim_ids(conn: &mut PgConnection, id: Uuid) -> Result<Vec<Uuid>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM claims WHERE statement_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?,
    )
}

/// A statement's claims in publication order, each with its article's URL
/// (at most 1000: what one ClaimReview export carries).
pub(super) async fn appearance_urls(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Vec<(ClaimRecord, String)>, StoreError> {
    let rows: Vec<(Snapshot, String)> = sqlx::query_as(
        "SELECT r.snapshot, a.url FROM claims c JOIN articles a ON a.id = c.article_id \
         JOIN claim_revisions r ON r.claim_id = c.id AND r.revision = c.revision \
         WHERE c.statement_id = $1 ORDER BY coalesce(a.published_time, c.sort_time), c.id LIMIT 1000",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|(r, url)| (r.record(), url)).collect())
}

/// Computes the sketch of every statement member stored without one (rows
/// from before migration 0030), a thousand at a time.
pub(super) async fn backfill_sketches(pool: &sqlx::PgPool) -> Result<(), StoreError> {
    loop {
        let rows: Vec<(Uuid, String, String)> = sqlx::query_as(
            "SELECT claim_id, speaker_key, normalized_text FROM statement_members \
             WHERE sketch = '{}' AND normalized_text <> '' LIMIT 1000",
        )
        .fetch_all(pool)
        .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
        let sketches: Vec<String> = rows
            .iter()
            .map(|(_, key, norm)| {
                super::statement_assign::int8_array(&crate::domain::statement::sketch(key, norm))
            })
            .collect();
        sqlx::query(
            "UPDATE statement_members m SET sketch = t.s::bigint[] \
             FROM unnest($1::uuid[], $2::text[]) AS t(c, s) WHERE m.claim_id = t.c",
        )
        .bind(&ids)
        .bind(&sketches)
        .execute(pool)
        .await?;
    }
}
