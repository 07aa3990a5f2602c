//! Article rows.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::StoreError;
use crate::domain::article::body_sha256;
use crate::domain::page::{Cursor, PageSize};
use crate::domain::{Article, NewArticle};

#[derive(sqlx::FromRow)]
struct ArticleRow {
    id: Uuid,
    url: String,
    title: String,
    publisher_id: Option<Uuid>,
    published_time: Option<DateTime<Utc>>,
    language: String,
    body: String,
    body_sha256: String,
    claim_count: i64,
    create_time: DateTime<Utc>,
    sort_time: DateTime<Utc>,
}

impl From<ArticleRow> for Article {
    fn from(r: ArticleRow) -> Self {
        Article {
            id: r.id,
            url: r.url,
            title: r.title,
            publisher_id: r.publisher_id,
            published_time: r.published_time,
            language: r.language,
            body: r.body,
            body_sha256: r.body_sha256,
            claim_count: r.claim_count,
            create_time: r.create_time,
        }
    }
}

/// Columns of [`ArticleRow`]; `$body` decides whether bodies are loaded.
fn columns(with_body: bool) -> String {
    let body = if with_body { "a.body" } else { "''::text" };
    format!(
        "a.id, a.url, a.title, a.publisher_id, a.published_time, a.language, {body} AS body, \
         a.body_sha256, (SELECT count(*) FROM claims c WHERE c.article_id = a.id) AS claim_count, \
         a.create_time, a.sort_time"
    )
}

/// The article stored under a normalized URL, with its body.
pub(super) async fn find_by_url(
    conn: &mut PgConnection,
    url: &str,
) -> Result<Option<Article>, StoreError> {
    let sql = format!("SELECT {} FROM articles a WHERE a.url = $1", columns(true));
    let row: Option<ArticleRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(url)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(Article::from))
}

/// The articles stored under any of `urls`, with their bodies, by URL.
pub(super) async fn find_by_urls(
    conn: &mut PgConnection,
    urls: &[&str],
) -> Result<std::collections::HashMap<String, Article>, StoreError> {
    let sql = format!(
        "SELECT {} FROM articles a WHERE a.url = ANY($1)",
        columns(true)
    );
    let rows: Vec<ArticleRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(urls)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.url.clone(), Article::from(r)))
        .collect())
}

/// One article by id, with its body.
pub(super) async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<Article>, StoreError> {
    let sql = format!("SELECT {} FROM articles a WHERE a.id = $1", columns(true));
    let row: Option<ArticleRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(Article::from))
}

/// The body of an article (for span checks).
pub(super) async fn body(conn: &mut PgConnection, id: Uuid) -> Result<String, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT body FROM articles WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .unwrap_or_default(),
    )
}

/// Inserts new articles (distinct URLs, none stored) in one statement.
pub(super) async fn insert_many(
    conn: &mut PgConnection,
    new: &[(&NewArticle, Option<Uuid>)],
    now: DateTime<Utc>,
) -> Result<Vec<Article>, StoreError> {
    let articles: Vec<Article> = new
        .iter()
        .map(|(a, publisher_id)| Article {
            id: Uuid::now_v7(),
            url: a.url.clone(),
            title: a.title.clone(),
            publisher_id: *publisher_id,
            published_time: a.published_time,
            language: a.language.clone(),
            body: a.body.clone(),
            body_sha256: body_sha256(&a.body),
            claim_count: 0,
            create_time: now,
        })
        .collect();
    if articles.is_empty() {
        return Ok(articles);
    }
    let col = |f: fn(&Article) -> &str| -> Vec<&str> { articles.iter().map(f).collect() };
    sqlx::query(
        "INSERT INTO articles (id, url, title, publisher_id, published_time, language, body, \
         body_sha256, sort_time, create_time) \
         SELECT i, u, t, p, pt, l, b, h, coalesce(pt, $9), $9 FROM unnest($1::uuid[], $2::text[], \
           $3::text[], $4::uuid[], $5::timestamptz[], $6::text[], $7::text[], $8::text[]) \
         AS x(i, u, t, p, pt, l, b, h)",
    )
    .bind(articles.iter().map(|a| a.id).collect::<Vec<_>>())
    .bind(col(|a| &a.url))
    .bind(col(|a| &a.title))
    .bind(articles.iter().map(|a| a.publisher_id).collect::<Vec<_>>())
    .bind(
        articles
            .iter()
            .map(|a| a.published_time)
            .collect::<Vec<_>>(),
    )
    .bind(col(|a| &a.language))
    .bind(col(|a| &a.body))
    .bind(col(|a| &a.body_sha256))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(articles)
}

/// Article filters with entity references already resolved.
#[derive(Debug, Clone, Default)]
pub(super) struct ResolvedArticleFilter {
    pub(super) publisher_id: Option<Uuid>,
    pub(super) published_after: Option<DateTime<Utc>>,
    pub(super) published_before: Option<DateTime<Utc>>,
    pub(super) include_body: bool,
}

/// A page of articles, newest first.
pub(super) async fn list(
    conn: &mut PgConnection,
    f: &ResolvedArticleFilter,
    size: PageSize,
    after: Option<&Cursor>,
) -> Result<Vec<(Article, Cursor)>, StoreError> {
    let sql = format!(
        "SELECT {} FROM articles a \
         WHERE ($1::uuid IS NULL OR a.publisher_id = $1) \
           AND ($2::timestamptz IS NULL OR a.sort_time >= $2) \
           AND ($3::timestamptz IS NULL OR a.sort_time < $3) \
           AND ($4::timestamptz IS NULL OR (a.sort_time, a.id) < ($4, $5)) \
         ORDER BY a.sort_time DESC, a.id DESC LIMIT $6",
        columns(f.include_body)
    );
    let rows: Vec<ArticleRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(f.publisher_id)
        .bind(f.published_after)
        .bind(f.published_before)
        .bind(after.and_then(|c| c.time))
        .bind(after.map(|c| c.id))
        .bind(size.get() as i64 + 1)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let cursor = Cursor::at_time(r.sort_time, r.id);
            (Article::from(r), cursor)
        })
        .collect())
}
