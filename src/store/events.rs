//! The claim event log: appended by every write, read by `WatchClaims`.
//!
//! Positions (`seq`) come from a sequence when a transaction appends, the
//! last thing it does before committing, so transactions commit, and flush
//! the WAL, side by side: a position can become visible after a higher one.
//! Readers therefore deliver the log in position order only up to its first
//! *hole* (a missing position below a visible one). A hole is either a
//! transaction still committing, which fills it within moments, or one that
//! rolled back, which never will. Appenders hold a shared advisory lock from
//! the append to the end of the commit, and a reader settles a hole that
//! outlasts one look by taking that lock exclusively for an instant
//! ([`settle`]): once it has it, every position handed out before is
//! committed or gone for good. So a reader never skips an event that commits
//! late, and writers wait for a reader only in that rare instant.
//!
//! Listeners are woken by a `pg_notify` sent after the commit ([`Wake`]), not
//! inside the writing transaction: PostgreSQL serializes the commits of
//! transactions that notify (a global lock held through the WAL flush).
//! Readers also poll, so a lost notification only delays an event.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgListener;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::snapshot::Snapshot;
use super::{entity_cache, StoreError};
use crate::domain::{ClaimKind, ClaimRecord, RevisionChange};

/// The channel `pg_notify` wakes listeners on.
pub(super) const CHANNEL: &str = "claimdb_claim_events";
/// Advisory-lock key ("claimdb events"): appenders hold it shared from the
/// append through the commit; [`settle`] takes it exclusively. Public for
/// tests that play a concurrent appender.
pub const APPEND_LOCK: i64 = 0x636c_6169_6d65_7673;
/// Positions a read examines for holes at most (an index-only scan); a read
/// that stops there simply continues from there the next time.
const HOLE_SCAN: i64 = 10_000;
/// Bounds how long [`settle`] waits for appenders still committing (new
/// appenders queue behind it meanwhile); past it, the stream polls again.
const SET_SETTLE_TIMEOUT: &str = "SET LOCAL lock_timeout = '2s'";

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

/// Listeners to wake once the transaction that appended events has
/// committed (see the module docs for why not before).
#[must_use = "send it after the commit, or watchers wait for their next poll"]
#[derive(Debug)]
pub(super) struct Wake(bool);

impl Wake {
    /// Notifies listeners, if events were appended, from a task of its own:
    /// the caller's response does not wait for it. A failure is logged, not
    /// returned: the write has committed, and watchers poll anyway.
    pub(super) fn send(self, pool: &PgPool) {
        if !self.0 {
            return;
        }
        let pool = pool.clone();
        tokio::spawn(async move {
            let sent = sqlx::query("SELECT pg_notify($1, '')")
                .bind(CHANNEL)
                .execute(&pool)
                .await;
            match sent {
                Ok(_) | Err(sqlx::Error::PoolClosed) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "cannot wake event listeners; they catch up at their next poll");
                }
            }
        });
    }
}

/// Appends events; call last in the transaction, right before commit, and
/// send the returned [`Wake`] after the commit.
pub(super) async fn append(
    conn: &mut PgConnection,
    events: &[PendingEvent],
) -> Result<Wake, StoreError> {
    if events.is_empty() {
        return Ok(Wake(false));
    }
    sqlx::query("SELECT pg_advisory_xact_lock_shared($1)")
        .bind(APPEND_LOCK)
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
    Ok(Wake(true))
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

/// Where the log is settled: how far a reader may go without skipping an
/// event that is still committing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settled {
    /// Every position up to here is visible or gone for good, as far as the
    /// look went.
    pub upto: i64,
    /// The missing position just above `upto`, when a later one is visible:
    /// a transaction may still be committing it.
    pub hole: Option<i64>,
    /// Whether the look stopped at its limit before the end of the log.
    pub more: bool,
}

/// Looks at the positions above `base` (below which every hole is known to
/// be settled) for the first hole.
pub(super) async fn settled(conn: &mut PgConnection, base: i64) -> Result<Settled, StoreError> {
    let (bad, top, seen): (Option<i64>, Option<i64>, i64) = sqlx::query_as(
        "WITH s AS (SELECT seq, row_number() OVER (ORDER BY seq) AS n \
           FROM (SELECT seq FROM claim_events WHERE seq > $1 ORDER BY seq LIMIT $2) x) \
         SELECT min(n) FILTER (WHERE seq <> $1 + n), max(seq), count(*) FROM s",
    )
    .bind(base)
    .bind(HOLE_SCAN)
    .fetch_one(&mut *conn)
    .await?;
    Ok(match bad {
        Some(n) => Settled {
            upto: base + n - 1,
            hole: Some(base + n),
            more: false,
        },
        None => Settled {
            upto: top.unwrap_or(base),
            hole: None,
            more: seen == HOLE_SCAN,
        },
    })
}

/// Waits until no transaction is between its append and the end of its
/// commit, then returns the highest position: every hole below it is for
/// good. `None` if appenders kept the lock past the timeout (try again).
pub(super) async fn settle(conn: &mut PgConnection) -> Result<Option<i64>, StoreError> {
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    sqlx::query(SET_SETTLE_TIMEOUT).execute(&mut *tx).await?;
    let locked = sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(APPEND_LOCK)
        .execute(&mut *tx)
        .await;
    match locked {
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("55P03") => return Ok(None),
        r => r?,
    };
    // A statement after the lock: its snapshot sees every append made
    // before the lock was granted.
    let top: i64 = sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM claim_events")
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(top))
}

/// Events after `after` and up to `upto` (settled: see [`settled`]) that
/// match `f`, oldest first, at most `limit`.
pub(super) async fn read(
    conn: &mut PgConnection,
    after: i64,
    upto: i64,
    f: &EventFilter,
    limit: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let kinds: Vec<String> = f.kinds.iter().map(|k| k.as_str().to_string()).collect();
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT e.seq, e.change, e.record_time, r.snapshot FROM claim_events e \
         JOIN claim_revisions r ON r.claim_id = e.claim_id AND r.revision = e.revision \
         WHERE e.seq > $1 AND e.seq <= $8 \
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
    .bind(upto)
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
