//! The claim-history query behind `ListClaims`.
//!
//! Present-time queries are driven by the index that serves them: a speaker
//! filter walks `claim_speakers (entity_id, sort_time, claim_id)`, a subject
//! filter `claim_subjects`, anything else `claims (sort_time, id)` — so "X's
//! claims in said order" is one index range scan whatever the table size.
//! The link rows carry each claim's current revision, state and snapshot
//! digest, so a plain history reads nothing else for the claims the server
//! already holds (see [`links_suffice`]).
//! "As of" queries read `claim_revisions`, picking each claim's version that
//! was current at that record time.
//!
//! Every page query names the snapshot digests it can do without (the
//! versions the page held last time that this process still holds, see
//! [`page_memo`]) and gets NULL in their place: see [`Known`].

use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row as _};
use uuid::Uuid;

use super::snapshot::{self, RawSnapshot};
use super::{page_memo, StoreError};
use crate::domain::page::{Cursor, PageSize};
use crate::domain::{ClaimKind, ClaimOrder, SharedClaim};

/// A claim filter with entity references resolved to ids.
#[derive(Debug, Clone, Default, Hash)]
pub(super) struct ResolvedClaimFilter {
    pub(super) speaker: Option<Uuid>,
    pub(super) subject: Option<Uuid>,
    pub(super) article_id: Option<Uuid>,
    pub(super) publisher: Option<Uuid>,
    pub(super) said_after: Option<DateTime<Utc>>,
    pub(super) said_before: Option<DateTime<Utc>>,
    pub(super) kinds: Vec<ClaimKind>,
    pub(super) query: Option<String>,
    pub(super) include_retracted: bool,
    pub(super) as_of: Option<DateTime<Utc>>,
    pub(super) order: ClaimOrder,
    pub(super) statement: Option<Uuid>,
}

/// Column names for one query shape: where the sort key, id and filter
/// columns live, and how the query reaches each claim's current version.
struct Shape {
    from: &'static str,
    key: &'static str,
    id: &'static str,
    reading: Reading,
}

fn present_shape(f: &ResolvedClaimFilter) -> Shape {
    let record = f.order.by_record_time();
    let links = [
        (f.speaker.is_some(), "claim_speakers"),
        (f.subject.is_some(), "claim_subjects"),
    ];
    for (named, table) in links {
        if !named || record {
            continue;
        }
        return Shape {
            from: table,
            key: "d.sort_time",
            id: "d.claim_id",
            reading: if links_suffice(f) {
                Reading::Link
            } else {
                Reading::Probe
            },
        };
    }
    Shape {
        from: "claims",
        key: if record {
            "c.create_time"
        } else {
            "c.sort_time"
        },
        id: "c.id",
        reading: Reading::Probe,
    }
}

/// Whether a history (one speaker or one subject, in said order) needs
/// nothing but its link rows: no filter on a column only `claims` has, and
/// not a second entity to intersect with. Each link row carries its claim's
/// current revision, state and digest (migration 0036), so such a page is
/// one range scan of the history index, with the snapshots the server lacks
/// looked up by key.
fn links_suffice(f: &ResolvedClaimFilter) -> bool {
    f.article_id.is_none()
        && f.publisher.is_none()
        && f.kinds.is_empty()
        && f.query.is_none()
        && f.statement.is_none()
        && (f.speaker.is_none() || f.subject.is_none())
}

/// The versions a page query may leave out, held until its answer is read.
struct Known {
    /// The page, in [`page_memo`].
    page: u64,
    held: Vec<(Uuid, SharedClaim)>,
}

/// How a page query reaches the versions it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// Each claim's current version `r` looked up by `(claim_id,
    /// revision)`: only the key and the digest are needed before the
    /// snapshot.
    Probe,
    /// The versions `r` are what the query scans and filters (an "as of"
    /// list), so their rows are read whole anyway.
    Scan,
    /// The link rows `d` carry each claim's current revision and digest
    /// (migration 0036); the snapshot is looked up by key, and only for
    /// versions not held.
    Link,
}

/// Which query of a list reads a page: a full-text list may run two.
#[derive(Debug, Clone, Copy, Hash)]
enum Step {
    Main,
    AllMatches,
}

impl Known {
    /// What page `page` held last time that the snapshot memo still holds.
    fn recall(page: u64) -> Self {
        Self {
            page,
            held: snapshot::remembered(&page_memo::last(page)),
        }
    }

