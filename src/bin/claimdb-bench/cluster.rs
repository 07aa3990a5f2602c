//! The PostgreSQL the bench runs against: a private cluster under
//! `--data-dir` (started with `claimdb::pg_local`, kept between runs so a
//! large dataset is loaded once), or an existing server (`--database-url`).
//! Either way the bench only touches databases named `claimdb_bench_*`.

use std::path::Path;
use std::str::FromStr;

use anyhow::{anyhow, Context};
use claimdb::pg_local::{LocalOptions, LocalPostgres};
use serde::Serialize;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};

/// Where the databases live.
#[derive(Debug)]
pub(crate) struct Cluster {
    local: Option<LocalPostgres>,
    /// Options of the maintenance database (creating and dropping).
    admin: PgConnectOptions,
    /// URL template: the same with the database path replaced.
    base_url: url::Url,
}

/// Server settings that matter for reading the figures.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct PgInfo {
    /// `SELECT version()`.
    pub(crate) version: String,
    /// `shared_buffers`.
    pub(crate) shared_buffers: String,
    /// `fsync`.
    pub(crate) fsync: String,
    /// `synchronous_commit`.
    pub(crate) synchronous_commit: String,
    /// `max_connections`.
    pub(crate) max_connections: String,
    /// `max_wal_size`.
    pub(crate) max_wal_size: String,
    /// "private cluster in DIR" or "existing server".
    pub(crate) server: String,
}

