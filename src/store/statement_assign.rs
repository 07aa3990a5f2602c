//! Putting newly ingested claims into statements, many at a time.
//!
//! For each new claim, in request order: a stored member of the same speaker
//! set with the same normalized text (an index look-up on a hash of it), else
//! the best of the members whose sketch shares a key with the claim's
//! ([`crate::domain::statement::sketch`], a GIN look-up) scored by the pure
//! rule [`match_score`], else a new statement. Claims earlier in the same
//! batch are candidates too, so one remark carried by three articles of a
//! batch becomes one statement.
//!
//! The reads are one query each for the whole batch, and so are the writes;
//! the cost per claim no longer grows with how often its speaker is quoted.
//!
//! Concurrency: ingests hold the statement lock shared (taken first, by
//! [`super::bulk`]) and lock exactly the keys a new claim is matched by: its
//! [`exact_key`] and its sketch keys, exclusively, sorted, in one statement.
//! A stored claim can only be found through one of those keys, so two
//! ingests whose claims could match each other share a key and serialize
//! (the second sees the first's statement), while ingests quoting the same
//! person in other words run in parallel. (Locking the whole speaker set
//! instead queued every writer behind the most quoted people: with 64
//! callers, 3.6% of writes waited past a 30 s deadline.) A batch with more
//! than [`FINE_LOCKS`] keys locks its speaker sets whole instead, and the
//! fine keys' holders take their speaker sets shared, so the two kinds
//! exclude each other like intention locks. Such a batch is placed first
//! without locks ([`propose`]), writes its claims and their statement
//! members, and only then locks and places its claims again ([`settle`]),
//! so the set locks are held for the last part of its transaction (the
//! second placement, the statements' aggregates, the commit) rather than
//! all of it. Merges, splits
//! and ClaimReview imports take the statement lock exclusively (see
//! [`super::statements::lock`]).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::StoreError;
use crate::domain::statement::{
    exact_key, match_score, normalize_text, sketch, speaker_key, MatchMethod,
};
use crate::domain::ClaimRecord;

/// Most stored candidates scored per claim (the ones sharing the most
/// sketch keys).
const CANDIDATES: i64 = 16;

/// Most stored members fetched per sketch key.
const PER_KEY: i64 = 8;

/// Most fine-grained matching locks one transaction takes (nine per claim);
/// a bigger batch locks whole speaker sets, so an import of thousands of
/// claims does not fill PostgreSQL's shared lock table (64 locks per
/// connection by default).
const FINE_LOCKS: usize = 512;

/// Where one claim goes.
#[derive(Debug, Clone, Copy)]
struct Placement {
    statement_id: Uuid,
    method: &'static str,
    score: Option<f64>,
    is_new: bool,
}

/// The matching keys of one claim.
struct Keys {
    key: String,
    norm: String,
    sketch: Vec<i64>,
}

/// A statement and the text it was matched by, for in-batch candidates.
struct Seen {
    statement_id: Uuid,
    norm: String,
    sketch: Vec<i64>,
}

/// The placements of a batch of new claims, in record order: proposed by
/// [`propose`], final once [`settle`] has returned them.
#[derive(Default)]
pub(super) struct Plan {
    keys: Vec<Keys>,
    placements: Vec<Placement>,
    threshold: f64,
    /// Whether the matching locks are held: the placements were decided
    /// under them and are final.
    locked: bool,
}