    /// Pushes the two snapshot columns of version `r`: the digest, and the
    /// snapshot unless its digest is held (then NULL).
    ///
    /// Where `r` is only looked up by its key (`Reading::Probe`) and some
    /// versions are held, the snapshot is a sub-select that runs only for
    /// the versions not held, so the look-up itself reads nothing but
    /// `claim_revisions_pkey`, which carries the digest (migration 0035):
    /// an index-only scan, where selecting `r.snapshot` beside it would
    /// read each version's heap page, held or not. With nothing held every
    /// snapshot is read anyway, and one look-up beats two.
    fn push_columns(&self, qb: &mut QueryBuilder<Postgres>, reading: Reading) {
        let digests: Vec<Uuid> = self.held.iter().map(|(d, _)| *d).collect();
        let version = if reading == Reading::Link { "d" } else { "r" };
        let lookup = format!(
            "(SELECT v.snapshot FROM claim_revisions v \
             WHERE v.claim_id = {version}.claim_id AND v.revision = {version}.revision)"
        );
        let snapshot = match reading {
            Reading::Link => lookup,
            Reading::Probe if !digests.is_empty() => lookup,
            Reading::Probe | Reading::Scan => "r.snapshot".to_string(),
        };
        qb.push(format!(
            "{version}.snapshot_digest, CASE WHEN {version}.snapshot_digest = ANY("
        ))
        .push_bind(digests)
        .push(format!(") THEN NULL ELSE {snapshot} END"));
    }

    /// A query starting `SELECT` and the snapshot columns, then `rest`.
    fn select(&self, rest: &str, reading: Reading) -> QueryBuilder<Postgres> {
        let mut qb = QueryBuilder::new("SELECT ");
        self.push_columns(&mut qb, reading);
        qb.push(rest);
        qb
    }

    fn take(&self, digest: Uuid) -> Option<SharedClaim> {
        self.held
            .iter()
            .find(|(d, _)| *d == digest)
            .map(|(_, c)| c.clone())
    }
}

/// The key of one page of one list in [`page_memo`]. Two pages sharing a
/// key by accident only cost the saving, so 64 bits under a per-process
/// seed are plenty.
fn page_key(f: &ResolvedClaimFilter, size: PageSize, after: Option<&Cursor>, step: Step) -> u64 {
    static SEED: LazyLock<foldhash::fast::RandomState> = LazyLock::new(Default::default);
    let mut h = SEED.build_hasher();
    f.hash(&mut h);
    size.get().hash(&mut h);
    if let Some(c) = after {
        (c.time, c.id, c.number, &c.text).hash(&mut h);
        c.score.map(f64::to_bits).hash(&mut h);
    }
    step.hash(&mut h);
    h.finish()
}

/// One page of claims (`limit` rows at most), each with its cursor.
pub(super) async fn list(
    conn: &mut PgConnection,
    f: &ResolvedClaimFilter,
    size: PageSize,
    after: Option<&Cursor>,
) -> Result<Vec<(SharedClaim, Cursor)>, StoreError> {
    if f.query.is_some() && f.as_of.is_none() && text_drives(f) {
        return search(conn, f, size, after).await;
    }
    let known = Known::recall(page_key(f, size, after, Step::Main));
    let qb = match f.as_of {
        None => present_query(f, &known),
        Some(t) => as_of_query(f, t, &known),
    };
    let (key, id) = match f.as_of {
        None => {
            let s = present_shape(f);
            (s.key, s.id)
        }
        Some(_) if f.order.by_record_time() => ("r.create_time", "r.claim_id"),
        Some(_) => ("r.sort_time", "r.claim_id"),
    };
    // A full-text filter, or a speaker together with a subject, is planned
    // for its actual values (an unnamed statement, not a cached generic
    // plan): how common the term is, or how much the two histories overlap,
    // decides between walking one index and joining two, and a generic
    // plan made for an average speaker took 0.6 s for the busiest ones.
    let planning = if f.query.is_some() || (f.speaker.is_some() && f.subject.is_some()) {
        Planning::PerCall
    } else {
        Planning::Cached
    };
    page(conn, qb, &known, f, (key, id), size, after, planning).await
}

/// Whether a query's plan is made for each call's values or prepared once
/// per connection (and, after a few calls, made generic by PostgreSQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Planning {
    Cached,
    PerCall,
}

