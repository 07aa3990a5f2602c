//! The `api_keys` table: hashed API keys with a name and a role.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A stored API key (never the key itself: only its hash is stored).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKeyRow {
    /// The key's name: the actor recorded on every change made with it.
    pub name: String,
    /// `reader`, `writer` or `admin`.
    pub role: String,
    /// When it was created.
    pub create_time: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoke_time: Option<DateTime<Utc>>,
}

pub(super) async fn insert(
    conn: &mut PgConnection,
    name: &str,
    role: &str,
    key_hash: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO api_keys (id, name, role, key_hash) VALUES ($1, $2, $3, $4)")
        .bind(Uuid::now_v7())
        .bind(name)
        .bind(role)
        .bind(key_hash)
        .execute(conn)
        .await?;
    Ok(())
}

pub(super) async fn find_active(
    conn: &mut PgConnection,
    key_hash: &[u8],
) -> Result<Option<ApiKeyRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT name, role, create_time, revoke_time FROM api_keys \
         WHERE key_hash = $1 AND revoke_time IS NULL",
    )
    .bind(key_hash)
    .fetch_optional(conn)
    .await
}

pub(super) async fn any_active(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM api_keys WHERE revoke_time IS NULL)")
        .fetch_one(conn)
        .await
}

pub(super) async fn list(conn: &mut PgConnection) -> Result<Vec<ApiKeyRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT name, role, create_time, revoke_time FROM api_keys \
         ORDER BY revoke_time IS NOT NULL, name, create_time",
    )
    .fetch_all(conn)
    .await
}

pub(super) async fn revoke(conn: &mut PgConnection, name: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE api_keys SET revoke_time = now() WHERE name = $1 AND revoke_time IS NULL",
    )
    .bind(name)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