/// Places every record (which must be new claims), creates the statements
/// it starts and sets each record's `statement_id`.
///
/// A batch small enough for fine locks takes them first and its plan is
/// final. A bigger one is placed without locks, against what is committed,
/// and [`settle`] confirms it under the speaker-set locks once the claim
/// rows are in. Those locks exclude every writer quoting the same people,
/// and every batch of an import quotes the most quoted ones, so they are
/// held only from [`settle`] to commit, not while the claims are written
/// (measured: half of the import backends' samples waited on them when they
/// were taken here).
pub(super) async fn propose(
    conn: &mut PgConnection,
    recs: &mut [ClaimRecord],
    ts: DateTime<Utc>,
) -> Result<Plan, StoreError> {
    if recs.is_empty() {
        return Ok(Plan::default());
    }
    let keys: Vec<Keys> = recs
        .iter()
        .map(|r| {
            let key = speaker_key(&r.speaker_ids);
            let norm = normalize_text(&r.text);
            let sketch = sketch(&key, &norm);
            Keys { key, norm, sketch }
        })
        .collect();
    let locked = fine_keys(&keys).is_some();
    let threshold = if locked {
        lock_matching_keys(conn, &keys).await?
    } else {
        read_threshold(conn).await?
    };
    let exact = exact_matches(conn, &keys, &HashMap::new()).await?;
    let near = near_candidates(conn, &keys, &exact).await?;
    let placements = decide(&keys, &exact, &near, threshold, None);
    for (rec, p) in recs.iter_mut().zip(&placements) {
        rec.statement_id = Some(p.statement_id);
    }
    let fresh: Vec<usize> = (0..recs.len()).filter(|i| placements[*i].is_new).collect();
    insert_statements(conn, recs, &keys, &fresh, ts).await?;
    Ok(Plan {
        keys,
        placements,
        threshold,
        locked,
    })
}

/// Makes a [`propose`]d plan final: takes the matching locks (when it has
/// not yet) and places the claims again, now seeing every batch committed
/// meanwhile. A claim whose place changed (another batch committed the same
/// remark in between: rare) is moved, and a statement it no longer starts is
/// deleted. Claims placed by an exact match keep it: nothing scores higher.
/// Call it after inserting the claim rows, their first revisions and their
/// members ([`record`]): the second placement leaves the transaction's own
/// members out, by their `xmin` (ingests write in one top-level transaction,
/// never a savepoint).
pub(super) async fn settle(
    conn: &mut PgConnection,
    recs: &mut [ClaimRecord],
    plan: Plan,
    actor: &str,
    ts: DateTime<Utc>,
) -> Result<Plan, StoreError> {
    if plan.locked || recs.is_empty() {
        return Ok(plan);
    }
    let threshold = lock_matching_keys(conn, &plan.keys).await?;
    let kept: HashMap<usize, Uuid> = plan
        .placements
        .iter()
        .enumerate()
        .filter(|(_, p)| p.method == MatchMethod::Exact.as_str())
        .map(|(i, p)| (i, p.statement_id))
        .collect();
    let exact = exact_matches(conn, &plan.keys, &kept).await?;
    let near = near_candidates(conn, &plan.keys, &exact).await?;
    let placements = decide(&plan.keys, &exact, &near, threshold, Some(&plan.placements));
    let moved: Vec<usize> = (0..recs.len())
        .filter(|i| placements[*i].statement_id != plan.placements[*i].statement_id)
        .collect();
    let used: std::collections::HashSet<Uuid> = placements.iter().map(|p| p.statement_id).collect();
    let orphans: Vec<Uuid> = plan
        .placements
        .iter()
        .filter(|p| p.is_new && !used.contains(&p.statement_id))
        .map(|p| p.statement_id)
        .collect();
    let settled = Plan {
        keys: plan.keys,
        placements,
        threshold,
        locked: true,
    };
    if !moved.is_empty() {
        for i in &moved {
            recs[*i].statement_id = Some(settled.placements[*i].statement_id);
        }
        let fresh: Vec<usize> = moved
            .iter()
            .copied()
            .filter(|i| settled.placements[*i].is_new)
            .collect();
        insert_statements(conn, recs, &settled.keys, &fresh, ts).await?;
        move_claims(conn, recs, &moved).await?;
        write_members(conn, recs, &settled, &moved, actor, ts).await?;
        delete_statements(conn, &orphans).await?;
    }
    Ok(settled)
}