/// Adds the cursor, order and limit to a query selecting (digest,
/// snapshot or NULL, key, id), runs it, and pairs each record with its
/// cursor.
#[allow(clippy::too_many_arguments)]
async fn page(
    conn: &mut PgConnection,
    mut qb: QueryBuilder<Postgres>,
    known: &Known,
    f: &ResolvedClaimFilter,
    (key, id): (&str, &str),
    size: PageSize,
    after: Option<&Cursor>,
    planning: Planning,
) -> Result<Vec<(SharedClaim, Cursor)>, StoreError> {
    let desc = f.order.descending();
    if let Some(c) = after {
        let op = if desc { "<" } else { ">" };
        qb.push(format!(" AND ({key}, {id}) {op} ("))
            .push_bind(c.time.unwrap_or_default())
            .push(", ")
            .push_bind(c.id)
            .push(")");
    }
    let dir = if desc { "DESC" } else { "ASC" };
    qb.push(format!(" ORDER BY {key} {dir}, {id} {dir} LIMIT "))
        .push_bind(size.get() as i64 + 1);
    let rows: Vec<PgRow> = qb
        .build()
        .persistent(planning == Planning::Cached)
        .fetch_all(&mut *conn)
        .await?;
    let mut listed = Vec::with_capacity(rows.len());
    for row in &rows {
        let digest: Uuid = row.try_get(0)?;
        let raw: Option<RawSnapshot<'_>> = row.try_get(1)?;
        let (key, id): (DateTime<Utc>, Uuid) = (row.try_get(2)?, row.try_get(3)?);
        listed.push((digest, raw, key, id));
    }
    let sent: Vec<(u128, &[u8])> = listed
        .iter()
        .filter_map(|(digest, raw, _, _)| raw.map(|r| (digest.as_u128(), r.0)))
        .collect();
    let mut decoded = snapshot::decode_many(&sent)?.into_iter();
    let mut out = Vec::with_capacity(listed.len());
    let mut digests = Vec::with_capacity(listed.len());
    let mut left_out = 0;
    for (digest, raw, key, id) in listed {
        let claim = match raw {
            Some(_) => decoded.next(),
            None => {
                left_out += 1;
                known.take(digest)
            }
        };
        let claim = claim.ok_or_else(|| {
            StoreError::Corrupt(format!("claim {id}: snapshot {digest} left out, not held"))
        })?;
        digests.push(digest);
        out.push((claim, Cursor::at_time(key, id)));
    }
    page_memo::remember(known.page, digests.into_boxed_slice());
    snapshot::count_left_out(left_out);
    Ok(out)
}

/// Whether the text filter is what narrows the list: no speaker, subject,
/// statement or article to walk instead.
fn text_drives(f: &ResolvedClaimFilter) -> bool {
    f.speaker.is_none() && f.subject.is_none() && f.statement.is_none() && f.article_id.is_none()
}

