//! Review rows: fact-check verdicts on statements.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::StoreError;
use crate::domain::statement::{NewReview, Review};

#[derive(sqlx::FromRow)]
struct ReviewRow {
    id: Uuid,
    statement_id: Uuid,
    reviewer_id: Uuid,
    rating_text: String,
    rating_value: Option<f64>,
    best_rating: Option<f64>,
    worst_rating: Option<f64>,
    url: String,
    review_time: Option<DateTime<Utc>>,
    actor: String,
    create_time: DateTime<Utc>,
}

impl From<ReviewRow> for Review {
    fn from(r: ReviewRow) -> Self {
        Self {
            id: r.id,
            statement_id: r.statement_id,
            reviewer_id: r.reviewer_id,
            rating_text: r.rating_text,
            rating_value: r.rating_value,
            best_rating: r.best_rating,
            worst_rating: r.worst_rating,
            url: r.url,
            review_time: r.review_time,
            actor: r.actor,
            create_time: r.create_time,
        }
    }
}

const COLUMNS: &str = "id, statement_id, reviewer_id, rating_text, rating_value, best_rating, \
    worst_rating, url, review_time, actor, create_time";

/// Inserts a review of `statement_id` by `reviewer_id`; `None` when the
/// statement already has a review at that URL.
pub(super) async fn insert(
    conn: &mut PgConnection,
    statement_id: Uuid,
    reviewer_id: Uuid,
    new: &NewReview,
    actor: &str,
    ts: DateTime<Utc>,
) -> Result<Option<Review>, StoreError> {
    let sql = format!(
        "INSERT INTO reviews ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT ON CONSTRAINT reviews_statement_url_key DO NOTHING RETURNING {COLUMNS}"
    );
    let row: Option<ReviewRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(Uuid::now_v7())
        .bind(statement_id)
        .bind(reviewer_id)
        .bind(&new.rating_text)
        .bind(new.rating_value)
        .bind(new.best_rating)
        .bind(new.worst_rating)
        .bind(&new.url)
        .bind(new.review_time)
        .bind(actor)
        .bind(ts)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(Review::from))
}

/// A statement's reviews after id `after`, oldest first, at most `limit`.
pub(super) async fn list(
    conn: &mut PgConnection,
    statement_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Review>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM reviews WHERE statement_id = $1 AND ($2::uuid IS NULL OR id > $2) \
         ORDER BY id LIMIT $3"
    );
    let rows: Vec<ReviewRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(statement_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.into_iter().map(Review::from).collect())
}
