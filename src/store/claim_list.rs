//! The claim-history query behind `ListClaims`.
//!
//! Present-time queries are driven by the index that serves them: a speaker
//! filter walks `claim_speakers (entity_id, sort_time, claim_id)`, a subject
//! filter `claim_subjects`, anything else `claims (sort_time, id)` — so "X's
//! claims in said order" is one index range scan whatever the table size.
//! "As of" queries read `claim_revisions`, picking each claim's version that
//! was current at that record time.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

use super::StoreError;
use crate::domain::page::{Cursor, PageSize};
use crate::domain::{ClaimKind, ClaimOrder, ClaimRecord};

/// A claim filter with entity references resolved to ids.
#[derive(Debug, Clone, Default)]
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
/// columns live.
struct Shape {
    from: &'static str,
    key: &'static str,
    id: &'static str,
}

fn present_shape(f: &ResolvedClaimFilter) -> Shape {
    let record = f.order.by_record_time();
    if f.speaker.is_some() && !record {
        return Shape {
            from: "claim_speakers d JOIN claims c ON c.id = d.claim_id",
            key: "d.sort_time",
            id: "d.claim_id",
        };
    }
    if f.subject.is_some() && !record {
        return Shape {
            from: "claim_subjects d JOIN claims c ON c.id = d.claim_id",
            key: "d.sort_time",
            id: "d.claim_id",
        };
    }
    Shape {
        from: "claims c",
        key: if record {
            "c.create_time"
        } else {
            "c.sort_time"
        },
        id: "c.id",
    }
}

type Row = (Json<ClaimRecord>, DateTime<Utc>, Uuid);

/// One page of claims (`limit` rows at most), each with its cursor.
pub(super) async fn list(
    conn: &mut PgConnection,
    f: &ResolvedClaimFilter,
    size: PageSize,
    after: Option<&Cursor>,
) -> Result<Vec<(ClaimRecord, Cursor)>, StoreError> {
    let mut qb = match f.as_of {
        None => present_query(f),
        Some(t) => as_of_query(f, t),
    };
    let (key, id) = match f.as_of {
        None => {
            let s = present_shape(f);
            (s.key, s.id)
        }
        Some(_) if f.order.by_record_time() => ("r.create_time", "r.claim_id"),
        Some(_) => ("r.sort_time", "r.claim_id"),
    };
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
    // A full-text filter is planned for its actual term (an unnamed
    // statement, not a cached generic plan): a common term is fastest walked
    // in time order and filtered, a rare one through the GIN index, and only
    // the term's statistics tell the planner which it is.
    let rows: Vec<Row> = qb
        .build_query_as()
        .persistent(f.query.is_none())
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(rec, key, id)| {
            let cursor = Cursor {
                time: Some(key),
                text: None,
                score: None,
                number: None,
                id,
            };
            (rec.0, cursor)
        })
        .collect())
}

fn present_query(f: &ResolvedClaimFilter) -> QueryBuilder<Postgres> {
    let s = present_shape(f);
    let mut qb = QueryBuilder::new(format!(
        "SELECT r.snapshot, {key}, {id} FROM {from} \
         JOIN claim_revisions r ON r.claim_id = c.id AND r.revision = c.revision WHERE true",
        key = s.key,
        id = s.id,
        from = s.from
    ));
    let driven_by_speaker = s.from.starts_with("claim_speakers");
    let driven_by_subject = s.from.starts_with("claim_subjects");
    if let Some(sp) = f.speaker {
        if driven_by_speaker {
            qb.push(" AND d.entity_id = ").push_bind(sp);
        } else {
            qb.push(" AND EXISTS (SELECT 1 FROM claim_speakers s WHERE s.claim_id = c.id AND s.entity_id = ")
                .push_bind(sp)
                .push(")");
        }
    }
    if let Some(su) = f.subject {
        if driven_by_subject {
            qb.push(" AND d.entity_id = ").push_bind(su);
        } else {
            qb.push(" AND EXISTS (SELECT 1 FROM claim_subjects s WHERE s.claim_id = c.id AND s.entity_id = ")
                .push_bind(su)
                .push(")");
        }
    }
    let sort = if driven_by_speaker || driven_by_subject {
        "d.sort_time"
    } else {
        "c.sort_time"
    };
    if let Some(st) = f.statement {
        qb.push(" AND c.statement_id = ").push_bind(st);
    }
    push_common(&mut qb, f, "c", sort, "c.search");
    qb
}

fn as_of_query(f: &ResolvedClaimFilter, t: DateTime<Utc>) -> QueryBuilder<Postgres> {
    let key = if f.order.by_record_time() {
        "r.create_time"
    } else {
        "r.sort_time"
    };
    let mut qb = QueryBuilder::new(format!(
        "SELECT r.snapshot, {key}, r.claim_id FROM claim_revisions r WHERE r.record_time <= "
    ));
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
        "to_tsvector('english', r.text)",
    );
    qb
}

/// Filters every shape shares; `t` is the table alias holding `article_id`,
/// `publisher_id`, `kind` and `state`.
fn push_common(
    qb: &mut QueryBuilder<Postgres>,
    f: &ResolvedClaimFilter,
    t: &str,
    sort: &str,
    search: &str,
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
        qb.push(format!(" AND {search} @@ websearch_to_tsquery('english', "))
            .push_bind(q.clone())
            .push(")");
    }
    if !f.include_retracted {
        qb.push(format!(" AND {t}.state = 'active'"));
    }
}
