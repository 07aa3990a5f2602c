//! The direct-SQL baselines of the read workloads: the exact query the
//! service's store runs for each request (copied from
//! `src/store/claim_list.rs` (`present_query`, and `search` with its two
//! steps for full-text lists) and `src/store/claims.rs`
//! `current`), sent over a plain sqlx connection with the same bound
//! parameters, fetching the same columns.
//!
//! What the direct side does NOT do, and the service does, is the point of
//! the comparison: gRPC decoding and encoding, request parsing, whatever the
//! store does around the main query (resolving the entity reference, the
//! entity summaries of the page), converting each JSON snapshot into a
//! `Claim` message. The snapshot is fetched as raw bytes here: its JSON
//! text, as stored (migration 0037).
//!
//! Nor does the direct side name the snapshots it already holds: the
//! store's list queries select `r.snapshot_digest` and, for the versions
//! its memory holds, NULL in place of the snapshot, which is then read by a
//! sub-select only for the versions not held (`src/store/claim_list.rs`,
//! `Known`), so a held version costs an index-only look-up; these select
//! `r.snapshot` every time, as a hand-written client would. Being able to
//! skip that work is an advantage of the service.
//!
//! Keep these strings in step with the store when its queries change.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

/// `ListClaims{speaker, order_by: SAID_TIME_DESC}`: driven by
/// `claim_speakers (entity_id, sort_time, claim_id)`.
/// The link rows carry each claim's current revision and state (migration
/// 0036), so the history is the link index's range scan and one look-up of
/// each version; the service looks up only the versions it does not hold.
pub(crate) const SPEAKER_HISTORY: &str = "SELECT r.snapshot, d.sort_time, d.claim_id \
     FROM claim_speakers d \
     JOIN claim_revisions r ON r.claim_id = d.claim_id AND r.revision = d.revision WHERE true \
     AND d.entity_id = $1 AND d.state = 'active' \
     ORDER BY d.sort_time DESC, d.claim_id DESC LIMIT $2";

/// `ListClaims{subject, order_by: SAID_TIME_DESC}`, likewise.
pub(crate) const SUBJECT_HISTORY: &str = "SELECT r.snapshot, d.sort_time, d.claim_id \
     FROM claim_subjects d \
     JOIN claim_revisions r ON r.claim_id = d.claim_id AND r.revision = d.revision WHERE true \
     AND d.entity_id = $1 AND d.state = 'active' \
     ORDER BY d.sort_time DESC, d.claim_id DESC LIMIT $2";

/// `ListClaims{speaker, subject, said_after, said_before, SAID_TIME_DESC}`:
/// speaker-driven, the subject as an EXISTS.
pub(crate) const SPEAKER_SUBJECT_WINDOW: &str = "SELECT r.snapshot, d.sort_time, d.claim_id \
     FROM claim_speakers d JOIN claims c ON c.id = d.claim_id \
     JOIN claim_revisions r ON r.claim_id = c.id AND r.revision = c.revision WHERE true \
     AND d.entity_id = $1 \
     AND EXISTS (SELECT 1 FROM claim_subjects s WHERE s.claim_id = c.id AND s.entity_id = $2 \
       AND s.sort_time >= $3 AND s.sort_time < $4) \
     AND d.sort_time >= $3 AND d.sort_time < $4 AND c.state = 'active' \
     ORDER BY d.sort_time DESC, d.claim_id DESC LIMIT $5";

/// `ListClaims{query, order_by: SAID_TIME_DESC}`, first step: filter the
/// newest √(21·N) claims (see `claim_list::search`); enough when it fills
/// the page.
pub(crate) const FULL_TEXT: &str = "SELECT r.snapshot, c.k, c.id FROM (SELECT w.id, w.revision, \
     w.article_id, w.publisher_id, w.kind, w.state, w.search, w.sort_time, w.sort_time AS k \
     FROM claims w WHERE true ORDER BY w.sort_time DESC, w.id DESC \
     LIMIT (SELECT greatest(1000, sqrt(21 * greatest(reltuples, 0)))::bigint FROM pg_class \
     WHERE oid = 'claims'::regclass)) c \
     JOIN claim_revisions r ON r.claim_id = c.id AND r.revision = c.revision WHERE true \
     AND c.search @@ (SELECT websearch_to_tsquery('english', $1)) AND c.state = 'active' \
     ORDER BY c.k DESC, c.id DESC LIMIT $2";

/// Second step, for a term too rare to fill the page from the window: every
/// match through the GIN index, sorted.
pub(crate) const FULL_TEXT_MATCHES: &str = "WITH m AS MATERIALIZED (SELECT c.id, c.sort_time, \
     c.create_time, c.revision FROM claims c WHERE true \
     AND c.search @@ websearch_to_tsquery('english', $1) AND c.state = 'active') \
     SELECT r.snapshot, m.sort_time, m.id FROM m \
     JOIN claim_revisions r ON r.claim_id = m.id AND r.revision = m.revision WHERE true \
     ORDER BY m.sort_time DESC, m.id DESC LIMIT $2";

/// `GetClaim{id}`.
pub(crate) const GET_CLAIM: &str = "SELECT r.snapshot FROM claims c JOIN claim_revisions r \
     ON r.claim_id = c.id AND r.revision = c.revision WHERE c.id = $1";

/// `ping`: a round trip that reads nothing.
pub(crate) const PING: &str = "SELECT 1";