impl Cluster {
    /// Starts (or adopts) the private cluster under `dir`, with bench
    /// settings: shared_buffers sized for the dataset (restarting once when
    /// it changes), a larger WAL budget so a bulk load does not checkpoint
    /// constantly; fsync and synchronous commit stay on, since durability is
    /// part of what the service pays for.
    pub(crate) async fn private(
        dir: &Path,
        claims: u64,
        max_connections: u32,
    ) -> anyhow::Result<Self> {
        let options = LocalOptions {
            max_connections,
            unsafe_fast: false,
        };
        let mut pg = LocalPostgres::start(dir, &options)
            .await
            .with_context(|| format!("starting the private PostgreSQL in {}", dir.display()))?;
        // Stop it at the end even if an earlier run left it running.
        pg.take_ownership();
        let admin = pg.connect_options("postgres");
        let shared_buffers = match claims {
            5_000_000.. => "4GB",
            500_000.. => "1GB",
            _ => "256MB",
        };
        // At 10M claims the data alone is about 69 GB, so the WAL budget
        // shrinks to keep a load from filling a typical disk.
        let max_wal_size = if claims >= 5_000_000 { "2GB" } else { "8GB" };
        let mut conn = admin.connect().await.context("connecting to PostgreSQL")?;
        for (name, value) in [
            ("shared_buffers", shared_buffers),
            ("max_wal_size", max_wal_size),
            ("checkpoint_timeout", "15min"),
            ("effective_cache_size", "8GB"),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "ALTER SYSTEM SET {name} = '{value}'"
            )))
            .execute(&mut conn)
            .await
            .with_context(|| format!("setting {name}"))?;
        }
        sqlx::query("SELECT pg_reload_conf()")
            .execute(&mut conn)
            .await?;
        // The reload is asynchronous: give the postmaster a moment.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let pending: Option<bool> =
            sqlx::query_scalar("SELECT bool_or(pending_restart) FROM pg_settings")
                .fetch_one(&mut conn)
                .await?;
        conn.close().await.ok();
        if pending.unwrap_or(false) {
            eprintln!(
                "bench: restarting the private PostgreSQL for shared_buffers = {shared_buffers}"
            );
            let pg_ref = &pg;
            tokio::task::block_in_place(|| {
                pg_ref.stop();
                pg_ref.restart()
            })
            .context("restarting PostgreSQL")?;
        }
        let socket = pg.socket_dir();
        let mut base_url =
            url::Url::parse("postgres://claimdb@localhost/postgres").context("base URL")?;
        base_url
            .query_pairs_mut()
            .append_pair("host", &socket.to_string_lossy())
            .append_pair("port", "5432");
        Ok(Self {
            local: Some(pg),
            admin,
            base_url,
        })
    }

    /// An existing server; `url` names a database to connect to for
    /// creating and dropping the bench's own.
    pub(crate) async fn existing(url: &str) -> anyhow::Result<Self> {
        let admin =
            PgConnectOptions::from_str(url).context("--database-url is not a PostgreSQL URL")?;
        let base_url = url::Url::parse(url).context("--database-url is not a URL")?;
        let conn = admin
            .connect()
            .await
            .context("connecting to --database-url")?;
        conn.close().await.ok();
        Ok(Self {
            local: None,
            admin,
            base_url,
        })
    }

    /// Connection options for database `db`.
    pub(crate) fn options(&self, db: &str) -> PgConnectOptions {
        self.admin.clone().database(db)
    }

    /// A URL for database `db`, for the server process's `--database-url`.
    pub(crate) fn url(&self, db: &str) -> String {
        let mut u = self.base_url.clone();
        u.set_path(&format!("/{db}"));
        u.to_string()
    }

    /// A connection to the maintenance database.
    pub(crate) async fn admin(&self) -> anyhow::Result<PgConnection> {
        self.admin
            .connect()
            .await
            .context("connecting to PostgreSQL")
    }

    /// The postmaster's process id when PostgreSQL runs on this machine
    /// (the parent of a backend), for CPU accounting; `None` otherwise.
    pub(crate) async fn postmaster(&self) -> Option<u32> {
        let mut conn = self.admin().await.ok()?;
        let backend: Option<i32> = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut conn)
            .await
            .ok();
        // Read while the backend still exists: once the connection is
        // closed it exits, and its /proc entry with it.
        let found = backend
            .and_then(|b| u32::try_from(b).ok())
            .and_then(crate::cpu::postmaster_of);
        conn.close().await.ok();
        found
    }

    /// Whether database `db` exists.
    pub(crate) async fn exists(&self, db: &str) -> anyhow::Result<bool> {
        let mut conn = self.admin().await?;
        let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
            .bind(db)
            .fetch_optional(&mut conn)
            .await?;
        conn.close().await.ok();
        Ok(found.is_some())
    }

    /// Drops database `db` (terminating its sessions) and creates it empty.
    pub(crate) async fn recreate(&self, db: &str) -> anyhow::Result<()> {
        check_name(db)?;
        let mut conn = self.admin().await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await
        .with_context(|| format!("dropping {db}"))?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
            .execute(&mut conn)
            .await
            .with_context(|| format!("creating {db}"))?;
        conn.close().await.ok();
        Ok(())
    }

    /// The server's version and the settings that shape the figures.
    pub(crate) async fn info(&self) -> anyhow::Result<PgInfo> {
        let mut conn = self.admin().await?;
        let mut info = PgInfo {
            version: sqlx::query_scalar("SELECT version()")
                .fetch_one(&mut conn)
                .await?,
            server: match &self.local {
                Some(_) => "private cluster (claimdb::pg_local)".into(),
                None => "existing server (--database-url)".into(),
            },
            ..PgInfo::default()
        };
        for (name, slot) in [
            ("shared_buffers", &mut info.shared_buffers),
            ("fsync", &mut info.fsync),
            ("synchronous_commit", &mut info.synchronous_commit),
            ("max_connections", &mut info.max_connections),
            ("max_wal_size", &mut info.max_wal_size),
        ] {
            *slot = sqlx::query_scalar("SELECT current_setting($1)")
                .bind(name)
                .fetch_one(&mut conn)
                .await?;
        }
        conn.close().await.ok();
        Ok(info)
    }

    /// Stops the private cluster (its data stays for the next run).
    pub(crate) async fn stop(self) {
        if let Some(pg) = self.local {
            let _ = tokio::task::spawn_blocking(move || pg.stop()).await;
        }
    }
}

/// Database names are interpolated into DDL: only `claimdb_bench_` names
/// of lower-case letters, digits and underscores.
fn check_name(db: &str) -> anyhow::Result<()> {
    let ok = db.starts_with("claimdb_bench_")
        && db
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(anyhow!("refusing to drop or create database {db:?}"))
    }
}