/// A full-text list in time order ("the newest 20 claims saying X").
///
/// Two plans, and the planner cannot choose between them: a term missing
/// from the column statistics is estimated at a fixed fraction (measured:
/// 1,332 of 1M claims for a term in 10), so "newest 20 with a rare term"
/// walked the time index through all 1M rows (0.9 s), while sorting every
/// match of a common term costs its whole posting list (10,000 rows at 1M).
///
/// So: first walk only the newest K claims in list order and filter them;
/// if that fills the page, those are the answer (nothing outside the window
/// is newer). A term in n of N claims fills a page of 20 after about
/// 20·N/n rows, so K = √(21·N) (4,600 at 1M, 14,500 at 10M) is where the
/// walk stops paying. Otherwise the term is rare: read every match through
/// the GIN index and sort them.
async fn search(
    conn: &mut PgConnection,
    f: &ResolvedClaimFilter,
    size: PageSize,
    after: Option<&Cursor>,
) -> Result<Vec<(SharedClaim, Cursor)>, StoreError> {
    let key = if f.order.by_record_time() {
        "create_time"
    } else {
        "sort_time"
    };
    let dir = if f.order.descending() { "DESC" } else { "ASC" };
    let known = Known::recall(page_key(f, size, after, Step::Main));
    let mut qb = known.select(
        ", c.k, c.id FROM (SELECT w.id, w.revision, w.article_id, w.publisher_id, \
         w.kind, w.state, w.search, w.sort_time, w.",
        Reading::Probe,
    );
    qb.push(format!("{key} AS k FROM claims w WHERE true"));
    if let Some(c) = after {
        let op = if f.order.descending() { "<" } else { ">" };
        qb.push(format!(" AND (w.{key}, w.id) {op} ("))
            .push_bind(c.time.unwrap_or_default())
            .push(", ")
            .push_bind(c.id)
            .push(")");
    }
    qb.push(format!(
        " ORDER BY w.{key} {dir}, w.id {dir} LIMIT (SELECT greatest(1000, sqrt(21 * greatest(reltuples, 0)))::bigint \
         FROM pg_class WHERE oid = 'claims'::regclass)) c \
         JOIN claim_revisions r ON r.claim_id = c.id AND r.revision = c.revision WHERE true"
    ));
    push_common(&mut qb, f, "c", "c.sort_time", Search::Once("c.search"));
    // The window fixes the plan whatever the term (walk the time index,
    // filter), so it is prepared once: planning it for each call's term cost
    // more than running it (EXPLAIN at 1M on a warm connection, common
    // term: 1.4-1.7 ms of planning for 1.0-1.4 ms of execution). The term's
    // tsquery is a sub-select, computed once per call: in a generic plan
    // `websearch_to_tsquery($1)` is not folded and ran once per row walked
    // (EXPLAIN at 100k, rare term: 1.8 ms against 0.5 ms).
    let found = page(
        conn,
        qb,
        &known,
        f,
        ("c.k", "c.id"),
        size,
        None,
        Planning::Cached,
    )
    .await?;
    if found.len() > size.get() {
        return Ok(found);
    }
    let (key, id) = if f.order.by_record_time() {
        ("m.create_time", "m.id")
    } else {
        ("m.sort_time", "m.id")
    };
    let known = Known::recall(page_key(f, size, after, Step::AllMatches));
    page(
        conn,
        matches_query(f, &known),
        &known,
        f,
        (key, id),
        size,
        after,
        Planning::PerCall,
    )
    .await
}

/// The present-time query through the full-text index: every match (few,
/// see [`search`]) with its sort keys, materialized so the planner cannot
/// turn it back into a walk of the time index, then sorted.
fn matches_query(f: &ResolvedClaimFilter, known: &Known) -> QueryBuilder<Postgres> {
    let mut qb = QueryBuilder::new(
        "WITH m AS MATERIALIZED (SELECT c.id, c.sort_time, c.create_time, c.revision \
         FROM claims c WHERE true",
    );
    push_common(&mut qb, f, "c", "c.sort_time", Search::Planned("c.search"));
    let key = if f.order.by_record_time() {
        "m.create_time"
    } else {
        "m.sort_time"
    };
    qb.push(") SELECT ");
    known.push_columns(&mut qb, Reading::Probe);
    qb.push(format!(
        ", {key}, m.id FROM m \
         JOIN claim_revisions r ON r.claim_id = m.id AND r.revision = m.revision WHERE true"
    ));
    qb
}

fn present_query(f: &ResolvedClaimFilter, known: &Known) -> QueryBuilder<Postgres> {
    let s = present_shape(f);
    let driven_by_link = s.from != "claims";
    let (from, alias) = match (driven_by_link, s.reading) {
        (true, Reading::Link) => (format!("{} d", s.from), "d"),
        (true, _) => (
            format!("{} d JOIN claims c ON c.id = d.claim_id", s.from),
            "c",
        ),
        (false, _) => ("claims c".to_string(), "c"),
    };
    let versions = if s.reading == Reading::Link {
        ""
    } else {
        " JOIN claim_revisions r ON r.claim_id = c.id AND r.revision = c.revision"
    };
    let mut qb = known.select(
        &format!(
            ", {key}, {id} FROM {from}{versions} WHERE true",
            key = s.key,
            id = s.id,
        ),
        s.reading,
    );
    let driven_by_speaker = s.from == "claim_speakers";
    let driven_by_subject = s.from == "claim_subjects";
    if let Some(sp) = f.speaker {
        if driven_by_speaker {
            qb.push(" AND d.entity_id = ").push_bind(sp);
        } else {
            qb.push(" AND EXISTS (SELECT 1 FROM claim_speakers s WHERE s.claim_id = c.id AND s.entity_id = ")
                .push_bind(sp);
            push_window(&mut qb, f, "s.sort_time");
            qb.push(")");
        }
    }
    if let Some(su) = f.subject {
        if driven_by_subject {
            qb.push(" AND d.entity_id = ").push_bind(su);
        } else {
            qb.push(" AND EXISTS (SELECT 1 FROM claim_subjects s WHERE s.claim_id = c.id AND s.entity_id = ")
                .push_bind(su);
            push_window(&mut qb, f, "s.sort_time");
            qb.push(")");
        }
    }
    let sort = if driven_by_link {
        "d.sort_time"
    } else {
        "c.sort_time"
    };
    if let Some(st) = f.statement {
        qb.push(" AND c.statement_id = ").push_bind(st);
    }
    // A link-only page has none of the filters on `claims`' columns
    // (`links_suffice`): `d` holds the state, and the rest push nothing.
    push_common(&mut qb, f, alias, sort, Search::Planned("c.search"));
    qb
}