/// Places each claim, in order: its exact match, else the best-scoring
/// stored or earlier in-batch candidate at or above the threshold, else a
/// new statement (the one `proposed` started for it, when it did).
fn decide(
    keys: &[Keys],
    exact: &HashMap<usize, Uuid>,
    near: &HashMap<usize, Vec<Candidate>>,
    threshold: f64,
    proposed: Option<&[Placement]>,
) -> Vec<Placement> {
    let mut seen: HashMap<&str, Vec<Seen>> = HashMap::new();
    let mut placements = Vec::with_capacity(keys.len());
    for (i, k) in keys.iter().enumerate() {
        let batch = seen.get(k.key.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        let found = match exact.get(&i) {
            Some(id) => Some((*id, 1.0, MatchMethod::Exact)),
            None => best(k, near.get(&i).map(Vec::as_slice).unwrap_or(&[]), batch),
        };
        let placement = match found {
            Some((id, score, method)) if score >= threshold => Placement {
                statement_id: id,
                method: method.as_str(),
                score: Some(score),
                is_new: false,
            },
            other => Placement {
                statement_id: proposed
                    .map(|p| p[i])
                    .filter(|p| p.is_new)
                    .map_or_else(Uuid::now_v7, |p| p.statement_id),
                method: "new",
                score: other.map(|o| o.1),
                is_new: true,
            },
        };
        seen.entry(k.key.as_str()).or_default().push(Seen {
            statement_id: placement.statement_id,
            norm: k.norm.clone(),
            sketch: k.sketch.clone(),
        });
        placements.push(placement);
    }
    placements
}

/// Writes the statement members and decisions of a plan's claims (before
/// [`settle`], which rewrites those of claims it moves).
pub(super) async fn record(
    conn: &mut PgConnection,
    recs: &[ClaimRecord],
    plan: &Plan,
    actor: &str,
    ts: DateTime<Utc>,
) -> Result<(), StoreError> {
    let all: Vec<usize> = (0..recs.len()).collect();
    write_members(conn, recs, plan, &all, actor, ts).await
}

/// Refreshes every statement a [`settle`]d plan's claims joined or started.
pub(super) async fn refresh(
    conn: &mut PgConnection,
    plan: &Plan,
    ts: DateTime<Utc>,
) -> Result<(), StoreError> {
    if plan.placements.is_empty() {
        return Ok(());
    }
    let mut touched: Vec<Uuid> = plan.placements.iter().map(|p| p.statement_id).collect();
    touched.sort();
    touched.dedup();
    super::statements::refresh_many(conn, &touched, ts).await
}

/// Inserts the members and decisions of the claims at `idx`.
async fn write_members(
    conn: &mut PgConnection,
    recs: &[ClaimRecord],
    plan: &Plan,
    idx: &[usize],
    actor: &str,
    ts: DateTime<Utc>,
) -> Result<(), StoreError> {
    if idx.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = idx.iter().map(|i| recs[*i].id).collect();
    let statement_ids: Vec<Uuid> = idx
        .iter()
        .map(|i| plan.placements[*i].statement_id)
        .collect();
    let keys: Vec<&str> = idx.iter().map(|i| plan.keys[*i].key.as_str()).collect();
    let norms: Vec<&str> = idx.iter().map(|i| plan.keys[*i].norm.as_str()).collect();
    let sketches: Vec<String> = idx
        .iter()
        .map(|i| int8_array(&plan.keys[*i].sketch))
        .collect();
    sqlx::query(
        "INSERT INTO statement_members (claim_id, statement_id, speaker_key, normalized_text, sketch) \
         SELECT c, s, k, n, sk::bigint[] FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[]) \
         AS t(c, s, k, n, sk)",
    )
    .bind(&ids)
    .bind(&statement_ids)
    .bind(&keys)
    .bind(&norms)
    .bind(&sketches)
    .execute(&mut *conn)
    .await?;
    let methods: Vec<&str> = idx.iter().map(|i| plan.placements[*i].method).collect();
    let scores: Vec<Option<f64>> = idx.iter().map(|i| plan.placements[*i].score).collect();
    sqlx::query(
        "INSERT INTO statement_decisions (claim_id, statement_id, method, score, threshold, actor, \
         reason, record_time) \
         SELECT c, s, m, sc, $5, $6, '', $7 FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::float8[]) \
         AS t(c, s, m, sc)",
    )
    .bind(&ids)
    .bind(&statement_ids)
    .bind(&methods)
    .bind(&scores)
    .bind(plan.threshold)
    .bind(actor)
    .bind(ts)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A PostgreSQL array literal of integers (`{1,2,3}`), for binding ragged
/// arrays through `unnest` as text.
pub(super) fn int8_array(xs: &[i64]) -> String {
    let inner: Vec<String> = xs.iter().map(i64::to_string).collect();
    format!("{{{}}}", inner.join(","))
}

/// Locks what the claims are matched by (see the module docs): their exact
/// and sketch keys exclusively with their speaker sets shared, or, past
/// [`FINE_LOCKS`], their speaker sets exclusively. Sets before keys, each
/// sorted, in one statement, the order every writer uses. Returns the
/// connection's matching threshold (read in the same round trip).
async fn lock_matching_keys(conn: &mut PgConnection, keys: &[Keys]) -> Result<f64, StoreError> {
    let mut sets: Vec<String> = keys.iter().map(|k| format!("sk:{}", k.key)).collect();
    sets.sort();
    sets.dedup();
    let (sets_shared, sets_exclusive, fine) = match fine_keys(keys) {
        Some(fine) => (sets, Vec::new(), fine),
        None => (Vec::new(), sets, Vec::new()),
    };
    let (_, _, _, raw): (i64, i64, i64, Option<String>) = sqlx::query_as(
        "SELECT (SELECT count(pg_advisory_xact_lock_shared(hashtextextended(k, 0))) FROM unnest($1::text[]) AS k), \
           (SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM unnest($2::text[]) AS k), \
           (SELECT count(pg_advisory_xact_lock(k)) FROM unnest($3::int8[]) AS k), \
           current_setting($4, true)",
    )
    .bind(&sets_shared)
    .bind(&sets_exclusive)
    .bind(&fine)
    .bind(super::statements::SIMILARITY_SETTING)
    .fetch_one(&mut *conn)
    .await?;
    Ok(super::statements::parse_setting(raw))
}

/// The connection's matching threshold, for a batch placed before it locks.
async fn read_threshold(conn: &mut PgConnection) -> Result<f64, StoreError> {
    let raw: Option<String> = sqlx::query_scalar("SELECT current_setting($1, true)")
        .bind(super::statements::SIMILARITY_SETTING)
        .fetch_one(&mut *conn)
        .await?;
    Ok(super::statements::parse_setting(raw))
}

/// The fine keys of the claims, sorted and distinct; `None` past
/// [`FINE_LOCKS`], where the batch locks its speaker sets whole instead.
fn fine_keys(keys: &[Keys]) -> Option<Vec<i64>> {
    let mut fine: Vec<i64> = keys
        .iter()
        .flat_map(|k| std::iter::once(exact_key(&k.key, &k.norm)).chain(k.sketch.iter().copied()))
        .collect();
    if fine.len() > FINE_LOCKS {
        return None;
    }
    fine.sort_unstable();
    fine.dedup();
    Some(fine)
}

/// Claim index → a stored statement whose member has the same speaker set
/// and normalized text (the lowest id when several do); the claims in
/// `known` are not looked up again and keep their statement.
async fn exact_matches(
    conn: &mut PgConnection,
    keys: &[Keys],
    known: &HashMap<usize, Uuid>,
) -> Result<HashMap<usize, Uuid>, StoreError> {
    let (mut idx, mut k, mut n) = (Vec::new(), Vec::new(), Vec::new());
    for (i, key) in keys.iter().enumerate() {
        if !known.contains_key(&i) {
            idx.push(i as i64);
            k.push(key.key.as_str());
            n.push(key.norm.as_str());
        }
    }
    let mut out = known.clone();
    if idx.is_empty() {
        return Ok(out);
    }
    let rows: Vec<(i64, Uuid)> = sqlx::query_as(
        "SELECT t.i, min(m.statement_id::text)::uuid FROM unnest($1::int8[], $2::text[], $3::text[]) \
         AS t(i, k, n) \
         JOIN statement_members m ON m.speaker_key = t.k AND md5(m.normalized_text) = md5(t.n) \
           AND m.normalized_text = t.n AND m.xmin <> pg_current_xact_id()::xid \
         GROUP BY t.i",
    )
    .bind(&idx)
    .bind(&k)
    .bind(&n)
    .fetch_all(&mut *conn)
    .await?;
    out.extend(rows.into_iter().map(|(i, id)| (i as usize, id)));
    Ok(out)
}

/// A stored candidate: its statement and normalized text.
type Candidate = (Uuid, String);

/// Claim index → stored members sharing a sketch key, for the claims
/// without an exact match: at most [`PER_KEY`] members per key (so a key
/// that half a speaker's remarks share costs no more than a rare one), then
/// the [`CANDIDATES`] sharing the most keys.
async fn near_candidates(
    conn: &mut PgConnection,
    keys: &[Keys],
    exact: &HashMap<usize, Uuid>,
) -> Result<HashMap<usize, Vec<Candidate>>, StoreError> {
    let (mut idx, mut flat): (Vec<i32>, Vec<i64>) = (Vec::new(), Vec::new());
    for (i, k) in keys.iter().enumerate() {
        if !exact.contains_key(&i) {
            for key in &k.sketch {
                idx.push(i as i32);
                flat.push(*key);
            }
        }
    }
    if idx.is_empty() {
        return Ok(HashMap::new());
    }
    // The GIN index is the only sane plan here, but while a table grows
    // from empty its statistics say "a few rows" and the planner scans it
    // once per key instead (measured: import fell to 195 claims/s on a
    // fresh database). SET LOCAL lasts until the end of the transaction, so
    // it is switched back right after.
    sqlx::query("SET LOCAL enable_seqscan = off")
        .execute(&mut *conn)
        .await?;
    // Ranked in the database: only the chosen members' texts travel.
    let rows: Result<Vec<(i32, Uuid, String)>, sqlx::Error> = sqlx::query_as(
        "WITH hits AS ( \
           SELECT q.i, x.claim_id FROM unnest($1::int[], $2::int8[]) AS q(i, k) \
           CROSS JOIN LATERAL ( \
             SELECT m.claim_id FROM statement_members m WHERE m.sketch @> ARRAY[q.k] \
               AND m.xmin <> pg_current_xact_id()::xid LIMIT $3) x), \
         ranked AS ( \
           SELECT i, claim_id, row_number() OVER (PARTITION BY i ORDER BY count(*) DESC, claim_id) AS rn \
           FROM hits GROUP BY i, claim_id) \
         SELECT r.i, m.statement_id, m.normalized_text FROM ranked r \
         JOIN statement_members m ON m.claim_id = r.claim_id WHERE r.rn <= $4",
    )
    .bind(&idx)
    .bind(&flat)
    .bind(PER_KEY)
    .bind(CANDIDATES)
    .fetch_all(&mut *conn)
    .await;
    sqlx::query("SET LOCAL enable_seqscan = on")
        .execute(&mut *conn)
        .await?;
    let rows = rows?;
    let mut out: HashMap<usize, Vec<Candidate>> = HashMap::new();
    for (i, statement_id, text) in rows {
        out.entry(i as usize)
            .or_default()
            .push((statement_id, text));
    }
    Ok(out)
}

/// The best-scoring candidate among stored ones and earlier claims of the
/// batch that share a sketch key.
fn best(k: &Keys, stored: &[Candidate], batch: &[Seen]) -> Option<(Uuid, f64, MatchMethod)> {
    let in_batch = batch
        .iter()
        .filter(|s| s.norm == k.norm || s.sketch.iter().any(|x| k.sketch.contains(x)))
        .map(|s| (s.statement_id, s.norm.as_str()));
    stored
        .iter()
        .map(|(id, n)| (*id, n.as_str()))
        .chain(in_batch)
        .map(|(id, text)| {
            let (score, method) = match_score(&k.norm, text);
            (id, score, method)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
}

/// Inserts the statements the claims at `fresh` start, empty; [`refresh`]
/// fills their aggregates once their claims exist.
async fn insert_statements(
    conn: &mut PgConnection,
    recs: &[ClaimRecord],
    keys: &[Keys],
    fresh: &[usize],
    ts: DateTime<Utc>,
) -> Result<(), StoreError> {
    if fresh.is_empty() {
        return Ok(());
    }
    let (mut ids, mut set_keys, mut speakers, mut texts, mut norms) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in fresh {
        let (rec, k) = (&recs[*i], &keys[*i]);
        let mut sorted = rec.speaker_ids.clone();
        sorted.sort();
        sorted.dedup();
        ids.push(rec.statement_id);
        set_keys.push(k.key.as_str());
        speakers.push(uuid_array(&sorted));
        texts.push(rec.text.as_str());
        norms.push(k.norm.as_str());
    }
    sqlx::query(
        "INSERT INTO statements (id, speaker_key, speaker_ids, canonical_text, normalized_text, \
         create_time, update_time) \
         SELECT i, k, s::uuid[], t, n, $6, $6 FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) \
         AS u(i, k, s, t, n)",
    )
    .bind(&ids)
    .bind(&set_keys)
    .bind(&speakers)
    .bind(&texts)
    .bind(&norms)
    .bind(ts)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Points the claims at `moved` to their records' (new) statements: their
/// rows and their first revisions' snapshots; their members and decisions
/// are deleted, for [`write_members`] to write again.
async fn move_claims(
    conn: &mut PgConnection,
    recs: &[ClaimRecord],
    moved: &[usize],
) -> Result<(), StoreError> {
    let ids: Vec<Uuid> = moved.iter().map(|i| recs[*i].id).collect();
    let to: Vec<Option<Uuid>> = moved.iter().map(|i| recs[*i].statement_id).collect();
    sqlx::query(
        "UPDATE claims c SET statement_id = t.s FROM unnest($1::uuid[], $2::uuid[]) AS t(i, s) \
         WHERE c.id = t.i",
    )
    .bind(&ids)
    .bind(&to)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE claim_revisions r SET snapshot = jsonb_set(r.snapshot::jsonb, '{statement_id}', to_jsonb(t.s::text))::json \
         FROM unnest($1::uuid[], $2::uuid[]) AS t(i, s) WHERE r.claim_id = t.i AND r.revision = 1",
    )
    .bind(&ids)
    .bind(&to)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "WITH d AS (DELETE FROM statement_decisions WHERE claim_id = ANY($1)) \
         DELETE FROM statement_members WHERE claim_id = ANY($1)",
    )
    .bind(&ids)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Deletes statements a batch started and then left empty.
async fn delete_statements(conn: &mut PgConnection, ids: &[Uuid]) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query("DELETE FROM statements WHERE id = ANY($1)")
        .bind(ids)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A PostgreSQL array literal of uuids.
pub(super) fn uuid_array(ids: &[Uuid]) -> String {
    let inner: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    format!("{{{}}}", inner.join(","))
}