/// The parameters of one read request, shared by both sides so they do the
/// same work.
#[derive(Debug, Clone)]
pub(crate) enum ReadParams {
    /// A speaker's history.
    Speaker(Uuid),
    /// A subject's history.
    Subject(Uuid),
    /// A speaker's claims about a subject in a time window.
    Window {
        /// The speaker.
        speaker: Uuid,
        /// The subject.
        subject: Uuid,
        /// Said at or after.
        after: DateTime<Utc>,
        /// Said before.
        before: DateTime<Utc>,
    },
    /// A full-text query.
    Text(String),
    /// One claim.
    Get(Uuid),
    /// Nothing: one round trip.
    Ping,
}

/// Page size of the history reads.
pub(crate) const HISTORY_PAGE: i32 = 50;
/// Page size of the full-text reads.
pub(crate) const TEXT_PAGE: i32 = 20;

impl ReadParams {
    /// The SQL and the page size (`None` for a single-row read).
    fn sql(&self) -> (&'static str, Option<i32>) {
        match self {
            Self::Speaker(_) => (SPEAKER_HISTORY, Some(HISTORY_PAGE)),
            Self::Subject(_) => (SUBJECT_HISTORY, Some(HISTORY_PAGE)),
            Self::Window { .. } => (SPEAKER_SUBJECT_WINDOW, Some(HISTORY_PAGE)),
            Self::Text(_) => (FULL_TEXT, Some(TEXT_PAGE)),
            Self::Get(_) => (GET_CLAIM, None),
            Self::Ping => (PING, None),
        }
    }

    /// The query with its parameters bound (LIMIT is the page size plus
    /// one, as the store asks for one more row to know whether a next page
    /// exists).
    fn query(
        &self,
        sql: impl sqlx::SqlSafeStr,
    ) -> sqlx::query::Query<'static, sqlx::Postgres, sqlx::postgres::PgArguments> {
        let limit = self.sql().1.map(|p| i64::from(p) + 1);
        let q = sqlx::query(sql);
        match self {
            Self::Speaker(id) | Self::Subject(id) => q.bind(*id).bind(limit),
            Self::Window {
                speaker,
                subject,
                after,
                before,
            } => q
                .bind(*speaker)
                .bind(*subject)
                .bind(*after)
                .bind(*before)
                .bind(limit),
            Self::Text(t) => q.bind(t.clone()).bind(limit),
            Self::Get(id) => q.bind(*id),
            Self::Ping => q,
        }
    }
}

/// Runs one read; returns the rows the service would return (the page, not
/// the extra look-ahead row). With `decode`, each snapshot's JSON is parsed
/// into its typed record (claimdb's own `ClaimRecord`, as the server reads
/// it), as an application would (`--decode`); otherwise only its length is
/// read. Statements are prepared or planned per call
/// as the store sends them (`claim_list`): the window read and a full-text
/// read's all-matches step are unnamed statements, planned for their actual
/// values; a full-text read's first step is prepared.
pub(crate) async fn read(
    conn: &mut PgConnection,
    p: &ReadParams,
    decode: bool,
) -> Result<u64, sqlx::Error> {
    let (sql, page) = p.sql();
    let persistent = !matches!(p, ReadParams::Window { .. });
    let mut rows: Vec<PgRow> = p
        .query(sql)
        .persistent(persistent)
        .fetch_all(&mut *conn)
        .await?;
    if let (ReadParams::Text(_), Some(size)) = (p, page) {
        if rows.len() <= usize::try_from(size).unwrap_or(0) {
            rows = p
                .query(FULL_TEXT_MATCHES)
                .persistent(false)
                .fetch_all(&mut *conn)
                .await?;
        }
    }
    let ping = matches!(p, ReadParams::Ping);
    let mut bytes = 0usize;
    for row in &rows {
        let snapshot: &[u8] = row.try_get_unchecked(0)?;
        bytes += snapshot.len();
        if decode && !ping {
            // A json snapshot is its text (migration 0037).
            let record: claimdb::domain::ClaimRecord =
                serde_json::from_slice(snapshot).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            std::hint::black_box(record);
        }
    }
    std::hint::black_box(bytes);
    if ping {
        return Ok(0);
    }
    let n = rows.len() as u64;
    Ok(match page {
        Some(p) => n.min(u64::try_from(p).unwrap_or(u64::MAX)),
        None => n,
    })
}

/// `EXPLAIN (ANALYZE, BUFFERS)` of the read's SQL with its parameters.
pub(crate) async fn explain(
    conn: &mut PgConnection,
    p: &ReadParams,
) -> Result<String, sqlx::Error> {
    let (sql, _) = p.sql();
    let explained = sqlx::AssertSqlSafe(format!("EXPLAIN (ANALYZE, BUFFERS) {sql}"));
    let rows: Vec<PgRow> = p.query(explained).fetch_all(&mut *conn).await?;
    let lines: Result<Vec<String>, _> = rows.iter().map(|r| r.try_get::<String, _>(0)).collect();
    Ok(lines?.join("\n"))
}

/// A short name of a sqlx error for the error counts: the SQLSTATE of a
/// database error, else the kind.
pub(crate) fn error_code(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(d) => format!(
            "SQLSTATE {}",
            d.code().map(|c| c.to_string()).unwrap_or_default()
        ),
        sqlx::Error::PoolTimedOut => "pool timed out".into(),
        sqlx::Error::Io(_) => "io".into(),
        other => {
            let s = other.to_string();
            s.chars().take(60).collect()
        }
    }
}
