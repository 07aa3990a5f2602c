//! The claim event log: appended by every write, read by `WatchClaims`.
//!
//! Appends take one global transaction-scoped advisory lock just before the
//! insert, at the end of the writing transaction, and hold it to commit: so
//! sequence numbers are handed out in commit order and a reader polling
//! `seq > cursor` can never see event N+1 before event N becomes visible.
//! The lock is held only for the insert and the commit, so it costs writers
//! little. `pg_notify` (delivered at commit) wakes listeners; readers also
//! poll, so a missed notification only delays an event, never loses it.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgListener;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::snapshot::Snapshot;
use super::{entity_cache, StoreError};
use crate::domain::{ClaimKind, ClaimRecord, RevisionChange};

/// The channel `pg_notify` wakes listeners on.
pub(super) const CHANNEL: &str = "claimdb_claim_events";
/// Advisory-lock key serializing event appends ("claimdb events").
const APPEND_LOCK: i64 = 0x636c_6169_6d65_7673;

/// A change to record in the log, collected during a write transaction.
#[derive(Debug, Clone)]
pub struct PendingEvent {
    /// What happened.
    pub change: RevisionChange,
    /// The claim version it produced.
    pub record: ClaimRecord,
    /// The transaction's record time.
    pub record_time: DateTime<Utc>,
}

/// Appends events; call last in the transaction, right before commit.
pub(super) async fn append(
    conn: &mut PgConnection,
    events: &[PendingEvent],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    // The lock, and the notification (delivered at commit), in one round trip.
    sqlx::query("SELECT pg_advisory_xact_lock($1), pg_notify($2, '')")
        .bind(APPEND_LOCK)
        .bind(CHANNEL)
        .execute(&mut *conn)
        .await?;
    let (mut ids, mut revisions, mut changes, mut times) = (vec![], vec![], vec![], vec![]);
    let (mut articles, mut publishers, mut kinds) = (vec![], vec![], vec![]);
    let (mut speakers, mut subjects, mut texts) = (vec![], vec![], vec![]);
    for e in events {
        let r = &e.record;
        let subject_ids: Vec<Uuid> = r.subjects.iter().map(|s| s.entity_id).collect();
        ids.push(r.id);
        revisions.push(r.revision);
        changes.push(e.change.as_str());
        times.push(e.record_time);
        articles.push(r.article_id);
        publishers.push(r.publisher_id);
        kinds.push(r.kind.as_str());
        speakers.push(super::statement_assign::uuid_array(&r.speaker_ids));
        subjects.push(super::statement_assign::uuid_array(&subject_ids));
        texts.push(r.text.as_str());
    }
    // One statement for the whole list: `unnest` yields rows in array order,
    // so `seq` follows the order of `events`.
    sqlx::query(
        "INSERT INTO claim_events (claim_id, revision, change, record_time, article_id, publisher_id, \
         kind, speaker_ids, subject_ids, text) \
         SELECT c, r, ch, t, a, p, k, sp::uuid[], su::uuid[], tx FROM unnest($1::uuid[], $2::int8[], \
           $3::text[], $4::timestamptz[], $5::uuid[], $6::uuid[], $7::text[], $8::text[], $9::text[], \
           $10::text[]) WITH ORDINALITY AS x(c, r, ch, t, a, p, k, sp, su, tx, o) ORDER BY o",
    )
    .bind(&ids)
    .bind(&revisions)
    .bind(&changes)
    .bind(&times)
    .bind(&articles)
    .bind(&publishers)
    .bind(&kinds)
    .bind(&speakers)
    .bind(&subjects)
    .bind(&texts)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Which events a watcher wants, with entity references resolved.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Said by.
    pub speaker: Option<Uuid>,
    /// About.
    pub subject: Option<Uuid>,
    /// Published by.
    pub publisher: Option<Uuid>,
    /// Only these kinds (empty: all).
    pub kinds: Vec<ClaimKind>,
    /// Full-text query (websearch syntax).
    pub query: Option<String>,
}

/// One event read back from the log.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// Position in the log.
    pub seq: i64,
    /// What happened.
    pub change: RevisionChange,
    /// When it was recorded.
    pub record_time: DateTime<Utc>,
    /// The claim version it produced.
    pub record: ClaimRecord,
}

type EventRow = (i64, String, DateTime<Utc>, Snapshot);

/// Events after `after` that match `f`, oldest first, at most `limit`.
pub(super) async fn read(
    conn: &mut PgConnection,
    after: i64,
    f: &EventFilter,
    limit: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let kinds: Vec<String> = f.kinds.iter().map(|k| k.as_str().to_string()).collect();
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT e.seq, e.change, e.record_time, r.snapshot FROM claim_events e \
         JOIN claim_revisions r ON r.claim_id = e.claim_id AND r.revision = e.revision \
         WHERE e.seq > $1 \
           AND ($2::uuid IS NULL OR $2 = ANY(e.speaker_ids)) \
           AND ($3::uuid IS NULL OR $3 = ANY(e.subject_ids)) \
           AND ($4::uuid IS NULL OR e.publisher_id = $4) \
           AND (cardinality($5::text[]) = 0 OR e.kind = ANY($5)) \
           AND ($6::text IS NULL OR to_tsvector('english', e.text) @@ websearch_to_tsquery('english', $6)) \
         ORDER BY e.seq LIMIT $7",
    )
    .bind(after)
    .bind(f.speaker)
    .bind(f.subject)
    .bind(f.publisher)
    .bind(kinds)
    .bind(f.query.clone())
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(seq, change, record_time, snap)| {
            Ok(StoredEvent {
                seq,
                change: RevisionChange::parse(&change)
                    .ok_or_else(|| StoreError::Corrupt(format!("event change {change:?}")))?,
                record_time,
                record: snap.record(),
            })
        })
        .collect()
}

/// The newest event's position (0 for an empty log).
pub(super) async fn head(conn: &mut PgConnection) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM claim_events")
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// Wakes on every committed append, and keeps the entity-summary cache
/// coherent on the way (see [`super::entity_cache`]): one connection
/// LISTENs on both channels.
#[derive(Debug)]
pub struct EventListener {
    inner: PgListener,
    _coherence: entity_cache::Coherence,
}

impl EventListener {
    /// Connects and LISTENs.
    pub(super) async fn connect(pool: &PgPool) -> Result<Self, StoreError> {
        let mut inner = PgListener::connect_with(pool).await?;
        inner.listen_all([CHANNEL, entity_cache::CHANNEL]).await?;
        Ok(Self {
            inner,
            _coherence: entity_cache::Coherence::start(),
        })
    }

    /// Waits for the next event notification, forgetting the entities that
    /// entity notifications name. A lost connection is reconnected at once
    /// and returns as a wake-up (events may have been missed; readers catch
    /// up from the log) after emptying the entity cache (so may changes).
    /// Errors are transient except `Unavailable(PoolClosed)`, which means
    /// the server is shutting down.
    pub async fn next(&mut self) -> Result<(), StoreError> {
        loop {
            match self.inner.try_recv().await? {
                None => {
                    entity_cache::forget_all();
                    return Ok(());
                }
                Some(n) if n.channel() == entity_cache::CHANNEL => {
                    entity_cache::forget_payload(n.payload());
                }
                Some(_) => return Ok(()),
            }
        }
    }
}