fn as_of_query(f: &ResolvedClaimFilter, t: DateTime<Utc>, known: &Known) -> QueryBuilder<Postgres> {
    let key = if f.order.by_record_time() {
        "r.create_time"
    } else {
        "r.sort_time"
    };
    let mut qb = known.select(
        &format!(", {key}, r.claim_id FROM claim_revisions r WHERE r.record_time <= "),
        Reading::Scan,
    );
    qb.push_bind(t)
        .push(" AND (r.superseded_time IS NULL OR r.superseded_time > ")
        .push_bind(t)
        .push(")");
    if let Some(sp) = f.speaker {
        qb.push(" AND ").push_bind(sp).push(" = ANY(r.speaker_ids)");
    }
    if let Some(su) = f.subject {
        qb.push(" AND ").push_bind(su).push(" = ANY(r.subject_ids)");
    }
    if let Some(st) = f.statement {
        qb.push(" AND r.snapshot->>'statement_id' = ")
            .push_bind(st.to_string());
    }
    push_common(
        &mut qb,
        f,
        "r",
        "r.sort_time",
        Search::Planned("to_tsvector('english', r.text)"),
    );
    qb
}

/// The said-time window on a link table's copy of the sort time: inside
/// an EXISTS it lets the planner read only the window of the other entity's
/// history (a subject quoted over 15 years, asked about 2 of them), not all
/// of it.
fn push_window(qb: &mut QueryBuilder<Postgres>, f: &ResolvedClaimFilter, column: &str) {
    if let Some(after) = f.said_after {
        qb.push(format!(" AND {column} >= ")).push_bind(after);
    }
    if let Some(before) = f.said_before {
        qb.push(format!(" AND {column} < ")).push_bind(before);
    }
}

/// The tsvector expression a text filter matches, and how its tsquery is
/// written.
#[derive(Debug, Clone, Copy)]
enum Search<'a> {
    /// Inline, so a plan made for the call's term folds it to a constant
    /// and estimates how many rows match.
    Planned(&'a str),
    /// As a sub-select, computed once per call even in a generic plan.
    Once(&'a str),
}

/// Filters every shape shares; `t` is the table alias holding `article_id`,
/// `publisher_id`, `kind` and `state`.
fn push_common(
    qb: &mut QueryBuilder<Postgres>,
    f: &ResolvedClaimFilter,
    t: &str,
    sort: &str,
    search: Search<'_>,
) {
    if let Some(a) = f.article_id {
        qb.push(format!(" AND {t}.article_id = ")).push_bind(a);
    }
    if let Some(p) = f.publisher {
        qb.push(format!(" AND {t}.publisher_id = ")).push_bind(p);
    }
    if let Some(after) = f.said_after {
        qb.push(format!(" AND {sort} >= ")).push_bind(after);
    }
    if let Some(before) = f.said_before {
        qb.push(format!(" AND {sort} < ")).push_bind(before);
    }
    if !f.kinds.is_empty() {
        let kinds: Vec<String> = f.kinds.iter().map(|k| k.as_str().to_string()).collect();
        qb.push(format!(" AND {t}.kind = ANY("))
            .push_bind(kinds)
            .push(")");
    }
    if let Some(q) = &f.query {
        let (column, open, close) = match search {
            Search::Planned(c) => (c, "", ""),
            Search::Once(c) => (c, "(SELECT ", ")"),
        };
        qb.push(format!(
            " AND {column} @@ {open}websearch_to_tsquery('english', "
        ))
        .push_bind(q.clone())
        .push(format!("){close}"));
    }
    if !f.include_retracted {
        qb.push(format!(" AND {t}.state = 'active'"));
    }
}
